// SPDX-License-Identifier: MIT
// Bids, offers and escrows: POST /api/domains/{id}/bids, GET /api/domains/{id}/bids,
// POST /api/domains/{id}/offers, PATCH /api/offers/{id}, GET /api/escrows/{id},
// POST /api/escrows/{id}/{action}, and the owner's PATCH /api/domains/{id}.
#include "app/routes.h"
#include "escrow/escrowservice.h"
#include "http/jsonfields.h"
#include "http/router.h"
#include "marketplace/auctionservice.h"
#include "marketplace/offerservice.h"

#include "protocol/timeformat.h"

#include <QJsonArray>

namespace flippdeal::server {

namespace {

//! Largest amount accepted anywhere: ten billion dollars, far inside 53-bit JSON integers.
constexpr qint64 MaxAmountCents = Q_INT64_C(1'000'000'000'000);

} // namespace

void registerMarketRoutes(Router &router, DomainService &domains, AuctionService &auctions,
                          OfferService &offers, EscrowService &escrows)
{
    router.add(
        "POST", QStringLiteral("/api/domains/{id}/bids"), Router::Access::User,
        [&auctions](HttpRequest &request) -> HandlerResult {
            const auto id = request.idParam(QStringLiteral("id"));
            if (!id)
                return HttpResponse::error(ApiError::notFound(QStringLiteral("Domain not found.")));
            const auto body = request.bodyObject();
            if (!body)
                return HttpResponse::error(body.error());
            fields::Reader reader(*body);
            const qint64 amount =
                reader.requiredInt(QStringLiteral("amount_cents"), 1, MaxAmountCents);
            if (!reader.ok())
                return HttpResponse::error(reader.error());
            const qint64 now = protocol::nowMs();
            const auto result = auctions.placeBid(*request.user, *id, amount, now);
            if (!result)
                return HttpResponse::error(result.error());
            return HttpResponse::json(201, {{QLatin1String("bid"), result->bid.toJson()},
                                            {QLatin1String("auction"),
                                             AuctionService::auctionState(result->auction, now)},
                                            {QLatin1String("extended"), result->extended}});
        });
    router.add(
        "GET", QStringLiteral("/api/domains/{id}/bids"), Router::Access::User,
        [&auctions, &domains](HttpRequest &request) -> HandlerResult {
            const auto id = request.idParam(QStringLiteral("id"));
            if (!id || !domains.findVisible(*id, request.user->id))
                return HttpResponse::error(ApiError::notFound(QStringLiteral("Domain not found.")));
            const auto limit =
                fields::queryInt(request.queryValue(QStringLiteral("limit")), 50, 1, 500);
            if (!limit)
                return HttpResponse::error(ApiError::validation(
                    QStringLiteral("limit"), QStringLiteral("The limit must be from 1 to 500.")));
            const auto list = auctions.bids(*id, int(*limit));
            if (!list)
                return HttpResponse::error(list.error());
            QJsonArray data;
            for (const Bid &bid : *list)
                data.append(bid.toJson());
            return HttpResponse::json(200, {{QLatin1String("data"), data}});
        });
    router.add("PATCH", QStringLiteral("/api/domains/{id}"), Router::Access::User,
               [&domains](HttpRequest &request) -> HandlerResult {
                   const auto id = request.idParam(QStringLiteral("id"));
                   if (!id)
                       return HttpResponse::error(
                           ApiError::notFound(QStringLiteral("Domain not found.")));
                   const auto body = request.bodyObject();
                   if (!body)
                       return HttpResponse::error(body.error());
                   return jsonResult(200, QLatin1String("domain"),
                                     domains.update(*request.user, *id, *body, protocol::nowMs()));
               });
    router.add(
        "POST", QStringLiteral("/api/domains/{id}/offers"), Router::Access::User,
        [&offers](HttpRequest &request) -> HandlerResult {
            const auto id = request.idParam(QStringLiteral("id"));
            if (!id)
                return HttpResponse::error(ApiError::notFound(QStringLiteral("Domain not found.")));
            const auto body = request.bodyObject();
            if (!body)
                return HttpResponse::error(body.error());
            fields::Reader reader(*body);
            const qint64 amount =
                reader.requiredInt(QStringLiteral("amount_cents"), 1, MaxAmountCents);
            if (!reader.ok())
                return HttpResponse::error(reader.error());
            return jsonResult(201, QLatin1String("offer"), offers.make(*request.user, *id, amount));
        });
    router.add("PATCH", QStringLiteral("/api/offers/{id}"), Router::Access::User,
               [&offers](HttpRequest &request) -> HandlerResult {
                   const auto id = request.idParam(QStringLiteral("id"));
                   if (!id)
                       return HttpResponse::error(
                           ApiError::notFound(QStringLiteral("Offer not found.")));
                   const auto body = request.bodyObject();
                   if (!body)
                       return HttpResponse::error(body.error());
                   fields::Reader reader(*body);
                   const QString action = reader.requiredString(QStringLiteral("action"), 20);
                   const auto amount =
                       reader.optionalInt(QStringLiteral("amount_cents"), 1, MaxAmountCents);
                   if (!reader.ok())
                       return HttpResponse::error(reader.error());
                   return jsonResult(200, QLatin1String("offer"),
                                     offers.respond(*request.user, *id, action, amount));
               });
    router.add("GET", QStringLiteral("/api/escrows/{id}"), Router::Access::User,
               [&escrows](HttpRequest &request) -> HandlerResult {
                   const auto id = request.idParam(QStringLiteral("id"));
                   if (!id)
                       return HttpResponse::error(
                           ApiError::notFound(QStringLiteral("Escrow not found.")));
                   return jsonResult(200, QLatin1String("escrow"), escrows.get(*request.user, *id));
               });
    router.add("POST", QStringLiteral("/api/escrows/{id}/{action}"), Router::Access::User,
               [&escrows](HttpRequest &request) -> HandlerResult {
                   const auto id = request.idParam(QStringLiteral("id"));
                   if (!id)
                       return HttpResponse::error(
                           ApiError::notFound(QStringLiteral("Escrow not found.")));
                   QString reason;
                   if (!request.body.trimmed().isEmpty()) {
                       const auto body = request.bodyObject();
                       if (!body)
                           return HttpResponse::error(body.error());
                       reason = body->value(QLatin1String("reason")).toString().left(1000);
                   }
                   const auto escrow = escrows.transition(
                       *request.user, *id, request.params.value(QStringLiteral("action")), reason);
                   if (!escrow)
                       return HttpResponse::error(escrow.error());
                   // A charge the provider has not settled yet: accepted, funded later by a job.
                   const bool pending = escrow->chargeStatus == QLatin1String("pending") &&
                                        escrow->status == QLatin1String("pending_funding");
                   return HttpResponse::json(pending ? 202 : 200,
                                             {{QLatin1String("escrow"), escrow->toJson()}});
               });
}

} // namespace flippdeal::server
