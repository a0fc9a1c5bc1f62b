// SPDX-License-Identifier: MIT
#include "messaging/messagetable.h"

#include "messaging/messageservice.h"
#include "storage/database.h"

namespace flippdeal::server {

using namespace Qt::StringLiterals;

namespace {

const QString selectMessages = QStringLiteral(
    "SELECT id, from_user_id, to_user_id, domain_id, body, created_at, read_at FROM messages ");

protocol::Message messageFromRow(const SqlQuery &row)
{
    protocol::Message m;
    m.id = row.int64("id"_L1);
    m.fromUserId = row.int64("from_user_id"_L1);
    m.toUserId = row.int64("to_user_id"_L1);
    m.domainId = row.optionalInt64("domain_id"_L1);
    m.body = row.text("body"_L1);
    m.createdAt = row.int64("created_at"_L1);
    m.readAt = row.optionalInt64("read_at"_L1);
    return m;
}

QString betweenUsers(std::optional<qint64> domainId)
{
    return QStringLiteral("WHERE ((from_user_id = ? AND to_user_id = ?) OR "
                          "(from_user_id = ? AND to_user_id = ?)) ") +
           (domainId ? QStringLiteral("AND domain_id = ? ") : QString());
}

void bindBetween(SqlQuery &query, qint64 userId, qint64 otherUserId, std::optional<qint64> domainId)
{
    query.bind(userId).bind(otherUserId).bind(otherUserId).bind(userId);
    if (domainId)
        query.bind(*domainId);
}

} // namespace

std::optional<protocol::Message> MessageTable::find(qint64 messageId)
{
    SqlQuery query(m_db, selectMessages + QStringLiteral("WHERE id = ?"));
    query.bind(messageId).exec();
    if (!query.next())
        return std::nullopt;
    return messageFromRow(query);
}

std::optional<protocol::Message> MessageTable::findByClientId(qint64 senderId,
                                                              const QString &clientId)
{
    SqlQuery query(m_db,
                   selectMessages + QStringLiteral("WHERE from_user_id = ? AND client_id = ?"));
    query.bind(senderId).bind(clientId).exec();
    if (!query.next())
        return std::nullopt;
    return messageFromRow(query);
}

qint64 MessageTable::insert(const protocol::Message &message, const QString &clientId)
{
    return SqlQuery(m_db, QStringLiteral("INSERT INTO messages (from_user_id, to_user_id, "
                                         "domain_id, body, created_at, client_id) "
                                         "VALUES (?, ?, ?, ?, ?, ?) RETURNING id"))
        .bind(message.fromUserId)
        .bind(message.toUserId)
        .bindOptional(message.domainId)
        .bind(message.body)
        .bind(message.createdAt)
        .bind(clientId.isEmpty() ? QVariant(QMetaType::fromType<QString>()) : QVariant(clientId))
        .scalar();
}

bool MessageTable::markRead(qint64 messageId, qint64 nowMs)
{
    SqlQuery update(
        m_db, QStringLiteral("UPDATE messages SET read_at = ? WHERE id = ? AND read_at IS NULL"));
    update.bind(nowMs).bind(messageId).exec();
    return update.numRowsAffected() == 1;
}

qint64 MessageTable::countBetween(qint64 userId, qint64 otherUserId, std::optional<qint64> domainId)
{
    SqlQuery count(m_db, QStringLiteral("SELECT COUNT(*) FROM messages ") + betweenUsers(domainId));
    bindBetween(count, userId, otherUserId, domainId);
    return count.scalar();
}

QList<protocol::Message> MessageTable::pageBetween(qint64 userId, qint64 otherUserId,
                                                   std::optional<qint64> domainId, int page,
                                                   int perPage)
{
    SqlQuery rows(m_db, selectMessages + betweenUsers(domainId) +
                            QStringLiteral("ORDER BY id DESC LIMIT ? OFFSET ?"));
    bindBetween(rows, userId, otherUserId, domainId);
    rows.bind(perPage).bind(qint64(page - 1) * perPage).exec();
    QList<protocol::Message> messages;
    while (rows.next())
        messages.append(messageFromRow(rows));
    return messages;
}

QList<ConversationSummary> MessageTable::conversations(qint64 userId)
{
    // The latest message of each (other user, domain) pair, with the unread count of what the
    // other user sent. COALESCE(domain_id, 0) groups domain-less chats together.
    SqlQuery query(
        m_db, QStringLiteral(
                  "SELECT m.id, m.from_user_id, m.to_user_id, m.domain_id, m.body, m.created_at, "
                  "m.read_at, u.id AS other_id, u.name AS other_name, "
                  "(SELECT COUNT(*) FROM messages x WHERE x.to_user_id = ? "
                  "AND x.from_user_id = u.id AND COALESCE(x.domain_id, 0) = "
                  "COALESCE(m.domain_id, 0) AND x.read_at IS NULL) AS unread_count "
                  "FROM messages m JOIN users u ON u.id = CASE WHEN m.from_user_id = ? "
                  "THEN m.to_user_id ELSE m.from_user_id END "
                  "WHERE m.id IN (SELECT MAX(id) FROM messages WHERE from_user_id = ? "
                  "OR to_user_id = ? GROUP BY CASE WHEN from_user_id = ? THEN to_user_id "
                  "ELSE from_user_id END, COALESCE(domain_id, 0)) "
                  "ORDER BY m.id DESC LIMIT 200"));
    query.bind(userId).bind(userId).bind(userId).bind(userId).bind(userId).exec();
    QList<ConversationSummary> result;
    while (query.next()) {
        ConversationSummary summary;
        summary.lastMessage = messageFromRow(query);
        summary.domainId = summary.lastMessage.domainId;
        // Only what other users may see of a user: no email, no role.
        summary.otherUser =
            protocol::User{query.int64("other_id"_L1), query.text("other_name"_L1), {}, {}};
        summary.unreadCount = query.int64("unread_count"_L1);
        result.append(summary);
    }
    return result;
}

qint64 MessageTable::unreadCount(qint64 userId)
{
    return SqlQuery(m_db, QStringLiteral("SELECT COUNT(*) FROM messages WHERE to_user_id = ? AND "
                                         "read_at IS NULL"))
        .bind(userId)
        .scalar();
}

bool MessageTable::userExists(qint64 userId)
{
    SqlQuery query(m_db, QStringLiteral("SELECT 1 FROM users WHERE id = ?"));
    query.bind(userId).exec();
    return query.next();
}

bool MessageTable::domainVisible(qint64 domainId, qint64 viewerId)
{
    SqlQuery query(m_db, QStringLiteral("SELECT 1 FROM domains WHERE id = ? AND "
                                        "(status <> 'draft' OR owner_id = ?)"));
    query.bind(domainId).bind(viewerId).exec();
    return query.next();
}

} // namespace flippdeal::server
