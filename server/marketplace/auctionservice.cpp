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
}

QJsonObject Bid::toJson() const
{
    return {{QLatin1String("id"), id},
            {QLatin1String("domain_id"), domainId},
            {QLatin1String("user_id"), userId},
            {QLatin1String("amount_cents"), amountCents},
            {QLatin1String("created_at"), protocol::isoUtc(createdAt)}};
}

AuctionService::AuctionService(Database &db, EventStore &events, NotificationService &notifications,
                               EscrowService &escrows, DomainService &domains, qint64 antiSnipeMs)
    : m_db(db)
    , m_events(events)
    , m_notifications(notifications)
    , m_escrows(escrows)
    , m_domains(domains)
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

Expected<AuctionService::BidResult> AuctionService::placeBid(const protocol::User &bidder,
                                                             qint64 domainId, qint64 amountCents,
                                                             qint64 nowMs)
{
    for (int attempt = 0; attempt < MaxBidRetries; ++attempt) {
        std::optional<ApiError> refusal;
        std::optional<BidResult> result;
        bool lostRace = false;
        const bool ok = m_events.transaction([&](EventBatch &batch) {
            auto domain = m_domains.findVisible(domainId, bidder.id);
            if (!domain) {
                refusal = ApiError::notFound(QStringLiteral("Domain not found."));
                return false;
            }
            if (!domain->isLiveAuction(nowMs)) {
                refusal = ApiError::validation(QStringLiteral("amount_cents"),
                                               QStringLiteral("This auction is not active."));
                return false;
            }
            if (domain->ownerId == bidder.id) {
                refusal =
                    ApiError::validation(QStringLiteral("amount_cents"),
                                         QStringLiteral("You cannot bid on your own domain."));
                return false;
            }
            const qint64 minimum = domain->minimumNextBidCents();
            if (amountCents < minimum) {
                refusal = ApiError::validation(
                    QStringLiteral("amount_cents"),
                    QStringLiteral("The bid must be at least %1 cents.").arg(minimum));
                return false;
            }
            const std::optional<qint64> previousHigh = domain->highBidderId;
            const qint64 previousAmount = domain->currentBidCents;
            qint64 endsAt = *domain->endsAt;
            const bool extended = endsAt - nowMs < m_antiSnipeMs;
            if (extended)
                endsAt = nowMs + m_antiSnipeMs;
            // The compare-and-set on bid_count is what serializes equal bids: of several that
            // read the same state, only the first UPDATE matches; the others retry and are
            // then too low.
            SqlQuery update(m_db, QStringLiteral("UPDATE domains SET current_bid_cents = ?, "
                                                 "bid_count = bid_count + 1, high_bidder_id = ?, "
                                                 "ends_at = ?, updated_at = ? WHERE id = ? AND "
                                                 "bid_count = ? AND status = 'active'"));
            update.bind(amountCents)
                .bind(bidder.id)
                .bind(endsAt)
                .bind(nowMs)
                .bind(domainId)
                .bind(domain->bidCount)
                .exec();
            if (update.numRowsAffected() != 1) {
                lostRace = true;
                return false;
            }
            Bid bid{0, domainId, bidder.id, amountCents, nowMs};
            bid.id = SqlQuery(m_db,
                              QStringLiteral(
                                  "INSERT INTO bids (domain_id, user_id, amount_cents, created_at) "
                                  "VALUES (?, ?, ?, ?) RETURNING id"))
                         .bind(domainId)
                         .bind(bidder.id)
                         .bind(amountCents)
                         .bind(nowMs)
                         .scalar();
            domain->currentBidCents = amountCents;
            domain->bidCount += 1;
            domain->highBidderId = bidder.id;
            domain->endsAt = endsAt;
            domain->updatedAt = nowMs;

            const QJsonObject placed{{QLatin1String("bid"), bid.toJson()},
                                     {QLatin1String("auction"), auctionState(*domain, nowMs)}};
            batch.add(protocol::Channels::auction(domainId), protocol::EventName::BidPlaced,
                      placed);
            batch.add(protocol::Channels::domain(domainId), protocol::EventName::BidPlaced, placed);
            if (extended) {
                const QJsonObject extension{
                    {QLatin1String("domain_id"), domainId},
                    {QLatin1String("ends_at"), protocol::isoUtc(endsAt)},
                    {QLatin1String("server_time"), protocol::isoUtc(nowMs)}};
                batch.add(protocol::Channels::auction(domainId),
                          protocol::EventName::AuctionExtended, extension);
                batch.add(protocol::Channels::domain(domainId),
                          protocol::EventName::AuctionExtended, extension);
            }
            if (previousHigh && *previousHigh != bidder.id) {
                m_notifications.notifyUser(
                    batch, *previousHigh, protocol::NotificationType::BidOutbid,
                    {{QLatin1String("domain_id"), domainId},
                     {QLatin1String("domain_name"), domain->name},
                     {QLatin1String("your_bid_cents"), previousAmount},
                     {QLatin1String("current_bid_cents"), amountCents},
                     {QLatin1String("minimum_next_bid_cents"), domain->minimumNextBidCents()}});
            }
            m_notifications.notifyUser(batch, domain->ownerId,
                                       protocol::NotificationType::BidPlaced,
                                       {{QLatin1String("domain_id"), domainId},
                                        {QLatin1String("domain_name"), domain->name},
                                        {QLatin1String("bid_id"), bid.id},
                                        {QLatin1String("bidder_id"), bidder.id},
                                        {QLatin1String("amount_cents"), amountCents}});
            result = BidResult{bid, *domain, extended};
            return true;
        });
        if (refusal)
            return *refusal;
        if (lostRace)
            continue;
        if (!ok || !result)
            return ApiError::internal();
        qCInfo(lcMarketplace) << "bid" << result->bid.id << "of" << amountCents << "on domain"
                              << domainId;
        return *result;
    }
    return ApiError::conflict(QStringLiteral("Too many simultaneous bids; try again."));
}

