// SPDX-License-Identifier: MIT
#include "payments/paymentprovider.h"

#include "core/logging.h"
#include "events/eventstore.h"
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

QFuture<Expected<Charge>> SandboxPaymentProvider::charge(const QString &idempotencyKey,
                                                         qint64 buyerId, qint64 amountCents)
{
    struct Made
    {
        Charge charge;
        bool created = false;
    };
    return m_events
        .transactionLater([idempotencyKey, buyerId,
                           amountCents](EventBatch &batch) -> Expected<Made> {
            Database &db = batch.db();
            const qint64 now = protocol::nowMs();
            // The sandbox settles at once; a row that is already there (same key) is the answer.
            SqlQuery insert(db, QStringLiteral("INSERT INTO sandbox_charges (idempotency_key, "
                                               "buyer_id, amount_cents, status, created_at, "
                                               "settled_at) VALUES (?, ?, ?, 'settled', ?, ?) "
                                               "ON CONFLICT (idempotency_key) DO NOTHING"));
            insert.bind(idempotencyKey).bind(buyerId).bind(amountCents).bind(now).bind(now).exec();
            const qint64 id =
                SqlQuery(db,
                         QStringLiteral("SELECT id FROM sandbox_charges WHERE idempotency_key = ?"))
                    .bind(idempotencyKey)
                    .scalar();
            const auto charge = loadCharge(db, id);
            if (!charge)
                return ApiError::internal(
                    QStringLiteral("The sandbox charge could not be recorded."));
            return Made{*charge, insert.numRowsAffected() == 1};
        })
        .then([buyerId, amountCents](const Expected<Made> &made) -> Expected<Charge> {
            if (!made)
                return made.error();
            if (made->created)
                qCInfo(lcApp) << "sandbox charge" << made->charge.reference << "of" << amountCents
                              << "cents from user" << buyerId << "(no real money moved)";
            return made->charge;
        });
}

QFuture<Expected<Charge>> SandboxPaymentProvider::chargeStatus(const QString &reference)
{
    const qint64 id = chargeIdOf(reference);
    const auto charge = m_db.attempt([&]() -> Expected<std::optional<Charge>> {
        return id > 0 ? loadCharge(m_db, id) : std::nullopt;
    });
    if (!charge)
        return QtFuture::makeReadyFuture(Expected<Charge>(charge.error()));
    if (!*charge)
        return QtFuture::makeReadyFuture(Expected<Charge>(
            ApiError::notFound(QStringLiteral("No sandbox charge %1.").arg(reference.left(60)))));
    return QtFuture::makeReadyFuture(Expected<Charge>(**charge));
}

QFuture<Expected<std::optional<Charge>>>
SandboxPaymentProvider::findCharge(const QString &idempotencyKey)
{
    return QtFuture::makeReadyFuture(m_db.attempt([&]() -> Expected<std::optional<Charge>> {
        SqlQuery find(m_db, QStringLiteral("SELECT id FROM sandbox_charges WHERE "
                                           "idempotency_key = ?"));
        find.bind(idempotencyKey).exec();
        if (!find.next())
            return std::optional<Charge>();
        return loadCharge(m_db, find.int64(0));
    }));
}

namespace {

struct Recorded
{
    qint64 id = 0;
    bool created = false;
};

//! Inside a transaction: the sandbox refund of `amountCents` of `chargeReference`, once by key.
Expected<Recorded> recordRefund(Database &db, const QString &idempotencyKey,
                                const QString &chargeReference, qint64 amountCents)
{
    SqlQuery earlier(db,
                     QStringLiteral("SELECT id FROM sandbox_refunds WHERE idempotency_key = ?"));
    earlier.bind(idempotencyKey).exec();
    if (earlier.next()) // refunded on an earlier attempt
        return Recorded{earlier.int64(0), false};
    const qint64 chargeId = chargeIdOf(chargeReference);
    const auto charge = chargeId > 0 ? loadCharge(db, chargeId) : std::nullopt;
    if (!charge || !charge->isSettled() || amountCents <= 0 || amountCents > charge->amountCents)
        return ApiError::conflict(QStringLiteral("%1 is not a settled charge of at least %2 cents")
                                      .arg(chargeReference.left(60))
                                      .arg(amountCents));
    const qint64 id =
        SqlQuery(db, QStringLiteral("INSERT INTO sandbox_refunds (idempotency_key, charge_id, "
                                    "amount_cents, created_at) VALUES (?, ?, ?, ?) RETURNING id"))
            .bind(idempotencyKey)
            .bind(chargeId)
            .bind(amountCents)
            .bind(protocol::nowMs())
            .scalar();
    SqlQuery(db, QStringLiteral("UPDATE sandbox_charges SET status = 'refunded' WHERE id = ?"))
        .bind(chargeId)
        .exec();
    return Recorded{id, true};
}

//! Inside a transaction: the sandbox payout, once by key.
Recorded recordPayout(Database &db, const QString &idempotencyKey, qint64 sellerId,
                      qint64 amountCents)
{
    SqlQuery insert(db, QStringLiteral("INSERT INTO sandbox_payouts (idempotency_key, seller_id, "
                                       "amount_cents, created_at) VALUES (?, ?, ?, ?) "
                                       "ON CONFLICT (idempotency_key) DO NOTHING"));
    insert.bind(idempotencyKey).bind(sellerId).bind(amountCents).bind(protocol::nowMs()).exec();
    const qint64 id =
        SqlQuery(db, QStringLiteral("SELECT id FROM sandbox_payouts WHERE idempotency_key = ?"))
            .bind(idempotencyKey)
            .scalar();
    return Recorded{id, insert.numRowsAffected() == 1};
}

} // namespace

QFuture<Expected<QString>> SandboxPaymentProvider::refund(const QString &idempotencyKey,
                                                          const QString &chargeReference,
                                                          qint64 amountCents)
{
    return m_events
        .transactionLater([idempotencyKey, chargeReference, amountCents](EventBatch &batch) {
            return recordRefund(batch.db(), idempotencyKey, chargeReference, amountCents);
        })
        .then(
            [chargeReference, amountCents](const Expected<Recorded> &refund) -> Expected<QString> {
                if (!refund)
                    return refund.error();
                if (refund->created)
                    qCInfo(lcApp) << "sandbox refund" << refund->id << "of" << amountCents
                                  << "cents of" << chargeReference << "(no real money moved)";
                return QStringLiteral("sandbox-refund-%1").arg(refund->id);
            });
}

QFuture<Expected<QString>> SandboxPaymentProvider::payout(const QString &idempotencyKey,
                                                          qint64 sellerId, qint64 amountCents)
{
    return m_events
        .transactionLater(
            [idempotencyKey, sellerId, amountCents](EventBatch &batch) -> Expected<Recorded> {
                return recordPayout(batch.db(), idempotencyKey, sellerId, amountCents);
            })
        .then([sellerId, amountCents](const Expected<Recorded> &payout) -> Expected<QString> {
            if (!payout)
                return payout.error();
            if (payout->created)
                qCInfo(lcApp) << "sandbox payout" << payout->id << "of" << amountCents
                              << "cents to user" << sellerId << "(no real money moved)";
            if (payout->created &&
                qEnvironmentVariableIntValue("FLIPPDEAL_SANDBOX_CRASH_AFTER_PAYOUT") == 1)
                std::_Exit(99); // die like kill -9: the money moved, the job is not marked done
            return QStringLiteral("sandbox-payout-%1").arg(payout->id);
        });
}

} // namespace flippdeal::server
