// SPDX-License-Identifier: MIT
#pragma once

#include "admintool.h"
#include "announcementtool.h"
#include "auctionstoolmodel.h"
#include "channelstoolmodel.h"
#include "escrowstoolmodel.h"
#include "failedjobstoolmodel.h"
#include "namelookup.h"
#include "pendingjobstoolmodel.h"
#include "statstoolmodel.h"
#include "userstoolmodel.h"

#include <QJsonObject>
#include <QObject>
#include <QSettings>
#include <QStringList>
#include <QTimer>

#include <functional>
#include <memory>

namespace flippdeal::client {
class ApiClient;
class Session;
class TokenStore;
struct ApiResult;
} // namespace flippdeal::client

namespace flippdeal::admin {

//! \brief The admin console's session: signs an administrator in (token in the keychain, through
//! the client core's Session), polls the live stats, keeps the recent errors, and holds one tool
//! model per area of the admin API (docs/admin.md).
//!
//! Each tool fetches its own rows through load() and carries out its own actions through
//! perform(); the console drops answers that belong to an earlier sign-in, asks the confirmer
//! before destructive actions (a QMessageBox in the app, a scripted answer in tests), and brings
//! every failure to the user interface through actionFailed() or refreshFailed() and the
//! recentErrors() list, not only the log.
class AdminConsole : public QObject
{
    Q_OBJECT
    Q_PROPERTY(Status status READ status NOTIFY statusChanged)
    Q_PROPERTY(QString errorString READ errorString NOTIFY errorStringChanged)
    Q_PROPERTY(QString serverUrl READ serverUrl NOTIFY accountChanged)
    Q_PROPERTY(QString adminName READ adminName NOTIFY accountChanged)
    Q_PROPERTY(QString email READ email NOTIFY accountChanged)
    Q_PROPERTY(QStringList recentErrors READ recentErrors NOTIFY recentErrorsChanged)

public:
    enum class Status
    {
        SignedOut,
        Restoring, //!< reading the kept token and checking it
        SigningIn,
        SignedIn, //!< as an administrator
    };
    Q_ENUM(Status)

    //! The tables, for refreshed() and refresh().
    enum class Table
    {
        Stats,
        Users,
        Channels,
        Jobs, //!< pending and failed
        Escrows,
        Auctions,
    };
    Q_ENUM(Table)

    using Outcome = EscrowsToolModel::Outcome;
    using Done = admin::Done;
    //! Asks the user; true to go ahead.
    using Confirmer = std::function<bool(const QString &title, const QString &question)>;

    //! One request of a tool's action, run by perform().
    struct Action
    {
        QString title;    //!< names the action in errors and confirmations
        QString question; //!< asked first when not empty
        QByteArray method;
        QString path;
        QJsonObject body;
        //! The message on success (may update the tool's rows).
        std::function<QString(const client::ApiResult &)> succeeded;
        //! The tables to reload afterwards, whatever the outcome.
        QList<Table> reload;
        Done done;
    };

    //! The text shown when a signed-in account has another role than `admin`.
    static QString notAdministratorMessage();
    //! How many failures recentErrors() keeps.
    static constexpr int RecentErrorLimit = 20;
    static constexpr int UserPageSize = UsersToolModel::PageSize;

    //! `keychainService` names the keychain entries (a throwaway name in tests).
    AdminConsole(QSettings &settings, const QString &keychainService, QObject *parent = nullptr);
    ~AdminConsole() override;

    client::ApiClient &api() { return *m_api; }
    client::Session &session() { return *m_session; }

    Status status() const { return m_status; }
    bool isSignedIn() const { return m_status == Status::SignedIn; }
    QString errorString() const { return m_errorString; }
    QString serverUrl() const;
    QString adminName() const;
    QString email() const;
    //! Set when the token could not be kept in the keychain.
    QString keychainWarning() const;
    QStringList recentErrors() const { return m_recentErrors; }

    // The tools
    StatsToolModel *stats() { return &m_stats; }
    UsersToolModel *users() { return &m_users; }
    ChannelsToolModel *channels() { return &m_channels; }
    MemberTableModel *members() { return m_channels.members(); }
    PendingJobsToolModel *pendingJobs() { return &m_pendingJobs; }
    FailedJobsToolModel *failedJobs() { return &m_failedJobs; }
    EscrowsToolModel *escrows() { return &m_escrows; }
    AuctionsToolModel *auctions() { return &m_auctions; }
    AnnouncementTool *announcements() { return &m_announcements; }
    const NameDirectory &names() const { return m_names; }

    //! Replaces the confirmation question (by default every action goes ahead).
    void setConfirmer(Confirmer confirmer) { m_confirmer = std::move(confirmer); }
    //! The stats poll interval while signed in (default 2000 ms).
    void setPollInterval(int ms) { m_poll.setInterval(ms); }
    int pollInterval() const { return m_poll.interval(); }

    // Session
    //! Signs in with the token kept in the keychain for the last account, if any.
    void restore();
    void signIn(const QString &serverUrl, const QString &email, const QString &password);
    void signOut();

    // Tables
    void refresh(Table table);
    void refreshAll();

