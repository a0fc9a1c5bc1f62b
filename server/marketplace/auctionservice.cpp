// SPDX-License-Identifier: MIT
#include "marketplace/auctionservice.h"

#include "core/logging.h"
#include "escrow/escrowservice.h"
#include "events/eventstore.h"
#include "notifications/notificationservice.h"
#include "storage/database.h"

#include "protocol/frame.h"
#include "protocol/timeformat.h"

#include <cmath>

namespace flippdeal::server {

namespace {

constexpr int MaxBidRetries = 3;

//! Why `bidder` may not bid `amountCents` on `domain` at `nowMs`, or nothing.
std::optional<ApiError> refusalToBid(const protocol::User &bidder, const Domain &domain,
                                     qint64 amountCents, qint64 nowMs)
{
    if (!domain.isLiveAuction(nowMs))
        return ApiError::validation(QStringLiteral("amount_cents"),
                                    QStringLiteral("This auction is not active."));
    if (domain.ownerId == bidder.id)
        return ApiError::validation(QStringLiteral("amount_cents"),
                                    QStringLiteral("You cannot bid on your own domain."));
    const qint64 minimum = domain.minimumNextBidCents();
    if (amountCents < minimum)
        return ApiError::validation(
            QStringLiteral("amount_cents"),
            QStringLiteral("The bid must be at least %1 cents.").arg(minimum));
    return std::nullopt;
}

//! `event` with `data` on both of an auction's channels.
void addToAuction(EventBatch &batch, qint64 domainId, const QString &event, const QJsonObject &data)
{
    batch.add(protocol::Channels::auction(domainId), event, data);
    batch.add(protocol::Channels::domain(domainId), event, data);
}

QJsonObject extensionJson(qint64 domainId, qint64 endsAt, qint64 nowMs)
{
    return {{"domain_id"_L1, domainId},
            {"ends_at"_L1, protocol::isoUtc(endsAt)},
            {"server_time"_L1, protocol::isoUtc(nowMs)}};
}

} // namespace

AuctionService::AuctionService(Database &db, EventStore &events, NotificationService &notifications,
                               EscrowService &escrows, qint64 antiSnipeMs)
    : m_db(db)
    , m_auctions(db)
    , m_events(events)
    , m_notifications(notifications)
    , m_escrows(escrows)
    , m_antiSnipeMs(antiSnipeMs)
{}

QJsonObject AuctionService::auctionState(const Domain &domain, qint64 nowMs)
{
    return {{QLatin1String("domain_id"), domain.id},
            {QLatin1String("current_bid_cents"), domain.currentBidCents},
            {QLatin1String("bid_count"), domain.bidCount},
            {QLatin1String("minimum_next_bid_cents"), domain.minimumNextBidCents()},
            {QLatin1String("high_bidder_id"),
             domain.highBidderId ? QJsonValue(*domain.highBidderId) : QJsonValue()},
            {QLatin1String("ends_at"),
             domain.endsAt ? QJsonValue(protocol::isoUtc(*domain.endsAt)) : QJsonValue()},
            {QLatin1String("server_time"), protocol::isoUtc(nowMs)}};
}

QFuture<Expected<AuctionService::BidResult>> AuctionService::placeBid(const protocol::User &bidder,
                                                                      qint64 domainId,
                                                                      qint64 amountCents,
                                                                      qint64 nowMs)
{
    return m_events
        .transactionLater(
            [this, bidder, domainId, amountCents, nowMs](EventBatch &batch) -> Expected<BidResult> {
                return bid(batch, bidder, domainId, amountCents, nowMs);
            })
        .then([domainId](Expected<BidResult> result) {
            if (result) // logged once committed
                qCInfo(lcMarketplace) << "bid" << result->bid.id << "of" << result->bid.amountCents
                                      << "on domain" << domainId;
            return result;
        });
}

Expected<AuctionService::BidResult> AuctionService::bid(EventBatch &batch,
                                                        const protocol::User &bidder,
                                                        qint64 domainId, qint64 amountCents,
                                                        qint64 nowMs) const
{
    DomainTable domains(batch.db());
    for (int attempt = 0; attempt < MaxBidRetries; ++attempt) {
        const auto domain = domains.find(domainId);
        if (!domain || !domain->isVisibleTo(bidder.id))
            return ApiError::notFound(QStringLiteral("Domain not found."));
        if (auto refusal = refusalToBid(bidder, *domain, amountCents, nowMs))
            return *refusal;
        // Nothing when another bid got in first (another connection, on PostgreSQL): each
        // statement of this transaction sees the commits before it, so read the auction again.
        if (auto result = recordBid(batch, *domain, bidder, amountCents, nowMs))
            return *result;
    }
    return ApiError::conflict(QStringLiteral("Too many simultaneous bids; try again."));
}

std::optional<AuctionService::BidResult>
AuctionService::recordBid(EventBatch &batch, const Domain &before, const protocol::User &bidder,
                          qint64 amountCents, qint64 nowMs) const
{
    const bool extended = *before.endsAt - nowMs < m_antiSnipeMs;
    const qint64 endsAt = extended ? nowMs + m_antiSnipeMs : *before.endsAt;
    Bid bid{0, before.id, bidder.id, amountCents, nowMs};
    const auto bidId = AuctionTable(batch.db()).placeBid(before, bid, endsAt);
    if (!bidId)
        return std::nullopt;
    bid.id = *bidId;
    Domain after = before;
    after.currentBidCents = amountCents;
    after.bidCount += 1;
    after.highBidderId = bidder.id;
    after.endsAt = endsAt;
    after.updatedAt = nowMs;
    addToAuction(batch, before.id, protocol::EventName::BidPlaced,
                 {{"bid"_L1, bid.toJson()}, {"auction"_L1, auctionState(after, nowMs)}});
    if (extended)
        addToAuction(batch, before.id, protocol::EventName::AuctionExtended,
                     extensionJson(before.id, endsAt, nowMs));
    if (before.highBidderId && *before.highBidderId != bidder.id)
        m_notifications.notifyUser(batch, *before.highBidderId,
                                   protocol::NotificationType::BidOutbid,
                                   {{"domain_id"_L1, before.id},
                                    {"domain_name"_L1, before.name},
                                    {"your_bid_cents"_L1, before.currentBidCents},
                                    {"current_bid_cents"_L1, amountCents},
                                    {"minimum_next_bid_cents"_L1, after.minimumNextBidCents()}});
    m_notifications.notifyUser(batch, before.ownerId, protocol::NotificationType::BidPlaced,
                               {{"domain_id"_L1, before.id},
                                {"domain_name"_L1, before.name},
                                {"bid_id"_L1, bid.id},
                                {"bidder_id"_L1, bidder.id},
                                {"amount_cents"_L1, amountCents}});
    return BidResult{bid, after, extended};
}

Expected<QList<Bid>> AuctionService::bids(qint64 domainId, int limit)
{
    return m_db.attempt([&]() -> Expected<QList<Bid>> { return m_auctions.bids(domainId, limit); });
}

QFuture<Expected<Domain>> AuctionService::cancelAuction(qint64 domainId, const QString &reason,
                                                        qint64 nowMs)
{
    return m_events
        .transactionLater([this, domainId, reason, nowMs](EventBatch &batch) {
            return cancelLive(batch, domainId, reason, nowMs);
        })
        .then([domainId, reason](Expected<Domain> cancelled) {
            if (cancelled)
                qCInfo(lcMarketplace)
                    << "auction" << domainId << "cancelled by an operator:" << reason;
            return cancelled;
        });
}

Expected<Domain> AuctionService::cancelLive(EventBatch &batch, qint64 domainId,
                                            const QString &reason, qint64 nowMs) const
{
    DomainTable domains(batch.db()); // the batch's connection: the writer thread's
    if (!AuctionTable(batch.db()).cancelIfLive(domainId, nowMs))
        return domains.find(domainId)
                   ? ApiError::conflict(QStringLiteral("This auction is not live."))
                   : ApiError::notFound(QStringLiteral("Domain not found."));
    const auto domain = domains.find(domainId);
    if (!domain)
        return ApiError::internal();
    addToAuction(batch, domainId, protocol::EventName::AuctionEnded,
                 {{"domain_id"_L1, domainId},
                  {"winner_user_id"_L1, QJsonValue()},
                  {"final_bid_cents"_L1, QJsonValue()},
                  {"escrow_id"_L1, QJsonValue()},
                  {"cancelled"_L1, true},
                  {"reason"_L1, reason},
                  {"server_time"_L1, protocol::isoUtc(nowMs)}});
    batch.add(protocol::Channels::domain(domainId), protocol::EventName::DomainUpdated,
              {{"domain"_L1, domain->toJson()}});
    const QJsonObject data{{"domain_id"_L1, domainId},
                           {"domain_name"_L1, domain->name},
                           {"winner_user_id"_L1, QJsonValue()},
                           {"final_bid_cents"_L1, QJsonValue()},
                           {"reserve_met"_L1, false},
                           {"escrow_id"_L1, QJsonValue()},
                           {"cancelled"_L1, true},
                           {"reason"_L1, reason}};
    m_notifications.notifyUser(batch, domain->ownerId, protocol::NotificationType::AuctionEnded,
                               data);
    if (domain->highBidderId && *domain->highBidderId != domain->ownerId)
        m_notifications.notifyUser(batch, *domain->highBidderId,
                                   protocol::NotificationType::AuctionEnded, data);
    return *domain;
}

QFuture<Expected<Domain>> AuctionService::extendAuction(qint64 domainId, qint64 seconds,
                                                        qint64 nowMs)
{
    return m_events
        .transactionLater([domainId, seconds, nowMs](EventBatch &batch) -> Expected<Domain> {
            auto domain = DomainTable(batch.db()).find(domainId);
            if (!domain)
                return ApiError::notFound(QStringLiteral("Domain not found."));
            if (!domain->isLiveAuction(nowMs))
                return ApiError::conflict(QStringLiteral("This auction is not live."));
            const qint64 endsAt = domain->endsAt.value_or(nowMs) + seconds * 1000;
            if (!AuctionTable(batch.db()).extend(domainId, *domain->endsAt, endsAt, nowMs))
                return ApiError::conflict(
                    QStringLiteral("The auction changed meanwhile; try again."));
            addToAuction(batch, domainId, protocol::EventName::AuctionExtended,
                         extensionJson(domainId, endsAt, nowMs));
            return DomainTable(batch.db()).find(domainId).value_or(*domain);
        })
        .then([domainId, seconds](Expected<Domain> extended) {
            if (extended)
                qCInfo(lcMarketplace)
                    << "auction" << domainId << "extended by" << seconds << "s by an operator";
            return extended;
        });
}

int AuctionService::closeDueAuctions(qint64 nowMs)
{
    const auto due =
        m_db.attempt([&]() -> Expected<QList<qint64>> { return m_auctions.dueToClose(nowMs); });
    int handed = 0;
    for (const qint64 id : due ? *due : QList<qint64>())
        handed += closeOne(id, nowMs) ? 1 : 0;
    return handed;
}

bool AuctionService::closeOne(qint64 domainId, qint64 nowMs)
{
    // One close per auction at a time: the next tick finds it still due until this commits.
    if (m_closesInFlight.contains(domainId))
        return false;
    m_closesInFlight.insert(domainId);
    m_events
        .transactionLater([this, domainId, nowMs](EventBatch &batch) -> Expected<Done> {
            // Exactly once: only the scheduler whose UPDATE flips the status goes on.
            if (!AuctionTable(batch.db()).endIfDue(domainId, nowMs))
                return ApiError::conflict(QStringLiteral("closed elsewhere"));
            const auto domain = DomainTable(batch.db()).find(domainId);
            if (!domain)
                return ApiError::internal();
            announceClose(batch, *domain, nowMs);
            return Done{};
        })
        .then([this, domainId](const Expected<Done> &closed) {
            m_closesInFlight.remove(domainId);
            if (closed)
                qCInfo(lcMarketplace) << "auction" << domainId << "closed";
        });
    return true;
}

void AuctionService::announceClose(EventBatch &batch, const Domain &domain, qint64 nowMs) const
{
    const bool reserveMet =
        domain.bidCount > 0 && domain.currentBidCents >= domain.reserveCents.value_or(0);
    // Plain values (0 = none) rather than optionals: GCC's -O2 flow analysis warns about
    // optionals copied through ternaries.
    const qint64 winner = reserveMet ? domain.highBidderId.value_or(0) : 0;
    qint64 escrowId = 0;
    if (winner > 0) {
        escrowId = m_escrows
                       .open(batch, domain.id, winner, domain.ownerId, domain.currentBidCents,
                             QStringLiteral("auction"), std::nullopt)
                       .id;
        m_notifications.notifyUser(batch, winner, protocol::NotificationType::AuctionWon,
                                   {{"domain_id"_L1, domain.id},
                                    {"domain_name"_L1, domain.name},
                                    {"final_bid_cents"_L1, domain.currentBidCents},
                                    {"escrow_id"_L1, escrowId}});
    }
    const QJsonValue winnerJson = winner > 0 ? QJsonValue(winner) : QJsonValue();
    const QJsonValue finalBidJson = winner > 0 ? QJsonValue(domain.currentBidCents) : QJsonValue();
    const QJsonValue escrowJson = escrowId > 0 ? QJsonValue(escrowId) : QJsonValue();
    m_notifications.notifyUser(batch, domain.ownerId, protocol::NotificationType::AuctionEnded,
                               {{"domain_id"_L1, domain.id},
                                {"domain_name"_L1, domain.name},
                                {"winner_user_id"_L1, winnerJson},
                                {"final_bid_cents"_L1, finalBidJson},
                                {"reserve_met"_L1, reserveMet},
                                {"escrow_id"_L1, escrowJson}});
    addToAuction(batch, domain.id, protocol::EventName::AuctionEnded,
                 {{"domain_id"_L1, domain.id},
                  {"winner_user_id"_L1, winnerJson},
                  {"final_bid_cents"_L1, finalBidJson},
                  {"escrow_id"_L1, escrowJson},
                  {"server_time"_L1, protocol::isoUtc(nowMs)}});
}

int AuctionService::broadcastCountdowns(qint64 nowMs)
{
    // Only auctions whose next beat is due get a (write) transaction below.
    const auto due =
        m_db.attempt([&]() -> Expected<QList<qint64>> { return m_auctions.countdownsDue(nowMs); });
    int sent = 0;
    for (const qint64 id : due ? *due : QList<qint64>())
        sent += sendCountdown(id, nowMs) ? 1 : 0;
    return sent;
}

bool AuctionService::sendCountdown(qint64 domainId, qint64 nowMs)
{
    // One claim per auction at a time: the next tick finds the beat still due until it commits.
    if (m_beatsInFlight.contains(domainId))
        return false;
    m_beatsInFlight.insert(domainId);
    // The claim is written on the writer thread (in place where there is none), so a tick never
    // waits for the write lock on the event loop.
    m_events
        .transactionLater([this, domainId, nowMs](EventBatch &batch) -> Expected<BroadcastEvent> {
            return claimCountdown(batch, domainId, nowMs);
        })
        .then([this, domainId](const Expected<BroadcastEvent> &beat) {
            m_beatsInFlight.remove(domainId);
            if (beat && m_events.isPublishing())
                m_events.addTransient(*beat); // after the commit, like every broadcast
        });
    return true;
}

Expected<BroadcastEvent> AuctionService::claimCountdown(EventBatch &batch, qint64 domainId,
                                                        qint64 nowMs) const
{
    // A countdown is a clock beat that the next one supersedes: it is not stored in the history
    // and carries no seq, so 1 500 auctions do not write 9 000 history rows a minute. Only the
    // claim below is written.
    const auto domain = DomainTable(batch.db()).find(domainId);
    if (!domain || !domain->isLiveAuction(nowMs))
        return ApiError::conflict(QStringLiteral("not live"));
    const qint64 remainingMs = *domain->endsAt - nowMs;
    // Claim this beat in the database, so that of several schedulers (nodes, the standalone
    // command) exactly one sends it.
    if (!AuctionTable(batch.db())
             .claimCountdown(domainId, nowMs, AuctionTable::countdownInterval(remainingMs)))
        return ApiError::conflict(QStringLiteral("claimed elsewhere"));
    const BroadcastEvent event{
        protocol::Channels::auction(domainId),
        protocol::EventName::AuctionCountdown,
        protocol::toJson(
            QJsonObject{{"domain_id"_L1, domainId},
                        {"ends_at"_L1, protocol::isoUtc(*domain->endsAt)},
                        {"server_time"_L1, protocol::isoUtc(nowMs)},
                        {"seconds_remaining"_L1, qint64(std::ceil(remainingMs / 1000.0))}}),
        0,
        {}};
    if (!m_events.isPublishing()) // relayed, with the claim, to the serve nodes
        EventStore::relayTransient(batch.db(), event);
    return event;
}

} // namespace flippdeal::server
