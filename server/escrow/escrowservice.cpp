// SPDX-License-Identifier: MIT
#include "escrow/escrowservice.h"

#include "auth/user.h"
#include "core/logging.h"
#include "events/eventstore.h"
#include "jobs/jobqueue.h"
#include "notifications/notificationservice.h"
#include "payments/paymentprovider.h"
#include "storage/database.h"

#include "protocol/frame.h"
#include "protocol/timeformat.h"

#include <algorithm>
#include <array>

namespace flippdeal::server {

namespace {

enum class Party
{
    Buyer,
    Seller,
    Either,
    Admin
};

struct Transition
{
    EscrowAction action;
    std::array<std::optional<EscrowStatus>, 2> from; // nothing where unused
    EscrowStatus to;
    Party who;
};

constexpr std::array<Transition, 7> transitions{{
    {EscrowAction::Fund, {EscrowStatus::PendingFunding, {}}, EscrowStatus::Funded, Party::Buyer},
    {EscrowAction::Transfer, {EscrowStatus::Funded, {}}, EscrowStatus::Transferred, Party::Seller},
    {EscrowAction::Confirm, {EscrowStatus::Transferred, {}}, EscrowStatus::Completed, Party::Buyer},
    {EscrowAction::Dispute,
     {EscrowStatus::Funded, EscrowStatus::Transferred},
     EscrowStatus::Disputed,
     Party::Either},
    {EscrowAction::Cancel,
     {EscrowStatus::PendingFunding, {}},
     EscrowStatus::Cancelled,
     Party::Either},
    {EscrowAction::Release, {EscrowStatus::Disputed, {}}, EscrowStatus::Completed, Party::Admin},
    {EscrowAction::Refund,
     {EscrowStatus::Disputed, EscrowStatus::Funded},
     EscrowStatus::Refunded,
     Party::Admin},
}};

const Transition &ruleFor(EscrowAction action)
{
    return *std::find_if(transitions.cbegin(), transitions.cend(),
                         [&](const Transition &t) { return t.action == action; });
}

//! A pending charge is polled this many times (with the queue's backoff, capped at an hour).
constexpr int SettleAttempts = 12;

//! Why `user` may not apply `rule` to `escrow` now, or nothing.
std::optional<ApiError> refusalFor(const protocol::User &user, const Escrow &escrow,
                                   const Transition &rule)
{
    const QString action = toString(rule.action);
    const bool isBuyer = user.id == escrow.buyerId;
    const bool isSeller = user.id == escrow.sellerId;
    const bool allowed = (rule.who == Party::Buyer && isBuyer) ||
                         (rule.who == Party::Seller && isSeller) ||
                         (rule.who == Party::Either && (isBuyer || isSeller)) ||
                         (rule.who == Party::Admin && isAdmin(user));
    if (!allowed) {
        if (!isBuyer && !isSeller && !isAdmin(user))
            return ApiError::forbidden(
                QStringLiteral("Only the buyer, the seller and admins may act on this escrow."));
        return ApiError::forbidden(QStringLiteral("You may not %1 this escrow.").arg(action));
    }
    if (std::find(rule.from.cbegin(), rule.from.cend(), escrow.status) == rule.from.cend())
        return ApiError::conflict(
            QStringLiteral("An escrow that is %1 cannot %2.").arg(toString(escrow.status), action));
    return std::nullopt;
}

//! Why a charge that was recorded does not fund the escrow (declined, or settled for another
//! amount), or nothing.
std::optional<ApiError> chargeRefusal(const Charge &charge, const Escrow &escrow)
{
    if (charge.isPending() || (charge.isSettled() && charge.amountCents == escrow.amountCents))
        return std::nullopt;
    if (!charge.isSettled())
        return ApiError::conflict(
            QStringLiteral("The payment provider declined the charge (%1); the escrow is not "
                           "funded. You may try again.")
                .arg(charge.status.left(20)));
    qCWarning(lcMarketplace) << "escrow" << escrow.id << "charge" << charge.reference
                             << "settled for" << charge.amountCents << "cents, not"
                             << escrow.amountCents << "; left unfunded for an operator";
    return ApiError::conflict(
        QStringLiteral("The payment provider charged %1 cents, not the escrow's %2; the "
                       "escrow is not funded. Contact support.")
            .arg(charge.amountCents)
            .arg(escrow.amountCents));
}

qint64 escrowIdOf(const Job &job)
{
    return qint64(job.payload.value("escrow_id"_L1).toDouble());
}

//! A job's outcome once a charge it found is recorded: recorded, or refused for good (declined,
//! recorded already) is done; a failure (a 5xx) is tried again.
std::optional<QString> recordOutcome(const Expected<Escrow> &applied)
{
    if (!applied && applied.error().status >= 500)
        return applied.error().message;
    return std::nullopt;
}

//! A job's outcome that is known at once.
QFuture<std::optional<QString>> jobOutcome(std::optional<QString> error)
{
    return QtFuture::makeReadyFuture(std::move(error));
}

ApiError escrowNotFound()
{
    return ApiError::notFound(QStringLiteral("Escrow not found."));
}

} // namespace

EscrowService::EscrowService(Database &db, EventStore &events, NotificationService &notifications,
                             PaymentProvider &payments, int feeBasisPoints)
    : m_db(db)
    , m_escrows(db)
    , m_events(events)
    , m_notifications(notifications)
    , m_payments(payments)
    , m_feeBasisPoints(feeBasisPoints)
{}

Expected<EscrowAction> EscrowService::actionNamed(const QString &name)
{
    if (const auto action = fromString<EscrowAction>(name))
        return *action;
    return ApiError::notFound(QStringLiteral("Unknown escrow action '%1'.").arg(name.left(40)));
}

void EscrowService::announce(EventBatch &batch, const Escrow &escrow)
{
    // Amounts and parties are the parties' business: the domain's channel, which any watcher
    // may follow, never carries them.
    const QJsonObject data{{"escrow"_L1, escrow.toJson()}};
    batch.add(protocol::Channels::user(escrow.buyerId), protocol::EventName::EscrowUpdated, data);
    batch.add(protocol::Channels::user(escrow.sellerId), protocol::EventName::EscrowUpdated, data);
}

void EscrowService::notifyParties(EventBatch &batch, const Escrow &escrow, EscrowStatus from,
                                  EscrowAction action, std::optional<qint64> actor)
{
    const QJsonObject data{{"escrow_id"_L1, escrow.id},
                           {"domain_id"_L1, escrow.domainId},
                           {"status"_L1, toString(escrow.status)},
                           {"previous_status"_L1, toString(from)},
                           {"action"_L1, toString(action)}};
    for (const qint64 party : {escrow.buyerId, escrow.sellerId}) {
        if (party != actor)
            m_notifications.notifyUser(batch, party, protocol::NotificationType::EscrowUpdated,
                                       data);
    }
}

qint64 EscrowService::feeFor(qint64 amountCents) const
{
    // Integer cents, rounded half up: 5 % of 1 999 cents is 100, not 99.95.
    return (amountCents * m_feeBasisPoints + 5000) / 10000;
}

Escrow EscrowService::open(EventBatch &batch, qint64 domainId, qint64 buyerId, qint64 sellerId,
                           qint64 amountCents, const QString &source, std::optional<qint64> offerId)
{
    Escrow e;
    e.domainId = domainId;
    e.buyerId = buyerId;
    e.sellerId = sellerId;
    e.amountCents = amountCents;
    e.feeCents = feeFor(amountCents);
    e.status = EscrowStatus::PendingFunding;
    e.source = source;
    e.offerId = offerId;
    e.createdAt = e.updatedAt = protocol::nowMs();
    EscrowTable escrows(
        batch.db()); // the batch's connection: any thread (an offer's, on the writer)
    e.id = escrows.insert(e);
    escrows.addEvent(e.id, std::nullopt, e.status, std::nullopt, source, e.createdAt);
    announce(batch, e);
    return e;
}

Expected<Escrow> EscrowService::load(qint64 escrowId)
{
    return m_db.attempt([&]() -> Expected<Escrow> {
        if (auto escrow = m_escrows.find(escrowId))
            return *escrow;
        return escrowNotFound();
    });
}

Expected<Escrow> EscrowService::loadForJob(qint64 escrowId)
{
    const auto escrow = load(escrowId);
    if (!escrow && escrow.error().status == 404)
        return ApiError::notFound(QStringLiteral("escrow %1 does not exist").arg(escrowId));
    return escrow;
}

Expected<Escrow> EscrowService::get(const protocol::User &user, qint64 escrowId)
{
    const auto escrow = load(escrowId);
    if (!escrow)
        return escrow;
    if (user.id != escrow->buyerId && user.id != escrow->sellerId && !isAdmin(user))
        return ApiError::forbidden(
            QStringLiteral("Only the buyer, the seller and admins may see this escrow."));
    return escrow;
}

QFuture<Expected<Escrow>> EscrowService::transition(const protocol::User &user, qint64 escrowId,
                                                    EscrowAction action, const QString &reason)
{
    if (action == EscrowAction::Fund)
        return fund(user, escrowId, reason);
    return m_events
        .transactionLater([this, user, escrowId, action, reason](EventBatch &batch) {
            return applyTransition(batch, user, escrowId, action, reason);
        })
        .then([escrowId, action, userId = user.id](Expected<Escrow> result) {
            if (result)
                qCInfo(lcMarketplace) << "escrow" << escrowId << toString(action) << "by user"
                                      << userId << "->" << toString(result->status);
            return result;
        });
}

Expected<Escrow> EscrowService::applyTransition(EventBatch &batch, const protocol::User &user,
                                                qint64 escrowId, EscrowAction action,
                                                const QString &reason)
{
    EscrowTable escrows(batch.db()); // the batch's connection: the writer thread's
    auto escrow = escrows.find(escrowId);
    if (!escrow)
        return escrowNotFound();
    if (auto refusal = refusalFor(user, *escrow, ruleFor(action)))
        return *refusal;
    if (action == EscrowAction::Cancel && escrow->chargeStatus == "pending"_L1) {
        // The charge may still settle: the money would have nowhere to go.
        return ApiError::conflict(QStringLiteral(
            "A payment for this escrow is still pending; it cannot be cancelled now."));
    }
    const EscrowStatus from = escrow->status;
    escrow->status = ruleFor(action).to;
    escrow->updatedAt = protocol::nowMs();
    if (!escrows.updateStatus(*escrow, from)) // someone else moved it first
        return ApiError::conflict(QStringLiteral("The escrow changed meanwhile; reload it."));
    escrows.addEvent(escrowId, from, escrow->status, user.id, reason, escrow->updatedAt);
    afterTransition(batch.db(), *escrow);
    announce(batch, *escrow);
    notifyParties(batch, *escrow, from, action, user.id);
    return *escrow;
}

void EscrowService::afterTransition(Database &db, const Escrow &escrow)
{
    const QJsonObject payload{{"escrow_id"_L1, escrow.id}};
    if (escrow.status == EscrowStatus::Completed) {
        JobQueue::enqueue(db, PayoutJob, payload, escrow.updatedAt);
        DomainTable(db).setStatus(escrow.domainId, DomainStatus::Sold, escrow.updatedAt);
    } else if (escrow.status == EscrowStatus::Refunded) {
        JobQueue::enqueue(db, RefundJob, payload, escrow.updatedAt);
    }
}

QString EscrowService::ChargeIntent::key() const
{
    return QStringLiteral("escrow-%1-charge-%2").arg(escrowId).arg(attempt);
}

QJsonObject EscrowService::ChargeIntent::toJson() const
{
    return {{"escrow_id"_L1, escrowId},
            {"attempt"_L1, attempt},
            {"buyer_id"_L1, buyerId},
            {"amount_cents"_L1, amountCents}};
}

EscrowService::ChargeIntent EscrowService::ChargeIntent::fromJson(const QJsonObject &json)
{
    return {qint64(json.value("escrow_id"_L1).toDouble()), json.value("attempt"_L1).toInt(),
            qint64(json.value("buyer_id"_L1).toDouble()),
            qint64(json.value("amount_cents"_L1).toDouble())};
}

QFuture<Expected<Escrow>> EscrowService::fund(const protocol::User &user, qint64 escrowId,
                                              const QString &reason)
{
    const auto escrow = load(escrowId);
    if (!escrow)
        return QtFuture::makeReadyFuture(escrow);
    if (auto refusal = refusalFor(user, *escrow, ruleFor(EscrowAction::Fund)))
        return QtFuture::makeReadyFuture(Expected<Escrow>(*refusal));
    // The key is derived from the escrow (and the declined attempts before): two fund requests
    // at once ask for the same charge, and the provider makes it once.
    const ChargeIntent intent{escrowId, escrow->chargeAttempts + 1, escrow->buyerId,
                              escrow->amountCents};
    // Before the provider is asked: the job that finds the charge again, should its record
    // never commit (a crash, a failed statement). The record deletes it.
    return m_events
        .transactionLater([intent](EventBatch &batch) -> Expected<qint64> {
            // One per attempt: requests at once for the same charge share it.
            const QString payload = QString::fromUtf8(protocol::toJson(intent.toJson()));
            SqlQuery same(batch.db(),
                          QStringLiteral("SELECT id FROM jobs WHERE type = ? AND payload = ?"));
            same.bind(ReconcileChargeJob).bind(payload).exec();
            if (same.next())
                return same.int64(0);
            return JobQueue::enqueue(batch.db(), ReconcileChargeJob, intent.toJson(),
                                     protocol::nowMs() + ReconcileDelayMs, SettleAttempts);
        })
        .then([this, intent, actor = user.id,
               reason](const Expected<qint64> &reconcileJob) -> QFuture<Expected<Escrow>> {
            if (!reconcileJob) // a full writer: nothing was charged
                return QtFuture::makeReadyFuture(Expected<Escrow>(reconcileJob.error()));
            return chargeFor(intent, actor, reason, *reconcileJob);
        })
        .unwrap();
}

QFuture<Expected<Escrow>> EscrowService::chargeFor(const ChargeIntent &intent,
                                                   std::optional<qint64> actor,
                                                   const QString &reason,
                                                   std::optional<qint64> reconcileJob)
{
    return m_payments.charge(intent.key(), intent.buyerId, intent.amountCents)
        .then([this, intent, actor, reason,
               reconcileJob](const Expected<Charge> &charge) -> QFuture<Expected<Escrow>> {
            if (!charge) {
                qCWarning(lcMarketplace) << "charge for escrow" << intent.escrowId
                                         << "failed:" << charge.error().message;
                return QtFuture::makeReadyFuture(Expected<Escrow>(
                    ApiError{503,
                             QStringLiteral("The payment provider did not answer; try again."),
                             {},
                             0}));
            }
            // From here the charge exists: it is recorded whatever the escrow has become
            // meanwhile (a cancel may have committed), and only then is the buyer answered.
            return applyCharge(intent.escrowId, *charge, intent.attempt, actor, reason,
                               reconcileJob);
        })
        .unwrap();
}

QFuture<Expected<Escrow>> EscrowService::applyCharge(qint64 escrowId, const Charge &charge,
                                                     int attempt, std::optional<qint64> actor,
                                                     const QString &reason,
                                                     std::optional<qint64> reconcileJob)
{
    // A charge that exists must be recorded: a full writer does not refuse its record (there is
    // at most one per charge admitted before).
    return m_events
        .transactionLater(
            [this, escrowId, charge, attempt, actor, reason, reconcileJob](EventBatch &batch) {
                auto recorded = recordCharge(batch, escrowId, charge, attempt, actor, reason);
                if (recorded && reconcileJob) // recorded: nothing left to find again
                    SqlQuery(batch.db(), QStringLiteral("DELETE FROM jobs WHERE id = ?"))
                        .bind(*reconcileJob)
                        .exec();
                return recorded;
            },
            Writer::Admission::Follows)
        .then([charge](Expected<Escrow> recorded) {
            return chargeOutcome(charge, std::move(recorded));
        });
}

Expected<Escrow> EscrowService::chargeOutcome(const Charge &charge, Expected<Escrow> recorded)
{
    // A declined charge, or one of another amount, was recorded (so the next attempt uses a new
    // key) and committed; only now is it refused.
    if (!recorded)
        return recorded;
    if (recorded->chargeReference != charge.reference) { // recorded as a late charge
        if (recorded->status == EscrowStatus::PendingFunding)
            return ApiError::conflict(
                QStringLiteral("A later payment for this escrow was recorded first; the %1 "
                               "cents of this one will be returned to you.")
                    .arg(charge.amountCents));
        return ApiError::conflict(
            QStringLiteral("The escrow became %1 before your payment was recorded; the %2 cents "
                           "charged will be returned to you.")
                .arg(toString(recorded->status))
                .arg(charge.amountCents));
    }
    if (auto refusal = chargeRefusal(charge, *recorded))
        return *refusal;
    qCInfo(lcMarketplace) << "escrow" << recorded->id << "charge" << charge.reference
                          << charge.status << "->" << toString(recorded->status);
    return recorded;
}

Expected<Escrow> EscrowService::recordCharge(EventBatch &batch, qint64 escrowId,
                                             const Charge &charge, int attempt,
                                             std::optional<qint64> actor, const QString &reason)
{
    EscrowTable escrows(batch.db()); // the batch's connection: any thread
    auto escrow = escrows.find(escrowId);
    if (!escrow)
        return escrowNotFound();
    if (escrow->status != EscrowStatus::PendingFunding) {
        // A second request (or the settle job) recorded this same charge first, or the escrow
        // was cancelled after the charge was made: then the money goes back.
        if (escrow->chargeReference == charge.reference ||
            !(charge.isSettled() || charge.isPending()))
            return ApiError::conflict(
                QStringLiteral("An escrow that is %1 cannot fund.").arg(toString(escrow->status)));
        recordLateCharge(batch.db(), *escrow, charge, actor);
        return *escrow;
    }
    if (attempt <= escrow->chargeAttempts) {
        // An attempt a later one has overtaken (its charge was declined and recorded, and a new
        // attempt began): it must not overwrite what came after it.
        if (escrow->chargeReference != charge.reference &&
            (charge.isSettled() || charge.isPending())) {
            recordLateCharge(batch.db(), *escrow, charge, actor);
            return *escrow;
        }
        return chargeRefusal(charge, *escrow)
            .value_or(
                ApiError::conflict(QStringLiteral("The escrow changed meanwhile; reload it.")));
    }
    const bool funds = charge.isSettled() && charge.amountCents == escrow->amountCents;
    const bool declined = !charge.isSettled() && !charge.isPending();
    const bool newlyPending = charge.isPending() && (escrow->chargeReference != charge.reference ||
                                                     escrow->chargeStatus != "pending"_L1);
    escrow->status = funds ? EscrowStatus::Funded : escrow->status;
    escrow->chargeReference = charge.reference;
    escrow->chargeStatus = charge.status;
    escrow->chargedCents = charge.amountCents;
    escrow->chargeAttempts += declined ? 1 : 0; // the next try gets a new key
    escrow->updatedAt = protocol::nowMs();
    if (!escrows.updateCharge(*escrow))
        return ApiError::conflict(QStringLiteral("The escrow changed meanwhile; reload it."));
    if (newlyPending) // the settle job funds it later; one job per charge
        JobQueue::enqueue(batch.db(), SettleChargeJob, {{"escrow_id"_L1, escrowId}},
                          escrow->updatedAt, SettleAttempts);
    if (funds) {
        escrows.addEvent(escrowId, EscrowStatus::PendingFunding, escrow->status, actor,
                         reason.isEmpty() ? charge.reference : reason, escrow->updatedAt);
        announce(batch, *escrow);
        notifyParties(batch, *escrow, EscrowStatus::PendingFunding, EscrowAction::Fund, actor);
    }
    return *escrow;
}

void EscrowService::recordLateCharge(Database &db, const Escrow &escrow, const Charge &charge,
                                     std::optional<qint64> actor)
{
    const qint64 now = protocol::nowMs();
    EscrowTable(db).addEvent(escrow.id, escrow.status, escrow.status, actor,
                             QStringLiteral("late charge %1 of %2 cents: to be returned")
                                 .arg(charge.reference)
                                 .arg(charge.amountCents),
                             now);
    JobQueue::enqueue(db, ReturnChargeJob,
                      {{"escrow_id"_L1, escrow.id},
                       {"charge_reference"_L1, charge.reference},
                       {"amount_cents"_L1, charge.amountCents}},
                      now, SettleAttempts);
    qCWarning(lcMarketplace) << "escrow" << escrow.id << "is" << toString(escrow.status)
                             << "; charge" << charge.reference << "came late and is returned";
}

QList<Escrow> EscrowService::disputed()
{
    const auto result =
        m_db.attempt([&]() -> Expected<QList<Escrow>> { return m_escrows.disputed(); });
    return result ? *result : QList<Escrow>();
}

QFuture<std::optional<QString>> EscrowService::processPayout(const Job &job)
{
    const qint64 escrowId = escrowIdOf(job);
    const auto escrow = loadForJob(escrowId);
    if (!escrow)
        return jobOutcome(escrow.error().message);
    if (escrow->status != EscrowStatus::Completed)
        return jobOutcome(QStringLiteral("escrow %1 is %2, not completed")
                              .arg(escrowId)
                              .arg(toString(escrow->status)));
    if (!escrow->payoutReference.isEmpty())
        return jobOutcome(std::nullopt); // paid on an earlier attempt
    // Only money that came in goes out: the provider, not our own row, says the charge settled.
    if (escrow->chargeReference.isEmpty())
        return jobOutcome(
            QStringLiteral("escrow %1 has no charge; nothing to pay out from").arg(escrowId));
    return m_payments.chargeStatus(escrow->chargeReference)
        .then([this, escrow = *escrow](const Expected<Charge> &charge) {
            return payOutFrom(escrow, charge);
        })
        .unwrap();
}

QFuture<std::optional<QString>> EscrowService::payOutFrom(const Escrow &escrow,
                                                          const Expected<Charge> &charge)
{
    if (!charge)
        return jobOutcome(
            QStringLiteral("escrow %1: %2").arg(escrow.id).arg(charge.error().message));
    if (!charge->isSettled() || charge->amountCents != escrow.amountCents)
        return jobOutcome(
            QStringLiteral("escrow %1: charge %2 is %3 for %4 cents, not settled for %5; no "
                           "payout")
                .arg(escrow.id)
                .arg(charge->reference, charge->status)
                .arg(charge->amountCents)
                .arg(escrow.amountCents));
    return m_payments
        .payout(QStringLiteral("escrow-%1-payout").arg(escrow.id), escrow.sellerId,
                escrow.amountCents - escrow.feeCents)
        .then([this, escrow](const Expected<QString> &reference) {
            if (!reference)
                return jobOutcome(reference.error().message);
            return m_events
                .transactionLater([this, escrow, reference = *reference](EventBatch &batch) {
                    recordPayout(batch, escrow, reference);
                    return Expected<Done>(Done{});
                })
                .then([reference = *reference](const Expected<Done> &recorded) {
                    return recorded
                               ? std::nullopt
                               : std::optional<QString>(
                                     QStringLiteral("could not record payout %1").arg(reference));
                });
        })
        .unwrap();
}

void EscrowService::recordPayout(EventBatch &batch, const Escrow &escrow, const QString &reference)
{
    if (!EscrowTable(batch.db()).setPayoutReference(escrow.id, reference))
        return; // another worker recorded it; it also notified
    m_notifications.notifyUser(batch, escrow.sellerId, protocol::NotificationType::PayoutCompleted,
                               {{"escrow_id"_L1, escrow.id},
                                {"domain_id"_L1, escrow.domainId},
                                {"amount_cents"_L1, escrow.amountCents - escrow.feeCents},
                                {"fee_cents"_L1, escrow.feeCents},
                                {"reference"_L1, reference}});
}

QFuture<std::optional<QString>> EscrowService::processRefund(const Job &job)
{
    const qint64 escrowId = escrowIdOf(job);
    const auto escrow = loadForJob(escrowId);
    if (!escrow)
        return jobOutcome(escrow.error().message);
    if (escrow->status != EscrowStatus::Refunded)
        return jobOutcome(QStringLiteral("escrow %1 is %2, not refunded")
                              .arg(escrowId)
                              .arg(toString(escrow->status)));
    if (!escrow->refundReference.isEmpty())
        return jobOutcome(std::nullopt); // refunded on an earlier attempt
    if (escrow->chargeReference.isEmpty() || !escrow->chargedCents)
        return jobOutcome(QStringLiteral("escrow %1 has no charge to refund").arg(escrowId));
    return m_payments
        .refund(QStringLiteral("escrow-%1-refund").arg(escrowId), escrow->chargeReference,
                *escrow->chargedCents)
        .then([this, escrow = *escrow](const Expected<QString> &reference) {
            if (!reference)
                return jobOutcome(reference.error().message);
            // The parties were told when the escrow became refunded; this records where the
            // money went.
            return m_events
                .transactionLater([id = escrow.id, reference = *reference](EventBatch &batch) {
                    EscrowTable(batch.db()).setRefundReference(id, reference, protocol::nowMs());
                    return Expected<Done>(Done{});
                })
                .then([escrow, reference = *reference](const Expected<Done> &recorded) {
                    if (!recorded)
                        return std::optional<QString>(
                            QStringLiteral("could not record refund %1").arg(reference));
                    qCInfo(lcMarketplace)
                        << "escrow" << escrow.id << "refunded" << *escrow.chargedCents
                        << "cents to user" << escrow.buyerId << "as" << reference;
                    return std::optional<QString>();
                });
        })
        .unwrap();
}

QFuture<std::optional<QString>> EscrowService::settleCharge(const Job &job)
{
    const qint64 escrowId = escrowIdOf(job);
    const auto escrow = loadForJob(escrowId);
    if (!escrow)
        return jobOutcome(escrow.error().message);
    if (escrow->status != EscrowStatus::PendingFunding || escrow->chargeStatus != "pending"_L1)
        return jobOutcome(std::nullopt); // settled by a fund request meanwhile, or nothing pending
    // The pending charge is the current attempt's: a pending charge adds no attempt.
    return m_payments.chargeStatus(escrow->chargeReference)
        .then(
            [this, escrowId, attempt = escrow->chargeAttempts + 1](const Expected<Charge> &charge) {
                if (!charge)
                    return jobOutcome(
                        QStringLiteral("escrow %1: %2").arg(escrowId).arg(charge.error().message));
                if (charge->isPending())
                    return jobOutcome(QStringLiteral("escrow %1: charge %2 is still pending")
                                          .arg(escrowId)
                                          .arg(charge->reference));
                // Funded, or declined (recorded; the buyer may fund again).
                return applyCharge(escrowId, *charge, attempt, std::nullopt, {}, std::nullopt)
                    .then(recordOutcome);
            })
        .unwrap();
}

QFuture<std::optional<QString>> EscrowService::reconcileCharge(const Job &job)
{
    const ChargeIntent intent = ChargeIntent::fromJson(job.payload);
    if (intent.escrowId <= 0 || intent.attempt <= 0 || intent.amountCents <= 0)
        return jobOutcome(QStringLiteral("malformed charge to reconcile"));
    // By its key: a charge that never reached the provider is not made now (the buyer was told
    // to try again); one that was made is recorded like any other, funding the escrow, or
    // returned if the escrow stopped waiting for it.
    return m_payments.findCharge(intent.key())
        .then([this, intent](const Expected<std::optional<Charge>> &found) {
            if (!found)
                return jobOutcome(QStringLiteral("escrow %1: %2")
                                      .arg(intent.escrowId)
                                      .arg(found.error().message));
            if (!*found)
                return jobOutcome(std::nullopt); // nothing was charged
            qCWarning(lcMarketplace) << "escrow" << intent.escrowId << ": charge"
                                     << (*found)->reference << "was never recorded; recording it";
            return applyCharge(intent.escrowId, **found, intent.attempt, std::nullopt,
                               QStringLiteral("charge reconciled"), std::nullopt)
                .then(recordOutcome);
        })
        .unwrap();
}

QFuture<std::optional<QString>> EscrowService::returnLateCharge(const Job &job)
{
    const qint64 escrowId = escrowIdOf(job);
    const QString reference = job.payload.value("charge_reference"_L1).toString();
    return m_payments.chargeStatus(reference)
        .then([this, escrowId, reference](const Expected<Charge> &charge) {
            if (!charge)
                return jobOutcome(
                    QStringLiteral("escrow %1: %2").arg(escrowId).arg(charge.error().message));
            if (charge->isPending()) // returned once it settles
                return jobOutcome(QStringLiteral("escrow %1: late charge %2 is still pending")
                                      .arg(escrowId)
                                      .arg(reference));
            if (!charge->isSettled()) // declined (no money moved), or returned already
                return jobOutcome(std::nullopt);
            const QString key = QStringLiteral("escrow-%1-return-%2").arg(escrowId).arg(reference);
            return m_payments.refund(key, reference, charge->amountCents)
                .then([escrowId, charge = *charge](const Expected<QString> &refund) {
                    if (!refund)
                        return std::optional<QString>(refund.error().message);
                    qCInfo(lcMarketplace)
                        << "escrow" << escrowId << "returned late charge" << charge.reference
                        << "of" << charge.amountCents << "cents as" << *refund;
                    return std::optional<QString>();
                });
        })
        .unwrap();
}

} // namespace flippdeal::server
