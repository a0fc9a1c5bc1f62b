// SPDX-License-Identifier: MIT
#pragma once

#include "admintablemodels.h"
#include "admintool.h"

namespace flippdeal::admin {

class AdminConsole;

//! \brief The Users tool: fetches the users matching a search (GET /api/admin/users) and bans,
//! unbans, revokes tokens and terminates connections.
class UsersToolModel : public UserTableModel
{
    Q_OBJECT
    Q_PROPERTY(QString search READ search WRITE setSearch NOTIFY searchChanged)
    Q_PROPERTY(qint64 total READ total NOTIFY totalChanged)

public:
    //! How many users one answer holds at most.
    static constexpr int PageSize = 200;

    UsersToolModel(AdminConsole &console, NameDirectory &names, QObject *parent = nullptr);

    //! Fetches the users that match search().
    Q_INVOKABLE void refresh();
    QString search() const { return m_search; }
    //! Searches by name or email (empty: all) and refreshes.
    void setSearch(const QString &search);
    //! How many users match the search (the table holds the first PageSize).
    qint64 total() const { return m_total; }
    //! Empties the table, the search and the total (on sign-out).
    void reset();

    bool ban(qint64 userId, Done done = {});
    bool unban(qint64 userId, Done done = {});
    bool revokeTokens(qint64 userId, Done done = {});
    bool terminateConnections(qint64 userId, Done done = {});

Q_SIGNALS:
    void searchChanged();
    void totalChanged();

private:
    void take(const QJsonObject &answer);
    //! `Name <email>` of a listed user, else what the name directory knows.
    QString label(qint64 userId) const;

    AdminConsole &m_console;
    NameDirectory &m_names;
    QString m_search;
    qint64 m_total = 0;
};

} // namespace flippdeal::admin
