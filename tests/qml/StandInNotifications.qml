// SPDX-License-Identifier: MIT
import QtQuick

// Stands in for the C++ NotificationModel: rows with notificationId, type, title, payload,
// createdAt and read; unreadCount, markRead and markAllRead, recording the calls.
ListModel {
    property int unreadCount: 0
    property var markReadCalls: []
    property int markAllReadCount: 0

    function recount() {
        let n = 0
        for (let i = 0; i < count; ++i)
            if (!get(i).read)
                ++n
        unreadCount = n
    }
    function addNotification(id, type, title, payload, read) {
        append({ notificationId: id, type: type, title: title, payload: payload,
                 createdAt: new Date(), read: read })
        recount()
    }
    function markRead(id) {
        markReadCalls = markReadCalls.concat([id])
        for (let i = 0; i < count; ++i)
            if (get(i).notificationId === id)
                setProperty(i, "read", true)
        recount()
    }
    function markAllRead() {
        ++markAllReadCount
        for (let i = 0; i < count; ++i)
            setProperty(i, "read", true)
        recount()
    }
}
