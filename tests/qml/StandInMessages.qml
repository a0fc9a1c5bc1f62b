// SPDX-License-Identifier: MIT
import QtQuick

// Stands in for the C++ MessageModel: its roles come from the ListModel rows
// (messageId, body, fromMe, createdAt, read, status, errorText); the calls are recorded.
ListModel {
    property string otherName: "Bob Seller"
    property bool peerTyping: false
    property int domainId: 0
    property bool loading: false
    property bool canLoadOlder: false
    property bool sendResult: true
    property var sent: []
    property var retried: []
    property var discarded: []
    property int typingCount: 0
    property int loadOlderCount: 0

    function send(text) {
        sent = sent.concat([text])
        return sendResult
    }
    function retry(id) { retried = retried.concat([id]) }
    function discard(id) { discarded = discarded.concat([id]) }
    function noteTyping() { ++typingCount }
    function loadOlder() { ++loadOlderCount }

    function addMessage(id, body, fromMe, status, errorText) {
        append({ messageId: id, body: body, fromMe: fromMe, createdAt: new Date(),
                 read: false, status: status || "sent", errorText: errorText || "" })
    }
}
