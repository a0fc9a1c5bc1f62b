// SPDX-License-Identifier: MIT
#pragma once

#include "core/result.h"

#include <QString>

namespace flippdeal::server {

class Database;

//! \brief Pays sellers. Implementations must be idempotent by key: a second payout with the same
//! key returns the first one's reference and moves no money, which is what makes a retried job
//! safe after a worker was killed half-way.
class PaymentProvider
{
public:
    virtual ~PaymentProvider() = default;
    //! Returns the provider's reference for the payout.
    virtual Expected<QString> payout(const QString &idempotencyKey, qint64 sellerId,
                                     qint64 amountCents) = 0;
};

//! \brief The sandbox provider: records payouts in `sandbox_payouts`, unique by idempotency key.
//! Setting FLIPPDEAL_SANDBOX_CRASH_AFTER_PAYOUT=1 makes the process die right after a payout is
//! recorded, to test that a retried job does not pay twice.
class SandboxPaymentProvider final : public PaymentProvider
{
public:
    explicit SandboxPaymentProvider(Database &db)
        : m_db(db)
    {}
    Expected<QString> payout(const QString &idempotencyKey, qint64 sellerId,
                             qint64 amountCents) override;

private:
    Database &m_db;
};

} // namespace flippdeal::server
