// SPDX-License-Identifier: MIT
#include "payments/paymentprovider.h"

#include "core/logging.h"
#include "storage/database.h"

#include "protocol/timeformat.h"

#include <cstdlib>

namespace flippdeal::server {

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
                      << sellerId;
    if (created && qEnvironmentVariableIntValue("FLIPPDEAL_SANDBOX_CRASH_AFTER_PAYOUT") == 1)
        std::_Exit(99); // die like kill -9: the money moved, the job is not marked done
    return QStringLiteral("sandbox-payout-%1").arg(id);
}

} // namespace flippdeal::server
