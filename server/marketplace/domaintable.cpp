// SPDX-License-Identifier: MIT
#include "marketplace/domaintable.h"

#include "storage/database.h"

#include "protocol/timeformat.h"

namespace flippdeal::server {

namespace {

QJsonValue nullable(const std::optional<qint64> &v)
{
    return v ? QJsonValue(*v) : QJsonValue(QJsonValue::Null);
}

} // namespace

bool Domain::isLiveAuction(qint64 nowMs) const
{
    return status == DomainStatus::Active && enableBidding && (!endsAt || *endsAt > nowMs);
}

qint64 Domain::minimumNextBidCents() const
{
    if (bidCount == 0)
        return std::max(reserveCents.value_or(0), minIncrementCents);
    return currentBidCents + minIncrementCents;
}

QJsonObject Domain::toJson() const
{
    return {{"id"_L1, id},
            {"name"_L1, name},
            {"owner_id"_L1, ownerId},
            {"status"_L1, toString(status)},
            {"enable_bidding"_L1, enableBidding},
            {"min_increment_cents"_L1, minIncrementCents},
            {"reserve_cents"_L1, nullable(reserveCents)},
            {"buy_now_cents"_L1, nullable(buyNowCents)},
            {"current_bid_cents"_L1, currentBidCents},
            {"bid_count"_L1, bidCount},
            {"minimum_next_bid_cents"_L1, minimumNextBidCents()},
            {"high_bidder_id"_L1, nullable(highBidderId)},
            {"ends_at"_L1, endsAt ? QJsonValue(protocol::isoUtc(*endsAt)) : QJsonValue()},
            {"created_at"_L1, protocol::isoUtc(createdAt)},
            {"updated_at"_L1, protocol::isoUtc(updatedAt)}};
}

const QString &DomainTable::selectDomains()
{
    static const QString sql = QStringLiteral(
        "SELECT id, owner_id, name, status, enable_bidding, min_increment_cents, reserve_cents, "
        "buy_now_cents, current_bid_cents, bid_count, high_bidder_id, ends_at, created_at, "
        "updated_at FROM domains ");
    return sql;
}

Domain DomainTable::fromRow(const SqlQuery &row)
{
    Domain d;
    d.id = row.int64("id"_L1);
    d.ownerId = row.int64("owner_id"_L1);
    d.name = row.text("name"_L1);
    d.status = fromString<DomainStatus>(row.text("status"_L1)).value_or(DomainStatus::Cancelled);
    d.enableBidding = row.int64("enable_bidding"_L1) != 0;
    d.minIncrementCents = row.int64("min_increment_cents"_L1);
    d.reserveCents = row.optionalInt64("reserve_cents"_L1);
    d.buyNowCents = row.optionalInt64("buy_now_cents"_L1);
    d.currentBidCents = row.int64("current_bid_cents"_L1);
    d.bidCount = static_cast<int>(row.int64("bid_count"_L1));
    d.highBidderId = row.optionalInt64("high_bidder_id"_L1);
    d.endsAt = row.optionalInt64("ends_at"_L1);
    d.createdAt = row.int64("created_at"_L1);
    d.updatedAt = row.int64("updated_at"_L1);
    return d;
}

std::optional<Domain> DomainTable::find(qint64 domainId)
{
    SqlQuery query(m_db, selectDomains() + QStringLiteral("WHERE id = ?"));
    query.bind(domainId).exec();
    if (!query.next())
        return std::nullopt;
    return fromRow(query);
}

qint64 DomainTable::insert(const Domain &domain)
{
    return SqlQuery(m_db, QStringLiteral("INSERT INTO domains (owner_id, name, status, "
                                         "enable_bidding, min_increment_cents, reserve_cents, "
                                         "buy_now_cents, ends_at, created_at, updated_at) "
                                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"))
        .bind(domain.ownerId)
        .bind(domain.name)
        .bind(toString(domain.status))
        .bind(domain.enableBidding ? 1 : 0)
        .bind(domain.minIncrementCents)
        .bindOptional(domain.reserveCents)
        .bindOptional(domain.buyNowCents)
        .bindOptional(domain.endsAt)
        .bind(domain.createdAt)
        .bind(domain.updatedAt)
        .scalar();
}

bool DomainTable::updateTerms(const Domain &domain)
{
    SqlQuery update(m_db, QStringLiteral("UPDATE domains SET status = ?, min_increment_cents = ?, "
                                         "reserve_cents = ?, buy_now_cents = ?, ends_at = ?, "
                                         "updated_at = ? WHERE id = ? AND bid_count = ?"));
    update.bind(toString(domain.status))
        .bind(domain.minIncrementCents)
        .bindOptional(domain.reserveCents)
        .bindOptional(domain.buyNowCents)
        .bindOptional(domain.endsAt)
        .bind(domain.updatedAt)
        .bind(domain.id)
        .bind(domain.bidCount)
        .exec();
    return update.numRowsAffected() == 1;
}

void DomainTable::setStatus(qint64 domainId, DomainStatus status, qint64 nowMs)
{
    SqlQuery(m_db, QStringLiteral("UPDATE domains SET status = ?, updated_at = ? WHERE id = ?"))
        .bind(toString(status))
        .bind(nowMs)
        .bind(domainId)
        .exec();
}

QList<Domain> DomainTable::liveAuctions(qint64 nowMs, int limit)
{
    SqlQuery query(m_db, selectDomains() +
                             QStringLiteral("WHERE status = 'active' AND enable_bidding = 1 "
                                            "AND ends_at > ? ORDER BY ends_at, id LIMIT ?"));
    query.bind(nowMs).bind(limit).exec();
    QList<Domain> result;
    while (query.next())
        result.append(fromRow(query));
    return result;
}

qint64 DomainTable::liveAuctionCount(qint64 ownerId, qint64 nowMs)
{
    return SqlQuery(m_db, QStringLiteral("SELECT COUNT(*) FROM domains WHERE owner_id = ? AND "
                                         "status = 'active' AND enable_bidding = 1 AND "
                                         "ends_at IS NOT NULL AND ends_at > ?"))
        .bind(ownerId)
        .bind(nowMs)
        .scalar();
}

qint64 DomainTable::liveAuctionTotal(qint64 nowMs)
{
    return SqlQuery(m_db, QStringLiteral("SELECT COUNT(*) FROM domains WHERE status = "
                                         "'active' AND enable_bidding = 1 AND ends_at > ?"))
        .bind(nowMs)
        .scalar();
}

void DomainTable::watch(qint64 domainId, qint64 userId, qint64 nowMs)
{
    SqlQuery(m_db, QStringLiteral("INSERT INTO watchers (domain_id, user_id, created_at) "
                                  "VALUES (?, ?, ?) ON CONFLICT (domain_id, user_id) DO NOTHING"))
        .bind(domainId)
        .bind(userId)
        .bind(nowMs)
        .exec();
}

void DomainTable::unwatch(qint64 domainId, qint64 userId)
{
    SqlQuery(m_db, QStringLiteral("DELETE FROM watchers WHERE domain_id = ? AND user_id = ?"))
        .bind(domainId)
        .bind(userId)
        .exec();
}

bool DomainTable::isParticipant(qint64 userId, qint64 domainId)
{
    SqlQuery query(
        m_db, QStringLiteral("SELECT 1 FROM domains WHERE id = ? AND owner_id = ? "
                             "UNION ALL SELECT 1 FROM watchers WHERE domain_id = ? AND user_id = ? "
                             "UNION ALL SELECT 1 FROM bids WHERE domain_id = ? AND user_id = ? "
                             "UNION ALL SELECT 1 FROM offers WHERE domain_id = ? AND user_id = ? "
                             "LIMIT 1"));
    for (int i = 0; i < 4; ++i)
        query.bind(domainId).bind(userId);
    query.exec();
    return query.next();
}

} // namespace flippdeal::server
