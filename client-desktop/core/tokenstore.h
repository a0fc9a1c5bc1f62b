// SPDX-License-Identifier: MIT
#pragma once

#include <QObject>
#include <QString>

#include <functional>

namespace flippdeal::client {

//! \brief Keeps API tokens in the system keychain (Secret Service, KWallet, macOS Keychain or
//! Windows Credential Store, through QtKeychain), never in a plain file: the insecure fallback is
//! off, so a machine without a keychain gets an error, not a token on disk.
//!
//! One entry per account, keyed by server and email, under the service name given at
//! construction ("FlippDeal Live" in the app, a throwaway name in tests).
class TokenStore : public QObject
{
    Q_OBJECT

public:
    //! `error` is empty on success; `token` is empty when nothing was stored.
    using ReadCallback = std::function<void(const QByteArray &token, const QString &error)>;
    using Callback = std::function<void(const QString &error)>;

    explicit TokenStore(QString service, QObject *parent = nullptr);

    QString service() const { return m_service; }

    void read(const QString &account, ReadCallback done);
    void write(const QString &account, const QByteArray &token, Callback done);
    //! Deleting an entry that does not exist succeeds.
    void remove(const QString &account, Callback done);

    //! The key of one account: `email@server` with the server's scheme, host and port.
    static QString accountKey(const QString &serverUrl, const QString &email);

private:
    QString m_service;
};

} // namespace flippdeal::client
