// SPDX-License-Identifier: MIT
import QtQuick

// Stands in for the C++ AuctionController: its properties, signals and placeBid, which records
// the amount and, like the controller, is busy until the server answers (`bidding`).
QtObject {
    property string domainName: "example.com"
    property int domainId: 42
    property int ownerId: 7
    property bool loading: false
    property real currentBidCents: 150000
    property int bidCount: 3
    property real minimumNextBidCents: 155500
    property int highBidderId: 9
    property date endsAt: new Date(Date.now() + 3600 * 1000)
    property bool leading: false
    property bool outbid: false
    property bool isOwner: false
    property bool ended: false
    property bool won: false
    property int winnerUserId: 0
    property real remainingMs: 3600 * 1000
    property string countdownText: "1:00:00"
    property bool bidding: false
    property string errorString: ""
    property bool placeBidResult: true
    property var placedBids: []

    property ListModel watchers: ListModel {
        ListElement { userId: 1; name: "Alice Buyer"; isMe: true }
        ListElement { userId: 9; name: "Carol Bidder"; isMe: false }
    }
    property ListModel bids: ListModel {}

    signal auctionChanged()
    signal extended()

    function placeBid(cents) {
        placedBids = placedBids.concat([cents])
        bidding = true
        return placeBidResult
    }

    Component.onCompleted: {
        const now = Date.now()
        bids.append({ bidId: 3, userId: 9, amountCents: 150000, createdAt: new Date(now - 60000), mine: false })
        bids.append({ bidId: 2, userId: 1, amountCents: 140000, createdAt: new Date(now - 120000), mine: true })
        bids.append({ bidId: 1, userId: 9, amountCents: 130000, createdAt: new Date(now - 180000), mine: false })
    }
}
