// SPDX-License-Identifier: MIT
#include "marketplace/domainservice.h"

#include "core/logging.h"
#include "events/eventstore.h"
#include "http/jsonfields.h"
#include "storage/database.h"

#include "protocol/timeformat.h"

using flippdeal::protocol::parseIsoUtc;

#include <QRegularExpression>

namespace flippdeal::server {

namespace {

const QString domainColumns = QStringLiteral(
    "SELECT id, owner_id, name, status, enable_bidding, min_increment_cents, reserve_cents, "
    "buy_now_cents, current_bid_cents, bid_count, high_bidder_id, ends_at, created_at, updated_at "
    "FROM domains ");

Domain domainFromRow(const SqlQuery &q)
{
    Domain d;
    d.id = q.int64(0);
    d.ownerId = q.int64(1);
    d.name = q.text(2);
    d.status = q.text(3);
    d.enableBidding = q.int64(4) != 0;
    d.minIncrementCents = q.int64(5);
    d.reserveCents = q.optionalInt64(6);
    d.buyNowCents = q.optionalInt64(7);
    d.currentBidCents = q.int64(8);
    d.bidCount = static_cast<int>(q.int64(9));
    d.highBidderId = q.optionalInt64(10);
    d.endsAt = q.optionalInt64(11);
    d.createdAt = q.int64(12);
    d.updatedAt = q.int64(13);
    return d;
}

QJsonValue nullable(const std::optional<qint64> &v)
{
    return v ? QJsonValue(*v) : QJsonValue(QJsonValue::Null);
}

} // namespace

bool Domain::isLiveAuction(qint64 nowMs) const
{
    return status == QLatin1String("active") && enableBidding && (!endsAt || *endsAt > nowMs);
}

qint64 Domain::minimumNextBidCents() const
{
    if (bidCount == 0)
        return std::max(reserveCents.value_or(0), minIncrementCents);
    return currentBidCents + minIncrementCents;
}

QJsonObject Domain::toJson() const
{
    return {
        {QLatin1String("id"), id},
        {QLatin1String("name"), name},
        {QLatin1String("owner_id"), ownerId},
        {QLatin1String("status"), status},
        {QLatin1String("enable_bidding"), enableBidding},
        {QLatin1String("min_increment_cents"), minIncrementCents},
        {QLatin1String("reserve_cents"), nullable(reserveCents)},
        {QLatin1String("buy_now_cents"), nullable(buyNowCents)},
        {QLatin1String("current_bid_cents"), currentBidCents},
        {QLatin1String("bid_count"), bidCount},
        {QLatin1String("minimum_next_bid_cents"), minimumNextBidCents()},
        {QLatin1String("high_bidder_id"), nullable(highBidderId)},
        {QLatin1String("ends_at"), endsAt ? QJsonValue(protocol::isoUtc(*endsAt)) : QJsonValue()},
        {QLatin1String("created_at"), protocol::isoUtc(createdAt)},
        {QLatin1String("updated_at"), protocol::isoUtc(updatedAt)}};
}

DomainService::DomainService(Database &db, EventStore &events)
    : m_db(db)
    , m_events(events)
{}

bool DomainService::isValidDomainName(const QString &name)
{
    static const QRegularExpression pattern(
        QStringLiteral(R"(^(?=.{3,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$)"));
    return pattern.match(name).hasMatch();
}

Expected<Domain> DomainService::create(const protocol::User &owner, const QJsonObject &body,
                                       qint64 nowMs)
{
    fields::Reader reader(body);
    const QString name = reader.requiredString(QStringLiteral("name"), 253).trimmed().toLower();
    if (reader.ok() && !isValidDomainName(name))
        reader.fail(QStringLiteral("name"),
                    QStringLiteral("The name must be a domain name such as example.com."));
    const bool enableBidding = reader.optionalBool(QStringLiteral("enable_bidding"), false);
    const auto minIncrement =
        reader.optionalInt(QStringLiteral("min_increment_cents"), 1, 1'000'000'000'00);
    const auto reserve = reader.optionalInt(QStringLiteral("reserve_cents"), 0, 1'000'000'000'00);
    const auto buyNow = reader.optionalInt(QStringLiteral("buy_now_cents"), 1, 1'000'000'000'00);
    std::optional<qint64> endsAt;
    const QJsonValue endsValue = body.value(QLatin1String("ends_at"));
    if (!endsValue.isUndefined() && !endsValue.isNull()) {
        endsAt = endsValue.isString() ? protocol::parseIsoUtc(endsValue.toString()) : std::nullopt;
        if (!endsAt)
            reader.fail(QStringLiteral("ends_at"),
                        QStringLiteral("The ends_at field must be an ISO-8601 time with a zone."));
        else if (*endsAt <= nowMs)
            reader.fail(QStringLiteral("ends_at"),
                        QStringLiteral("The ends_at field must be in the future."));
    }
    if (enableBidding && !endsValue.isString() && reader.ok())
        reader.fail(QStringLiteral("ends_at"), QStringLiteral("An auction needs an ends_at time."));
    QString status = QStringLiteral("active");
    const QJsonValue statusValue = body.value(QLatin1String("status"));
    if (!statusValue.isUndefined() && !statusValue.isNull()) {
        status = statusValue.toString();
        if (status != QLatin1String("draft") && status != QLatin1String("active"))
            reader.fail(QStringLiteral("status"),
                        QStringLiteral("The status of a new domain must be draft or active."));
    }
    if (!reader.ok())
        return reader.error();

    Domain domain;
    domain.ownerId = owner.id;
    domain.name = name;
    domain.status = status;
    domain.enableBidding = enableBidding;
    domain.minIncrementCents = minIncrement.value_or(100);
    domain.reserveCents = reserve;
    domain.buyNowCents = buyNow;
    domain.endsAt = endsAt;
    domain.createdAt = domain.updatedAt = nowMs;
    std::optional<ApiError> refusal;
    const bool ok = m_db.transaction([&] {
        if (domain.isLiveAuction(nowMs)) {
            refusal = liveAuctionCapRefusal(owner.id, nowMs);
            if (refusal)
                return false;
        }
        domain.id =
            SqlQuery(m_db, QStringLiteral(
                               "INSERT INTO domains (owner_id, name, status, enable_bidding, "
                               "min_increment_cents, "
                               "reserve_cents, buy_now_cents, ends_at, created_at, updated_at) "
                               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"))
                .bind(owner.id)
                .bind(name)
                .bind(status)
                .bind(enableBidding ? 1 : 0)
                .bind(domain.minIncrementCents)
                .bindOptional(reserve)
                .bindOptional(buyNow)
                .bindOptional(endsAt)
                .bind(nowMs)
                .bind(nowMs)
                .scalar();
        return true;
    });
    if (refusal)
        return *refusal;
    if (!ok)
        return ApiError::internal();
    qCInfo(lcMarketplace) << "domain" << domain.id << "listed by user" << owner.id;
    return domain;
}

std::optional<Domain> DomainService::find(qint64 id)
{
    try {
        SqlQuery query(m_db, domainColumns + QStringLiteral("WHERE id = ?"));
        query.bind(id).exec();
        if (query.next())
            return domainFromRow(query);
    } catch (const DbError &error) {
        qCWarning(lcMarketplace) << error.what();
    }
    return std::nullopt;
}

Expected<QList<Domain>> DomainService::liveAuctions(qint64 nowMs, int limit)
{
    QList<Domain> result;
    try {
        SqlQuery query(m_db, domainColumns +
                                 QStringLiteral("WHERE status = 'active' AND enable_bidding = ? "
                                                "AND ends_at > ? ORDER BY ends_at, id LIMIT ?"));
        query.bind(1).bind(nowMs).bind(limit).exec();
        while (query.next())
            result.append(domainFromRow(query));
    } catch (const DbError &error) {
        qCWarning(lcMarketplace) << error.what();
        return ApiError::internal();
    }
    return result;
}

std::optional<Domain> DomainService::findVisible(qint64 id, qint64 viewerId)
{
    auto domain = find(id);
    if (domain && domain->status == QLatin1String("draft") && domain->ownerId != viewerId)
        return std::nullopt;
    return domain;
}

Expected<Domain> DomainService::get(qint64 id)
{
    if (auto domain = find(id))
        return *domain;
    return ApiError::notFound(QStringLiteral("Domain not found."));
}

Expected<Domain> DomainService::get(const protocol::User &viewer, qint64 id)
{
    if (auto domain = findVisible(id, viewer.id))
        return *domain;
    return ApiError::notFound(QStringLiteral("Domain not found."));
}

Expected<Domain> DomainService::watch(const protocol::User &user, qint64 domainId, bool watching)
{
    auto domain = findVisible(domainId, user.id);
    if (!domain)
        return ApiError::notFound(QStringLiteral("Domain not found."));
    const bool ok = m_db.transaction([&] {
        if (watching) {
            SqlQuery(m_db,
                     QStringLiteral(
                         "INSERT INTO watchers (domain_id, user_id, created_at) VALUES (?, ?, ?) "
                         "ON CONFLICT (domain_id, user_id) DO NOTHING"))
                .bind(domainId)
                .bind(user.id)
                .bind(protocol::nowMs())
                .exec();
        } else {
            SqlQuery(m_db,
                     QStringLiteral("DELETE FROM watchers WHERE domain_id = ? AND user_id = ?"))
                .bind(domainId)
                .bind(user.id)
                .exec();
        }
        return true;
    });
    if (!ok)
        return ApiError::internal();
    return *domain;
}

Expected<Domain> DomainService::update(const protocol::User &user, qint64 domainId,
                                       const QJsonObject &body, qint64 nowMs)
{
    auto domain = findVisible(domainId, user.id);
    if (!domain)
        return ApiError::notFound(QStringLiteral("Domain not found."));
    if (domain->ownerId != user.id)
        return ApiError::forbidden(QStringLiteral("Only the owner may edit this domain."));
    const bool wasLive = domain->isLiveAuction(nowMs);
    fields::Reader reader(body);
    const auto minIncrement =
        reader.optionalInt(QStringLiteral("min_increment_cents"), 1, Q_INT64_C(100000000000));
    const auto reserve =
        reader.optionalInt(QStringLiteral("reserve_cents"), 0, Q_INT64_C(100000000000));
    const auto buyNow =
        reader.optionalInt(QStringLiteral("buy_now_cents"), 1, Q_INT64_C(100000000000));
    std::optional<qint64> endsAt;
    if (body.contains(QLatin1String("ends_at"))) {
        endsAt = parseIsoUtc(body.value(QLatin1String("ends_at")).toString());
        if (!endsAt || *endsAt <= nowMs)
            reader.fail(
                QStringLiteral("ends_at"),
                QStringLiteral("The ends_at field must be a future ISO-8601 time with a zone."));
    }
    const QString status = body.value(QLatin1String("status")).toString(domain->status);
    if (!reader.ok())
        return reader.error();
    const bool changesTerms = minIncrement || reserve || buyNow || endsAt;
    if (changesTerms && domain->bidCount > 0)
        return ApiError::conflict(
            QStringLiteral("The terms of an auction with bids cannot change."));
    if (status != domain->status) {
        const bool allowed =
            (domain->status == QLatin1String("draft") &&
             (status == QLatin1String("active") || status == QLatin1String("cancelled"))) ||
            (domain->status == QLatin1String("active") && status == QLatin1String("cancelled") &&
             domain->bidCount == 0);
        if (!allowed)
            return ApiError::conflict(QStringLiteral("A %1 domain cannot become %2.")
                                          .arg(domain->status, status.left(20)));
    }
    domain->status = status;
    domain->minIncrementCents = minIncrement.value_or(domain->minIncrementCents);
    domain->reserveCents = reserve ? reserve : domain->reserveCents;
    domain->buyNowCents = buyNow ? buyNow : domain->buyNowCents;
    domain->endsAt = endsAt ? endsAt : domain->endsAt;
    domain->updatedAt = nowMs;
    std::optional<ApiError> refusal;
    const bool ok = m_events.transaction([&](EventBatch &batch) {
        if (!wasLive && domain->isLiveAuction(nowMs)) { // a draft published, an auction revived
            refusal = liveAuctionCapRefusal(user.id, nowMs);
            if (refusal)
                return false;
        }
        SqlQuery update(
            m_db,
            QStringLiteral(
                "UPDATE domains SET status = ?, min_increment_cents = ?, reserve_cents = ?, "
                "buy_now_cents = ?, ends_at = ?, updated_at = ? WHERE id = ? AND bid_count = ?"));
        update.bind(domain->status)
            .bind(domain->minIncrementCents)
            .bindOptional(domain->reserveCents)
            .bindOptional(domain->buyNowCents)
            .bindOptional(domain->endsAt)
            .bind(nowMs)
            .bind(domainId)
            .bind(domain->bidCount)
            .exec();
        if (update.numRowsAffected() != 1)
            return false;
        batch.add(protocol::Channels::domain(domainId), protocol::EventName::DomainUpdated,
                  {{QLatin1String("domain"), domain->toJson()}});
        return true;
    });
    if (refusal)
        return *refusal;
    if (!ok)
        return ApiError::conflict(QStringLiteral("The domain changed meanwhile; reload it."));
    return *domain;
}

qint64 DomainService::liveAuctionCount(qint64 ownerId, qint64 nowMs)
{
    return SqlQuery(m_db, QStringLiteral("SELECT COUNT(*) FROM domains WHERE owner_id = ? AND "
                                         "status = 'active' AND enable_bidding = 1 AND "
                                         "ends_at IS NOT NULL AND ends_at > ?"))
        .bind(ownerId)
        .bind(nowMs)
        .scalar();
}

std::optional<ApiError> DomainService::liveAuctionCapRefusal(qint64 ownerId, qint64 nowMs)
{
    // SQLite transactions start with BEGIN IMMEDIATE and so run one at a time; on PostgreSQL
    // the seller's row lock makes two listings at once count one after the other.
    if (m_db.dialect() == Database::Dialect::Postgres)
        SqlQuery(m_db, QStringLiteral("SELECT id FROM users WHERE id = ? FOR UPDATE"))
            .bind(ownerId)
            .exec();
    const qint64 live = liveAuctionCount(ownerId, nowMs);
    if (live < m_maxLiveAuctionsPerSeller)
        return std::nullopt;
    qCInfo(lcMarketplace) << "user" << ownerId << "refused a live auction:" << live
                          << "already live";
    return ApiError::conflict(
        QStringLiteral("You already have %1 live auctions, the most one seller may run at once "
                       "(max-live-auctions-per-seller); wait for one to end or cancel one.")
            .arg(live));
}

std::optional<DomainAccessPolicy::DomainView>
DomainService::visibleDomain(qint64 domainId, qint64 viewerId, qint64 nowMs)
{
    const auto domain = findVisible(domainId, viewerId);
    if (!domain)
        return std::nullopt;
    return DomainView{domain->isLiveAuction(nowMs)};
}

bool DomainService::isParticipant(qint64 userId, qint64 domainId)
{
    try {
        SqlQuery query(
            m_db,
            QStringLiteral(
                "SELECT 1 FROM domains WHERE id = ? AND owner_id = ? "
                "UNION ALL SELECT 1 FROM watchers WHERE domain_id = ? AND user_id = ? "
                "UNION ALL SELECT 1 FROM bids WHERE domain_id = ? AND user_id = ? "
                "UNION ALL SELECT 1 FROM offers WHERE domain_id = ? AND user_id = ? LIMIT 1"));
        for (int i = 0; i < 4; ++i)
            query.bind(domainId).bind(userId);
        query.exec();
        return query.next();
    } catch (const DbError &error) {
        qCWarning(lcMarketplace) << error.what();
        return false;
    }
}

} // namespace flippdeal::server
