// SPDX-License-Identifier: MIT
#include "auth/accountservice.h"

#include "auth/passwordhasher.h"
#include "core/logging.h"
#include "storage/database.h"

#include "protocol/timeformat.h"

#include <QRegularExpression>
#include <QtConcurrent/QtConcurrentRun>

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

} // namespace

AccountService::AccountService(Database &db, QObject *parent)
    : QObject(parent)
    , m_db(db)
{}

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

QFuture<Expected<AuthSession>>
AccountService::registerUser(const QString &name, const QString &email, const QString &password)
{
    ApiError errors{422, {}, {}, 0};
    validateRegistration(name, email, password, errors);
    if (!errors.errors.isEmpty())
        return QtFuture::makeReadyFuture(Expected<AuthSession>(errors));

    const QString normalizedEmail = email.trimmed().toLower();
    const QString trimmedName = name.trimmed();
    return QtConcurrent::run([password] { return passwords::hash(password.toUtf8()); })
        .then(
            this,
            [this, trimmedName, normalizedEmail](const QByteArray &hash) -> Expected<AuthSession> {
                if (hash.isEmpty())
                    return ApiError::internal(QStringLiteral("Could not hash the password."));
                auto user = insertUser(trimmedName, normalizedEmail, hash, QStringLiteral("user"));
                if (!user)
                    return user.error();
                auto token = issueToken(user->id);
                if (!token)
                    return token.error();
                qCInfo(lcAuth) << "registered user" << user->id;
                return AuthSession{*user, *token};
            });
}

QFuture<Expected<AuthSession>> AccountService::login(const QString &email, const QString &password)
{
    std::optional<protocol::User> user;
    QByteArray storedHash;
    try {
        SqlQuery query(m_db,
                       QStringLiteral("SELECT id, name, email, role, password_hash, banned_at "
                                      "FROM users WHERE email = ?"));
        query.bind(email.trimmed().toLower()).exec();
        if (query.next() && query.value(5).isNull()) {
            user = userFromRow(query);
            storedHash = query.text(4).toUtf8();
        }
    } catch (const DbError &error) {
        qCWarning(lcAuth) << "login lookup failed:" << error.what();
        return QtFuture::makeReadyFuture(Expected<AuthSession>(ApiError::internal()));
    }
    if (!user && !m_dummyHash.isValid())
        m_dummyHash = QtConcurrent::run(
            [] { return passwords::hash(QByteArrayLiteral("not-a-real-password")); });
    const QFuture<QByteArray> dummy = m_dummyHash;
    return QtConcurrent::run([storedHash, dummy, password] {
               // result() runs the dummy hash here if no pool thread has started it yet.
               const QByteArray hash = storedHash.isEmpty() ? dummy.result() : storedHash;
               return passwords::verify(hash, password.toUtf8()) && !storedHash.isEmpty();
           })
        .then(this, [this, user](bool ok) -> Expected<AuthSession> {
            if (!ok || !user)
                return ApiError::unauthenticated(
                    QStringLiteral("These credentials do not match our records."));
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
    const bool ok = m_db.transaction([&] {
        SqlQuery(m_db,
                 QStringLiteral(
                     "INSERT INTO api_tokens (user_id, token_hash, created_at) VALUES (?, ?, ?)"))
            .bind(userId)
            .bind(QString::fromLatin1(passwords::tokenDigest(token)))
            .bind(protocol::nowMs())
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

std::optional<protocol::User> AccountService::authenticate(const QByteArray &token)
{
    if (token.isEmpty() || token.size() > 256)
        return std::nullopt;
    try {
        SqlQuery query(m_db,
                       QStringLiteral("SELECT u.id, u.name, u.email, u.role FROM api_tokens t "
                                      "JOIN users u ON u.id = t.user_id "
                                      "WHERE t.token_hash = ? AND u.banned_at IS NULL"));
        query.bind(QString::fromLatin1(passwords::tokenDigest(token))).exec();
        if (query.next())
            return userFromRow(query);
    } catch (const DbError &error) {
        qCWarning(lcAuth) << "token lookup failed:" << error.what();
    }
    return std::nullopt;
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
