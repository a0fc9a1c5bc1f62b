// SPDX-License-Identifier: MIT
// Events on private and presence channels go through the outbox, so they are stored,
// sequenced and recoverable like the server's own.
#include "pusherapi/pusherhttpapi.h"

#include "core/config.h"
#include "events/eventstore.h"
#include "gateway/gateway.h"
#include "pusherapi/apisignature.h"

#include "protocol/channelname.h"
#include "protocol/errors.h"
#include "protocol/signing.h"
#include "protocol/timeformat.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

#include <cmath>
#include <cstring>
#include <map>
#include <memory>

namespace flippdeal::server {

namespace {

constexpr qsizetype MaxEventDataBytes = 10 * 1024;
constexpr qsizetype MaxChannelsPerEvent = 100;
constexpr qsizetype MaxBatchSize = 10;

//! One validated event of /events or /batch_events.
struct ApiEvent
{
    QString name;
    QByteArray payload;
    QList<protocol::ChannelName> channels;
    QString socketId;
    QStringList info;
};

//! \brief The signatures of the signed requests accepted in the last window, to refuse a
//! replay. A signature covers the method, the path and every query parameter, including
//! `auth_timestamp` and `body_md5` (so the body), so a replay is an identical signature.
//! The pusher SDKs put no nonce in a request and sign the time in whole seconds: two identical
//! calls in the same second are identical, so a signature is accepted again during `graceMs`
//! after its first use, and refused from then on until its timestamp leaves the window. Memory
//! is bounded: entries live only for their window, and when `capacity` are live new signatures
//! are refused with 429 rather than old ones forgotten early.
ApiError replayError()
{
    return ApiError::unauthenticated(
        QStringLiteral("Replayed request: this auth_signature was already used. Sign every "
                       "request afresh (a new auth_timestamp)."));
}

class SeenSignatures
{
public:
    SeenSignatures(qsizetype capacity, qint64 graceMs)
        : m_capacity(capacity)
        , m_graceMs(graceMs)
    {}

    //! Records a verified signature; the error when it is a replay or the table is full.
    std::optional<ApiError> admit(const QByteArray &signatureHex, qint64 timestampSeconds,
                                  qint64 nowMs)
    {
        expire(nowMs);
        const Key key = keyOf(signatureHex);
        const auto seen = m_firstSeenMs.constFind(key);
        if (seen != m_firstSeenMs.cend()) {
            if (nowMs - *seen < m_graceMs)
                return std::nullopt;
            return replayError();
        }
        if (m_firstSeenMs.size() >= m_capacity) {
            const qint64 wait = m_expiry.empty() ? 1000 : m_expiry.begin()->first - nowMs;
            const int retryAfter = std::max(1, int(std::ceil(double(wait) / 1000.0)));
            return ApiError{429,
                            QStringLiteral("Too many signed requests in the last %1 s to guard "
                                           "against replays (api-replay-cache is full). Try "
                                           "again later.")
                                .arg(MaxApiClockSkewSeconds),
                            {},
                            retryAfter};
        }
        m_firstSeenMs.insert(key, nowMs);
        // From then on the timestamp check refuses it anyway.
        m_expiry[(timestampSeconds + MaxApiClockSkewSeconds + 1) * 1000].append(key);
        return std::nullopt;
    }

private:
    //! The first 128 bits of the HMAC: enough to tell signatures apart, half the memory.
    struct Key
    {
        quint64 high = 0;
        quint64 low = 0;
        bool operator==(const Key &other) const = default;
    };
    friend size_t qHash(const Key &key, size_t seed = 0)
    {
        return qHashMulti(seed, key.high, key.low);
    }

    static Key keyOf(const QByteArray &signatureHex)
    {
        const QByteArray raw = QByteArray::fromHex(signatureHex);
        Key key;
        std::memcpy(&key.high, raw.constData(), std::min<size_t>(8, size_t(raw.size())));
        if (raw.size() > 8)
            std::memcpy(&key.low, raw.constData() + 8, std::min<size_t>(8, size_t(raw.size()) - 8));
        return key;
    }

