// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import FlippDeal.Style

// Notifications newest first; unread ones are bold with a dot. Clicking one marks it read and
// asks to open what it is about.
ListView {
    id: list
    signal activated(int notificationId, string type, var payload)

    clip: true
    keyNavigationEnabled: true
    activeFocusOnTab: true
    boundsBehavior: Flickable.StopAtBounds
    ScrollBar.vertical: ScrollBar {}

    function iconFor(type) {
        if (type === "message.received") return "chat"
        if (type.startsWith("bid.") || type.startsWith("auction.")) return type === "auction.won" ? "trophy" : "gavel"
        if (type.startsWith("offer.")) return "tag"
        if (type.startsWith("escrow.") || type.startsWith("payout.")) return "escrow"
        if (type === "announcement") return "megaphone"
        return "bell"
    }

    Label {
        anchors.centerIn: parent
        visible: list.count === 0
        text: qsTr("You're all caught up.")
        color: Theme.textMuted
    }

    delegate: ItemDelegate {
        id: row
        required property int index
        required property int notificationId
        required property string type
        required property string title
        required property var payload // the notification's JSON object
        required property date createdAt
        required property bool read
        readonly property NotificationList notifications: ListView.view as NotificationList

        width: ListView.view.width
        Accessible.name: title + (read ? "" : ", " + qsTr("unread"))
        onClicked: notifications.activated(notificationId, type, payload)
        Keys.onReturnPressed: clicked()
        background: Rectangle {
            color: row.hovered || row.activeFocus ? Theme.surfaceAlt : (row.read ? "transparent" : Theme.selection)
        }
        contentItem: RowLayout {
            spacing: Theme.spacing
            Icon {
                iconName: row.notifications.iconFor(row.type)
                color: row.read ? Theme.textMuted : Theme.accent
                Layout.alignment: Qt.AlignTop
            }
            ColumnLayout {
                Layout.fillWidth: true
                spacing: 2
                Label {
                    Layout.fillWidth: true
                    text: row.title
                    textFormat: Text.PlainText
                    wrapMode: Text.Wrap
                    maximumLineCount: 2
                    elide: Text.ElideRight
                    font.bold: !row.read
                    color: Theme.text
                }
                Label {
                    text: Theme.shortTime(row.createdAt)
                    color: Theme.textMuted
                    font.pixelSize: Theme.smallFontSize
                }
            }
            Rectangle {
                visible: !row.read
                width: 8; height: 8; radius: 4
                color: Theme.accent
                Layout.alignment: Qt.AlignVCenter
            }
        }
    }
}
