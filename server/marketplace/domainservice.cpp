// SPDX-License-Identifier: MIT
#include "marketplace/domainservice.h"

#include "core/logging.h"
#include "events/eventstore.h"
#include "http/jsonfields.h"
#include "marketplace/domaintable.h"
#include "storage/database.h"

#include "protocol/timeformat.h"

using flippdeal::protocol::parseIsoUtc;

#include <QRegularExpression>

namespace flippdeal::server {

namespace {

//! A new listing's status: active unless the body asks for a draft.
std::optional<DomainStatus> newDomainStatus(const QJsonObject &body, fields::Reader &reader)
{
    const QJsonValue value = body.value("status"_L1);
    if (value.isUndefined() || value.isNull())
        return DomainStatus::Active;
    const auto status = fromString<DomainStatus>(value.toString());
    if (status != DomainStatus::Draft && status != DomainStatus::Active) {
        reader.fail(QStringLiteral("status"),
                    QStringLiteral("The status of a new domain must be draft or active."));
        return std::nullopt;
    }
    return status;
}

//! The owner may publish or cancel a draft, and cancel an active listing without bids.
bool mayChangeStatus(const Domain &domain, DomainStatus to)
{
    switch (domain.status) {
    case DomainStatus::Draft:
        return to == DomainStatus::Active || to == DomainStatus::Cancelled;
    case DomainStatus::Active:
        return to == DomainStatus::Cancelled && domain.bidCount == 0;
    case DomainStatus::Ended:
    case DomainStatus::Sold:
    case DomainStatus::Cancelled:
        break;
    }
    return false;
}

} // namespace

DomainService::DomainService(Database &db, EventStore &events)
    : m_db(db)
    , m_domains(std::make_unique<DomainTable>(db))
    , m_events(events)
{}

DomainService::~DomainService() = default;

bool DomainService::isValidDomainName(const QString &name)
{
    static const QRegularExpression pattern(
        QStringLiteral(R"(^(?=.{3,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$)"));
    return pattern.match(name).hasMatch();
}

QFuture<Expected<Domain>> DomainService::create(const protocol::User &owner,
                                                const QJsonObject &body, qint64 nowMs)
{
    auto domain = readNewDomain(body, nowMs);
    if (!domain)
        return QtFuture::makeReadyFuture(domain);
    domain->ownerId = owner.id;
    domain->createdAt = domain->updatedAt = nowMs;
    return m_events.transactionLater(
        [this, domain = *domain, nowMs](EventBatch &batch) mutable -> Expected<Domain> {
            DomainTable domains(batch.db());
            if (domain.isLiveAuction(nowMs)) {
                if (auto refusal = liveAuctionCapRefusal(domains, domain.ownerId, nowMs))
                    return *refusal;
            }
            domain.id = domains.insert(domain);
            qCInfo(lcMarketplace) << "domain" << domain.id << "listed by user" << domain.ownerId;
            return domain;
        });
}

Expected<Domain> DomainService::readNewDomain(const QJsonObject &body, qint64 nowMs)
{
    fields::Reader reader(body);
    Domain domain;
    domain.name = reader.requiredString(QStringLiteral("name"), 253).trimmed().toLower();
    if (reader.ok() && !isValidDomainName(domain.name))
        reader.fail(QStringLiteral("name"),
                    QStringLiteral("The name must be a domain name such as example.com."));
    domain.enableBidding = reader.optionalBool(QStringLiteral("enable_bidding"), false);
    domain.minIncrementCents =
        reader.optionalInt(QStringLiteral("min_increment_cents"), 1, MaxListingCents).value_or(100);
    domain.reserveCents = reader.optionalInt(QStringLiteral("reserve_cents"), 0, MaxListingCents);
    domain.buyNowCents = reader.optionalInt(QStringLiteral("buy_now_cents"), 1, MaxListingCents);
    const QJsonValue endsValue = body.value("ends_at"_L1);
    if (!endsValue.isUndefined() && !endsValue.isNull()) {
        domain.endsAt =
            endsValue.isString() ? protocol::parseIsoUtc(endsValue.toString()) : std::nullopt;
        if (!domain.endsAt)
            reader.fail(QStringLiteral("ends_at"),
                        QStringLiteral("The ends_at field must be an ISO-8601 time with a zone."));
        else if (*domain.endsAt <= nowMs)
            reader.fail(QStringLiteral("ends_at"),
                        QStringLiteral("The ends_at field must be in the future."));
    }
    if (domain.enableBidding && !endsValue.isString() && reader.ok())
        reader.fail(QStringLiteral("ends_at"), QStringLiteral("An auction needs an ends_at time."));
    domain.status = newDomainStatus(body, reader).value_or(DomainStatus::Draft);
    if (!reader.ok())
        return reader.error();
    return domain;
}

std::optional<Domain> DomainService::find(qint64 id)
{
    const auto domain =
        m_db.attempt([&]() -> Expected<std::optional<Domain>> { return m_domains->find(id); });
    return domain ? *domain : std::nullopt;
}

Expected<QList<Domain>> DomainService::liveAuctions(qint64 nowMs, int limit)
{
    return m_db.attempt(
        [&]() -> Expected<QList<Domain>> { return m_domains->liveAuctions(nowMs, limit); });
}

std::optional<Domain> DomainService::findVisible(qint64 id, qint64 viewerId)
{
    auto domain = find(id);
    if (domain && !domain->isVisibleTo(viewerId))
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

QFuture<Expected<Domain>> DomainService::watch(const protocol::User &user, qint64 domainId,
                                               bool watching)
{
    return m_events.transactionLater(
        [userId = user.id, domainId, watching](EventBatch &batch) -> Expected<Domain> {
            DomainTable domains(batch.db());
            const auto domain = domains.find(domainId);
            if (!domain || !domain->isVisibleTo(userId))
                return ApiError::notFound(QStringLiteral("Domain not found."));
            if (watching)
                domains.watch(domainId, userId, protocol::nowMs());
            else
                domains.unwatch(domainId, userId);
            return *domain;
        });
}

QFuture<Expected<Domain>> DomainService::update(const protocol::User &user, qint64 domainId,
                                                const QJsonObject &body, qint64 nowMs)
{
    return m_events
        .transactionLater(
            [this, userId = user.id, domainId, body, nowMs](EventBatch &batch) -> Expected<Domain> {
                return edit(batch, userId, domainId, body, nowMs);
            })
        .then([](Expected<Domain> updated) -> Expected<Domain> {
            // A failed write reads as a race; a busy writer's 503 stays one.
            if (!updated && updated.error().status == 500)
                return ApiError::conflict(
                    QStringLiteral("The domain changed meanwhile; reload it."));
            return updated;
        });
}

Expected<Domain> DomainService::edit(EventBatch &batch, qint64 userId, qint64 domainId,
                                     const QJsonObject &body, qint64 nowMs) const
{
    DomainTable domains(batch.db());
    auto domain = domains.find(domainId);
    if (!domain || !domain->isVisibleTo(userId))
        return ApiError::notFound(QStringLiteral("Domain not found."));
    if (domain->ownerId != userId)
        return ApiError::forbidden(QStringLiteral("Only the owner may edit this domain."));
    const bool wasLive = domain->isLiveAuction(nowMs);
    if (auto refusal = applyEdits(*domain, body, nowMs))
        return *refusal;
    if (!wasLive && domain->isLiveAuction(nowMs)) { // a draft published, an auction revived
        if (auto refusal = liveAuctionCapRefusal(domains, userId, nowMs))
            return *refusal;
    }
    if (!domains.updateTerms(*domain))
        return ApiError::conflict(QStringLiteral("The domain changed meanwhile; reload it."));
    batch.add(protocol::Channels::domain(domainId), protocol::EventName::DomainUpdated,
              {{"domain"_L1, domain->toJson()}});
    return *domain;
}

std::optional<ApiError> DomainService::applyEdits(Domain &domain, const QJsonObject &body,
                                                  qint64 nowMs)
{
    fields::Reader reader(body);
    const auto minIncrement =
        reader.optionalInt(QStringLiteral("min_increment_cents"), 1, MaxListingCents);
    const auto reserve = reader.optionalInt(QStringLiteral("reserve_cents"), 0, MaxListingCents);
    const auto buyNow = reader.optionalInt(QStringLiteral("buy_now_cents"), 1, MaxListingCents);
    std::optional<qint64> endsAt;
    if (body.contains("ends_at"_L1)) {
        endsAt = parseIsoUtc(body.value("ends_at"_L1).toString());
        if (!endsAt || *endsAt <= nowMs)
            reader.fail(
                QStringLiteral("ends_at"),
                QStringLiteral("The ends_at field must be a future ISO-8601 time with a zone."));
    }
    const QString status = body.value("status"_L1).toString(toString(domain.status));
    if (!reader.ok())
        return reader.error();
    if ((minIncrement || reserve || buyNow || endsAt) && domain.bidCount > 0)
        return ApiError::conflict(
            QStringLiteral("The terms of an auction with bids cannot change."));
    const auto to = fromString<DomainStatus>(status);
    if (to != domain.status && (!to || !mayChangeStatus(domain, *to)))
        return ApiError::conflict(QStringLiteral("A %1 domain cannot become %2.")
                                      .arg(toString(domain.status), status.left(20)));
    domain.status = *to;
    domain.minIncrementCents = minIncrement.value_or(domain.minIncrementCents);
    domain.reserveCents = reserve ? reserve : domain.reserveCents;
    domain.buyNowCents = buyNow ? buyNow : domain.buyNowCents;
    domain.endsAt = endsAt ? endsAt : domain.endsAt;
    domain.updatedAt = nowMs;
    return std::nullopt;
}

void DomainService::endSale(EventBatch &batch, const Domain &domain, qint64 nowMs)
{
    DomainTable(batch.db()).setStatus(domain.id, DomainStatus::Ended, nowMs);
    Domain ended = domain;
    ended.status = DomainStatus::Ended;
    ended.updatedAt = nowMs;
    batch.add(protocol::Channels::domain(domain.id), protocol::EventName::DomainUpdated,
              {{"domain"_L1, ended.toJson()}});
}

qint64 DomainService::liveAuctionCount(qint64 ownerId, qint64 nowMs)
{
    return m_domains->liveAuctionCount(ownerId, nowMs);
}

std::optional<ApiError> DomainService::liveAuctionCapRefusal(DomainTable &domains, qint64 ownerId,
                                                             qint64 nowMs) const
{
    // SQLite transactions start with BEGIN IMMEDIATE and so run one at a time; on PostgreSQL
    // the seller's row lock makes two listings at once count one after the other.
    if (domains.database().dialect() == Database::Dialect::Postgres)
        SqlQuery(domains.database(), QStringLiteral("SELECT id FROM users WHERE id = ? FOR UPDATE"))
            .bind(ownerId)
            .exec();
    const qint64 live = domains.liveAuctionCount(ownerId, nowMs);
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
    const auto participant = m_db.attempt(
        [&]() -> Expected<bool> { return m_domains->isParticipant(userId, domainId); });
    return participant && *participant;
}

} // namespace flippdeal::server
