// SPDX-License-Identifier: MIT
// The signed Pusher HTTP API for backends, scripts and the `pusher` server SDKs:
// POST /apps/{app_id}/events. Events on private and presence channels go through the outbox,
// so they are stored, sequenced and recoverable like the server's own.
#include "app/routes.h"
#include "core/config.h"
#include "events/eventstore.h"
#include "gateway/gateway.h"
#include "http/router.h"

#include "protocol/channelname.h"
#include "protocol/signing.h"
#include "protocol/timeformat.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

namespace flippdeal::server {

namespace {

constexpr qsizetype MaxEventDataBytes = 10 * 1024;
constexpr qsizetype MaxChannelsPerEvent = 100;
constexpr qint64 MaxClockSkewSeconds = 600;

//! Checks the request signature; an error when it is missing, stale or wrong.
std::optional<ApiError> verifySignature(const HttpRequest &request, const Config &config)
{
    const QString key = request.queryValue(QStringLiteral("auth_key"));
    const QString timestamp = request.queryValue(QStringLiteral("auth_timestamp"));
    const QString version = request.queryValue(QStringLiteral("auth_version"));
    const QByteArray signature = request.queryValue(QStringLiteral("auth_signature")).toLatin1();
    if (key.isEmpty() || timestamp.isEmpty() || signature.isEmpty())
        return ApiError::unauthenticated(QStringLiteral("Missing auth_key, auth_timestamp or auth_signature."));
    if (key != config.appKey)
        return ApiError::unauthenticated(QStringLiteral("Unknown auth_key."));
    if (!version.isEmpty() && version != QLatin1String("1.0"))
        return ApiError::unauthenticated(QStringLiteral("Unsupported auth_version."));
    bool ok = false;
    const qint64 seconds = timestamp.toLongLong(&ok);
    if (!ok || std::abs(protocol::nowMs() / 1000 - seconds) > MaxClockSkewSeconds)
        return ApiError::unauthenticated(QStringLiteral("Timestamp expired: auth_timestamp is more than 600 s from the server time."));
    if (!request.body.isEmpty()
        && !protocol::constantTimeEquals(protocol::bodyMd5Hex(request.body),
                                         request.queryValue(QStringLiteral("body_md5")).toLatin1()))
        return ApiError::unauthenticated(QStringLiteral("body_md5 does not match the body."));
    const QByteArray expected = protocol::apiSignature(config.appSecret, request.method, request.path, request.query);
    if (!protocol::constantTimeEquals(expected, signature))
        return ApiError::unauthenticated(QStringLiteral("Invalid signature: you should have sent HmacSHA256Hex(\"%1\", your_secret_key).")
                                             .arg(QString::fromUtf8(protocol::apiStringToSign(request.method, request.path, request.query)).replace(QLatin1Char('\n'), QLatin1String("\\n"))));
    return std::nullopt;
}

} // namespace

void registerPusherApiRoutes(Router &router, const Config &config, EventStore &events, Gateway &gateway)
{
    router.add("POST", QStringLiteral("/apps/{appId}/events"), Router::Access::Public,
               [&config, &events, &gateway](HttpRequest &request) -> HandlerResult {
                   if (request.params.value(QStringLiteral("appId")) != config.appId)
                       return HttpResponse::error(ApiError::notFound(QStringLiteral("Unknown app id.")));
                   if (auto error = verifySignature(request, config))
                       return HttpResponse::error(*error);
                   const QJsonDocument doc = QJsonDocument::fromJson(request.body);
                   if (!doc.isObject())
                       return HttpResponse::error(ApiError::badRequest(QStringLiteral("The body must be a JSON object.")));
                   const QJsonObject body = doc.object();
                   const QJsonValue name = body.value(QLatin1String("name"));
                   const QJsonValue data = body.value(QLatin1String("data"));
                   if (!name.isString() || name.toString().isEmpty() || name.toString().size() > 200)
                       return HttpResponse::error(ApiError::badRequest(QStringLiteral("\"name\" must be a string of 1 to 200 characters.")));
                   if (name.toString().startsWith(QLatin1String("pusher:")) || name.toString().startsWith(QLatin1String("pusher_internal:")))
                       return HttpResponse::error(ApiError::badRequest(QStringLiteral("Event names starting with pusher: are reserved.")));
                   if (!data.isString())
                       return HttpResponse::error(ApiError::badRequest(QStringLiteral("\"data\" must be a string.")));
                   const QByteArray payload = data.toString().toUtf8();
                   if (payload.size() > MaxEventDataBytes)
                       return HttpResponse::error(ApiError{413, QStringLiteral("The data content of this event exceeds the allowed maximum (10240 bytes)."), {}, 0});
                   QStringList channelNames;
                   if (body.value(QLatin1String("channels")).isArray()) {
                       for (const QJsonValue &v : body.value(QLatin1String("channels")).toArray()) {
                           if (!v.isString())
                               return HttpResponse::error(ApiError::badRequest(QStringLiteral("\"channels\" must be an array of strings.")));
                           channelNames.append(v.toString());
                       }
                   } else if (body.value(QLatin1String("channel")).isString()) {
                       channelNames.append(body.value(QLatin1String("channel")).toString());
                   }
                   if (channelNames.isEmpty() || channelNames.size() > MaxChannelsPerEvent)
                       return HttpResponse::error(ApiError::badRequest(QStringLiteral("Name 1 to 100 channels in \"channels\" (or one in \"channel\").")));
                   QList<protocol::ChannelName> channels;
                   for (const QString &channelName : std::as_const(channelNames)) {
                       QString reason;
                       const auto channel = protocol::parseChannelName(channelName, &reason);
                       if (!channel)
                           return HttpResponse::error(ApiError::badRequest(QStringLiteral("Invalid channel '%1': %2").arg(channelName.left(200), reason)));
                       channels.append(*channel);
                   }
                   const QString socketId = body.value(QLatin1String("socket_id")).toString();
                   static const QRegularExpression socketIdPattern(QStringLiteral(R"(^\d+\.\d+$)"));
                   if (!socketId.isEmpty() && !socketIdPattern.match(socketId).hasMatch())
                       return HttpResponse::error(ApiError::badRequest(QStringLiteral("Invalid socket_id.")));

                   const bool stored = events.transaction([&](EventBatch &batch) {
                       for (const protocol::ChannelName &channel : std::as_const(channels)) {
                           if (channel.isSequenced())
                               batch.addRaw(channel.name, name.toString(), payload, socketId);
                       }
                       return true;
                   });
                   if (!stored)
                       return HttpResponse::error(ApiError::internal());
                   for (const protocol::ChannelName &channel : std::as_const(channels)) {
                       if (!channel.isSequenced())
                           events.publishTransient(BroadcastEvent{channel.name, name.toString(), payload, 0, socketId});
                   }

                   QJsonObject reply;
                   const QStringList info = body.value(QLatin1String("info")).toString().split(QLatin1Char(','), Qt::SkipEmptyParts);
                   if (!info.isEmpty()) {
                       QJsonObject perChannel;
                       for (const protocol::ChannelName &channel : std::as_const(channels)) {
                           QJsonObject attributes;
                           if (info.contains(QLatin1String("subscription_count")))
                               attributes.insert(QLatin1String("subscription_count"), gateway.subscriberCount(channel.name));
                           if (info.contains(QLatin1String("user_count")) && channel.type == protocol::ChannelType::Presence)
                               attributes.insert(QLatin1String("user_count"), gateway.presence().memberCount(channel.name));
                           perChannel.insert(channel.name, attributes);
                       }
                       reply.insert(QLatin1String("channels"), perChannel);
                   }
                   return HttpResponse::json(200, reply);
               });
}

} // namespace flippdeal::server
