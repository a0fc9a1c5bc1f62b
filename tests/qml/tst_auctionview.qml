// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtTest
import FlippDeal.Auction
import FlippDeal.Style
import FlippDeal.Test

// The auction view on the buyer's real AuctionController, watching a real auction of the
// seller's on a real server, with Carol (signed in and watching) and Dave bidding too.
// The TestCase item itself is invisible: components are created in this visible root.
Item {
    id: root
    width: 800
    height: 600

    TestCase {
        id: testCase
        name: "AuctionView"
        when: windowShown

        property int counter: 0
        property string domainName
        property int domainId: 0
        property var carol: null
        property var dave: null

        Component { id: viewComponent; AuctionView { width: 800; height: 600 } }
        LayoutCheck { id: layoutCheck }

        function init() {
            verify(Fixture.reset(), "a fresh buyer and seller, signed in")
            carol = Fixture.createClient("Carol Bidder", true)
            verify(carol, "Carol, signed in")
            dave = Fixture.createClient("Dave Bidder", false)
            verify(dave, "Dave, registered")
        }

        // A live auction of the seller's ending `endsInMs` from now (an hour by default); with
        // `bids` (default: Carol $1,300, Dave $1,400, Carol $1,500), a minimum increment of $55.
        function createAuction(options) {
            options = options || {}
            domainName = options.name || ("lot" + Date.now() + "-" + (++counter) + ".com")
            domainId = Fixture.createAuction(Fixture.seller, domainName,
                                             options.endsInMs || 3600 * 1000, 5500)
            verify(domainId > 0, "auction created")
            const bids = options.bids !== undefined ? options.bids
                                                    : [[carol, 130000], [dave, 140000], [carol, 150000]]
            for (const [bidder, cents] of bids)
                compare(Fixture.placeBid(bidder, domainId, cents), 201, "bid of " + cents)
            return domainId
        }

        // The view of `client`'s controller (the buyer's by default) on the auction, with Carol
        // watching it too.
        function createView(client) {
            client = client || Fixture.buyer
            verify(Fixture.openAuction(carol, domainId), "Carol watches")
            verify(Fixture.openAuction(client, domainId), "opened")
            const view = createTemporaryObject(viewComponent, root, { auction: client.auction })
            verify(view)
            return view
        }

        function child(item, name) {
            const found = findChild(item, name)
            verify(found, name)
            return found
        }

        function typeText(text) {
            for (let i = 0; i < text.length; ++i)
                keyClick(text[i])
        }

        function test_prefilledWithMinimum() {
            createAuction()
            const view = createView()
            compare(child(view, "bidField").text, "1,555.00")
            compare(child(view, "domainName").text, domainName)
            compare(child(view, "stateLabel").text, "Live")
            compare(child(view, "currentValue").text, "$1,500.00")
            compare(child(view, "countValue").text, "3")
            tryCompare(child(view, "watchersTitle"), "text", "Watching now (2)", 5000)
            verify(!child(view, "noticeBar").visible)
        }

        function test_refillWhenMinimumRises() {
            createAuction()
            const view = createView()
            compare(Fixture.placeBid(dave, domainId, 165000), 201)
            tryCompare(child(view, "bidField"), "text", "1,705.00", 5000)
            compare(child(view, "currentValue").text, "$1,650.00")
        }

        function test_clickPlacesBidOnce() {
            createAuction()
            const view = createView()
            const button = child(view, "bidButton")
            verify(button.enabled)
            compare(button.text, "Place bid")
            mouseClick(button)
            verify(view.auction.bidding)
            verify(!button.enabled, "disabled while the bid is on its way")
            compare(button.text, "Bidding…")
            mouseClick(button)
            tryCompare(view.auction, "bidding", false, 5000)
            verify(button.enabled)
            compare(Fixture.serverBids(domainId), [155500, 150000, 140000, 130000],
                    "a second click does nothing")
            tryCompare(child(view, "stateLabel"), "text", "You're winning")
        }

        function test_enterPlacesTypedBid() {
            createAuction()
            const view = createView()
            const field = child(view, "bidField")
            field.forceActiveFocus()
            field.selectAll()
            typeText("1,600")
            keyClick(Qt.Key_Return)
            tryVerify(() => Fixture.serverBids(domainId)[0] === 160000, 5000, "the typed bid")
            tryCompare(child(view, "currentValue"), "text", "$1,600.00", 5000)
        }

        function test_invalidAmount() {
            createAuction()
            const view = createView()
            const field = child(view, "bidField")
            const error = child(view, "bidError")
            verify(!error.visible)
            field.forceActiveFocus()
            field.selectAll()
            typeText("abc")
            compare(field.text, "abc")
            keyClick(Qt.Key_Return)
            verify(error.visible)
            compare(error.text, "Enter an amount such as $1,555.00.")
            wait(200)
            compare(Fixture.serverBids(domainId).length, 3, "no bid")
            // The controller's own error stays hidden while the local one shows.
            verify(!view.auction.placeBid(100))
            verify(view.auction.errorString !== "")
            verify(!child(view, "serverError").visible)
        }

        function test_serverError() {
            createAuction()
            const view = createView()
            const server = child(view, "serverError")
            verify(!server.visible)
            // The buyer's client misses Dave's bid: its minimum is stale, the server refuses.
            Fixture.buyer.realtime.disconnectFromServer()
            compare(Fixture.placeBid(dave, domainId, 155500), 201)
            mouseClick(child(view, "bidButton"))
            tryVerify(() => server.visible, 5000, "the server's refusal")
            compare(server.text, view.auction.errorString)
            verify(server.text.length > 0)
            compare(server.textFormat, Text.PlainText)
            compare(Fixture.serverBids(domainId).length, 4)
        }

        function test_outbid() {
            createAuction()
            const view = createView()
            mouseClick(child(view, "bidButton"))
            tryCompare(child(view, "stateLabel"), "text", "You're winning", 5000)
            compare(Fixture.placeBid(carol, domainId, 161000), 201)
            const notice = child(view, "noticeLabel")
            tryCompare(child(view, "stateLabel"), "text", "Outbid", 5000)
            verify(child(view, "noticeBar").visible)
            verify(notice.text.toLowerCase().indexOf("outbid") >= 0, notice.text)
            verify(notice.text.indexOf("$1,665.00") >= 0, notice.text)
        }

        function test_leading() {
            createAuction()
            const view = createView()
            compare(Fixture.placeBid(Fixture.buyer, domainId, 155500), 201)
            tryCompare(child(view, "stateLabel"), "text", "You're winning", 5000)
        }

        function test_endedWon() {
            // The buyer's bid goes in at once, well before the end.
            createAuction({ endsInMs: 3000, bids: [[Fixture.buyer, 150000]] })
            const view = createView()
            tryCompare(child(view, "stateLabel"), "text", "You won", 15000)
            verify(child(view, "noticeLabel").text.indexOf("Congratulations") === 0)
            compare(child(view, "countdownValue").text, "Ended")
            verify(!child(view, "bidField").visible, "no bid form once ended")
            verify(!child(view, "bidButton").enabled)
        }

        function test_endedSoldToSomeoneElse() {
            createAuction({ endsInMs: 3000, bids: [[dave, 150000]] })
            const view = createView()
            tryCompare(child(view, "stateLabel"), "text", "Ended", 15000)
            compare(child(view, "noticeLabel").text, "Sold for $1,500.00.")
            compare(view.auction.winnerUserId, dave.userId)
        }

        function test_ownerHasNoBidForm() {
            createAuction()
            const view = createView(Fixture.seller)
            compare(child(view, "stateLabel").text, "Your auction")
            verify(!child(view, "bidField").visible)
            verify(!child(view, "bidButton").visible)
            view.placeBid()
            wait(200)
            compare(Fixture.serverBids(domainId).length, 3, "no bid on one's own auction")
        }

        function test_countdown() {
            createAuction()
            const view = createView()
            // An hour on the server's clock, shown as the controller counts it down.
            tryVerify(() => /^(1:00:00|59:[0-5][0-9])$/.test(child(view, "countdownValue").text), 3000,
                      child(view, "countdownValue").text)
            verify(!Qt.colorEqual(child(view, "countdownValue").color, Theme.danger))
            // Another auction, 50 s from its end.
            createAuction({ endsInMs: 50 * 1000, bids: [] })
            verify(Fixture.openAuction(Fixture.buyer, domainId))
            tryVerify(() => /^0:[0-5][0-9]$/.test(child(view, "countdownValue").text), 3000,
                      child(view, "countdownValue").text)
            verify(Qt.colorEqual(child(view, "countdownValue").color, Theme.danger),
                   "the last minute is shown in red")
        }

        function test_extendedNotice() {
            createAuction()
            const view = createView()
            const notice = child(view, "noticeLabel")
            compare(notice.text, "")
            // AuctionExtended from the server (an operator's extension; bids extend it the same
            // way inside the anti-snipe window).
            verify(Fixture.extendAuction(domainId, 60))
            tryCompare(notice, "text", "A late bid extended the auction.", 5000)
            verify(child(view, "noticeBar").visible)
            tryCompare(notice, "text", "", 6000)
        }

        function test_layoutFits() {
            createAuction({ name: "a-remarkably-long-domain-name-for-an-auction-listing-" + (++counter) + ".com",
                            endsInMs: (24 * 3600 - 1) * 1000, bids: [[carol, 130000]] })
            const view = createView()
            mouseClick(child(view, "bidButton"))
            tryCompare(child(view, "stateLabel"), "text", "You're winning", 5000)
            compare(Fixture.placeBid(carol, domainId, 123456789), 201)
            tryCompare(child(view, "stateLabel"), "text", "Outbid", 5000)
            compare(child(view, "currentValue").text, "$1,234,567.89")
            waitForRendering(view)
            const problems = layoutCheck.overflows(view)
            compare(problems, [], problems.join("\n"))
        }
    }
}
