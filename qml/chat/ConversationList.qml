// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import FlippDeal.Style

// The inbox: one row per (other user, domain) with the latest message and an unread badge.
ListView {
    id: list
    property int currentOtherUserId: 0
    property int currentDomainId: 0
    signal activated(int otherUserId, string otherName, int domainId)
    signal rowActivationRequested(int row)

    //! Selects `row` and opens it, as a click would.
    function activateRow(row) {
        currentIndex = row
        rowActivationRequested(row)
    }

    clip: true
    keyNavigationEnabled: true
    activeFocusOnTab: true
    boundsBehavior: Flickable.StopAtBounds
    ScrollBar.vertical: ScrollBar {}
    Accessible.role: Accessible.List
    Accessible.name: qsTr("Conversations")

    Label {
        anchors.centerIn: parent
        width: parent.width - 4 * Theme.spacing
        visible: list.count === 0
        text: qsTr("No conversations yet. Messages about your domains and bids appear here.")
        color: Theme.textMuted
        wrapMode: Text.Wrap
        horizontalAlignment: Text.AlignHCenter
    }

    delegate: ItemDelegate {
        id: row
        required property int index
        required property int otherUserId
        required property string otherName
        required property int domainId
        required property string lastBody
        required property bool lastFromMe
        required property date lastAt
        required property int unread
        readonly property ConversationList inbox: ListView.view as ConversationList
        readonly property bool selected: otherUserId === inbox.currentOtherUserId
                                         && domainId === inbox.currentDomainId

        width: ListView.view.width
        highlighted: ListView.isCurrentItem
        Accessible.name: otherName + (unread > 0 ? ", " + qsTr("%n unread", "", unread) : "")
        onClicked: {
            inbox.currentIndex = index
            inbox.activated(otherUserId, otherName, domainId)
        }
        Keys.onReturnPressed: clicked()
        Connections {
            target: row.inbox
            function onRowActivationRequested(which) {
                if (which === row.index)
                    row.clicked()
            }
        }

        background: Rectangle {
            color: row.selected ? Theme.selection : row.hovered ? Theme.surfaceAlt : "transparent"
        }

        contentItem: RowLayout {
            spacing: Theme.spacing
            Avatar { name: row.otherName; size: 36 }
            ColumnLayout {
                Layout.fillWidth: true
                spacing: 2
                RowLayout {
                    Layout.fillWidth: true
                    Label {
                        Layout.fillWidth: true
                        text: row.otherName
                        textFormat: Text.PlainText
                        font.bold: row.unread > 0
                        color: Theme.text
                        elide: Text.ElideRight
                    }
                    Label {
                        text: Theme.shortTime(row.lastAt)
                        color: Theme.textMuted
                        font.pixelSize: Theme.smallFontSize
                    }
                }
                RowLayout {
                    Layout.fillWidth: true
                    Label {
                        Layout.fillWidth: true
                        text: (row.lastFromMe ? qsTr("You: ") : "") + row.lastBody.replace(/\s+/g, " ")
                        textFormat: Text.PlainText
                        color: row.unread > 0 ? Theme.text : Theme.textMuted
                        elide: Text.ElideRight
                        font.pixelSize: Theme.smallFontSize
                    }
                    Label {
                        visible: row.domainId > 0
                        text: qsTr("Domain #%1").arg(row.domainId)
                        color: Theme.accent
                        font.pixelSize: Theme.smallFontSize
                    }
                    Badge { count: row.unread }
                }
            }
        }
    }
}
