// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtTest
import FlippDeal.Chat

// The TestCase item itself is invisible: components are created in this visible root.
Item {
    id: root
    width: 800
    height: 600

    TestCase {
        id: testCase
        name: "MessageView"
        when: windowShown

        readonly property string markup: "<i>hi</i><img src=x>"

        Component { id: messagesComponent; StandInMessages {} }
        Component { id: viewComponent; MessageView { width: 800; height: 600 } }
        LayoutCheck { id: layoutCheck }

        function createView() {
            const messages = createTemporaryObject(messagesComponent, root)
            verify(messages)
            messages.addMessage(101, "Hello, is the domain still for sale?", false)
            messages.addMessage(102, "Yes it is.", true)
            messages.addMessage(103, markup, false)
            messages.addMessage(-7, "Will you take $900?", true, "failed", "The server refused it")
            const view = createTemporaryObject(viewComponent, root, { messages: messages })
            verify(view)
            return view
        }

        function child(item, name) {
            const found = findChild(item, name)
            verify(found, name)
            return found
        }

        function bubbleAt(view, index) {
            const list = child(view, "messageList")
            tryVerify(() => list.itemAtIndex(index) !== null, 2000, "delegate " + index)
            return list.itemAtIndex(index)
        }

        function typeText(text) {
            for (let i = 0; i < text.length; ++i)
                keyClick(text[i])
        }

        function test_rowsRender() {
            const view = createView()
            const list = child(view, "messageList")
            compare(list.count, 4)
            function delegates() {
                let n = 0
                for (let i = 0; i < list.contentItem.children.length; ++i)
                    if (list.contentItem.children[i].body !== undefined)
                        ++n
                return n
            }
            tryVerify(() => delegates() === 4, 2000, "one bubble per row, got " + delegates())
            compare(child(bubbleAt(view, 0), "bodyText").text, "Hello, is the domain still for sale?")
            compare(child(bubbleAt(view, 1), "bodyText").text, "Yes it is.")
            verify(bubbleAt(view, 1).fromMe)
            view.messages.addMessage(104, "One more", false)
            compare(list.count, 5)
            compare(child(bubbleAt(view, 4), "bodyText").text, "One more")
        }

        function test_markupShownLiterally() {
            const view = createView()
            const body = child(bubbleAt(view, 2), "bodyText")
            compare(body.textFormat, TextEdit.PlainText)
            compare(body.text, markup)
            compare(body.getText(0, body.length), markup, "the document holds the raw characters")
            compare(body.length, markup.length)
        }

        function test_enterSends() {
            const view = createView()
            const composer = child(view, "composer")
            composer.forceActiveFocus()
            verify(composer.activeFocus)
            typeText("hello")
            compare(composer.text, "hello")
            verify(view.messages.typingCount > 0, "noteTyping while typing")
            keyClick(Qt.Key_Return)
            compare(view.messages.sent, ["hello"])
            compare(composer.text, "")
            keyClick(Qt.Key_Return)
            compare(view.messages.sent.length, 1, "an empty composer sends nothing")
        }

        function test_sendButton() {
            const view = createView()
            const composer = child(view, "composer")
            const button = child(view, "sendButton")
            verify(!button.enabled)
            composer.text = "  via the button  "
            verify(button.enabled)
            mouseClick(button)
            compare(view.messages.sent, ["via the button"])
            compare(composer.text, "")
        }

        function test_failedSendKeepsDraft() {
            const view = createView()
            view.messages.sendResult = false
            const composer = child(view, "composer")
            composer.forceActiveFocus()
            typeText("keep me")
            keyClick(Qt.Key_Return)
            compare(view.messages.sent, ["keep me"])
            compare(composer.text, "keep me")
        }

        function test_shiftEnterBreaksLine() {
            const view = createView()
            const composer = child(view, "composer")
            composer.forceActiveFocus()
            typeText("a")
            keyClick(Qt.Key_Return, Qt.ShiftModifier)
            typeText("b")
            compare(view.messages.sent.length, 0)
            compare(composer.lineCount, 2)
            compare(composer.text, "a\nb")
            keyClick(Qt.Key_Return)
            compare(view.messages.sent, ["a\nb"], "sent with a plain line feed")
            compare(composer.text, "")
        }

        function test_retryFailed() {
            const view = createView()
            for (let i = 0; i < 3; ++i)
                verify(!child(bubbleAt(view, i), "retryButton").visible, "no Retry on row " + i)
            const failed = bubbleAt(view, 3)
            const retry = child(failed, "retryButton")
            verify(retry.visible)
            compare(child(failed, "statusLabel").text, "Not sent: The server refused it")
            mouseClick(retry)
            compare(view.messages.retried, [-7])
            compare(view.messages.discarded, [])
        }

        function test_peerTyping() {
            const view = createView()
            const typing = child(view, "typingLabel")
            verify(typing.text !== "typing…")
            view.messages.peerTyping = true
            compare(typing.text, "typing…")
            view.messages.peerTyping = false
            view.messages.domainId = 5
            compare(typing.text, "About domain #5")
        }

        function test_noteTypingOnTextChange() {
            const view = createView()
            const composer = child(view, "composer")
            compare(view.messages.typingCount, 0)
            composer.text = "x"
            compare(view.messages.typingCount, 1)
            composer.text = "xy"
            compare(view.messages.typingCount, 2)
            composer.text = ""
            compare(view.messages.typingCount, 2, "clearing is not typing")
        }

        function test_opensAtNewestThenLoadsOlderAtTop() {
            const messages = createTemporaryObject(messagesComponent, root, { canLoadOlder: true })
            const view = createTemporaryObject(viewComponent, root, { messages: messages })
            const list = child(view, "messageList")
            // The first page arrives after the view is shown, as from the server.
            for (let i = 0; i < 60; ++i)
                messages.addMessage(1000 + i, "Message number " + i, i % 2 === 0)
            compare(list.count, 60)
            // Scrolled to the newest message: the end of the content is in view.
            tryVerify(() => !list.atYBeginning && list.contentHeight > list.height
                            && list.contentY + list.height >= list.originY + list.contentHeight - 1,
                      2000, "positioned at the newest message")
            compare(messages.loadOlderCount, 0, "nothing older is loaded before scrolling up")
            // Scroll up with the wheel, as a person would, until the top is reached.
            for (let i = 0; i < 100 && !list.atYBeginning; ++i) {
                mouseWheel(list, list.width / 2, list.height / 2, 0, 480)
                wait(20)
            }
            verify(list.atYBeginning, "scrolled to the top")
            tryCompare(messages, "loadOlderCount", 1)
        }

        function test_layoutFits() {
            const view = createView()
            view.messages.addMessage(105, "A long message that has to wrap over several lines because it is far wider than three quarters of the view, which is where bubbles stop growing and start wrapping their text instead.", true)
            view.messages.domainId = 12
            waitForRendering(view)
            const problems = layoutCheck.overflows(view)
            compare(problems, [], problems.join("\n"))
        }
    }
}
