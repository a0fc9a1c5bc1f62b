// SPDX-License-Identifier: MIT
#include "gateway/gateway.h"

#include "protocol/types.h"

#include "core/logging.h"
#include "gateway/wsframe.h"
#include "http/httptypes.h"

#include "protocol/errors.h"
#include "protocol/signing.h"
#include "protocol/timeformat.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QTcpSocket>

#include <unistd.h>

#include <algorithm>

namespace flippdeal::server {

using protocol::ErrorCode;

namespace {

// Frames up to this size reach the protocol layer (which answers those over 10 KB with
// pusher:error); anything larger is refused by the WebSocket layer with close code 1009.
constexpr qint64 MaxWebSocketMessageBytes = 64 * 1024;
// Protocol errors tolerated on one connection before it is closed as abusive.
constexpr int MaxProtocolErrors = 50;
constexpr qint64 CacheTtlMs = 30 * 60 * 1000; // how long a cache channel keeps its last event
// Pings a connection may send (WebSocket ping frames and pusher:ping together): a burst, then a
// steady rate. Clients ping when they have been idle, so a client over this is flooding.
constexpr double PingBurst = 10;
constexpr double PingsPerSecond = 2;
// Signatures recorded for a connection and not used yet; the oldest go first.
constexpr int MaxPendingGrants = 32;

QByteArray internalFrame(const QString &event, const QString &channel, const QJsonObject &data)
{
    return protocol::encodeFrame(event, channel, protocol::toJson(data));
}

Gateway::WireFrame textFrame(const QByteArray &json)
{
    return {ws::encode(ws::Opcode::Text, json)};
}

void rejectUpgrade(QTcpSocket *socket, int status, const QByteArray &extraHeaders,
                   const QString &message)
{
    const QByteArray body = protocol::toJson({{QLatin1String("message"), message}});
    socket->write("HTTP/1.1 " + QByteArray::number(status) + ' ' + reasonPhrase(status) +
                  "\r\n"
                  "Content-Type: application/json\r\nContent-Length: " +
                  QByteArray::number(body.size()) + "\r\nConnection: close\r\n" + extraHeaders +
                  "\r\n" + body);
    socket->disconnectFromHost();
    QObject::connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
}

} // namespace

struct Gateway::Connection
{
    WsPeer *peer = nullptr;
    QString socketId;
    QSet<QString> channels;
    QHash<QString, QString> presenceUserIds; // presence channel → the member's user id
    QString userId;                          // after pusher:signin
    struct Grant
    {
        QString channel; // empty: pusher:signin
        QString userId;
        QByteArray sessionKey;
    };
    QList<Grant> grants;          // signed for this connection by the auth routes, not yet used
    QSet<QString> userIds;        // every user it authenticated as, for its whole life
    QSet<QByteArray> sessionKeys; // the bearer tokens (digests) behind those
    qint64 lastActivityMs = 0;
    qint64 pingSentMs = 0;
    double pingTokens = PingBurst; // the client's pings: a token bucket
    qint64 pingTokensAtMs = 0;
    double webhookTokens = 0; // webhook events it may still cause (max-webhook-events)
    qint64 webhookTokensAtMs = 0;
    int protocolErrors = 0;
    bool closing = false;                 // closed or given up on: nothing more is queued for it
    std::shared_ptr<ConnectionSlot> slot; // counts against the connection caps while open

