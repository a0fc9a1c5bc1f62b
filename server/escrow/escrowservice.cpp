// SPDX-License-Identifier: MIT
#include "escrow/escrowservice.h"

#include "core/logging.h"
#include "events/eventstore.h"
#include "jobs/jobqueue.h"
#include "notifications/notificationservice.h"
#include "payments/paymentprovider.h"
#include "storage/database.h"

#include "protocol/timeformat.h"

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
    const char *action;
    std::array<const char *, 2> from; // nullptr where unused
    const char *to;
    Party who;
};

constexpr std::array<Transition, 7> transitions{{
    {"fund", {"pending_funding", nullptr}, "funded", Party::Buyer},
    {"transfer", {"funded", nullptr}, "transferred", Party::Seller},
    {"confirm", {"transferred", nullptr}, "completed", Party::Buyer},
    {"dispute", {"funded", "transferred"}, "disputed", Party::Either},
    {"cancel", {"pending_funding", nullptr}, "cancelled", Party::Either},
    {"release", {"disputed", nullptr}, "completed", Party::Admin},
    {"refund", {"disputed", "funded"}, "refunded", Party::Admin},
}};

const QString escrowColumns = QStringLiteral(
    "SELECT id, domain_id, buyer_id, seller_id, amount_cents, fee_cents, status, source, offer_id, "
    "payout_reference, created_at, updated_at, charge_reference, charge_status, charged_cents, "
    "charge_attempts, refund_reference FROM escrows ");

//! A pending charge is polled this many times (with the queue's backoff, capped at an hour).
constexpr int SettleAttempts = 12;

Escrow escrowFromRow(const SqlQuery &q)
{
    Escrow e;
    e.id = q.int64(0);
    e.domainId = q.int64(1);
    e.buyerId = q.int64(2);
    e.sellerId = q.int64(3);
    e.amountCents = q.int64(4);
    e.feeCents = q.int64(5);
    e.status = q.text(6);
    e.source = q.text(7);
    e.offerId = q.optionalInt64(8);
    e.payoutReference = q.text(9);
    e.createdAt = q.int64(10);
    e.updatedAt = q.int64(11);
    e.chargeReference = q.text(12);
    e.chargeStatus = q.text(13);
    e.chargedCents = q.optionalInt64(14);
    e.chargeAttempts = int(q.int64(15));
    e.refundReference = q.text(16);
    return e;
}

QJsonValue textOrNull(const QString &text)
{
    return text.isEmpty() ? QJsonValue() : QJsonValue(text);
}

//! Why `user` may not apply `rule` to `escrow` now, or nothing.
std::optional<ApiError> refusalFor(const protocol::User &user, const Escrow &escrow,
                                   const Transition &rule)
{
    const QString action = QString::fromLatin1(rule.action);
    const bool isBuyer = user.id == escrow.buyerId;
    const bool isSeller = user.id == escrow.sellerId;
    const bool isAdmin = user.role == QLatin1String("admin");
    const bool allowed = (rule.who == Party::Buyer && isBuyer) ||
                         (rule.who == Party::Seller && isSeller) ||
                         (rule.who == Party::Either && (isBuyer || isSeller)) ||
                         (rule.who == Party::Admin && isAdmin);
    if (!allowed) {
        if (!isBuyer && !isSeller && !isAdmin)
            return ApiError::forbidden(
                QStringLiteral("Only the buyer, the seller and admins may act on this escrow."));
        return ApiError::forbidden(QStringLiteral("You may not %1 this escrow.").arg(action));
    }
    const bool fromAllowed =
        std::any_of(rule.from.cbegin(), rule.from.cend(), [&](const char *state) {
            return state && escrow.status == QLatin1String(state);
        });
    if (!fromAllowed)
        return ApiError::conflict(
            QStringLiteral("An escrow that is %1 cannot %2.").arg(escrow.status, action));
    return std::nullopt;
}

