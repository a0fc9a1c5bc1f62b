// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls

// A top-level navigation tab: icon and label, underlined in the accent colour when current.
ToolButton {
    id: nav
    property string iconName
    property int badgeCount: 0
    property bool current: false

    checkable: false
    icon.source: iconName ? Theme.icon(iconName) : ""
    icon.color: current ? Theme.accent : Theme.textMuted
    icon.width: 20
    icon.height: 20
    font.bold: current
    palette.buttonText: current ? Theme.accent : Theme.textMuted
    focusPolicy: Qt.StrongFocus
    rightPadding: badge.visible ? badge.width + 8 : 8
    Accessible.role: Accessible.PageTab
    Accessible.name: text + (badgeCount > 0 ? ", " + qsTr("%n unread", "", badgeCount) : "")

    background: Rectangle {
        color: nav.hovered ? Theme.surfaceAlt : "transparent"
        radius: Theme.radius / 2
        Rectangle {
            anchors.bottom: parent.bottom
            width: parent.width
            height: 3
            color: Theme.accent
            visible: nav.current
        }
    }

    Badge {
        id: badge
        count: nav.badgeCount
        anchors.right: parent.right
        anchors.rightMargin: 4
        anchors.verticalCenter: parent.verticalCenter
    }
}
