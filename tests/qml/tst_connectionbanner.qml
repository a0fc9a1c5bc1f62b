// SPDX-License-Identifier: MIT
import QtQuick
import QtTest
import FlippDeal.Core
import FlippDeal.Session
import FlippDeal.Test

// The banner bound to a real client's connection and outbox, as the window binds it, while the
// real server goes away and comes back.
// The TestCase item itself is invisible: components are created in this visible root.
Item {
    id: root
    width: 800
    height: 600

    TestCase {
        id: testCase
        name: "ConnectionBanner"
        when: windowShown

        Component {
            id: bannerComponent
            ConnectionBanner {
                property var client
                width: 800
                connectionState: client.realtime.state
                pendingCount: client.outbox ? client.outbox.pendingCount : 0
            }
        }
        Component { id: spyComponent; SignalSpy {} }
        // Every state a realtime client passes through, even for a moment.
        Component {
            id: recorderComponent
            Connections {
                property var seen: []
                function onStateChanged() { seen = seen.concat([target.state]) }
            }
        }
        LayoutCheck { id: layoutCheck }

        function init() {
            verify(Fixture.reset())
        }

        function cleanup() {
            if (!Fixture.serverRunning())
                verify(Fixture.startServer())
        }

        function label(banner) {
            const item = findChild(banner, "bannerLabel")
            verify(item)
            return item
        }

        function createBanner(client) {
            const banner = createTemporaryObject(bannerComponent, root, { client: client })
            verify(banner)
            return banner
        }

        // Stops the server and waits until `client` knows it is offline (unavailable, or for a
        // moment connecting again).
        function goOffline(client) {
            verify(Fixture.stopServer())
            tryVerify(() => client.realtime.state === RealtimeClient.Unavailable
                             || client.realtime.state === RealtimeClient.Connecting, 10000,
                      "offline: " + client.realtime.state)
        }

        function test_hiddenWhileConnected() {
            const client = Fixture.createClient("Ann Buyer", false)
            const banner = createBanner(client)
            compare(client.realtime.state, RealtimeClient.Initialized)
            verify(!banner.visible)
            const shown = createTemporaryObject(spyComponent, root,
                                                { target: banner, signalName: "visibleChanged" })
            const states = createTemporaryObject(spyComponent, root,
                                                 { target: client.realtime, signalName: "stateChanged" })
            verify(Fixture.signIn(client))
            compare(client.realtime.state, RealtimeClient.Connected)
            verify(states.count >= 2, "connecting, then connected")
            compare(shown.count, 0, "the first connection shows no banner")
            verify(!banner.visible)
            compare(banner.implicitHeight, 0)
            // The client goes at the next reset; the spies (destroyed later) must not hear it.
            states.target = null
            shown.target = null
        }

        function test_unavailable() {
            const buyer = Fixture.buyer
            verify(Fixture.openConversation(buyer, Fixture.seller))
            const banner = createBanner(buyer)
            verify(!banner.visible)
            goOffline(buyer)
            verify(banner.visible)
            verify(banner.implicitHeight > 0)
            compare(label(banner).text, "Offline. Reconnecting…")
            // Typed while offline: they wait in the outbox.
            for (const text of ["one", "two", "three"])
                verify(buyer.messages.send(text))
            compare(buyer.outbox.pendingCount, 3)
            compare(label(banner).text,
                    "Offline. Reconnecting… 3 message(s) will be sent when the connection is back.")
            // The client keeps trying: the banner stays while it reconnects.
            const hidden = createTemporaryObject(spyComponent, root,
                                                 { target: banner, signalName: "visibleChanged" })
            const states = createTemporaryObject(recorderComponent, root, { target: buyer.realtime })
            tryVerify(() => states.seen.indexOf(RealtimeClient.Connecting) >= 0
                            && states.seen.indexOf(RealtimeClient.Unavailable) >= 0, 5000,
                      "reconnecting: " + states.seen)
            states.target = null
            verify(banner.visible, "still down while reconnecting")
            compare(hidden.count, 0, "not hidden for a moment either")
            compare(Fixture.serverRunning(), false)
        }

        function test_backOnlineThenHides() {
            const buyer = Fixture.buyer
            verify(Fixture.openConversation(buyer, Fixture.seller))
            const banner = createBanner(buyer)
            goOffline(buyer)
            verify(buyer.messages.send("typed offline"))
            verify(Fixture.startServer())
            tryCompare(buyer.realtime, "state", RealtimeClient.Connected, 10000)
            verify(banner.visible)
            verify(banner.backOnline)
            compare(label(banner).text, "Back online. Everything is up to date.")
            // What was typed offline went out.
            tryCompare(buyer.outbox, "pendingCount", 0, 5000)
            tryVerify(() => Fixture.serverMessages(buyer, Fixture.seller).indexOf("typed offline") >= 0,
                      5000, "delivered after the reconnect")
            wait(1500)
            verify(banner.visible, "shown for a while")
            tryCompare(banner, "visible", false, 3000)
            compare(banner.implicitHeight, 0)
        }

        function test_layoutFits() {
            const buyer = Fixture.buyer
            verify(Fixture.openConversation(buyer, Fixture.seller))
            const banner = createBanner(buyer)
            goOffline(buyer)
            for (let i = 0; i < 12; ++i)
                verify(buyer.messages.send("message " + i))
            compare(banner.pendingCount, 12)
            banner.height = banner.implicitHeight
            waitForRendering(banner)
            const problems = layoutCheck.overflows(banner)
            compare(problems, [], problems.join("\n"))
        }
    }
}