void audit(Database &db, qint64 escrowId, const QString &from, const QString &to,
           std::optional<qint64> actor, const QString &reason, qint64 now)
{
    SqlQuery(db, QStringLiteral("INSERT INTO escrow_events (escrow_id, from_status, to_status, "
                                "actor_id, reason, created_at) "
                                "VALUES (?, ?, ?, ?, ?, ?)"))
        .bind(escrowId)
        .bind(from)
        .bind(to)
        .bindOptional(actor)
        .bind(reason)
        .bind(now)
        .exec();
}

} // namespace

QJsonObject Escrow::toJson() const
{
    return {
        {QLatin1String("id"), id},
        {QLatin1String("domain_id"), domainId},
        {QLatin1String("buyer_id"), buyerId},
        {QLatin1String("seller_id"), sellerId},
        {QLatin1String("amount_cents"), amountCents},
        {QLatin1String("fee_cents"), feeCents},
        {QLatin1String("payout_cents"), amountCents - feeCents},
        {QLatin1String("status"), status},
        {QLatin1String("source"), source},
        {QLatin1String("offer_id"), offerId ? QJsonValue(*offerId) : QJsonValue()},
        {QLatin1String("payout_reference"), textOrNull(payoutReference)},
        {QLatin1String("charge_reference"), textOrNull(chargeReference)},
        {QLatin1String("charge_status"), textOrNull(chargeStatus)},
        {QLatin1String("charged_cents"), chargedCents ? QJsonValue(*chargedCents) : QJsonValue()},
        {QLatin1String("refund_reference"), textOrNull(refundReference)},
        {QLatin1String("created_at"), protocol::isoUtc(createdAt)},
        {QLatin1String("updated_at"), protocol::isoUtc(updatedAt)}};
}

EscrowService::EscrowService(Database &db, EventStore &events, NotificationService &notifications,
                             PaymentProvider &payments, int feeBasisPoints)
    : m_db(db)
    , m_events(events)
    , m_notifications(notifications)
    , m_payments(payments)
    , m_feeBasisPoints(feeBasisPoints)
{}

void EscrowService::announce(EventBatch &batch, const Escrow &escrow)
{
    // Amounts and parties are the parties' business: the domain's channel, which any watcher
    // may follow, never carries them.
    const QJsonObject data{{QLatin1String("escrow"), escrow.toJson()}};
    batch.add(protocol::Channels::user(escrow.buyerId), protocol::EventName::EscrowUpdated, data);
    batch.add(protocol::Channels::user(escrow.sellerId), protocol::EventName::EscrowUpdated, data);
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
    e.status = QStringLiteral("pending_funding");
    e.source = source;
    e.offerId = offerId;
    e.createdAt = e.updatedAt = protocol::nowMs();
    e.id = SqlQuery(m_db, QStringLiteral("INSERT INTO escrows (domain_id, buyer_id, seller_id, "
                                         "amount_cents, fee_cents, status, "
                                         "source, offer_id, created_at, updated_at) VALUES (?, ?, "
                                         "?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"))
               .bind(domainId)
               .bind(buyerId)
               .bind(sellerId)
               .bind(amountCents)
               .bind(e.feeCents)
               .bind(e.status)
               .bind(source)
               .bindOptional(offerId)
               .bind(e.createdAt)
               .bind(e.updatedAt)
               .scalar();
    audit(m_db, e.id, QStringLiteral("none"), e.status, std::nullopt, source, e.createdAt);
    announce(batch, e);
    return e;
}

std::optional<Escrow> EscrowService::load(qint64 escrowId)
{
    SqlQuery query(m_db, escrowColumns + QStringLiteral("WHERE id = ?"));
    query.bind(escrowId).exec();
    if (!query.next())
        return std::nullopt;
    return escrowFromRow(query);
}

