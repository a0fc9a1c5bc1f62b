// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtTest
import FlippDeal.Notifications

// The TestCase item itself is invisible: components are created in this visible root.
Item {
    id: root
    width: 800
    height: 600

    TestCase {
        id: testCase
        name: "NotificationBell"
        when: windowShown

        Component { id: notificationsComponent; StandInNotifications {} }
        // Top right, as in the window's header.
        Component { id: bellComponent; NotificationBell { x: 800 - width - 8; y: 8 } }
        Component { id: spyComponent; SignalSpy {} }
        LayoutCheck { id: layoutCheck }

        function createBell() {
            const notifications = createTemporaryObject(notificationsComponent, root)
            verify(notifications)
            notifications.addNotification(11, "message.received", "Bob: is it still for sale?",
                                          { fromUserId: 2, domainId: 5 }, false)
            notifications.addNotification(12, "bid.outbid", "You were outbid on example.com",
                                          { domainId: 42 }, false)
            notifications.addNotification(13, "auction.won", "You won shop.io", { domainId: 7 }, true)
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

        function test_badge() {
            const bell = createBell()
            const badge = badgeOf(bell)
            compare(bell.notifications.unreadCount, 2)
            compare(badge.count, 2)
            verify(badge.visible)
            compare(badge.children[0].text, "2")
            bell.notifications.unreadCount = 150
            compare(badge.children[0].text, "99+")
            bell.notifications.unreadCount = 0
            verify(!badge.visible)
        }

        function test_clickOpensDropdown() {
            const bell = createBell()
            const dropdown = dropdownOf(bell)
            verify(!dropdown.visible)
            open(bell)
            const list = listOf(dropdown)
            compare(list.count, 3)
            mouseClick(bell)
            tryCompare(dropdown, "visible", false)
        }

        function test_clickRowMarksReadAndActivates() {
            const bell = createBell()
            const spy = createTemporaryObject(spyComponent, root, { target: bell, signalName: "activated" })
            const dropdown = open(bell)
            const list = listOf(dropdown)
            tryVerify(() => list.itemAtIndex(1) !== null)
            const row = list.itemAtIndex(1)
            compare(row.notificationId, 12)
            mouseClick(row)
            compare(bell.notifications.markReadCalls, [12])
            compare(spy.count, 1)
            compare(spy.signalArguments[0][0], "bid.outbid")
            compare(spy.signalArguments[0][1].domainId, 42)
            tryCompare(dropdown, "visible", false)
            compare(badgeOf(bell).count, 1)
        }

        function test_markAllRead() {
            const bell = createBell()
            const dropdown = open(bell)
            const button = findChild(dropdown.contentItem, "markAllButton")
            verify(button)
            verify(button.enabled)
            mouseClick(button)
            compare(bell.notifications.markAllReadCount, 1)
            verify(!badgeOf(bell).visible)
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
            compare(bell.notifications.markReadCalls, [11])
        }

        function test_layoutFits() {
            const bell = createBell()
            bell.notifications.addNotification(14, "announcement",
                "A very long announcement title that goes on and on about scheduled maintenance this weekend and what it means for your running auctions",
                {}, false)
            const dropdown = open(bell)
            waitForRendering(dropdown.contentItem)
            verify(dropdown.x + bell.x >= 0, "dropdown inside the window")
            const problems = layoutCheck.overflows(dropdown.contentItem)
            compare(problems, [], problems.join("\n"))
        }
    }
}