Expected<QList<Bid>> AuctionService::bids(qint64 domainId, int limit)
{
    QList<Bid> result;
    try {
        SqlQuery query(
            m_db,
            QStringLiteral("SELECT id, domain_id, user_id, amount_cents, created_at FROM bids "
                           "WHERE domain_id = ? ORDER BY id DESC LIMIT ?"));
        query.bind(domainId).bind(limit).exec();
        while (query.next())
            result.append(Bid{query.int64(0), query.int64(1), query.int64(2), query.int64(3),
                              query.int64(4)});
    } catch (const DbError &error) {
        qCWarning(lcMarketplace) << error.what();
        return ApiError::internal();
    }
    return result;
}

Expected<Domain> AuctionService::cancelAuction(qint64 domainId, const QString &reason, qint64 nowMs)
{
    std::optional<ApiError> refusal;
    const bool ok = m_events.transaction([&](EventBatch &batch) {
        // Live only (as Domain::isLiveAuction): once its time is up the auction is its
        // winner's, even before the scheduler closes it.
        SqlQuery flip(m_db,
                      QStringLiteral("UPDATE domains SET status = 'cancelled', updated_at = ? "
                                     "WHERE id = ? AND status = 'active' AND "
                                     "enable_bidding = 1 AND (ends_at IS NULL OR ends_at > ?)"));
        flip.bind(nowMs).bind(domainId).bind(nowMs).exec();
        if (flip.numRowsAffected() != 1) {
            refusal = m_domains.find(domainId)
                          ? ApiError::conflict(QStringLiteral("This auction is not live."))
                          : ApiError::notFound(QStringLiteral("Domain not found."));
            return false;
        }
        const auto domain = m_domains.find(domainId);
        if (!domain)
            return false;
        const QJsonObject ended{{QLatin1String("domain_id"), domainId},
                                {QLatin1String("winner_user_id"), QJsonValue()},
                                {QLatin1String("final_bid_cents"), QJsonValue()},
                                {QLatin1String("escrow_id"), QJsonValue()},
                                {QLatin1String("cancelled"), true},
                                {QLatin1String("reason"), reason},
                                {QLatin1String("server_time"), protocol::isoUtc(nowMs)}};
        batch.add(protocol::Channels::auction(domainId), protocol::EventName::AuctionEnded, ended);
        batch.add(protocol::Channels::domain(domainId), protocol::EventName::AuctionEnded, ended);
        batch.add(protocol::Channels::domain(domainId), protocol::EventName::DomainUpdated,
                  {{QLatin1String("domain"), domain->toJson()}});
        const QJsonObject data{{QLatin1String("domain_id"), domainId},
                               {QLatin1String("domain_name"), domain->name},
                               {QLatin1String("winner_user_id"), QJsonValue()},
                               {QLatin1String("final_bid_cents"), QJsonValue()},
                               {QLatin1String("reserve_met"), false},
                               {QLatin1String("escrow_id"), QJsonValue()},
                               {QLatin1String("cancelled"), true},
                               {QLatin1String("reason"), reason}};
        m_notifications.notifyUser(batch, domain->ownerId, protocol::NotificationType::AuctionEnded,
                                   data);
        if (domain->highBidderId && *domain->highBidderId != domain->ownerId)
            m_notifications.notifyUser(batch, *domain->highBidderId,
                                       protocol::NotificationType::AuctionEnded, data);
        return true;
    });
    if (refusal)
        return *refusal;
    if (!ok)
        return ApiError::internal();
    qCInfo(lcMarketplace) << "auction" << domainId << "cancelled by an operator:" << reason;
    return m_domains.get(domainId);
}

