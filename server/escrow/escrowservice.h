// SPDX-License-Identifier: MIT
#pragma once

#include "core/result.h"
#include "escrow/escrow.h"
#include "escrow/escrowtable.h"
#include "marketplace/domaintable.h"

#include "protocol/types.h"

#include <QFuture>
#include <QJsonObject>
#include <QList>
#include <QString>

#include <optional>

namespace flippdeal::server {

class Database;
class EventBatch;
class EventStore;
class NotificationService;
class PaymentProvider;
struct Charge;
struct Job;

//! \brief The escrow state machine (EscrowService of the original system):
//!
//!     pending_funding --fund(buyer)--> funded --transfer(seller)--> transferred
//!     --confirm(buyer)--> completed pending_funding --cancel(buyer|seller)--> cancelled
//!     funded|transferred --dispute(buyer|seller)--> disputed
//!     disputed --release(admin)--> completed,  disputed|funded --refund(admin)--> refunded
//!
//! Each transition is one conditional UPDATE in a transaction with its audit row, its
//! `EscrowUpdated` broadcast to the buyer's and the seller's `private-user.{id}` (never to the
//! domain's channel, which watchers follow) and the `escrow.updated` notifications.
//!
//! Money moves only through the PaymentProvider. `fund` charges the buyer exactly the escrow's
//! amount (key `escrow-{id}-charge-{n}`) and the escrow is `funded` only once that charge is
//! settled for exactly that amount; a pending charge is settled later by the
//! `SettleEscrowCharge` job. `refund` queues `ProcessRefund`, which returns the charge to the
//! buyer exactly once. Completion queues `ProcessPayout`, which pays the seller exactly once,
//! and only from a settled charge.
class EscrowService
{
public:
    EscrowService(Database &db, EventStore &events, NotificationService &notifications,
                  PaymentProvider &payments, int feeBasisPoints);

    static inline const QString PayoutJob = QStringLiteral("ProcessPayout");
    static inline const QString RefundJob = QStringLiteral("ProcessRefund");
    static inline const QString SettleChargeJob = QStringLiteral("SettleEscrowCharge");
    static inline const QString ReturnChargeJob = QStringLiteral("ReturnLateCharge");
    static inline const QString ReconcileChargeJob = QStringLiteral("ReconcileEscrowCharge");
    //! How long after a `fund` began its ReconcileEscrowCharge job runs, if the charge's record
    //! has not deleted it by then: longer than a provider's answer can take.
    static constexpr qint64 ReconcileDelayMs = 5 * 60 * 1000;

    //! Inside a caller's transaction: opens an escrow (and records it in the audit table).
    Escrow open(EventBatch &batch, qint64 domainId, qint64 buyerId, qint64 sellerId,
                qint64 amountCents, const QString &source, std::optional<qint64> offerId);

    //! Buyer, seller or an admin may read it; others get 403.
    Expected<Escrow> get(const protocol::User &user, qint64 escrowId);
    //! The action spelled `name`, or the 404 for an unknown one.
    static Expected<EscrowAction> actionNamed(const QString &name);
    //! Applies `action` on the writer thread: 404 for an unknown escrow, 403 for the wrong
    //! party, 409 when not allowed from the state.
    //! `fund` charges the buyer first (here), then records the charge on the writer: the escrow
    //! comes back `funded` when the charge settled, still `pending_funding` with `chargeStatus`
    //! pending while it has not (the caller answers 202), and 409 when the provider declined it
    //! or charged another amount. A charge that finds the escrow no longer waiting for it (a
    //! cancel committed in between) is recorded in the audit trail and queued to be returned
    //! (ReturnLateCharge); the answer is a 409 that says so.
    QFuture<Expected<Escrow>> transition(const protocol::User &user, qint64 escrowId,
                                         EscrowAction action, const QString &reason = {});
    //! Escrows in dispute, for operators.
    QList<Escrow> disputed();

    //! \name The jobs (JobWorker::addFutureHandler()): each answers an error message, or nothing.
    //! @{
    //! ProcessPayout: pays the seller amount − fee, idempotent by escrow, and only when the
    //! provider reports the escrow's charge settled for the escrow's amount.
    QFuture<std::optional<QString>> processPayout(const Job &job);
    //! ProcessRefund: returns a refunded escrow's charge to the buyer, once.
    QFuture<std::optional<QString>> processRefund(const Job &job);
    //! SettleEscrowCharge: funds the escrow once its pending charge has settled.
    QFuture<std::optional<QString>> settleCharge(const Job &job);
    //! ReturnLateCharge: refunds a charge that came after its escrow stopped waiting for one,
    //! once it has settled (a declined charge needs nothing).
    QFuture<std::optional<QString>> returnLateCharge(const Job &job);
    //! ReconcileEscrowCharge: written before a `fund` asks the provider, deleted by the
    //! charge's record. If it runs, the record never committed (a crash, a failed statement):
    //! it asks the provider again with the same key and records what it answers.
    QFuture<std::optional<QString>> reconcileCharge(const Job &job);
    //! @}

