// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import FlippDeal.Style

// Live auctions, soonest to end first.
ListView {
    id: list
    property int currentDomainId: 0
    signal activated(int domainId)

    clip: true
    keyNavigationEnabled: true
    activeFocusOnTab: true
    boundsBehavior: Flickable.StopAtBounds
    ScrollBar.vertical: ScrollBar {}

    Label {
        anchors.centerIn: parent
        width: parent.width - 4 * Theme.spacing
        visible: list.count === 0
        text: qsTr("No live auctions right now.")
        color: Theme.textMuted
        wrapMode: Text.Wrap
        horizontalAlignment: Text.AlignHCenter
    }

    delegate: ItemDelegate {
        id: row
        required property int index
        required property int domainId
        required property string name
        required property double currentBidCents
        required property int bidCount
        required property date endsAt
        readonly property AuctionList auctions: ListView.view as AuctionList

        width: ListView.view.width
        onClicked: {
            auctions.currentIndex = index
            auctions.activated(domainId)
        }
        Keys.onReturnPressed: clicked()
        background: Rectangle {
            color: row.domainId === row.auctions.currentDomainId ? Theme.selection
                                                         : row.hovered ? Theme.surfaceAlt : "transparent"
        }
        contentItem: RowLayout {
            spacing: Theme.spacing
            Icon { iconName: "gavel"; color: Theme.accent }
            ColumnLayout {
                Layout.fillWidth: true
                spacing: 2
                Label {
                    Layout.fillWidth: true
                    text: row.name
                    textFormat: Text.PlainText
                    font.bold: true
                    color: Theme.text
                    elide: Text.ElideRight
                }
                Label {
                    Layout.fillWidth: true
                    text: (row.bidCount > 0 ? Theme.formatMoney(row.currentBidCents) + " · " + qsTr("%n bid(s)", "", row.bidCount)
                                            : qsTr("No bids yet"))
                          + " · " + qsTr("ends %1").arg(Qt.formatTime(row.endsAt, "hh:mm"))
                    color: Theme.textMuted
                    font.pixelSize: Theme.smallFontSize
                    elide: Text.ElideRight
                }
            }
        }
    }
}
