// SPDX-License-Identifier: MIT
#include "messaging/messagingroutes.h"

#include "http/jsonfields.h"
#include "http/requesthelpers.h"
#include "messaging/messageservice.h"
#include "storage/readpool.h"

#include "protocol/timeformat.h"

#include <QRegularExpression>

#include <QJsonArray>

namespace flippdeal::server {

namespace {

constexpr qint64 MaxId = Q_INT64_C(9000000000000000);

//! The fields of POST /api/messages.
struct NewMessage
{
    qint64 to = 0;
    std::optional<qint64> domain;
    QString text;
    QString clientId;
};

Expected<NewMessage> readNewMessage(const QJsonObject &body)
{
    fields::Reader reader(body);
    NewMessage message;
    message.to = reader.requiredInt(QStringLiteral("to_user_id"), 1, MaxId);
    message.domain = reader.optionalInt(QStringLiteral("domain_id"), 1, MaxId);
    // Bound the raw input too: stripping happens after, on at most this much.
    message.text = reader.requiredString(QStringLiteral("body"), 100'000);
    // Optional: the client's own id for this message, to send it again safely.
    static const QRegularExpression clientIdPattern(QStringLiteral("^[A-Za-z0-9_-]{1,64}$"));
    const QJsonValue clientIdValue = body.value(QLatin1String("client_id"));
    if (!clientIdValue.isUndefined() && !clientIdValue.isNull()) {
        message.clientId = clientIdValue.toString();
        if (!clientIdValue.isString() || !clientIdPattern.match(message.clientId).hasMatch())
            reader.fail(QStringLiteral("client_id"),
                        QStringLiteral("The client_id must be 1 to 64 letters, digits, - or _."));
    }
    if (!reader.ok())
        return reader.error();
    return message;
}

HandlerResult sendMessage(const HttpRequest &request, MessageService &messages)
{
    const auto body = request.bodyObject();
    if (!body)
        return HttpResponse::error(body.error());
    const auto message = readNewMessage(*body);
    if (!message)
        return HttpResponse::error(message.error());
    // Committed by the writer thread, in a batch with the other sends of the moment; answered
    // here once committed and announced.
    return messages
        .sendLater(*request.user, message->to, message->domain, message->text, protocol::nowMs(),
                   message->clientId)
        .then([](const Expected<SentMessage> &sent) {
            if (!sent)
                return HttpResponse::error(sent.error());
            return HttpResponse::json(sent->replayed ? 200 : 201,
                                      {{QLatin1String("message"), sent->message.toJson()}});
        });
}

Expected<QJsonObject> readConversations(Database &db, qint64 userId)
{
    const auto list = MessageService::conversations(db, userId);
    if (!list)
        return list.error();
    QJsonArray data;
    for (const ConversationSummary &c : *list) {
        data.append(QJsonObject{
            {QLatin1String("other_user"), c.otherUser.toPublicJson()},
            {QLatin1String("domain_id"), c.domainId ? QJsonValue(*c.domainId) : QJsonValue()},
            {QLatin1String("last_message"), c.lastMessage.toJson()},
            {QLatin1String("unread_count"), c.unreadCount}});
    }
    return QJsonObject{{QLatin1String("data"), data}};
}

HandlerResult listConversations(const HttpRequest &request, ReadPool &reads)
{
    return respondLater(reads.run(
        [userId = request.user->id](Database &db) { return readConversations(db, userId); }));
}

//! The query of GET /api/messages/conversations/{userId}.
struct ConversationQuery
{
    std::optional<qint64> domain;
    int page = 1;
    int perPage = 20;
};

Expected<ConversationQuery> readConversationQuery(const HttpRequest &request)
{
    const auto page = fields::queryInt(request.queryValue(QStringLiteral("page")), 1, 1, 1'000'000);
    const auto perPage =
        fields::queryInt(request.queryValue(QStringLiteral("per_page")), 20, 1, 100);
    const QString domainText = request.queryValue(QStringLiteral("domain_id"));
    const auto domain = fields::queryInt(domainText, 0, 1, MaxId);
    // In field-name order: the first is the message, as before.
    ApiError invalid = ApiError::unprocessable();
    if (!domain)
        invalid.addFieldError(QStringLiteral("domain_id"),
                              QStringLiteral("The domain_id must be a positive integer."));
    if (!page)
        invalid.addFieldError(QStringLiteral("page"),
                              QStringLiteral("The page must be a positive integer."));
    if (!perPage)
        invalid.addFieldError(QStringLiteral("per_page"),
                              QStringLiteral("The per_page must be from 1 to 100."));
    if (invalid.hasFieldErrors())
        return invalid;
    return ConversationQuery{domainText.isEmpty() ? std::nullopt : std::optional<qint64>(*domain),
                             static_cast<int>(*page), static_cast<int>(*perPage)};
}

Expected<QJsonObject> readConversation(Database &db, qint64 userId, qint64 otherUserId,
                                       const ConversationQuery &query)
{
    const auto result = MessageService::conversation(db, userId, otherUserId, query.domain,
                                                     query.page, query.perPage);
    if (!result)
        return result.error();
    QJsonArray data;
    for (const protocol::Message &m : result->messages)
        data.append(m.toJson());
    const QJsonObject meta{{QLatin1String("page"), result->page},
                           {QLatin1String("per_page"), result->perPage},
                           {QLatin1String("total"), result->total}};
    return QJsonObject{{QLatin1String("data"), data}, {QLatin1String("meta"), meta}};
}

HandlerResult showConversation(const HttpRequest &request, ReadPool &reads)
{
    const auto other = idOr404(request, QStringLiteral("User"), QStringLiteral("userId"));
    if (!other)
        return HttpResponse::error(other.error());
    const auto query = readConversationQuery(request);
    if (!query)
        return HttpResponse::error(query.error());
    return respondLater(
        reads.run([userId = request.user->id, other = *other, query = *query](Database &db) {
            return readConversation(db, userId, other, query);
        }));
}

HandlerResult markMessageRead(const HttpRequest &request, MessageService &messages)
{
    const auto id = idOr404(request, QStringLiteral("Message"));
    if (!id)
        return HttpResponse::error(id.error());
    return respondLater(200, QLatin1String("message"), messages.markRead(request.user->id, *id));
}

HttpResponse unreadMessageCount(const HttpRequest &request, MessageService &messages)
{
    return respondValue(QLatin1String("count"), messages.unreadCount(request.user->id));
}

} // namespace

QList<Route> messagingRoutes(MessageService &messages, ReadPool &reads)
{
    using enum Router::Access;
    return {
        {"POST", QStringLiteral("/api/messages"), User, bindRoute(sendMessage, messages)},
        {"GET", QStringLiteral("/api/messages/conversations"), User,
         bindRoute(listConversations, reads)},
        {"GET", QStringLiteral("/api/messages/conversations/{userId}"), User,
         bindRoute(showConversation, reads)},
        {"PATCH", QStringLiteral("/api/messages/{id}/read"), User,
         bindRoute(markMessageRead, messages)},
        {"GET", QStringLiteral("/api/messages/unread-count"), User,
         bindRoute(unreadMessageCount, messages)},
    };
}

} // namespace flippdeal::server
