// SPDX-License-Identifier: MIT
#include "admin/adminroutes.h"

#include "admin/adminservice.h"
#include "http/jsonfields.h"
#include "http/requesthelpers.h"

#include "protocol/timeformat.h"

namespace flippdeal::server {

namespace {

HttpResponse stats(const HttpRequest &, AdminService &admin)
{
    return HttpResponse::json(200, admin.stats(protocol::nowMs()));
}

HttpResponse listChannels(const HttpRequest &request, AdminService &admin)
{
    return HttpResponse::json(
        200,
        {{QLatin1String("data"), admin.channels(request.queryValue(QStringLiteral("prefix")))}});
}

//! `?search=`: at most 255 characters, and none of them NUL.
Expected<QString> searchParam(const HttpRequest &request)
{
    const QString search = request.queryValue(QStringLiteral("search"));
    if (search.size() > 255)
        return ApiError::validation(QStringLiteral("search"),
                                    QStringLiteral("Search for at most 255 characters."));
    if (search.contains(QChar(0))) // PostgreSQL refuses U+0000 in text: a 500 otherwise
        return ApiError::validation(QStringLiteral("search"),
                                    QStringLiteral("The search contains a NUL character."));
    return search;
}

HttpResponse listUsers(const HttpRequest &request, AdminService &admin)
{
    const auto limit = limitParam(request, 50, 500);
    if (!limit)
        return HttpResponse::error(limit.error());
    const auto offset =
        fields::queryInt(request.queryValue(QStringLiteral("offset")), 0, 0, 1000000000);
    if (!offset)
        return HttpResponse::error(ApiError::validation(
            QStringLiteral("offset"), QStringLiteral("The offset must be 0 or more.")));
    const auto search = searchParam(request);
    if (!search)
        return HttpResponse::error(search.error());
    return respond(admin.users(*search, *limit, int(*offset)));
}

HandlerResult setBanned(const HttpRequest &request, AdminService &admin, bool banned)
{
    const auto id = idOr404(request, QStringLiteral("User"));
    if (!id)
        return HttpResponse::error(id.error());
    return respondLater(admin.setBanned(*id, banned, protocol::nowMs()));
}

HandlerResult banUser(const HttpRequest &request, AdminService &admin)
{
    return setBanned(request, admin, true);
}

HandlerResult unbanUser(const HttpRequest &request, AdminService &admin)
{
    return setBanned(request, admin, false);
}

HandlerResult revokeTokens(const HttpRequest &request, AdminService &admin)
{
    const auto id = idOr404(request, QStringLiteral("User"));
    if (!id)
        return HttpResponse::error(id.error());
    return respondLater(admin.revokeTokens(*id));
}

HttpResponse terminateConnections(const HttpRequest &request, AdminService &admin)
{
    const auto id = idOr404(request, QStringLiteral("User"));
    if (!id)
        return HttpResponse::error(id.error());
    return respond(admin.terminateConnections(*id));
}

HttpResponse listPendingJobs(const HttpRequest &request, AdminService &admin)
{
    const auto limit = limitParam(request, 100, 1000);
    if (!limit)
        return HttpResponse::error(limit.error());
    return respondList(admin.pendingJobs(protocol::nowMs(), *limit));
}

HttpResponse listFailedJobs(const HttpRequest &request, AdminService &admin)
{
    const auto limit = limitParam(request, 100, 1000);
    if (!limit)
        return HttpResponse::error(limit.error());
    return respondList(Expected<QJsonArray>(admin.failedJobs(*limit)));
}

HandlerResult retryFailedJob(const HttpRequest &request, AdminService &admin)
{
    const auto id = idOr404(request, QStringLiteral("Failed job"));
    if (!id)
        return HttpResponse::error(id.error());
    return respondValueLater(QLatin1String("retried"), admin.retryFailed(*id));
}

HandlerResult retryAllFailedJobs(const HttpRequest &, AdminService &admin)
{
    return respondValueLater(QLatin1String("retried"), admin.retryFailed(0));
}

HandlerResult deleteFailedJob(const HttpRequest &request, AdminService &admin)
{
    const auto id = idOr404(request, QStringLiteral("Failed job"));
    if (!id)
        return HttpResponse::error(id.error());
    return respondValueLater(QLatin1String("deleted"), admin.deleteFailed(*id));
}

HandlerResult deletePendingJob(const HttpRequest &request, AdminService &admin)
{
    const auto id = idOr404(request, QStringLiteral("Job"));
    if (!id)
        return HttpResponse::error(id.error());
    return respondValueLater(QLatin1String("deleted"), admin.deletePending(*id, protocol::nowMs()));
}

HttpResponse listDisputedEscrows(const HttpRequest &, AdminService &admin)
{
    return respondList(Expected<QJsonArray>(admin.disputedEscrows()));
}

HandlerResult resolveEscrow(const HttpRequest &request, AdminService &admin)
{
    const auto input = idAndBody(request, QStringLiteral("Escrow"));
    if (!input)
        return HttpResponse::error(input.error());
    return respondLater(admin.resolveEscrow(*request.user, input->id,
                                            input->body.value(QLatin1String("outcome")).toString(),
                                            input->body.value(QLatin1String("reason")).toString()));
}

HttpResponse listLiveAuctions(const HttpRequest &request, AdminService &admin)
{
    const auto limit = limitParam(request, 100, 500);
    if (!limit)
        return HttpResponse::error(limit.error());
    return respondList(admin.liveAuctions(protocol::nowMs(), *limit));
}

HandlerResult cancelAuction(const HttpRequest &request, AdminService &admin)
{
    const auto input = idAndBody(request, QStringLiteral("Domain"));
    if (!input)
        return HttpResponse::error(input.error());
    return respondLater(admin.cancelAuction(
        input->id, input->body.value(QLatin1String("reason")).toString(), protocol::nowMs()));
}

HandlerResult extendAuction(const HttpRequest &request, AdminService &admin)
{
    const auto input = idAndBody(request, QStringLiteral("Domain"));
    if (!input)
        return HttpResponse::error(input.error());
    const auto seconds = fields::toInt(input->body.value(QLatin1String("seconds")));
    if (!seconds)
        return HttpResponse::error(ApiError::validation(
            QStringLiteral("seconds"), QStringLiteral("Give the seconds to add.")));
    return respondLater(admin.extendAuction(input->id, *seconds, protocol::nowMs()));
}

HttpResponse announce(const HttpRequest &request, AdminService &admin)
{
    const auto body = request.bodyObject();
    if (!body)
        return HttpResponse::error(body.error());
    return respondValue(QLatin1String("recipients"),
                        admin.announce(body->value(QLatin1String("title")).toString(),
                                       body->value(QLatin1String("body")).toString()),
                        201);
}

} // namespace

QList<Route> adminRoutes(AdminService &admin)
{
    using enum Router::Access;
    return {
        {"GET", QStringLiteral("/api/admin/stats"), Admin, bindRoute(stats, admin)},
        {"GET", QStringLiteral("/api/admin/channels"), Admin, bindRoute(listChannels, admin)},
        // Users
        {"GET", QStringLiteral("/api/admin/users"), Admin, bindRoute(listUsers, admin)},
        {"POST", QStringLiteral("/api/admin/users/{id}/ban"), Admin, bindRoute(banUser, admin)},
        {"POST", QStringLiteral("/api/admin/users/{id}/unban"), Admin, bindRoute(unbanUser, admin)},
        {"POST", QStringLiteral("/api/admin/users/{id}/revoke-tokens"), Admin,
         bindRoute(revokeTokens, admin)},
        {"POST", QStringLiteral("/api/admin/users/{id}/terminate-connections"), Admin,
         bindRoute(terminateConnections, admin)},
        // Jobs
        {"GET", QStringLiteral("/api/admin/jobs"), Admin, bindRoute(listPendingJobs, admin)},
        {"GET", QStringLiteral("/api/admin/jobs/failed"), Admin, bindRoute(listFailedJobs, admin)},
        {"POST", QStringLiteral("/api/admin/jobs/failed/{id}/retry"), Admin,
         bindRoute(retryFailedJob, admin)},
        {"POST", QStringLiteral("/api/admin/jobs/failed/retry-all"), Admin,
         bindRoute(retryAllFailedJobs, admin)},
        {"DELETE", QStringLiteral("/api/admin/jobs/failed/{id}"), Admin,
         bindRoute(deleteFailedJob, admin)},
        {"DELETE", QStringLiteral("/api/admin/jobs/{id}"), Admin,
         bindRoute(deletePendingJob, admin)},
        // Escrows in dispute
        {"GET", QStringLiteral("/api/admin/escrows"), Admin, bindRoute(listDisputedEscrows, admin)},
        {"POST", QStringLiteral("/api/admin/escrows/{id}/resolve"), Admin,
         bindRoute(resolveEscrow, admin)},
        // Auctions
        {"GET", QStringLiteral("/api/admin/auctions"), Admin, bindRoute(listLiveAuctions, admin)},
        {"POST", QStringLiteral("/api/admin/auctions/{id}/cancel"), Admin,
         bindRoute(cancelAuction, admin)},
        {"POST", QStringLiteral("/api/admin/auctions/{id}/extend"), Admin,
         bindRoute(extendAuction, admin)},
        // Announcements
        {"POST", QStringLiteral("/api/admin/announcements"), Admin, bindRoute(announce, admin)},
    };
}

} // namespace flippdeal::server
