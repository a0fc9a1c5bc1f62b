// SPDX-License-Identifier: MIT
#include "operations/operationsroutes.h"

#include "operations/metrics.h"
#include "storage/database.h"

namespace flippdeal::server {

namespace {

HttpResponse health(const HttpRequest &, Database &db, const std::function<bool()> &redisUp)
{
    if (!db.ping())
        return HttpResponse::json(
            503, {{QLatin1String("status"), QStringLiteral("unavailable")},
                  {QLatin1String("message"), QStringLiteral("The database does not answer.")}});
    if (!redisUp)
        return HttpResponse::json(200, {{QLatin1String("status"), QStringLiteral("ok")}});
    const bool up = redisUp();
    return HttpResponse::json(
        200, {{QLatin1String("status"), up ? QStringLiteral("ok") : QStringLiteral("degraded")},
              {QLatin1String("redis"), up ? QStringLiteral("up") : QStringLiteral("down")}});
}

HttpResponse renderMetrics(const HttpRequest &, Metrics &metrics)
{
    return HttpResponse::text(200, "text/plain; version=0.0.4; charset=utf-8", metrics.render());
}

} // namespace

QList<Route> healthRoutes(Database &db, std::function<bool()> redisUp)
{
    return {{"GET", QStringLiteral("/health"), Router::Access::Public,
             [&db, redisUp = std::move(redisUp)](const HttpRequest &request) -> HandlerResult {
                 return health(request, db, redisUp);
             }}};
}

QList<Route> metricsRoutes(Metrics &metrics)
{
    return {{"GET", QStringLiteral("/metrics"), Router::Access::Public,
             bindRoute(renderMetrics, metrics)}};
}

} // namespace flippdeal::server
