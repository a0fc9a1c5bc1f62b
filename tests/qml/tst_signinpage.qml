// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtTest
import FlippDeal.Session

// The TestCase item itself is invisible: components are created in this visible root.
Item {
    id: root
    width: 800
    height: 600

    TestCase {
        id: testCase
        name: "SignInPage"
        when: windowShown

        // The stand-in session belongs to the page, so it never outlives it nor dies first.
        Component {
            id: pageComponent
            SignInPage {
                id: page
                property var sessionProperties: ({})
                width: 800
                height: 600
                serverUrl: "http://127.0.0.1:6001"
                session: StandInSession {
                    email: page.sessionProperties.email || ""
                    errorString: page.sessionProperties.errorString || ""
                }
            }
        }
        LayoutCheck { id: layoutCheck }

        function createPage(sessionProperties) {
            const page = createTemporaryObject(pageComponent, root,
                                               { sessionProperties: sessionProperties || {} })
            verify(page)
            verify(page.visible)
            return page
        }

        function field(page, name) {
            const item = findChild(page, name)
            verify(item, name)
            return item
        }

        function typeText(text) {
            for (let i = 0; i < text.length; ++i)
                keyClick(text[i])
        }

        function test_prefill() {
            const page = createPage({ email: "ann@example.com" })
            compare(field(page, "serverField").text, "http://127.0.0.1:6001")
            compare(field(page, "emailField").text, "ann@example.com")
            tryCompare(field(page, "passwordField"), "activeFocus", true)
            verify(!field(page, "nameField").visible)
            verify(!field(page, "errorLabel").visible)
        }

        function test_signInWithEnter() {
            const page = createPage()
            const email = field(page, "emailField")
            tryCompare(email, "activeFocus", true) // an empty email field takes the focus
            typeText("ann@example.com")
            keyClick(Qt.Key_Tab)
            tryCompare(field(page, "passwordField"), "activeFocus", true)
            typeText("secret-pass")
            keyClick(Qt.Key_Return)
            compare(page.session.signInCalls.length, 1, "one Enter signs in once")
            compare(page.session.signInCalls[0],
                    ["http://127.0.0.1:6001", "ann@example.com", "secret-pass"])
            compare(page.session.registerCalls.length, 0)
        }

        function test_signInWithButton() {
            const page = createPage({ email: "ann@example.com" })
            field(page, "passwordField").text = "pw12345678"
            const button = field(page, "submitButton")
            compare(button.text, "Sign in")
            mouseClick(button)
            compare(page.session.signInCalls, [["http://127.0.0.1:6001", "ann@example.com", "pw12345678"]])
        }

        function test_registerWithEnter() {
            const page = createPage()
            mouseClick(field(page, "switchModeButton"))
            verify(page.registering)
            const name = field(page, "nameField")
            verify(name.visible)
            compare(field(page, "submitButton").text, "Create account")
            name.forceActiveFocus()
            typeText("Ann Buyer")
            field(page, "emailField").text = "ann@example.com"
            field(page, "passwordField").text = "long-enough"
            field(page, "passwordField").forceActiveFocus()
            keyClick(Qt.Key_Enter) // the keypad's Enter
            compare(page.session.registerCalls.length, 1, "one Enter registers once")
            compare(page.session.registerCalls[0],
                    ["http://127.0.0.1:6001", "Ann Buyer", "ann@example.com", "long-enough"])
            compare(page.session.signInCalls.length, 0)

            mouseClick(field(page, "switchModeButton"))
            verify(!page.registering)
            verify(!name.visible)
        }

        function test_errorIsPlainText() {
            const page = createPage()
            const label = field(page, "errorLabel")
            verify(!label.visible)
            page.session.errorString = "<b>x</b> & <a href='y'>z</a>"
            verify(label.visible)
            compare(label.textFormat, Text.PlainText)
            compare(label.text, "<b>x</b> & <a href='y'>z</a>")
            compare(label.hoveredLink, "")
            // Shown literally: the tags take room, "x" alone would be a few pixels wide.
            verify(label.contentWidth > 100, "contentWidth " + label.contentWidth)
            page.session.errorString = ""
            verify(!label.visible)
        }

        function test_busyDisablesSubmit() {
            const page = createPage({ email: "ann@example.com" })
            const button = field(page, "submitButton")
            verify(button.enabled)
            page.session.busy = true
            verify(!button.enabled)
            compare(button.text, "Please wait…")
            mouseClick(button)
            const password = field(page, "passwordField")
            password.forceActiveFocus()
            keyClick(Qt.Key_Return)
            compare(page.session.signInCalls.length, 0, "nothing is submitted while busy")
            page.session.busy = false
            verify(button.enabled)
            mouseClick(button)
            compare(page.session.signInCalls.length, 1)
        }

        function test_layoutFits() {
            const page = createPage({ email: "a-rather-long-address@example.com",
                                      errorString: "The server could not be reached. Check the address and your connection, then try again in a moment." })
            mouseClick(field(page, "switchModeButton"))
            waitForRendering(page)
            const problems = layoutCheck.overflows(page)
            compare(problems, [], problems.join("\n"))
        }
    }
}
