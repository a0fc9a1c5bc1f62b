// SPDX-License-Identifier: MIT
#include "marketplace/offertable.h"

#include "storage/database.h"

#include "protocol/timeformat.h"

namespace flippdeal::server {

namespace {

const QString selectOffers =
    QStringLiteral("SELECT o.id, o.domain_id, o.user_id, o.amount_cents, o.counter_cents, "
                   "o.status, o.created_at, o.updated_at, "
                   "(SELECT e.id FROM escrows e WHERE e.offer_id = o.id) AS escrow_id "
                   "FROM offers o ");

Offer offerFromRow(const SqlQuery &row)
{
    Offer o;
    o.id = row.int64("id"_L1);
    o.domainId = row.int64("domain_id"_L1);
    o.userId = row.int64("user_id"_L1);
    o.amountCents = row.int64("amount_cents"_L1);
    o.counterCents = row.optionalInt64("counter_cents"_L1);
    o.status = fromString<OfferStatus>(row.text("status"_L1)).value_or(OfferStatus::Rejected);
    o.createdAt = row.int64("created_at"_L1);
    o.updatedAt = row.int64("updated_at"_L1);
    o.escrowId = row.optionalInt64("escrow_id"_L1);
    return o;
}

} // namespace

QJsonObject Offer::toJson() const
{
    return {{"id"_L1, id},
            {"domain_id"_L1, domainId},
            {"user_id"_L1, userId},
            {"amount_cents"_L1, amountCents},
            {"counter_cents"_L1, counterCents ? QJsonValue(*counterCents) : QJsonValue()},
            {"status"_L1, toString(status)},
            {"escrow_id"_L1, escrowId ? QJsonValue(*escrowId) : QJsonValue()},
            {"created_at"_L1, protocol::isoUtc(createdAt)},
            {"updated_at"_L1, protocol::isoUtc(updatedAt)}};
}

std::optional<Offer> OfferTable::find(qint64 offerId)
{
    SqlQuery query(m_db, selectOffers + QStringLiteral("WHERE o.id = ?"));
    query.bind(offerId).exec();
    if (!query.next())
        return std::nullopt;
    return offerFromRow(query);
}

Offer OfferTable::insert(qint64 domainId, qint64 userId, qint64 amountCents, qint64 now)
{
    Offer offer{
        0,   domainId, userId, amountCents, std::nullopt, OfferStatus::Pending, std::nullopt,
        now, now};
    offer.id =
        SqlQuery(m_db, QStringLiteral("INSERT INTO offers (domain_id, user_id, amount_cents, "
                                      "status, created_at, updated_at) "
                                      "VALUES (?, ?, ?, ?, ?, ?) RETURNING id"))
            .bind(domainId)
            .bind(userId)
            .bind(amountCents)
            .bind(toString(offer.status))
            .bind(now)
            .bind(now)
            .scalar();
    return offer;
}

bool OfferTable::update(const Offer &offer, OfferStatus from)
{
    SqlQuery update(m_db, QStringLiteral("UPDATE offers SET status = ?, counter_cents = ?, "
                                         "updated_at = ? WHERE id = ? AND status = ?"));
    update.bind(toString(offer.status))
        .bindOptional(offer.counterCents)
        .bind(offer.updatedAt)
        .bind(offer.id)
        .bind(toString(from))
        .exec();
    return update.numRowsAffected() == 1;
}

} // namespace flippdeal::server
