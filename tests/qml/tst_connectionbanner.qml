// SPDX-License-Identifier: MIT
import QtQuick
import QtTest
import FlippDeal.Session

// The TestCase item itself is invisible: components are created in this visible root.
Item {
    id: root
    width: 800
    height: 600

    TestCase {
        id: testCase
        name: "ConnectionBanner"
        when: windowShown

        Component { id: bannerComponent; ConnectionBanner { width: 800 } }
        LayoutCheck { id: layoutCheck }

        function label(banner) {
            const item = findChild(banner, "bannerLabel")
            verify(item)
            return item
        }

        function test_hiddenWhileConnected() {
            const banner = createTemporaryObject(bannerComponent, root)
            verify(!banner.visible)
            banner.connectionState = "connecting"
            verify(!banner.visible, "the first connection shows no banner")
            banner.connectionState = "connected"
            verify(!banner.visible)
            compare(banner.implicitHeight, 0)
        }

        function test_unavailable() {
            const banner = createTemporaryObject(bannerComponent, root)
            banner.connectionState = "connected"
            banner.connectionState = "unavailable"
            verify(banner.visible)
            verify(banner.implicitHeight > 0)
            compare(label(banner).text, "Offline. Reconnecting…")
            banner.pendingCount = 3
            compare(label(banner).text,
                    "Offline. Reconnecting… 3 message(s) will be sent when the connection is back.")
            banner.connectionState = "connecting"
            verify(banner.visible, "still down while reconnecting")
        }

        function test_backOnlineThenHides() {
            const banner = createTemporaryObject(bannerComponent, root)
            banner.connectionState = "connected"
            banner.connectionState = "unavailable"
            banner.connectionState = "connecting"
            banner.connectionState = "connected"
            verify(banner.visible)
            verify(banner.backOnline)
            compare(label(banner).text, "Back online. Everything is up to date.")
            wait(1500)
            verify(banner.visible, "shown for a while")
            tryCompare(banner, "visible", false, 3000)
            compare(banner.implicitHeight, 0)
        }

        function test_layoutFits() {
            const banner = createTemporaryObject(bannerComponent, root, { width: 800 })
            banner.connectionState = "connected"
            banner.connectionState = "unavailable"
            banner.pendingCount = 12
            banner.height = banner.implicitHeight
            waitForRendering(banner)
            const problems = layoutCheck.overflows(banner)
            compare(problems, [], problems.join("\n"))
        }
    }
}
