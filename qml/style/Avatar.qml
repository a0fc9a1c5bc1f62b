// SPDX-License-Identifier: MIT
import QtQuick

// Initials on a colour derived from the name.
Rectangle {
    property string name: ""
    property int size: 36
    implicitWidth: size
    implicitHeight: size
    radius: size / 2
    color: Theme.colorFor(name)

    Text {
        anchors.centerIn: parent
        text: {
            const parts = parent.name.trim().split(/\s+/).filter(p => p.length > 0)
            if (parts.length === 0)
                return "?"
            return (parts[0][0] + (parts.length > 1 ? parts[parts.length - 1][0] : "")).toUpperCase()
        }
        color: "#ffffff"
        font.pixelSize: parent.size * 0.4
        font.bold: true
    }
}
