// SPDX-License-Identifier: MIT
import QtQuick
import QtTest
import FlippDeal.Core
import FlippDeal.Style

// The TestCase item itself is invisible: components are created in this visible root.
Item {
    id: root
    width: 800
    height: 600

    TestCase {
        id: testCase
        name: "Theme"
        when: windowShown

        Component { id: imageComponent; Image {} }

        function cleanup() {
            Theme.scheme = AppContext.System
        }

        function test_formatMoney_data() {
            return [
                { tag: "zero", cents: 0, text: "$0.00" },
                { tag: "cents", cents: 5, text: "$0.05" },
                { tag: "ten cents", cents: 10, text: "$0.10" },
                { tag: "one dollar", cents: 100, text: "$1.00" },
                { tag: "hundreds", cents: 99999, text: "$999.99" },
                { tag: "thousands", cents: 123456, text: "$1,234.56" },
                { tag: "million", cents: 100000000, text: "$1,000,000.00" },
                { tag: "negative", cents: -123456, text: "-$1,234.56" },
                { tag: "negative cents", cents: -5, text: "-$0.05" },
            ]
        }
        function test_formatMoney(data) {
            compare(Theme.formatMoney(data.cents), data.text)
        }

        function test_parseMoney_data() {
            return [
                { tag: "grouped, one decimal", text: "1,234.5", cents: 123450 },
                { tag: "dollar sign", text: "$1234.50", cents: 123450 },
                { tag: "whole", text: "12", cents: 1200 },
                { tag: "spaces", text: "  $ 1,234.56 ", cents: 123456 },
                { tag: "cents only", text: "0.05", cents: 5 },
                { tag: "millions", text: "1,000,000", cents: 100000000 },
                { tag: "13 digits", text: "9999999999999", cents: 999999999999900 },
                { tag: "bad grouping", text: "1,23", cents: -1 },
                { tag: "bad grouping 4", text: "1,2345", cents: -1 },
                { tag: "letters", text: "abc", cents: -1 },
                { tag: "empty", text: "", cents: -1 },
                { tag: "three decimals", text: "1.234", cents: -1 },
                { tag: "trailing dot", text: "12.", cents: -1 },
                { tag: "negative", text: "-5", cents: -1 },
                { tag: "huge", text: "99999999999999", cents: -1 },
                { tag: "huge grouped", text: "100,000,000,000,000.00", cents: -1 },
            ]
        }
        function test_parseMoney(data) {
            compare(Theme.parseMoney(data.text), data.cents)
        }

        function test_formatParseRoundTrip() {
            for (const cents of [0, 1, 99, 100, 155500, 123456789])
                compare(Theme.parseMoney(Theme.formatMoney(cents)), cents, "round trip of " + cents)
        }

        function test_colorFor() {
            const names = ["Alice Buyer", "Bob Seller", "Carol Bidder", "Dave", "Eve", "Frank", "", "Zoë"]
            const seen = {}
            for (const name of names) {
                const c = Theme.colorFor(name)
                verify(/^#[0-9a-f]{6}$/.test(c), "colour of " + JSON.stringify(name) + ": " + c)
                compare(Theme.colorFor(name), c, "stable for " + JSON.stringify(name))
                seen[c] = true
            }
            verify(Object.keys(seen).length >= 3, "names spread over several colours")
            // Pinned: avatars keep their colour from one version to the next.
            compare(Theme.colorFor(""), "#0969da")
            compare(Theme.colorFor("a"), ["#0969da", "#8250df", "#bf3989", "#1a7f37", "#9a6700",
                                          "#bc4c00", "#0a7f86"][97 % 7])
        }

        function test_darkScheme() {
            Theme.scheme = AppContext.Dark
            verify(Theme.dark)
            verify(Qt.colorEqual(Theme.background, "#0d1117"), "dark background " + Theme.background)
            verify(Qt.colorEqual(Theme.text, "#e6edf3"))
            verify(Qt.colorEqual(Theme.bubbleMine, Theme.accent))
            Theme.scheme = AppContext.Light
            verify(!Theme.dark)
            verify(Qt.colorEqual(Theme.background, "#f6f8fa"), "light background " + Theme.background)
            verify(Qt.colorEqual(Theme.text, "#1f2328"))
        }

        function test_shortTime() {
            compare(Theme.shortTime(undefined), "")
            compare(Theme.shortTime(new Date(NaN)), "")
            const today = new Date()
            today.setHours(9, 5, 0, 0)
            compare(Theme.shortTime(today), "09:05")
            const old = new Date(2023, 2, 7, 15, 30)
            compare(Theme.shortTime(old), Qt.formatDate(old, "d MMM"))
            verify(Theme.shortTime(old).startsWith("7 "))
        }

        function test_icon() {
            compare(Theme.icon("bell"), "qrc:/icons/bell.svg")
            const image = createTemporaryObject(imageComponent, root, { source: Theme.icon("bell") })
            verify(image)
            tryCompare(image, "status", Image.Ready)
        }
    }
}
