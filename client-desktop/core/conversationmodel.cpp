// SPDX-License-Identifier: MIT
#include "conversationmodel.h"

#include "apiclient.h"
#include "realtimeclient.h"

#include <QDateTime>
#include <QJsonArray>

namespace flippdeal::client {

ConversationModel::ConversationModel(ApiClient &api, RealtimeClient &realtime, qint64 myUserId,
                                     QObject *parent)
    : QAbstractListModel(parent)
    , m_api(api)
    , m_me(myUserId)
{
    connect(&realtime, &RealtimeClient::eventReceived, this,
            [this](const QString &channel, const QString &event, const QJsonObject &data, qint64) {
                onEvent(channel, event, data);
            });
}

int ConversationModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

QVariant ConversationModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &row = m_rows.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case OtherNameRole:
        return row.other.name;
    case OtherUserIdRole:
        return row.other.id;
    case DomainIdRole:
        return row.domainId;
    case LastBodyRole:
        return row.last.body;
    case LastFromMeRole:
        return row.last.fromUserId == m_me;
    case LastAtRole:
        return QDateTime::fromMSecsSinceEpoch(row.last.createdAt, Qt::UTC);
    case UnreadRole:
        return row.unread;
    default:
        return {};
    }
}

QHash<int, QByteArray> ConversationModel::roleNames() const
{
    return {{OtherUserIdRole, "otherUserId"},
            {OtherNameRole, "otherName"},
            {DomainIdRole, "domainId"},
            {LastBodyRole, "lastBody"},
            {LastFromMeRole, "lastFromMe"},
            {LastAtRole, "lastAt"},
            {UnreadRole, "unread"}};
}

int ConversationModel::totalUnread() const
{
    int total = 0;
    for (const Row &row : m_rows)
        total += row.unread;
    return total;
}

int ConversationModel::rowOf(qint64 otherUserId, qint64 domainId) const
{
    for (int i = 0; i < m_rows.size(); ++i)
        if (m_rows.at(i).other.id == otherUserId && m_rows.at(i).domainId == domainId)
            return i;
    return -1;
}

void ConversationModel::reload()
{
    if (m_loading) {
        m_reloadAgain = true; // a change arrived while loading: load once more afterwards
        return;
    }
    m_loading = true;
    Q_EMIT loadingChanged();
    m_api.get(this, QStringLiteral("/api/messages/conversations"), [this](const ApiResult &result) {
        m_loading = false;
        Q_EMIT loadingChanged();
        if (!result.ok()) {
            m_errorString = result.errorString;
            Q_EMIT errorStringChanged();
            return;
        }
        if (!m_errorString.isEmpty()) {
            m_errorString.clear();
            Q_EMIT errorStringChanged();
        }
        QList<Row> rows;
        for (const QJsonValue &value : result.json.value(QLatin1String("data")).toArray()) {
            const QJsonObject json = value.toObject();
            const auto other =
                protocol::User::fromJson(json.value(QLatin1String("other_user")).toObject());
            const auto last =
                protocol::Message::fromJson(json.value(QLatin1String("last_message")).toObject());
            if (!other || !last)
                continue;
            rows.append({*other, json.value(QLatin1String("domain_id")).toInteger(0), *last,
                         json.value(QLatin1String("unread_count")).toInt()});
        }
        beginResetModel();
        m_rows = rows;
        endResetModel();
        Q_EMIT totalUnreadChanged();
        if (std::exchange(m_reloadAgain, false))
            reload();
    });
}

void ConversationModel::noteRead(qint64 otherUserId, qint64 domainId, int count)
{
    // A domain-less conversation view shows every message with that user, so any row with
    // them may have lost unread messages; the precise numbers come with the next reload.
    bool changed = false;
    for (int i = 0; i < m_rows.size(); ++i) {
        Row &row = m_rows[i];
        if (row.other.id != otherUserId || (domainId != 0 && row.domainId != domainId) ||
            row.unread == 0)
            continue;
        row.unread = std::max(0, row.unread - count);
        changed = true;
        Q_EMIT dataChanged(index(i), index(i), {UnreadRole});
        if (domainId != 0)
            break;
    }
    if (changed)
        Q_EMIT totalUnreadChanged();
}

void ConversationModel::onEvent(const QString &channel, const QString &event,
                                const QJsonObject &data)
{
    if (event != protocol::EventName::MessageSent || channel != protocol::Channels::user(m_me))
        return;
    const auto message =
        protocol::Message::fromJson(data.value(QLatin1String("message")).toObject());
    if (!message)
        return;
    const qint64 other = message->fromUserId == m_me ? message->toUserId : message->fromUserId;
    const int row = rowOf(other, message->domainId.value_or(0));
    if (row < 0) {
        reload(); // a new conversation: the server knows the other user's name
        return;
    }
    if (message->id <= m_rows.at(row).last.id)
        return; // already shown (a recovered duplicate or an earlier reload)
    Row updated = m_rows.at(row);
    updated.last = *message;
    if (message->fromUserId == other && !message->readAt)
        ++updated.unread;
    if (row != 0) {
        beginMoveRows({}, row, row, {}, 0);
        m_rows.move(row, 0);
        endMoveRows();
    }
    m_rows[0] = updated;
    Q_EMIT dataChanged(index(0), index(0));
    Q_EMIT totalUnreadChanged();
}

} // namespace flippdeal::client