Expected<Escrow> EscrowService::get(const protocol::User &user, qint64 escrowId)
{
    std::optional<Escrow> escrow;
    try {
        escrow = load(escrowId);
    } catch (const DbError &error) {
        qCWarning(lcMarketplace) << error.what();
        return ApiError::internal();
    }
    if (!escrow)
        return ApiError::notFound(QStringLiteral("Escrow not found."));
    if (user.id != escrow->buyerId && user.id != escrow->sellerId &&
        user.role != QLatin1String("admin"))
        return ApiError::forbidden(
            QStringLiteral("Only the buyer, the seller and admins may see this escrow."));
    return *escrow;
}

Expected<Escrow> EscrowService::transition(const protocol::User &user, qint64 escrowId,
                                           const QString &action, const QString &reason)
{
    const auto rule =
        std::find_if(transitions.cbegin(), transitions.cend(),
                     [&](const Transition &t) { return action == QLatin1String(t.action); });
    if (rule == transitions.cend())
        return ApiError::notFound(
            QStringLiteral("Unknown escrow action '%1'.").arg(action.left(40)));
    if (action == QLatin1String("fund"))
        return fund(user, escrowId, reason);

    std::optional<ApiError> refusal;
    std::optional<Escrow> result;
    const bool ok = m_events.transaction([&](EventBatch &batch) {
        auto escrow = load(escrowId);
        if (!escrow) {
            refusal = ApiError::notFound(QStringLiteral("Escrow not found."));
            return false;
        }
        refusal = refusalFor(user, *escrow, *rule);
        if (refusal)
            return false;
        if (action == QLatin1String("cancel") && escrow->chargeStatus == QLatin1String("pending")) {
            // The charge may still settle: the money would have nowhere to go.
            refusal = ApiError::conflict(QStringLiteral(
                "A payment for this escrow is still pending; it cannot be cancelled now."));
            return false;
        }
        const QString from = escrow->status;
        const qint64 now = protocol::nowMs();
        SqlQuery update(
            m_db, QStringLiteral(
                      "UPDATE escrows SET status = ?, updated_at = ? WHERE id = ? AND status = ?"));
        update.bind(QString::fromLatin1(rule->to)).bind(now).bind(escrowId).bind(from).exec();
        if (update.numRowsAffected() != 1) { // someone else moved it first
            refusal =
                ApiError::conflict(QStringLiteral("The escrow changed meanwhile; reload it."));
            return false;
        }
        escrow->status = QString::fromLatin1(rule->to);
        escrow->updatedAt = now;
        audit(m_db, escrowId, from, escrow->status, user.id, reason, now);
        if (escrow->status == QLatin1String("completed")) {
            JobQueue::enqueue(m_db, PayoutJob, {{QLatin1String("escrow_id"), escrowId}}, now);
            SqlQuery(m_db, QStringLiteral(
                               "UPDATE domains SET status = 'sold', updated_at = ? WHERE id = ?"))
                .bind(now)
                .bind(escrow->domainId)
                .exec();
        } else if (escrow->status == QLatin1String("refunded")) {
            JobQueue::enqueue(m_db, RefundJob, {{QLatin1String("escrow_id"), escrowId}}, now);
        }
        announce(batch, *escrow);
        const QJsonObject data{{QLatin1String("escrow_id"), escrowId},
                               {QLatin1String("domain_id"), escrow->domainId},
                               {QLatin1String("status"), escrow->status},
                               {QLatin1String("previous_status"), from},
                               {QLatin1String("action"), action}};
        for (const qint64 party : {escrow->buyerId, escrow->sellerId}) {
            if (party != user.id)
                m_notifications.notifyUser(batch, party, protocol::NotificationType::EscrowUpdated,
                                           data);
        }
        result = escrow;
        return true;
    });
    if (refusal)
        return *refusal;
    if (!ok || !result)
        return ApiError::internal();
    qCInfo(lcMarketplace) << "escrow" << escrowId << action << "by user" << user.id << "->"
                          << result->status;
    return *result;
}

