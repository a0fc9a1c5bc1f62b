// SPDX-License-Identifier: MIT
#pragma once

#include "auth/tokentable.h"
#include "auth/usertable.h"
#include "core/result.h"
#include "marketplace/domaintable.h"

#include "protocol/types.h"

#include <QElapsedTimer>
#include <QFuture>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QTimer>

namespace flippdeal::server {

class AccountService;
class AuctionService;
class Database;
class DomainService;
class EscrowService;
class EventStore;
class Gateway;
class JobQueue;
class NotificationService;

//! \brief What operators see and do, for the admin API and the CLI alike: live statistics,
//! channels, users (ban, revoke, terminate), jobs, disputed escrows, auctions and announcements.
//! Each operation delegates to the service that owns the data; this class adds the
//! cross-cutting parts (a ban also drops the user's live connections) and the figures.
class AdminService : public QObject
{
    Q_OBJECT

public:
    AdminService(Database &db, Gateway &gateway, EventStore &events, JobQueue &jobs,
                 AccountService &accounts, NotificationService &notifications,
                 DomainService &domains, AuctionService &auctions, EscrowService &escrows,
                 QObject *parent = nullptr);

    //! `{connections, channels, events_per_second, events_published_total, outbox_backlog,
    //! queue: {ready, delayed, running, failed}, users, banned_users, live_auctions,
    //! disputed_escrows, uptime_seconds, server_time}`.
    QJsonObject stats(qint64 nowMs);
    //! Channels with local subscribers: `{name, subscribers, members?: [{user_id, user_info}]}`.
    QJsonArray channels(const QString &prefix);

    Expected<QJsonObject> users(const QString &search, int limit, int offset);
    //! Bans or unbans, on the writer; a ban revokes every token and, once committed, closes
    //! the user's live connections.
    QFuture<Expected<QJsonObject>> setBanned(qint64 userId, bool banned, qint64 nowMs);
    //! Revokes every token of a user, on the writer, then closes their live connections.
    QFuture<Expected<QJsonObject>> revokeTokens(qint64 userId);
    Expected<QJsonObject> terminateConnections(qint64 userId);

    Expected<QJsonArray> pendingJobs(qint64 nowMs, int limit);
    QJsonArray failedJobs(int limit);
    //! Retries one failed job (`failedJobId` > 0) or all of them (0).
    QFuture<Expected<int>> retryFailed(qint64 failedJobId);
    QFuture<Expected<bool>> deleteFailed(qint64 failedJobId);
    QFuture<Expected<bool>> deletePending(qint64 jobId, qint64 nowMs);

    QJsonArray disputedEscrows();
    //! `outcome` is `release` (to the seller) or `refund` (to the buyer); recorded with `reason`
    //! in the escrow's audit trail under the admin's name, on the writer thread.
    QFuture<Expected<QJsonObject>> resolveEscrow(const protocol::User &admin, qint64 escrowId,
                                                 const QString &outcome, const QString &reason);

    Expected<QJsonArray> liveAuctions(qint64 nowMs, int limit);
    QFuture<Expected<QJsonObject>> cancelAuction(qint64 domainId, const QString &reason,
                                                 qint64 nowMs);
    QFuture<Expected<QJsonObject>> extendAuction(qint64 domainId, qint64 seconds, qint64 nowMs);

    Expected<int> announce(const QString &title, const QString &body);

    //! Every 2 s, closes the live connections of users banned since the last look, whoever
    //! banned them (the CLI, another node), and those bound to a token that was revoked
    //! (logout or revoke-tokens elsewhere). For `serve`.
    void watchBans();

private:
    //! \brief The stored figures of stats().
    struct Counts
    {
        qint64 users = 0;
        qint64 bannedUsers = 0;
        qint64 liveAuctions = 0;
    };

    void sample();
    double eventsPerSecond() const;
    //! The figures of stats() read from the database (zeros if it fails).
    Counts counts(qint64 nowMs);
    //! What watchBans() does every 2 s.
    void checkBans();
    //! Closes the connections bound to tokens that no longer exist.
    void closeRevokedSessions();

    Database &m_db;
    UserTable m_users;
    TokenTable m_tokens;
    DomainTable m_domainTable;
    Gateway &m_gateway;
    EventStore &m_events;
    JobQueue &m_jobs;
    AccountService &m_accounts;
    NotificationService &m_notifications;
    DomainService &m_domains;
    AuctionService &m_auctions;
    EscrowService &m_escrows;
    QElapsedTimer m_uptime;
    QTimer m_sampler;
    QTimer m_banWatch;
    int m_changesInFlight = 0; // bans and revocations waiting for their commit
    qint64 m_bansCheckedUntil = 0;
    struct Sample
    {
        qint64 atMs;
        quint64 published;
    };
    QList<Sample> m_samples; // the last few seconds of the published-events counter
};

} // namespace flippdeal::server
