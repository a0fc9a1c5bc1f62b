// SPDX-License-Identifier: MIT
#include "session.h"

#include "apiclient.h"
#include "tokenstore.h"

#include <QJsonArray>
#include <QUrl>

namespace flippdeal::client {

Session::Session(ApiClient &api, TokenStore &tokens, QSettings &settings, QObject *parent)
    : QObject(parent)
    , m_api(api)
    , m_tokens(tokens)
    , m_settings(settings)
{
    m_serverUrl = m_settings.value(QStringLiteral("session/server")).toString();
    m_email = m_settings.value(QStringLiteral("session/email")).toString();
    connect(&m_api, &ApiClient::unauthorized, this, [this] {
        if (isSignedIn())
            dropSession(tr("Your session has ended. Please sign in again."));
    });
}

QString Session::normalizeServerUrl(const QString &input)
{
    QString text = input.trimmed();
    if (text.isEmpty())
        return {};
    if (!text.contains(QLatin1String("://")))
        text.prepend(QLatin1String("http://"));
    QUrl url(text, QUrl::StrictMode);
    if (!url.isValid() || url.host().isEmpty() ||
        (url.scheme() != QLatin1String("http") && url.scheme() != QLatin1String("https")))
        return {};
    url = url.adjusted(QUrl::RemoveQuery | QUrl::RemoveFragment | QUrl::StripTrailingSlash);
    if (url.path() == QLatin1String("/"))
        url.setPath(QString()); // StripTrailingSlash keeps a lone "/"
    return url.toString();
}

QString Session::accountKey() const
{
    return TokenStore::accountKey(m_serverUrl, m_email);
}

void Session::setStatus(Status status)
{
    if (status == m_status)
        return;
    m_status = status;
    Q_EMIT statusChanged();
}

void Session::setError(const QString &error)
{
    if (error == m_errorString)
        return;
    m_errorString = error;
    Q_EMIT errorStringChanged();
}

void Session::setKeychainWarning(const QString &warning)
{
    if (warning == m_keychainWarning)
        return;
    m_keychainWarning = warning;
    Q_EMIT keychainWarningChanged();
}

void Session::restore()
{
    if (isBusy() || isSignedIn() || m_serverUrl.isEmpty() || m_email.isEmpty())
        return;
    m_requests.reset();
    setStatus(Status::Restoring);
    m_tokens.read(
        accountKey(), m_requests.guard([this](const QByteArray &token, const QString &error) {
            if (!error.isEmpty() || token.isEmpty()) {
                setError(error);
                setStatus(Status::SignedOut);
                return;
            }
            m_api.setBaseUrl(QUrl(m_serverUrl + QLatin1Char('/')));
            m_api.setToken(token);
            m_api.get(QStringLiteral("/api/me"), m_requests.guard([this](const ApiResult &result) {
                if (result.ok()) {
                    acceptUser(result.json.value(QLatin1String("user")).toObject());
                } else if (result.status == 0) {
                    // The server is away: work offline as the remembered user; the realtime client
                    // keeps retrying and the outbox keeps what is typed meanwhile.
                    m_userId = m_settings.value(QStringLiteral("session/user_id")).toLongLong();
                    m_userName = m_settings.value(QStringLiteral("session/user_name")).toString();
                    m_role = m_settings.value(QStringLiteral("session/role")).toString();
                    if (m_userId <= 0) {
                        setError(result.errorString);
                        setStatus(Status::SignedOut);
                        return;
                    }
                    Q_EMIT accountChanged();
                    setError({});
                    setStatus(Status::SignedIn);
                    Q_EMIT signedIn();
                } else {
                    dropSession(tr("Your session has ended. Please sign in again."));
                }
            }));
        }));
}

void Session::signIn(const QString &serverUrl, const QString &email, const QString &password)
{
    if (email.trimmed().isEmpty() || password.isEmpty()) {
        setError(tr("Enter your email and password."));
        return;
    }
    authenticate(
        serverUrl, "/api/login",
        {{QLatin1String("email"), email.trimmed()}, {QLatin1String("password"), password}});
}

void Session::registerAccount(const QString &serverUrl, const QString &name, const QString &email,
                              const QString &password)
{
    if (name.trimmed().isEmpty() || email.trimmed().isEmpty() || password.isEmpty()) {
        setError(tr("Enter your name, email and a password."));
        return;
    }
    authenticate(serverUrl, "/api/register",
                 {{QLatin1String("name"), name.trimmed()},
                  {QLatin1String("email"), email.trimmed()},
                  {QLatin1String("password"), password}});
}

void Session::authenticate(const QString &serverUrl, const QByteArray &path,
                           const QJsonObject &body)
{
    if (isBusy() || isSignedIn())
        return;
    const QString server = normalizeServerUrl(serverUrl);
    if (server.isEmpty()) {
        setError(tr("Enter the server's address, for example http://127.0.0.1:6001."));
        return;
    }
    m_requests.reset();
    setError({});
    setStatus(Status::SigningIn);
    m_api.setBaseUrl(QUrl(server + QLatin1Char('/')));
    m_api.setToken({});
    m_api.request("POST", QString::fromLatin1(path), body,
                  m_requests.guard([this, server](const ApiResult &result) {
                      if (!result.ok()) {
                          setError(result.status == 0
                                       ? tr("Cannot reach %1: %2").arg(server, result.errorString)
                                       : result.reason());
                          setStatus(Status::SignedOut);
                          return;
                      }
                      const QByteArray token =
                          result.json.value(QLatin1String("token")).toString().toUtf8();
                      const QJsonObject user = result.json.value(QLatin1String("user")).toObject();
                      m_serverUrl = server;
                      m_email = user.value(QLatin1String("email")).toString();
                      m_api.setToken(token);
                      m_settings.setValue(QStringLiteral("session/server"), m_serverUrl);
                      m_settings.setValue(QStringLiteral("session/email"), m_email);
                      m_tokens.write(accountKey(), token, [this](const QString &error) {
                          setKeychainWarning(
                              error.isEmpty()
                                  ? QString()
                                  : tr("%1 You will have to sign in again next time.").arg(error));
                      });
                      acceptUser(user);
                  }));
}

void Session::acceptUser(const QJsonObject &user)
{
    m_userId = user.value(QLatin1String("id")).toInteger();
    m_userName = user.value(QLatin1String("name")).toString();
    m_role = user.value(QLatin1String("role")).toString();
    m_settings.setValue(QStringLiteral("session/user_id"), m_userId);
    m_settings.setValue(QStringLiteral("session/user_name"), m_userName);
    m_settings.setValue(QStringLiteral("session/role"), m_role);
    m_settings.sync();
    Q_EMIT accountChanged();
    setError({});
    setStatus(Status::SignedIn);
    Q_EMIT signedIn();
}

void Session::signOut()
{
    if (!isSignedIn())
        return;
    // Revoke on the server (best effort: an unreachable server cannot be told), then forget.
    m_api.request("POST", QStringLiteral("/api/logout"), {}, nullptr);
    dropSession({});
}

void Session::dropSession(const QString &reason)
{
    m_requests.reset();
    m_tokens.remove(accountKey(), [this](const QString &error) { setKeychainWarning(error); });
    m_api.setToken({});
    m_userId = 0;
    m_userName.clear();
    m_role.clear();
    m_settings.remove(QStringLiteral("session/user_id"));
    m_settings.remove(QStringLiteral("session/user_name"));
    m_settings.remove(QStringLiteral("session/role"));
    Q_EMIT accountChanged();
    setError(reason);
    const bool wasSignedIn = isSignedIn();
    setStatus(Status::SignedOut);
    if (wasSignedIn)
        Q_EMIT signedOut();
}

} // namespace flippdeal::client