Expected<Escrow> EscrowService::fund(const protocol::User &user, qint64 escrowId,
                                     const QString &reason)
{
    std::optional<Escrow> escrow;
    try {
        escrow = load(escrowId);
    } catch (const DbError &error) {
        qCWarning(lcMarketplace) << error.what();
        return ApiError::internal();
    }
    if (!escrow)
        return ApiError::notFound(QStringLiteral("Escrow not found."));
    if (auto refusal = refusalFor(user, *escrow, transitions.front()))
        return *refusal;
    // The key is derived from the escrow (and the declined attempts before): two fund requests
    // at once ask for the same charge, and the provider makes it once.
    const QString key =
        QStringLiteral("escrow-%1-charge-%2").arg(escrowId).arg(escrow->chargeAttempts + 1);
    const auto charge = m_payments.charge(key, escrow->buyerId, escrow->amountCents);
    if (!charge) {
        qCWarning(lcMarketplace) << "charge for escrow" << escrowId
                                 << "failed:" << charge.error().message;
        return ApiError{
            503, QStringLiteral("The payment provider did not answer; try again."), {}, 0};
    }
    return applyCharge(escrowId, *charge, user.id, reason);
}

Expected<Escrow> EscrowService::applyCharge(qint64 escrowId, const Charge &charge,
                                            std::optional<qint64> actor, const QString &reason)
{
    std::optional<ApiError> refusal;
    std::optional<Escrow> result;
    const bool ok = m_events.transaction([&](EventBatch &batch) {
        auto escrow = load(escrowId);
        if (!escrow) {
            refusal = ApiError::notFound(QStringLiteral("Escrow not found."));
            return false;
        }
        if (escrow->status != QLatin1String("pending_funding")) {
            // A second fund request, or the settle job, got there first.
            refusal = ApiError::conflict(
                QStringLiteral("An escrow that is %1 cannot fund.").arg(escrow->status));
            return false;
        }
        const qint64 now = protocol::nowMs();
        const bool exact = charge.amountCents == escrow->amountCents;
        const bool funds = charge.isSettled() && exact;
        const bool declined = !charge.isSettled() && !charge.isPending();
        const bool newlyPending =
            charge.isPending() && (escrow->chargeReference != charge.reference ||
                                   escrow->chargeStatus != QLatin1String("pending"));
        SqlQuery update(
            m_db, QStringLiteral("UPDATE escrows SET status = ?, charge_reference = ?, "
                                 "charge_status = ?, charged_cents = ?, charge_attempts = ?, "
                                 "updated_at = ? WHERE id = ? AND status = 'pending_funding'"));
        escrow->status = funds ? QStringLiteral("funded") : escrow->status;
        escrow->chargeReference = charge.reference;
        escrow->chargeStatus = charge.status;
        escrow->chargedCents = charge.amountCents;
        escrow->chargeAttempts += declined ? 1 : 0; // the next try gets a new key
        escrow->updatedAt = now;
        update.bind(escrow->status)
            .bind(charge.reference)
            .bind(charge.status)
            .bind(charge.amountCents)
            .bind(escrow->chargeAttempts)
            .bind(now)
            .bind(escrowId)
            .exec();
        if (update.numRowsAffected() != 1) {
            refusal =
                ApiError::conflict(QStringLiteral("The escrow changed meanwhile; reload it."));
            return false;
        }
        result = escrow;
        if (charge.isPending()) { // the settle job funds it later; one job per charge
            if (newlyPending)
                JobQueue::enqueue(m_db, SettleChargeJob, {{QLatin1String("escrow_id"), escrowId}},
                                  now, SettleAttempts);
            return true;
        }
        if (declined) {
            // Recorded (so the next attempt uses a new key), but the escrow stays unfunded.
            refusal = ApiError::conflict(
                QStringLiteral("The payment provider declined the charge (%1); the escrow is not "
                               "funded. You may try again.")
                    .arg(charge.status.left(20)));
            return true;
        }
        if (!funds) { // settled, but not for the escrow's amount
            qCWarning(lcMarketplace) << "escrow" << escrowId << "charge" << charge.reference
                                     << "settled for" << charge.amountCents << "cents, not"
                                     << escrow->amountCents << "; left unfunded for an operator";
            refusal = ApiError::conflict(
                QStringLiteral("The payment provider charged %1 cents, not the escrow's %2; the "
                               "escrow is not funded. Contact support.")
                    .arg(charge.amountCents)
                    .arg(escrow->amountCents));
            return true;
        }
        audit(m_db, escrowId, QStringLiteral("pending_funding"), escrow->status, actor,
              reason.isEmpty() ? charge.reference : reason, now);
        announce(batch, *escrow);
        const QJsonObject data{
            {QLatin1String("escrow_id"), escrowId},
            {QLatin1String("domain_id"), escrow->domainId},
            {QLatin1String("status"), escrow->status},
            {QLatin1String("previous_status"), QStringLiteral("pending_funding")},
            {QLatin1String("action"), QStringLiteral("fund")}};
        for (const qint64 party : {escrow->buyerId, escrow->sellerId}) {
            if (party != actor)
                m_notifications.notifyUser(batch, party, protocol::NotificationType::EscrowUpdated,
                                           data);
        }
        return true;
    });
    if (refusal)
        return *refusal;
    if (!ok || !result)
        return ApiError::internal();
    qCInfo(lcMarketplace) << "escrow" << escrowId << "charge" << charge.reference << charge.status
                          << "->" << result->status;
    return *result;
}

