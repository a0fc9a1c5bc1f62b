// SPDX-License-Identifier: MIT
#include "auth/usertable.h"

#include "storage/database.h"

#include "protocol/timeformat.h"

namespace flippdeal::server {

namespace {

const QString selectUsers = QStringLiteral("SELECT id, name, email, role FROM users ");

const QString selectRecords =
    QStringLiteral("SELECT u.id, u.name, u.email, u.role, u.banned_at, u.created_at, "
                   "(SELECT COUNT(*) FROM api_tokens t WHERE t.user_id = u.id) AS tokens "
                   "FROM users u ");

// SQLite's LOWER() folds ASCII only, so the name and the search are folded by the same function
// (a name like "Émile" is found by "Émile"); emails are stored folded by Qt.
const QString searchWhere = QStringLiteral("WHERE LOWER(u.name) LIKE LOWER(?) ESCAPE '\\' OR "
                                           "LOWER(u.email) LIKE ? ESCAPE '\\' ");

UserRecord recordFromRow(const SqlQuery &row)
{
    return {UserTable::userFromRow(row), row.optionalInt64("banned_at"_L1),
            row.int64("created_at"_L1), row.int64("tokens"_L1)};
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

//! Binds the name and the email pattern of searchWhere.
void bindSearch(SqlQuery &query, const QString &search)
{
    query.bind(likePattern(search.trimmed())).bind(likePattern(search.trimmed().toLower()));
}

} // namespace

QJsonObject UserRecord::toJson() const
{
    QJsonObject json = user.toJson();
    json.insert("banned_at"_L1, bannedAt ? QJsonValue(protocol::isoUtc(*bannedAt)) : QJsonValue());
    json.insert("created_at"_L1, protocol::isoUtc(createdAt));
    json.insert("tokens"_L1, tokens);
    return json;
}

protocol::User UserTable::userFromRow(const SqlQuery &row)
{
    return protocol::User{row.int64("id"_L1), row.text("name"_L1), row.text("email"_L1),
                          row.text("role"_L1)};
}

bool UserTable::emailExists(const QString &email)
{
    SqlQuery query(m_db, QStringLiteral("SELECT 1 FROM users WHERE email = ?"));
    query.bind(email).exec();
    return query.next();
}

std::optional<protocol::User> UserTable::find(qint64 userId)
{
    SqlQuery query(m_db, selectUsers + QStringLiteral("WHERE id = ?"));
    query.bind(userId).exec();
    if (!query.next())
        return std::nullopt;
    return userFromRow(query);
}

std::optional<protocol::User> UserTable::findByEmail(const QString &email)
{
    SqlQuery query(m_db, selectUsers + QStringLiteral("WHERE email = ?"));
    query.bind(email).exec();
    if (!query.next())
        return std::nullopt;
    return userFromRow(query);
}

std::optional<UserTable::Credentials> UserTable::activeCredentials(const QString &email)
{
    SqlQuery query(m_db, QStringLiteral("SELECT id, name, email, role, password_hash, banned_at "
                                        "FROM users WHERE email = ?"));
    query.bind(email).exec();
    if (!query.next() || !query.value("banned_at"_L1).isNull())
        return std::nullopt;
    return Credentials{userFromRow(query), query.text("password_hash"_L1).toUtf8()};
}

protocol::User UserTable::insert(const QString &name, const QString &email,
                                 const QByteArray &passwordHash, UserRole role, qint64 nowMs)
{
    const qint64 id =
        SqlQuery(m_db,
                 QStringLiteral("INSERT INTO users (name, email, password_hash, role, created_at) "
                                "VALUES (?, ?, ?, ?, ?) RETURNING id"))
            .bind(name)
            .bind(email)
            .bind(QString::fromLatin1(passwordHash))
            .bind(toString(role))
            .bind(nowMs)
            .scalar();
    return protocol::User{id, name, email, toString(role)};
}

std::optional<UserRecord> UserTable::record(qint64 userId)
{
    SqlQuery query(m_db, selectRecords + QStringLiteral("WHERE u.id = ?"));
    query.bind(userId).exec();
    if (!query.next())
        return std::nullopt;
    return recordFromRow(query);
}

QList<UserRecord> UserTable::search(const QString &search, int limit, int offset)
{
    SqlQuery query(m_db,
                   selectRecords + searchWhere + QStringLiteral("ORDER BY u.id LIMIT ? OFFSET ?"));
    bindSearch(query, search);
    query.bind(limit).bind(offset).exec();
    QList<UserRecord> result;
    while (query.next())
        result.append(recordFromRow(query));
    return result;
}

qint64 UserTable::searchCount(const QString &search)
{
    SqlQuery count(m_db, QStringLiteral("SELECT COUNT(*) FROM users u ") + searchWhere);
    bindSearch(count, search);
    return count.scalar();
}

void UserTable::ban(qint64 userId, qint64 nowMs)
{
    SqlQuery(m_db, QStringLiteral("UPDATE users SET banned_at = ? WHERE id = ? "
                                  "AND banned_at IS NULL"))
        .bind(nowMs)
        .bind(userId)
        .exec();
}

void UserTable::unban(qint64 userId)
{
    SqlQuery(m_db, QStringLiteral("UPDATE users SET banned_at = NULL WHERE id = ?"))
        .bind(userId)
        .exec();
}

qint64 UserTable::count()
{
    return SqlQuery(m_db, QStringLiteral("SELECT COUNT(*) FROM users")).scalar();
}

qint64 UserTable::bannedCount()
{
    return SqlQuery(m_db, QStringLiteral("SELECT COUNT(*) FROM users WHERE banned_at IS NOT NULL"))
        .scalar();
}

QList<qint64> UserTable::bannedSince(qint64 sinceMs)
{
    SqlQuery query(m_db, QStringLiteral("SELECT id FROM users WHERE banned_at >= ?"));
    query.bind(sinceMs).exec();
    QList<qint64> ids;
    while (query.next())
        ids.append(query.int64("id"_L1));
    return ids;
}

} // namespace flippdeal::server
