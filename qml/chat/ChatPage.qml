// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import FlippDeal.Core
import FlippDeal.Style

// The inbox beside the open conversation. Below 700 px wide only one of the two shows.
Item {
    id: page
    required property ConversationModel conversations
    required property MessageModel messages
    readonly property bool narrow: width < 700
    readonly property bool hasConversation: messages !== null && messages.otherUserId > 0
    property alias draft: messageView.draft

    function open(otherUserId, otherName, domainId) {
        if (!page.messages)
            return
        page.messages.open(otherUserId, otherName, domainId)
        messageView.focusComposer()
    }

    function openAt(row) {
        if (!page.conversations || row < 0 || row >= inbox.count)
            return
        inbox.activateRow(row)
    }

    RowLayout {
        anchors.fill: parent
        spacing: 0

        ConversationList {
            id: inbox
            objectName: "conversationList"
            Layout.fillHeight: true
            Layout.preferredWidth: page.narrow ? page.width : Math.max(260, page.width * 0.32)
            visible: !page.narrow || !page.hasConversation
            model: page.conversations
            currentOtherUserId: page.messages ? page.messages.otherUserId : 0
            currentDomainId: page.messages ? page.messages.domainId : 0
            onActivated: (otherUserId, otherName, domainId) => page.open(otherUserId, otherName, domainId)
        }
        Rectangle {
            Layout.fillHeight: true
            width: 1
            color: Theme.border
            visible: !page.narrow
        }
        Item {
            Layout.fillWidth: true
            Layout.fillHeight: true
            visible: !page.narrow || page.hasConversation

            MessageView {
                id: messageView
                anchors.fill: parent
                visible: page.hasConversation
                messages: page.messages
            }
            Button {
                visible: page.narrow && page.hasConversation
                anchors.right: parent.right
                anchors.top: parent.top
                anchors.margins: Theme.spacing
                text: qsTr("All chats")
                flat: true
                onClicked: page.messages.close()
            }
            Label {
                anchors.centerIn: parent
                visible: !page.hasConversation
                text: qsTr("Choose a conversation")
                color: Theme.textMuted
                font.pixelSize: Theme.titleFontSize
            }
        }
    }

    Shortcut {
        sequence: "Esc"
        enabled: page.visible && page.hasConversation
        onActivated: page.messages.close()
    }
}
