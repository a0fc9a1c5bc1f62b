// SPDX-License-Identifier: MIT
#pragma once

#include "requestgeneration.h"

#include <QObject>
#include <QPointer>
#include <QSettings>
#include <QString>
#include <QtQmlIntegration/qqmlintegration.h>

namespace flippdeal::client {

class ApiClient;
class TokenStore;
struct ApiResult;

//! \brief Who is signed in, to which server. Signs in, registers, restores the last session from
//! the keychain at start-up and signs out (revoking the token on the server and deleting it from
//! the keychain). The server address and email are remembered in QSettings; the token only in
//! the keychain.
class Session : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("The session belongs to AppContext")
    Q_PROPERTY(Status status READ status NOTIFY statusChanged)
    Q_PROPERTY(bool busy READ isBusy NOTIFY statusChanged)
    Q_PROPERTY(QString serverUrl READ serverUrl NOTIFY accountChanged)
    Q_PROPERTY(QString email READ email NOTIFY accountChanged)
    Q_PROPERTY(qint64 userId READ userId NOTIFY accountChanged)
    Q_PROPERTY(QString userName READ userName NOTIFY accountChanged)
    Q_PROPERTY(QString role READ role NOTIFY accountChanged)
    Q_PROPERTY(QString errorString READ errorString NOTIFY errorStringChanged)
    //! Set when signed in but the token could not be kept in the keychain.
    Q_PROPERTY(QString keychainWarning READ keychainWarning NOTIFY keychainWarningChanged)

public:
    enum class Status
    {
        SignedOut,
        Restoring, //!< signing in with the token kept in the keychain
        SigningIn, //!< with a password, or registering
        SignedIn
    };
    Q_ENUM(Status)

    Session(ApiClient &api, TokenStore &tokens, QSettings &settings, QObject *parent = nullptr);

    Status status() const { return m_status; }
    bool isBusy() const { return m_status == Status::Restoring || m_status == Status::SigningIn; }
    bool isSignedIn() const { return m_status == Status::SignedIn; }
    QString serverUrl() const { return m_serverUrl; }
    QString email() const { return m_email; }
    qint64 userId() const { return m_userId; }
    QString userName() const { return m_userName; }
    QString role() const { return m_role; }
    QString errorString() const { return m_errorString; }
    QString keychainWarning() const { return m_keychainWarning; }

    //! Signs in with the token kept for the last account, if any; otherwise stays signed out.
    Q_INVOKABLE void restore();
    Q_INVOKABLE void signIn(const QString &serverUrl, const QString &email,
                            const QString &password);
    Q_INVOKABLE void registerAccount(const QString &serverUrl, const QString &name,
                                     const QString &email, const QString &password);
    Q_INVOKABLE void signOut();

    //! `127.0.0.1:6001` → `http://127.0.0.1:6001`; empty when it is not an http(s) address.
    static QString normalizeServerUrl(const QString &input);

Q_SIGNALS:
    void statusChanged();
    void accountChanged();
    void errorStringChanged();
    void keychainWarningChanged();
    void signedIn();
    void signedOut();

private:
    void setStatus(Status status);
    void setError(const QString &error);
    void setKeychainWarning(const QString &warning);
    void authenticate(const QString &serverUrl, const QByteArray &path, const QJsonObject &body);
    void acceptUser(const QJsonObject &user);
    void dropSession(const QString &reason);
    QString accountKey() const;

    ApiClient &m_api;
    TokenStore &m_tokens;
    QSettings &m_settings;
    Status m_status = Status::SignedOut;
    QString m_serverUrl;
    QString m_email;
    qint64 m_userId = 0;
    QString m_userName;
    QString m_role;
    QString m_errorString;
    QString m_keychainWarning;
    RequestGeneration m_requests; // answers to requests of an earlier open() or attempt are dropped
};

} // namespace flippdeal::client
