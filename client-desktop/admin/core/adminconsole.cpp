// SPDX-License-Identifier: MIT
#include "adminconsole.h"

#include "logging.h"

#include "apiclient.h"
#include "session.h"
#include "tokenstore.h"

#include <QJsonArray>
#include <QTime>

namespace flippdeal::admin {

using client::ApiResult;

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
    , m_lookup(*this, m_names)
    , m_stats(*this)
    , m_users(*this, m_names)
    , m_channels(*this)
    , m_pendingJobs(*this)
    , m_failedJobs(*this)
    , m_escrows(*this, m_lookup)
    , m_auctions(*this, m_lookup)
    , m_announcements(*this)
{
    m_poll.setInterval(2000);
    connect(&m_poll, &QTimer::timeout, this, [this] {
        m_auctions.setNow(QDateTime::currentDateTimeUtc());
        if (!m_stats.isLoading())
            m_stats.refresh();
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
    connectTools();
}

AdminConsole::~AdminConsole() = default;

template <class Model>
void AdminConsole::connectTool(Model &model, Table table)
{
    connect(&model, &Model::loaded, this, [this, table] { Q_EMIT refreshed(table); });
    connect(&model, &Model::loadFailed, this,
            [this, table](const QString &error) { Q_EMIT refreshFailed(table, error); });
}

void AdminConsole::connectTools()
{
    connectTool(m_stats, Table::Stats);
    connectTool(m_users, Table::Users);
    connectTool(m_channels, Table::Channels);
    connectTool(m_escrows, Table::Escrows);
    connectTool(m_auctions, Table::Auctions);
    // Two lists, one table of the UI: refreshed(Jobs) once both have answered.
    for (JsonTableModel *jobs : {static_cast<JsonTableModel *>(&m_pendingJobs),
                                 static_cast<JsonTableModel *>(&m_failedJobs)}) {
        connect(jobs, &JsonTableModel::loaded, this, &AdminConsole::jobsAnswered);
        connect(jobs, &JsonTableModel::loadFailed, this, &AdminConsole::jobsAnswered);
    }
    connect(&m_users, &UsersToolModel::totalChanged, this, &AdminConsole::userTotalChanged);
    connect(&m_announcements, &AnnouncementTool::sent, this, &AdminConsole::announcementSent);
}

void AdminConsole::jobsAnswered()
{
    if (m_pendingJobs.isLoading() || m_failedJobs.isLoading())
        return;
    const QString error = !m_pendingJobs.errorString().isEmpty() ? m_pendingJobs.errorString()
                                                                 : m_failedJobs.errorString();
    if (error.isEmpty())
        Q_EMIT refreshed(Table::Jobs);
    else
        Q_EMIT refreshFailed(Table::Jobs, error);
}

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
    switch (m_session->status()) {
    case client::Session::Status::Restoring:
        status = Status::Restoring;
        break;
    case client::Session::Status::SigningIn:
        status = Status::SigningIn;
        break;
    case client::Session::Status::SignedIn:
        if (m_session->role() == QLatin1String("admin"))
            status = Status::SignedIn;
        break;
    case client::Session::Status::SignedOut:
        break;
    }
    if (status == m_status)
        return;
    const bool wasSignedIn = m_status == Status::SignedIn;
    m_status = status;
    if (status == Status::SignedIn) {
        startSession();
        return;
    }
    if (wasSignedIn)
        endSession();
    Q_EMIT statusChanged();
    if (wasSignedIn) {
        Q_EMIT accountChanged();
        Q_EMIT signedOut();
    }
}

void AdminConsole::startSession()
{
    ++m_generation;
    setError({});
    m_lookup.reset();
    m_poll.start();
    Q_EMIT statusChanged();
    Q_EMIT accountChanged();
    Q_EMIT signedIn();
    refreshAll();
}

void AdminConsole::endSession()
{
    ++m_generation;
    m_poll.stop();
    m_lookup.reset();
    m_stats.clear();
    m_users.reset();
    m_channels.reset();
    m_pendingJobs.clear();
    m_failedJobs.clear();
    m_escrows.clear();
    m_auctions.clear();
    m_announcements.reset();
    Q_EMIT userTotalChanged();
}

// ---- Errors ----------------------------------------------------------------------------------

QString AdminConsole::readableError(const ApiResult &result)
{
    if (result.status == 0)
        return tr("The server cannot be reached: %1").arg(result.errorString);
    return result.reason();
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

bool AdminConsole::refuse(const QString &title, const QString &error, const Done &done)
{
    fail(title, error, done);
    return false;
}

// ---- Requests of the tools -------------------------------------------------------------------

void AdminConsole::refreshAll()
{
    for (Table table : {Table::Stats, Table::Users, Table::Channels, Table::Jobs, Table::Escrows,
                        Table::Auctions})
        refresh(table);
}

void AdminConsole::refresh(Table table)
{
    switch (table) {
    case Table::Stats:
        return m_stats.refresh();
    case Table::Users:
        return m_users.refresh();
    case Table::Channels:
        return m_channels.refresh();
    case Table::Jobs:
        m_pendingJobs.refresh();
        return m_failedJobs.refresh();
    case Table::Escrows:
        return m_escrows.refresh();
    case Table::Auctions:
        return m_auctions.refresh();
    }
}

void AdminConsole::fetch(QObject *owner, const QString &path, Taken taken, Failed failed)
{
    const quint64 generation = m_generation;
    m_api->get(owner, path, [=, this](const ApiResult &result) {
        if (generation != m_generation)
            return;
        if (result.ok()) {
            m_lastRefreshError.clear();
            taken(result);
            return;
        }
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
        failed(error);
    });
}

bool AdminConsole::perform(Action action)
{
    if (!isSignedIn())
        return refuse(action.title, tr("Sign in as an administrator first."), action.done);
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

} // namespace flippdeal::admin
