// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtTest
import FlippDeal.Notifications
import FlippDeal.Test

// The bell on the buyer's real NotificationModel: notifications made by the server (a message,
// an outbid), marked read through the REST API.
// The TestCase item itself is invisible: components are created in this visible root.
Item {
    id: root
    width: 800
    height: 600

    TestCase {
        id: testCase
        name: "NotificationBell"
        when: windowShown

        // Filled by createBell(): the notifications' ids, newest first.
        property var ids: ({})
        property int auctionId: 0
        property string domainName

        // Top right, as in the window's header.
        Component { id: bellComponent; NotificationBell { x: 800 - width - 8; y: 8 } }
        Component { id: spyComponent; SignalSpy {} }
        LayoutCheck { id: layoutCheck }

        function init() {
            verify(Fixture.reset(), "a fresh buyer and seller, signed in")
        }

        // The buyer's notifications, newest first: a message from the seller and being outbid
        // (unread), and an auction won earlier (read).
        function createBell() {
            const buyer = Fixture.buyer
            const seller = Fixture.seller
            const won = Fixture.notify(buyer, "auction.won", { domain_id: 7, domain_name: "shop.io",
                                                                final_bid_cents: 250000, escrow_id: 1 })
            verify(won > 0)
            verify(Fixture.markNotificationReadOnServer(buyer, won))

            // Outbid for real: the buyer bids on the seller's auction, Carol bids more.
            domainName = "bell-" + Date.now() + ".com"
            auctionId = Fixture.createAuction(seller, domainName, 3600 * 1000, 500)
            verify(auctionId > 0)
            const carol = Fixture.createClient("Carol Bidder", false)
            verify(carol)
            compare(Fixture.placeBid(buyer, auctionId, 100000), 201)
            compare(Fixture.placeBid(carol, auctionId, 110000), 201)
            // A message from the seller notifies the buyer.
            verify(Fixture.postMessage(seller, buyer, "Bob: is it still for sale?") > 0)

            const notifications = buyer.notifications
            notifications.reload()
            tryCompare(notifications, "loading", false)
            compare(notifications.rowCount(), 3)
            compare(Fixture.serverUnreadCount(buyer), 2)
            const bell = createTemporaryObject(bellComponent, root, { notifications: notifications })
            verify(bell)
            return bell
        }

        function badgeOf(bell) {
            for (let i = 0; i < bell.children.length; ++i)
                if (bell.children[i].count !== undefined && bell.children[i].fill !== undefined)
                    return bell.children[i]
            fail("no badge")
        }

        function dropdownOf(bell) {
            const dropdown = findChild(bell, "bellDropdown")
            verify(dropdown, "bellDropdown")
            return dropdown
        }

        function open(bell) {
            const dropdown = dropdownOf(bell)
            mouseClick(bell)
            tryCompare(dropdown, "opened", true)
            verify(bell.open)
            return dropdown
        }

        function listOf(dropdown) {
            const list = findChild(dropdown.contentItem, "notificationList")
            verify(list, "notificationList")
            return list
        }

        function rowAt(list, index) {
            tryVerify(() => list.itemAtIndex(index) !== null, 2000, "row " + index)
            return list.itemAtIndex(index)
        }

        function test_badge() {
            const bell = createBell()
            const badge = badgeOf(bell)
            compare(bell.notifications.unreadCount, 2)
            compare(badge.count, 2)
            verify(badge.visible)
            compare(badge.children[0].text, "2")
            // More arrive live than the badge has room for.
            for (let i = 0; i < 98; ++i)
                verify(Fixture.notify(Fixture.buyer, "announcement", { title: "Notice " + i, body: "" }) > 0)
            tryCompare(bell.notifications, "unreadCount", 100, 10000)
            compare(badge.children[0].text, "99+")
            bell.notifications.markAllRead()
            tryVerify(() => !badge.visible, 5000, "nothing unread")
            compare(Fixture.serverUnreadCount(Fixture.buyer), 0)
        }

        function test_clickOpensDropdown() {
            const bell = createBell()
            const dropdown = dropdownOf(bell)
            verify(!dropdown.visible)
            open(bell)
            const list = listOf(dropdown)
            compare(list.count, 3)
            compare(rowAt(list, 0).title, "New message from Bob Seller")
            compare(rowAt(list, 1).title, "You were outbid on " + domainName + ": now $1,100.00")
            compare(rowAt(list, 2).title, "You won shop.io for $2,500.00")
            verify(rowAt(list, 2).read)
            mouseClick(bell)
            tryCompare(dropdown, "visible", false)
        }

        function test_clickRowMarksReadAndActivates() {
            const bell = createBell()
            const spy = createTemporaryObject(spyComponent, root, { target: bell, signalName: "activated" })
            const dropdown = open(bell)
            const list = listOf(dropdown)
            const row = rowAt(list, 1)
            compare(row.type, "bid.outbid")
            verify(!row.read)
            mouseClick(row)
            compare(spy.count, 1)
            compare(spy.signalArguments[0][0], "bid.outbid")
            compare(spy.signalArguments[0][1].domain_id, auctionId)
            tryCompare(dropdown, "visible", false)
            // Marked read on the server, and the bell follows.
            tryCompare(badgeOf(bell), "count", 1, 5000)
            compare(Fixture.serverUnreadCount(Fixture.buyer), 1)
            verify(rowAt(list, 1).read, "the outbid row")
            verify(!rowAt(list, 0).read, "the message row")
        }

        function test_markAllRead() {
            const bell = createBell()
            const dropdown = open(bell)
            const button = findChild(dropdown.contentItem, "markAllButton")
            verify(button)
            verify(button.enabled)
            mouseClick(button)
            tryVerify(() => !badgeOf(bell).visible, 5000, "nothing unread")
            compare(Fixture.serverUnreadCount(Fixture.buyer), 0)
            verify(!button.enabled, "nothing left to mark")
        }

        function test_escapeCloses() {
            const bell = createBell()
            const dropdown = open(bell)
            keyClick(Qt.Key_Escape)
            tryCompare(dropdown, "visible", false)
            verify(!bell.open)
        }

        function test_enterOnRowActivates() {
            const bell = createBell()
            const spy = createTemporaryObject(spyComponent, root, { target: bell, signalName: "activated" })
            const dropdown = open(bell)
            const list = listOf(dropdown)
            tryCompare(list, "activeFocus", true)
            keyClick(Qt.Key_Return)
            compare(spy.count, 1)
            compare(spy.signalArguments[0][0], "message.received")
            compare(spy.signalArguments[0][1].from_user_id, Fixture.seller.userId)
            // The message row (the newest) is marked read on the server.
            tryCompare(Fixture.buyer.notifications, "unreadCount", 1, 5000)
            compare(Fixture.serverUnreadCount(Fixture.buyer), 1)
            verify(rowAt(list, 0).read)
        }

        function test_layoutFits() {
            const bell = createBell()
            verify(Fixture.notify(Fixture.buyer, "announcement", {
                title: "A very long announcement title that goes on and on about scheduled maintenance this weekend and what it means for your running auctions",
                body: "" }) > 0)
            tryCompare(bell.notifications, "unreadCount", 3, 5000)
            const dropdown = open(bell)
            waitForRendering(dropdown.contentItem)
            verify(dropdown.x + bell.x >= 0, "dropdown inside the window")
            const problems = layoutCheck.overflows(dropdown.contentItem)
            compare(problems, [], problems.join("\n"))
        }
    }
}
