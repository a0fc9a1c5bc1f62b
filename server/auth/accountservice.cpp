// SPDX-License-Identifier: MIT
#include "auth/accountservice.h"

#include "auth/passwordhasher.h"
#include "core/logging.h"
#include "storage/database.h"

#include "protocol/timeformat.h"

#include <QRegularExpression>

#include <algorithm>

namespace flippdeal::server {

namespace {

void addError(ApiError &errors, const QString &field, const QString &message)
{
    errors.errors[field].append(message);
    if (errors.message.isEmpty())
        errors.message = message;
}

protocol::User userFromRow(const SqlQuery &query)
{
    return protocol::User{query.int64(0), query.text(1), query.text(2), query.text(3)};
}

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

void AccountService::validateRegistration(const QString &name, const QString &email,
                                          const QString &password, ApiError &errors)
{
    static const QRegularExpression emailPattern(QStringLiteral(R"(^[^@\s]+@[^@\s]+\.[^@\s]+$)"));
    if (name.trimmed().isEmpty())
        addError(errors, QStringLiteral("name"), QStringLiteral("The name field is required."));
    else if (name.size() > 255)
        addError(errors, QStringLiteral("name"),
                 QStringLiteral("The name may not be longer than 255 characters."));
    if (!emailPattern.match(email).hasMatch() || email.size() > 254)
        addError(errors, QStringLiteral("email"),
                 QStringLiteral("The email must be a valid email address."));
    if (password.size() < 8)
        addError(errors, QStringLiteral("password"),
                 QStringLiteral("The password must be at least 8 characters."));
    else if (password.size() > 1024)
        addError(errors, QStringLiteral("password"),
                 QStringLiteral("The password may not be longer than 1024 characters."));
}

std::optional<ApiError> AccountService::admit(const QString &address, const QString &email,
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
    try {
        SqlQuery query(m_db, QStringLiteral("SELECT 1 FROM users WHERE email = ?"));
        query.bind(email).exec();
        return query.next();
    } catch (const DbError &error) {
        qCWarning(lcAuth) << "email lookup failed:" << error.what();
    }
    return false; // the insert checks again
}

QFuture<Expected<AuthSession>> AccountService::registerUser(const QString &name,
                                                            const QString &email,
                                                            const QString &password,
                                                            const QHostAddress &peer)
{
    ApiError errors{422, {}, {}, 0};
    validateRegistration(name, email, password, errors);
    if (!errors.errors.isEmpty())
        return QtFuture::makeReadyFuture(Expected<AuthSession>(errors));

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
        .then(
            this,
            [this, trimmedName, normalizedEmail](const QByteArray &hash) -> Expected<AuthSession> {
                if (hash.isEmpty())
                    return ApiError::internal(QStringLiteral("Could not hash the password."));
                auto user = insertUser(trimmedName, normalizedEmail, hash, QStringLiteral("user"));
                if (!user)
                    return user.error();
                m_accountAttempts.giveBack(normalizedEmail);
                auto token = issueToken(user->id);
                if (!token)
                    return token.error();
                qCInfo(lcAuth) << "registered user" << user->id;
                return AuthSession{*user, *token};
            });
}

QFuture<Expected<AuthSession>> AccountService::login(const QString &email, const QString &password,
                                                     const QHostAddress &peer)
{
    const QString normalizedEmail = email.trimmed().toLower();
    const QString address = AttemptLimiter::addressKey(peer);
    if (auto refused = admit(address, normalizedEmail, protocol::nowMs()))
        return QtFuture::makeReadyFuture(Expected<AuthSession>(*refused));
    std::optional<protocol::User> user;
    QByteArray storedHash;
    try {
        SqlQuery query(m_db,
                       QStringLiteral("SELECT id, name, email, role, password_hash, banned_at "
                                      "FROM users WHERE email = ?"));
        query.bind(normalizedEmail).exec();
        if (query.next() && query.value(5).isNull()) {
            user = userFromRow(query);
            storedHash = query.text(4).toUtf8();
        }
    } catch (const DbError &error) {
        qCWarning(lcAuth) << "login lookup failed:" << error.what();
        return QtFuture::makeReadyFuture(Expected<AuthSession>(ApiError::internal()));
    }
    return m_hashes
        .run<bool>(address,
                   [storedHash, password] {
                       const QByteArray hash = storedHash.isEmpty() ? dummyHash() : storedHash;
                       return passwords::verify(hash, password.toUtf8()) && !storedHash.isEmpty();
                   })
        .then(this, [this, user, normalizedEmail, address](bool ok) -> Expected<AuthSession> {
            if (!ok || !user) {
                // Never the password: only who, from where, and which case.
                qCWarning(lcAuth).nospace()
                    << "failed sign-in for " << emailForLog(normalizedEmail) << " from " << address
                    << (user ? ": wrong password" : ": no such active account");
                return ApiError::unauthenticated(
                    QStringLiteral("These credentials do not match our records."));
            }
            m_accountAttempts.giveBack(normalizedEmail); // only failures count
            auto token = issueToken(user->id);
            if (!token)
                return token.error();
            return AuthSession{*user, *token};
        });
}

Expected<protocol::User> AccountService::insertUser(const QString &name, const QString &email,
                                                    const QByteArray &passwordHash,
                                                    const QString &role)
{
    std::optional<protocol::User> created;
    bool duplicate = false;
    const bool ok = m_db.transaction([&] {
        SqlQuery exists(m_db, QStringLiteral("SELECT 1 FROM users WHERE email = ?"));
        exists.bind(email).exec();
        if (exists.next()) {
            duplicate = true;
            return false;
        }
        const qint64 id =
            SqlQuery(m_db, QStringLiteral(
                               "INSERT INTO users (name, email, password_hash, role, created_at) "
                               "VALUES (?, ?, ?, ?, ?) RETURNING id"))
                .bind(name)
                .bind(email)
                .bind(QString::fromLatin1(passwordHash))
                .bind(role)
                .bind(protocol::nowMs())
                .scalar();
        created = protocol::User{id, name, email, role};
        return true;
    });
    if (duplicate)
        return ApiError::validation(QStringLiteral("email"),
                                    QStringLiteral("The email has already been taken."));
    if (!ok || !created)
        return ApiError::internal();
    return *created;
}

Expected<QByteArray> AccountService::issueToken(qint64 userId)
{
    const QByteArray token = passwords::newToken();
    const qint64 now = protocol::nowMs();
    const bool ok = m_db.transaction([&] {
        SqlQuery(m_db, QStringLiteral("INSERT INTO api_tokens (user_id, token_hash, created_at, "
                                      "last_used_at) VALUES (?, ?, ?, ?)"))
            .bind(userId)
            .bind(QString::fromLatin1(passwords::tokenDigest(token)))
            .bind(now)
            .bind(now)
            .exec();
        return true;
    });
    if (!ok)
        return ApiError::internal();
    return token;
}

bool AccountService::logout(const QByteArray &token)
{
    int removed = 0;
    const QByteArray digest = passwords::tokenDigest(token);
    m_db.transaction([&] {
        SqlQuery query(m_db, QStringLiteral("DELETE FROM api_tokens WHERE token_hash = ?"));
        query.bind(QString::fromLatin1(digest)).exec();
        removed = query.numRowsAffected();
        return true;
    });
    if (removed > 0)
        Q_EMIT signedOut(digest);
    return removed > 0;
}

Expected<protocol::User> AccountService::authenticate(const QByteArray &token, qint64 nowMs)
{
    if (token.isEmpty() || token.size() > 256)
        return ApiError::unauthenticated();
    std::optional<protocol::User> user;
    qint64 tokenId = 0;
    qint64 lastUsedMs = 0;
    try {
        SqlQuery query(m_db, QStringLiteral("SELECT u.id, u.name, u.email, u.role, t.id, "
                                            "COALESCE(t.last_used_at, t.created_at) "
                                            "FROM api_tokens t JOIN users u ON u.id = t.user_id "
                                            "WHERE t.token_hash = ? AND u.banned_at IS NULL"));
        query.bind(QString::fromLatin1(passwords::tokenDigest(token))).exec();
        if (!query.next())
            return ApiError::unauthenticated();
        user = userFromRow(query);
        tokenId = query.int64(4);
        lastUsedMs = query.int64(5);
    } catch (const DbError &error) {
        qCWarning(lcAuth) << "token lookup failed:" << error.what();
        return ApiError::internal();
    }
    if (nowMs - lastUsedMs > m_limits.tokenIdleMs) {
        m_db.transaction([&] {
            SqlQuery(m_db, QStringLiteral("DELETE FROM api_tokens WHERE id = ?"))
                .bind(tokenId)
                .exec();
            return true;
        });
        qCInfo(lcAuth) << "a token of user" << user->id << "expired after"
                       << (nowMs - lastUsedMs) / 1000 << "s without use";
        return ApiError::unauthenticated(
            QStringLiteral("Your session has expired: it was not used for more than %1. Please "
                           "sign in again.")
                .arg(periodText(m_limits.tokenIdleMs)));
    }
    // One write a minute per token at most; the condition keeps concurrent nodes from racing
    // the value backwards.
    if (nowMs - lastUsedMs >= TokenTouchIntervalMs) {
        m_db.transaction([&] {
            SqlQuery(m_db, QStringLiteral("UPDATE api_tokens SET last_used_at = ? WHERE id = ? "
                                          "AND (last_used_at IS NULL OR last_used_at < ?)"))
                .bind(nowMs)
                .bind(tokenId)
                .bind(nowMs)
                .exec();
            return true;
        });
    }
    return *user;
}

int AccountService::stampUntrackedTokens(qint64 nowMs)
{
    int stamped = 0;
    m_db.transaction([&] {
        SqlQuery update(m_db, QStringLiteral("UPDATE api_tokens SET last_used_at = ? "
                                             "WHERE last_used_at IS NULL"));
        update.bind(nowMs).exec();
        stamped = update.numRowsAffected();
        return true;
    });
    if (stamped > 0)
        qCInfo(lcAuth) << "tokens from before idle expiry now expire after"
                       << periodText(m_limits.tokenIdleMs) << "without use:" << stamped;
    return stamped;
}

int AccountService::purgeIdleTokens(qint64 nowMs)
{
    int removed = 0;
    m_db.transaction([&] {
        SqlQuery remove(m_db, QStringLiteral("DELETE FROM api_tokens WHERE last_used_at < ?"));
        remove.bind(nowMs - m_limits.tokenIdleMs).exec();
        removed = remove.numRowsAffected();
        return true;
    });
    if (removed > 0)
        qCInfo(lcAuth) << "deleted" << removed << "tokens unused for more than"
                       << periodText(m_limits.tokenIdleMs);
    return removed;
}

QJsonObject AccountService::UserRecord::toJson() const
{
    QJsonObject json = user.toJson();
    json.insert(QLatin1String("banned_at"),
                bannedAt ? QJsonValue(protocol::isoUtc(*bannedAt)) : QJsonValue());
    json.insert(QLatin1String("created_at"), protocol::isoUtc(createdAt));
    json.insert(QLatin1String("tokens"), tokens);
    return json;
}

namespace {

const QString userRecordColumns =
    QStringLiteral("SELECT u.id, u.name, u.email, u.role, u.banned_at, u.created_at, "
                   "(SELECT COUNT(*) FROM api_tokens t WHERE t.user_id = u.id) FROM users u ");

AccountService::UserRecord userRecordFromRow(const SqlQuery &q)
{
    return {
        {q.int64(0), q.text(1), q.text(2), q.text(3)}, q.optionalInt64(4), q.int64(5), q.int64(6)};
}

//! `%` and `_` are LIKE wildcards; escape them so a search matches literally.
QString likePattern(const QString &search)
{
    QString escaped = search;
    escaped.replace(QLatin1Char('\\'), QLatin1String("\\\\"));
    escaped.replace(QLatin1Char('%'), QLatin1String("\\%"));
    escaped.replace(QLatin1Char('_'), QLatin1String("\\_"));
    return QLatin1Char('%') + escaped + QLatin1Char('%');
}

} // namespace

Expected<QList<AccountService::UserRecord>>
AccountService::listUsers(const QString &search, int limit, int offset, qint64 *total)
{
    QList<UserRecord> result;
    try {
        // SQLite's LOWER() folds ASCII only, so the name and the search are folded by the same
        // function (a name like "Émile" is found by "Émile"); emails are stored folded by Qt.
        const QString where = QStringLiteral("WHERE LOWER(u.name) LIKE LOWER(?) ESCAPE '\\' OR "
                                             "LOWER(u.email) LIKE ? ESCAPE '\\' ");
        const QString pattern = likePattern(search.trimmed());
        const QString emailPattern = likePattern(search.trimmed().toLower());
        SqlQuery query(m_db, userRecordColumns + where +
                                 QStringLiteral("ORDER BY u.id LIMIT ? OFFSET ?"));
        query.bind(pattern).bind(emailPattern).bind(limit).bind(offset).exec();
        while (query.next())
            result.append(userRecordFromRow(query));
        if (total) {
            SqlQuery count(m_db, QStringLiteral("SELECT COUNT(*) FROM users u ") + where);
            *total = count.bind(pattern).bind(emailPattern).scalar();
        }
    } catch (const DbError &error) {
        qCWarning(lcAuth) << "user list failed:" << error.what();
        return ApiError::internal();
    }
    return result;
}

Expected<AccountService::UserRecord> AccountService::userRecord(qint64 id)
{
    try {
        SqlQuery query(m_db, userRecordColumns + QStringLiteral("WHERE u.id = ?"));
        query.bind(id).exec();
        if (query.next())
            return userRecordFromRow(query);
    } catch (const DbError &error) {
        qCWarning(lcAuth) << "user lookup failed:" << error.what();
        return ApiError::internal();
    }
    return ApiError::notFound(QStringLiteral("User not found."));
}

Expected<AccountService::UserRecord> AccountService::setBanned(qint64 id, bool banned, qint64 nowMs)
{
    const auto before = userRecord(id);
    if (!before)
        return before.error();
    if (banned && before->user.role == QLatin1String("admin"))
        return ApiError::conflict(QStringLiteral("An administrator cannot be banned."));
    const bool ok = m_db.transaction([&] {
        SqlQuery update(m_db, banned ? QStringLiteral("UPDATE users SET banned_at = ? WHERE id = ? "
                                                      "AND banned_at IS NULL")
                                     : QStringLiteral("UPDATE users SET banned_at = NULL "
                                                      "WHERE id = ?"));
        if (banned)
            update.bind(nowMs);
        update.bind(id).exec();
        if (banned)
            SqlQuery(m_db, QStringLiteral("DELETE FROM api_tokens WHERE user_id = ?"))
                .bind(id)
                .exec();
        return true;
    });
    if (!ok)
        return ApiError::internal();
    qCInfo(lcAuth) << "user" << id << (banned ? "banned" : "unbanned");
    return userRecord(id);
}

Expected<int> AccountService::revokeAllTokens(qint64 id)
{
    if (!userRecord(id))
        return ApiError::notFound(QStringLiteral("User not found."));
    int removed = 0;
    const bool ok = m_db.transaction([&] {
        SqlQuery remove(m_db, QStringLiteral("DELETE FROM api_tokens WHERE user_id = ?"));
        remove.bind(id).exec();
        removed = remove.numRowsAffected();
        return true;
    });
    if (!ok)
        return ApiError::internal();
    return removed;
}

std::optional<protocol::User> AccountService::findUserByEmail(const QString &email)
{
    try {
        SqlQuery query(m_db,
                       QStringLiteral("SELECT id, name, email, role FROM users WHERE email = ?"));
        query.bind(email.trimmed().toLower()).exec();
        if (query.next())
            return userFromRow(query);
    } catch (const DbError &error) {
        qCWarning(lcAuth) << "user lookup failed:" << error.what();
    }
    return std::nullopt;
}

std::optional<protocol::User> AccountService::findUser(qint64 id)
{
    try {
        SqlQuery query(m_db,
                       QStringLiteral("SELECT id, name, email, role FROM users WHERE id = ?"));
        query.bind(id).exec();
        if (query.next())
            return userFromRow(query);
    } catch (const DbError &error) {
        qCWarning(lcAuth) << "user lookup failed:" << error.what();
    }
    return std::nullopt;
}

Expected<protocol::User> AccountService::createUserBlocking(const QString &name,
                                                            const QString &email,
                                                            const QString &password,
                                                            const QString &role)
{
    ApiError errors{422, {}, {}, 0};
    validateRegistration(name, email, password, errors);
    if (!errors.errors.isEmpty())
        return errors;
    const QByteArray hash = passwords::hash(password.toUtf8());
    if (hash.isEmpty())
        return ApiError::internal(QStringLiteral("Could not hash the password."));
    return insertUser(name.trimmed(), email.trimmed().toLower(), hash, role);
}

} // namespace flippdeal::server
