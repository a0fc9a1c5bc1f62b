// SPDX-License-Identifier: MIT
#include "notifications/notificationroutes.h"

#include "http/jsonfields.h"
#include "http/requesthelpers.h"
#include "notifications/notificationservice.h"
#include "storage/readpool.h"

namespace flippdeal::server {

namespace {

HandlerResult listNotifications(const HttpRequest &request, ReadPool &reads)
{
    const auto limit = limitParam(request, 20, 100);
    if (!limit)
        return HttpResponse::error(limit.error());
    const QString unreadText =
        request.queryValue(QStringLiteral("unread_only"), QStringLiteral("false"));
    const auto unreadOnly = fields::toBool(QJsonValue(unreadText));
    if (!unreadOnly)
        return HttpResponse::error(
            ApiError::validation(QStringLiteral("unread_only"),
                                 QStringLiteral("The unread_only field must be true or false.")));
    return respondListLater(reads.run(
        [userId = request.user->id, limit = *limit, unreadOnly = *unreadOnly](Database &db) {
            return NotificationService::list(db, userId, limit, unreadOnly);
        }));
}

HttpResponse unreadNotificationCount(const HttpRequest &request, NotificationService &notifications)
{
    return respondValue(QLatin1String("count"), notifications.unreadCount(request.user->id));
}

HandlerResult markNotificationRead(const HttpRequest &request, NotificationService &notifications)
{
    const auto id = idOr404(request, QStringLiteral("Notification"));
    if (!id)
        return HttpResponse::error(id.error());
    return respondLater(200, QLatin1String("notification"),
                        notifications.markRead(request.user->id, *id));
}

HandlerResult markAllNotificationsRead(const HttpRequest &request,
                                       NotificationService &notifications)
{
    return respondValueLater(QLatin1String("updated"), notifications.markAllRead(request.user->id));
}

} // namespace

QList<Route> notificationRoutes(NotificationService &notifications, ReadPool &reads)
{
    using enum Router::Access;
    return {
        {"GET", QStringLiteral("/api/notifications"), User, bindRoute(listNotifications, reads)},
        {"GET", QStringLiteral("/api/notifications/unread-count"), User,
         bindRoute(unreadNotificationCount, notifications)},
        {"PATCH", QStringLiteral("/api/notifications/{id}/read"), User,
         bindRoute(markNotificationRead, notifications)},
        {"POST", QStringLiteral("/api/notifications/read-all"), User,
         bindRoute(markAllNotificationsRead, notifications)},
    };
}

} // namespace flippdeal::server
