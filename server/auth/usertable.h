// SPDX-License-Identifier: MIT
#pragma once

#include "auth/user.h"

#include <QByteArray>
#include <QList>

#include <optional>

namespace flippdeal::server {

class Database;
class SqlQuery;

//! \brief The `users` table: its columns, its rows as protocol::User and UserRecord values, and
//! its statements. Every call throws DbError when a statement fails.
class UserTable
{
public:
    explicit UserTable(Database &db)
        : m_db(db)
    {}

    //! \brief A user and the password hash stored for them.
    struct Credentials
    {
        protocol::User user;
        QByteArray passwordHash;
    };

    bool emailExists(const QString &email);
    std::optional<protocol::User> find(qint64 userId);
    //! `email` as stored (lower-cased).
    std::optional<protocol::User> findByEmail(const QString &email);
    //! The user with `email` and their password hash; nothing for an unknown or banned one.
    std::optional<Credentials> activeCredentials(const QString &email);
    //! Inserts a user and returns it with its id.
    protocol::User insert(const QString &name, const QString &email, const QByteArray &passwordHash,
                          UserRole role, qint64 nowMs);

    std::optional<UserRecord> record(qint64 userId);
    //! The page of users whose name or email contains `search` (all when empty), by id.
    QList<UserRecord> search(const QString &search, int limit, int offset);
    //! How many users search() matches in all.
    qint64 searchCount(const QString &search);

    //! Marks the user banned at `nowMs`, unless they already are.
    void ban(qint64 userId, qint64 nowMs);
    void unban(qint64 userId);

    qint64 count();
    qint64 bannedCount();
    //! The users banned at or after `sinceMs`.
    QList<qint64> bannedSince(qint64 sinceMs);

    //! The `id`, `name`, `email` and `role` columns of the current row.
    static protocol::User userFromRow(const SqlQuery &row);

private:
    Database &m_db;
};

} // namespace flippdeal::server
