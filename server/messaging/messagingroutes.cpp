// SPDX-License-Identifier: MIT
// The messaging REST API of the contract, plus GET /api/messages/conversations (the inbox).
#include "app/routes.h"
#include "http/jsonfields.h"
#include "http/router.h"
#include "messaging/messageservice.h"

#include "protocol/timeformat.h"

#include <QRegularExpression>

#include <QJsonArray>

namespace flippdeal::server {

void registerMessagingRoutes(Router &router, MessageService &messages)
{
    router.add(
        "POST", QStringLiteral("/api/messages"), Router::Access::User,
        [&messages](HttpRequest &request) -> HandlerResult {
            const auto body = request.bodyObject();
            if (!body)
                return HttpResponse::error(body.error());
            fields::Reader reader(*body);
            const qint64 to =
                reader.requiredInt(QStringLiteral("to_user_id"), 1, Q_INT64_C(9000000000000000));
            const auto domain =
                reader.optionalInt(QStringLiteral("domain_id"), 1, Q_INT64_C(9000000000000000));
            // Bound the raw input too: stripping happens after, on at most this much.
            const QString text = reader.requiredString(QStringLiteral("body"), 100'000);
            // Optional: the client's own id for this message, to send it again safely.
            static const QRegularExpression clientIdPattern(
                QStringLiteral("^[A-Za-z0-9_-]{1,64}$"));
            const QJsonValue clientIdValue = body->value(QLatin1String("client_id"));
            QString clientId;
            if (!clientIdValue.isUndefined() && !clientIdValue.isNull()) {
                clientId = clientIdValue.toString();
                if (!clientIdValue.isString() || !clientIdPattern.match(clientId).hasMatch())
                    reader.fail(QStringLiteral("client_id"),
                                QStringLiteral("The client_id must be 1 to 64 letters, digits, "
                                               "- or _."));
            }
            if (!reader.ok())
                return HttpResponse::error(reader.error());
            bool replayed = false;
            const auto sent = messages.send(*request.user, to, domain, text, protocol::nowMs(),
                                            clientId, &replayed);
            if (!sent)
                return HttpResponse::error(sent.error());
            return HttpResponse::json(replayed ? 200 : 201,
                                      {{QLatin1String("message"), sent->toJson()}});
        });
    router.add("GET", QStringLiteral("/api/messages/conversations"), Router::Access::User,
               [&messages](HttpRequest &request) -> HandlerResult {
                   const auto list = messages.conversations(request.user->id);
                   if (!list)
                       return HttpResponse::error(list.error());
                   QJsonArray data;
                   for (const ConversationSummary &c : *list) {
                       data.append(
                           QJsonObject{{QLatin1String("other_user"), c.otherUser.toPublicJson()},
                                       {QLatin1String("domain_id"),
                                        c.domainId ? QJsonValue(*c.domainId) : QJsonValue()},
                                       {QLatin1String("last_message"), c.lastMessage.toJson()},
                                       {QLatin1String("unread_count"), c.unreadCount}});
                   }
                   return HttpResponse::json(200, {{QLatin1String("data"), data}});
               });
    router.add(
        "GET", QStringLiteral("/api/messages/conversations/{userId}"), Router::Access::User,
        [&messages](HttpRequest &request) -> HandlerResult {
            const auto other = request.idParam(QStringLiteral("userId"));
            if (!other)
                return HttpResponse::error(ApiError::notFound(QStringLiteral("User not found.")));
            const auto page =
                fields::queryInt(request.queryValue(QStringLiteral("page")), 1, 1, 1'000'000);
            const auto perPage =
                fields::queryInt(request.queryValue(QStringLiteral("per_page")), 20, 1, 100);
            const QString domainText = request.queryValue(QStringLiteral("domain_id"));
            const auto domain = fields::queryInt(domainText, 0, 1, Q_INT64_C(9000000000000000));
            ApiError invalid{422, {}, {}, 0};
            if (!page)
                invalid.errors[QStringLiteral("page")] = {
                    QStringLiteral("The page must be a positive integer.")};
            if (!perPage)
                invalid.errors[QStringLiteral("per_page")] = {
                    QStringLiteral("The per_page must be from 1 to 100.")};
            if (!domain)
                invalid.errors[QStringLiteral("domain_id")] = {
                    QStringLiteral("The domain_id must be a positive integer.")};
            if (!invalid.errors.isEmpty()) {
                invalid.message = invalid.errors.first().first();
                return HttpResponse::error(invalid);
            }
            const auto result = messages.conversation(
                request.user->id, *other,
                domainText.isEmpty() ? std::nullopt : std::optional<qint64>(*domain),
                static_cast<int>(*page), static_cast<int>(*perPage));
            if (!result)
                return HttpResponse::error(result.error());
            QJsonArray data;
            for (const protocol::Message &m : result->messages)
                data.append(m.toJson());
            return HttpResponse::json(
                200,
                {{QLatin1String("data"), data},
                 {QLatin1String("meta"), QJsonObject{{QLatin1String("page"), result->page},
                                                     {QLatin1String("per_page"), result->perPage},
                                                     {QLatin1String("total"), result->total}}}});
        });
    router.add("PATCH", QStringLiteral("/api/messages/{id}/read"), Router::Access::User,
               [&messages](HttpRequest &request) -> HandlerResult {
                   const auto id = request.idParam(QStringLiteral("id"));
                   if (!id)
                       return HttpResponse::error(
                           ApiError::notFound(QStringLiteral("Message not found.")));
                   const auto message = messages.markRead(request.user->id, *id);
                   if (!message)
                       return HttpResponse::error(message.error());
                   return HttpResponse::json(200, {{QLatin1String("message"), message->toJson()}});
               });
    router.add("GET", QStringLiteral("/api/messages/unread-count"), Router::Access::User,
               [&messages](HttpRequest &request) -> HandlerResult {
                   const auto count = messages.unreadCount(request.user->id);
                   if (!count)
                       return HttpResponse::error(count.error());
                   return HttpResponse::json(200, {{QLatin1String("count"), *count}});
               });
}

} // namespace flippdeal::server
