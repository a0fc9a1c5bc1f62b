// SPDX-License-Identifier: MIT
#include "escrow/escrowroutes.h"

#include "escrow/escrowservice.h"
#include "http/requesthelpers.h"

namespace flippdeal::server {

namespace {

HttpResponse showEscrow(const HttpRequest &request, EscrowService &escrows)
{
    const auto id = idOr404(request, QStringLiteral("Escrow"));
    if (!id)
        return HttpResponse::error(id.error());
    return respond(200, QLatin1String("escrow"), escrows.get(*request.user, *id));
}

HandlerResult transitionEscrow(const HttpRequest &request, EscrowService &escrows)
{
    const auto id = idOr404(request, QStringLiteral("Escrow"));
    if (!id)
        return HttpResponse::error(id.error());
    QString reason;
    if (!request.body.trimmed().isEmpty()) {
        const auto body = request.bodyObject();
        if (!body)
            return HttpResponse::error(body.error());
        reason = body->value(QLatin1String("reason")).toString().left(1000);
    }
    const auto action = EscrowService::actionNamed(request.params.value(QStringLiteral("action")));
    if (!action)
        return HttpResponse::error(action.error());
    return escrows.transition(*request.user, *id, *action, reason)
        .then([](const Expected<Escrow> &escrow) {
            if (!escrow)
                return HttpResponse::error(escrow.error());
            // A charge the provider has not settled yet: accepted, funded later by a job.
            const bool pending = escrow->chargeStatus == QLatin1String("pending") &&
                                 escrow->status == EscrowStatus::PendingFunding;
            return HttpResponse::json(pending ? 202 : 200,
                                      {{QLatin1String("escrow"), escrow->toJson()}});
        });
}

} // namespace

QList<Route> escrowRoutes(EscrowService &escrows)
{
    using enum Router::Access;
    return {
        {"GET", QStringLiteral("/api/escrows/{id}"), User, bindRoute(showEscrow, escrows)},
        {"POST", QStringLiteral("/api/escrows/{id}/{action}"), User,
         bindRoute(transitionEscrow, escrows)},
    };
}

} // namespace flippdeal::server
