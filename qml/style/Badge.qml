// SPDX-License-Identifier: MIT
import QtQuick

// A count pill ("3", "99+"); hidden at zero.
Rectangle {
    id: badge
    property int count: 0
    property color fill: Theme.danger

    visible: count > 0
    implicitHeight: 18
    implicitWidth: Math.max(implicitHeight, label.implicitWidth + 10)
    radius: height / 2
    color: fill
    Accessible.role: Accessible.StaticText
    Accessible.name: qsTr("%n unread", "", count)

    Text {
        id: label
        anchors.centerIn: parent
        text: badge.count > 99 ? "99+" : badge.count
        color: "#ffffff"
        font.pixelSize: 11
        font.bold: true
    }
}
