// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import FlippDeal.Core
import FlippDeal.Style

// Live auctions beside the one being watched.
Item {
    id: page
    required property RecordListModel auctions
    required property AuctionController auction
    readonly property bool narrow: width < 700
    readonly property bool hasAuction: auction !== null && auction.domainId > 0
    signal refreshRequested()

    function open(domainId) {
        if (page.auction)
            page.auction.open(domainId)
    }

    RowLayout {
        anchors.fill: parent
        spacing: 0
        ColumnLayout {
            Layout.fillHeight: true
            Layout.fillWidth: page.narrow
            Layout.preferredWidth: page.narrow ? page.width : Math.max(240, page.width * 0.28)
            visible: !page.narrow || !page.hasAuction
            spacing: 0
            RowLayout {
                Layout.fillWidth: true
                Layout.margins: Theme.spacing
                Label {
                    Layout.fillWidth: true
                    text: qsTr("Live auctions")
                    font.bold: true
                    color: Theme.text
                }
                IconButton {
                    iconName: "retry"
                    tip: qsTr("Refresh")
                    onClicked: page.refreshRequested()
                }
            }
            AuctionList {
                objectName: "auctionList"
                Layout.fillWidth: true
                Layout.fillHeight: true
                model: page.auctions
                currentDomainId: page.auction ? page.auction.domainId : 0
                onActivated: (domainId) => page.open(domainId)
            }
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
            visible: !page.narrow || page.hasAuction
            AuctionView {
                anchors.fill: parent
                visible: page.hasAuction
                auction: page.auction
            }
            Label {
                anchors.centerIn: parent
                visible: !page.hasAuction
                text: qsTr("Choose an auction to watch it live")
                color: Theme.textMuted
                font.pixelSize: Theme.titleFontSize
            }
            Button {
                visible: page.narrow && page.hasAuction
                anchors.right: parent.right
                anchors.bottom: parent.bottom
                anchors.margins: Theme.spacing
                text: qsTr("All auctions")
                onClicked: page.auction.close()
            }
        }
    }

    Shortcut {
        sequence: "Esc"
        enabled: page.visible && page.hasAuction
        onActivated: page.auction.close()
    }
}
