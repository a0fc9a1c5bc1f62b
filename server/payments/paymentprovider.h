// SPDX-License-Identifier: MIT
#pragma once

#include "core/result.h"

#include <QFuture>

#include <QString>
#include <optional>

namespace flippdeal::server {

class Database;
class EventStore;

//! \brief A charge of a buyer, as the payment provider reports it.
struct Charge
{
    QString reference;      //!< the provider's id for it
    qint64 amountCents = 0; //!< what the provider charged (or will charge)
    QString status;         //!< pending, settled, failed or refunded

    bool isSettled() const { return status == QLatin1String("settled"); }
    bool isPending() const { return status == QLatin1String("pending"); }
};

//! \brief Moves money: charges buyers into escrow, refunds them, pays sellers.
//!
//! Every call is idempotent by key: a second call with the same key returns the first one's
//! result and moves no money. That is what makes a retried request or job safe after a
//! worker was killed half-way, and what makes two simultaneous `fund` requests charge once.
//!
//! Every call answers later: a provider is a network service, and the thread that calls it
//! serves every socket. The futures finish on the calling thread.
class PaymentProvider
{
public:
    virtual ~PaymentProvider() = default;
    //! Whether this provider only pretends (the sandbox): logged at start-up.
    virtual bool isSandbox() const = 0;
    //! Charges `buyerId` `amountCents`. The charge may be settled at once or stay pending
    //! (then poll chargeStatus()).
    virtual QFuture<Expected<Charge>> charge(const QString &idempotencyKey, qint64 buyerId,
                                             qint64 amountCents) = 0;
    //! The charge as the provider sees it now.
    virtual QFuture<Expected<Charge>> chargeStatus(const QString &reference) = 0;
    //! The charge made under `idempotencyKey`, or nothing when none was (a real provider: a
    //! search by the key kept in the charge's metadata). Makes no charge.
    virtual QFuture<Expected<std::optional<Charge>>> findCharge(const QString &idempotencyKey) = 0;
    //! Returns `amountCents` of a settled charge to the buyer; the refund's reference.
    virtual QFuture<Expected<QString>>
    refund(const QString &idempotencyKey, const QString &chargeReference, qint64 amountCents) = 0;
    //! Pays `sellerId`; the payout's reference.
    virtual QFuture<Expected<QString>> payout(const QString &idempotencyKey, qint64 sellerId,
                                              qint64 amountCents) = 0;
};

//! \brief The sandbox provider: moves no real money. It records what a real provider would do
//! in `sandbox_charges`, `sandbox_refunds` and `sandbox_payouts` (each unique by idempotency
//! key), and settles every charge at once for exactly the amount asked. A row someone put
//! into `sandbox_charges` by hand (a test, an operator rehearsing) is answered as it stands:
//! pending, failed or of another amount.
//! Its writes go through the writer thread, where there is one (EventStore::transactionLater()),
//! like a real provider's requests they answer later; its reads are made on `db`.
//! Setting FLIPPDEAL_SANDBOX_CRASH_AFTER_PAYOUT=1 makes the process die right after a payout is
//! recorded, to test that a retried job does not pay twice.
class SandboxPaymentProvider final : public PaymentProvider
{
public:
    SandboxPaymentProvider(Database &db, EventStore &events)
        : m_db(db)
        , m_events(events)
    {}
    bool isSandbox() const override { return true; }
    QFuture<Expected<Charge>> charge(const QString &idempotencyKey, qint64 buyerId,
                                     qint64 amountCents) override;
    QFuture<Expected<Charge>> chargeStatus(const QString &reference) override;
    QFuture<Expected<std::optional<Charge>>> findCharge(const QString &idempotencyKey) override;
    QFuture<Expected<QString>> refund(const QString &idempotencyKey, const QString &chargeReference,
                                      qint64 amountCents) override;
    QFuture<Expected<QString>> payout(const QString &idempotencyKey, qint64 sellerId,
                                      qint64 amountCents) override;

private:
    Database &m_db;
    EventStore &m_events;
};

} // namespace flippdeal::server
