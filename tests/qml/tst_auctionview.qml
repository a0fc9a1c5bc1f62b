// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtTest
import FlippDeal.Auction
import FlippDeal.Style
import FlippDeal.Style

// The TestCase item itself is invisible: components are created in this visible root.
Item {
    id: root
    width: 800
    height: 600

    TestCase {
        id: testCase
        name: "AuctionView"
        when: windowShown

        Component { id: auctionComponent; StandInAuction {} }
        Component { id: viewComponent; AuctionView { width: 800; height: 600 } }
        LayoutCheck { id: layoutCheck }

        function createView(auctionProperties) {
            const auction = createTemporaryObject(auctionComponent, root, auctionProperties || {})
            verify(auction)
            const view = createTemporaryObject(viewComponent, root, { auction: auction })
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
            const view = createView()
            compare(child(view, "bidField").text, "1,555.00")
            compare(child(view, "domainName").text, "example.com")
            compare(child(view, "stateLabel").text, "Live")
            compare(child(view, "currentValue").text, "$1,500.00")
            compare(child(view, "countValue").text, "3")
            compare(child(view, "watchersTitle").text, "Watching now (2)")
            verify(!child(view, "noticeBar").visible)
        }

        function test_refillWhenMinimumRises() {
            const view = createView()
            view.auction.minimumNextBidCents = 170000
            view.auction.auctionChanged()
            compare(child(view, "bidField").text, "1,700.00")
        }

        function test_clickPlacesBidOnce() {
            const view = createView()
            const button = child(view, "bidButton")
            verify(button.enabled)
            compare(button.text, "Place bid")
            mouseClick(button)
            compare(view.auction.placedBids, [155500])
            verify(view.auction.bidding)
            verify(!button.enabled, "disabled while the bid is on its way")
            compare(button.text, "Bidding…")
            mouseClick(button)
            compare(view.auction.placedBids.length, 1, "a second click does nothing")
            view.auction.bidding = false
            verify(button.enabled)
        }

        function test_enterPlacesTypedBid() {
            const view = createView()
            const field = child(view, "bidField")
            field.forceActiveFocus()
            field.selectAll()
            typeText("1,600")
            keyClick(Qt.Key_Return)
            compare(view.auction.placedBids, [160000])
        }

        function test_invalidAmount() {
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
            compare(view.auction.placedBids, [])
            // The server's error stays hidden while the local one shows.
            view.auction.errorString = "Bid too low"
            verify(!child(view, "serverError").visible)
        }

        function test_serverError() {
            const view = createView()
            const server = child(view, "serverError")
            verify(!server.visible)
            view.auction.errorString = "<b>Bid too low</b>"
            verify(server.visible)
            compare(server.textFormat, Text.PlainText)
        }

        function test_outbid() {
            const view = createView()
            view.auction.outbid = true
            view.auction.minimumNextBidCents = 160000
            const notice = child(view, "noticeLabel")
            verify(child(view, "noticeBar").visible)
            verify(notice.text.toLowerCase().indexOf("outbid") >= 0, notice.text)
            verify(notice.text.indexOf("$1,600.00") >= 0, notice.text)
            compare(child(view, "stateLabel").text, "Outbid")
        }

        function test_leading() {
            const view = createView({ leading: true })
            compare(child(view, "stateLabel").text, "You're winning")
        }

        function test_endedWon() {
            const view = createView({ ended: true, won: true, winnerUserId: 1, countdownText: "Ended" })
            compare(child(view, "stateLabel").text, "You won")
            verify(child(view, "noticeLabel").text.indexOf("Congratulations") === 0)
            verify(!child(view, "bidField").visible, "no bid form once ended")
            verify(!child(view, "bidButton").enabled)
        }

        function test_endedSoldToSomeoneElse() {
            const view = createView({ ended: true, winnerUserId: 9 })
            compare(child(view, "stateLabel").text, "Ended")
            compare(child(view, "noticeLabel").text, "Sold for $1,500.00.")
        }

        function test_ownerHasNoBidForm() {
            const view = createView({ isOwner: true, ownerId: 1 })
            compare(child(view, "stateLabel").text, "Your auction")
            verify(!child(view, "bidField").visible)
            verify(!child(view, "bidButton").visible)
            view.placeBid()
            compare(view.auction.placedBids, [], "no bid on one's own auction")
        }

        function test_countdown() {
            const view = createView()
            compare(child(view, "countdownValue").text, "1:00:00")
            view.auction.countdownText = "0:42"
            view.auction.remainingMs = 42000
            // Looked up again: the stat cards are rebuilt when their values change.
            compare(child(view, "countdownValue").text, "0:42")
            verify(Qt.colorEqual(child(view, "countdownValue").color, Theme.danger),
                   "the last minute is shown in red")
        }

        function test_extendedNotice() {
            const view = createView()
            const notice = child(view, "noticeLabel")
            compare(notice.text, "")
            view.auction.extended()
            verify(child(view, "noticeBar").visible)
            compare(notice.text, "A late bid extended the auction.")
            tryCompare(notice, "text", "", 6000)
        }

        function test_layoutFits() {
            const view = createView({
                domainName: "a-remarkably-long-domain-name-for-an-auction-listing-example.com",
                currentBidCents: 123456789, minimumNextBidCents: 123556789, bidCount: 128,
                countdownText: "23:59:59", outbid: true })
            waitForRendering(view)
            const problems = layoutCheck.overflows(view)
            compare(problems, [], problems.join("\n"))
        }
    }
}
