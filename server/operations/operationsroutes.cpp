// SPDX-License-Identifier: MIT
// GET /health and GET /metrics.
#include "app/routes.h"
#include "http/router.h"
#include "operations/metrics.h"
#include "storage/database.h"

namespace flippdeal::server {

void registerOperationsRoutes(Router &router, Database &db)
{
    router.add(
        "GET", QStringLiteral("/health"), Router::Access::Public,
        [&db](HttpRequest &) -> HandlerResult {
            if (!db.ping())
                return HttpResponse::json(
                    503,
                    {{QLatin1String("status"), QStringLiteral("unavailable")},
                     {QLatin1String("message"), QStringLiteral("The database does not answer.")}});
            return HttpResponse::json(200, {{QLatin1String("status"), QStringLiteral("ok")}});
        });
}

void registerMetricsRoute(Router &router, Metrics &metrics)
{
    router.add("GET", QStringLiteral("/metrics"), Router::Access::Public,
               [&metrics](HttpRequest &) -> HandlerResult {
                   return HttpResponse::text(200, "text/plain; version=0.0.4; charset=utf-8",
                                             metrics.render());
               });
}

} // namespace flippdeal::server