    qint64 feeFor(qint64 amountCents) const;

private:
    //! What a `fund` asks the provider for; its key makes the charge once per attempt.
    struct ChargeIntent
    {
        qint64 escrowId = 0;
        int attempt = 0; //!< 1 + the declined attempts before
        qint64 buyerId = 0;
        qint64 amountCents = 0;
        QString key() const;
        QJsonObject toJson() const;
        static ChargeIntent fromJson(const QJsonObject &json);
    };
    //! The escrow, or 404 (a failed read is a 500).
    Expected<Escrow> load(qint64 escrowId);
    //! For the jobs: the escrow, or why it cannot be read.
    Expected<Escrow> loadForJob(qint64 escrowId);
    //! Inside a transaction: every transition but `fund`.
    Expected<Escrow> applyTransition(EventBatch &batch, const protocol::User &user, qint64 escrowId,
                                     EscrowAction action, const QString &reason);
    //! Inside a transaction: what follows from `escrow` having just become completed (the
    //! payout job, the domain sold) or refunded (the refund job).
    static void afterTransition(Database &db, const Escrow &escrow);
    QFuture<Expected<Escrow>> fund(const protocol::User &user, qint64 escrowId,
                                   const QString &reason);
    //! Asks the provider for `intent`'s charge, then applyCharge().
    QFuture<Expected<Escrow>> chargeFor(const ChargeIntent &intent, std::optional<qint64> actor,
                                        const QString &reason, std::optional<qint64> reconcileJob);
    //! Records `charge` on the writer (recordCharge()), deleting `reconcileJob` in the same
    //! transaction when it is recorded, and refuses it after the commit when it does not fund
    //! the escrow (chargeOutcome()).
    QFuture<Expected<Escrow>> applyCharge(qint64 escrowId, const Charge &charge, int attempt,
                                          std::optional<qint64> actor, const QString &reason,
                                          std::optional<qint64> reconcileJob);
    //! The payout job's second half, once the provider has said how `escrow`'s charge stands.
    QFuture<std::optional<QString>> payOutFrom(const Escrow &escrow,
                                               const Expected<Charge> &charge);
    //! After the commit of recordCharge(): the escrow, or the 409 for a charge that was
    //! declined, of another amount, or late.
    static Expected<Escrow> chargeOutcome(const Charge &charge, Expected<Escrow> recorded);
    //! Inside a transaction on `batch`'s connection: records `charge` on a pending escrow and
    //! funds it when it is settled for the escrow's amount; `actor` is the buyer, or nothing for
    //! the settle job; `attempt` is the number in the charge's key. A charge that finds the
    //! escrow no longer pending, or a later attempt recorded, is a late one (recordLateCharge()),
    //! unless it is the one already recorded or was declined (409, nothing written).
    Expected<Escrow> recordCharge(EventBatch &batch, qint64 escrowId, const Charge &charge,
                                  int attempt, std::optional<qint64> actor, const QString &reason);
    //! Inside a transaction: the audit row of a late charge and the job that returns it.
    static void recordLateCharge(Database &db, const Escrow &escrow, const Charge &charge,
                                 std::optional<qint64> actor);
    //! Inside a transaction: the payout's reference and the seller's notification, once.
    void recordPayout(EventBatch &batch, const Escrow &escrow, const QString &reference);
    //! Inside a transaction: `EscrowUpdated` to both parties' user channels.
    static void announce(EventBatch &batch, const Escrow &escrow);
    //! Inside a transaction: `escrow.updated` to the parties other than `actor`.
    void notifyParties(EventBatch &batch, const Escrow &escrow, EscrowStatus from,
                       EscrowAction action, std::optional<qint64> actor);

    Database &m_db;
    EscrowTable m_escrows;
    EventStore &m_events;
    NotificationService &m_notifications;
    PaymentProvider &m_payments;
    int m_feeBasisPoints;
};

} // namespace flippdeal::server