    //! Whether it is a connection of user `id`: bound to it, or on `private-user.{id}`.
    bool belongsTo(const QString &id) const
    {
        if (userIds.contains(id) || userId == id)
            return true;
        bool numeric = false;
        const qint64 number = id.toLongLong(&numeric);
        return numeric && channels.contains(protocol::Channels::user(number));
    }
};

Gateway::Gateway(GatewayOptions options, std::unique_ptr<PresenceStore> presence, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
    , m_presence(std::move(presence))
    , m_engine(*this, MaxWebSocketMessageBytes, m_options.batchSends, m_options.ioThreads)
    , m_clientEventLimiter(m_options.clientEventsPerSecond, m_options.clientEventsPerSecond)
{
    // Check often enough to honour short timeouts (tests) without busy work on long ones.
    const int sweepMs = std::clamp(m_options.activityTimeoutSeconds * 250, 250, 5000);
    m_sweepTimer.setInterval(sweepMs);
    connect(&m_sweepTimer, &QTimer::timeout, this, &Gateway::sweepActivity);
    m_sweepTimer.start();
}

Gateway::~Gateway()
{
    qDeleteAll(m_connections);
}

namespace {

//! Why a WebSocket on `request`'s path is refused once it is open: the path must be
//! /app/{key} for this app, and a `protocol` query parameter must name version 5 to 7.
std::optional<std::pair<ErrorCode, QString>> pusherPathRefusal(const HttpRequest &request,
                                                               const QString &appKey)
{
    static const QRegularExpression appPath(QStringLiteral("^/app/([^/]+)$"));
    const auto match = appPath.match(request.path);
    if (!match.hasMatch())
        return std::pair{ErrorCode::PathNotFound, QStringLiteral("Path not found")};
    if (match.captured(1) != appKey)
        return std::pair{ErrorCode::ApplicationDoesNotExist,
                         QStringLiteral("Application does not exist")};
    if (request.hasQuery(QStringLiteral("protocol"))) {
        bool ok = false;
        const int version = request.queryValue(QStringLiteral("protocol")).toInt(&ok);
        if (!ok || version < 5 || version > 7)
            return std::pair{ErrorCode::UnsupportedProtocolVersion,
                             QStringLiteral("Unsupported protocol version")};
    }
    return std::nullopt;
}

} // namespace

Gateway::Connection *Gateway::addConnection(WsPeer *peer,
                                            const std::shared_ptr<ConnectionSlot> &slot)
{
    auto *connection = new Connection;
    connection->peer = peer;
    connection->slot = slot;
    connection->lastActivityMs = protocol::nowMs();
    connection->webhookTokens = m_options.maxWebhookEventsPerMinute;
    connection->webhookTokensAtMs = connection->lastActivityMs;
    connection->socketId = QStringLiteral("%1.%2")
                               .arg(QRandomGenerator::global()->bounded(100000000, 999999999))
                               .arg(m_nextSocketSerial++);
    peer->owner = connection;
    m_connections.insert(peer, connection);
    m_bySocketId.insert(connection->socketId, connection);
    return connection;
}

void Gateway::handleUpgrade(QTcpSocket *socket, const HttpRequest &request,
                            const QByteArray &pending, const std::shared_ptr<ConnectionSlot> &slot)
{
    if (m_closing || !m_engine.isValid()) {
        rejectUpgrade(socket, 503, {}, QStringLiteral("The server is shutting down."));
        return;
    }
    const QByteArray key = request.header("sec-websocket-key");
    if (key.isEmpty() || !request.header("connection").toLower().contains("upgrade")) {
        rejectUpgrade(
            socket, 400, {},
            QStringLiteral("A WebSocket upgrade needs Connection: Upgrade and Sec-WebSocket-Key."));
        return;
    }
    if (request.header("sec-websocket-version") != "13") {
        rejectUpgrade(socket, 426, "Sec-WebSocket-Version: 13\r\n",
                      QStringLiteral("Only WebSocket version 13 is supported."));
        return;
    }
    // The engine takes the connection over: plain ones move to its epoll set, TLS ones keep
    // their QSslSocket; both look the same from here on.
    const QByteArray greeting = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                                "Connection: Upgrade\r\nSec-WebSocket-Accept: " +
                                ws::acceptKey(key) + "\r\n\r\n";
    WsPeer *peer = m_engine.adopt(socket, greeting, pending);
    if (!peer)
        return;

    Connection *connection = addConnection(peer, slot);
    if (const auto refusal = pusherPathRefusal(request, m_options.appKey)) {
        sendError(connection, refusal->first, refusal->second);
        closeConnection(connection, int(refusal->first), refusal->second);
        return;
    }
    sendJson(connection, internalFrame(QStringLiteral("pusher:connection_established"), {},
                                       {{QLatin1String("socket_id"), connection->socketId},
                                        {QLatin1String("activity_timeout"),
                                         m_options.activityTimeoutSeconds}}));
    qCDebug(lcGateway) << "connection established" << connection->socketId;
    Q_EMIT connectionOpened(connection->socketId);
}

namespace {

//! The connection a message came from, unless it is closing: after the close frame is queued,
//! only the client's answer matters (on an I/O thread, messages it read before the close
//! command arrived may still come in).
template <typename Connection>
Connection *liveOwner(const WsPeer *peer)
{
    auto *connection = static_cast<Connection *>(peer->owner);
    return connection && !connection->closing ? connection : nullptr;
}

} // namespace

void Gateway::textReceived(WsPeer *peer, const QByteArray &payload)
{
    if (auto *connection = liveOwner<Connection>(peer))
        onTextMessage(connection, payload);
}

void Gateway::binaryReceived(WsPeer *peer)
{
    if (auto *connection = liveOwner<Connection>(peer))
        sendError(connection, ErrorCode::InvalidMessage,
                  QStringLiteral("Binary frames are not supported; send JSON text frames"));
}

void Gateway::pingReceived(WsPeer *peer, const QByteArray &payload)
{
    auto *connection = liveOwner<Connection>(peer);
    if (!connection || !acceptPing(connection))
        return;
    connection->lastActivityMs = protocol::nowMs();
    connection->pingSentMs = 0;
    // Through sendFrame(), so pongs count against max-outbound like any other output.
    sendFrame(connection, {ws::encode(ws::Opcode::Pong, payload)});
}

bool Gateway::acceptPing(Connection *connection)
{
    const qint64 now = protocol::nowMs();
    if (connection->pingTokensAtMs == 0)
        connection->pingTokensAtMs = now;
    connection->pingTokens =
        std::min(PingBurst, connection->pingTokens +
                                double(now - connection->pingTokensAtMs) * PingsPerSecond / 1000);
    connection->pingTokensAtMs = now;
    if (connection->pingTokens >= 1) {
        connection->pingTokens -= 1;
        return true;
    }
    if (!connection->closing) {
        qCInfo(lcGateway) << "closing ping flooder" << connection->socketId;
        sendError(connection, ErrorCode::ClientEventRejected,
                  QStringLiteral("Too many pings: at most %1 per second").arg(PingsPerSecond));
        closeConnection(connection, int(ErrorCode::ClientEventRejected),
                        QStringLiteral("Ping rate limit exceeded"));
    }
    return false;
}

void Gateway::chargeWebhookEvent(Connection *connection)
{
    // Not what a closing connection causes: its channels are vacated because it is going.
    const int perMinute = m_options.maxWebhookEventsPerMinute;
    if (perMinute <= 0 || connection->closing)
        return;
    const qint64 now = protocol::nowMs();
    connection->webhookTokens = std::min(
        double(perMinute), connection->webhookTokens +
                               double(now - connection->webhookTokensAtMs) * perMinute / 60000);
    connection->webhookTokensAtMs = now;
    connection->webhookTokens -= 1;
    if (connection->webhookTokens >= 0)
        return;
    qCInfo(lcGateway) << "closing" << connection->socketId << "over its webhook budget";
    sendError(connection, ErrorCode::ClientEventRejected,
              QStringLiteral("Too many channel changes: at most %1 webhook events per minute")
                  .arg(perMinute));
    closeConnection(connection, int(ErrorCode::ClientEventRejected),
                    QStringLiteral("Webhook event limit exceeded"));
}

void Gateway::pongReceived(WsPeer *peer)
{
    if (auto *connection = static_cast<Connection *>(peer->owner)) {
        connection->lastActivityMs = protocol::nowMs();
        connection->pingSentMs = 0;
    }
}

int Gateway::userConnectionCount(qint64 userId) const
{
    const QString id = QString::number(userId);
    return int(std::count_if(m_connections.cbegin(), m_connections.cend(),
                             [&id](auto *c) { return !c->closing && c->belongsTo(id); }));
}

int Gateway::terminateUser(qint64 userId, int code, const QString &reason, Scope scope)
{
    return terminateUser(QString::number(userId), code, reason, scope);
}

int Gateway::terminateUser(const QString &userId, int code, const QString &reason, Scope scope)
{
    if (m_cluster && scope == Scope::Cluster)
        m_cluster->forwardTermination(ClusterLink::Termination::User, userId.toUtf8(), code,
                                      reason);
    QList<Connection *> doomed;
    for (Connection *connection : std::as_const(m_connections))
        if (!connection->closing && connection->belongsTo(userId))
            doomed.append(connection);
    const int closed = terminate(doomed, code, reason);
    if (closed > 0)
        qCInfo(lcGateway) << "terminated" << closed << "connections of user" << userId;
    return closed;
}

int Gateway::terminateSession(const QByteArray &sessionKey, int code, const QString &reason,
                              Scope scope)
{
    if (m_cluster && scope == Scope::Cluster)
        m_cluster->forwardTermination(ClusterLink::Termination::Session, sessionKey, code, reason);
    QList<Connection *> doomed;
    for (Connection *connection : std::as_const(m_connections))
        if (!connection->closing && connection->sessionKeys.contains(sessionKey))
            doomed.append(connection);
    const int closed = terminate(doomed, code, reason);
    if (closed > 0)
        qCInfo(lcGateway) << "terminated" << closed << "connections of a revoked token";
    return closed;
}

int Gateway::terminate(const QList<Connection *> &doomed, int code, const QString &reason)
{
    for (Connection *connection : doomed) {
        sendError(connection, protocol::ErrorCode(code), reason);
        closeConnection(connection, code, reason);
    }
    return int(doomed.size());
}

QList<QByteArray> Gateway::sessionKeys() const
{
    QSet<QByteArray> keys;
    for (const Connection *connection : std::as_const(m_connections))
        if (!connection->closing)
            keys.unite(connection->sessionKeys);
    return keys.values();
}

void Gateway::recordGrant(const QString &socketId, const QString &channel, const QString &userId,
                          const QByteArray &sessionKey, Scope scope)
{
    Connection *connection = m_bySocketId.value(socketId);
    if (!connection && m_cluster && scope == Scope::Cluster && !userId.isEmpty()) {
        m_cluster->forwardGrant(socketId, channel, userId, sessionKey);
        return;
    }
    if (!connection || connection->closing || userId.isEmpty())
        return;
    if (connection->grants.size() >= MaxPendingGrants)
        connection->grants.removeFirst();
    connection->grants.append({channel, userId, sessionKey});
}

void Gateway::bindGrants(Connection *connection, const QString &channel)
{
    // Every user who had it signed for this connection: a signature for a private channel
    // does not say who asked for it, and binding too many users only closes the socket sooner.
    connection->grants.removeIf([connection, &channel](const Connection::Grant &grant) {
        if (grant.channel != channel)
            return false;
        connection->userIds.insert(grant.userId);
        if (!grant.sessionKey.isEmpty())
            connection->sessionKeys.insert(grant.sessionKey);
        return true;
    });
}

void Gateway::closeConnection(Connection *connection, int code, const QString &reason)
{
    connection->closing = true;
    m_engine.close(connection->peer, quint16(code), reason.toUtf8());
}

void Gateway::peerClosed(WsPeer *peer, quint16 code)
{
    Connection *connection = m_connections.take(peer);
    if (!connection)
        return;
    connection->closing = true; // what follows is not the client's doing (no webhook charge)
    const QStringList channels(connection->channels.cbegin(), connection->channels.cend());
    for (const QString &channel : channels)
        unsubscribe(connection, channel);
    m_clientEventLimiter.remove(connection->socketId);
    m_bySocketId.remove(connection->socketId);
    qCDebug(lcGateway) << "connection closed" << connection->socketId << "code" << code;
    const QString socketId = connection->socketId;
    delete connection;
    Q_EMIT connectionClosed(socketId);
}

void Gateway::sendFrame(Connection *connection, const WireFrame &wsFrame)
{
    if (connection->closing)
        return;
    m_engine.send(connection->peer, wsFrame.bytes);
    ++m_framesOut;
    if (connection->peer->queuedBytes <= m_options.maxOutboundBytes)
        return;
    // A client that stops reading must not grow the server: stop queueing and ask it to come
    // back later (4100: reconnect after backing off); the engine cuts it off if the close frame
    // cannot get through either.
    ++m_slowConsumerDisconnects;
    qCInfo(lcGateway) << "disconnecting slow consumer" << connection->socketId << "with"
                      << connection->peer->queuedBytes.load() << "bytes unsent";
    closeConnection(connection, int(ErrorCode::OverCapacity),
                    QStringLiteral("Over capacity: the client is not reading"));
}

void Gateway::sendJson(Connection *connection, const QByteArray &json)
{
    sendFrame(connection, textFrame(json));
}

void Gateway::sendError(Connection *connection, ErrorCode code, const QString &message)
{
    sendJson(connection, protocol::encodeError(static_cast<int>(code), message));
}

void Gateway::sendSubscriptionError(Connection *connection, const QString &channel,
                                    const QString &type, const QString &message, int status)
{
    // pusher-js routes frames with a "channel" to that channel, so Laravel Echo's .error()
    // callback fires; the same shape pusher-js itself emits when the auth endpoint refuses.
    const QJsonObject data{{QLatin1String("type"), type},
                           {QLatin1String("error"), message},
                           {QLatin1String("status"), status}};
    QJsonObject frame{{QLatin1String("event"), QStringLiteral("pusher:subscription_error")},
                      {QLatin1String("data"), data}};
    if (!channel.isEmpty())
        frame.insert(QLatin1String("channel"), channel);
    sendJson(connection, protocol::toJson(frame));
}

void Gateway::onTextMessage(Connection *connection, const QByteArray &text)
{
    ++m_framesIn;
    connection->lastActivityMs = protocol::nowMs();
    connection->pingSentMs = 0;

    const protocol::DecodedFrame decoded = protocol::decodeFrame(text);
    if (!decoded.frame) {
        sendError(connection, ErrorCode::InvalidMessage, decoded.errorString);
        if (++connection->protocolErrors > MaxProtocolErrors)
            closeConnection(connection, int(ErrorCode::GenericReconnect),
                            QStringLiteral("Too many invalid frames"));
        return;
    }
    const protocol::Frame &frame = *decoded.frame;
    if (frame.event == QLatin1String("pusher:ping")) {
        static const WireFrame pong = textFrame(R"({"event":"pusher:pong","data":"{}"})");
        if (acceptPing(connection))
            sendFrame(connection, pong);
    } else if (frame.event == QLatin1String("pusher:pong")) {
        // activity already recorded
    } else if (frame.event == QLatin1String("pusher:subscribe")) {
        handleSubscribe(connection, frame);
    } else if (frame.event == QLatin1String("pusher:unsubscribe")) {
        handleUnsubscribe(connection, frame);
    } else if (frame.event.startsWith(QLatin1String("client-"))) {
        handleClientEvent(connection, frame);
    } else if (frame.event == QLatin1String("pusher:signin")) {
        handleSignin(connection, frame);
    } else {
        sendError(connection, ErrorCode::InvalidMessage,
                  QStringLiteral("Unsupported event '%1'").arg(frame.event.left(64)));
    }
}

void Gateway::handleSubscribe(Connection *connection, const protocol::Frame &frame)
{
    QString error;
    const auto request = protocol::parseSubscribe(frame, &error);
    if (!request) {
        sendError(connection, ErrorCode::InvalidMessage, error);
        return;
    }
    const auto channel = protocol::parseChannelName(request->channel, &error);
    if (!channel) {
        sendSubscriptionError(connection,
                              request->channel.left(protocol::MaxChannelNameLength + 36),
                              QStringLiteral("InvalidChannel"), error,
                              static_cast<int>(ErrorCode::ConnectionIsUnauthorized));
        return;
    }
    if (connection->channels.contains(channel->name)) {
        // Already subscribed: confirm again so a client that lost track is not left waiting.
        sendFrame(connection, subscriptionSucceededFrame(*channel));
        return;
    }

    if (connection->channels.size() >= m_options.maxSubscriptions) {
        // The status Soketi uses for its limits: 4100, over capacity. The connection stays.
        sendSubscriptionError(connection, channel->name, QStringLiteral("LimitReached"),
                              QStringLiteral("A connection may subscribe to at most %1 channels")
                                  .arg(m_options.maxSubscriptions),
                              int(ErrorCode::OverCapacity));
        return;
    }

    if (channel->type == protocol::ChannelType::ServerToUser &&
        (connection->userId.isEmpty() || channel->serverToUserId() != connection->userId)) {
        sendSubscriptionError(connection, channel->name, QStringLiteral("AuthError"),
                              QStringLiteral("Sign in as this user (pusher:signin) first"), 403);
        return;
    }

    std::optional<protocol::PresenceMember> member;
    if (channel->requiresAuth() && !authorize(connection, *channel, *request, member))
        return;
    join(connection, *channel, member);
}

bool Gateway::authorize(Connection *connection, const protocol::ChannelName &channel,
                        const protocol::SubscribeRequest &request,
                        std::optional<protocol::PresenceMember> &member)
{
    const bool presence = channel.type == protocol::ChannelType::Presence;
    const QString channelData = presence ? request.channelData : QString();
    if (!protocol::verifyChannelAuth(m_options.appKey.toUtf8(), m_options.appSecret,
                                     connection->socketId, channel.name, channelData,
                                     request.auth.toUtf8())) {
        sendSubscriptionError(connection, channel.name, QStringLiteral("AuthError"),
                              QStringLiteral("Invalid signature: the connection is unauthorized"),
                              401);
        return false;
    }
    if (!presence)
        return true;
    QString error;
    member = protocol::parsePresenceMember(channelData, &error);
    if (!member) {
        sendSubscriptionError(connection, channel.name, QStringLiteral("AuthError"), error, 400);
        return false;
    }
    // A member's further connections always fit; a new member only below the cap.
    if (m_presence->memberCount(channel.name) >= m_options.maxPresenceMembers &&
        !m_presence->isMember(channel.name, member->userId)) {
        sendSubscriptionError(connection, channel.name, QStringLiteral("LimitReached"),
                              QStringLiteral("A presence channel may have at most %1 members")
                                  .arg(m_options.maxPresenceMembers),
                              int(ErrorCode::OverCapacity));
        return false;
    }
    return true;
}

void Gateway::join(Connection *connection, const protocol::ChannelName &channel,
                   const std::optional<protocol::PresenceMember> &member)
{
    connection->channels.insert(channel.name);
    if (channel.requiresAuth())
        bindGrants(connection, channel.name);
    if (member)
        connection->userIds.insert(member->userId);
    QSet<Connection *> &subscribers = m_channels[channel.name];
    subscribers.insert(connection);
    if (channel.type != protocol::ChannelType::ServerToUser) {
        const bool occupiedHere = subscribers.size() == 1;
        if (occupiedHere)
            chargeWebhookEvent(connection);
        // In a cluster, Redis counts every node's subscribers and says when the channel is
        // occupied anywhere; without one (or with Redis down) this node decides alone.
        if ((!m_cluster || !m_cluster->subscribersChanged(channel.name, int(subscribers.size()))) &&
            occupiedHere)
            Q_EMIT channelOccupied(channel.name);
    }
    if (member) {
        connection->presenceUserIds.insert(channel.name, member->userId);
        const bool firstHere = m_presence->join(channel.name, *member, connection->socketId);
        sendFrame(connection, subscriptionSucceededFrame(channel));
        // In a cluster, Redis says whether this is the user's first connection anywhere, and
        // the link announces it; without one (or with Redis down) this node decides alone.
        if (firstHere) {
            chargeWebhookEvent(connection);
            // In a cluster Redis decides whether this is the user's first connection anywhere
            // (and the webhook goes out from there); this node's subscribers hear of it now,
            // unless the user is already there through another node.
            const bool clustered = m_cluster && m_cluster->presenceJoined(channel.name, *member);
            if (!m_presence->elsewhere(channel.name, member->userId))
                announceJoin(channel.name, *member, !clustered);
            else if (!clustered)
                notifyMember(channel.name, member->userId, true);
        }
    } else {
        sendFrame(connection, subscriptionSucceededFrame(channel));
    }
    if (channel.cache)
        replayCache(connection, channel.name);
}

void Gateway::announceJoin(const QString &channel, const protocol::PresenceMember &member,
                           bool notify)
{
    const auto subscribers = m_channels.constFind(channel);
    if (subscribers != m_channels.cend()) {
        const WireFrame added =
            textFrame(internalFrame(QStringLiteral("pusher_internal:member_added"), channel,
                                    {{QLatin1String("user_id"), member.userId},
                                     {QLatin1String("user_info"), member.userInfo}}));
        // Not to the user's own connections: pusher-js already counts itself as a member.
        for (Connection *other : *subscribers) {
            if (other->presenceUserIds.value(channel) != member.userId)
                sendFrame(other, added);
        }
    }
    if (notify)
        Q_EMIT memberAdded(channel, member.userId);
}

void Gateway::announceLeave(const QString &channel, const QString &userId, bool notify)
{
    deliver(channel,
            textFrame(internalFrame(QStringLiteral("pusher_internal:member_removed"), channel,
                                    {{QLatin1String("user_id"), userId}})),
            nullptr);
    if (notify)
        Q_EMIT memberRemoved(channel, userId);
}

void Gateway::replayCache(Connection *connection, const QString &channel)
{
    const auto it = m_cache.constFind(channel);
    if (it != m_cache.cend() && protocol::nowMs() - it->atMs <= CacheTtlMs) {
        sendFrame(connection, it->frame);
        return;
    }
    sendJson(connection, protocol::toJson(QJsonObject{
                             {QLatin1String("event"), QStringLiteral("pusher:cache_miss")},
                             {QLatin1String("channel"), channel},
                             {QLatin1String("data"), QStringLiteral("{}")}}));
    Q_EMIT cacheMissed(channel);
    chargeWebhookEvent(connection);
}

void Gateway::handleSignin(Connection *connection, const protocol::Frame &frame)
{
    const auto data = protocol::dataObject(frame.data);
    const QString auth = data ? data->value(QLatin1String("auth")).toString() : QString();
    const QString userData = data ? data->value(QLatin1String("user_data")).toString() : QString();
    const QByteArray expected = protocol::userAuth(m_options.appKey.toUtf8(), m_options.appSecret,
                                                   connection->socketId, userData);
    const QJsonObject user = QJsonDocument::fromJson(userData.toUtf8()).object();
    const QJsonValue id = user.value(QLatin1String("id"));
    const QString userId = id.isString() ? id.toString() : QString();
    if (auth.isEmpty() || !protocol::constantTimeEquals(expected, auth.toUtf8()) ||
        userId.isEmpty() || userId.size() > 200) {
        sendError(connection, ErrorCode::ConnectionIsUnauthorized,
                  QStringLiteral("Invalid signin: the signature or the user data is wrong"));
        closeConnection(connection, int(ErrorCode::ConnectionIsUnauthorized),
                        QStringLiteral("Invalid signin"));
        return;
    }
    connection->userId = userId;
    connection->userIds.insert(userId);
    bindGrants(connection, {});
    sendJson(connection,
             protocol::toJson(QJsonObject{
                 {QLatin1String("event"), QStringLiteral("pusher:signin_success")},
                 {QLatin1String("data"), QString::fromUtf8(protocol::toJson(QJsonObject{
                                             {QLatin1String("user_data"), userData}}))}}));
}

Gateway::WireFrame Gateway::subscriptionSucceededFrame(const protocol::ChannelName &channel) const
{
    QJsonObject data;
    if (channel.type == protocol::ChannelType::Presence) {
        QJsonArray ids;
        QJsonObject hash;
        for (const protocol::PresenceMember &m : m_presence->members(channel.name)) {
            ids.append(m.userId);
            hash.insert(m.userId, m.userInfo);
        }
        data.insert(QLatin1String("presence"), QJsonObject{{QLatin1String("ids"), ids},
                                                           {QLatin1String("hash"), hash},
                                                           {QLatin1String("count"), ids.size()}});
    }
    QJsonObject frame{
        {QLatin1String("event"), QStringLiteral("pusher_internal:subscription_succeeded")},
        {QLatin1String("channel"), channel.name},
        {QLatin1String("data"), QString::fromUtf8(protocol::toJson(data))}};
    // The channel's seq as of this subscription, which is already in place: every later event
    // reaches the client live, so it needs no history query to know where it starts.
    if (channel.isSequenced() && m_sequenceSource) {
        if (const std::optional<qint64> seq = m_sequenceSource(channel.name))
            frame.insert(QLatin1String("seq"), *seq);
    }
    return textFrame(protocol::toJson(frame));
}

void Gateway::handleUnsubscribe(Connection *connection, const protocol::Frame &frame)
{
    const auto data = protocol::dataObject(frame.data);
    const QString channel = data ? data->value(QLatin1String("channel")).toString() : QString();
    if (channel.isEmpty()) {
        sendError(connection, ErrorCode::InvalidMessage,
                  QStringLiteral("pusher:unsubscribe needs a string \"data.channel\""));
        return;
    }
    unsubscribe(connection, channel);
}

void Gateway::unsubscribe(Connection *connection, const QString &channel)
{
    if (!connection->channels.remove(channel))
        return;
    bool vacated = false;
    int remaining = 0;
    auto it = m_channels.find(channel);
    if (it != m_channels.end()) {
        it->remove(connection);
        remaining = int(it->size());
        if (it->isEmpty()) {
            m_channels.erase(it);
            vacated = true;
        }
    }
    const QString userId = connection->presenceUserIds.take(channel);
    if (!userId.isEmpty() && m_presence->leave(channel, userId, connection->socketId)) {
        chargeWebhookEvent(connection);
        const bool clustered = m_cluster && m_cluster->presenceLeft(channel, userId);
        if (!m_presence->elsewhere(channel, userId))
            announceLeave(channel, userId, !clustered);
        else if (!clustered)
            notifyMember(channel, userId, false);
    }
    if (channel.startsWith(QLatin1Char('#')))
        return;
    if (vacated)
        chargeWebhookEvent(connection);
    if ((!m_cluster || !m_cluster->subscribersChanged(channel, remaining)) && vacated)
        Q_EMIT channelVacated(channel);
}

void Gateway::notifyMember(const QString &channel, const QString &userId, bool added)
{
    if (added)
        Q_EMIT memberAdded(channel, userId);
    else
        Q_EMIT memberRemoved(channel, userId);
}

void Gateway::announceOccupancy(const QString &channel, bool occupied)
{
    if (occupied)
        Q_EMIT channelOccupied(channel);
    else
        Q_EMIT channelVacated(channel);
}

void Gateway::handleClientEvent(Connection *connection, const protocol::Frame &frame)
{
    const auto channel = protocol::parseChannelName(frame.channel);
    if (!channel || !channel->allowsClientEvents()) {
        sendError(
            connection, ErrorCode::InvalidMessage,
            QStringLiteral("Client events are allowed only on private and presence channels"));
        return;
    }
    if (!connection->channels.contains(channel->name)) {
        sendError(connection, ErrorCode::ConnectionIsUnauthorized,
                  QStringLiteral("Subscribe to %1 before sending client events on it")
                      .arg(channel->name));
        return;
    }
    if (!m_clientEventLimiter.tryAcquire(connection->socketId, protocol::nowMs())) {
        sendError(connection, ErrorCode::ClientEventRejected,
                  QStringLiteral("Client event rejected due to rate limit"));
        return;
    }
    QJsonObject out{{QLatin1String("event"), frame.event},
                    {QLatin1String("channel"), channel->name},
                    {QLatin1String("data"), frame.data}};
    const QString userId = connection->presenceUserIds.value(channel->name);
    if (!userId.isEmpty())
        out.insert(QLatin1String("user_id"), userId);
    const QByteArray json = protocol::toJson(out);
    deliver(channel->name, textFrame(json), connection);
    if (m_cluster)
        m_cluster->forwardFrame(channel->name, json, connection->socketId);
    Q_EMIT clientEventRelayed(channel->name, frame.event, frame.data, connection->socketId, userId);
}

void Gateway::broadcast(const BroadcastEvent &event)
{
    // Cheap test first: this is the hot path of every broadcast.
    if (!m_channels.contains(event.channel) && !event.channel.contains(QLatin1String("cache-")))
        return;
    deliverText(event.channel,
                protocol::encodeFrame(event.event, event.channel, event.data, event.seq),
                event.exceptSocketId);
}

void Gateway::deliverText(const QString &channel, const QByteArray &frameJson,
                          const QString &exceptSocketId, bool cacheable)
{
    const bool cache = cacheable && channel.contains(QLatin1String("cache-")) &&
                       protocol::parseChannelName(channel).value_or(protocol::ChannelName{}).cache;
    const auto subscribers = m_channels.constFind(channel);
    if (!cache && subscribers == m_channels.cend())
        return;
    // Framed once; every subscriber's queue shares the same bytes.
    const WireFrame frame = textFrame(frameJson);
    if (cache)
        m_cache.insert(channel, {frame, protocol::nowMs()});
    if (subscribers == m_channels.cend())
        return;
    const Connection *except = nullptr;
    if (!exceptSocketId.isEmpty()) {
        for (const Connection *c : *subscribers) {
            if (c->socketId == exceptSocketId) {
                except = c;
                break;
            }
        }
    }
    deliver(channel, frame, except);
}

void Gateway::deliver(const QString &channel, const WireFrame &frame, const Connection *except)
{
    const auto it = m_channels.constFind(channel);
    if (it == m_channels.cend())
        return;
    for (Connection *connection : *it) {
        if (connection != except)
            sendFrame(connection, frame);
    }
}

int Gateway::subscriberCount(const QString &channel) const
{
    const auto it = m_channels.constFind(channel);
    return it == m_channels.cend() ? 0 : static_cast<int>(it->size());
}

void Gateway::sweepActivity()
{
    const qint64 now = protocol::nowMs();
    m_cache.removeIf([now](const auto &entry) { return now - entry.value().atMs > CacheTtlMs; });
    const qint64 timeoutMs = qint64(m_options.activityTimeoutSeconds) * 1000;
    const qint64 graceMs = qint64(m_options.activityGraceSeconds) * 1000;
    const QList<Connection *> connections = m_connections.values();
    for (Connection *connection : connections) {
        if (connection->pingSentMs == 0) {
            if (now - connection->lastActivityMs >= timeoutMs) {
                static const WireFrame ping = textFrame(R"({"event":"pusher:ping","data":"{}"})");
                sendFrame(connection, ping);
                connection->pingSentMs = now;
            }
        } else if (now - connection->pingSentMs >= graceMs) {
            qCDebug(lcGateway) << "closing silent connection" << connection->socketId;
            closeConnection(connection, int(ErrorCode::PongReplyNotReceived),
                            QStringLiteral("Pong reply not received"));
        }
    }
    m_clientEventLimiter.prune(now);
}

void Gateway::closeAll(int code, const QString &reason)
{
    m_closing = true;
    const QList<Connection *> connections = m_connections.values();
    for (Connection *connection : connections)
        closeConnection(connection, code, reason);
}

} // namespace flippdeal::server
