// SPDX-License-Identifier: MIT
#pragma once

#include "core/result.h"

#include "protocol/types.h"

#include <QJsonObject>
#include <QString>

#include <optional>

namespace flippdeal::server {

class Database;
class EventBatch;
class EventStore;
class NotificationService;
class PaymentProvider;
struct Job;

//! \brief An escrow: the buyer's money held until the domain has changed hands.
struct Escrow
{
    qint64 id = 0;
    qint64 domainId = 0;
    qint64 buyerId = 0;
    qint64 sellerId = 0;
    qint64 amountCents = 0;
    qint64 feeCents = 0; //!< the platform's cut, kept from the seller's payout
    QString
        status; //!< pending_funding, funded, transferred, completed, disputed, refunded, cancelled
    QString source; //!< auction or offer
    std::optional<qint64> offerId;
    QString payoutReference;
    qint64 createdAt = 0;
    qint64 updatedAt = 0;

    QJsonObject toJson() const;
};

//! \brief The escrow state machine (EscrowService of the original system):
//!
//!     pending_funding --fund(buyer)--> funded --transfer(seller)--> transferred
//!     --confirm(buyer)--> completed pending_funding --cancel(buyer|seller)--> cancelled
//!     funded|transferred --dispute(buyer|seller)--> disputed
//!     disputed --release(admin)--> completed,  disputed|funded --refund(admin)--> refunded
//!
//! Each transition is one conditional UPDATE in a transaction with its audit row, its
//! `EscrowUpdated` broadcast and the `escrow.updated` notifications. Completion queues the
//! `ProcessPayout` job, which pays the seller exactly once through the PaymentProvider.
class EscrowService
{
public:
    EscrowService(Database &db, EventStore &events, NotificationService &notifications,
                  int feeBasisPoints);

    static inline const QString PayoutJob = QStringLiteral("ProcessPayout");

    //! Inside a caller's transaction: opens an escrow (and records it in the audit table).
    Escrow open(EventBatch &batch, qint64 domainId, qint64 buyerId, qint64 sellerId,
                qint64 amountCents, const QString &source, std::optional<qint64> offerId);

    //! Buyer, seller or an admin may read it; others get 403.
    Expected<Escrow> get(const protocol::User &user, qint64 escrowId);
    //! Applies `action` (fund, transfer, confirm, dispute, cancel, release, refund): 404 for an
    //! unknown action or escrow, 403 for the wrong party, 409 when not allowed from the state.
    Expected<Escrow> transition(const protocol::User &user, qint64 escrowId, const QString &action,
                                const QString &reason = {});
    //! Escrows in dispute, for operators.
    QList<Escrow> disputed();

    //! The ProcessPayout job: pays the seller amount − fee, idempotent by escrow.
    std::optional<QString> processPayout(const Job &job, PaymentProvider &provider);

    qint64 feeFor(qint64 amountCents) const;

private:
    std::optional<Escrow> load(qint64 escrowId);

    Database &m_db;
    EventStore &m_events;
    NotificationService &m_notifications;
    int m_feeBasisPoints;
};

} // namespace flippdeal::server
