// SPDX-License-Identifier: MIT
#include "notifications/notificationservice.h"

#include "core/logging.h"
#include "events/eventstore.h"
#include "notifications/notificationtable.h"
#include "storage/database.h"

#include "protocol/timeformat.h"

namespace flippdeal::server {

using namespace Qt::StringLiterals;

NotificationService::NotificationService(Database &db, EventStore &events)
    : m_db(db)
    , m_notifications(db)
    , m_events(events)
{}

protocol::Notification NotificationService::notifyUser(EventBatch &batch, qint64 userId,
                                                       const QString &type, const QJsonObject &data)
{
    protocol::Notification n;
    n.type = type;
    n.data = data;
    n.createdAt = protocol::nowMs();
    n.id = NotificationTable(batch.db()).insert(userId, n); // the batch's connection: any thread
    batch.add(protocol::Channels::user(userId), protocol::EventName::NotificationCreated,
              {{"notification"_L1, n.toJson()}});
    return n;
}

Expected<protocol::Notification> NotificationService::notifyUser(qint64 userId, const QString &type,
                                                                 const QJsonObject &data)
{
    return m_events.transaction([&](EventBatch &batch) -> Expected<protocol::Notification> {
        return notifyUser(batch, userId, type, data);
    });
}

Expected<int> NotificationService::announce(const QString &title, const QString &body)
{
    return m_events.transaction([&](EventBatch &batch) -> Expected<int> {
        const QList<qint64> ids = m_notifications.announcementAudience();
        const QJsonObject data{{"title"_L1, title}, {"body"_L1, body}};
        for (const qint64 id : ids)
            notifyUser(batch, id, protocol::NotificationType::Announcement, data);
        return int(ids.size());
    });
}

Expected<QList<protocol::Notification>> NotificationService::list(Database &db, qint64 userId,
                                                                  int limit, bool unreadOnly)
{
    return db.attempt([&]() -> Expected<QList<protocol::Notification>> {
        return NotificationTable(db).list(userId, limit, unreadOnly);
    });
}

Expected<qint64> NotificationService::unreadCount(qint64 userId)
{
    return m_db.attempt([&]() -> Expected<qint64> { return m_notifications.unreadCount(userId); });
}

QFuture<Expected<protocol::Notification>> NotificationService::markRead(qint64 userId,
                                                                        qint64 notificationId)
{
    return m_events.transactionLater(
        [userId, notificationId](EventBatch &batch) -> Expected<protocol::Notification> {
            NotificationTable notifications(batch.db());
            notifications.markRead(userId, notificationId, protocol::nowMs());
            const auto found = notifications.findWithOwner(notificationId);
            if (!found)
                return ApiError::notFound(QStringLiteral("Notification not found."));
            if (found->second != userId)
                return ApiError::forbidden();
            return found->first;
        });
}

QFuture<Expected<qint64>> NotificationService::markAllRead(qint64 userId)
{
    return m_events.transactionLater([userId](EventBatch &batch) -> Expected<qint64> {
        return NotificationTable(batch.db()).markAllRead(userId, protocol::nowMs());
    });
}

} // namespace flippdeal::server
