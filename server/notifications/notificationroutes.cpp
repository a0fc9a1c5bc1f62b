// SPDX-License-Identifier: MIT
// GET /api/notifications, GET /api/notifications/unread-count, PATCH /api/notifications/{id}/read
// and POST /api/notifications/read-all (for the bell's "mark all read").
#include "app/routes.h"
#include "http/jsonfields.h"
#include "http/router.h"
#include "notifications/notificationservice.h"

#include <QJsonArray>

namespace flippdeal::server {

void registerNotificationRoutes(Router &router, NotificationService &notifications)
{
    router.add(
        "GET", QStringLiteral("/api/notifications"), Router::Access::User,
        [&notifications](HttpRequest &request) -> HandlerResult {
            const auto limit =
                fields::queryInt(request.queryValue(QStringLiteral("limit")), 20, 1, 100);
            if (!limit)
                return HttpResponse::error(ApiError::validation(
                    QStringLiteral("limit"), QStringLiteral("The limit must be from 1 to 100.")));
            const QString unreadText =
                request.queryValue(QStringLiteral("unread_only"), QStringLiteral("false"));
            const auto unreadOnly = fields::toBool(QJsonValue(unreadText));
            if (!unreadOnly)
                return HttpResponse::error(ApiError::validation(
                    QStringLiteral("unread_only"),
                    QStringLiteral("The unread_only field must be true or false.")));
            const auto list =
                notifications.list(request.user->id, static_cast<int>(*limit), *unreadOnly);
            if (!list)
                return HttpResponse::error(list.error());
            QJsonArray data;
            for (const protocol::Notification &n : *list)
                data.append(n.toJson());
            return HttpResponse::json(200, {{QLatin1String("data"), data}});
        });
    router.add("GET", QStringLiteral("/api/notifications/unread-count"), Router::Access::User,
               [&notifications](HttpRequest &request) -> HandlerResult {
                   const auto count = notifications.unreadCount(request.user->id);
                   if (!count)
                       return HttpResponse::error(count.error());
                   return HttpResponse::json(200, {{QLatin1String("count"), *count}});
               });
    router.add("PATCH", QStringLiteral("/api/notifications/{id}/read"), Router::Access::User,
               [&notifications](HttpRequest &request) -> HandlerResult {
                   const auto id = request.idParam(QStringLiteral("id"));
                   if (!id)
                       return HttpResponse::error(
                           ApiError::notFound(QStringLiteral("Notification not found.")));
                   const auto n = notifications.markRead(request.user->id, *id);
                   if (!n)
                       return HttpResponse::error(n.error());
                   return HttpResponse::json(200, {{QLatin1String("notification"), n->toJson()}});
               });
    router.add("POST", QStringLiteral("/api/notifications/read-all"), Router::Access::User,
               [&notifications](HttpRequest &request) -> HandlerResult {
                   const auto changed = notifications.markAllRead(request.user->id);
                   if (!changed)
                       return HttpResponse::error(changed.error());
                   return HttpResponse::json(200, {{QLatin1String("updated"), *changed}});
               });
}

} // namespace flippdeal::server
