// SPDX-License-Identifier: MIT
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import FlippDeal.Core
import FlippDeal.Style

// One live auction of the C++ AuctionController. The countdown runs on the server's clock, which the controller
// estimates from the events' server_time.
Rectangle {
    id: view
    required property AuctionController auction
    property bool extendedFlash: false
    property bool bidEdited: false
    readonly property bool canBid: auction !== null && !auction.ended && !auction.isOwner && !auction.bidding
                                   && auction.domainId > 0 && !auction.loading

    // One of the three big figures (time left, current bid, bid count); the cards stay put and
    // only their texts change as the auction moves.
    component StatCard: Rectangle {
        id: card
        property string key
        property string caption
        property string value
        property bool warn: false
        Layout.fillWidth: true
        implicitHeight: statColumn.implicitHeight + 2 * Theme.spacing
        radius: Theme.radius
        color: Theme.surface
        border.color: warn ? Theme.danger : Theme.border
        ColumnLayout {
            id: statColumn
            anchors.centerIn: parent
            spacing: 0
            Label {
                Layout.alignment: Qt.AlignHCenter
                text: card.caption
                color: Theme.textMuted
                font.pixelSize: Theme.smallFontSize
            }
            Label {
                objectName: card.key + "Value"
                Layout.alignment: Qt.AlignHCenter
                // Large amounts shrink to fit the card instead of spilling out.
                Layout.maximumWidth: card.width - 2 * Theme.spacing
                text: card.value
                color: card.warn ? Theme.danger : Theme.text
                font.pixelSize: Theme.heroFontSize
                fontSizeMode: Text.HorizontalFit
                minimumPixelSize: Theme.fontSize
                font.bold: true
                font.family: "monospace"
            }
        }
    }

    color: Theme.background

    function placeBid() {
        if (!canBid)
            return
        const cents = Theme.parseMoney(bidField.text)
        if (cents < 0) {
            localError.text = qsTr("Enter an amount such as %1.").arg(Theme.formatMoney(view.auction.minimumNextBidCents))
            return
        }
        localError.text = ""
        if (view.auction.placeBid(cents))
            bidEdited = false
    }

    function refillBid() {
        if (view.auction && (!bidEdited || Theme.parseMoney(bidField.text) < view.auction.minimumNextBidCents))
            bidField.text = Theme.formatMoney(view.auction.minimumNextBidCents).substring(1)
    }

    Connections {
        target: view.auction
        function onAuctionChanged() { view.refillBid() }
        function onExtended() {
            view.extendedFlash = true
            flashTimer.restart()
        }
    }
    Timer { id: flashTimer; interval: 4000; onTriggered: view.extendedFlash = false }
    Component.onCompleted: refillBid()

    ScrollView {
        anchors.fill: parent
        contentWidth: availableWidth

        ColumnLayout {
            width: parent.width
            spacing: 2 * Theme.spacing

            // Domain and state
            RowLayout {
                Layout.fillWidth: true
                Layout.margins: 2 * Theme.spacing
                Layout.bottomMargin: 0
                spacing: Theme.spacing
                Label {
                    objectName: "domainName"
                    Layout.fillWidth: true
                    text: view.auction ? view.auction.domainName : ""
                    textFormat: Text.PlainText
                    font.pixelSize: Theme.titleFontSize + 4
                    font.bold: true
                    color: Theme.text
                    elide: Text.ElideRight
                }
                Rectangle {
                    objectName: "statePill"
                    radius: height / 2
                    implicitHeight: stateLabel.implicitHeight + 8
                    implicitWidth: stateLabel.implicitWidth + 20
                    color: !view.auction ? Theme.textMuted
                         : view.auction.won ? Theme.success
                         : view.auction.ended ? Theme.textMuted
                         : view.auction.outbid ? Theme.danger
                         : view.auction.leading ? Theme.success : Theme.accent
                    Label {
                        id: stateLabel
                        objectName: "stateLabel"
                        anchors.centerIn: parent
                        color: "#ffffff"
                        font.bold: true
                        text: !view.auction ? ""
                            : view.auction.won ? qsTr("You won")
                            : view.auction.ended ? qsTr("Ended")
                            : view.auction.outbid ? qsTr("Outbid")
                            : view.auction.leading ? qsTr("You're winning")
                            : view.auction.isOwner ? qsTr("Your auction") : qsTr("Live")
                    }
                }
            }

            // Outbid / extended / ended notices
            Rectangle {
                objectName: "noticeBar"
                Layout.fillWidth: true
                Layout.leftMargin: 2 * Theme.spacing
                Layout.rightMargin: 2 * Theme.spacing
                visible: noticeLabel.text !== ""
                implicitHeight: noticeLabel.implicitHeight + 2 * Theme.spacing
                radius: Theme.radius
                color: view.auction && view.auction.outbid && !view.auction.ended ? Theme.danger
                     : view.extendedFlash ? Theme.warning : Theme.accent
                Label {
                    id: noticeLabel
                    objectName: "noticeLabel"
                    anchors.fill: parent
                    anchors.margins: Theme.spacing
                    color: "#ffffff"
                    font.bold: true
                    wrapMode: Text.Wrap
                    text: !view.auction ? ""
                        : view.auction.ended ? (view.auction.won ? qsTr("Congratulations! The escrow is open in your notifications.")
                                                                 : view.auction.winnerUserId > 0 ? qsTr("Sold for %1.").arg(Theme.formatMoney(view.auction.currentBidCents))
                                                                                                 : qsTr("The auction ended without a sale."))
                        : view.auction.outbid ? qsTr("You've been outbid. The minimum next bid is %1.").arg(Theme.formatMoney(view.auction.minimumNextBidCents))
                        : view.extendedFlash ? qsTr("A late bid extended the auction.")
                        : ""
                }
            }

            // Countdown, current bid, bid count
            GridLayout {
                Layout.fillWidth: true
                Layout.leftMargin: 2 * Theme.spacing
                Layout.rightMargin: 2 * Theme.spacing
                columns: view.width < 480 ? 1 : 3
                columnSpacing: 2 * Theme.spacing
                rowSpacing: Theme.spacing

                StatCard {
                    key: "countdown"
                    caption: qsTr("Time left")
                    value: view.auction ? view.auction.countdownText : ""
                    warn: view.auction && !view.auction.ended && view.auction.remainingMs < 60000
                }
                StatCard {
                    key: "current"
                    caption: qsTr("Current bid")
                    value: view.auction ? (view.auction.bidCount > 0 ? Theme.formatMoney(view.auction.currentBidCents) : qsTr("No bids")) : ""
                }
                StatCard {
                    key: "count"
                    caption: qsTr("Bids")
                    value: view.auction ? String(view.auction.bidCount) : ""
                }
            }

            // Bid form
            Rectangle {
                Layout.fillWidth: true
                Layout.leftMargin: 2 * Theme.spacing
                Layout.rightMargin: 2 * Theme.spacing
                implicitHeight: bidColumn.implicitHeight + 2 * Theme.spacing
                radius: Theme.radius
                color: Theme.surface
                border.color: Theme.border
                visible: view.auction && !view.auction.ended && !view.auction.isOwner
                ColumnLayout {
                    id: bidColumn
                    anchors.fill: parent
                    anchors.margins: Theme.spacing
                    spacing: Theme.spacing
                    RowLayout {
                        Layout.fillWidth: true
                        spacing: Theme.spacing
                        Label { text: "$"; color: Theme.text; font.pixelSize: Theme.titleFontSize }
                        TextField {
                            id: bidField
                            objectName: "bidField"
                            Layout.fillWidth: true
                            font.pixelSize: Theme.titleFontSize
                            inputMethodHints: Qt.ImhFormattedNumbersOnly
                            Accessible.name: qsTr("Your bid in dollars")
                            onTextEdited: view.bidEdited = true
                            onAccepted: view.placeBid()
                        }
                        PrimaryButton {
                            objectName: "bidButton"
                            text: view.auction && view.auction.bidding ? qsTr("Bidding…") : qsTr("Place bid")
                                        enabled: view.canBid
                            font.pixelSize: Theme.fontSize + 1
                            onClicked: view.placeBid()
                        }
                    }
                    Label {
                        text: view.auction ? qsTr("Minimum next bid: %1").arg(Theme.formatMoney(view.auction.minimumNextBidCents)) : ""
                        color: Theme.textMuted
                        font.pixelSize: Theme.smallFontSize
                    }
                    Label {
                        id: localError
                        objectName: "bidError"
                        Layout.fillWidth: true
                        visible: text !== ""
                        color: Theme.danger
                        wrapMode: Text.Wrap
                        textFormat: Text.PlainText
                    }
                    Label {
                        objectName: "serverError"
                        Layout.fillWidth: true
                        visible: text !== "" && localError.text === ""
                        text: view.auction ? view.auction.errorString : ""
                        color: Theme.danger
                        wrapMode: Text.Wrap
                        textFormat: Text.PlainText
                    }
                }
            }

            // Watchers and bids
            GridLayout {
                Layout.fillWidth: true
                Layout.leftMargin: 2 * Theme.spacing
                Layout.rightMargin: 2 * Theme.spacing
                Layout.bottomMargin: 2 * Theme.spacing
                columns: view.width < 560 ? 1 : 2
                columnSpacing: 2 * Theme.spacing
                rowSpacing: 2 * Theme.spacing

                Rectangle {
                    Layout.fillWidth: true
                    Layout.alignment: Qt.AlignTop
                    implicitHeight: watchersColumn.implicitHeight + 2 * Theme.spacing
                    radius: Theme.radius
                    color: Theme.surface
                    border.color: Theme.border
                    ColumnLayout {
                        id: watchersColumn
                        anchors.fill: parent
                        anchors.margins: Theme.spacing
                        RowLayout {
                            Icon { iconName: "users"; size: 16 }
                            Label {
                                objectName: "watchersTitle"
                                text: qsTr("Watching now (%1)").arg(view.auction && view.auction.watchers ? view.auction.watchers.count : 0)
                                font.bold: true
                                color: Theme.text
                            }
                        }
                        Repeater {
                            model: view.auction ? view.auction.watchers : null
                            delegate: RowLayout {
                                required property string name
                                required property bool isMe
                                spacing: Theme.spacing
                                Avatar { name: parent.name; size: 24 }
                                Label {
                                    text: parent.isMe ? qsTr("%1 (you)").arg(parent.name) : parent.name
                                    textFormat: Text.PlainText
                                    color: Theme.text
                                }
                            }
                        }
                    }
                }

                Rectangle {
                    Layout.fillWidth: true
                    Layout.alignment: Qt.AlignTop
                    implicitHeight: bidsColumn.implicitHeight + 2 * Theme.spacing
                    radius: Theme.radius
                    color: Theme.surface
                    border.color: Theme.border
                    ColumnLayout {
                        id: bidsColumn
                        anchors.fill: parent
                        anchors.margins: Theme.spacing
                        RowLayout {
                            Icon { iconName: "gavel"; size: 16 }
                            Label { text: qsTr("Recent bids"); font.bold: true; color: Theme.text }
                        }
                        Label {
                            visible: !view.auction || !view.auction.bids || view.auction.bids.count === 0
                            text: qsTr("No bids yet. Be the first!")
                            color: Theme.textMuted
                        }
                        Repeater {
                            model: view.auction ? view.auction.bids : null
                            delegate: RowLayout {
                                id: bidRow
                                required property int index
                                required property double amountCents
                                required property date createdAt
                                required property bool mine
                                visible: index < 8
                                Layout.fillWidth: true
                                Label {
                                    Layout.fillWidth: true
                                    text: Theme.formatMoney(bidRow.amountCents) + (bidRow.mine ? qsTr(" (you)") : "")
                                    font.bold: bidRow.index === 0
                                    color: bidRow.mine ? Theme.accent : Theme.text
                                }
                                Label {
                                    text: Theme.shortTime(bidRow.createdAt)
                                    color: Theme.textMuted
                                    font.pixelSize: Theme.smallFontSize
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    BusyIndicator {
        anchors.centerIn: parent
        running: view.auction && view.auction.loading
        visible: running
    }
}
