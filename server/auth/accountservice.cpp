// SPDX-License-Identifier: MIT
#include "auth/accountservice.h"

#include "auth/passwordhasher.h"
#include "core/logging.h"
#include "events/eventstore.h"
#include "storage/database.h"
#include "storage/readpool.h"

#include "protocol/timeformat.h"

#include <QRegularExpression>

#include <algorithm>

namespace flippdeal::server {

namespace {

// A token's use is written at most this often, not once per request.
constexpr qint64 TokenTouchIntervalMs = 60 * 1000;
// Addresses and email addresses tracked by each throttle (about 100 bytes each).
constexpr qsizetype MaxThrottledKeys = 100000;
constexpr int ThrottlePruneIntervalMs = 60 * 1000;
constexpr int BusyLogIntervalMs = 10 * 1000;

QString secondsText(int seconds)
{
    return seconds == 1 ? QStringLiteral("1 second") : QStringLiteral("%1 seconds").arg(seconds);
}

QString periodText(qint64 ms)
{
    const qint64 day = qint64(24) * 3600 * 1000;
    if (ms % day == 0)
        return ms == day ? QStringLiteral("1 day") : QStringLiteral("%1 days").arg(ms / day);
    return secondsText(int(ms / 1000));
}

//! What an email address looks like in the log: bounded, and quoted (escaped) by QDebug.
QString emailForLog(const QString &email)
{
    return email.left(254);
}

//! Verified against for unknown emails, so timing does not reveal which emails exist. Computed
//! the first time it is needed, on a hashing thread; other threads wait for it.
QByteArray dummyHash()
{
    static const QByteArray hash = passwords::hash(QByteArrayLiteral("not-a-real-password"));
    return hash;
}

} // namespace

AccountService::AccountService(Database &db, AccountLimits limits, QObject *parent)
    : QObject(parent)
    , m_db(db)
    , m_users(db)
    , m_tokens(db)
    , m_limits(limits)
    , m_addressAttempts(limits.attemptsPerIpPerMinute, MaxThrottledKeys)
    , m_accountAttempts(limits.failuresPerAccountPerMinute, MaxThrottledKeys)
    , m_hashes(limits.hashWorkers, limits.hashQueue)
{
    m_pruneTimer.setInterval(ThrottlePruneIntervalMs);
    connect(&m_pruneTimer, &QTimer::timeout, this, [this] {
        const qint64 now = protocol::nowMs();
        m_addressAttempts.prune(now);
        m_accountAttempts.prune(now);
    });
    m_pruneTimer.start();
}

std::optional<ApiError> AccountService::validateRegistration(const QString &name,
                                                             const QString &email,
                                                             const QString &password)
{
    static const QRegularExpression emailPattern(QStringLiteral(R"(^[^@\s]+@[^@\s]+\.[^@\s]+$)"));
    ApiError errors = ApiError::unprocessable();
    if (name.trimmed().isEmpty())
        errors.addFieldError(QStringLiteral("name"), QStringLiteral("The name field is required."));
    else if (name.size() > 255)
        errors.addFieldError(QStringLiteral("name"),
                             QStringLiteral("The name may not be longer than 255 characters."));
    if (!emailPattern.match(email).hasMatch() || email.size() > 254)
        errors.addFieldError(QStringLiteral("email"),
                             QStringLiteral("The email must be a valid email address."));
    if (password.size() < 8)
        errors.addFieldError(QStringLiteral("password"),
                             QStringLiteral("The password must be at least 8 characters."));
    else if (password.size() > 1024)
        errors.addFieldError(
            QStringLiteral("password"),
            QStringLiteral("The password may not be longer than 1024 characters."));
    if (!errors.hasFieldErrors())
        return std::nullopt;
    return errors;
}

std::optional<ApiError> AccountService::throttle(const QString &address, const QString &email,
                                                 qint64 nowMs)
{
    int retryAfter = 0;
    bool firstRefusal = false;
    if (!m_addressAttempts.take(address, nowMs, &retryAfter, &firstRefusal)) {
        if (firstRefusal)
            qCWarning(lcAuth).nospace()
                << "throttling sign-ins from " << address << ": too many attempts";
        return ApiError{429,
                        QStringLiteral("Too many sign-in attempts from your address. Try again "
                                       "in %1.")
                            .arg(secondsText(retryAfter)),
                        {},
                        retryAfter};
    }
    if (!m_accountAttempts.take(email, nowMs, &retryAfter, &firstRefusal)) {
        if (firstRefusal)
            qCWarning(lcAuth).nospace()
                << "throttling sign-ins for " << emailForLog(email)
                << ": too many failures (this attempt from " << address << ")";
        return ApiError{429,
                        QStringLiteral("Too many failed sign-ins for this email address. Try "
                                       "again in %1.")
                            .arg(secondsText(retryAfter)),
                        {},
                        retryAfter};
    }
    return std::nullopt;
}

std::optional<ApiError> AccountService::admit(const QString &address, const QString &email,
                                              qint64 nowMs)
{
    if (auto refused = throttle(address, email, nowMs))
        return refused;
    if (m_hashes.isFull()) {
        m_accountAttempts.giveBack(email); // not a failure of this account
        if (nowMs - m_lastBusyLogMs >= BusyLogIntervalMs) {
            m_lastBusyLogMs = nowMs;
            qCWarning(lcAuth) << "refusing sign-ins with 503: all" << m_hashes.size()
                              << "password hashing places are taken";
        }
        return ApiError{
            503,
            QStringLiteral("The server is busy checking other sign-ins. Try again in a moment."),
            {},
            1};
    }
    return std::nullopt;
}

bool AccountService::emailTaken(const QString &email)
{
    const auto taken = m_db.attempt([&]() -> Expected<bool> { return m_users.emailExists(email); });
    return taken && *taken; // after a failed lookup, the insert checks again
}

QFuture<Expected<AuthSession>> AccountService::registerUser(const QString &name,
                                                            const QString &email,
                                                            const QString &password,
                                                            const QHostAddress &peer)
{
    if (auto invalid = validateRegistration(name, email, password))
        return QtFuture::makeReadyFuture(Expected<AuthSession>(*invalid));

    const QString normalizedEmail = email.trimmed().toLower();
    const QString trimmedName = name.trimmed();
    const QString address = AttemptLimiter::addressKey(peer);
    if (auto refused = admit(address, normalizedEmail, protocol::nowMs()))
        return QtFuture::makeReadyFuture(Expected<AuthSession>(*refused));
    // Before hashing: a taken email costs no hash (the insert checks again, for races).
    if (emailTaken(normalizedEmail))
        return QtFuture::makeReadyFuture(Expected<AuthSession>(ApiError::validation(
            QStringLiteral("email"), QStringLiteral("The email has already been taken."))));
    return m_hashes
        .run<QByteArray>(address, [password] { return passwords::hash(password.toUtf8()); })
        .then(this,
              [this, trimmedName, normalizedEmail](const QByteArray &hash) {
                  return completeRegistration(trimmedName, normalizedEmail, hash);
              })
        .unwrap();
}

QFuture<Expected<AuthSession>> AccountService::completeRegistration(const QString &name,
                                                                    const QString &email,
                                                                    const QByteArray &hash)
{
    if (hash.isEmpty())
        return QtFuture::makeReadyFuture(Expected<AuthSession>(
            ApiError::internal(QStringLiteral("Could not hash the password."))));
    const QByteArray token = passwords::newToken();
    // The user and their first token commit together.
    return writeLater(m_events, m_db,
                      [name, email, hash, token](Database &db) -> Expected<AuthSession> {
                          auto user = insertUser(db, name, email, hash, UserRole::User);
                          if (!user)
                              return user.error();
                          TokenTable(db).insert(user->id, passwords::tokenDigest(token),
                                                protocol::nowMs());
                          return AuthSession{*user, token};
                      })
        .then(this, [this, email](Expected<AuthSession> session) {
            if (session) {
                m_accountAttempts.giveBack(email);
                qCInfo(lcAuth) << "registered user" << session->user.id;
            }
            return session;
        });
}

QFuture<Expected<AuthSession>> AccountService::login(const QString &email, const QString &password,
                                                     const QHostAddress &peer)
{
    const QString normalizedEmail = email.trimmed().toLower();
    const QString address = AttemptLimiter::addressKey(peer);
    if (auto refused = admit(address, normalizedEmail, protocol::nowMs()))
        return QtFuture::makeReadyFuture(Expected<AuthSession>(*refused));
    const auto found = m_db.attempt([&]() -> Expected<std::optional<UserTable::Credentials>> {
        return m_users.activeCredentials(normalizedEmail);
    });
    if (!found)
        return QtFuture::makeReadyFuture(Expected<AuthSession>(found.error()));
    std::optional<protocol::User> user;
    QByteArray storedHash;
    if (*found) {
        user = (*found)->user;
        storedHash = (*found)->passwordHash;
    }
    return m_hashes
        .run<bool>(address,
                   [storedHash, password] {
                       const QByteArray hash = storedHash.isEmpty() ? dummyHash() : storedHash;
                       return passwords::verify(hash, password.toUtf8()) && !storedHash.isEmpty();
                   })
        .then(this, [this, user, normalizedEmail, address](
                        bool ok) { return completeLogin(user, normalizedEmail, address, ok); })
        .unwrap();
}

QFuture<Expected<AuthSession>>
AccountService::completeLogin(const std::optional<protocol::User> &user, const QString &email,
                              const QString &address, bool passwordMatches)
{
    if (!passwordMatches || !user) {
        // Never the password: only who, from where, and which case.
        qCWarning(lcAuth).nospace()
            << "failed sign-in for " << emailForLog(email) << " from " << address
            << (user ? ": wrong password" : ": no such active account");
        return QtFuture::makeReadyFuture(Expected<AuthSession>(ApiError::unauthenticated(
            QStringLiteral("These credentials do not match our records."))));
    }
    m_accountAttempts.giveBack(email); // only failures count
    return issueToken(*user);
}

Expected<protocol::User> AccountService::insertUser(Database &db, const QString &name,
                                                    const QString &email,
                                                    const QByteArray &passwordHash, UserRole role)
{
    UserTable users(db);
    if (users.emailExists(email))
        return ApiError::validation(QStringLiteral("email"),
                                    QStringLiteral("The email has already been taken."));
    return users.insert(name, email, passwordHash, role, protocol::nowMs());
}

QFuture<Expected<AuthSession>> AccountService::issueToken(const protocol::User &user)
{
    const QByteArray token = passwords::newToken();
    return writeLater(m_events, m_db, [user, token](Database &db) -> Expected<AuthSession> {
        TokenTable(db).insert(user.id, passwords::tokenDigest(token), protocol::nowMs());
        return AuthSession{user, token};
    });
}

QFuture<Expected<bool>> AccountService::logout(const QByteArray &token)
{
    const QByteArray digest = passwords::tokenDigest(token);
    return writeLater(m_events, m_db,
                      [digest](Database &db) -> Expected<int> {
                          return TokenTable(db).removeByDigest(digest);
                      })
        .then(this, [this, digest](const Expected<int> &removed) -> Expected<bool> {
            if (!removed)
                return removed.error(); // a full writer: the token still works, say so
            if (*removed <= 0)
                return false;
            Q_EMIT signedOut(digest);
            return true;
        });
}

void AccountService::writeTokenOnce(qint64 tokenId, std::function<void(TokenTable &)> write)
{
    // One write per token in flight: until it commits, every request with the token would
    // otherwise queue another, and a flood of requests would become the writer's load.
    if (m_tokenWritesInFlight.contains(tokenId))
        return;
    m_tokenWritesInFlight.insert(tokenId);
    writeLater(m_events, m_db, [write = std::move(write)](Database &db) -> Expected<Done> {
        TokenTable tokens(db);
        write(tokens);
        return Done{};
    }).then(this, [this, tokenId](const Expected<Done> &) {
        m_tokenWritesInFlight.remove(tokenId);
    });
}

namespace {
//! The token whose digest is `digest` and its user, on `db`; 401 when there is none (unknown,
//! revoked, or its user banned).
Expected<TokenTable::TokenUse> findToken(Database &db, const QByteArray &digest)
{
    auto found = TokenTable(db).findActive(digest);
    if (!found)
        return ApiError::unauthenticated();
    return *found;
}

bool plausibleToken(const QByteArray &token)
{
    return !token.isEmpty() && token.size() <= 256;
}
} // namespace

Expected<protocol::User> AccountService::authenticate(const QByteArray &token, qint64 nowMs)
{
    if (!plausibleToken(token))
        return ApiError::unauthenticated();
    const QByteArray digest = passwords::tokenDigest(token);
    return admitUse(m_db.attempt([&] { return findToken(m_db, digest); }), nowMs);
}

QFuture<Expected<protocol::User>> AccountService::authenticateLater(const QByteArray &token,
                                                                    qint64 nowMs)
{
    if (!m_reads || !plausibleToken(token))
        return QtFuture::makeReadyFuture(authenticate(token, nowMs));
    return m_reads
        ->run([digest = passwords::tokenDigest(token)](Database &db) {
            return findToken(db, digest);
        })
        .then(this, [this, nowMs](const Expected<TokenTable::TokenUse> &use) {
            return admitUse(use, nowMs);
        });
}

Expected<protocol::User> AccountService::admitUse(const Expected<TokenTable::TokenUse> &use,
                                                  qint64 nowMs)
{
    if (!use)
        return use.error();
    if (nowMs - use->lastUsedMs > m_limits.tokenIdleMs)
        return expire(*use, nowMs);
    // One write a minute per token at most; the condition keeps concurrent nodes from racing
    // the value backwards.
    // On the writer, and not waited for: a touch lost to a full writer comes with a later use.
    if (nowMs - use->lastUsedMs >= TokenTouchIntervalMs) {
        writeTokenOnce(use->tokenId, [tokenId = use->tokenId, nowMs](TokenTable &tokens) {
            tokens.touch(tokenId, nowMs);
        });
    }
    return use->user;
}

ApiError AccountService::expire(const TokenTable::TokenUse &use, qint64 nowMs)
{
    writeTokenOnce(use.tokenId,
                   [tokenId = use.tokenId](TokenTable &tokens) { tokens.remove(tokenId); });
    qCInfo(lcAuth) << "a token of user" << use.user.id << "expired after"
                   << (nowMs - use.lastUsedMs) / 1000 << "s without use";
    return ApiError::unauthenticated(
        QStringLiteral("Your session has expired: it was not used for more than %1. Please "
                       "sign in again.")
            .arg(periodText(m_limits.tokenIdleMs)));
}

int AccountService::stampUntrackedTokens(qint64 nowMs)
{
    const auto stamped =
        m_db.transaction([&]() -> Expected<int> { return m_tokens.stampUntracked(nowMs); });
    if (!stamped || *stamped <= 0)
        return 0;
    qCInfo(lcAuth) << "tokens from before idle expiry now expire after"
                   << periodText(m_limits.tokenIdleMs) << "without use:" << *stamped;
    return *stamped;
}

QFuture<int> AccountService::purgeIdleTokens(qint64 nowMs)
{
    const qint64 cutoff = nowMs - m_limits.tokenIdleMs;
    return writeLater(m_events, m_db,
                      [cutoff](Database &db) -> Expected<int> {
                          return TokenTable(db).removeUnusedSince(cutoff);
                      })
        .then(this, [idleMs = m_limits.tokenIdleMs](const Expected<int> &removed) {
            if (!removed || *removed <= 0)
                return 0;
            qCInfo(lcAuth) << "deleted" << *removed << "tokens unused for more than"
                           << periodText(idleMs);
            return *removed;
        });
}

Expected<QList<AccountService::UserRecord>>
AccountService::listUsers(const QString &search, int limit, int offset, qint64 *total)
{
    return m_db.attempt([&]() -> Expected<QList<UserRecord>> {
        QList<UserRecord> result = m_users.search(search, limit, offset);
        if (total)
            *total = m_users.searchCount(search);
        return result;
    });
}

Expected<AccountService::UserRecord> AccountService::userRecord(qint64 id)
{
    return m_db.attempt([&]() -> Expected<UserRecord> {
        auto record = m_users.record(id);
        if (!record)
            return ApiError::notFound(QStringLiteral("User not found."));
        return *record;
    });
}

QFuture<Expected<AccountService::UserRecord>> AccountService::setBanned(qint64 id, bool banned,
                                                                        qint64 nowMs)
{
    // Read, checked and written in one transaction on the writer: a user banned between a read
    // here and the write there could not be told apart from one who was not.
    return writeLater(m_events, m_db,
                      [id, banned, nowMs](Database &db) -> Expected<UserRecord> {
                          UserTable users(db);
                          const auto before = users.record(id);
                          if (!before)
                              return ApiError::notFound(QStringLiteral("User not found."));
                          if (banned && isAdmin(before->user))
                              return ApiError::conflict(
                                  QStringLiteral("An administrator cannot be banned."));
                          if (!banned) {
                              users.unban(id);
                          } else {
                              users.ban(id, nowMs);
                              TokenTable(db).removeAllOf(id);
                          }
                          const auto after = users.record(id);
                          if (!after)
                              return ApiError::internal();
                          return *after;
                      })
        .then(this, [id, banned](Expected<UserRecord> record) {
            if (record)
                qCInfo(lcAuth) << "user" << id << (banned ? "banned" : "unbanned");
            return record;
        });
}

QFuture<Expected<int>> AccountService::revokeAllTokens(qint64 id)
{
    return writeLater(m_events, m_db, [id](Database &db) -> Expected<int> {
        if (!UserTable(db).record(id))
            return ApiError::notFound(QStringLiteral("User not found."));
        return TokenTable(db).removeAllOf(id);
    });
}

std::optional<protocol::User> AccountService::findUserByEmail(const QString &email)
{
    const auto user = m_db.attempt([&]() -> Expected<std::optional<protocol::User>> {
        return m_users.findByEmail(email.trimmed().toLower());
    });
    return user ? *user : std::nullopt;
}

std::optional<protocol::User> AccountService::findUser(qint64 id)
{
    const auto user =
        m_db.attempt([&]() -> Expected<std::optional<protocol::User>> { return m_users.find(id); });
    return user ? *user : std::nullopt;
}

Expected<protocol::User> AccountService::createUserBlocking(const QString &name,
                                                            const QString &email,
                                                            const QString &password,
                                                            const QString &role)
{
    if (auto invalid = validateRegistration(name, email, password))
        return *invalid;
    const auto userRole = fromString<UserRole>(role);
    if (!userRole)
        return ApiError::validation(QStringLiteral("role"),
                                    QStringLiteral("The role must be user or admin."));
    const QByteArray hash = passwords::hash(password.toUtf8());
    if (hash.isEmpty())
        return ApiError::internal(QStringLiteral("Could not hash the password."));
    return m_db.transaction([&] {
        return insertUser(m_db, name.trimmed(), email.trimmed().toLower(), hash, *userRole);
    });
}

} // namespace flippdeal::server
