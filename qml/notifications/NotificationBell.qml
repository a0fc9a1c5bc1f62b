// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import FlippDeal.Core
import FlippDeal.Style

// The bell with the unread count and its dropdown of the C++ NotificationModel.
IconButton {
    id: bell
    required property NotificationModel notifications
    readonly property alias open: dropdown.visible
    signal activated(string type, var payload)

    iconName: "bell"
    tip: qsTr("Notifications")
    badgeCount: notifications ? notifications.unreadCount : 0
    Accessible.name: qsTr("Notifications, %n unread", "", badgeCount)
    onClicked: dropdown.visible ? dropdown.close() : dropdown.open()

    function openDropdown() { dropdown.open() }
    function closeDropdown() { dropdown.close() }

    Popup {
        id: dropdown
        objectName: "bellDropdown"
        y: bell.height + 4
        x: Math.min(0, bell.width - width)
        width: Math.min(380, bell.Window.window ? bell.Window.window.width - 16 : 380)
        height: Math.min(480, bell.Window.window ? bell.Window.window.height - 80 : 480)
        padding: 0
        focus: true
        closePolicy: Popup.CloseOnEscape | Popup.CloseOnPressOutsideParent
        onOpened: list.forceActiveFocus()
        background: Rectangle {
            color: Theme.surface
            border.color: Theme.border
            radius: Theme.radius
        }

        ColumnLayout {
            anchors.fill: parent
            spacing: 0
            RowLayout {
                Layout.fillWidth: true
                Layout.margins: Theme.spacing
                Label {
                    Layout.fillWidth: true
                    text: qsTr("Notifications")
                    font.bold: true
                    font.pixelSize: Theme.fontSize + 1
                    color: Theme.text
                }
                Button {
                    objectName: "markAllButton"
                    text: qsTr("Mark all read")
                    flat: true
                    enabled: bell.badgeCount > 0
                    onClicked: bell.notifications.markAllRead()
                }
            }
            Rectangle { Layout.fillWidth: true; height: 1; color: Theme.border }
            NotificationList {
                id: list
                objectName: "notificationList"
                Layout.fillWidth: true
                Layout.fillHeight: true
                model: bell.notifications
                onActivated: (notificationId, type, payload) => {
                    bell.notifications.markRead(notificationId)
                    dropdown.close()
                    bell.activated(type, payload)
                }
            }
        }
    }
}
