// SPDX-License-Identifier: MIT
#include "payments/paymentprovider.h"

#include "core/logging.h"
#include "storage/database.h"

#include "protocol/timeformat.h"

#include <cstdlib>

namespace flippdeal::server {

namespace {

const QLatin1String ChargePrefix("sandbox-charge-");

//! The row id in a `sandbox-charge-{id}` reference, or 0.
qint64 chargeIdOf(const QString &reference)
{
    if (!reference.startsWith(ChargePrefix))
        return 0;
    bool ok = false;
    const qint64 id = QStringView(reference).mid(ChargePrefix.size()).toLongLong(&ok);
    return ok && id > 0 ? id : 0;
}

std::optional<Charge> loadCharge(Database &db, qint64 id)
{
    SqlQuery query(db,
                   QStringLiteral("SELECT amount_cents, status FROM sandbox_charges WHERE id = ?"));
    query.bind(id).exec();
    if (!query.next())
        return std::nullopt;
    return Charge{ChargePrefix + QString::number(id), query.int64(0), query.text(1)};
}

} // namespace

Expected<Charge> SandboxPaymentProvider::charge(const QString &idempotencyKey, qint64 buyerId,
                                                qint64 amountCents)
{
    std::optional<Charge> charge;
    bool created = false;
    const bool ok = m_db.transaction([&] {
        const qint64 now = protocol::nowMs();
        // The sandbox settles at once; a row that is already there (same key) is the answer.
        SqlQuery insert(m_db, QStringLiteral("INSERT INTO sandbox_charges (idempotency_key, "
                                             "buyer_id, amount_cents, status, created_at, "
                                             "settled_at) VALUES (?, ?, ?, 'settled', ?, ?) "
                                             "ON CONFLICT (idempotency_key) DO NOTHING"));
        insert.bind(idempotencyKey).bind(buyerId).bind(amountCents).bind(now).bind(now).exec();
        created = insert.numRowsAffected() == 1;
        const qint64 id =
            SqlQuery(m_db,
                     QStringLiteral("SELECT id FROM sandbox_charges WHERE idempotency_key = ?"))
                .bind(idempotencyKey)
                .scalar();
        charge = loadCharge(m_db, id);
        return charge.has_value();
    });
    if (!ok || !charge)
        return ApiError::internal(QStringLiteral("The sandbox charge could not be recorded."));
    if (created)
        qCInfo(lcApp) << "sandbox charge" << charge->reference << "of" << amountCents
                      << "cents from user" << buyerId << "(no real money moved)";
    return *charge;
}

Expected<Charge> SandboxPaymentProvider::chargeStatus(const QString &reference)
{
    const qint64 id = chargeIdOf(reference);
    const auto charge = m_db.attempt([&]() -> Expected<std::optional<Charge>> {
        return id > 0 ? loadCharge(m_db, id) : std::nullopt;
    });
    if (!charge)
        return charge.error();
    if (!*charge)
        return ApiError::notFound(QStringLiteral("No sandbox charge %1.").arg(reference.left(60)));
    return **charge;
}

Expected<QString> SandboxPaymentProvider::refund(const QString &idempotencyKey,
                                                 const QString &chargeReference, qint64 amountCents)
{
    const qint64 chargeId = chargeIdOf(chargeReference);
    qint64 id = 0;
    bool created = false;
    std::optional<QString> refusal;
    const bool ok = m_db.transaction([&] {
        SqlQuery earlier(m_db, QStringLiteral("SELECT id FROM sandbox_refunds WHERE "
                                              "idempotency_key = ?"));
        earlier.bind(idempotencyKey).exec();
        if (earlier.next()) { // refunded on an earlier attempt
            id = earlier.int64(0);
            return true;
        }
        const auto charge = chargeId > 0 ? loadCharge(m_db, chargeId) : std::nullopt;
        if (!charge || !charge->isSettled() || amountCents <= 0 ||
            amountCents > charge->amountCents) {
            refusal = QStringLiteral("%1 is not a settled charge of at least %2 cents")
                          .arg(chargeReference.left(60))
                          .arg(amountCents);
            return false;
        }
        id = SqlQuery(m_db, QStringLiteral("INSERT INTO sandbox_refunds (idempotency_key, "
                                           "charge_id, amount_cents, created_at) VALUES (?, ?, ?, "
                                           "?) RETURNING id"))
                 .bind(idempotencyKey)
                 .bind(chargeId)
                 .bind(amountCents)
                 .bind(protocol::nowMs())
                 .scalar();
        SqlQuery(m_db,
                 QStringLiteral("UPDATE sandbox_charges SET status = 'refunded' WHERE id = ?"))
            .bind(chargeId)
            .exec();
        created = true;
        return true;
    });
    if (refusal)
        return ApiError::conflict(*refusal);
    if (!ok)
        return ApiError::internal(QStringLiteral("The sandbox refund could not be recorded."));
    if (created)
        qCInfo(lcApp) << "sandbox refund" << id << "of" << amountCents << "cents of"
                      << chargeReference << "(no real money moved)";
    return QStringLiteral("sandbox-refund-%1").arg(id);
}

Expected<QString> SandboxPaymentProvider::payout(const QString &idempotencyKey, qint64 sellerId,
                                                 qint64 amountCents)
{
    qint64 id = 0;
    bool created = false;
    const bool ok = m_db.transaction([&] {
        SqlQuery insert(
            m_db, QStringLiteral("INSERT INTO sandbox_payouts (idempotency_key, seller_id, "
                                 "amount_cents, created_at) "
                                 "VALUES (?, ?, ?, ?) ON CONFLICT (idempotency_key) DO NOTHING"));
        insert.bind(idempotencyKey).bind(sellerId).bind(amountCents).bind(protocol::nowMs()).exec();
        created = insert.numRowsAffected() == 1;
        id = SqlQuery(m_db,
                      QStringLiteral("SELECT id FROM sandbox_payouts WHERE idempotency_key = ?"))
                 .bind(idempotencyKey)
                 .scalar();
        return true;
    });
    if (!ok)
        return ApiError::internal(QStringLiteral("The sandbox payout could not be recorded."));
    if (created)
        qCInfo(lcApp) << "sandbox payout" << id << "of" << amountCents << "cents to user"
                      << sellerId << "(no real money moved)";
    if (created && qEnvironmentVariableIntValue("FLIPPDEAL_SANDBOX_CRASH_AFTER_PAYOUT") == 1)
        std::_Exit(99); // die like kill -9: the money moved, the job is not marked done
    return QStringLiteral("sandbox-payout-%1").arg(id);
}

} // namespace flippdeal::server