    void expire(qint64 nowMs)
    {
        while (!m_expiry.empty() && m_expiry.begin()->first <= nowMs) {
            for (const Key &key : std::as_const(m_expiry.begin()->second))
                m_firstSeenMs.remove(key);
            m_expiry.erase(m_expiry.begin());
        }
    }

    qsizetype m_capacity;
    qint64 m_graceMs;
    QHash<Key, qint64> m_firstSeenMs;
    std::map<qint64, QList<Key>> m_expiry; // expiry time (ms) → keys
};

//! Checks the request signature (verifyApiSignature), then that it is not a replay.
std::optional<ApiError> verifySignature(const HttpRequest &request, const Config &config,
                                        SeenSignatures &seen)
{
    const qint64 nowMs = protocol::nowMs();
    if (auto error = verifyApiSignature(request, config.appKey, config.appSecret, nowMs / 1000))
        return error;
    const qint64 seconds = request.queryValue(QStringLiteral("auth_timestamp")).toLongLong();
    return seen.admit(request.queryValue(QStringLiteral("auth_signature")).toLatin1(), seconds,
                      nowMs);
}

Expected<ApiEvent> parseEvent(const QJsonObject &body)
{
    ApiEvent event;
    const QJsonValue name = body.value(QLatin1String("name"));
    const QJsonValue data = body.value(QLatin1String("data"));
    if (!name.isString() || name.toString().isEmpty() || name.toString().size() > 200)
        return ApiError::badRequest(
            QStringLiteral("\"name\" must be a string of 1 to 200 characters."));
    event.name = name.toString();
    if (event.name.startsWith(QLatin1String("pusher:")) ||
        event.name.startsWith(QLatin1String("pusher_internal:")))
        return ApiError::badRequest(
            QStringLiteral("Event names starting with pusher: are reserved."));
    if (!data.isString())
        return ApiError::badRequest(QStringLiteral("\"data\" must be a string."));
    event.payload = data.toString().toUtf8();
    if (event.payload.size() > MaxEventDataBytes)
        return ApiError{
            413,
            QStringLiteral(
                "The data content of this event exceeds the allowed maximum (10240 bytes)."),
            {},
            0};
    QStringList names;
    if (body.value(QLatin1String("channels")).isArray()) {
        for (const QJsonValue &v : body.value(QLatin1String("channels")).toArray()) {
            if (!v.isString())
                return ApiError::badRequest(
                    QStringLiteral("\"channels\" must be an array of strings."));
            names.append(v.toString());
        }
    } else if (body.value(QLatin1String("channel")).isString()) {
        names.append(body.value(QLatin1String("channel")).toString());
    }
    if (names.isEmpty() || names.size() > MaxChannelsPerEvent)
        return ApiError::badRequest(
            QStringLiteral("Name 1 to 100 channels in \"channels\" (or one in \"channel\")."));
    for (const QString &channelName : std::as_const(names)) {
        QString reason;
        const auto channel = protocol::parseChannelName(channelName, &reason);
        if (!channel)
            return ApiError::badRequest(
                QStringLiteral("Invalid channel '%1': %2").arg(channelName.left(200), reason));
        event.channels.append(*channel);
    }
    event.socketId = body.value(QLatin1String("socket_id")).toString();
    static const QRegularExpression socketIdPattern(QStringLiteral(R"(^\d+\.\d+$)"));
    if (!event.socketId.isEmpty() && !socketIdPattern.match(event.socketId).hasMatch())
        return ApiError::badRequest(QStringLiteral("Invalid socket_id."));
    event.info =
        body.value(QLatin1String("info")).toString().split(QLatin1Char(','), Qt::SkipEmptyParts);
    return event;
}

//! Stores the sequenced part of all events in one transaction on the writer thread, broadcasts
//! it once committed, then broadcasts the rest. Events only on public channels are broadcast at
//! once: nothing of theirs is stored, so they wait for no commit.
QFuture<Expected<Done>> publish(EventStore &events, const QList<ApiEvent> &batch)
{
    const auto broadcastTransient = [&events, batch] {
        for (const ApiEvent &event : batch) {
            for (const protocol::ChannelName &channel : event.channels) {
                if (!channel.isSequenced())
                    events.publishTransient(
                        BroadcastEvent{channel.name, event.name, event.payload, 0, event.socketId});
            }
        }
    };
    const bool anySequenced = std::any_of(batch.cbegin(), batch.cend(), [](const ApiEvent &e) {
        return std::any_of(e.channels.cbegin(), e.channels.cend(),
                           [](const protocol::ChannelName &c) { return c.isSequenced(); });
    });
    if (!anySequenced) {
        broadcastTransient();
        return QtFuture::makeReadyFuture(Expected<Done>(Done{}));
    }
    return events
        .transactionLater([batch](EventBatch &tx) -> Expected<Done> {
            for (const ApiEvent &event : batch) {
                for (const protocol::ChannelName &channel : event.channels) {
                    if (channel.isSequenced())
                        tx.addRaw(channel.name, event.name, event.payload, event.socketId);
                }
            }
            return Done{};
        })
        .then([broadcastTransient](const Expected<Done> &stored) {
            if (stored)
                broadcastTransient();
            return stored;
        });
}

//! `subscribers`: the channel's subscribers (on every node for the channel queries in a
//! cluster; this node's in the answer to a trigger, which must not wait for Redis).
QJsonObject channelAttributes(const Gateway &gateway, const protocol::ChannelName &channel,
                              const QStringList &info, int subscribers)
{
    QJsonObject attributes;
    if (info.contains(QLatin1String("subscription_count")))
        attributes.insert(QLatin1String("subscription_count"), subscribers);
    if (info.contains(QLatin1String("user_count")) &&
        channel.type == protocol::ChannelType::Presence)
        attributes.insert(QLatin1String("user_count"),
                          gateway.presence().memberCount(channel.name));
    return attributes;
}

//! Subscribers per occupied channel starting with `prefix` (only `prefix` itself with
//! `exact`): the cluster's count when there is one and Redis answers, else this node's.
QFuture<QHash<QString, int>> subscriberCounts(const Gateway &gateway, const QString &prefix,
                                              bool exact)
{
    const auto local = [&gateway, prefix, exact] {
        QHash<QString, int> counts;
        for (const QString &name : gateway.channelNames()) {
            if (exact ? name == prefix : name.startsWith(prefix))
                counts.insert(name, gateway.subscriberCount(name));
        }
        return counts;
    };
    ClusterLink *link = gateway.clusterLink();
    if (!link)
        return QtFuture::makeReadyFuture(local());
    return link->subscriberCounts(prefix, exact).then([local](const ClusterLink::Counts &counts) {
        return counts ? *counts : local();
    });
}

//! Route guard shared by every endpoint: the app id, then the signature.
std::optional<ApiError> checkRequest(const HttpRequest &request, const Config &config,
                                     SeenSignatures &seen)
{
    if (request.params.value(QStringLiteral("appId")) != config.appId)
        return ApiError::notFound(QStringLiteral("Unknown app id."));
    return verifySignature(request, config, seen);
}

QStringList queryInfo(const HttpRequest &request)
{
    return request.queryValue(QStringLiteral("info")).split(QLatin1Char(','), Qt::SkipEmptyParts);
}

//! What every handler of the signed API shares; the router's handlers keep it alive.
struct PusherApi
{
    const Config &config;
    EventStore &events;
    Gateway &gateway;
    SeenSignatures seen;
};

using ApiHandler = HandlerResult (*)(const HttpRequest &, PusherApi &);

//! A table handler: the app id and the signature are checked before `handler` runs.
Router::Handler signedRoute(ApiHandler handler, const std::shared_ptr<PusherApi> &api)
{
    return [handler, api](HttpRequest &request) -> HandlerResult {
        if (auto error = checkRequest(request, api->config, api->seen))
            return HttpResponse::error(*error);
        ClusterLink *cluster = api->gateway.clusterLink();
        if (!cluster)
            return handler(request, *api);
        // A signature is used once in the whole cluster, not once per node.
        const qint64 expiresAtMs =
            (request.queryValue(QStringLiteral("auth_timestamp")).toLongLong() +
             MaxApiClockSkewSeconds + 1) *
            1000;
        return cluster
            ->seenSignature(request.queryValue(QStringLiteral("auth_signature")).toLatin1(),
                            expiresAtMs, qint64(api->config.apiReplayGraceSeconds) * 1000)
            .then([handler, api, request](std::optional<bool> replayed) {
                if (replayed.value_or(false))
                    return QtFuture::makeReadyFuture(HttpResponse::error(replayError()));
                HandlerResult result = handler(request, *api);
                if (auto *now = std::get_if<HttpResponse>(&result))
                    return QtFuture::makeReadyFuture(std::move(*now));
                return std::get<QFuture<HttpResponse>>(std::move(result));
            })
            .unwrap();
    };
}

HandlerResult triggerEvent(const HttpRequest &request, PusherApi &api)
{
    const QJsonDocument doc = QJsonDocument::fromJson(request.body);
    if (!doc.isObject())
        return HttpResponse::error(
            ApiError::badRequest(QStringLiteral("The body must be a JSON object.")));
    const auto event = parseEvent(doc.object());
    if (!event)
        return HttpResponse::error(event.error());
    return publish(api.events, {*event})
        .then([&gateway = api.gateway, event = *event](const Expected<Done> &stored) {
            if (!stored)
                return HttpResponse::error(stored.error());
            QJsonObject reply;
            if (!event.info.isEmpty()) {
                QJsonObject perChannel;
                for (const protocol::ChannelName &channel : event.channels)
                    perChannel.insert(channel.name,
                                      channelAttributes(gateway, channel, event.info,
                                                        gateway.subscriberCount(channel.name)));
                reply.insert(QLatin1String("channels"), perChannel);
            }
            return HttpResponse::json(200, reply);
        });
}

//! The events of a /batch_events body, each on exactly one channel.
Expected<QList<ApiEvent>> parseBatch(const QByteArray &json)
{
    const QJsonObject body = QJsonDocument::fromJson(json).object();
    const QJsonArray items = body.value(QLatin1String("batch")).toArray();
    if (!body.value(QLatin1String("batch")).isArray() || items.isEmpty() ||
        items.size() > MaxBatchSize)
        return ApiError::badRequest(
            QStringLiteral("\"batch\" must be an array of 1 to 10 events."));
    QList<ApiEvent> batch;
    for (const QJsonValue &item : items) {
        if (!item.isObject())
            return ApiError::badRequest(QStringLiteral("Every batch entry must be an object."));
        auto event = parseEvent(item.toObject());
        if (!event)
            return event.error();
        if (event->channels.size() != 1)
            return ApiError::badRequest(
                QStringLiteral("A batch entry names exactly one \"channel\"."));
        batch.append(*event);
    }
    return batch;
}

HandlerResult triggerBatch(const HttpRequest &request, PusherApi &api)
{
    const auto batch = parseBatch(request.body);
    if (!batch)
        return HttpResponse::error(batch.error());
    return publish(api.events, *batch)
        .then([&gateway = api.gateway, events = *batch](const Expected<Done> &stored) {
            if (!stored)
                return HttpResponse::error(stored.error());
            bool anyInfo = false;
            QJsonArray attributes;
            for (const ApiEvent &event : events) {
                anyInfo = anyInfo || !event.info.isEmpty();
                const protocol::ChannelName &channel = event.channels.first();
                attributes.append(channelAttributes(gateway, channel, event.info,
                                                    gateway.subscriberCount(channel.name)));
            }
            return HttpResponse::json(
                200, anyInfo ? QJsonObject{{QLatin1String("batch"), attributes}} : QJsonObject{});
        });
}

HandlerResult listChannels(const HttpRequest &request, PusherApi &api)
{
    const QString prefix = request.queryValue(QStringLiteral("filter_by_prefix"));
    const QStringList info = queryInfo(request);
    if (info.contains(QLatin1String("user_count")) &&
        !prefix.startsWith(QLatin1String("presence-")))
        return HttpResponse::error(ApiError::badRequest(
            QStringLiteral("info=user_count needs filter_by_prefix=presence-.")));
    return subscriberCounts(api.gateway, prefix, false)
        .then([&api, info](const QHash<QString, int> &counts) {
            QJsonObject channels;
            for (auto it = counts.cbegin(); it != counts.cend(); ++it) {
                // #server-to-user channels are per connection, not channels an app lists
                // (Pusher leaves them out too).
                if (it.key().startsWith(QLatin1Char('#')))
                    continue;
                const auto channel = protocol::parseChannelName(it.key());
                channels.insert(it.key(),
                                channel ? channelAttributes(api.gateway, *channel, info, it.value())
                                        : QJsonObject{});
            }
            return HttpResponse::json(200, {{QLatin1String("channels"), channels}});
        });
}

HandlerResult showChannel(const HttpRequest &request, PusherApi &api)
{
    QString reason;
    const auto channel =
        protocol::parseChannelName(request.params.value(QStringLiteral("name")), &reason);
    if (!channel)
        return HttpResponse::error(ApiError::badRequest(reason));
    const QStringList info = queryInfo(request);
    if (info.contains(QLatin1String("user_count")) &&
        channel->type != protocol::ChannelType::Presence)
        return HttpResponse::error(ApiError::badRequest(
            QStringLiteral("user_count is only available for presence channels.")));
    return subscriberCounts(api.gateway, channel->name, true)
        .then([&api, channel = *channel, info](const QHash<QString, int> &counts) {
            const int subscribers = counts.value(channel.name);
            QJsonObject reply = channelAttributes(api.gateway, channel, info, subscribers);
            reply.insert(QLatin1String("occupied"), subscribers > 0);
            return HttpResponse::json(200, reply);
        });
}

HandlerResult listPresenceUsers(const HttpRequest &request, PusherApi &api)
{
    const auto channel = protocol::parseChannelName(request.params.value(QStringLiteral("name")));
    if (!channel || channel->type != protocol::ChannelType::Presence)
        return HttpResponse::error(
            ApiError::badRequest(QStringLiteral("Users are only listed for presence channels.")));
    QJsonArray users;
    for (const protocol::PresenceMember &member : api.gateway.presence().members(channel->name))
        users.append(QJsonObject{{QLatin1String("id"), member.userId}});
    return HttpResponse::json(200, {{QLatin1String("users"), users}});
}

HandlerResult terminateUserConnections(const HttpRequest &request, PusherApi &api)
{
    const QString userId = request.params.value(QStringLiteral("userId"));
    if (userId.isEmpty() || userId.size() > 200)
        return HttpResponse::error(ApiError::badRequest(QStringLiteral("Invalid user id.")));
    // The user's connections: signed in as them (pusher:signin), on their private-user
    // channel, or present as them on a presence channel.
    api.gateway.terminateUser(userId, int(protocol::ErrorCode::ConnectionIsUnauthorized),
                              QStringLiteral("The connections of this user were terminated."));
    return HttpResponse::json(200, QJsonObject());
}

} // namespace

QList<Route> pusherApiRoutes(const Config &config, EventStore &events, Gateway &gateway)
{
    const auto api = std::make_shared<PusherApi>(PusherApi{
        config, events, gateway,
        SeenSignatures(config.apiReplayCache, qint64(config.apiReplayGraceSeconds) * 1000)});
    using enum Router::Access;
    return {
        {"POST", QStringLiteral("/apps/{appId}/events"), Public, signedRoute(triggerEvent, api)},
        {"POST", QStringLiteral("/apps/{appId}/batch_events"), Public,
         signedRoute(triggerBatch, api)},
        {"GET", QStringLiteral("/apps/{appId}/channels"), Public, signedRoute(listChannels, api)},
        {"GET", QStringLiteral("/apps/{appId}/channels/{name}"), Public,
         signedRoute(showChannel, api)},
        {"GET", QStringLiteral("/apps/{appId}/channels/{name}/users"), Public,
         signedRoute(listPresenceUsers, api)},
        {"POST", QStringLiteral("/apps/{appId}/users/{userId}/terminate_connections"), Public,
         signedRoute(terminateUserConnections, api)},
    };
}

} // namespace flippdeal::server
