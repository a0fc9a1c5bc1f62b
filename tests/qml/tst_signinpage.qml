// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtTest
import FlippDeal.Core
import FlippDeal.Session
import FlippDeal.Test

// The sign-in page on a real Session (a desktop client nobody is signed in to) against the real
// server, which registers and signs in for real; and against a canned server for what a real
// one does not say (markup in an error) or to keep an answer back (busy).
// The TestCase item itself is invisible: components are created in this visible root.
Item {
    id: root
    width: 800
    height: 600

    TestCase {
        id: testCase
        name: "SignInPage"
        when: windowShown

        property int counter: 0

        Component { id: pageComponent; SignInPage { width: 800; height: 600 } }
        LayoutCheck { id: layoutCheck }

        function init() {
            verify(Fixture.reset())
            Fixture.holdCannedAnswers(false)
        }

        function cleanup() {
            Fixture.holdCannedAnswers(false)
        }

        function createPage(session, serverUrl) {
            const page = createTemporaryObject(pageComponent, root,
                { session: session, serverUrl: serverUrl || Fixture.serverUrl })
            verify(page)
            verify(page.visible)
            return page
        }

        // A client that was signed in as a new user and signed out again: it remembers the
        // server and the email.
        function signedOutClient() {
            const client = Fixture.createClient("Ann Buyer", true)
            verify(client)
            compare(Fixture.activeTokens(client.userId), 2, "the registration's and the session's")
            client.session.signOut()
            compare(client.session.status, Session.SignedOut)
            tryVerify(() => Fixture.activeTokens(client.userId) === 1, 5000, "revoked on the server")
            return client
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
            const client = signedOutClient()
            const page = createPage(client.session)
            compare(field(page, "serverField").text, Fixture.serverUrl)
            compare(field(page, "emailField").text, client.email)
            tryCompare(field(page, "passwordField"), "activeFocus", true)
            verify(!field(page, "nameField").visible)
            verify(!field(page, "errorLabel").visible)
        }

        function test_signInWithEnter() {
            const user = Fixture.registerUser("Ann Buyer")
            verify(user.id > 0)
            const tokens = Fixture.activeTokens(user.id)
            const session = Fixture.signedOutSession()
            const page = createPage(session)
            const email = field(page, "emailField")
            tryCompare(email, "activeFocus", true) // an empty email field takes the focus
            typeText(user.email)
            keyClick(Qt.Key_Tab)
            tryCompare(field(page, "passwordField"), "activeFocus", true)
            typeText(user.password)
            keyClick(Qt.Key_Return)
            verify(session.busy, "signing in")
            tryCompare(session, "status", Session.SignedIn, 10000)
            compare(session.userId, user.id)
            compare(session.userName, "Ann Buyer")
            compare(session.email, user.email)
            compare(session.serverUrl, Fixture.serverUrl)
            compare(Fixture.activeTokens(user.id), tokens + 1, "one Enter signs in once")
        }

        function test_signInWithButton() {
            const client = signedOutClient()
            const tokens = Fixture.activeTokens(client.userId)
            const page = createPage(client.session)
            field(page, "passwordField").text = client.password
            const button = field(page, "submitButton")
            compare(button.text, "Sign in")
            mouseClick(button)
            tryCompare(client.session, "status", Session.SignedIn, 10000)
            compare(client.session.userId, client.userId)
            compare(Fixture.activeTokens(client.userId), tokens + 1)
        }

        function test_registerWithEnter() {
            const session = Fixture.signedOutSession()
            const page = createPage(session)
            mouseClick(field(page, "switchModeButton"))
            verify(page.registering)
            const name = field(page, "nameField")
            verify(name.visible)
            compare(field(page, "submitButton").text, "Create account")
            const address = "ann." + Date.now() + "." + (++counter) + "@example.com"
            name.forceActiveFocus()
            typeText("Ann Buyer")
            field(page, "emailField").text = address
            field(page, "passwordField").text = "long-enough"
            field(page, "passwordField").forceActiveFocus()
            keyClick(Qt.Key_Enter) // the keypad's Enter
            verify(session.busy, "registering")
            tryCompare(session, "status", Session.SignedIn, 10000)
            // A new account on the server, signed in with its one token.
            verify(session.userId > 0)
            compare(session.userName, "Ann Buyer")
            compare(session.email, address)
            compare(Fixture.activeTokens(session.userId), 1, "one Enter registers once")

            mouseClick(field(page, "switchModeButton"))
            verify(!page.registering)
            verify(!name.visible)
        }

        function test_wrongPassword() {
            const client = signedOutClient()
            const page = createPage(client.session)
            const label = field(page, "errorLabel")
            verify(!label.visible)
            field(page, "passwordField").text = "not the password"
            keyClick(Qt.Key_Return)
            tryVerify(() => label.visible, 10000, "the server's refusal")
            compare(label.text, client.session.errorString)
            compare(client.session.status, Session.SignedOut)
        }

        function test_errorIsPlainText() {
            const markup = "<b>x</b> & <a href='y'>z</a>"
            Fixture.setCannedAnswer(422, markup)
            const session = Fixture.signedOutSession()
            const page = createPage(session, Fixture.cannedServerUrl)
            field(page, "emailField").text = "ann@example.com"
            field(page, "passwordField").text = "secret-pass"
            const label = field(page, "errorLabel")
            verify(!label.visible)
            mouseClick(field(page, "submitButton"))
            tryVerify(() => label.visible, 5000, "the server's answer")
            compare(label.textFormat, Text.PlainText)
            compare(label.text, markup)
            compare(label.hoveredLink, "")
            // Shown literally: the tags take room, "x" alone would be a few pixels wide.
            verify(label.contentWidth > 100, "contentWidth " + label.contentWidth)
            // Trying again clears the error.
            Fixture.holdCannedAnswers(true)
            mouseClick(field(page, "submitButton"))
            verify(!label.visible)
        }

        function test_busyDisablesSubmit() {
            Fixture.setCannedAnswer(401, "These credentials do not match our records.")
            Fixture.holdCannedAnswers(true)
            const session = Fixture.signedOutSession()
            const page = createPage(session, Fixture.cannedServerUrl)
            field(page, "emailField").text = "ann@example.com"
            field(page, "passwordField").text = "secret-pass"
            const button = field(page, "submitButton")
            verify(button.enabled)
            const before = Fixture.cannedRequests()
            mouseClick(button)
            verify(session.busy)
            verify(!button.enabled)
            compare(button.text, "Please wait…")
            tryVerify(() => Fixture.cannedRequests() === before + 1, 5000, "the request is out")
            mouseClick(button)
            const password = field(page, "passwordField")
            password.forceActiveFocus()
            keyClick(Qt.Key_Return)
            wait(200)
            compare(Fixture.cannedRequests(), before + 1, "nothing more is submitted while busy")
            Fixture.releaseCanned()
            tryCompare(session, "busy", false, 5000)
            verify(button.enabled)
            compare(field(page, "errorLabel").text, "These credentials do not match our records.")
            mouseClick(button)
            tryVerify(() => Fixture.cannedRequests() === before + 2, 5000, "submitted again")
        }

        function test_layoutFits() {
            Fixture.setCannedAnswer(503, "The server could not be reached. Check the address and your connection, then try again in a moment.")
            const session = Fixture.signedOutSession()
            const page = createPage(session, Fixture.cannedServerUrl)
            field(page, "emailField").text = "a-rather-long-address@example.com"
            field(page, "passwordField").text = "secret-pass"
            mouseClick(field(page, "submitButton"))
            tryVerify(() => field(page, "errorLabel").visible, 5000)
            mouseClick(field(page, "switchModeButton"))
            waitForRendering(page)
            const problems = layoutCheck.overflows(page)
            compare(problems, [], problems.join("\n"))
        }
    }
}
