// SPDX-License-Identifier: MIT
// The admin API under /api/admin/: for users with role `admin` only (403 for everyone else).
#include "admin/adminservice.h"
#include "app/routes.h"
#include "http/jsonfields.h"
#include "http/router.h"

#include "protocol/timeformat.h"

namespace flippdeal::server {

namespace {

using Handler = std::function<HandlerResult(HttpRequest &)>;

//! Wraps `handler` so that only admins reach it.
Handler adminOnly(Handler handler)
{
    return [handler = std::move(handler)](HttpRequest &request) -> HandlerResult {
        if (!request.user || request.user->role != QLatin1String("admin"))
            return HttpResponse::error(
                ApiError::forbidden(QStringLiteral("Only administrators may do this.")));
        return handler(request);
    };
}

HandlerResult json(const Expected<QJsonObject> &result, int status = 200)
{
    if (!result)
        return HttpResponse::error(result.error());
    return HttpResponse::json(status, *result);
}

HandlerResult list(const Expected<QJsonArray> &result)
{
    if (!result)
        return HttpResponse::error(result.error());
    return HttpResponse::json(200, {{QLatin1String("data"), *result}});
}

using IdHandler = std::function<HandlerResult(HttpRequest &, qint64 id)>;
using IdBodyHandler =
    std::function<HandlerResult(HttpRequest &, qint64 id, const QJsonObject &body)>;

//! A route on `{id}`: an id that is not a positive integer is a 404 naming `what`.
Handler withId(const QString &what, IdHandler handler)
{
    return [what, handler = std::move(handler)](HttpRequest &request) -> HandlerResult {
        const auto id = request.idParam(QStringLiteral("id"));
        if (!id)
            return HttpResponse::error(
                ApiError::notFound(QStringLiteral("%1 not found.").arg(what)));
        return handler(request, *id);
    };
}

//! The same, with the JSON body (a 400 when it is not a JSON object).
Handler withIdAndBody(const QString &what, IdBodyHandler handler)
{
    return withId(what,
                  [handler = std::move(handler)](HttpRequest &request, qint64 id) -> HandlerResult {
                      const auto body = request.bodyObject();
                      if (!body)
                          return HttpResponse::error(body.error());
                      return handler(request, id, *body);
                  });
}

//! `{key: value}` from a count or a flag, or the error.
template <typename T>
HandlerResult field(const Expected<T> &result, const char *key)
{
    if (!result)
        return HttpResponse::error(result.error());
    return HttpResponse::json(200, {{QLatin1String(key), *result}});
}

//! `?limit=`, 1 to `max`; nothing (and `*error` set) when out of range.
std::optional<int> limitParam(const HttpRequest &request, qint64 fallback, qint64 max,
                              HandlerResult *error)
{
    const auto limit =
        fields::queryInt(request.queryValue(QStringLiteral("limit")), fallback, 1, max);
    if (!limit)
        *error = HttpResponse::error(ApiError::validation(
            QStringLiteral("limit"), QStringLiteral("The limit must be from 1 to %1.").arg(max)));
    return limit ? std::optional<int>(int(*limit)) : std::nullopt;
}

} // namespace

void registerAdminRoutes(Router &router, AdminService &admin)
{
    const auto add = [&router](const QByteArray &method, const QString &path, Handler handler) {
        router.add(method, path, Router::Access::User, adminOnly(std::move(handler)));
    };
    const QString user = QStringLiteral("User");

    add("GET", QStringLiteral("/api/admin/stats"), [&admin](HttpRequest &) -> HandlerResult {
        return HttpResponse::json(200, admin.stats(protocol::nowMs()));
    });
    add("GET", QStringLiteral("/api/admin/channels"),
        [&admin](HttpRequest &request) -> HandlerResult {
            return HttpResponse::json(
                200, {{QLatin1String("data"),
                       admin.channels(request.queryValue(QStringLiteral("prefix")))}});
        });

    // Users
    add("GET", QStringLiteral("/api/admin/users"), [&admin](HttpRequest &request) -> HandlerResult {
        HandlerResult error;
        const auto limit = limitParam(request, 50, 500, &error);
        if (!limit)
            return error;
        const auto offset =
            fields::queryInt(request.queryValue(QStringLiteral("offset")), 0, 0, 1000000000);
        if (!offset)
            return HttpResponse::error(ApiError::validation(
                QStringLiteral("offset"), QStringLiteral("The offset must be 0 or more.")));
        const QString search = request.queryValue(QStringLiteral("search"));
        if (search.size() > 255)
            return HttpResponse::error(ApiError::validation(
                QStringLiteral("search"), QStringLiteral("Search for at most 255 characters.")));
        if (search.contains(QChar(0))) // PostgreSQL refuses U+0000 in text: a 500 otherwise
            return HttpResponse::error(ApiError::validation(
                QStringLiteral("search"), QStringLiteral("The search contains a NUL character.")));
        return json(admin.users(search, *limit, int(*offset)));
    });
    for (const bool ban : {true, false}) {
        add("POST",
            ban ? QStringLiteral("/api/admin/users/{id}/ban")
                : QStringLiteral("/api/admin/users/{id}/unban"),
            withId(user, [&admin, ban](HttpRequest &, qint64 id) -> HandlerResult {
                return json(admin.setBanned(id, ban, protocol::nowMs()));
            }));
    }
    add("POST", QStringLiteral("/api/admin/users/{id}/revoke-tokens"),
        withId(user, [&admin](HttpRequest &, qint64 id) -> HandlerResult {
            return json(admin.revokeTokens(id));
        }));
    add("POST", QStringLiteral("/api/admin/users/{id}/terminate-connections"),
        withId(user, [&admin](HttpRequest &, qint64 id) -> HandlerResult {
            return json(admin.terminateConnections(id));
        }));

    // Jobs
    add("GET", QStringLiteral("/api/admin/jobs"), [&admin](HttpRequest &request) -> HandlerResult {
        HandlerResult error;
        const auto limit = limitParam(request, 100, 1000, &error);
        if (!limit)
            return error;
        return list(admin.pendingJobs(protocol::nowMs(), *limit));
    });
    add("GET", QStringLiteral("/api/admin/jobs/failed"),
        [&admin](HttpRequest &request) -> HandlerResult {
            HandlerResult error;
            const auto limit = limitParam(request, 100, 1000, &error);
            if (!limit)
                return error;
            return HttpResponse::json(200, {{QLatin1String("data"), admin.failedJobs(*limit)}});
        });
    add("POST", QStringLiteral("/api/admin/jobs/failed/{id}/retry"),
        withId(QStringLiteral("Failed job"), [&admin](HttpRequest &, qint64 id) {
            return field(admin.retryFailed(id), "retried");
        }));
    add("POST", QStringLiteral("/api/admin/jobs/failed/retry-all"),
        [&admin](HttpRequest &) { return field(admin.retryFailed(0), "retried"); });
    add("DELETE", QStringLiteral("/api/admin/jobs/failed/{id}"),
        withId(QStringLiteral("Failed job"), [&admin](HttpRequest &, qint64 id) {
            return field(admin.deleteFailed(id), "deleted");
        }));
    add("DELETE", QStringLiteral("/api/admin/jobs/{id}"),
        withId(QStringLiteral("Job"), [&admin](HttpRequest &, qint64 id) {
            return field(admin.deletePending(id, protocol::nowMs()), "deleted");
        }));

    // Escrows in dispute
    add("GET", QStringLiteral("/api/admin/escrows"), [&admin](HttpRequest &) -> HandlerResult {
        return HttpResponse::json(200, {{QLatin1String("data"), admin.disputedEscrows()}});
    });
    add("POST", QStringLiteral("/api/admin/escrows/{id}/resolve"),
        withIdAndBody(QStringLiteral("Escrow"), [&admin](HttpRequest &request, qint64 id,
                                                         const QJsonObject &body) {
            return json(admin.resolveEscrow(*request.user, id,
                                            body.value(QLatin1String("outcome")).toString(),
                                            body.value(QLatin1String("reason")).toString()));
        }));

    // Auctions
    add("GET", QStringLiteral("/api/admin/auctions"),
        [&admin](HttpRequest &request) -> HandlerResult {
            HandlerResult error;
            const auto limit = limitParam(request, 100, 500, &error);
            if (!limit)
                return error;
            return list(admin.liveAuctions(protocol::nowMs(), *limit));
        });
    add("POST", QStringLiteral("/api/admin/auctions/{id}/cancel"),
        withIdAndBody(
            QStringLiteral("Domain"), [&admin](HttpRequest &, qint64 id, const QJsonObject &body) {
                return json(admin.cancelAuction(id, body.value(QLatin1String("reason")).toString(),
                                                protocol::nowMs()));
            }));
    add("POST", QStringLiteral("/api/admin/auctions/{id}/extend"),
        withIdAndBody(QStringLiteral("Domain"),
                      [&admin](HttpRequest &, qint64 id, const QJsonObject &body) -> HandlerResult {
                          const auto seconds = fields::toInt(body.value(QLatin1String("seconds")));
                          if (!seconds)
                              return HttpResponse::error(
                                  ApiError::validation(QStringLiteral("seconds"),
                                                       QStringLiteral("Give the seconds to add.")));
                          return json(admin.extendAuction(id, *seconds, protocol::nowMs()));
                      }));

    // Announcements
    add("POST", QStringLiteral("/api/admin/announcements"),
        [&admin](HttpRequest &request) -> HandlerResult {
            const auto body = request.bodyObject();
            if (!body)
                return HttpResponse::error(body.error());
            const auto reached = admin.announce(body->value(QLatin1String("title")).toString(),
                                                body->value(QLatin1String("body")).toString());
            if (!reached)
                return HttpResponse::error(reached.error());
            return HttpResponse::json(201, {{QLatin1String("recipients"), *reached}});
        });
}

} // namespace flippdeal::server
