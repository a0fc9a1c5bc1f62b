// SPDX-License-Identifier: MIT
#include "admin/adminservice.h"

#include "auth/accountservice.h"
#include "core/logging.h"
#include "escrow/escrowservice.h"
#include "events/eventstore.h"
#include "gateway/gateway.h"
#include "jobs/jobqueue.h"
#include "marketplace/auctionservice.h"
#include "marketplace/domainservice.h"
#include "notifications/notificationservice.h"
#include "storage/database.h"

#include "protocol/channelname.h"
#include "protocol/errors.h"
#include "protocol/timeformat.h"

namespace flippdeal::server {

namespace {

//! `{"domain": …}`, or the error, once `domain` is ready.
QFuture<Expected<QJsonObject>> domainAnswer(QFuture<Expected<Domain>> domain)
{
    return domain.then([](const Expected<Domain> &result) -> Expected<QJsonObject> {
        if (!result)
            return result.error();
        return QJsonObject{{QLatin1String("domain"), result->toJson()}};
    });
}

QFuture<Expected<QJsonObject>> refusedField(const QString &field, const QString &message)
{
    return QtFuture::makeReadyFuture(Expected<QJsonObject>(ApiError::validation(field, message)));
}

constexpr int SampleIntervalMs = 1000;
constexpr int RateWindowSamples = 5;
} // namespace

AdminService::AdminService(Database &db, Gateway &gateway, EventStore &events, JobQueue &jobs,
                           AccountService &accounts, NotificationService &notifications,
                           DomainService &domains, AuctionService &auctions, EscrowService &escrows,
                           QObject *parent)
    : QObject(parent)
    , m_db(db)
    , m_users(db)
    , m_tokens(db)
    , m_domainTable(db)
    , m_gateway(gateway)
    , m_events(events)
    , m_jobs(jobs)
    , m_accounts(accounts)
    , m_notifications(notifications)
    , m_domains(domains)
    , m_auctions(auctions)
    , m_escrows(escrows)
{
    m_uptime.start();
    m_sampler.setInterval(SampleIntervalMs);
    connect(&m_sampler, &QTimer::timeout, this, &AdminService::sample);
    m_sampler.start();
    sample();
}

void AdminService::sample()
{
    m_samples.append({m_uptime.elapsed(), m_events.publishedCount()});
    while (m_samples.size() > RateWindowSamples + 1)
        m_samples.removeFirst();
}

double AdminService::eventsPerSecond() const
{
    if (m_samples.size() < 2)
        return 0;
    const Sample &first = m_samples.first();
    const qint64 spanMs = m_uptime.elapsed() - first.atMs;
    if (spanMs <= 0)
        return 0;
    return double(m_events.publishedCount() - first.published) * 1000.0 / spanMs;
}

AdminService::Counts AdminService::counts(qint64 nowMs)
{
    const auto counted = m_db.attempt([&]() -> Expected<Counts> {
        return Counts{m_users.count(), m_users.bannedCount(),
                      m_domainTable.liveAuctionTotal(nowMs)};
    });
    return counted ? *counted : Counts{};
}

QJsonObject AdminService::stats(qint64 nowMs)
{
    const double perSecond = eventsPerSecond();
    const QueueStats queue = m_jobs.stats(nowMs);
    const Counts stored = counts(nowMs);
    return {{QLatin1String("connections"), m_gateway.connectionCount()},
            {QLatin1String("channels"), m_gateway.channelCount()},
            {QLatin1String("events_per_second"), std::round(perSecond * 10) / 10},
            {QLatin1String("events_published_total"), qint64(m_events.publishedCount())},
            {QLatin1String("outbox_backlog"), m_events.backlog()},
            {QLatin1String("queue"), QJsonObject{{QLatin1String("ready"), queue.ready},
                                                 {QLatin1String("delayed"), queue.delayed},
                                                 {QLatin1String("running"), queue.reserved},
                                                 {QLatin1String("failed"), queue.failed}}},
            {QLatin1String("users"), stored.users},
            {QLatin1String("banned_users"), stored.bannedUsers},
            {QLatin1String("live_auctions"), stored.liveAuctions},
            {QLatin1String("disputed_escrows"), qint64(m_escrows.disputed().size())},
            {QLatin1String("uptime_seconds"), m_uptime.elapsed() / 1000},
            {QLatin1String("server_time"), protocol::isoUtc(nowMs)}};
}

QJsonArray AdminService::channels(const QString &prefix)
{
    QStringList names = m_gateway.channelNames();
    names.sort();
    QJsonArray result;
    for (const QString &name : std::as_const(names)) {
        if (!name.startsWith(prefix))
            continue;
        QJsonObject channel{{QLatin1String("name"), name},
                            {QLatin1String("subscribers"), m_gateway.subscriberCount(name)}};
        if (name.startsWith(QLatin1String("presence-"))) {
            QJsonArray members;
            for (const protocol::PresenceMember &m : m_gateway.presence().members(name))
                members.append(QJsonObject{{QLatin1String("user_id"), m.userId},
                                           {QLatin1String("user_info"), m.userInfo}});
            channel.insert(QLatin1String("members"), members);
        }
        result.append(channel);
    }
    return result;
}

Expected<QJsonObject> AdminService::users(const QString &search, int limit, int offset)
{
    qint64 total = 0;
    const auto list = m_accounts.listUsers(search, limit, offset, &total);
    if (!list)
        return list.error();
    QJsonArray data;
    for (const AccountService::UserRecord &record : *list) {
        QJsonObject json = record.toJson();
        json.insert(QLatin1String("connections"), m_gateway.userConnectionCount(record.user.id));
        data.append(json);
    }
    return QJsonObject{{QLatin1String("data"), data},
                       {QLatin1String("meta"), QJsonObject{{QLatin1String("total"), total},
                                                           {QLatin1String("limit"), limit},
                                                           {QLatin1String("offset"), offset}}}};
}

QFuture<Expected<QJsonObject>> AdminService::setBanned(qint64 userId, bool banned, qint64 nowMs)
{
    ++m_changesInFlight; // the watch leaves these to the answer, which counts what it closes
    return m_accounts.setBanned(userId, banned, nowMs)
        .then(this,
              [this, userId, banned](
                  const Expected<AccountService::UserRecord> &record) -> Expected<QJsonObject> {
                  --m_changesInFlight;
                  if (!record)
                      return record.error();
                  const int dropped =
                      banned ? m_gateway.terminateUser(
                                   userId, int(protocol::ErrorCode::ConnectionIsUnauthorized),
                                   QStringLiteral("This account has been suspended."))
                             : 0;
                  return QJsonObject{{QLatin1String("user"), record->toJson()},
                                     {QLatin1String("connections_closed"), dropped}};
              });
}

QFuture<Expected<QJsonObject>> AdminService::revokeTokens(qint64 userId)
{
    ++m_changesInFlight;
    return m_accounts.revokeAllTokens(userId).then(
        this, [this, userId](const Expected<int> &revoked) -> Expected<QJsonObject> {
            --m_changesInFlight;
            if (!revoked)
                return revoked.error();
            // What the tokens authorized goes with them: the user's sockets, on every channel.
            const int dropped = m_gateway.terminateUser(
                userId, int(protocol::ErrorCode::ConnectionIsUnauthorized),
                QStringLiteral("Your sessions were revoked: sign in again."));
            return QJsonObject{{QLatin1String("revoked"), *revoked},
                               {QLatin1String("connections_closed"), dropped}};
        });
}

Expected<QJsonObject> AdminService::terminateConnections(qint64 userId)
{
    if (!m_accounts.findUser(userId))
        return ApiError::notFound(QStringLiteral("User not found."));
    const int closed =
        m_gateway.terminateUser(userId, int(protocol::ErrorCode::ConnectionIsUnauthorized),
                                QStringLiteral("An administrator closed this connection."));
    return QJsonObject{{QLatin1String("connections_closed"), closed}};
}

Expected<QJsonArray> AdminService::pendingJobs(qint64 nowMs, int limit)
{
    return m_jobs.pendingJobs(nowMs, limit);
}

QJsonArray AdminService::failedJobs(int limit)
{
    QJsonArray result;
    for (const FailedJob &job : m_jobs.failedJobs(limit))
        result.append(job.toJson());
    return result;
}

QFuture<Expected<int>> AdminService::retryFailed(qint64 failedJobId)
{
    return m_jobs.retry(failedJobId);
}

QFuture<Expected<bool>> AdminService::deleteFailed(qint64 failedJobId)
{
    return m_jobs.deleteFailed(failedJobId);
}

QFuture<Expected<bool>> AdminService::deletePending(qint64 jobId, qint64 nowMs)
{
    return m_jobs.deletePending(jobId, nowMs);
}

QJsonArray AdminService::disputedEscrows()
{
    QJsonArray result;
    for (const Escrow &escrow : m_escrows.disputed())
        result.append(escrow.toJson());
    return result;
}

QFuture<Expected<QJsonObject>> AdminService::resolveEscrow(const protocol::User &admin,
                                                           qint64 escrowId, const QString &outcome,
                                                           const QString &reason)
{
    const auto action = fromString<EscrowAction>(outcome);
    if (action != EscrowAction::Release && action != EscrowAction::Refund)
        return refusedField(QStringLiteral("outcome"),
                            QStringLiteral("The outcome must be release or refund."));
    if (reason.trimmed().isEmpty() || reason.size() > 1000)
        return refusedField(QStringLiteral("reason"),
                            QStringLiteral("Give a reason of 1 to 1000 characters."));
    // The reason goes into a text column, where PostgreSQL refuses U+0000 (a 500 otherwise).
    if (reason.contains(QChar(0)))
        return refusedField(QStringLiteral("reason"),
                            QStringLiteral("The reason contains a NUL character."));
    return m_escrows.transition(admin, escrowId, *action, reason.trimmed())
        .then([](const Expected<Escrow> &escrow) -> Expected<QJsonObject> {
            if (!escrow)
                return escrow.error();
            return QJsonObject{{QLatin1String("escrow"), escrow->toJson()}};
        });
}

Expected<QJsonArray> AdminService::liveAuctions(qint64 nowMs, int limit)
{
    const auto list = m_domains.liveAuctions(nowMs, limit);
    if (!list)
        return list.error();
    QJsonArray result;
    for (const Domain &domain : *list) {
        QJsonObject json = domain.toJson();
        json.insert(QLatin1String("watchers"),
                    m_gateway.presence().memberCount(protocol::Channels::auction(domain.id)));
        result.append(json);
    }
    return result;
}

QFuture<Expected<QJsonObject>> AdminService::cancelAuction(qint64 domainId, const QString &reason,
                                                           qint64 nowMs)
{
    if (reason.trimmed().isEmpty() || reason.size() > 1000)
        return refusedField(QStringLiteral("reason"),
                            QStringLiteral("Give a reason of 1 to 1000 characters."));
    return domainAnswer(m_auctions.cancelAuction(domainId, reason.trimmed(), nowMs));
}

QFuture<Expected<QJsonObject>> AdminService::extendAuction(qint64 domainId, qint64 seconds,
                                                           qint64 nowMs)
{
    if (seconds < 1 || seconds > 7 * 24 * 3600)
        return refusedField(QStringLiteral("seconds"),
                            QStringLiteral("Extend by 1 second to 7 days."));
    return domainAnswer(m_auctions.extendAuction(domainId, seconds, nowMs));
}

void AdminService::watchBans()
{
    m_bansCheckedUntil = protocol::nowMs();
    m_banWatch.setInterval(2000);
    connect(&m_banWatch, &QTimer::timeout, this, &AdminService::checkBans);
    m_banWatch.start();
}

void AdminService::checkBans()
{
    // A ban or revocation of this node's is between its commit and its answer: the answer
    // closes the sockets and counts them. The next look (with its 5 s overlap) catches up.
    if (m_changesInFlight > 0)
        return;
    const qint64 now = protocol::nowMs();
    // A little overlap: a ban committed just before the last look is seen again, and closing
    // nothing twice is harmless.
    const auto banned = m_db.attempt([&]() -> Expected<QList<qint64>> {
        return m_users.bannedSince(m_bansCheckedUntil - 5000);
    });
    if (!banned)
        return;
    for (const qint64 userId : *banned)
        // Every node finds the ban by itself: nothing to forward.
        m_gateway.terminateUser(userId, int(protocol::ErrorCode::ConnectionIsUnauthorized),
                                QStringLiteral("This account has been suspended."),
                                Gateway::Scope::Node);
    m_bansCheckedUntil = now;
    closeRevokedSessions();
}

void AdminService::closeRevokedSessions()
{
    // Tokens revoked elsewhere (logout or revoke-tokens on another node): a socket bound to a
    // token that no longer exists is closed. Checked in chunks, one query per 200 tokens.
    constexpr int Chunk = 200;
    const QList<QByteArray> keys = m_gateway.sessionKeys();
    for (qsizetype start = 0; start < keys.size(); start += Chunk) {
        const QList<QByteArray> chunk = keys.mid(start, Chunk);
        const auto live =
            m_db.attempt([&]() -> Expected<QSet<QByteArray>> { return m_tokens.existing(chunk); });
        if (!live)
            return;
        for (const QByteArray &key : chunk) {
            if (!live->contains(key))
                m_gateway.terminateSession(key, int(protocol::ErrorCode::ConnectionIsUnauthorized),
                                           QStringLiteral("Signed out: sign in again."),
                                           Gateway::Scope::Node);
        }
    }
}

Expected<int> AdminService::announce(const QString &title, const QString &body)
{
    ApiError errors{422, QStringLiteral("The given data was invalid."), {}, 0};
    if (title.trimmed().isEmpty() || title.size() > 120)
        errors.errors.insert(QStringLiteral("title"),
                             QStringList{QStringLiteral("Give a title of 1 to 120 characters.")});
    if (body.trimmed().isEmpty() || body.size() > 2000)
        errors.errors.insert(QStringLiteral("body"),
                             QStringList{QStringLiteral("Give a text of 1 to 2000 characters.")});
    if (!errors.errors.isEmpty())
        return errors;
    return m_notifications.announce(title.trimmed(), body.trimmed());
}

} // namespace flippdeal::server
