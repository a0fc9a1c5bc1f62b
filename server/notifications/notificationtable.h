// SPDX-License-Identifier: MIT
#pragma once

#include "protocol/types.h"

#include <QList>

#include <optional>

namespace flippdeal::server {

class Database;

//! \brief The `notifications` table: columns, rows as protocol::Notification values,
//! statements. Every call throws DbError when a statement fails.
class NotificationTable
{
public:
    explicit NotificationTable(Database &db)
        : m_db(db)
    {}

    //! Stores `notification` for `userId` and returns its id.
    qint64 insert(qint64 userId, const protocol::Notification &notification);
    //! The notification and the user it belongs to.
    std::optional<std::pair<protocol::Notification, qint64>> findWithOwner(qint64 notificationId);
    //! `userId`'s newest notifications first (only unread ones if `unreadOnly`).
    QList<protocol::Notification> list(qint64 userId, int limit, bool unreadOnly);
    qint64 unreadCount(qint64 userId);
    //! Marks one of `userId`'s notifications read, if it is unread.
    void markRead(qint64 userId, qint64 notificationId, qint64 nowMs);
    //! Marks every unread notification of `userId` read; returns how many.
    qint64 markAllRead(qint64 userId, qint64 nowMs);
    //! The users an announcement reaches: everyone not banned.
    QList<qint64> announcementAudience();

private:
    Database &m_db;
};

} // namespace flippdeal::server
