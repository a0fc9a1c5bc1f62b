// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtTest
import FlippDeal.Chat
import FlippDeal.Core
import FlippDeal.Test

// The message view on the buyer's real MessageModel, talking to a real server: the seller's
// real client is on the other end of the conversation.
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
        // The server keeps text, never markup: it decodes character references once, so this is
        // stored (and shown) as `markup`.
        readonly property string markupAsPosted: "&lt;i&gt;hi&lt;/i&gt;&lt;img src=x&gt;"
        // Nothing is left of it once the server removes the HTML: refused with a 422.
        readonly property string refused: "<b></b>"
        readonly property string refusal: "Not sent: The body must contain text once HTML is removed."
        property int domainCounter: 0

        Component { id: viewComponent; MessageView { width: 800; height: 600 } }
        Component { id: spyComponent; SignalSpy {} }
        LayoutCheck { id: layoutCheck }

        function init() {
            verify(Fixture.reset(), "a fresh buyer and seller, signed in")
        }

        // A domain of the seller's that the conversation can be about.
        function createDomain() {
            const id = Fixture.createDomain(Fixture.seller,
                                            "chat-" + Date.now() + "-" + (++domainCounter) + ".com")
            verify(id > 0)
            return id
        }

        // The buyer's conversation with the seller: three stored messages and one the server
        // refused (rows 0..3), with the seller's client in the same conversation.
        function createView(domainId) {
            const buyer = Fixture.buyer
            const seller = Fixture.seller
            domainId = domainId || 0
            verify(Fixture.postMessage(seller, buyer, "Hello, is the domain still for sale?", domainId) > 0)
            verify(Fixture.postMessage(buyer, seller, "Yes it is.", domainId) > 0)
            verify(Fixture.postMessage(seller, buyer, markupAsPosted, domainId) > 0)
            verify(Fixture.openConversation(buyer, seller, domainId))
            verify(Fixture.openConversation(seller, buyer, domainId))
            const view = createTemporaryObject(viewComponent, root, { messages: buyer.messages })
            verify(view)
            verify(buyer.messages.send(refused))
            const list = child(view, "messageList")
            tryCompare(list, "count", 4)
            tryVerify(() => child(bubbleAt(view, 3), "retryButton").visible, 5000, "refused")
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

        function bodies(view) {
            const list = child(view, "messageList")
            const result = []
            for (let i = 0; i < list.count; ++i)
                result.push(child(bubbleAt(view, i), "bodyText").text)
            return result
        }

        function typeText(text) {
            for (let i = 0; i < text.length; ++i)
                keyClick(text[i])
        }

        // Whether the server has stored `body` between the buyer and the seller.
        function onServer(body, domainId) {
            return Fixture.serverMessages(Fixture.buyer, Fixture.seller, domainId || 0).indexOf(body) >= 0
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
            verify(!bubbleAt(view, 0).fromMe)
            compare(child(bubbleAt(view, 1), "bodyText").text, "Yes it is.")
            verify(bubbleAt(view, 1).fromMe)
            compare(view.title, "Bob Seller")
            // A message arrives live: stored messages come first, the unsent one stays last.
            verify(Fixture.postMessage(Fixture.seller, Fixture.buyer, "One more") > 0)
            tryCompare(list, "count", 5)
            // The delegates follow once the view has laid the new row out.
            const expected = ["Hello, is the domain still for sale?", "Yes it is.", markup, "One more", refused]
            tryVerify(() => JSON.stringify(bodies(view)) === JSON.stringify(expected), 2000,
                      "rows " + JSON.stringify(bodies(view)))
            compare(child(bubbleAt(view, 3), "bodyText").text, "One more")
            verify(!bubbleAt(view, 3).fromMe)
            compare(child(bubbleAt(view, 4), "bodyText").text, refused)
        }

        function test_markupShownLiterally() {
            const view = createView()
            verify(onServer(markup), "the server stored the text with its angle brackets")
            const body = child(bubbleAt(view, 2), "bodyText")
            compare(body.textFormat, TextEdit.PlainText)
            compare(body.text, markup)
            compare(body.getText(0, body.length), markup, "the document holds the raw characters")
            compare(body.length, markup.length)
        }

        function test_enterSends() {
            const view = createView()
            const list = child(view, "messageList")
            const composer = child(view, "composer")
            composer.forceActiveFocus()
            verify(composer.activeFocus)
            typeText("hello")
            compare(composer.text, "hello")
            tryCompare(Fixture.seller.messages, "peerTyping", true, 5000,
                       "the seller sees the buyer typing")
            keyClick(Qt.Key_Return)
            compare(composer.text, "")
            compare(list.count, 5, "shown at once")
            tryVerify(() => bodies(view).indexOf("hello") >= 0, 2000, "rows " + bodies(view))
            tryVerify(() => onServer("hello"), 5000, "stored on the server")
            tryVerify(() => bodies(view)[3] === "hello", 5000,
                      "stored, it takes its place before the refused one: " + bodies(view))
            compare(Fixture.buyer.outbox.pendingCount, 0)
            keyClick(Qt.Key_Return)
            compare(list.count, 5, "an empty composer sends nothing")
            compare(Fixture.buyer.outbox.pendingCount, 0)
            compare(Fixture.serverMessages(Fixture.buyer, Fixture.seller, 0).filter(b => b === "hello").length, 1)
        }

        function test_sendButton() {
            const view = createView()
            const composer = child(view, "composer")
            const button = child(view, "sendButton")
            verify(!button.enabled)
            composer.text = "  via the button  "
            verify(button.enabled)
            mouseClick(button)
            compare(composer.text, "")
            tryVerify(() => onServer("via the button"), 5000, "stored, trimmed, on the server")
            tryVerify(() => Fixture.seller.messages.rowCount() === 4, 5000, "the seller got it")
        }

        function test_failedSendKeepsDraft() {
            const view = createView()
            // The model refuses to send while no conversation is open (e.g. closed meanwhile).
            Fixture.buyer.messages.close()
            const composer = child(view, "composer")
            composer.forceActiveFocus()
            typeText("keep me")
            keyClick(Qt.Key_Return)
            compare(composer.text, "keep me")
            compare(Fixture.buyer.outbox.pendingCount, 0, "nothing queued")
            wait(200)
            verify(!onServer("keep me"), "nothing reached the server")
        }

        function test_shiftEnterBreaksLine() {
            const view = createView()
            const composer = child(view, "composer")
            composer.forceActiveFocus()
            typeText("a")
            keyClick(Qt.Key_Return, Qt.ShiftModifier)
            typeText("b")
            compare(Fixture.buyer.outbox.pendingCount, 0, "nothing sent yet")
            compare(composer.lineCount, 2)
            compare(composer.text, "a\nb")
            keyClick(Qt.Key_Return)
            compare(composer.text, "")
            tryVerify(() => onServer("a\nb"), 5000, "sent with a plain line feed")
        }

        function test_retryFailed() {
            const view = createView()
            for (let i = 0; i < 3; ++i)
                verify(!child(bubbleAt(view, i), "retryButton").visible, "no Retry on row " + i)
            const failed = bubbleAt(view, 3)
            const retry = child(failed, "retryButton")
            verify(retry.visible)
            const status = child(failed, "statusLabel")
            compare(status.text, refusal)
            const changes = createTemporaryObject(spyComponent, root,
                                                  { target: Fixture.buyer.outbox, signalName: "changed" })
            const messages = Fixture.buyer.messages
            compare(Fixture.roleData(messages, 3, "status"), Outbox.Failed)
            waitForRendering(view) // the list has settled where the button is seen
            mouseClick(retry)
            // Really sent again: queued, on the wire, refused again by the server.
            const again = Fixture.roleData(messages, 3, "status")
            verify(again === Outbox.Queued || again === Outbox.Sending,
                   "status " + again + " of " + messages.rowCount() + " rows, outbox "
                   + Fixture.buyer.outbox.pendingCount + ", " + changes.count + " changes")
            tryVerify(() => changes.count >= 3 && Fixture.roleData(messages, 3, "status") === Outbox.Failed,
                      5000, "queued, sending, failed: " + changes.count)
            compare(child(view, "messageList").count, 4, "retried, not discarded")
            // The row was moved behind the queue: its delegate may be a new one.
            tryVerify(() => child(bubbleAt(view, 3), "statusLabel").text === refusal, 2000,
                      child(bubbleAt(view, 3), "statusLabel").text)
            compare(child(bubbleAt(view, 3), "bodyText").text, refused)
            verify(!onServer(refused))
        }

        function test_peerTyping() {
            const view = createView()
            const typing = child(view, "typingLabel")
            verify(typing.text !== "typing…")
            Fixture.seller.messages.noteTyping()
            tryCompare(typing, "text", "typing…", 5000)
            // The same two people talking about one of the seller's domains.
            const domainId = createDomain()
            verify(Fixture.openConversation(Fixture.buyer, Fixture.seller, domainId))
            compare(typing.text, "About domain #" + domainId)
        }

        function test_noteTypingOnTextChange() {
            const view = createView()
            const composer = child(view, "composer")
            const typing = createTemporaryObject(spyComponent, root,
                { target: Fixture.seller.realtime, signalName: "clientEventReceived" })
            composer.text = "x"
            tryCompare(typing, "count", 1, 5000, "the seller's client is told")
            verify(typing.signalArguments[0][1].indexOf("typing") >= 0, typing.signalArguments[0][1])
            tryCompare(Fixture.seller.messages, "peerTyping", true)
            composer.text = "xy"
            wait(300)
            compare(typing.count, 1, "at most one announcement every 2 s")
            wait(2000) // past that interval, so a keystroke would be announced again
            composer.text = ""
            wait(500)
            compare(typing.count, 1, "clearing is not typing")
            composer.text = "z"
            tryCompare(typing, "count", 2, 5000, "typing again is")
        }

        // The buyer's view of 60 messages with the seller, opened at the newest page of 30.
        function createLongView() {
            const buyer = Fixture.buyer
            const seller = Fixture.seller
            const view = createTemporaryObject(viewComponent, root, { messages: buyer.messages })
            const list = child(view, "messageList")
            for (let i = 0; i < 60; ++i)
                verify(Fixture.postMessage(i % 2 === 0 ? buyer : seller, i % 2 === 0 ? seller : buyer,
                                           "Message number " + i) > 0)
            // The first page arrives after the view is shown: the newest 30.
            const loads = createTemporaryObject(spyComponent, root,
                                                { target: buyer.messages, signalName: "loadingChanged" })
            verify(Fixture.openConversation(buyer, seller))
            compare(list.count, 30)
            verify(buyer.messages.canLoadOlder)
            tryVerify(() => child(bubbleAt(view, 29), "bodyText").text === "Message number 59", 2000,
                      "the newest message last")
            // Scrolled to the newest message: the end of the content is in view.
            tryVerify(() => !list.atYBeginning && list.contentHeight > list.height
                            && list.contentY + list.height >= list.originY + list.contentHeight - 1,
                      2000, "positioned at the newest message")
            compare(list.count, 30, "nothing older is loaded before scrolling up")
            verify(!buyer.messages.loading, "nor on its way")
            compare(loads.count, 2, "the first page only")
            return view
        }

        function test_opensAtNewestThenLoadsOlderAtTop() {
            const buyer = Fixture.buyer
            const view = createLongView()
            const list = child(view, "messageList")
            // Scroll up with the wheel, as a person would, until the older page comes from the
            // server. (The wheel flicks, and the flick moves as fast as frames are drawn: on a
            // loaded machine that takes many more turns, so the bound is generous.)
            let wheels = 0
            for (; wheels < 1000 && list.count < 60; ++wheels) {
                mouseWheel(list, list.width / 2, list.height / 2, 0, 480)
                wait(20)
            }
            tryCompare(list, "count", 60, 5000, "the older page was loaded from the server ("
                       + wheels + " wheel turns, contentY "
                       + list.contentY + ", originY " + list.originY + ")")
            verify(!buyer.messages.canLoadOlder, "nothing older")
            // The older rows went in above what is shown; scrolling on reaches the oldest.
            list.positionViewAtBeginning()
            tryVerify(() => child(bubbleAt(view, 0), "bodyText").text === "Message number 0", 2000,
                      "the oldest message first")
        }

        // A flick can end a pixel short of the top (ListView does that with rows of varying
        // height): the older page still comes, since it is asked for before the top.
        function test_loadsOlderShortOfTheTop() {
            const view = createLongView()
            const list = child(view, "messageList")
            list.contentY = list.originY - list.topMargin + 1
            verify(!list.atYBeginning)
            tryCompare(list, "count", 60, 5000, "the older page was loaded from the server")
        }

        function test_layoutFits() {
            const domainId = createDomain()
            const view = createView(domainId)
            const longText = "A long message that has to wrap over several lines because it is far wider than three quarters of the view, which is where bubbles stop growing and start wrapping their text instead."
            verify(Fixture.postMessage(Fixture.buyer, Fixture.seller, longText, domainId) > 0)
            tryCompare(child(view, "messageList"), "count", 5)
            compare(child(view, "typingLabel").text, "About domain #" + domainId)
            waitForRendering(view)
            const problems = layoutCheck.overflows(view)
            compare(problems, [], problems.join("\n"))
        }
    }
}
