// SPDX-License-Identifier: MIT
#include "marketplace/offerservice.h"

#include "core/logging.h"
#include "escrow/escrowservice.h"
#include "events/eventstore.h"
#include "marketplace/domainservice.h"
#include "notifications/notificationservice.h"
#include "storage/database.h"

#include "protocol/timeformat.h"

namespace flippdeal::server {

namespace {

const QString offerColumns =
    QStringLiteral("SELECT o.id, o.domain_id, o.user_id, o.amount_cents, o.counter_cents, "
                   "o.status, o.created_at, o.updated_at, "
                   "(SELECT e.id FROM escrows e WHERE e.offer_id = o.id) FROM offers o ");

Offer offerFromRow(const SqlQuery &q)
{
    Offer o;
    o.id = q.int64(0);
    o.domainId = q.int64(1);
    o.userId = q.int64(2);
    o.amountCents = q.int64(3);
    o.counterCents = q.optionalInt64(4);
    o.status = q.text(5);
    o.createdAt = q.int64(6);
    o.updatedAt = q.int64(7);
    o.escrowId = q.optionalInt64(8);
    return o;
}

} // namespace

QJsonObject Offer::toJson() const
{
    return {
        {QLatin1String("id"), id},
        {QLatin1String("domain_id"), domainId},
        {QLatin1String("user_id"), userId},
        {QLatin1String("amount_cents"), amountCents},
        {QLatin1String("counter_cents"), counterCents ? QJsonValue(*counterCents) : QJsonValue()},
        {QLatin1String("status"), status},
        {QLatin1String("escrow_id"), escrowId ? QJsonValue(*escrowId) : QJsonValue()},
        {QLatin1String("created_at"), protocol::isoUtc(createdAt)},
        {QLatin1String("updated_at"), protocol::isoUtc(updatedAt)}};
}

OfferService::OfferService(Database &db, EventStore &events, NotificationService &notifications,
                           EscrowService &escrows, DomainService &domains)
    : m_db(db)
    , m_events(events)
    , m_notifications(notifications)
    , m_escrows(escrows)
    , m_domains(domains)
{}

void OfferService::announce(EventBatch &batch, const QString &event, const Offer &offer,
                            qint64 ownerId)
{
    // An offer's amount and maker are the two parties' business: the domain's channel, which
    // any watcher may follow, never carries them.
    const QJsonObject data{{QLatin1String("offer"), offer.toJson()}};
    batch.add(protocol::Channels::user(offer.userId), event, data);
    batch.add(protocol::Channels::user(ownerId), event, data);
}

std::optional<Offer> OfferService::load(qint64 offerId)
{
    SqlQuery query(m_db, offerColumns + QStringLiteral("WHERE o.id = ?"));
    query.bind(offerId).exec();
    if (!query.next())
        return std::nullopt;
    return offerFromRow(query);
}

Expected<Offer> OfferService::make(const protocol::User &user, qint64 domainId, qint64 amountCents)
{
    std::optional<ApiError> refusal;
    Offer offer;
    const bool ok = m_events.transaction([&](EventBatch &batch) {
        const auto domain = m_domains.findVisible(domainId, user.id);
        if (!domain) {
            refusal = ApiError::notFound(QStringLiteral("Domain not found."));
            return false;
        }
        if (domain->status != QLatin1String("active")) {
            refusal =
                ApiError::validation(QStringLiteral("amount_cents"),
                                     QStringLiteral("This domain is not for sale right now."));
            return false;
        }
        if (domain->ownerId == user.id) {
            refusal = ApiError::validation(
                QStringLiteral("amount_cents"),
                QStringLiteral("You cannot make an offer on your own domain."));
            return false;
        }
        const qint64 now = protocol::nowMs();
        offer = Offer{0,
                      domainId,
                      user.id,
                      amountCents,
                      std::nullopt,
                      QStringLiteral("pending"),
                      std::nullopt,
                      now,
                      now};
        offer.id = SqlQuery(m_db, QStringLiteral("INSERT INTO offers (domain_id, user_id, "
                                                 "amount_cents, status, created_at, updated_at) "
                                                 "VALUES (?, ?, ?, 'pending', ?, ?) RETURNING id"))
                       .bind(domainId)
                       .bind(user.id)
                       .bind(amountCents)
                       .bind(now)
                       .bind(now)
                       .scalar();
        announce(batch, protocol::EventName::OfferMade, offer, domain->ownerId);
        m_notifications.notifyUser(batch, domain->ownerId,
                                   protocol::NotificationType::OfferReceived,
                                   {{QLatin1String("offer_id"), offer.id},
                                    {QLatin1String("domain_id"), domainId},
                                    {QLatin1String("domain_name"), domain->name},
                                    {QLatin1String("from_user_id"), user.id},
                                    {QLatin1String("amount_cents"), amountCents}});
        return true;
    });
    if (refusal)
        return *refusal;
    if (!ok)
        return ApiError::internal();
    return offer;
}

Expected<Offer> OfferService::respond(const protocol::User &user, qint64 offerId,
                                      const QString &action, std::optional<qint64> amountCents)
{
    if (action != QLatin1String("accept") && action != QLatin1String("reject") &&
        action != QLatin1String("counter"))
        return ApiError::validation(
            QStringLiteral("action"),
            QStringLiteral("The action must be accept, reject or counter."));
    if (action == QLatin1String("counter") && !amountCents)
        return ApiError::validation(QStringLiteral("amount_cents"),
                                    QStringLiteral("A counter-offer needs amount_cents."));

    std::optional<ApiError> refusal;
    std::optional<Offer> result;
    const bool ok = m_events.transaction([&](EventBatch &batch) {
        auto offer = load(offerId);
        if (!offer) {
            refusal = ApiError::notFound(QStringLiteral("Offer not found."));
            return false;
        }
        const auto domain = m_domains.find(offer->domainId);
        if (!domain) {
            refusal = ApiError::notFound(QStringLiteral("Domain not found."));
            return false;
        }
        const bool isOwner = user.id == domain->ownerId;
        const bool isMaker = user.id == offer->userId;
        if (!isOwner && !isMaker) {
            refusal = ApiError::forbidden(
                QStringLiteral("Only the domain's owner and the offer's maker may respond."));
            return false;
        }
        // The owner answers a pending offer; the maker answers the owner's counter.
        const bool ownersTurn = offer->status == QLatin1String("pending");
        const bool makersTurn = offer->status == QLatin1String("countered");
        if (!ownersTurn && !makersTurn) {
            refusal =
                ApiError::conflict(QStringLiteral("This offer is already %1.").arg(offer->status));
            return false;
        }
        if ((ownersTurn && !isOwner) || (makersTurn && !isMaker)) {
            refusal =
                ApiError::forbidden(QStringLiteral("It is the other party's turn to respond."));
            return false;
        }
        if (makersTurn && action == QLatin1String("counter")) {
            refusal = ApiError::validation(
                QStringLiteral("action"),
                QStringLiteral("Make a new offer instead of countering a counter-offer."));
            return false;
        }
        if (action == QLatin1String("accept") && domain->status != QLatin1String("active")) {
            refusal = ApiError::conflict(QStringLiteral("The domain is no longer available."));
            return false;
        }
        if (action == QLatin1String("accept") && domain->enableBidding && domain->bidCount > 0) {
            refusal = ApiError::conflict(
                QStringLiteral("The auction already has bids; the offer cannot be accepted."));
            return false;
        }
        const qint64 now = protocol::nowMs();
        const QString newStatus = action == QLatin1String("accept")   ? QStringLiteral("accepted")
                                  : action == QLatin1String("reject") ? QStringLiteral("rejected")
                                                                      : QStringLiteral("countered");
        SqlQuery update(
            m_db, QStringLiteral(
                      "UPDATE offers SET status = ?, counter_cents = COALESCE(?, counter_cents), "
                      "updated_at = ? WHERE id = ? AND status = ?"));
        update.bind(newStatus)
            .bindOptional(action == QLatin1String("counter") ? amountCents : std::nullopt)
            .bind(now)
            .bind(offerId)
            .bind(offer->status)
            .exec();
        if (update.numRowsAffected() != 1) {
            refusal = ApiError::conflict(QStringLiteral("The offer changed meanwhile; reload it."));
            return false;
        }
        if (action == QLatin1String("counter"))
            offer->counterCents = amountCents;
        offer->status = newStatus;
        offer->updatedAt = now;
        if (newStatus == QLatin1String("accepted")) {
            const qint64 price =
                makersTurn ? offer->counterCents.value_or(offer->amountCents) : offer->amountCents;
            SqlQuery(m_db, QStringLiteral(
                               "UPDATE domains SET status = 'ended', updated_at = ? WHERE id = ?"))
                .bind(now)
                .bind(domain->id)
                .exec();
            offer->escrowId = m_escrows
                                  .open(batch, domain->id, offer->userId, domain->ownerId, price,
                                        QStringLiteral("offer"), offer->id)
                                  .id;
        }
        announce(batch, protocol::EventName::OfferUpdated, *offer, domain->ownerId);
        if (newStatus == QLatin1String("accepted")) {
            // Watchers learn that the domain is gone, not to whom or for how much.
            Domain ended = *domain;
            ended.status = QStringLiteral("ended");
            ended.updatedAt = now;
            batch.add(protocol::Channels::domain(domain->id), protocol::EventName::DomainUpdated,
                      {{QLatin1String("domain"), ended.toJson()}});
        }
        const QString type =
            newStatus == QLatin1String("accepted")   ? protocol::NotificationType::OfferAccepted
            : newStatus == QLatin1String("rejected") ? protocol::NotificationType::OfferRejected
                                                     : protocol::NotificationType::OfferCountered;
        m_notifications.notifyUser(
            batch, isOwner ? offer->userId : domain->ownerId, type,
            {{QLatin1String("offer_id"), offer->id},
             {QLatin1String("domain_id"), domain->id},
             {QLatin1String("domain_name"), domain->name},
             {QLatin1String("amount_cents"), offer->amountCents},
             {QLatin1String("counter_cents"),
              offer->counterCents ? QJsonValue(*offer->counterCents) : QJsonValue()},
             {QLatin1String("escrow_id"),
              offer->escrowId ? QJsonValue(*offer->escrowId) : QJsonValue()}});
        result = offer;
        return true;
    });
    if (refusal)
        return *refusal;
    if (!ok || !result)
        return ApiError::internal();
    return *result;
}

} // namespace flippdeal::server
