// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import FlippDeal.Core
import FlippDeal.Style

// One message (a row of MessageModel). The body is always plain text: markup sent by anyone is
// shown, never run.
Item {
    id: bubble
    required property int messageId
    required property string body
    required property bool fromMe
    required property date createdAt
    required property bool read
    required property int status // Outbox.Delivery
    required property string errorText
    signal retryRequested()
    signal discardRequested()

    implicitHeight: column.implicitHeight + Theme.spacing
    Accessible.role: Accessible.StaticText
    Accessible.name: (fromMe ? qsTr("You: ") : "") + body

    ColumnLayout {
        id: column
        spacing: 2
        anchors.top: parent.top
        anchors.left: bubble.fromMe ? undefined : parent.left
        anchors.right: bubble.fromMe ? parent.right : undefined
        anchors.leftMargin: Theme.spacing
        anchors.rightMargin: Theme.spacing
        // Wide enough for the status row too (a failed message's Retry and Discard), or the
        // row sticks out of the column, and off the view for one's own messages.
        width: Math.min(Math.max(bodyText.implicitWidth + 2 * Theme.spacing + 4, statusRow.implicitWidth),
                        bubble.width * 0.75)

        Rectangle {
            Layout.fillWidth: true
            Layout.alignment: bubble.fromMe ? Qt.AlignRight : Qt.AlignLeft
            implicitHeight: bodyText.implicitHeight + Theme.spacing * 1.5
            radius: Theme.radius * 1.5
            color: bubble.fromMe ? Theme.bubbleMine : Theme.bubbleTheirs
            opacity: bubble.status === Outbox.Sent ? 1.0 : 0.7
            border.width: bubble.status === Outbox.Failed ? 2 : 0
            border.color: Theme.danger

            TextEdit {
                id: bodyText
                objectName: "bodyText"
                anchors.fill: parent
                anchors.margins: Theme.spacing * 0.75
                text: bubble.body
                textFormat: TextEdit.PlainText
                readOnly: true
                selectByMouse: true
                wrapMode: Text.Wrap
                color: bubble.fromMe ? Theme.accentText : Theme.text
                selectedTextColor: Theme.accentText
                selectionColor: Theme.accent
                font.pixelSize: Theme.fontSize
            }
        }

        RowLayout {
            id: statusRow
            Layout.alignment: bubble.fromMe ? Qt.AlignRight : Qt.AlignLeft
            spacing: 4
            Label {
                objectName: "statusLabel"
                text: {
                    switch (bubble.status) {
                    case Outbox.Queued: return qsTr("Waiting for the connection…")
                    case Outbox.Sending: return qsTr("Sending…")
                    case Outbox.Failed: return qsTr("Not sent: %1").arg(bubble.errorText)
                    default: return Theme.shortTime(bubble.createdAt)
                    }
                }
                textFormat: Text.PlainText
                color: bubble.status === Outbox.Failed ? Theme.danger : Theme.textMuted
                font.pixelSize: Theme.smallFontSize
                wrapMode: Text.Wrap
                Layout.maximumWidth: bubble.width * 0.6
            }
            Icon {
                visible: bubble.fromMe && bubble.status === Outbox.Sent
                iconName: bubble.read ? "check-double" : "check"
                size: 14
                color: bubble.read ? Theme.accent : Theme.textMuted
                Accessible.name: bubble.read ? qsTr("Read") : qsTr("Delivered")
            }
            Icon {
                visible: bubble.status === Outbox.Queued || bubble.status === Outbox.Sending
                iconName: "clock"
                size: 14
                color: Theme.textMuted
            }
            Button {
                objectName: "retryButton"
                visible: bubble.status === Outbox.Failed
                text: qsTr("Retry")
                flat: true
                onClicked: bubble.retryRequested()
            }
            Button {
                visible: bubble.status === Outbox.Failed
                text: qsTr("Discard")
                flat: true
                onClicked: bubble.discardRequested()
            }
        }
    }
}
