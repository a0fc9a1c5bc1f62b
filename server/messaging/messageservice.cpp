// SPDX-License-Identifier: MIT
#include "messaging/messageservice.h"

#include "core/logging.h"
#include "events/eventstore.h"
#include "messaging/htmlsanitizer.h"
#include "notifications/notificationservice.h"
#include "storage/database.h"

#include "protocol/timeformat.h"

namespace flippdeal::server {

namespace {

const QString messageColumns = QStringLiteral(
    "SELECT id, from_user_id, to_user_id, domain_id, body, created_at, read_at FROM messages ");

protocol::Message messageFromRow(const SqlQuery &query, int offset = 0)
{
    protocol::Message m;
    m.id = query.int64(offset);
    m.fromUserId = query.int64(offset + 1);
    m.toUserId = query.int64(offset + 2);
    m.domainId = query.optionalInt64(offset + 3);
    m.body = query.text(offset + 4);
    m.createdAt = query.int64(offset + 5);
    m.readAt = query.optionalInt64(offset + 6);
    return m;
}

QString preview(const QString &body)
{
    constexpr qsizetype PreviewLength = 120;
    if (body.size() <= PreviewLength)
        return body;
    return body.left(PreviewLength - 1) + QChar(0x2026);
}

} // namespace

MessageService::MessageService(Database &db, EventStore &events, NotificationService &notifications,
                               double messagesPerSecond)
    : m_db(db)
    , m_events(events)
    , m_notifications(notifications)
    , m_limiter(messagesPerSecond, messagesPerSecond)
{}

Expected<protocol::Message> MessageService::send(const protocol::User &sender, qint64 toUserId,
                                                 std::optional<qint64> domainId,
                                                 const QString &body, qint64 nowMs,
                                                 const QString &clientId, bool *replayed)
{
    if (replayed)
        *replayed = false;
    // The rate limit is charged before any work, and the raw body is measured before the HTML
    // parser sees it: parsing hostile markup is the most expensive thing a client can ask for.
    const QString limiterKey = QString::number(sender.id);
    if (!m_limiter.tryAcquire(limiterKey, nowMs))
        return ApiError::tooManyRequests(m_limiter.retryAfterSeconds(limiterKey, nowMs));
    const MarkupLimits limits;
    if (body.size() > limits.maxLength)
        return ApiError::validation(
            QStringLiteral("body"),
            QStringLiteral("The body may not be longer than %1 characters before HTML is removed.")
                .arg(limits.maxLength));
    const std::optional<QString> sanitized = htmlToPlainText(body, limits);
    if (!sanitized)
        return ApiError::validation(
            QStringLiteral("body"),
            QStringLiteral("The body may not contain more than %1 HTML tags.").arg(limits.maxTags));
    const QString &text = *sanitized;

    const auto earlier = [&]() -> std::optional<protocol::Message> {
        if (clientId.isEmpty())
            return std::nullopt;
        SqlQuery query(m_db,
                       messageColumns + QStringLiteral("WHERE from_user_id = ? AND client_id = ?"));
        query.bind(sender.id).bind(clientId).exec();
        if (!query.next())
            return std::nullopt;
        if (replayed)
            *replayed = true;
        return messageFromRow(query);
    };
    try {
        if (const auto message = earlier()) {
            if (message->toUserId != toUserId || message->domainId != domainId ||
                message->body != text)
                return ApiError::conflict(
                    QStringLiteral("This client_id was already used for another message."));
            return *message;
        }
    } catch (const DbError &error) {
        qCWarning(lcMessaging) << error.what();
        return ApiError::internal();
    }

    if (text.isEmpty())
        return ApiError::validation(
            QStringLiteral("body"),
            QStringLiteral("The body must contain text once HTML is removed."));
    if (codePointLength(text) > MaxBodyLength)
        return ApiError::validation(
            QStringLiteral("body"),
            QStringLiteral("The body may not be longer than %1 characters.").arg(MaxBodyLength));
    if (toUserId == sender.id)
        return ApiError::validation(QStringLiteral("to_user_id"),
                                    QStringLiteral("You cannot send a message to yourself."));

    try {
        SqlQuery recipient(m_db, QStringLiteral("SELECT 1 FROM users WHERE id = ?"));
        recipient.bind(toUserId).exec();
        if (!recipient.next())
            return ApiError::validation(QStringLiteral("to_user_id"),
                                        QStringLiteral("The selected recipient does not exist."));
        if (domainId) {
            SqlQuery domain(m_db, QStringLiteral("SELECT 1 FROM domains WHERE id = ?"));
            domain.bind(*domainId).exec();
            if (!domain.next())
                return ApiError::validation(QStringLiteral("domain_id"),
                                            QStringLiteral("The selected domain does not exist."));
        }
    } catch (const DbError &error) {
        qCWarning(lcMessaging) << error.what();
        return ApiError::internal();
    }

    protocol::Message message;
    const bool ok = m_events.transaction([&](EventBatch &batch) {
        message.fromUserId = sender.id;
        message.toUserId = toUserId;
        message.domainId = domainId;
        message.body = text;
        message.createdAt = nowMs;
        message.id =
            SqlQuery(m_db, QStringLiteral(
                               "INSERT INTO messages (from_user_id, to_user_id, domain_id, body, "
                               "created_at, client_id) VALUES (?, ?, ?, ?, ?, ?) RETURNING id"))
                .bind(sender.id)
                .bind(toUserId)
                .bindOptional(domainId)
                .bind(text)
                .bind(nowMs)
                .bind(clientId.isEmpty() ? QVariant(QMetaType::fromType<QString>())
                                         : QVariant(clientId))
                .scalar();
        const QJsonObject payload{{QLatin1String("message"), message.toJson()}};
        batch.add(protocol::Channels::user(toUserId), protocol::EventName::MessageSent, payload);
        batch.add(protocol::Channels::user(sender.id), protocol::EventName::MessageSent, payload);
        m_notifications.notifyUser(
            batch, toUserId, protocol::NotificationType::MessageReceived,
            {{QLatin1String("message_id"), message.id},
             {QLatin1String("from_user_id"), sender.id},
             {QLatin1String("from_name"), sender.name},
             {QLatin1String("domain_id"), domainId ? QJsonValue(*domainId) : QJsonValue()},
             {QLatin1String("preview"), preview(text)}});
        return true;
    });
    if (!ok) {
        // Two sends with the same client id at once: the unique index let one in.
        try {
            if (const auto stored = earlier())
                return *stored;
        } catch (const DbError &error) {
            qCWarning(lcMessaging) << error.what();
        }
        return ApiError::internal();
    }
    qCDebug(lcMessaging) << "message" << message.id << "from" << sender.id << "to" << toUserId;
    return message;
}

Expected<MessagePage> MessageService::conversation(qint64 userId, qint64 otherUserId,
                                                   std::optional<qint64> domainId, int page,
                                                   int perPage)
{
    MessagePage result;
    result.page = page;
    result.perPage = perPage;
    const QString where = QStringLiteral("WHERE ((from_user_id = ? AND to_user_id = ?) OR "
                                         "(from_user_id = ? AND to_user_id = ?)) ") +
                          (domainId ? QStringLiteral("AND domain_id = ? ") : QString());
    try {
        SqlQuery count(m_db, QStringLiteral("SELECT COUNT(*) FROM messages ") + where);
        count.bind(userId).bind(otherUserId).bind(otherUserId).bind(userId);
        if (domainId)
            count.bind(*domainId);
        result.total = count.scalar();

        SqlQuery rows(m_db,
                      messageColumns + where + QStringLiteral("ORDER BY id DESC LIMIT ? OFFSET ?"));
        rows.bind(userId).bind(otherUserId).bind(otherUserId).bind(userId);
        if (domainId)
            rows.bind(*domainId);
        rows.bind(perPage).bind(qint64(page - 1) * perPage).exec();
        while (rows.next())
            result.messages.append(messageFromRow(rows));
    } catch (const DbError &error) {
        qCWarning(lcMessaging) << error.what();
        return ApiError::internal();
    }
    return result;
}

Expected<QList<ConversationSummary>> MessageService::conversations(qint64 userId)
{
    QList<ConversationSummary> result;
    try {
        // The latest message of each (other user, domain) pair, with the unread count of what
        // the other user sent. COALESCE(domain_id, 0) groups domain-less chats together.
        SqlQuery query(
            m_db, QStringLiteral("SELECT m.id, m.from_user_id, m.to_user_id, m.domain_id, m.body, "
                                 "m.created_at, m.read_at, "
                                 "       u.id, u.name, "
                                 "       (SELECT COUNT(*) FROM messages x WHERE x.to_user_id = ? "
                                 "AND x.from_user_id = u.id "
                                 "          AND COALESCE(x.domain_id, 0) = COALESCE(m.domain_id, "
                                 "0) AND x.read_at IS NULL) "
                                 "FROM messages m JOIN users u ON u.id = CASE WHEN m.from_user_id "
                                 "= ? THEN m.to_user_id ELSE m.from_user_id END "
                                 "WHERE m.id IN (SELECT MAX(id) FROM messages WHERE from_user_id = "
                                 "? OR to_user_id = ? "
                                 "               GROUP BY CASE WHEN from_user_id = ? THEN "
                                 "to_user_id ELSE from_user_id END, COALESCE(domain_id, 0)) "
                                 "ORDER BY m.id DESC LIMIT 200"));
        query.bind(userId).bind(userId).bind(userId).bind(userId).bind(userId).exec();
        while (query.next()) {
            ConversationSummary summary;
            summary.lastMessage = messageFromRow(query);
            summary.domainId = summary.lastMessage.domainId;
            // Only what other users may see of a user: no email, no role.
            summary.otherUser = protocol::User{query.int64(7), query.text(8), {}, {}};
            summary.unreadCount = query.int64(9);
            result.append(summary);
        }
    } catch (const DbError &error) {
        qCWarning(lcMessaging) << error.what();
        return ApiError::internal();
    }
    return result;
}

Expected<protocol::Message> MessageService::markRead(qint64 userId, qint64 messageId)
{
    std::optional<protocol::Message> message;
    bool forbidden = false;
    const bool ok = m_events.transaction([&](EventBatch &batch) {
        SqlQuery query(m_db, messageColumns + QStringLiteral("WHERE id = ?"));
        query.bind(messageId).exec();
        if (!query.next())
            return false;
        message = messageFromRow(query);
        if (message->toUserId != userId) {
            forbidden = true;
            return false;
        }
        if (message->readAt)
            return true; // already read: no second receipt
        const qint64 now = protocol::nowMs();
        SqlQuery update(
            m_db,
            QStringLiteral("UPDATE messages SET read_at = ? WHERE id = ? AND read_at IS NULL"));
        update.bind(now).bind(messageId).exec();
        if (update.numRowsAffected() != 1) {
            // Another node marked it read between our read and our write: no second receipt.
            SqlQuery reread(m_db, messageColumns + QStringLiteral("WHERE id = ?"));
            reread.bind(messageId).exec();
            if (reread.next())
                message = messageFromRow(reread);
            return true;
        }
        message->readAt = now;
        batch.add(protocol::Channels::user(message->fromUserId), protocol::EventName::MessageRead,
                  {{QLatin1String("message"), message->toJson()}});
        return true;
    });
    if (forbidden)
        return ApiError::forbidden(
            QStringLiteral("Only the recipient may mark a message as read."));
    if (!message)
        return ApiError::notFound(QStringLiteral("Message not found."));
    if (!ok)
        return ApiError::internal();
    return *message;
}

Expected<qint64> MessageService::unreadCount(qint64 userId)
{
    try {
        return SqlQuery(
                   m_db,
                   QStringLiteral(
                       "SELECT COUNT(*) FROM messages WHERE to_user_id = ? AND read_at IS NULL"))
            .bind(userId)
            .scalar();
    } catch (const DbError &error) {
        qCWarning(lcMessaging) << error.what();
        return ApiError::internal();
    }
}

} // namespace flippdeal::server
