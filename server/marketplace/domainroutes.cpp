// SPDX-License-Identifier: MIT
#include "marketplace/domainroutes.h"

#include "http/requesthelpers.h"
#include "marketplace/domainservice.h"

#include "protocol/timeformat.h"

namespace flippdeal::server {

namespace {

HandlerResult createDomain(const HttpRequest &request, DomainService &domains)
{
    const auto body = request.bodyObject();
    if (!body)
        return HttpResponse::error(body.error());
    return respondLater(201, QLatin1String("domain"),
                        domains.create(*request.user, *body, protocol::nowMs()));
}

HttpResponse showDomain(const HttpRequest &request, DomainService &domains)
{
    const auto id = idOr404(request, QStringLiteral("Domain"));
    if (!id)
        return HttpResponse::error(id.error());
    return respond(200, QLatin1String("domain"), domains.get(*request.user, *id));
}

HttpResponse listLiveAuctions(const HttpRequest &request, DomainService &domains)
{
    const auto limit = limitParam(request, 50, 200);
    if (!limit)
        return HttpResponse::error(limit.error());
    return respondList(domains.liveAuctions(protocol::nowMs(), *limit));
}

HandlerResult setWatching(const HttpRequest &request, DomainService &domains, bool watching)
{
    const auto id = idOr404(request, QStringLiteral("Domain"));
    if (!id)
        return HttpResponse::error(id.error());
    return domains.watch(*request.user, *id, watching)
        .then([watching](const Expected<Domain> &domain) {
            if (!domain)
                return HttpResponse::error(domain.error());
            return HttpResponse::json(200, {{QLatin1String("domain"), domain->toJson()},
                                            {QLatin1String("watching"), watching}});
        });
}

HandlerResult watchDomain(const HttpRequest &request, DomainService &domains)
{
    return setWatching(request, domains, true);
}

HandlerResult unwatchDomain(const HttpRequest &request, DomainService &domains)
{
    return setWatching(request, domains, false);
}

} // namespace

QList<Route> domainRoutes(DomainService &domains)
{
    using enum Router::Access;
    return {
        {"POST", QStringLiteral("/api/domains"), User, bindRoute(createDomain, domains)},
        {"GET", QStringLiteral("/api/domains/{id}"), User, bindRoute(showDomain, domains)},
        {"GET", QStringLiteral("/api/auctions"), User, bindRoute(listLiveAuctions, domains)},
        {"POST", QStringLiteral("/api/domains/{id}/watch"), User, bindRoute(watchDomain, domains)},
        {"DELETE", QStringLiteral("/api/domains/{id}/watch"), User,
         bindRoute(unwatchDomain, domains)},
    };
}

} // namespace flippdeal::server
