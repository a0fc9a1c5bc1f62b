// SPDX-License-Identifier: MIT
#include "notifications/notificationtable.h"

#include "storage/database.h"

#include "protocol/frame.h"

#include <QJsonDocument>

namespace flippdeal::server {

using namespace Qt::StringLiterals;

namespace {

const QString selectNotifications =
    QStringLiteral("SELECT id, user_id, type, data, created_at, read_at FROM notifications ");

protocol::Notification notificationFromRow(const SqlQuery &row)
{
    protocol::Notification n;
    n.id = row.int64("id"_L1);
    n.type = row.text("type"_L1);
    n.data = QJsonDocument::fromJson(row.text("data"_L1).toUtf8()).object();
    n.createdAt = row.int64("created_at"_L1);
    n.readAt = row.optionalInt64("read_at"_L1);
    return n;
}

} // namespace

qint64 NotificationTable::insert(qint64 userId, const protocol::Notification &notification)
{
    return SqlQuery(m_db, QStringLiteral("INSERT INTO notifications (user_id, type, data, "
                                         "created_at) VALUES (?, ?, ?, ?) RETURNING id"))
        .bind(userId)
        .bind(notification.type)
        .bind(QString::fromUtf8(protocol::toJson(notification.data)))
        .bind(notification.createdAt)
        .scalar();
}

std::optional<std::pair<protocol::Notification, qint64>>
NotificationTable::findWithOwner(qint64 notificationId)
{
    SqlQuery query(m_db, selectNotifications + QStringLiteral("WHERE id = ?"));
    query.bind(notificationId).exec();
    if (!query.next())
        return std::nullopt;
    return std::pair{notificationFromRow(query), query.int64("user_id"_L1)};
}

QList<protocol::Notification> NotificationTable::list(qint64 userId, int limit, bool unreadOnly)
{
    SqlQuery query(m_db, selectNotifications +
                             (unreadOnly ? QStringLiteral("WHERE user_id = ? AND read_at IS NULL ")
                                         : QStringLiteral("WHERE user_id = ? ")) +
                             QStringLiteral("ORDER BY id DESC LIMIT ?"));
    query.bind(userId).bind(limit).exec();
    QList<protocol::Notification> result;
    while (query.next())
        result.append(notificationFromRow(query));
    return result;
}

qint64 NotificationTable::unreadCount(qint64 userId)
{
    return SqlQuery(m_db, QStringLiteral("SELECT COUNT(*) FROM notifications WHERE user_id = ? "
                                         "AND read_at IS NULL"))
        .bind(userId)
        .scalar();
}

void NotificationTable::markRead(qint64 userId, qint64 notificationId, qint64 nowMs)
{
    SqlQuery(m_db, QStringLiteral("UPDATE notifications SET read_at = ? WHERE id = ? AND "
                                  "user_id = ? AND read_at IS NULL"))
        .bind(nowMs)
        .bind(notificationId)
        .bind(userId)
        .exec();
}

qint64 NotificationTable::markAllRead(qint64 userId, qint64 nowMs)
{
    SqlQuery query(m_db, QStringLiteral("UPDATE notifications SET read_at = ? WHERE user_id = ? "
                                        "AND read_at IS NULL"));
    query.bind(nowMs).bind(userId).exec();
    return query.numRowsAffected();
}

QList<qint64> NotificationTable::announcementAudience()
{
    SqlQuery users(m_db,
                   QStringLiteral("SELECT id FROM users WHERE banned_at IS NULL ORDER BY id"));
    users.exec();
    QList<qint64> ids;
    while (users.next())
        ids.append(users.int64("id"_L1));
    return ids;
}

} // namespace flippdeal::server
