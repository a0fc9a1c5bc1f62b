// SPDX-License-Identifier: MIT
#pragma once

#include "auth/attemptlimiter.h"
#include "auth/tokentable.h"
#include "auth/user.h"
#include "auth/usertable.h"
#include "core/fairqueue.h"
#include "core/result.h"

#include "protocol/types.h"

#include <QFuture>
#include <QHostAddress>
#include <QJsonObject>
#include <QObject>
#include <QSet>
#include <QTimer>

#include <functional>
#include <optional>

namespace flippdeal::server {

class Database;
class ReadPool;
class EventStore;

//! \brief A signed-in user and the bearer token just issued to them.
struct AuthSession
{
    protocol::User user;
    QByteArray token;
};

//! \brief The limits of sign-in and of tokens (Config's settings of the same names).
struct AccountLimits
{
    qint64 tokenIdleMs = qint64(30) * 24 * 3600 * 1000; //!< a token unused this long expires
    int attemptsPerIpPerMinute = 60;     //!< sign-ins and registrations per address; 0: off
    int failuresPerAccountPerMinute = 5; //!< failed sign-ins per email address; 0: off
    int hashWorkers = 2;                 //!< Argon2 hashes computed at once
    int hashQueue = 16;                  //!< hashes waiting beyond those; more get 503
};

//! \brief Accounts and bearer tokens: register, log in, log out, resolve a token. Password
//! hashing runs on a bounded, fair FairQueue, behind per-address and per-account throttles; the
//! database is touched on the owner's thread only.
class AccountService : public QObject
{
    Q_OBJECT

public:
    explicit AccountService(Database &db, AccountLimits limits = {}, QObject *parent = nullptr);

    //! Hands the writes of sign-ups, sign-ins, sign-outs, token use, bans and revocations to
    //! `events`' writer thread (the serve process). Without it they run in place (the CLI). Not
    //! owned.
    void setEventStore(EventStore *events) { m_events = events; }

    //! `peer` is the client's address, for the per-address throttle and the log.
    QFuture<Expected<AuthSession>> registerUser(const QString &name, const QString &email,
                                                const QString &password, const QHostAddress &peer);
    QFuture<Expected<AuthSession>> login(const QString &email, const QString &password,
                                         const QHostAddress &peer);
    //! Revokes the token, on the writer thread; the future says whether it was valid, after the
    //! commit and signedOut(), or why it could not be revoked (a full writer: 503).
    QFuture<Expected<bool>> logout(const QByteArray &token);
    //! The user a bearer token belongs to: 401 for unknown, revoked, expired (idle too long) or
    //! banned. Notes the use in `last_used_at`, at most once a minute per token.
    Expected<protocol::User> authenticate(const QByteArray &token, qint64 nowMs);
    //! authenticate(), with the lookup on the read pool when there is one (setReadPool()); the
    //! future finishes on this object's thread.
    QFuture<Expected<protocol::User>> authenticateLater(const QByteArray &token, qint64 nowMs);
    //! Looks tokens up on `reads` in authenticateLater() (PostgreSQL, where a lookup is a round
    //! trip). Not owned; nullptr: in place.
    void setReadPool(ReadPool *reads) { m_reads = reads; }
    //! Gives tokens issued before `last_used_at` was kept a full idle period from now (once,
    //! at start-up). Returns how many.
    int stampUntrackedTokens(qint64 nowMs);
    //! Deletes the tokens that have been idle too long, on the writer; the future says how many
    //! (0 when the writer was full: the next purge takes them).
    QFuture<int> purgeIdleTokens(qint64 nowMs);
    std::optional<protocol::User> findUser(qint64 id);

    //! For the CLI: creates a user, hashing on the calling thread. `role` is `user` or `admin`.
    Expected<protocol::User> createUserBlocking(const QString &name, const QString &email,
                                                const QString &password, const QString &role);

    using UserRecord = server::UserRecord;
    //! Users whose name or email contains `search` (all when empty), by id; `total` counts all
    //! matches.
    Expected<QList<UserRecord>> listUsers(const QString &search, int limit, int offset,
                                          qint64 *total = nullptr);
    Expected<UserRecord> userRecord(qint64 id);
    //! Bans (revoking every token) or unbans a user, on the writer: the record after the
    //! commit. Admins cannot be banned (409); a full writer is a 503.
    QFuture<Expected<UserRecord>> setBanned(qint64 id, bool banned, qint64 nowMs);
    //! Revokes every token of a user, on the writer; the future says how many.
    QFuture<Expected<int>> revokeAllTokens(qint64 id);
    //! Finds a user by email (lower-cased), for the CLI.
    std::optional<protocol::User> findUserByEmail(const QString &email);

    //! Validation shared by the API and the CLI: a 422 with the failing fields, or nothing.
    static std::optional<ApiError> validateRegistration(const QString &name, const QString &email,
                                                        const QString &password);

Q_SIGNALS:
    //! A token was revoked by logout(); `tokenDigest` is what is stored for it (the gateway
    //! closes the WebSockets that authenticated with it).
    void signedOut(const QByteArray &tokenDigest);

private:
    //! Inside a transaction on `db`: the new user, or 422 for a taken email.
    static Expected<protocol::User> insertUser(Database &db, const QString &name,
                                               const QString &email, const QByteArray &passwordHash,
                                               UserRole role);
    //! `write` on the writer thread for a token's bookkeeping (its use mark, its removal), not
    //! waited for; nothing while an earlier one for the token is still in flight.
    void writeTokenOnce(qint64 tokenId, std::function<void(TokenTable &)> write);
    //! A new token for `user`, stored (as its digest) on the writer.
    QFuture<Expected<AuthSession>> issueToken(const protocol::User &user);
    //! After the hash of a registration: stores the user and signs them in.
    QFuture<Expected<AuthSession>> completeRegistration(const QString &name, const QString &email,
                                                        const QByteArray &hash);
    //! After the check of a sign-in's password: signs the user in, or refuses.
    QFuture<Expected<AuthSession>> completeLogin(const std::optional<protocol::User> &user,
                                                 const QString &email, const QString &address,
                                                 bool passwordMatches);
    //! The throttles and the hashing bound, in front of any hashing: the error to answer, or
    //! nullopt when the attempt may go on (it is then counted).
    std::optional<ApiError> admit(const QString &address, const QString &email, qint64 nowMs);
    //! The per-address and per-account throttles of admit().
    std::optional<ApiError> throttle(const QString &address, const QString &email, qint64 nowMs);
    bool emailTaken(const QString &email);
    //! What a token's lookup means: its user, 401, or the lookup's failure; marks the use (or
    //! removes a token idle too long).
    Expected<protocol::User> admitUse(const Expected<TokenTable::TokenUse> &use, qint64 nowMs);
    //! Deletes a token that was idle too long and says so.
    ApiError expire(const TokenTable::TokenUse &use, qint64 nowMs);

    Database &m_db;
    EventStore *m_events = nullptr;
    ReadPool *m_reads = nullptr;
    QSet<qint64> m_tokenWritesInFlight;
    UserTable m_users;
    TokenTable m_tokens;
    AccountLimits m_limits;
    AttemptLimiter m_addressAttempts;
    AttemptLimiter m_accountAttempts;
    QTimer m_pruneTimer;
    qint64 m_lastBusyLogMs = 0;
    FairQueue m_hashes;
};

} // namespace flippdeal::server