Expected<Domain> AuctionService::extendAuction(qint64 domainId, qint64 seconds, qint64 nowMs)
{
    std::optional<ApiError> refusal;
    const bool ok = m_events.transaction([&](EventBatch &batch) {
        const auto domain = m_domains.find(domainId);
        if (!domain) {
            refusal = ApiError::notFound(QStringLiteral("Domain not found."));
            return false;
        }
        if (!domain->isLiveAuction(nowMs)) {
            refusal = ApiError::conflict(QStringLiteral("This auction is not live."));
            return false;
        }
        const qint64 endsAt = domain->endsAt.value_or(nowMs) + seconds * 1000;
        SqlQuery update(m_db, QStringLiteral("UPDATE domains SET ends_at = ?, updated_at = ? "
                                             "WHERE id = ? AND status = 'active' AND ends_at = ?"));
        update.bind(endsAt).bind(nowMs).bind(domainId).bind(*domain->endsAt).exec();
        if (update.numRowsAffected() != 1) {
            refusal =
                ApiError::conflict(QStringLiteral("The auction changed meanwhile; try again."));
            return false;
        }
        const QJsonObject extended{{QLatin1String("domain_id"), domainId},
                                   {QLatin1String("ends_at"), protocol::isoUtc(endsAt)},
                                   {QLatin1String("server_time"), protocol::isoUtc(nowMs)}};
        batch.add(protocol::Channels::auction(domainId), protocol::EventName::AuctionExtended,
                  extended);
        batch.add(protocol::Channels::domain(domainId), protocol::EventName::AuctionExtended,
                  extended);
        return true;
    });
    if (refusal)
        return *refusal;
    if (!ok)
        return ApiError::internal();
    qCInfo(lcMarketplace) << "auction" << domainId << "extended by" << seconds
                          << "s by an operator";
    return m_domains.get(domainId);
}

int AuctionService::closeDueAuctions(qint64 nowMs)
{
    QList<qint64> due;
    try {
        SqlQuery query(
            m_db,
            QStringLiteral("SELECT id FROM domains WHERE status = 'active' AND enable_bidding = 1 "
                           "AND ends_at IS NOT NULL AND ends_at <= ? ORDER BY ends_at"));
        query.bind(nowMs).exec();
        while (query.next())
            due.append(query.int64(0));
    } catch (const DbError &error) {
        qCWarning(lcMarketplace) << error.what();
        return 0;
    }
    int closed = 0;
    for (const qint64 id : std::as_const(due))
        closed += closeOne(id, nowMs) ? 1 : 0;
    return closed;
}

