// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls

// The one main action of a form (Sign in, Place bid): accent-filled, dimmed while disabled.
Button {
    id: primary
    focusPolicy: Qt.StrongFocus
    contentItem: Text {
        text: primary.text
        font: primary.font
        color: Theme.accentText
        horizontalAlignment: Text.AlignHCenter
        verticalAlignment: Text.AlignVCenter
        elide: Text.ElideRight
    }
    background: Rectangle {
        implicitWidth: 100
        implicitHeight: 40
        radius: Theme.radius
        color: primary.down ? Qt.darker(Theme.accent, 1.2)
                            : primary.hovered ? Qt.lighter(Theme.accent, 1.1) : Theme.accent
        opacity: primary.enabled ? 1.0 : 0.45
        border.width: primary.visualFocus ? 2 : 0
        border.color: Theme.text
    }
}
