// SPDX-License-Identifier: MIT
#include "escrow/escrowtable.h"

#include "storage/database.h"

#include "protocol/timeformat.h"

namespace flippdeal::server {

namespace {

const QString selectEscrows = QStringLiteral(
    "SELECT id, domain_id, buyer_id, seller_id, amount_cents, fee_cents, status, source, offer_id, "
    "payout_reference, created_at, updated_at, charge_reference, charge_status, charged_cents, "
    "charge_attempts, refund_reference FROM escrows ");

Escrow escrowFromRow(const SqlQuery &row)
{
    Escrow e;
    e.id = row.int64("id"_L1);
    e.domainId = row.int64("domain_id"_L1);
    e.buyerId = row.int64("buyer_id"_L1);
    e.sellerId = row.int64("seller_id"_L1);
    e.amountCents = row.int64("amount_cents"_L1);
    e.feeCents = row.int64("fee_cents"_L1);
    e.status = fromString<EscrowStatus>(row.text("status"_L1)).value_or(EscrowStatus::Cancelled);
    e.source = row.text("source"_L1);
    e.offerId = row.optionalInt64("offer_id"_L1);
    e.payoutReference = row.text("payout_reference"_L1);
    e.createdAt = row.int64("created_at"_L1);
    e.updatedAt = row.int64("updated_at"_L1);
    e.chargeReference = row.text("charge_reference"_L1);
    e.chargeStatus = row.text("charge_status"_L1);
    e.chargedCents = row.optionalInt64("charged_cents"_L1);
    e.chargeAttempts = static_cast<int>(row.int64("charge_attempts"_L1));
    e.refundReference = row.text("refund_reference"_L1);
    return e;
}

QJsonValue textOrNull(const QString &text)
{
    return text.isEmpty() ? QJsonValue() : QJsonValue(text);
}

QJsonValue nullable(const std::optional<qint64> &value)
{
    return value ? QJsonValue(*value) : QJsonValue();
}

} // namespace

QJsonObject Escrow::toJson() const
{
    return {{"id"_L1, id},
            {"domain_id"_L1, domainId},
            {"buyer_id"_L1, buyerId},
            {"seller_id"_L1, sellerId},
            {"amount_cents"_L1, amountCents},
            {"fee_cents"_L1, feeCents},
            {"payout_cents"_L1, amountCents - feeCents},
            {"status"_L1, toString(status)},
            {"source"_L1, source},
            {"offer_id"_L1, nullable(offerId)},
            {"payout_reference"_L1, textOrNull(payoutReference)},
            {"charge_reference"_L1, textOrNull(chargeReference)},
            {"charge_status"_L1, textOrNull(chargeStatus)},
            {"charged_cents"_L1, nullable(chargedCents)},
            {"refund_reference"_L1, textOrNull(refundReference)},
            {"created_at"_L1, protocol::isoUtc(createdAt)},
            {"updated_at"_L1, protocol::isoUtc(updatedAt)}};
}

std::optional<Escrow> EscrowTable::find(qint64 escrowId)
{
    SqlQuery query(m_db, selectEscrows + QStringLiteral("WHERE id = ?"));
    query.bind(escrowId).exec();
    if (!query.next())
        return std::nullopt;
    return escrowFromRow(query);
}

QList<Escrow> EscrowTable::disputed()
{
    SqlQuery query(m_db, selectEscrows + QStringLiteral("WHERE status = ? ORDER BY id"));
    query.bind(toString(EscrowStatus::Disputed)).exec();
    QList<Escrow> result;
    while (query.next())
        result.append(escrowFromRow(query));
    return result;
}

qint64 EscrowTable::insert(const Escrow &e)
{
    return SqlQuery(m_db, QStringLiteral("INSERT INTO escrows (domain_id, buyer_id, seller_id, "
                                         "amount_cents, fee_cents, status, source, offer_id, "
                                         "created_at, updated_at) "
                                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"))
        .bind(e.domainId)
        .bind(e.buyerId)
        .bind(e.sellerId)
        .bind(e.amountCents)
        .bind(e.feeCents)
        .bind(toString(e.status))
        .bind(e.source)
        .bindOptional(e.offerId)
        .bind(e.createdAt)
        .bind(e.updatedAt)
        .scalar();
}

bool EscrowTable::updateStatus(const Escrow &escrow, EscrowStatus from)
{
    SqlQuery update(m_db, QStringLiteral("UPDATE escrows SET status = ?, updated_at = ? "
                                         "WHERE id = ? AND status = ?"));
    update.bind(toString(escrow.status))
        .bind(escrow.updatedAt)
        .bind(escrow.id)
        .bind(toString(from))
        .exec();
    return update.numRowsAffected() == 1;
}

bool EscrowTable::updateCharge(const Escrow &escrow)
{
    SqlQuery update(m_db, QStringLiteral("UPDATE escrows SET status = ?, charge_reference = ?, "
                                         "charge_status = ?, charged_cents = ?, "
                                         "charge_attempts = ?, updated_at = ? "
                                         "WHERE id = ? AND status = ?"));
    update.bind(toString(escrow.status))
        .bind(escrow.chargeReference)
        .bind(escrow.chargeStatus)
        .bindOptional(escrow.chargedCents)
        .bind(escrow.chargeAttempts)
        .bind(escrow.updatedAt)
        .bind(escrow.id)
        .bind(toString(EscrowStatus::PendingFunding))
        .exec();
    return update.numRowsAffected() == 1;
}

bool EscrowTable::setPayoutReference(qint64 escrowId, const QString &reference)
{
    SqlQuery update(m_db, QStringLiteral("UPDATE escrows SET payout_reference = ? WHERE id = ? "
                                         "AND payout_reference IS NULL"));
    update.bind(reference).bind(escrowId).exec();
    return update.numRowsAffected() == 1;
}

void EscrowTable::setRefundReference(qint64 escrowId, const QString &reference, qint64 nowMs)
{
    SqlQuery(m_db, QStringLiteral("UPDATE escrows SET refund_reference = ?, charge_status = "
                                  "'refunded', updated_at = ? WHERE id = ? AND "
                                  "refund_reference IS NULL"))
        .bind(reference)
        .bind(nowMs)
        .bind(escrowId)
        .exec();
}

void EscrowTable::addEvent(qint64 escrowId, std::optional<EscrowStatus> from, EscrowStatus to,
                           std::optional<qint64> actorId, const QString &reason, qint64 nowMs)
{
    SqlQuery(m_db, QStringLiteral("INSERT INTO escrow_events (escrow_id, from_status, to_status, "
                                  "actor_id, reason, created_at) VALUES (?, ?, ?, ?, ?, ?)"))
        .bind(escrowId)
        .bind(from ? toString(*from) : QStringLiteral("none"))
        .bind(toString(to))
        .bindOptional(actorId)
        .bind(reason)
        .bind(nowMs)
        .exec();
}

} // namespace flippdeal::server
