// SPDX-License-Identifier: MIT
#include "marketplace/offerservice.h"

#include "core/logging.h"
#include "escrow/escrowservice.h"
#include "events/eventstore.h"
#include "marketplace/domainservice.h"
#include "marketplace/domaintable.h"
#include "marketplace/offertable.h"
#include "notifications/notificationservice.h"
#include "storage/database.h"

#include "protocol/timeformat.h"

namespace flippdeal::server {

namespace {

//! Why `user` may not `action` `offer` on `domain` now, or nothing when they may.
std::optional<ApiError> refusalToRespond(const protocol::User &user, const Offer &offer,
                                         const Domain &domain, OfferAction action)
{
    const bool isOwner = user.id == domain.ownerId;
    const bool isMaker = user.id == offer.userId;
    if (!isOwner && !isMaker)
        return ApiError::forbidden(
            QStringLiteral("Only the domain's owner and the offer's maker may respond."));
    // The owner answers a pending offer; the maker answers the owner's counter.
    const bool ownersTurn = offer.status == OfferStatus::Pending;
    const bool makersTurn = offer.status == OfferStatus::Countered;
    if (!ownersTurn && !makersTurn)
        return ApiError::conflict(
            QStringLiteral("This offer is already %1.").arg(toString(offer.status)));
    if ((ownersTurn && !isOwner) || (makersTurn && !isMaker))
        return ApiError::forbidden(QStringLiteral("It is the other party's turn to respond."));
    if (makersTurn && action == OfferAction::Counter)
        return ApiError::validation(
            QStringLiteral("action"),
            QStringLiteral("Make a new offer instead of countering a counter-offer."));
    if (action == OfferAction::Accept && domain.status != DomainStatus::Active)
        return ApiError::conflict(QStringLiteral("The domain is no longer available."));
    if (action == OfferAction::Accept && domain.enableBidding && domain.bidCount > 0)
        return ApiError::conflict(
            QStringLiteral("The auction already has bids; the offer cannot be accepted."));
    return std::nullopt;
}

OfferStatus statusAfter(OfferAction action)
{
    switch (action) {
    case OfferAction::Accept:
        return OfferStatus::Accepted;
    case OfferAction::Reject:
        return OfferStatus::Rejected;
    case OfferAction::Counter:
        break;
    }
    return OfferStatus::Countered;
}

QString notificationFor(OfferStatus status)
{
    switch (status) {
    case OfferStatus::Accepted:
        return protocol::NotificationType::OfferAccepted;
    case OfferStatus::Rejected:
        return protocol::NotificationType::OfferRejected;
    case OfferStatus::Pending:
    case OfferStatus::Countered:
        break;
    }
    return protocol::NotificationType::OfferCountered;
}

QJsonValue optionalJson(const std::optional<qint64> &value)
{
    return value ? QJsonValue(*value) : QJsonValue();
}

} // namespace

OfferService::OfferService(EventStore &events, NotificationService &notifications,
                           EscrowService &escrows, DomainService &domains)
    : m_events(events)
    , m_notifications(notifications)
    , m_escrows(escrows)
    , m_domains(domains)
{}

void OfferService::announce(EventBatch &batch, const QString &event, const Offer &offer,
                            qint64 ownerId)
{
    // An offer's amount and maker are the two parties' business: the domain's channel, which
    // any watcher may follow, never carries them.
    const QJsonObject data{{"offer"_L1, offer.toJson()}};
    batch.add(protocol::Channels::user(offer.userId), event, data);
    batch.add(protocol::Channels::user(ownerId), event, data);
}

QFuture<Expected<Offer>> OfferService::make(const protocol::User &user, qint64 domainId,
                                            qint64 amountCents)
{
    return m_events.transactionLater(
        [this, user, domainId, amountCents](EventBatch &batch) -> Expected<Offer> {
            return record(batch, user, domainId, amountCents);
        });
}

QFuture<Expected<Offer>> OfferService::respond(const protocol::User &user, qint64 offerId,
                                               OfferAction action,
                                               std::optional<qint64> amountCents)
{
    if (action == OfferAction::Counter && !amountCents)
        return QtFuture::makeReadyFuture(Expected<Offer>(
            ApiError::validation(QStringLiteral("amount_cents"),
                                 QStringLiteral("A counter-offer needs amount_cents."))));
    return m_events.transactionLater(
        [this, user, offerId, action, amountCents](EventBatch &batch) -> Expected<Offer> {
            return answer(batch, user, offerId, action, amountCents);
        });
}

Expected<Offer> OfferService::record(EventBatch &batch, const protocol::User &user, qint64 domainId,
                                     qint64 amountCents) const
{
    const auto domain = DomainTable(batch.db()).find(domainId);
    if (!domain || !domain->isVisibleTo(user.id))
        return ApiError::notFound(QStringLiteral("Domain not found."));
    if (domain->status != DomainStatus::Active)
        return ApiError::validation(QStringLiteral("amount_cents"),
                                    QStringLiteral("This domain is not for sale right now."));
    if (domain->ownerId == user.id)
        return ApiError::validation(QStringLiteral("amount_cents"),
                                    QStringLiteral("You cannot make an offer on your own domain."));
    const Offer offer =
        OfferTable(batch.db()).insert(domainId, user.id, amountCents, protocol::nowMs());
    announce(batch, protocol::EventName::OfferMade, offer, domain->ownerId);
    m_notifications.notifyUser(batch, domain->ownerId, protocol::NotificationType::OfferReceived,
                               {{"offer_id"_L1, offer.id},
                                {"domain_id"_L1, domainId},
                                {"domain_name"_L1, domain->name},
                                {"from_user_id"_L1, user.id},
                                {"amount_cents"_L1, amountCents}});
    return offer;
}

Expected<Offer> OfferService::answer(EventBatch &batch, const protocol::User &user, qint64 offerId,
                                     OfferAction action, std::optional<qint64> amountCents) const
{
    OfferTable offers(batch.db());
    auto offer = offers.find(offerId);
    if (!offer)
        return ApiError::notFound(QStringLiteral("Offer not found."));
    const auto domain = DomainTable(batch.db()).find(offer->domainId);
    if (!domain)
        return ApiError::notFound(QStringLiteral("Domain not found."));
    if (const auto refusal = refusalToRespond(user, *offer, *domain, action))
        return *refusal;
    const OfferStatus from = offer->status;
    offer->status = statusAfter(action);
    offer->updatedAt = protocol::nowMs();
    if (action == OfferAction::Counter)
        offer->counterCents = amountCents;
    if (!offers.update(*offer, from))
        return ApiError::conflict(QStringLiteral("The offer changed meanwhile; reload it."));
    closeSale(batch, *offer, from, *domain);
    m_notifications.notifyUser(batch, user.id == domain->ownerId ? offer->userId : domain->ownerId,
                               notificationFor(offer->status),
                               {{"offer_id"_L1, offer->id},
                                {"domain_id"_L1, domain->id},
                                {"domain_name"_L1, domain->name},
                                {"amount_cents"_L1, offer->amountCents},
                                {"counter_cents"_L1, optionalJson(offer->counterCents)},
                                {"escrow_id"_L1, optionalJson(offer->escrowId)}});
    return *offer;
}

void OfferService::closeSale(EventBatch &batch, Offer &offer, OfferStatus from,
                             const Domain &domain) const
{
    const bool accepted = offer.status == OfferStatus::Accepted;
    if (accepted) {
        const qint64 price = from == OfferStatus::Countered
                                 ? offer.counterCents.value_or(offer.amountCents)
                                 : offer.amountCents;
        offer.escrowId = m_escrows
                             .open(batch, domain.id, offer.userId, domain.ownerId, price,
                                   QStringLiteral("offer"), offer.id)
                             .id;
    }
    announce(batch, protocol::EventName::OfferUpdated, offer, domain.ownerId);
    if (accepted) // watchers learn only that it is gone
        m_domains.endSale(batch, domain, offer.updatedAt);
}

} // namespace flippdeal::server
