// SPDX-License-Identifier: MIT
#include "marketplace/marketroutes.h"

#include "http/jsonfields.h"
#include "http/requesthelpers.h"
#include "marketplace/auctionservice.h"
#include "marketplace/domainservice.h"
#include "marketplace/offerservice.h"

#include "protocol/timeformat.h"

namespace flippdeal::server {

namespace {

//! Largest amount accepted anywhere: ten billion dollars, far inside 53-bit JSON integers.
constexpr qint64 MaxAmountCents = Q_INT64_C(1'000'000'000'000);

struct DomainAndAmount
{
    qint64 domainId = 0;
    qint64 amountCents = 0;
};

//! The domain `{id}` (or the 404) and the required `amount_cents` of a bid or an offer (or the
//! 400 or 422).
Expected<DomainAndAmount> domainAndAmount(const HttpRequest &request)
{
    const auto input = idAndBody(request, QStringLiteral("Domain"));
    if (!input)
        return input.error();
    fields::Reader reader(input->body);
    const qint64 amount = reader.requiredInt(QStringLiteral("amount_cents"), 1, MaxAmountCents);
    if (!reader.ok())
        return reader.error();
    return DomainAndAmount{input->id, amount};
}

HandlerResult placeBid(const HttpRequest &request, AuctionService &auctions)
{
    const auto input = domainAndAmount(request);
    if (!input)
        return HttpResponse::error(input.error());
    const qint64 now = protocol::nowMs();
    // Committed by the writer thread; answered here once committed and announced.
    return auctions.placeBid(*request.user, input->domainId, input->amountCents, now)
        .then([now](const Expected<AuctionService::BidResult> &result) {
            if (!result)
                return HttpResponse::error(result.error());
            return HttpResponse::json(201, {{QLatin1String("bid"), result->bid.toJson()},
                                            {QLatin1String("auction"),
                                             AuctionService::auctionState(result->auction, now)},
                                            {QLatin1String("extended"), result->extended}});
        });
}

HttpResponse listBids(const HttpRequest &request, DomainService &domains, AuctionService &auctions)
{
    const auto id = idOr404(request, QStringLiteral("Domain"));
    if (!id)
        return HttpResponse::error(id.error());
    if (!domains.findVisible(*id, request.user->id))
        return HttpResponse::error(ApiError::notFound(QStringLiteral("Domain not found.")));
    const auto limit = limitParam(request, 50, 500);
    if (!limit)
        return HttpResponse::error(limit.error());
    return respondList(auctions.bids(*id, *limit));
}

HandlerResult updateDomain(const HttpRequest &request, DomainService &domains)
{
    const auto input = idAndBody(request, QStringLiteral("Domain"));
    if (!input)
        return HttpResponse::error(input.error());
    return respondLater(200, QLatin1String("domain"),
                        domains.update(*request.user, input->id, input->body, protocol::nowMs()));
}

HandlerResult makeOffer(const HttpRequest &request, OfferService &offers)
{
    const auto input = domainAndAmount(request);
    if (!input)
        return HttpResponse::error(input.error());
    return respondLater(201, QLatin1String("offer"),
                        offers.make(*request.user, input->domainId, input->amountCents));
}

HandlerResult respondToOffer(const HttpRequest &request, OfferService &offers)
{
    const auto input = idAndBody(request, QStringLiteral("Offer"));
    if (!input)
        return HttpResponse::error(input.error());
    fields::Reader reader(input->body);
    const QString actionName = reader.requiredString(QStringLiteral("action"), 20);
    const auto amount = reader.optionalInt(QStringLiteral("amount_cents"), 1, MaxAmountCents);
    if (!reader.ok())
        return HttpResponse::error(reader.error());
    const auto action = fromString<OfferAction>(actionName);
    if (!action)
        return HttpResponse::error(
            ApiError::validation(QStringLiteral("action"),
                                 QStringLiteral("The action must be accept, reject or counter.")));
    return respondLater(200, QLatin1String("offer"),
                        offers.respond(*request.user, input->id, *action, amount));
}

} // namespace

QList<Route> marketRoutes(DomainService &domains, AuctionService &auctions, OfferService &offers)
{
    using enum Router::Access;
    return {
        {"POST", QStringLiteral("/api/domains/{id}/bids"), User, bindRoute(placeBid, auctions)},
        {"GET", QStringLiteral("/api/domains/{id}/bids"), User,
         bindRoute(listBids, domains, auctions)},
        {"PATCH", QStringLiteral("/api/domains/{id}"), User, bindRoute(updateDomain, domains)},
        {"POST", QStringLiteral("/api/domains/{id}/offers"), User, bindRoute(makeOffer, offers)},
        {"PATCH", QStringLiteral("/api/offers/{id}"), User, bindRoute(respondToOffer, offers)},
    };
}

} // namespace flippdeal::server
