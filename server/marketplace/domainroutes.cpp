// SPDX-License-Identifier: MIT
// POST /api/domains, GET /api/domains/{id}, POST and DELETE /api/domains/{id}/watch, and
// GET /api/auctions (the live auctions, for the desktop client's list).
#include "app/routes.h"
#include "http/jsonfields.h"
#include "http/router.h"
#include "marketplace/domainservice.h"

#include "protocol/timeformat.h"

#include <QJsonArray>

namespace flippdeal::server {

void registerDomainRoutes(Router &router, DomainService &domains)
{
    router.add("POST", QStringLiteral("/api/domains"), Router::Access::User,
               [&domains](HttpRequest &request) -> HandlerResult {
                   const auto body = request.bodyObject();
                   if (!body)
                       return HttpResponse::error(body.error());
                   return jsonResult(201, QLatin1String("domain"),
                                     domains.create(*request.user, *body, protocol::nowMs()));
               });
    router.add("GET", QStringLiteral("/api/domains/{id}"), Router::Access::User,
               [&domains](HttpRequest &request) -> HandlerResult {
                   const auto id = request.idParam(QStringLiteral("id"));
                   if (!id)
                       return HttpResponse::error(
                           ApiError::notFound(QStringLiteral("Domain not found.")));
                   return jsonResult(200, QLatin1String("domain"), domains.get(*request.user, *id));
               });
    router.add(
        "GET", QStringLiteral("/api/auctions"), Router::Access::User,
        [&domains](HttpRequest &request) -> HandlerResult {
            const auto limit =
                fields::queryInt(request.queryValue(QStringLiteral("limit")), 50, 1, 200);
            if (!limit)
                return HttpResponse::error(ApiError::validation(
                    QStringLiteral("limit"), QStringLiteral("The limit must be from 1 to 200.")));
            const auto list = domains.liveAuctions(protocol::nowMs(), int(*limit));
            if (!list)
                return HttpResponse::error(list.error());
            QJsonArray data;
            for (const Domain &domain : *list)
                data.append(domain.toJson());
            return HttpResponse::json(200, {{QLatin1String("data"), data}});
        });
    for (const QByteArray &method : {QByteArray("POST"), QByteArray("DELETE")}) {
        router.add(method, QStringLiteral("/api/domains/{id}/watch"), Router::Access::User,
                   [&domains, watching = method == "POST"](HttpRequest &request) -> HandlerResult {
                       const auto id = request.idParam(QStringLiteral("id"));
                       if (!id)
                           return HttpResponse::error(
                               ApiError::notFound(QStringLiteral("Domain not found.")));
                       const auto domain = domains.watch(*request.user, *id, watching);
                       if (!domain)
                           return HttpResponse::error(domain.error());
                       return HttpResponse::json(200, {{QLatin1String("domain"), domain->toJson()},
                                                       {QLatin1String("watching"), watching}});
                   });
    }
}

} // namespace flippdeal::server
