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
    "payout_reference, created_at, updated_at FROM escrows ");

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
    return e;
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
    return {{QLatin1String("id"), id},
            {QLatin1String("domain_id"), domainId},
            {QLatin1String("buyer_id"), buyerId},
            {QLatin1String("seller_id"), sellerId},
            {QLatin1String("amount_cents"), amountCents},
            {QLatin1String("fee_cents"), feeCents},
            {QLatin1String("payout_cents"), amountCents - feeCents},
            {QLatin1String("status"), status},
            {QLatin1String("source"), source},
            {QLatin1String("offer_id"), offerId ? QJsonValue(*offerId) : QJsonValue()},
            {QLatin1String("payout_reference"),
             payoutReference.isEmpty() ? QJsonValue() : QJsonValue(payoutReference)},
            {QLatin1String("created_at"), protocol::isoUtc(createdAt)},
            {QLatin1String("updated_at"), protocol::isoUtc(updatedAt)}};
}

EscrowService::EscrowService(Database &db, EventStore &events, NotificationService &notifications,
                             int feeBasisPoints)
    : m_db(db)
    , m_events(events)
    , m_notifications(notifications)
    , m_feeBasisPoints(feeBasisPoints)
{}

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
    batch.add(protocol::Channels::domain(domainId), protocol::EventName::EscrowUpdated,
              {{QLatin1String("escrow"), e.toJson()}});
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

    std::optional<ApiError> refusal;
    std::optional<Escrow> result;
    const bool ok = m_events.transaction([&](EventBatch &batch) {
        auto escrow = load(escrowId);
        if (!escrow) {
            refusal = ApiError::notFound(QStringLiteral("Escrow not found."));
            return false;
        }
        const bool isBuyer = user.id == escrow->buyerId;
        const bool isSeller = user.id == escrow->sellerId;
        const bool isAdmin = user.role == QLatin1String("admin");
        const bool allowed = (rule->who == Party::Buyer && isBuyer) ||
                             (rule->who == Party::Seller && isSeller) ||
                             (rule->who == Party::Either && (isBuyer || isSeller)) ||
                             (rule->who == Party::Admin && isAdmin);
        if (!allowed) {
            if (!isBuyer && !isSeller && !isAdmin)
                refusal = ApiError::forbidden(QStringLiteral(
                    "Only the buyer, the seller and admins may act on this escrow."));
            else
                refusal =
                    ApiError::forbidden(QStringLiteral("You may not %1 this escrow.").arg(action));
            return false;
        }
        const QString from = escrow->status;
        const bool fromAllowed =
            std::any_of(rule->from.cbegin(), rule->from.cend(),
                        [&](const char *state) { return state && from == QLatin1String(state); });
        if (!fromAllowed) {
            refusal = ApiError::conflict(
                QStringLiteral("An escrow that is %1 cannot %2.").arg(from, action));
            return false;
        }
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
        }
        batch.add(protocol::Channels::domain(escrow->domainId), protocol::EventName::EscrowUpdated,
                  {{QLatin1String("escrow"), escrow->toJson()}});
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

std::optional<QString> EscrowService::processPayout(const Job &job, PaymentProvider &provider)
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
    const qint64 payoutCents = escrow->amountCents - escrow->feeCents;
    const auto reference = provider.payout(QStringLiteral("escrow-%1-payout").arg(escrowId),
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

} // namespace flippdeal::server