    // For the tools
    //! Answers of requests made before this value changed belong to an earlier sign-in.
    quint64 generation() const { return m_generation; }
    //! GETs `path` into `model` (a tool): sets its `loading`, hands a good answer to `taken`,
    //! and sets its `errorString` on failure (listed in recentErrors() once while it repeats).
    //! A 403 means the account lost the admin role: the console signs out.
    template <class Model>
    void load(Model &model, const QString &path,
              std::function<void(const client::ApiResult &)> taken);
    //! Runs a tool's action: refuses when signed out, asks the confirmer, sends the request and
    //! reports the outcome (actionSucceeded(), actionFailed(), recentErrors(), `done`).
    bool perform(Action action);
    //! Reports an action that did not start (bad input); returns false.
    bool refuse(const QString &title, const QString &error, const Done &done);

    // Shortcuts to the tools' actions and settings (the tools own them).
    void setUserSearch(const QString &search) { m_users.setSearch(search); }
    QString userSearch() const { return m_users.search(); }
    qint64 userTotal() const { return m_users.total(); }
    void setMemberChannel(const QString &channel) { m_channels.setMemberChannel(channel); }
    QString memberChannel() const { return m_channels.memberChannel(); }
    bool banUser(qint64 userId, Done done = {}) { return m_users.ban(userId, std::move(done)); }
    bool unbanUser(qint64 userId, Done done = {}) { return m_users.unban(userId, std::move(done)); }
    bool revokeTokens(qint64 userId, Done done = {})
    {
        return m_users.revokeTokens(userId, std::move(done));
    }
    bool terminateConnections(qint64 userId, Done done = {})
    {
        return m_users.terminateConnections(userId, std::move(done));
    }
    bool retryFailedJob(qint64 id, Done done = {})
    {
        return m_failedJobs.retry(id, std::move(done));
    }
    bool retryAllFailedJobs(Done done = {}) { return m_failedJobs.retryAll(std::move(done)); }
    bool deleteFailedJob(qint64 id, Done done = {})
    {
        return m_failedJobs.remove(id, std::move(done));
    }
    bool deletePendingJob(qint64 id, Done done = {})
    {
        return m_pendingJobs.remove(id, std::move(done));
    }
    bool resolveEscrow(qint64 escrowId, Outcome outcome, const QString &reason, Done done = {})
    {
        return m_escrows.resolve(escrowId, outcome, reason, std::move(done));
    }
    bool cancelAuction(qint64 domainId, const QString &reason, Done done = {})
    {
        return m_auctions.cancel(domainId, reason, std::move(done));
    }
    bool extendAuction(qint64 domainId, qint64 seconds, Done done = {})
    {
        return m_auctions.extend(domainId, seconds, std::move(done));
    }
    bool announce(const QString &title, const QString &body, Done done = {})
    {
        return m_announcements.send(title, body, std::move(done));
    }

Q_SIGNALS:
    void statusChanged();
    void errorStringChanged();
    void accountChanged();
    void keychainWarningChanged();
    void recentErrorsChanged();
    void userTotalChanged();
    //! An administrator is signed in (the tables start loading).
    void signedIn();
    //! The administrator signed out, or the session ended; the tables are empty again.
    void signedOut();
    //! A table answered and its model holds the answer.
    void refreshed(flippdeal::admin::AdminConsole::Table table);
    //! A table could not be loaded.
    void refreshFailed(flippdeal::admin::AdminConsole::Table table, const QString &error);
    //! An action was carried out; `message` says what happened.
    void actionSucceeded(const QString &message);
    //! An action failed; `title` names it, `error` is the server's reason.
    void actionFailed(const QString &title, const QString &error);
    //! An announcement reached `recipients` users.
    void announcementSent(int recipients);

private:
    using Taken = std::function<void(const client::ApiResult &)>;
    using Failed = std::function<void(const QString &error)>;

    void fetch(QObject *owner, const QString &path, Taken taken, Failed failed);
    void fail(const QString &title, const QString &error, const Done &done);
    void pushError(const QString &error);
    void setError(const QString &error);
    void updateStatus();
    void startSession();
    void endSession();
    void onSessionSignedIn();
    void connectTools();
    template <class Model>
    void connectTool(Model &model, Table table);
    void jobsAnswered();
    static QString readableError(const client::ApiResult &result);

    std::unique_ptr<client::ApiClient> m_api;
    std::unique_ptr<client::TokenStore> m_tokens;
    std::unique_ptr<client::Session> m_session;
    Confirmer m_confirmer;
    Status m_status = Status::SignedOut;
    QString m_errorString;
    QStringList m_recentErrors;
    QString m_lastRefreshError;
    QTimer m_poll;
    quint64 m_generation = 0; // answers for an earlier sign-in are dropped

    NameDirectory m_names;
    NameLookup m_lookup;
    StatsToolModel m_stats;
    UsersToolModel m_users;
    ChannelsToolModel m_channels;
    PendingJobsToolModel m_pendingJobs;
    FailedJobsToolModel m_failedJobs;
    EscrowsToolModel m_escrows;
    AuctionsToolModel m_auctions;
    AnnouncementTool m_announcements;
};

template <class Model>
void AdminConsole::load(Model &model, const QString &path, Taken taken)
{
    model.beginLoading();
    fetch(
        &model, path,
        [&model, taken = std::move(taken)](const client::ApiResult &result) {
            taken(result);
            model.finishLoading();
        },
        [&model](const QString &error) { model.finishLoading(error); });
}

} // namespace flippdeal::admin
