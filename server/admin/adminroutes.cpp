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

//! The `{id}` of the path, or a 404 naming `what`.
std::optional<qint64> idOr404(const HttpRequest &request, HandlerResult *notFound,
                              const QString &what)
{
    const auto id = request.idParam(QStringLiteral("id"));
    if (!id)
        *notFound =
            HttpResponse::error(ApiError::notFound(QStringLiteral("%1 not found.").arg(what)));
    return id;
}

std::optional<qint64> limitParam(const HttpRequest &request, qint64 fallback, qint64 max)
{
    return fields::queryInt(request.queryValue(QStringLiteral("limit")), fallback, 1, max);
}

} // namespace

void registerAdminRoutes(Router &router, AdminService &admin)
{
    const auto add = [&router](const QByteArray &method, const QString &path, Handler handler) {
        router.add(method, path, Router::Access::User, adminOnly(std::move(handler)));
    };

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
        const auto limit = limitParam(request, 50, 500);
        const auto offset =
            fields::queryInt(request.queryValue(QStringLiteral("offset")), 0, 0, 1000000000);
        if (!limit)
            return HttpResponse::error(ApiError::validation(
                QStringLiteral("limit"), QStringLiteral("The limit must be from 1 to 500.")));
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
        return json(admin.users(search, int(*limit), int(*offset)));
    });
    for (const bool ban : {true, false}) {
        add("POST",
            ban ? QStringLiteral("/api/admin/users/{id}/ban")
                : QStringLiteral("/api/admin/users/{id}/unban"),
            [&admin, ban](HttpRequest &request) -> HandlerResult {
                HandlerResult notFound;
                const auto id = idOr404(request, &notFound, QStringLiteral("User"));
                if (!id)
                    return notFound;
                return json(admin.setBanned(*id, ban, protocol::nowMs()));
            });
    }
    add("POST", QStringLiteral("/api/admin/users/{id}/revoke-tokens"),
        [&admin](HttpRequest &request) -> HandlerResult {
            HandlerResult notFound;
            const auto id = idOr404(request, &notFound, QStringLiteral("User"));
            if (!id)
                return notFound;
            return json(admin.revokeTokens(*id));
        });
    add("POST", QStringLiteral("/api/admin/users/{id}/terminate-connections"),
        [&admin](HttpRequest &request) -> HandlerResult {
            HandlerResult notFound;
            const auto id = idOr404(request, &notFound, QStringLiteral("User"));
            if (!id)
                return notFound;
            return json(admin.terminateConnections(*id));
        });

    // Jobs
    add("GET", QStringLiteral("/api/admin/jobs"), [&admin](HttpRequest &request) -> HandlerResult {
        const auto limit = limitParam(request, 100, 1000);
        if (!limit)
            return HttpResponse::error(ApiError::validation(
                QStringLiteral("limit"), QStringLiteral("The limit must be from 1 to 1000.")));
        return list(admin.pendingJobs(protocol::nowMs(), int(*limit)));
    });
    add("GET", QStringLiteral("/api/admin/jobs/failed"),
        [&admin](HttpRequest &request) -> HandlerResult {
            const auto limit = limitParam(request, 100, 1000);
            if (!limit)
                return HttpResponse::error(ApiError::validation(
                    QStringLiteral("limit"), QStringLiteral("The limit must be from 1 to 1000.")));
            return HttpResponse::json(200,
                                      {{QLatin1String("data"), admin.failedJobs(int(*limit))}});
        });
    add("POST", QStringLiteral("/api/admin/jobs/failed/{id}/retry"),
        [&admin](HttpRequest &request) -> HandlerResult {
            HandlerResult notFound;
            const auto id = idOr404(request, &notFound, QStringLiteral("Failed job"));
            if (!id)
                return notFound;
            const auto moved = admin.retryFailed(*id);
            if (!moved)
                return HttpResponse::error(moved.error());
            return HttpResponse::json(200, {{QLatin1String("retried"), *moved}});
        });
    add("POST", QStringLiteral("/api/admin/jobs/failed/retry-all"),
        [&admin](HttpRequest &) -> HandlerResult {
            const auto moved = admin.retryFailed(0);
            if (!moved)
                return HttpResponse::error(moved.error());
            return HttpResponse::json(200, {{QLatin1String("retried"), *moved}});
        });
    add("DELETE", QStringLiteral("/api/admin/jobs/failed/{id}"),
        [&admin](HttpRequest &request) -> HandlerResult {
            HandlerResult notFound;
            const auto id = idOr404(request, &notFound, QStringLiteral("Failed job"));
            if (!id)
                return notFound;
            const auto done = admin.deleteFailed(*id);
            if (!done)
                return HttpResponse::error(done.error());
            return HttpResponse::json(200, {{QLatin1String("deleted"), true}});
        });
    add("DELETE", QStringLiteral("/api/admin/jobs/{id}"),
        [&admin](HttpRequest &request) -> HandlerResult {
            HandlerResult notFound;
            const auto id = idOr404(request, &notFound, QStringLiteral("Job"));
            if (!id)
                return notFound;
            const auto done = admin.deletePending(*id, protocol::nowMs());
            if (!done)
                return HttpResponse::error(done.error());
            return HttpResponse::json(200, {{QLatin1String("deleted"), true}});
        });

    // Escrows in dispute
    add("GET", QStringLiteral("/api/admin/escrows"), [&admin](HttpRequest &) -> HandlerResult {
        return HttpResponse::json(200, {{QLatin1String("data"), admin.disputedEscrows()}});
    });
    add("POST", QStringLiteral("/api/admin/escrows/{id}/resolve"),
        [&admin](HttpRequest &request) -> HandlerResult {
            HandlerResult notFound;
            const auto id = idOr404(request, &notFound, QStringLiteral("Escrow"));
            if (!id)
                return notFound;
            const auto body = request.bodyObject();
            if (!body)
                return HttpResponse::error(body.error());
            return json(admin.resolveEscrow(*request.user, *id,
                                            body->value(QLatin1String("outcome")).toString(),
                                            body->value(QLatin1String("reason")).toString()));
        });

    // Auctions
    add("GET", QStringLiteral("/api/admin/auctions"),
        [&admin](HttpRequest &request) -> HandlerResult {
            const auto limit = limitParam(request, 100, 500);
            if (!limit)
                return HttpResponse::error(ApiError::validation(
                    QStringLiteral("limit"), QStringLiteral("The limit must be from 1 to 500.")));
            return list(admin.liveAuctions(protocol::nowMs(), int(*limit)));
        });
    add("POST", QStringLiteral("/api/admin/auctions/{id}/cancel"),
        [&admin](HttpRequest &request) -> HandlerResult {
            HandlerResult notFound;
            const auto id = idOr404(request, &notFound, QStringLiteral("Domain"));
            if (!id)
                return notFound;
            const auto body = request.bodyObject();
            if (!body)
                return HttpResponse::error(body.error());
            return json(admin.cancelAuction(*id, body->value(QLatin1String("reason")).toString(),
                                            protocol::nowMs()));
        });
    add("POST", QStringLiteral("/api/admin/auctions/{id}/extend"),
        [&admin](HttpRequest &request) -> HandlerResult {
            HandlerResult notFound;
            const auto id = idOr404(request, &notFound, QStringLiteral("Domain"));
            if (!id)
                return notFound;
            const auto body = request.bodyObject();
            if (!body)
                return HttpResponse::error(body.error());
            const auto seconds = fields::toInt(body->value(QLatin1String("seconds")));
            if (!seconds)
                return HttpResponse::error(ApiError::validation(
                    QStringLiteral("seconds"), QStringLiteral("Give the seconds to add.")));
            return json(admin.extendAuction(*id, *seconds, protocol::nowMs()));
        });

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
