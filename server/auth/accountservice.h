// SPDX-License-Identifier: MIT
#pragma once

#include "core/result.h"

#include "protocol/types.h"

#include <QFuture>
#include <QObject>

#include <optional>

namespace flippdeal::server {

class Database;

//! \brief A signed-in user and the bearer token just issued to them.
struct AuthSession
{
    protocol::User user;
    QByteArray token;
};

//! \brief Accounts and bearer tokens: register, log in, log out, resolve a token. Password
//! hashing runs on the thread pool; the database is touched on the owner's thread only.
class AccountService : public QObject
{
    Q_OBJECT

public:
    explicit AccountService(Database &db, QObject *parent = nullptr);

    QFuture<Expected<AuthSession>> registerUser(const QString &name, const QString &email,
                                                const QString &password);
    QFuture<Expected<AuthSession>> login(const QString &email, const QString &password);
    //! Revokes the token at once. False when it was not valid.
    bool logout(const QByteArray &token);
    //! The user a bearer token belongs to; nullopt for unknown, revoked or banned.
    std::optional<protocol::User> authenticate(const QByteArray &token);
    std::optional<protocol::User> findUser(qint64 id);

    //! For the CLI: creates a user, hashing on the calling thread.
    Expected<protocol::User> createUserBlocking(const QString &name, const QString &email,
                                                const QString &password, const QString &role);

    //! Validation shared by the API and the CLI. Fills `errors` (field → messages).
    static void validateRegistration(const QString &name, const QString &email,
                                     const QString &password, ApiError &errors);

private:
    Expected<protocol::User> insertUser(const QString &name, const QString &email,
                                        const QByteArray &passwordHash, const QString &role);
    Expected<QByteArray> issueToken(qint64 userId);

    Database &m_db;
    // Verified against for unknown emails, so timing does not reveal which emails exist.
    // Computed once, on the thread pool, the first time it is needed.
    QFuture<QByteArray> m_dummyHash;
};

} // namespace flippdeal::server