QList<Escrow> EscrowService::disputed()
{
    QList<Escrow> result;
    try {
        SqlQuery query(m_db,
                       escrowColumns + QStringLiteral("WHERE status = 'disputed' ORDER BY id"));
        query.exec();
        while (query.next())
            result.append(escrowFromRow(query));
    } catch (const DbError &error) {
        qCWarning(lcMarketplace) << error.what();
    }
    return result;
}

std::optional<QString> EscrowService::processPayout(const Job &job)
{
    const qint64 escrowId = qint64(job.payload.value(QLatin1String("escrow_id")).toDouble());
    std::optional<Escrow> escrow;
    try {
        escrow = load(escrowId);
    } catch (const DbError &error) {
        return QString::fromUtf8(error.what());
    }
    if (!escrow)
        return QStringLiteral("escrow %1 does not exist").arg(escrowId);
    if (escrow->status != QLatin1String("completed"))
        return QStringLiteral("escrow %1 is %2, not completed").arg(escrowId).arg(escrow->status);
    if (!escrow->payoutReference.isEmpty())
        return std::nullopt; // paid on an earlier attempt
    // Only money that came in goes out: the provider, not our own row, says the charge settled.
    if (escrow->chargeReference.isEmpty())
        return QStringLiteral("escrow %1 has no charge; nothing to pay out from").arg(escrowId);
    const auto charge = m_payments.chargeStatus(escrow->chargeReference);
    if (!charge)
        return QStringLiteral("escrow %1: %2").arg(escrowId).arg(charge.error().message);
    if (!charge->isSettled() || charge->amountCents != escrow->amountCents)
        return QStringLiteral("escrow %1: charge %2 is %3 for %4 cents, not settled for %5; no "
                              "payout")
            .arg(escrowId)
            .arg(charge->reference, charge->status)
            .arg(charge->amountCents)
            .arg(escrow->amountCents);
    const qint64 payoutCents = escrow->amountCents - escrow->feeCents;
    const auto reference = m_payments.payout(QStringLiteral("escrow-%1-payout").arg(escrowId),
                                             escrow->sellerId, payoutCents);
    if (!reference)
        return reference.error().message;
    const bool ok = m_events.transaction([&](EventBatch &batch) {
        SqlQuery update(m_db, QStringLiteral("UPDATE escrows SET payout_reference = ? WHERE id = ? "
                                             "AND payout_reference IS NULL"));
        update.bind(*reference).bind(escrowId).exec();
        if (update.numRowsAffected() != 1)
            return true; // another worker recorded it; it also notified
        m_notifications.notifyUser(batch, escrow->sellerId,
                                   protocol::NotificationType::PayoutCompleted,
                                   {{QLatin1String("escrow_id"), escrowId},
                                    {QLatin1String("domain_id"), escrow->domainId},
                                    {QLatin1String("amount_cents"), payoutCents},
                                    {QLatin1String("fee_cents"), escrow->feeCents},
                                    {QLatin1String("reference"), *reference}});
        return true;
    });
    if (!ok)
        return QStringLiteral("could not record payout %1").arg(*reference);
    return std::nullopt;
}

