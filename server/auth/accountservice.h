// SPDX-License-Identifier: MIT
#pragma once

#include "core/result.h"

#include "protocol/types.h"

#include <QFuture>
#include <QJsonObject>
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

    //! \brief A user as operators see it.
    struct UserRecord
    {
        protocol::User user;
        std::optional<qint64> bannedAt;
        qint64 createdAt = 0;
        qint64 tokens = 0; //!< live tokens
        QJsonObject toJson() const;
    };
    //! Users whose name or email contains `search` (all when empty), by id; `total` counts all
    //! matches.
    Expected<QList<UserRecord>> listUsers(const QString &search, int limit, int offset,
                                          qint64 *total = nullptr);
    Expected<UserRecord> userRecord(qint64 id);
    //! Bans (revoking every token) or unbans a user. Admins cannot be banned.
    Expected<UserRecord> setBanned(qint64 id, bool banned, qint64 nowMs);
    //! Revokes every token of a user; returns how many.
    Expected<int> revokeAllTokens(qint64 id);
    //! Finds a user by email (lower-cased), for the CLI.
    std::optional<protocol::User> findUserByEmail(const QString &email);

    //! Validation shared by the API and the CLI. Fills `errors` (field → messages).
    static void validateRegistration(const QString &name, const QString &email,
                                     const QString &password, ApiError &errors);

Q_SIGNALS:
    //! A token was revoked by logout(); `tokenDigest` is what is stored for it (the gateway
    //! closes the WebSockets that authenticated with it).
    void signedOut(const QByteArray &tokenDigest);

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
