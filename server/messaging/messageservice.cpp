// SPDX-License-Identifier: MIT
#include "messaging/messageservice.h"

#include "core/logging.h"
#include "events/eventstore.h"
#include "messaging/htmlsanitizer.h"
#include "messaging/messagetable.h"
#include "notifications/notificationservice.h"
#include "storage/database.h"

#include "protocol/timeformat.h"

namespace flippdeal::server {

using namespace Qt::StringLiterals;

namespace {

QString preview(const QString &body)
{
    constexpr qsizetype PreviewLength = 120;
    if (body.size() <= PreviewLength)
        return body;
    return body.left(PreviewLength - 1) + QChar(0x2026);
}

//! The 422 for a raw body too long to parse, or nothing (one comparison).
std::optional<ApiError> rawLengthRefusal(const QString &body)
{
    const MarkupLimits limits;
    if (body.size() <= limits.maxLength)
        return std::nullopt;
    return ApiError::validation(
        QStringLiteral("body"),
        QStringLiteral("The body may not be longer than %1 characters before HTML is removed.")
            .arg(limits.maxLength));
}

//! The plain text of a message body, or the 422 that says why there is none. The raw body is
//! measured before the HTML parser sees it: parsing hostile markup is the most expensive thing
//! a client can ask for.
Expected<QString> plainTextOf(const QString &body)
{
    if (auto refusal = rawLengthRefusal(body))
        return *refusal;
    const MarkupLimits limits;
    const std::optional<QString> sanitized = htmlToPlainText(body, limits);
    if (!sanitized)
        return ApiError::validation(
            QStringLiteral("body"),
            QStringLiteral("The body may not contain more than %1 HTML tags.").arg(limits.maxTags));
    return *sanitized;
}

//! The 422 for a message `text` that may not be sent as it is, or nothing.
std::optional<ApiError> refusalOfText(const QString &text)
{
    if (text.isEmpty())
        return ApiError::validation(
            QStringLiteral("body"),
            QStringLiteral("The body must contain text once HTML is removed."));
    if (codePointLength(text) > MessageService::MaxBodyLength)
        return ApiError::validation(QStringLiteral("body"),
                                    QStringLiteral("The body may not be longer than %1 characters.")
                                        .arg(MessageService::MaxBodyLength));
    return std::nullopt;
}

} // namespace

MessageService::MessageService(Database &db, EventStore &events, NotificationService &notifications,
                               double messagesPerSecond)
    : m_db(db)
    , m_messages(db)
    , m_events(events)
    , m_notifications(notifications)
    , m_limiter(messagesPerSecond, messagesPerSecond)
    , m_sanitizer(SanitizeWorkers, SanitizeWaiting)
{}

Expected<protocol::Message> MessageService::send(const protocol::User &sender, qint64 toUserId,
                                                 std::optional<qint64> domainId,
                                                 const QString &body, qint64 nowMs,
                                                 const QString &clientId, bool *replayed)
{
    if (replayed)
        *replayed = false;
    if (auto refusal = rateRefusal(sender, nowMs))
        return *refusal;
    auto message = draft(sender, toUserId, domainId, plainTextOf(body), nowMs);
    if (!message)
        return message.error();
    const auto sent = m_events.transaction([&](EventBatch &batch) -> Expected<SentMessage> {
        return record(batch, *message, sender, clientId);
    });
    if (!sent)
        return sent.error();
    if (replayed)
        *replayed = sent->replayed;
    return sent->message;
}

QFuture<Expected<SentMessage>> MessageService::sendLater(const protocol::User &sender,
                                                         qint64 toUserId,
                                                         std::optional<qint64> domainId,
                                                         const QString &body, qint64 nowMs,
                                                         const QString &clientId)
{
    using Result = Expected<SentMessage>;
    if (auto refusal = rateRefusal(sender, nowMs))
        return QtFuture::makeReadyFuture(Result(*refusal));
    if (!m_sharedLimit)
        return sendAllowed(sender, toUserId, domainId, body, nowMs, clientId);
    // The future finishes on this thread (a pass after the Redis answer's), so its
    // continuation runs here.
    return m_sharedLimit(sender.id)
        .then([this, sender, toUserId, domainId, body, nowMs, clientId](std::optional<int> waitMs) {
            if (waitMs && *waitMs > 0)
                return QtFuture::makeReadyFuture(
                    Result(ApiError::tooManyRequests((*waitMs + 999) / 1000)));
            return sendAllowed(sender, toUserId, domainId, body, nowMs, clientId);
        })
        .unwrap();
}

QFuture<Expected<SentMessage>> MessageService::sendAllowed(const protocol::User &sender,
                                                           qint64 toUserId,
                                                           std::optional<qint64> domainId,
                                                           const QString &body, qint64 nowMs,
                                                           const QString &clientId)
{
    using Result = Expected<SentMessage>;
    if (body.size() <= InlineSanitizeLength)
        return recordLater(sender, toUserId, domainId, plainTextOf(body), nowMs, clientId);
    if (auto refusal = rawLengthRefusal(body)) // cheap: refused here, taking no pool place
        return QtFuture::makeReadyFuture(Result(*refusal));
    if (m_sanitizer.isFull())
        return QtFuture::makeReadyFuture(Result(ApiError{
            503,
            QStringLiteral("The server is busy with other messages. Try again in a moment."),
            {},
            1}));
    return m_sanitizer
        .run<Expected<QString>>(QString::number(sender.id), [body] { return plainTextOf(body); })
        .then(&m_sanitizer,
              [this, sender, toUserId, domainId, nowMs, clientId](const Expected<QString> &text) {
                  return recordLater(sender, toUserId, domainId, text, nowMs, clientId);
              })
        .unwrap();
}

QFuture<Expected<SentMessage>> MessageService::recordLater(const protocol::User &sender,
                                                           qint64 toUserId,
                                                           std::optional<qint64> domainId,
                                                           const Expected<QString> &text,
                                                           qint64 nowMs, const QString &clientId)
{
    auto message = draft(sender, toUserId, domainId, text, nowMs);
    if (!message)
        return QtFuture::makeReadyFuture(Expected<SentMessage>(message.error()));
    return m_events.transactionLater(
        [this, message = *message, sender, clientId](EventBatch &batch) -> Expected<SentMessage> {
            return record(batch, message, sender, clientId);
        });
}

std::optional<ApiError> MessageService::rateRefusal(const protocol::User &sender, qint64 nowMs)
{
    const QString limiterKey = QString::number(sender.id);
    if (!m_limiter.tryAcquire(limiterKey, nowMs))
        return ApiError::tooManyRequests(m_limiter.retryAfterSeconds(limiterKey, nowMs));
    return std::nullopt;
}

Expected<protocol::Message> MessageService::draft(const protocol::User &sender, qint64 toUserId,
                                                  std::optional<qint64> domainId,
                                                  const Expected<QString> &text, qint64 nowMs)
{
    if (!text)
        return text.error();
    if (auto refusal = refusalOfText(*text))
        return *refusal;
    if (toUserId == sender.id)
        return ApiError::validation(QStringLiteral("to_user_id"),
                                    QStringLiteral("You cannot send a message to yourself."));
    return protocol::Message{0, sender.id, toUserId, domainId, *text, nowMs, std::nullopt};
}

Expected<SentMessage> MessageService::record(EventBatch &batch, const protocol::Message &message,
                                             const protocol::User &sender,
                                             const QString &clientId) const
{
    MessageTable messages(batch.db());
    if (auto earlier = replay(messages, message, clientId); !earlier || *earlier)
        return earlier ? Expected<SentMessage>(SentMessage{**earlier, true})
                       : Expected<SentMessage>(earlier.error());
    if (!messages.userExists(message.toUserId))
        return ApiError::validation(QStringLiteral("to_user_id"),
                                    QStringLiteral("The selected recipient does not exist."));
    if (message.domainId && !messages.domainVisible(*message.domainId, sender.id))
        return ApiError::validation(QStringLiteral("domain_id"),
                                    QStringLiteral("The selected domain does not exist."));
    const auto stored = batch.db().savepoint(
        [&]() -> Expected<protocol::Message> { return store(batch, message, sender, clientId); });
    if (!stored && !clientId.isEmpty()) {
        // Two sends with the same client id at once, through two nodes: the unique index let
        // the other one in.
        if (auto earlier = replay(messages, message, clientId); earlier && *earlier)
            return SentMessage{**earlier, true};
    }
    if (!stored)
        return stored.error();
    return SentMessage{*stored, false};
}

Expected<std::optional<protocol::Message>> MessageService::replay(MessageTable &messages,
                                                                  const protocol::Message &message,
                                                                  const QString &clientId)
{
    if (clientId.isEmpty())
        return std::optional<protocol::Message>();
    const auto earlier = messages.findByClientId(message.fromUserId, clientId);
    if (earlier && (earlier->toUserId != message.toUserId ||
                    earlier->domainId != message.domainId || earlier->body != message.body))
        return ApiError::conflict(
            QStringLiteral("This client_id was already used for another message."));
    return earlier;
}

protocol::Message MessageService::store(EventBatch &batch, protocol::Message message,
                                        const protocol::User &sender, const QString &clientId) const
{
    message.id = MessageTable(batch.db()).insert(message, clientId);
    const QJsonObject payload{{"message"_L1, message.toJson()}};
    batch.add(protocol::Channels::user(message.toUserId), protocol::EventName::MessageSent,
              payload);
    batch.add(protocol::Channels::user(sender.id), protocol::EventName::MessageSent, payload);
    m_notifications.notifyUser(
        batch, message.toUserId, protocol::NotificationType::MessageReceived,
        {{"message_id"_L1, message.id},
         {"from_user_id"_L1, sender.id},
         {"from_name"_L1, sender.name},
         {"domain_id"_L1, message.domainId ? QJsonValue(*message.domainId) : QJsonValue()},
         {"preview"_L1, preview(message.body)}});
    qCDebug(lcMessaging) << "message" << message.id << "from" << sender.id << "to"
                         << message.toUserId;
    return message;
}

Expected<MessagePage> MessageService::conversation(Database &db, qint64 userId, qint64 otherUserId,
                                                   std::optional<qint64> domainId, int page,
                                                   int perPage)
{
    return db.attempt([&]() -> Expected<MessagePage> {
        MessageTable messages(db);
        MessagePage result;
        result.page = page;
        result.perPage = perPage;
        result.total = messages.countBetween(userId, otherUserId, domainId);
        result.messages = messages.pageBetween(userId, otherUserId, domainId, page, perPage);
        return result;
    });
}

Expected<QList<ConversationSummary>> MessageService::conversations(Database &db, qint64 userId)
{
    return db.attempt([&]() -> Expected<QList<ConversationSummary>> {
        return MessageTable(db).conversations(userId);
    });
}

QFuture<Expected<protocol::Message>> MessageService::markRead(qint64 userId, qint64 messageId)
{
    return m_events.transactionLater(
        [userId, messageId](EventBatch &batch) -> Expected<protocol::Message> {
            MessageTable messages(batch.db());
            auto message = messages.find(messageId);
            if (!message)
                return ApiError::notFound(QStringLiteral("Message not found."));
            if (message->toUserId != userId)
                return ApiError::forbidden(
                    QStringLiteral("Only the recipient may mark a message as read."));
            if (message->readAt)
                return *message; // already read: no second receipt
            const qint64 now = protocol::nowMs();
            if (!messages.markRead(messageId, now)) {
                // Another node marked it read between our read and our write: no second receipt.
                return messages.find(messageId).value_or(*message);
            }
            message->readAt = now;
            batch.add(protocol::Channels::user(message->fromUserId),
                      protocol::EventName::MessageRead, {{"message"_L1, message->toJson()}});
            return *message;
        });
}

Expected<qint64> MessageService::unreadCount(qint64 userId)
{
    return m_db.attempt([&]() -> Expected<qint64> { return m_messages.unreadCount(userId); });
}

} // namespace flippdeal::server
