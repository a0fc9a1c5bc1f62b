// SPDX-License-Identifier: MIT
#include "adminconsole.h"

#include "formatting.h"
#include "logging.h"

#include "apiclient.h"
#include "session.h"
#include "tokenstore.h"

#include <QJsonArray>
#include <QTime>
#include <QUrl>
#include <QUrlQuery>

namespace flippdeal::admin {

using client::ApiResult;

namespace {

qint64 integer(const QJsonObject &object, const char *key)
{
    return object.value(QLatin1String(key)).toInteger();
}

QString string(const QJsonObject &object, const char *key)
{
    return object.value(QLatin1String(key)).toString();
}

//! `base` with the fields of `update` written over it (an answer may lack derived fields such as
//! a user's `connections`, which the table keeps).
QJsonObject merged(QJsonObject base, const QJsonObject &update)
{
    for (auto it = update.begin(); it != update.end(); ++it)
        base.insert(it.key(), it.value());
    return base;
}

//! `1 connection`, `3 connections`: `many` has a %1 for the number.
QString quantity(qint64 n, const QString &one, const QString &many)
{
    return n == 1 ? one : many.arg(format::count(n));
}

//! How often the user directory (names for the escrow and auction tables) is fetched at most.
constexpr qint64 UserDirectoryMaxAgeMs = 15000;
constexpr int UserDirectorySize = 500;

} // namespace

QString AdminConsole::notAdministratorMessage()
{
    return tr("This account is not an administrator.");
}

AdminConsole::AdminConsole(QSettings &settings, const QString &keychainService, QObject *parent)
    : QObject(parent)
    , m_api(std::make_unique<client::ApiClient>())
    , m_tokens(std::make_unique<client::TokenStore>(keychainService))
    , m_session(std::make_unique<client::Session>(*m_api, *m_tokens, settings))
    , m_confirmer([](const QString &, const QString &) { return true; })
    , m_escrows(m_names)
    , m_auctions(m_names)
{
    m_poll.setInterval(2000);
    connect(&m_poll, &QTimer::timeout, this, [this] {
        m_auctions.setNow(QDateTime::currentDateTimeUtc());
        if (!m_loading.contains(int(Table::Stats)))
            loadTable(Table::Stats);
    });
    connect(m_session.get(), &client::Session::statusChanged, this, &AdminConsole::updateStatus);
    connect(m_session.get(), &client::Session::accountChanged, this, [this] {
        updateStatus();
        Q_EMIT accountChanged();
    });
    connect(m_session.get(), &client::Session::signedIn, this, &AdminConsole::onSessionSignedIn);
    connect(m_session.get(), &client::Session::errorStringChanged, this, [this] {
        if (!m_session->errorString().isEmpty())
            setError(m_session->errorString());
    });
    connect(m_session.get(), &client::Session::keychainWarningChanged, this,
            &AdminConsole::keychainWarningChanged);
    connect(&m_channels, &JsonTableModel::dataChanged, this, &AdminConsole::updateMembers);
    connect(&m_channels, &JsonTableModel::rowsRemoved, this, &AdminConsole::updateMembers);
    connect(&m_channels, &JsonTableModel::rowsInserted, this, &AdminConsole::updateMembers);
}

AdminConsole::~AdminConsole() = default;

QString AdminConsole::serverUrl() const
{
    return m_session->serverUrl();
}

QString AdminConsole::adminName() const
{
    return isSignedIn() ? m_session->userName() : QString();
}

QString AdminConsole::email() const
{
    return m_session->email();
}

QString AdminConsole::keychainWarning() const
{
    return m_session->keychainWarning();
}

// ---- Session ---------------------------------------------------------------------------------

void AdminConsole::restore()
{
    m_session->restore();
}

void AdminConsole::signIn(const QString &serverUrl, const QString &email, const QString &password)
{
    setError({});
    m_session->signIn(serverUrl, email, password);
}

void AdminConsole::signOut()
{
    setError({});
    m_session->signOut();
}

void AdminConsole::onSessionSignedIn()
{
    if (m_session->role() == QLatin1String("admin"))
        return; // updateStatus() has seen it
    // Signed in, but not as an administrator: give the token back and say why.
    qCInfo(lcAdmin) << "refused a sign-in without the admin role";
    m_session->signOut();
    setError(notAdministratorMessage());
}

void AdminConsole::updateStatus()
{
    Status status = Status::SignedOut;
    const QString session = m_session->status();
    if (session == QLatin1String("restoring"))
        status = Status::Restoring;
    else if (session == QLatin1String("signingIn"))
        status = Status::SigningIn;
    else if (session == QLatin1String("signedIn") && m_session->role() == QLatin1String("admin"))
        status = Status::SignedIn;
    if (status == m_status)
        return;
    const bool wasSignedIn = m_status == Status::SignedIn;
    m_status = status;
    if (status == Status::SignedIn) {
        ++m_generation;
        setError({});
        m_userDirectoryAge.invalidate();
        m_poll.start();
        Q_EMIT statusChanged();
        Q_EMIT accountChanged();
        Q_EMIT signedIn();
        refreshAll();
        return;
    }
    if (wasSignedIn) {
        ++m_generation;
        m_poll.stop();
        m_loading.clear();
        m_domainLookups.clear();
        m_userDirectoryLoading = false;
        m_stats.clear();
        m_users.clear();
        m_channels.clear();
        m_members.clear();
        m_pendingJobs.clear();
        m_failedJobs.clear();
        m_escrows.clear();
        m_auctions.clear();
        m_userTotal = 0;
        m_memberChannel.clear();
        Q_EMIT userTotalChanged();
    }
    Q_EMIT statusChanged();
    if (wasSignedIn) {
        Q_EMIT accountChanged();
        Q_EMIT signedOut();
    }
}

// ---- Errors ----------------------------------------------------------------------------------

QString AdminConsole::readableError(const ApiResult &result)
{
    if (result.status == 0)
        return tr("The server cannot be reached: %1").arg(result.errorString);
    const QJsonObject errors = result.json.value(QLatin1String("errors")).toObject();
    for (auto it = errors.begin(); it != errors.end(); ++it) {
        const QJsonArray list = it.value().toArray();
        if (!list.isEmpty())
            return list.first().toString();
    }
    return result.errorString;
}

void AdminConsole::setError(const QString &error)
{
    if (error == m_errorString)
        return;
    m_errorString = error;
    if (!error.isEmpty())
        pushError(error);
    Q_EMIT errorStringChanged();
}

void AdminConsole::pushError(const QString &error)
{
    const QString entry = QStringLiteral("%1  %2").arg(
        QTime::currentTime().toString(QStringLiteral("HH:mm:ss")), error);
    m_recentErrors.prepend(entry);
    while (m_recentErrors.size() > RecentErrorLimit)
        m_recentErrors.removeLast();
    Q_EMIT recentErrorsChanged();
}

void AdminConsole::fail(const QString &title, const QString &error, const Done &done)
{
    qCWarning(lcAdmin).noquote() << title << "failed:" << error;
    pushError(QStringLiteral("%1: %2").arg(title, error));
    Q_EMIT actionFailed(title, error);
    if (done)
        done(false, error);
}

// ---- Tables ----------------------------------------------------------------------------------

void AdminConsole::refreshAll()
{
    for (Table table : {Table::Stats, Table::Users, Table::Channels, Table::Jobs, Table::Escrows,
                        Table::Auctions})
        refresh(table);
}

void AdminConsole::refresh(Table table)
{
    if (!isSignedIn())
        return;
    loadTable(table);
}

void AdminConsole::setUserSearch(const QString &search)
{
    m_userSearch = search.trimmed();
    refresh(Table::Users);
}

void AdminConsole::loadTable(Table table)
{
    const quint64 generation = m_generation;
    QString path;
    switch (table) {
    case Table::Stats:
        path = QStringLiteral("/api/admin/stats");
        break;
    case Table::Users: {
        QUrlQuery query;
        if (!m_userSearch.isEmpty())
            query.addQueryItem(QStringLiteral("search"), m_userSearch);
        query.addQueryItem(QStringLiteral("limit"), QString::number(UserPageSize));
        path = QStringLiteral("/api/admin/users?") + query.toString(QUrl::FullyEncoded);
        break;
    }
    case Table::Channels:
        path = QStringLiteral("/api/admin/channels");
        break;
    case Table::Jobs:
        path = QStringLiteral("/api/admin/jobs?limit=500");
        break;
    case Table::Escrows:
        path = QStringLiteral("/api/admin/escrows");
        break;
    case Table::Auctions:
        path = QStringLiteral("/api/admin/auctions?limit=500");
        break;
    }
    m_loading.insert(int(table));

    const auto failed = [this, table](const ApiResult &result) {
        if (result.status == 403 && isSignedIn()) {
            // The account lost the admin role since it signed in.
            qCInfo(lcAdmin) << "the server no longer accepts this account as an administrator";
            m_session->signOut();
            setError(notAdministratorMessage());
            return;
        }
        const QString error = readableError(result);
        // A server that is away fails every 2 s: list and log the failure once, not every poll.
        if (error != m_lastRefreshError) {
            m_lastRefreshError = error;
            pushError(error);
            qCWarning(lcAdmin).noquote() << "loading failed:" << error;
        }
        Q_EMIT refreshFailed(table, error);
    };

    if (table == Table::Jobs) {
        // Two lists, one table of the UI: refreshed() once both have answered.
        auto pending = std::make_shared<int>(2);
        auto ok = std::make_shared<bool>(true);
        const auto finish = [this, table, pending, ok, failed](const ApiResult &result) {
            if (!result.ok() && *ok) {
                *ok = false;
                failed(result);
            }
            if (--*pending == 0) {
                m_loading.remove(int(table));
                if (*ok) {
                    m_lastRefreshError.clear();
                    Q_EMIT refreshed(table);
                }
            }
        };
        m_api->get(this, path, [this, generation, finish](const ApiResult &result) {
            if (generation != m_generation)
                return;
            if (result.ok())
                m_pendingJobs.setRows(result.json.value(QLatin1String("data")).toArray());
            finish(result);
        });
        m_api->get(this, QStringLiteral("/api/admin/jobs/failed?limit=500"),
                   [this, generation, finish](const ApiResult &result) {
                       if (generation != m_generation)
                           return;
                       if (result.ok())
                           m_failedJobs.setRows(result.json.value(QLatin1String("data")).toArray());
                       finish(result);
                   });
        return;
    }

    m_api->get(this, path, [this, table, generation, failed](const ApiResult &result) {
        if (generation != m_generation)
            return;
        m_loading.remove(int(table));
        if (!result.ok()) {
            failed(result);
            return;
        }
        m_lastRefreshError.clear();
        const QJsonArray data = result.json.value(QLatin1String("data")).toArray();
        switch (table) {
        case Table::Stats:
            m_stats.update(result.json);
            break;
        case Table::Users: {
            m_names.addUsers(data);
            m_users.setRows(data);
            const qint64 total = result.json.value(QLatin1String("meta"))
                                     .toObject()
                                     .value(QLatin1String("total"))
                                     .toInteger(data.size());
            if (total != m_userTotal) {
                m_userTotal = total;
                Q_EMIT userTotalChanged();
            }
            break;
        }
        case Table::Channels:
            m_channels.setRows(data);
            updateMembers();
            break;
        case Table::Jobs:
            break;
        case Table::Escrows:
            m_escrows.setRows(data);
            learnNames();
            break;
        case Table::Auctions:
            m_names.addDomains(data);
            m_auctions.setNow(QDateTime::currentDateTimeUtc());
            m_auctions.setRows(data);
            learnNames();
            break;
        }
        Q_EMIT refreshed(table);
    });
}

void AdminConsole::learnNames()
{
    // Escrows and auctions carry ids; the tables show names. Domains of escrows are not in the
    // auction list (they were sold), so each is looked up once.
    bool userMissing = false;
    const auto checkUser = [&](const QJsonValue &id) {
        if (!id.isNull() && !id.isUndefined() && !m_names.knowsUser(id.toInteger()))
            userMissing = true;
    };
    for (const QJsonObject &escrow : m_escrows.rows()) {
        checkUser(escrow.value(QLatin1String("buyer_id")));
        checkUser(escrow.value(QLatin1String("seller_id")));
        const qint64 domain = integer(escrow, "domain_id");
        if (domain > 0 && !m_names.knowsDomain(domain) && !m_domainLookups.contains(domain)) {
            m_domainLookups.insert(domain);
            const quint64 generation = m_generation;
            m_api->get(this, QStringLiteral("/api/domains/%1").arg(domain),
                       [this, generation](const ApiResult &result) {
                           if (generation != m_generation || !result.ok())
                               return;
                           const QJsonObject found =
                               result.json.value(QLatin1String("domain")).toObject();
                           m_names.addDomain(integer(found, "id"), string(found, "name"));
                       });
        }
    }
    for (const QJsonObject &auction : m_auctions.rows()) {
        checkUser(auction.value(QLatin1String("owner_id")));
        checkUser(auction.value(QLatin1String("high_bidder_id")));
    }
    if (!userMissing || m_userDirectoryLoading ||
        (m_userDirectoryAge.isValid() && m_userDirectoryAge.elapsed() < UserDirectoryMaxAgeMs))
        return;
    m_userDirectoryLoading = true;
    m_userDirectoryAge.start();
    const quint64 generation = m_generation;
    m_api->get(this, QStringLiteral("/api/admin/users?limit=%1").arg(UserDirectorySize),
               [this, generation](const ApiResult &result) {
                   if (generation != m_generation)
                       return;
                   m_userDirectoryLoading = false;
                   if (result.ok())
                       m_names.addUsers(result.json.value(QLatin1String("data")).toArray());
               });
}

void AdminConsole::setMemberChannel(const QString &channel)
{
    m_memberChannel = channel;
    updateMembers();
}

void AdminConsole::updateMembers()
{
    const QJsonObject channel = m_channels.objectWithId(m_memberChannel);
    m_members.setRows(channel.value(QLatin1String("members")).toArray());
}

// ---- Actions ---------------------------------------------------------------------------------

QString AdminConsole::userLabel(qint64 userId) const
{
    const QJsonObject user = m_users.objectWithId(userId);
    if (user.isEmpty())
        return m_names.userLabel(userId);
    return QStringLiteral("%1 <%2>").arg(string(user, "name"), string(user, "email"));
}

bool AdminConsole::perform(Action action)
{
    if (!isSignedIn()) {
        fail(action.title, tr("Sign in as an administrator first."), action.done);
        return false;
    }
    if (!action.question.isEmpty() && !m_confirmer(action.title, action.question))
        return false;
    const quint64 generation = m_generation;
    // Read before `action` moves into the callback (argument evaluation order is unspecified).
    const QByteArray method = action.method;
    const QString path = action.path;
    const QJsonObject body = action.body;
    m_api->request(this, method, path, body,
                   [this, generation, action = std::move(action)](const ApiResult &result) {
                       if (generation != m_generation)
                           return;
                       if (result.ok()) {
                           const QString message =
                               action.succeeded ? action.succeeded(result) : QString();
                           qCInfo(lcAdmin).noquote() << action.title << "done:" << message;
                           Q_EMIT actionSucceeded(message);
                           if (action.done)
                               action.done(true, message);
                       } else {
                           fail(action.title, readableError(result), action.done);
                       }
                       for (Table table : action.reload)
                           refresh(table);
                   });
    return true;
}

bool AdminConsole::banUser(qint64 userId, Done done)
{
    const QString who = userLabel(userId);
    return perform(
        {tr("Ban user"),
         tr("Ban %1?\n\nEvery token of the account is revoked and its live connections are "
            "closed. The user cannot sign in until unbanned.")
             .arg(who),
         "POST",
         QStringLiteral("/api/admin/users/%1/ban").arg(userId),
         {},
         [this, who, userId](const ApiResult &result) {
             QJsonObject user = result.json.value(QLatin1String("user")).toObject();
             user.insert(QLatin1String("connections"), 0);
             m_users.upsert(merged(m_users.objectWithId(userId), user));
             return tr("Banned %1; %2 closed.")
                 .arg(who, quantity(integer(result.json, "connections_closed"), tr("1 connection"),
                                    tr("%1 connections")));
         },
         {Table::Stats, Table::Channels},
         std::move(done)});
}

bool AdminConsole::unbanUser(qint64 userId, Done done)
{
    const QString who = userLabel(userId);
    return perform({tr("Unban user"),
                    {},
                    "POST",
                    QStringLiteral("/api/admin/users/%1/unban").arg(userId),
                    {},
                    [this, who, userId](const ApiResult &result) {
                        m_users.upsert(merged(m_users.objectWithId(userId),
                                              result.json.value(QLatin1String("user")).toObject()));
                        return tr("Unbanned %1; they can sign in again.").arg(who);
                    },
                    {Table::Stats},
                    std::move(done)});
}

bool AdminConsole::revokeTokens(qint64 userId, Done done)
{
    const QString who = userLabel(userId);
    return perform(
        {tr("Revoke tokens"),
         tr("Revoke every token of %1?\n\nThey are signed out on every device and "
            "have to sign in again.")
             .arg(who),
         "POST",
         QStringLiteral("/api/admin/users/%1/revoke-tokens").arg(userId),
         {},
         [who](const ApiResult &result) {
             return tr("Revoked %1 of %2.")
                 .arg(quantity(integer(result.json, "revoked"), tr("1 token"), tr("%1 tokens")),
                      who);
         },
         {Table::Users},
         std::move(done)});
}

bool AdminConsole::terminateConnections(qint64 userId, Done done)
{
    const QString who = userLabel(userId);
    return perform(
        {tr("Terminate connections"),
         tr("Close every live connection of %1?\n\nTheir apps may connect again.").arg(who),
         "POST",
         QStringLiteral("/api/admin/users/%1/terminate-connections").arg(userId),
         {},
         [who](const ApiResult &result) {
             return tr("Closed %1 of %2.")
                 .arg(quantity(integer(result.json, "connections_closed"), tr("1 connection"),
                               tr("%1 connections")),
                      who);
         },
         {Table::Users, Table::Channels, Table::Stats},
         std::move(done)});
}

bool AdminConsole::retryFailedJob(qint64 failedJobId, Done done)
{
    return perform({tr("Retry job"),
                    {},
                    "POST",
                    QStringLiteral("/api/admin/jobs/failed/%1/retry").arg(failedJobId),
                    {},
                    [this, failedJobId](const ApiResult &) {
                        m_failedJobs.removeId(failedJobId);
                        return tr("Failed job #%1 is queued again.").arg(failedJobId);
                    },
                    {Table::Jobs, Table::Stats},
                    std::move(done)});
}

bool AdminConsole::retryAllFailedJobs(Done done)
{
    return perform({tr("Retry all failed jobs"),
                    {},
                    "POST",
                    QStringLiteral("/api/admin/jobs/failed/retry-all"),
                    {},
                    [](const ApiResult &result) {
                        return tr("%1 queued again.")
                            .arg(quantity(integer(result.json, "retried"), tr("1 failed job"),
                                          tr("%1 failed jobs")));
                    },
                    {Table::Jobs, Table::Stats},
                    std::move(done)});
}

bool AdminConsole::deleteFailedJob(qint64 failedJobId, Done done)
{
    const QJsonObject job = m_failedJobs.objectWithId(failedJobId);
    return perform({tr("Delete failed job"),
                    tr("Delete failed job #%1 (%2) for good?\n\nIt will not run again.")
                        .arg(failedJobId)
                        .arg(string(job, "type")),
                    "DELETE",
                    QStringLiteral("/api/admin/jobs/failed/%1").arg(failedJobId),
                    {},
                    [this, failedJobId](const ApiResult &) {
                        m_failedJobs.removeId(failedJobId);
                        return tr("Deleted failed job #%1.").arg(failedJobId);
                    },
                    {Table::Jobs, Table::Stats},
                    std::move(done)});
}

bool AdminConsole::deletePendingJob(qint64 jobId, Done done)
{
    const QJsonObject job = m_pendingJobs.objectWithId(jobId);
    return perform({tr("Delete job"),
                    tr("Delete job #%1 (%2) before it runs?\n\nIts work will not be done.")
                        .arg(jobId)
                        .arg(string(job, "type")),
                    "DELETE",
                    QStringLiteral("/api/admin/jobs/%1").arg(jobId),
                    {},
                    [this, jobId](const ApiResult &) {
                        m_pendingJobs.removeId(jobId);
                        return tr("Deleted job #%1.").arg(jobId);
                    },
                    {Table::Jobs, Table::Stats},
                    std::move(done)});
}

bool AdminConsole::resolveEscrow(qint64 escrowId, Outcome outcome, const QString &reason, Done done)
{
    const bool release = outcome == Outcome::Release;
    const QString title = release ? tr("Release escrow") : tr("Refund escrow");
    if (reason.trimmed().isEmpty()) {
        fail(title, tr("Give a reason: it is recorded in the escrow's audit trail."), done);
        return false;
    }
    const QJsonObject escrow = m_escrows.objectWithId(escrowId);
    const QString domain = m_names.domainLabel(integer(escrow, "domain_id"));
    const QString question =
        release ? tr("Release escrow #%1 (%2) to the seller %3?\n\nThe escrow completes and "
                     "%4 is paid out to the seller.")
                      .arg(escrowId)
                      .arg(domain, m_names.userLabel(integer(escrow, "seller_id")),
                           format::money(integer(escrow, "payout_cents")))
                : tr("Refund escrow #%1 (%2) to the buyer %3?\n\n%4 goes back to the buyer.")
                      .arg(escrowId)
                      .arg(domain, m_names.userLabel(integer(escrow, "buyer_id")),
                           format::money(integer(escrow, "amount_cents")));
    return perform({title,
                    question,
                    "POST",
                    QStringLiteral("/api/admin/escrows/%1/resolve").arg(escrowId),
                    {{QLatin1String("outcome"),
                      release ? QStringLiteral("release") : QStringLiteral("refund")},
                     {QLatin1String("reason"), reason.trimmed()}},
                    [this, escrowId, release](const ApiResult &) {
                        m_escrows.removeId(escrowId);
                        return release ? tr("Escrow #%1 released to the seller.").arg(escrowId)
                                       : tr("Escrow #%1 refunded to the buyer.").arg(escrowId);
                    },
                    {Table::Escrows, Table::Stats},
                    std::move(done)});
}

bool AdminConsole::cancelAuction(qint64 domainId, const QString &reason, Done done)
{
    if (reason.trimmed().isEmpty()) {
        fail(tr("Cancel auction"), tr("Give a reason: bidders and the owner are told."), done);
        return false;
    }
    const QString domain = m_names.domainLabel(domainId);
    return perform({tr("Cancel auction"),
                    tr("Cancel the auction of %1?\n\nNobody wins, no escrow opens, and the owner "
                       "and the high bidder are told why.")
                        .arg(domain),
                    "POST",
                    QStringLiteral("/api/admin/auctions/%1/cancel").arg(domainId),
                    {{QLatin1String("reason"), reason.trimmed()}},
                    [this, domainId, domain](const ApiResult &) {
                        m_auctions.removeId(domainId);
                        return tr("The auction of %1 is cancelled.").arg(domain);
                    },
                    {Table::Auctions, Table::Stats},
                    std::move(done)});
}

bool AdminConsole::extendAuction(qint64 domainId, qint64 seconds, Done done)
{
    if (seconds < 1 || seconds > 7 * 24 * 3600) {
        fail(tr("Extend auction"), tr("Extend by 1 second to 7 days."), done);
        return false;
    }
    const QString domain = m_names.domainLabel(domainId);
    return perform({tr("Extend auction"),
                    {},
                    "POST",
                    QStringLiteral("/api/admin/auctions/%1/extend").arg(domainId),
                    {{QLatin1String("seconds"), seconds}},
                    [this, domainId, domain, seconds](const ApiResult &result) {
                        const QJsonObject updated =
                            result.json.value(QLatin1String("domain")).toObject();
                        if (m_auctions.rowOfId(domainId) >= 0)
                            m_auctions.upsert(merged(m_auctions.objectWithId(domainId), updated));
                        return tr("The auction of %1 is extended by %2; it now ends at %3.")
                            .arg(domain, format::duration(seconds),
                                 format::localTime(updated.value(QLatin1String("ends_at"))));
                    },
                    {Table::Auctions},
                    std::move(done)});
}

bool AdminConsole::announce(const QString &title, const QString &body, Done done)
{
    const QString name = tr("Send announcement");
    if (title.trimmed().isEmpty() || body.trimmed().isEmpty()) {
        fail(name, tr("Give the announcement a title and a text."), done);
        return false;
    }
    return perform(
        {name,
         tr("Send “%1” to every user who is not banned?\n\nIt is stored as a "
            "notification and shown live to everyone online.")
             .arg(title.trimmed()),
         "POST",
         QStringLiteral("/api/admin/announcements"),
         {{QLatin1String("title"), title.trimmed()}, {QLatin1String("body"), body.trimmed()}},
         [this](const ApiResult &result) {
             const int recipients = int(integer(result.json, "recipients"));
             Q_EMIT announcementSent(recipients);
             return tr("The announcement reached %1.")
                 .arg(quantity(recipients, tr("1 user"), tr("%1 users")));
         },
         {},
         std::move(done)});
}

} // namespace flippdeal::admin
