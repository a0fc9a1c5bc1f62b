// SPDX-License-Identifier: MIT
#include "notifications/notificationservice.h"

#include "core/logging.h"
#include "events/eventstore.h"
#include "storage/database.h"

#include "protocol/frame.h"
#include "protocol/timeformat.h"

#include <QJsonDocument>

namespace flippdeal::server {

namespace {

const QString selectColumns =
    QStringLiteral("SELECT id, type, data, created_at, read_at FROM notifications ");

protocol::Notification fromRow(const SqlQuery &query)
{
    protocol::Notification n;
    n.id = query.int64(0);
    n.type = query.text(1);
    n.data = QJsonDocument::fromJson(query.text(2).toUtf8()).object();
    n.createdAt = query.int64(3);
    n.readAt = query.optionalInt64(4);
    return n;
}

} // namespace

NotificationService::NotificationService(Database &db, EventStore &events)
    : m_db(db)
    , m_events(events)
{}

protocol::Notification NotificationService::notifyUser(EventBatch &batch, qint64 userId,
                                                       const QString &type, const QJsonObject &data)
{
    protocol::Notification n;
    n.type = type;
    n.data = data;
    n.createdAt = protocol::nowMs();
    n.id =
        SqlQuery(m_db, QStringLiteral("INSERT INTO notifications (user_id, type, data, created_at) "
                                      "VALUES (?, ?, ?, ?) RETURNING id"))
            .bind(userId)
            .bind(type)
            .bind(QString::fromUtf8(protocol::toJson(data)))
            .bind(n.createdAt)
            .scalar();
    batch.add(protocol::Channels::user(userId), protocol::EventName::NotificationCreated,
              {{QLatin1String("notification"), n.toJson()}});
    return n;
}

Expected<protocol::Notification> NotificationService::notifyUser(qint64 userId, const QString &type,
                                                                 const QJsonObject &data)
{
    protocol::Notification created;
    if (!m_events.transaction([&](EventBatch &batch) {
            created = notifyUser(batch, userId, type, data);
            return true;
        }))
        return ApiError::internal();
    return created;
}

Expected<int> NotificationService::announce(const QString &title, const QString &body)
{
    int reached = 0;
    const bool ok = m_events.transaction([&](EventBatch &batch) {
        SqlQuery users(m_db,
                       QStringLiteral("SELECT id FROM users WHERE banned_at IS NULL ORDER BY id"));
        users.exec();
        QList<qint64> ids;
        while (users.next())
            ids.append(users.int64(0));
        const QJsonObject data{{QLatin1String("title"), title}, {QLatin1String("body"), body}};
        for (const qint64 id : std::as_const(ids))
            notifyUser(batch, id, protocol::NotificationType::Announcement, data);
        reached = int(ids.size());
        return true;
    });
    if (!ok)
        return ApiError::internal();
    return reached;
}

Expected<QList<protocol::Notification>> NotificationService::list(qint64 userId, int limit,
                                                                  bool unreadOnly)
{
    QList<protocol::Notification> result;
    try {
        SqlQuery query(m_db,
                       selectColumns +
                           (unreadOnly ? QStringLiteral("WHERE user_id = ? AND read_at IS NULL ")
                                       : QStringLiteral("WHERE user_id = ? ")) +
                           QStringLiteral("ORDER BY id DESC LIMIT ?"));
        query.bind(userId).bind(limit).exec();
        while (query.next())
            result.append(fromRow(query));
    } catch (const DbError &error) {
        qCWarning(lcNotifications) << error.what();
        return ApiError::internal();
    }
    return result;
}

Expected<qint64> NotificationService::unreadCount(qint64 userId)
{
    try {
        return SqlQuery(
                   m_db,
                   QStringLiteral(
                       "SELECT COUNT(*) FROM notifications WHERE user_id = ? AND read_at IS NULL"))
            .bind(userId)
            .scalar();
    } catch (const DbError &error) {
        qCWarning(lcNotifications) << error.what();
        return ApiError::internal();
    }
}

Expected<protocol::Notification> NotificationService::markRead(qint64 userId, qint64 notificationId)
{
    std::optional<protocol::Notification> found;
    bool foreign = false;
    const bool ok = m_db.transaction([&] {
        SqlQuery(m_db, QStringLiteral("UPDATE notifications SET read_at = ? WHERE id = ? AND "
                                      "user_id = ? AND read_at IS NULL"))
            .bind(protocol::nowMs())
            .bind(notificationId)
            .bind(userId)
            .exec();
        SqlQuery query(m_db, QStringLiteral("SELECT id, type, data, created_at, read_at, user_id "
                                            "FROM notifications WHERE id = ?"));
        query.bind(notificationId).exec();
        if (query.next()) {
            if (query.int64(5) != userId)
                foreign = true;
            else
                found = fromRow(query);
        }
        return true;
    });
    if (!ok)
        return ApiError::internal();
    if (foreign)
        return ApiError::forbidden();
    if (!found)
        return ApiError::notFound(QStringLiteral("Notification not found."));
    return *found;
}

Expected<qint64> NotificationService::markAllRead(qint64 userId)
{
    qint64 changed = 0;
    const bool ok = m_db.transaction([&] {
        SqlQuery query(
            m_db,
            QStringLiteral(
                "UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL"));
        query.bind(protocol::nowMs()).bind(userId).exec();
        changed = query.numRowsAffected();
        return true;
    });
    if (!ok)
        return ApiError::internal();
    return changed;
}

} // namespace flippdeal::server
