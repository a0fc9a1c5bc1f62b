// SPDX-License-Identifier: MIT
#include "marketplace/auctiontable.h"

#include "storage/database.h"

#include "protocol/timeformat.h"

namespace flippdeal::server {

QJsonObject Bid::toJson() const
{
    return {{"id"_L1, id},
            {"domain_id"_L1, domainId},
            {"user_id"_L1, userId},
            {"amount_cents"_L1, amountCents},
            {"created_at"_L1, protocol::isoUtc(createdAt)}};
}

std::optional<qint64> AuctionTable::placeBid(const Domain &auction, const Bid &bid, qint64 endsAt)
{
    // The compare-and-set on bid_count is what serializes equal bids: of several that read the
    // same state, only the first UPDATE matches; the others retry and are then too low.
    SqlQuery update(m_db, QStringLiteral("UPDATE domains SET current_bid_cents = ?, "
                                         "bid_count = bid_count + 1, high_bidder_id = ?, "
                                         "ends_at = ?, updated_at = ? WHERE id = ? AND "
                                         "bid_count = ? AND status = 'active'"));
    update.bind(bid.amountCents)
        .bind(bid.userId)
        .bind(endsAt)
        .bind(bid.createdAt)
        .bind(auction.id)
        .bind(auction.bidCount)
        .exec();
    if (update.numRowsAffected() != 1)
        return std::nullopt;
    return SqlQuery(m_db, QStringLiteral("INSERT INTO bids (domain_id, user_id, amount_cents, "
                                         "created_at) VALUES (?, ?, ?, ?) RETURNING id"))
        .bind(auction.id)
        .bind(bid.userId)
        .bind(bid.amountCents)
        .bind(bid.createdAt)
        .scalar();
}

QList<Bid> AuctionTable::bids(qint64 domainId, int limit)
{
    SqlQuery query(m_db, QStringLiteral("SELECT id, domain_id, user_id, amount_cents, created_at "
                                        "FROM bids WHERE domain_id = ? ORDER BY id DESC LIMIT ?"));
    query.bind(domainId).bind(limit).exec();
    QList<Bid> result;
    while (query.next())
        result.append(Bid{query.int64("id"_L1), query.int64("domain_id"_L1),
                          query.int64("user_id"_L1), query.int64("amount_cents"_L1),
                          query.int64("created_at"_L1)});
    return result;
}

bool AuctionTable::cancelIfLive(qint64 domainId, qint64 nowMs)
{
    // Live only (as Domain::isLiveAuction): once its time is up the auction is its winner's,
    // even before the scheduler closes it.
    SqlQuery flip(m_db, QStringLiteral("UPDATE domains SET status = 'cancelled', updated_at = ? "
                                       "WHERE id = ? AND status = 'active' AND "
                                       "enable_bidding = 1 AND (ends_at IS NULL OR ends_at > ?)"));
    flip.bind(nowMs).bind(domainId).bind(nowMs).exec();
    return flip.numRowsAffected() == 1;
}

bool AuctionTable::extend(qint64 domainId, qint64 endsAt, qint64 newEndsAt, qint64 nowMs)
{
    SqlQuery update(m_db, QStringLiteral("UPDATE domains SET ends_at = ?, updated_at = ? "
                                         "WHERE id = ? AND status = 'active' AND ends_at = ?"));
    update.bind(newEndsAt).bind(nowMs).bind(domainId).bind(endsAt).exec();
    return update.numRowsAffected() == 1;
}

QList<qint64> AuctionTable::dueToClose(qint64 nowMs)
{
    SqlQuery query(m_db, QStringLiteral("SELECT id FROM domains WHERE status = 'active' AND "
                                        "enable_bidding = 1 AND ends_at IS NOT NULL AND "
                                        "ends_at <= ? ORDER BY ends_at"));
    query.bind(nowMs).exec();
    QList<qint64> due;
    while (query.next())
        due.append(query.int64("id"_L1));
    return due;
}

bool AuctionTable::endIfDue(qint64 domainId, qint64 nowMs)
{
    SqlQuery flip(m_db, QStringLiteral("UPDATE domains SET status = 'ended', updated_at = ? "
                                       "WHERE id = ? AND status = 'active' AND ends_at <= ?"));
    flip.bind(nowMs).bind(domainId).bind(nowMs).exec();
    return flip.numRowsAffected() == 1;
}

QList<qint64> AuctionTable::countdownsDue(qint64 nowMs)
{
    SqlQuery query(m_db, QStringLiteral("SELECT id, ends_at, last_countdown_at FROM domains "
                                        "WHERE status = 'active' AND enable_bidding = 1 AND "
                                        "ends_at IS NOT NULL AND ends_at > ?"));
    query.bind(nowMs).exec();
    QList<qint64> due;
    while (query.next()) {
        const qint64 interval = countdownInterval(query.int64("ends_at"_L1) - nowMs);
        if (nowMs - query.optionalInt64("last_countdown_at"_L1).value_or(0) >=
            interval - CountdownSlackMs)
            due.append(query.int64("id"_L1));
    }
    return due;
}

bool AuctionTable::claimCountdown(qint64 domainId, qint64 nowMs, qint64 intervalMs)
{
    SqlQuery claim(m_db, QStringLiteral("UPDATE domains SET last_countdown_at = ? WHERE id = ? "
                                        "AND status = 'active' AND (last_countdown_at IS NULL "
                                        "OR last_countdown_at <= ?)"));
    claim.bind(nowMs).bind(domainId).bind(nowMs - (intervalMs - CountdownSlackMs)).exec();
    return claim.numRowsAffected() == 1;
}

} // namespace flippdeal::server
