// SPDX-License-Identifier: MIT
#pragma once

#include "admintablemodels.h"
#include "statsmodel.h"

#include <QElapsedTimer>
#include <QJsonObject>
#include <QObject>
#include <QSet>
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

//! \brief The admin console's controller: signs an administrator in (token in the keychain,
//! through the client core's Session), polls the live stats, keeps one model per table of the
//! admin API (docs/admin.md) and performs the operators' actions.
//!
//! Destructive actions ask the confirmer first (a QMessageBox in the app, a scripted answer in
//! tests). Every failure reaches the user interface through actionFailed() or refreshFailed()
//! and the recentErrors() list, not only the log.
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

    enum class Outcome
    {
        Release, //!< the escrow completes and the seller is paid
        Refund,  //!< the buyer gets the money back
    };
    Q_ENUM(Outcome)

    //! Asks the user; true to go ahead.
    using Confirmer = std::function<bool(const QString &title, const QString &question)>;
    //! The end of an action: success and a readable message (the error on failure).
    using Done = std::function<void(bool ok, const QString &message)>;

    //! The text shown when a signed-in account has another role than `admin`.
    static QString notAdministratorMessage();
    //! How many failures recentErrors() keeps.
    static constexpr int RecentErrorLimit = 20;

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

    StatsModel *stats() { return &m_stats; }
    UserTableModel *users() { return &m_users; }
    ChannelTableModel *channels() { return &m_channels; }
    MemberTableModel *members() { return &m_members; }
    PendingJobTableModel *pendingJobs() { return &m_pendingJobs; }
    FailedJobTableModel *failedJobs() { return &m_failedJobs; }
    EscrowTableModel *escrows() { return &m_escrows; }
    AuctionTableModel *auctions() { return &m_auctions; }
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
    //! Searches users by name or email (empty: all) and refreshes the Users table.
    void setUserSearch(const QString &search);
    QString userSearch() const { return m_userSearch; }
    //! How many users match the search (the table holds the first UserPageSize).
    qint64 userTotal() const { return m_userTotal; }
    static constexpr int UserPageSize = 200;
    //! Shows the presence members of `channel` in members() (empty: none).
    void setMemberChannel(const QString &channel);
    QString memberChannel() const { return m_memberChannel; }

    // Actions. Each returns false when it did not start (not signed in, declined, bad input).
    bool banUser(qint64 userId, Done done = {});
    bool unbanUser(qint64 userId, Done done = {});
    bool revokeTokens(qint64 userId, Done done = {});
    bool terminateConnections(qint64 userId, Done done = {});
    bool retryFailedJob(qint64 failedJobId, Done done = {});
    bool retryAllFailedJobs(Done done = {});
    bool deleteFailedJob(qint64 failedJobId, Done done = {});
    bool deletePendingJob(qint64 jobId, Done done = {});
    bool resolveEscrow(qint64 escrowId, Outcome outcome, const QString &reason, Done done = {});
    bool cancelAuction(qint64 domainId, const QString &reason, Done done = {});
    bool extendAuction(qint64 domainId, qint64 seconds, Done done = {});
    bool announce(const QString &title, const QString &body, Done done = {});

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
    struct Action
    {
        QString title;    //!< names the action in errors and confirmations
        QString question; //!< asked first when not empty
        QByteArray method;
        QString path;
        QJsonObject body;
        //! The message on success (may update models).
        std::function<QString(const client::ApiResult &)> succeeded;
        //! The tables to reload afterwards, whatever the outcome.
        QList<Table> reload;
        Done done;
    };

    bool perform(Action action);
    void fail(const QString &title, const QString &error, const Done &done);
    void pushError(const QString &error);
    void setError(const QString &error);
    void updateStatus();
    void onSessionSignedIn();
    void loadTable(Table table);
    void learnNames();
    void updateMembers();
    QString userLabel(qint64 userId) const;
    static QString readableError(const client::ApiResult &result);

    std::unique_ptr<client::ApiClient> m_api;
    std::unique_ptr<client::TokenStore> m_tokens;
    std::unique_ptr<client::Session> m_session;
    Confirmer m_confirmer;
    Status m_status = Status::SignedOut;
    QString m_errorString;
    QStringList m_recentErrors;
    QString m_lastRefreshError;

    NameDirectory m_names;
    StatsModel m_stats;
    UserTableModel m_users;
    ChannelTableModel m_channels;
    MemberTableModel m_members;
    PendingJobTableModel m_pendingJobs;
    FailedJobTableModel m_failedJobs;
    EscrowTableModel m_escrows;
    AuctionTableModel m_auctions;

    QTimer m_poll;
    QSet<int> m_loading; // tables with a request in flight
    QSet<qint64> m_domainLookups;
    QElapsedTimer m_userDirectoryAge;
    bool m_userDirectoryLoading = false;
    QString m_userSearch;
    qint64 m_userTotal = 0;
    QString m_memberChannel;
    quint64 m_generation = 0; // answers for an earlier sign-in are dropped
};

} // namespace flippdeal::admin
