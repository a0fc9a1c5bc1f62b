// SPDX-License-Identifier: MIT
pragma Singleton
import QtQuick
import FlippDeal.Core

// The one place for colours, sizes and formatting. `scheme` is an AppContext.ColorScheme;
// AppContext.System follows the desktop's palette.
QtObject {
    id: theme

    property int scheme: AppContext.System
    readonly property SystemPalette systemPalette: SystemPalette {}
    readonly property bool dark: scheme === AppContext.Dark
                                 || (scheme === AppContext.System && systemPalette.window.hslLightness < 0.5)

    readonly property color background: dark ? "#0d1117" : "#f6f8fa"
    readonly property color surface: dark ? "#161b22" : "#ffffff"
    readonly property color surfaceAlt: dark ? "#21262d" : "#eef1f4"
    readonly property color selection: dark ? "#1c2d4a" : "#ddf4ff"
    readonly property color border: dark ? "#30363d" : "#d0d7de"
    readonly property color text: dark ? "#e6edf3" : "#1f2328"
    readonly property color textMuted: dark ? "#8d96a0" : "#59636e"
    readonly property color accent: dark ? "#2f81f7" : "#0969da"
    readonly property color accentText: "#ffffff"
    readonly property color success: dark ? "#3fb950" : "#1a7f37"
    readonly property color danger: dark ? "#f85149" : "#cf222e"
    readonly property color warning: dark ? "#d29922" : "#9a6700"
    readonly property color bubbleMine: accent
    readonly property color bubbleTheirs: surfaceAlt

    readonly property int spacing: 8
    readonly property int radius: 8
    readonly property int fontSize: 14
    readonly property int smallFontSize: 12
    readonly property int titleFontSize: 18
    readonly property int heroFontSize: 34

    function icon(name) {
        return "qrc:/icons/" + name + ".svg"
    }

    // Whole cents to "$1,234.56"; integers only, never floating-point arithmetic on money.
    function formatMoney(cents) {
        const negative = cents < 0
        const abs = Math.abs(Math.round(cents))
        const digits = Math.floor(abs / 100).toString()
        let dollars = ""
        for (let i = 0; i < digits.length; ++i) {
            if (i > 0 && (digits.length - i) % 3 === 0)
                dollars += ","
            dollars += digits[i]
        }
        const rest = (abs % 100).toString().padStart(2, "0")
        return (negative ? "-$" : "$") + dollars + "." + rest
    }

    // "1,234.5", "$1234.50" or "1234" to cents; -1 when it is not an amount.
    function parseMoney(text) {
        const match = /^\s*\$?\s*(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?\s*$/.exec(text)
        if (!match)
            return -1
        const whole = match[1].replace(/,/g, "")
        if (whole.length > 13)
            return -1
        const fraction = ((match[2] || "") + "00").substring(0, 2)
        return parseInt(whole, 10) * 100 + parseInt(fraction, 10)
    }

    // A clock time for today, otherwise a short date.
    function shortTime(date) {
        if (!date || isNaN(date.getTime()))
            return ""
        const now = new Date()
        if (date.toDateString() === now.toDateString())
            return Qt.formatTime(date, "hh:mm")
        return Qt.formatDate(date, "d MMM")
    }

    // A stable colour per name, for avatars.
    function colorFor(name) {
        const palette = ["#0969da", "#8250df", "#bf3989", "#1a7f37", "#9a6700", "#bc4c00", "#0a7f86"]
        let hash = 0
        for (let i = 0; i < name.length; ++i)
            hash = (hash * 31 + name.charCodeAt(i)) >>> 0
        return palette[hash % palette.length]
    }
}