std::optional<QString> EscrowService::processRefund(const Job &job)
{
    const qint64 escrowId = qint64(job.payload.value(QLatin1String("escrow_id")).toDouble());
    std::optional<Escrow> escrow;
    try {
        escrow = load(escrowId);
    } catch (const DbError &error) {
        return QString::fromUtf8(error.what());
    }
    if (!escrow)
        return QStringLiteral("escrow %1 does not exist").arg(escrowId);
    if (escrow->status != QLatin1String("refunded"))
        return QStringLiteral("escrow %1 is %2, not refunded").arg(escrowId).arg(escrow->status);
    if (!escrow->refundReference.isEmpty())
        return std::nullopt; // refunded on an earlier attempt
    if (escrow->chargeReference.isEmpty() || !escrow->chargedCents)
        return QStringLiteral("escrow %1 has no charge to refund").arg(escrowId);
    const auto reference = m_payments.refund(QStringLiteral("escrow-%1-refund").arg(escrowId),
                                             escrow->chargeReference, *escrow->chargedCents);
    if (!reference)
        return reference.error().message;
    // The parties were told when the escrow became refunded; this records where the money went.
    const bool ok = m_db.transaction([&] {
        SqlQuery(m_db, QStringLiteral("UPDATE escrows SET refund_reference = ?, charge_status = "
                                      "'refunded', updated_at = ? WHERE id = ? AND "
                                      "refund_reference IS NULL"))
            .bind(*reference)
            .bind(protocol::nowMs())
            .bind(escrowId)
            .exec();
        return true;
    });
    if (!ok)
        return QStringLiteral("could not record refund %1").arg(*reference);
    qCInfo(lcMarketplace) << "escrow" << escrowId << "refunded" << *escrow->chargedCents
                          << "cents to user" << escrow->buyerId << "as" << *reference;
    return std::nullopt;
}

std::optional<QString> EscrowService::settleCharge(const Job &job)
{
    const qint64 escrowId = qint64(job.payload.value(QLatin1String("escrow_id")).toDouble());
    std::optional<Escrow> escrow;
    try {
        escrow = load(escrowId);
    } catch (const DbError &error) {
        return QString::fromUtf8(error.what());
    }
    if (!escrow)
        return QStringLiteral("escrow %1 does not exist").arg(escrowId);
    if (escrow->status != QLatin1String("pending_funding") ||
        escrow->chargeStatus != QLatin1String("pending"))
        return std::nullopt; // settled by a fund request meanwhile, or nothing pending
    const auto charge = m_payments.chargeStatus(escrow->chargeReference);
    if (!charge)
        return QStringLiteral("escrow %1: %2").arg(escrowId).arg(charge.error().message);
    if (charge->isPending())
        return QStringLiteral("escrow %1: charge %2 is still pending")
            .arg(escrowId)
            .arg(charge->reference);
    const auto applied = applyCharge(escrowId, *charge, std::nullopt, {});
    if (!applied && applied.error().status >= 500)
        return applied.error().message;
    return std::nullopt; // funded, or declined (recorded; the buyer may fund again)
}

} // namespace flippdeal::server
