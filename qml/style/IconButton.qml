// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls

// A flat tool button with a themed icon, a tooltip and an optional count badge.
ToolButton {
    id: button
    property string iconName
    property string tip
    property int badgeCount: 0

    icon.source: iconName ? Theme.icon(iconName) : ""
    icon.color: Theme.text
    icon.width: 20
    icon.height: 20
    display: text ? AbstractButton.TextBesideIcon : AbstractButton.IconOnly
    palette.buttonText: Theme.text
    Accessible.name: tip || text
    ToolTip.visible: tip && hovered
    ToolTip.text: tip
    ToolTip.delay: 600
    focusPolicy: Qt.StrongFocus

    Badge {
        count: button.badgeCount
        anchors.right: parent.right
        anchors.top: parent.top
        anchors.rightMargin: 2
        anchors.topMargin: 2
    }
}
