// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import FlippDeal.Core
import FlippDeal.Style

// An open conversation: messages growing at the bottom, older pages loaded when scrolled to the
// top, a typing line, and the composer (Enter sends, Shift+Enter breaks the line).
Rectangle {
    id: view
    required property MessageModel messages
    readonly property string title: messages ? messages.otherName : ""
    readonly property bool peerTyping: messages ? messages.peerTyping : false
    property alias draft: composer.text
    signal sendRequested(string text)

    color: Theme.surface

    function send() {
        const text = composer.text.trim()
        if (text === "" || !view.messages)
            return
        if (view.messages.send(text))
            composer.clear()
        list.positionViewAtEnd()
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

        // Header
        Rectangle {
            Layout.fillWidth: true
            implicitHeight: 56
            color: Theme.surface
            RowLayout {
                anchors.fill: parent
                anchors.leftMargin: 2 * Theme.spacing
                anchors.rightMargin: 2 * Theme.spacing
                spacing: Theme.spacing
                Avatar { name: view.title; size: 32 }
                ColumnLayout {
                    spacing: 0
                    Layout.fillWidth: true
                    Label {
                        Layout.fillWidth: true
                        text: view.title
                        textFormat: Text.PlainText
                        font.bold: true
                        font.pixelSize: Theme.fontSize + 1
                        color: Theme.text
                        elide: Text.ElideRight
                    }
                    Label {
                        objectName: "typingLabel"
                        text: view.peerTyping ? qsTr("typing…") : (view.messages && view.messages.domainId > 0 ? qsTr("About domain #%1").arg(view.messages.domainId) : " ")
                        color: view.peerTyping ? Theme.accent : Theme.textMuted
                        font.pixelSize: Theme.smallFontSize
                        font.italic: view.peerTyping
                    }
                }
            }
            Rectangle { anchors.bottom: parent.bottom; width: parent.width; height: 1; color: Theme.border }
        }

        ListView {
            id: list
            objectName: "messageList"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            model: view.messages
            spacing: 2
            topMargin: Theme.spacing
            bottomMargin: Theme.spacing
            boundsBehavior: Flickable.StopAtBounds
            ScrollBar.vertical: ScrollBar {}
            property bool stickToEnd: true
            onMovementEnded: stickToEnd = atYEnd
            onCountChanged: if (stickToEnd) toEnd.restart()
            // The older page is asked for half a screen before the top, so it is usually there by
            // the time the top is: and a wheel flick that ListView ends a pixel short of the top
            // (it does, with rows of varying height) still loads it.
            readonly property bool nearTop: contentY < originY - topMargin + height / 2
            onNearTopChanged: if (nearTop && view.messages && view.messages.canLoadOlder && count > 0) view.messages.loadOlder()

            // After the new rows are laid out (what Qt.callLater would do).
            Timer { id: toEnd; interval: 0; onTriggered: list.positionViewAtEnd() }

            header: Item {
                readonly property MessageModel messages: ListView.view.model as MessageModel
                width: ListView.view.width
                height: messages && messages.loading ? 40 : 0
                BusyIndicator { anchors.centerIn: parent; running: parent.height > 0; height: 32; width: 32 }
            }

            delegate: MessageBubble {
                id: message
                readonly property MessageModel messages: ListView.view.model as MessageModel
                width: ListView.view.width
                onRetryRequested: message.messages.retry(message.messageId)
                onDiscardRequested: message.messages.discard(message.messageId)
            }

            Label {
                anchors.centerIn: parent
                visible: list.count === 0 && !(view.messages && view.messages.loading)
                text: qsTr("No messages yet. Say hello!")
                color: Theme.textMuted
            }
        }

        // Composer
        Rectangle {
            Layout.fillWidth: true
            implicitHeight: Math.min(160, composer.implicitHeight + 2 * Theme.spacing)
            color: Theme.surface
            Rectangle { anchors.top: parent.top; width: parent.width; height: 1; color: Theme.border }
            RowLayout {
                anchors.fill: parent
                anchors.margins: Theme.spacing
                spacing: Theme.spacing
                ScrollView {
                    Layout.fillWidth: true
                    Layout.fillHeight: true
                    TextArea {
                        id: composer
                        objectName: "composer"
                        placeholderText: qsTr("Write a message…")
                        wrapMode: TextEdit.Wrap
                        textFormat: TextEdit.PlainText
                        color: Theme.text
                        placeholderTextColor: Theme.textMuted
                        background: Rectangle {
                            radius: Theme.radius
                            color: Theme.surfaceAlt
                            border.color: composer.activeFocus ? Theme.accent : Theme.border
                        }
                        Accessible.name: qsTr("Message")
                        onTextChanged: if (text.length > 0 && view.messages) view.messages.noteTyping()
                        Keys.onReturnPressed: (event) => {
                            if (event.modifiers & Qt.ShiftModifier) {
                                event.accepted = false
                            } else {
                                view.send()
                                event.accepted = true
                            }
                        }
                        Keys.onEnterPressed: (event) => { view.send(); event.accepted = true }
                    }
                }
                IconButton {
                    objectName: "sendButton"
                    iconName: "send"
                    tip: qsTr("Send (Enter)")
                    enabled: composer.text.trim().length > 0
                    onClicked: view.send()
                }
            }
        }
    }

    function focusComposer() { composer.forceActiveFocus() }
}
