// SPDX-License-Identifier: MIT
#include "userstoolmodel.h"

#include "adminconsole.h"
#include "admintool_p.h"

#include "apiclient.h"

#include <QUrl>
#include <QUrlQuery>

namespace flippdeal::admin {

using client::ApiResult;
using Table = AdminConsole::Table;
using namespace tool;

UsersToolModel::UsersToolModel(AdminConsole &console, NameDirectory &names, QObject *parent)
    : UserTableModel(parent)
    , m_console(console)
    , m_names(names)
{}

void UsersToolModel::refresh()
{
    if (!m_console.isSignedIn())
        return;
    QUrlQuery query;
    if (!m_search.isEmpty())
        query.addQueryItem(QStringLiteral("search"), m_search);
    query.addQueryItem(QStringLiteral("limit"), QString::number(PageSize));
    m_console.load(*this, QStringLiteral("/api/admin/users?") + query.toString(QUrl::FullyEncoded),
                   [this](const ApiResult &result) { take(result.json); });
}

void UsersToolModel::take(const QJsonObject &answer)
{
    const QJsonArray data = answer.value(QLatin1String("data")).toArray();
    m_names.addUsers(data);
    setRows(data);
    const qint64 total = answer.value(QLatin1String("meta"))
                             .toObject()
                             .value(QLatin1String("total"))
                             .toInteger(data.size());
    if (total != m_total) {
        m_total = total;
        Q_EMIT totalChanged();
    }
}

void UsersToolModel::setSearch(const QString &search)
{
    const QString trimmed = search.trimmed();
    if (trimmed != m_search) {
        m_search = trimmed;
        Q_EMIT searchChanged();
    }
    refresh();
}

void UsersToolModel::reset()
{
    clear();
    if (m_total != 0) {
        m_total = 0;
        Q_EMIT totalChanged();
    }
}

QString UsersToolModel::label(qint64 userId) const
{
    const QJsonObject user = objectWithId(userId);
    if (user.isEmpty())
        return m_names.userLabel(userId);
    return QStringLiteral("%1 <%2>").arg(string(user, "name"), string(user, "email"));
}

bool UsersToolModel::ban(qint64 userId, Done done)
{
    const QString who = label(userId);
    return m_console.perform(
        {tr("Ban user"),
         tr("Ban %1?\n\nEvery token of the account is revoked and its live connections are "
            "closed. The user cannot sign in until unbanned.")
             .arg(who),
         "POST",
         QStringLiteral("/api/admin/users/%1/ban").arg(userId),
         {},
         [this, who, userId](const ApiResult &result) {
             QJsonObject user = result.json.value(QLatin1String("user")).toObject();
             user.insert(QLatin1String("connections"), 0);
             upsert(merged(objectWithId(userId), user));
             return tr("Banned %1; %2 closed.")
                 .arg(who, quantity(integer(result.json, "connections_closed"), tr("1 connection"),
                                    tr("%1 connections")));
         },
         {Table::Stats, Table::Channels},
         std::move(done)});
}

bool UsersToolModel::unban(qint64 userId, Done done)
{
    const QString who = label(userId);
    return m_console.perform(
        {tr("Unban user"),
         {},
         "POST",
         QStringLiteral("/api/admin/users/%1/unban").arg(userId),
         {},
         [this, who, userId](const ApiResult &result) {
             upsert(
                 merged(objectWithId(userId), result.json.value(QLatin1String("user")).toObject()));
             return tr("Unbanned %1; they can sign in again.").arg(who);
         },
         {Table::Stats},
         std::move(done)});
}

bool UsersToolModel::revokeTokens(qint64 userId, Done done)
{
    const QString who = label(userId);
    return m_console.perform(
        {tr("Revoke tokens"),
         tr("Revoke every token of %1?\n\nThey are signed out on every device and "
            "have to sign in again.")
             .arg(who),
         "POST",
         QStringLiteral("/api/admin/users/%1/revoke-tokens").arg(userId),
         {},
         [who](const ApiResult &result) {
             return tr("Revoked %1 of %2.")
                 .arg(quantity(integer(result.json, "revoked"), tr("1 token"), tr("%1 tokens")),
                      who);
         },
         {Table::Users},
         std::move(done)});
}

bool UsersToolModel::terminateConnections(qint64 userId, Done done)
{
    const QString who = label(userId);
    return m_console.perform(
        {tr("Terminate connections"),
         tr("Close every live connection of %1?\n\nTheir apps may connect again.").arg(who),
         "POST",
         QStringLiteral("/api/admin/users/%1/terminate-connections").arg(userId),
         {},
         [who](const ApiResult &result) {
             return tr("Closed %1 of %2.")
                 .arg(quantity(integer(result.json, "connections_closed"), tr("1 connection"),
                               tr("%1 connections")),
                      who);
         },
         {Table::Users, Table::Channels, Table::Stats},
         std::move(done)});
}

} // namespace flippdeal::admin
