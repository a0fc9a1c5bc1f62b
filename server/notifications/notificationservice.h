// SPDX-License-Identifier: MIT
#pragma once

#include "core/result.h"
#include "notifications/notificationtable.h"

#include "protocol/types.h"

#include <QFuture>
#include <QJsonObject>
#include <QList>

namespace flippdeal::server {

class Database;
class EventBatch;
class EventStore;

//! \brief Stores notifications and announces each one as `NotificationCreated` on the user's
//! private channel, in the same transaction (the seed's NotificationService::notifyUser).
class NotificationService
{
public:
    NotificationService(Database &db, EventStore &events);

    //! Inside a caller's transaction: stores the notification and adds its broadcast to `batch`.
    protocol::Notification notifyUser(EventBatch &batch, qint64 userId, const QString &type,
                                      const QJsonObject &data);
    //! In a transaction of its own.
    Expected<protocol::Notification> notifyUser(qint64 userId, const QString &type,
                                                const QJsonObject &data);

    //! An `announcement` `{title, body}` to every user who is not banned, in one transaction.
    //! Returns how many users it reached.
    Expected<int> announce(const QString &title, const QString &body);

    //! The newest `limit` of `userId`'s notifications, read on `db` (any connection: a
    //! ReadPool's).
    static Expected<QList<protocol::Notification>> list(Database &db, qint64 userId, int limit,
                                                        bool unreadOnly);
    Expected<qint64> unreadCount(qint64 userId);
    //! Marks one of the user's own notifications read (idempotent). 403 for others' rows,
    //! 404 when there is no such notification.
    QFuture<Expected<protocol::Notification>> markRead(qint64 userId, qint64 notificationId);
    //! Marks all of the user's notifications read; returns how many changed.
    QFuture<Expected<qint64>> markAllRead(qint64 userId);

private:
    Database &m_db;
    NotificationTable m_notifications;
    EventStore &m_events;
};

} // namespace flippdeal::server