bool AuctionService::closeOne(qint64 domainId, qint64 nowMs)
{
    bool closedHere = false;
    m_events.transaction([&](EventBatch &batch) {
        // Exactly once: only the scheduler whose UPDATE flips the status goes on.
        SqlQuery flip(m_db, QStringLiteral("UPDATE domains SET status = 'ended', updated_at = ? "
                                           "WHERE id = ? AND status = 'active' AND ends_at <= ?"));
        flip.bind(nowMs).bind(domainId).bind(nowMs).exec();
        if (flip.numRowsAffected() != 1)
            return false;
        const auto domain = m_domains.find(domainId);
        if (!domain)
            return false;
        const bool reserveMet =
            domain->bidCount > 0 && domain->currentBidCents >= domain->reserveCents.value_or(0);
        // Plain values (0 = none) rather than optionals: GCC's -O2 flow analysis warns about
        // optionals copied through ternaries.
        const qint64 winner = reserveMet ? domain->highBidderId.value_or(0) : 0;
        qint64 escrowId = 0;
        if (winner > 0) {
            escrowId = m_escrows
                           .open(batch, domainId, winner, domain->ownerId, domain->currentBidCents,
                                 QStringLiteral("auction"), std::nullopt)
                           .id;
            m_notifications.notifyUser(batch, winner, protocol::NotificationType::AuctionWon,
                                       {{QLatin1String("domain_id"), domainId},
                                        {QLatin1String("domain_name"), domain->name},
                                        {QLatin1String("final_bid_cents"), domain->currentBidCents},
                                        {QLatin1String("escrow_id"), escrowId}});
        }
        const QJsonValue winnerJson = winner > 0 ? QJsonValue(winner) : QJsonValue();
        const QJsonValue finalBidJson =
            winner > 0 ? QJsonValue(domain->currentBidCents) : QJsonValue();
        const QJsonValue escrowJson = escrowId > 0 ? QJsonValue(escrowId) : QJsonValue();
        m_notifications.notifyUser(batch, domain->ownerId, protocol::NotificationType::AuctionEnded,
                                   {{QLatin1String("domain_id"), domainId},
                                    {QLatin1String("domain_name"), domain->name},
                                    {QLatin1String("winner_user_id"), winnerJson},
                                    {QLatin1String("final_bid_cents"), finalBidJson},
                                    {QLatin1String("reserve_met"), reserveMet},
                                    {QLatin1String("escrow_id"), escrowJson}});
        const QJsonObject ended{{QLatin1String("domain_id"), domainId},
                                {QLatin1String("winner_user_id"), winnerJson},
                                {QLatin1String("final_bid_cents"), finalBidJson},
                                {QLatin1String("escrow_id"), escrowJson},
                                {QLatin1String("server_time"), protocol::isoUtc(nowMs)}};
        batch.add(protocol::Channels::auction(domainId), protocol::EventName::AuctionEnded, ended);
        batch.add(protocol::Channels::domain(domainId), protocol::EventName::AuctionEnded, ended);
        closedHere = true;
        return true;
    });
    if (closedHere) {
        qCInfo(lcMarketplace) << "auction" << domainId << "closed";
    }
    return closedHere;
}

int AuctionService::broadcastCountdowns(qint64 nowMs)
{
    QList<qint64> ids;
    try {
        // Only auctions whose next beat is due get a (write) transaction below.
        SqlQuery query(
            m_db, QStringLiteral(
                      "SELECT id, ends_at, last_countdown_at FROM domains WHERE status = 'active' "
                      "AND enable_bidding = 1 AND ends_at IS NOT NULL AND ends_at > ?"));
        query.bind(nowMs).exec();
        while (query.next()) {
            const qint64 interval = query.int64(1) - nowMs <= 60'000 ? 1000 : 10'000;
            if (nowMs - query.optionalInt64(2).value_or(0) >= interval - 150)
                ids.append(query.int64(0));
        }
    } catch (const DbError &error) {
        qCWarning(lcMarketplace) << error.what();
        return 0;
    }
    int sent = 0;
    for (const qint64 id : std::as_const(ids)) {
        // A countdown is a clock beat that the next one supersedes: it is not stored in the
        // history and carries no seq, so 1 500 auctions do not write 9 000 history rows a
        // minute. Only the claim below is written.
        std::optional<BroadcastEvent> beat;
        const bool committed = m_db.transaction([&] {
            const auto domain = m_domains.find(id);
            if (!domain || !domain->isLiveAuction(nowMs))
                return false;
            const qint64 remainingMs = *domain->endsAt - nowMs;
            const qint64 interval = remainingMs <= 60'000 ? 1000 : 10'000;
            // Claim this beat in the database, so that of several schedulers (nodes, the
            // standalone command) exactly one sends it. The slack keeps a late timer from
            // skipping a beat.
            SqlQuery claim(
                m_db,
                QStringLiteral(
                    "UPDATE domains SET last_countdown_at = ? WHERE id = ? AND status = 'active' "
                    "AND (last_countdown_at IS NULL OR last_countdown_at <= ?)"));
            claim.bind(nowMs).bind(id).bind(nowMs - (interval - 150)).exec();
            if (claim.numRowsAffected() != 1)
                return false;
            beat = BroadcastEvent{
                protocol::Channels::auction(id),
                protocol::EventName::AuctionCountdown,
                protocol::toJson(QJsonObject{
                    {QLatin1String("domain_id"), id},
                    {QLatin1String("ends_at"), protocol::isoUtc(*domain->endsAt)},
                    {QLatin1String("server_time"), protocol::isoUtc(nowMs)},
                    {QLatin1String("seconds_remaining"), qint64(std::ceil(remainingMs / 1000.0))}}),
                0,
                {}};
            if (!m_events.isPublishing())
                m_events.addTransient(*beat); // relayed, with the claim, to the serve nodes
            return true;
        });
        if (!committed || !beat)
            continue;
        if (m_events.isPublishing())
            m_events.addTransient(*beat); // after the commit, like every broadcast
        ++sent;
    }
    return sent;
}

} // namespace flippdeal::server
