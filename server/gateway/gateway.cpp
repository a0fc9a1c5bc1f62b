// SPDX-License-Identifier: MIT
#include "gateway/gateway.h"

#include "core/logging.h"

#include "protocol/errors.h"
#include "protocol/signing.h"
#include "protocol/timeformat.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QUrlQuery>
#include <QWebSocket>

#include <algorithm>

namespace flippdeal::server {

using protocol::ErrorCode;

namespace {

// Frames up to this size reach the protocol layer (which answers those over 10 KB with
// pusher:error); anything larger is cut off by QWebSocket with close code 1009.
constexpr qint64 MaxWebSocketMessageBytes = 64 * 1024;
// Protocol errors tolerated on one connection before it is closed as abusive.
constexpr int MaxProtocolErrors = 50;

QString internalFrame(const QString &event, const QString &channel, const QJsonObject &data)
{
    return QString::fromUtf8(protocol::encodeFrame(event, channel, protocol::toJson(data)));
}

} // namespace

struct Gateway::Connection
{
    QWebSocket *socket = nullptr;
    QString socketId;
    QSet<QString> channels;
    QHash<QString, QString> presenceUserIds; // presence channel → the member's user id
    qint64 lastActivityMs = 0;
    qint64 pingSentMs = 0;
    int protocolErrors = 0;
    bool closing = false; // given up on: nothing more is queued for it
};

Gateway::Gateway(GatewayOptions options, std::unique_ptr<PresenceStore> presence, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
    , m_presence(std::move(presence))
    , m_server(QStringLiteral("flippdeal-live"), QWebSocketServer::NonSecureMode)
    , m_clientEventLimiter(m_options.clientEventsPerSecond, m_options.clientEventsPerSecond)
{
    connect(&m_server, &QWebSocketServer::newConnection, this, &Gateway::onNewWebSocket);
    // Check often enough to honour short timeouts (tests) without busy work on long ones.
    const int sweepMs = std::clamp(m_options.activityTimeoutSeconds * 250, 250, 5000);
    m_sweepTimer.setInterval(sweepMs);
    connect(&m_sweepTimer, &QTimer::timeout, this, &Gateway::sweepActivity);
    m_sweepTimer.start();
}

Gateway::~Gateway()
{
    for (Connection *connection : std::as_const(m_connections)) {
        connection->socket->disconnect(this);
        delete connection;
    }
}

void Gateway::handleUpgrade(QTcpSocket *socket)
{
    if (m_closing) {
        socket->deleteLater();
        return;
    }
    m_server.handleConnection(socket);
}

void Gateway::onNewWebSocket()
{
    while (QWebSocket *socket = m_server.nextPendingConnection()) {
        socket->setParent(this);
        socket->setMaxAllowedIncomingMessageSize(MaxWebSocketMessageBytes);
        socket->setMaxAllowedIncomingFrameSize(MaxWebSocketMessageBytes);

        auto *connection = new Connection;
        connection->socket = socket;
        connection->lastActivityMs = protocol::nowMs();
        connection->socketId = QStringLiteral("%1.%2")
                                   .arg(QRandomGenerator::global()->bounded(100000000, 999999999))
                                   .arg(m_nextSocketSerial++);
        m_connections.insert(socket, connection);

        connect(socket, &QWebSocket::textMessageReceived, this,
                [this, connection](const QString &text) { onTextMessage(connection, text); });
        connect(socket, &QWebSocket::binaryMessageReceived, this, [this, connection] {
            sendError(connection, ErrorCode::InvalidMessage,
                      QStringLiteral("Binary frames are not supported; send JSON text frames"));
        });
        connect(socket, &QWebSocket::pong, this, [connection] {
            connection->lastActivityMs = protocol::nowMs();
            connection->pingSentMs = 0;
        });
        connect(socket, &QWebSocket::disconnected, this,
                [this, connection] { onDisconnected(connection); });

        // Path must be /app/{key}; the protocol query parameter must name a supported version.
        const QUrl url = socket->requestUrl();
        static const QRegularExpression appPath(QStringLiteral("^/app/([^/]+)$"));
        const auto match = appPath.match(url.path());
        if (!match.hasMatch()) {
            sendError(connection, ErrorCode::PathNotFound, QStringLiteral("Path not found"));
            socket->close(static_cast<QWebSocketProtocol::CloseCode>(ErrorCode::PathNotFound),
                          QStringLiteral("Path not found"));
            continue;
        }
        if (match.captured(1) != m_options.appKey) {
            sendError(connection, ErrorCode::ApplicationDoesNotExist,
                      QStringLiteral("Application does not exist"));
            socket->close(
                static_cast<QWebSocketProtocol::CloseCode>(ErrorCode::ApplicationDoesNotExist),
                QStringLiteral("Application does not exist"));
            continue;
        }
        const QUrlQuery query(url);
        if (query.hasQueryItem(QStringLiteral("protocol"))) {
            bool ok = false;
            const int version = query.queryItemValue(QStringLiteral("protocol")).toInt(&ok);
            if (!ok || version < 5 || version > 7) {
                sendError(connection, ErrorCode::UnsupportedProtocolVersion,
                          QStringLiteral("Unsupported protocol version"));
                socket->close(static_cast<QWebSocketProtocol::CloseCode>(
                                  ErrorCode::UnsupportedProtocolVersion),
                              QStringLiteral("Unsupported protocol version"));
                continue;
            }
        }
        sendFrame(connection, internalFrame(QStringLiteral("pusher:connection_established"), {},
                                            {{QLatin1String("socket_id"), connection->socketId},
                                             {QLatin1String("activity_timeout"),
                                              m_options.activityTimeoutSeconds}}));
        qCDebug(lcGateway) << "connection established" << connection->socketId;
        Q_EMIT connectionOpened(connection->socketId);
    }
}

void Gateway::onDisconnected(Connection *connection)
{
    const QStringList channels(connection->channels.cbegin(), connection->channels.cend());
    for (const QString &channel : channels)
        unsubscribe(connection, channel);
    m_clientEventLimiter.remove(connection->socketId);
    m_connections.remove(connection->socket);
    connection->socket->deleteLater();
    qCDebug(lcGateway) << "connection closed" << connection->socketId;
    Q_EMIT connectionClosed(connection->socketId);
    delete connection;
}

void Gateway::sendFrame(Connection *connection, const QString &frame)
{
    if (connection->closing)
        return;
    connection->socket->sendTextMessage(frame);
    ++m_framesOut;
    if (connection->socket->bytesToWrite() <= m_options.maxOutboundBytes)
        return;
    // A client that stops reading must not grow the server: stop queueing, ask it to come back
    // later (4100: reconnect after backing off) and cut it off if the close cannot get through.
    connection->closing = true;
    ++m_slowConsumerDisconnects;
    qCInfo(lcGateway) << "disconnecting slow consumer" << connection->socketId << "with"
                      << connection->socket->bytesToWrite() << "bytes unsent";
    QWebSocket *socket = connection->socket;
    socket->close(static_cast<QWebSocketProtocol::CloseCode>(ErrorCode::OverCapacity),
                  QStringLiteral("Over capacity: the client is not reading"));
    QTimer::singleShot(2000, socket, [socket] { socket->abort(); });
}

void Gateway::sendError(Connection *connection, ErrorCode code, const QString &message)
{
    sendFrame(connection,
              QString::fromUtf8(protocol::encodeError(static_cast<int>(code), message)));
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
    sendFrame(connection, QString::fromUtf8(protocol::toJson(frame)));
}

void Gateway::onTextMessage(Connection *connection, const QString &text)
{
    ++m_framesIn;
    connection->lastActivityMs = protocol::nowMs();
    connection->pingSentMs = 0;

    const protocol::DecodedFrame decoded = protocol::decodeFrame(text.toUtf8());
    if (!decoded.frame) {
        sendError(connection, ErrorCode::InvalidMessage, decoded.errorString);
        if (++connection->protocolErrors > MaxProtocolErrors) {
            connection->socket->close(
                static_cast<QWebSocketProtocol::CloseCode>(ErrorCode::GenericReconnect),
                QStringLiteral("Too many invalid frames"));
        }
        return;
    }
    const protocol::Frame &frame = *decoded.frame;
    if (frame.event == QLatin1String("pusher:ping")) {
        sendFrame(connection, QStringLiteral(R"({"event":"pusher:pong","data":"{}"})"));
    } else if (frame.event == QLatin1String("pusher:pong")) {
        // activity already recorded
    } else if (frame.event == QLatin1String("pusher:subscribe")) {
        handleSubscribe(connection, frame);
    } else if (frame.event == QLatin1String("pusher:unsubscribe")) {
        handleUnsubscribe(connection, frame);
    } else if (frame.event.startsWith(QLatin1String("client-"))) {
        handleClientEvent(connection, frame);
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

    std::optional<protocol::PresenceMember> member;
    if (channel->requiresAuth()) {
        const QString channelData =
            channel->type == protocol::ChannelType::Presence ? request->channelData : QString();
        if (!protocol::verifyChannelAuth(m_options.appKey.toUtf8(), m_options.appSecret,
                                         connection->socketId, channel->name, channelData,
                                         request->auth.toUtf8())) {
            sendSubscriptionError(
                connection, channel->name, QStringLiteral("AuthError"),
                QStringLiteral("Invalid signature: the connection is unauthorized"), 401);
            return;
        }
        if (channel->type == protocol::ChannelType::Presence) {
            member = protocol::parsePresenceMember(channelData, &error);
            if (!member) {
                sendSubscriptionError(connection, channel->name, QStringLiteral("AuthError"), error,
                                      400);
                return;
            }
        }
    }

    connection->channels.insert(channel->name);
    m_channels[channel->name].insert(connection);

    if (!member) {
        sendFrame(connection, subscriptionSucceededFrame(*channel));
        return;
    }
    connection->presenceUserIds.insert(channel->name, member->userId);
    const bool firstConnection = m_presence->join(channel->name, *member, connection->socketId);
    sendFrame(connection, subscriptionSucceededFrame(*channel));
    if (firstConnection) {
        const QString added =
            internalFrame(QStringLiteral("pusher_internal:member_added"), channel->name,
                          {{QLatin1String("user_id"), member->userId},
                           {QLatin1String("user_info"), member->userInfo}});
        // Not to the user's own connections: pusher-js already counts itself as a member.
        for (Connection *other : std::as_const(m_channels[channel->name])) {
            if (other->presenceUserIds.value(channel->name) != member->userId)
                sendFrame(other, added);
        }
    }
}

QString Gateway::subscriptionSucceededFrame(const protocol::ChannelName &channel) const
{
    if (channel.type != protocol::ChannelType::Presence)
        return internalFrame(QStringLiteral("pusher_internal:subscription_succeeded"), channel.name,
                             {});
    QJsonArray ids;
    QJsonObject hash;
    for (const protocol::PresenceMember &m : m_presence->members(channel.name)) {
        ids.append(m.userId);
        hash.insert(m.userId, m.userInfo);
    }
    const QJsonObject presence{{QLatin1String("ids"), ids},
                               {QLatin1String("hash"), hash},
                               {QLatin1String("count"), ids.size()}};
    return internalFrame(QStringLiteral("pusher_internal:subscription_succeeded"), channel.name,
                         {{QLatin1String("presence"), presence}});
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
    auto it = m_channels.find(channel);
    if (it != m_channels.end()) {
        it->remove(connection);
        if (it->isEmpty())
            m_channels.erase(it);
    }
    const QString userId = connection->presenceUserIds.take(channel);
    if (!userId.isEmpty() && m_presence->leave(channel, userId, connection->socketId)) {
        deliver(channel,
                internalFrame(QStringLiteral("pusher_internal:member_removed"), channel,
                              {{QLatin1String("user_id"), userId}}),
                nullptr);
    }
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
    deliver(channel->name, QString::fromUtf8(protocol::toJson(out)), connection);
}

void Gateway::broadcast(const BroadcastEvent &event)
{
    if (!m_channels.contains(event.channel))
        return;
    // Encode once; every subscriber gets the same implicitly shared string.
    const QString frame =
        QString::fromUtf8(protocol::encodeFrame(event.event, event.channel, event.data, event.seq));
    const Connection *except = nullptr;
    if (!event.exceptSocketId.isEmpty()) {
        for (const Connection *c : std::as_const(m_channels[event.channel])) {
            if (c->socketId == event.exceptSocketId) {
                except = c;
                break;
            }
        }
    }
    deliver(event.channel, frame, except);
}

void Gateway::deliver(const QString &channel, const QString &frame, const Connection *except)
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
    const qint64 timeoutMs = qint64(m_options.activityTimeoutSeconds) * 1000;
    const qint64 graceMs = qint64(m_options.activityGraceSeconds) * 1000;
    const QList<Connection *> connections = m_connections.values();
    for (Connection *connection : connections) {
        if (connection->pingSentMs == 0) {
            if (now - connection->lastActivityMs >= timeoutMs) {
                sendFrame(connection, QStringLiteral(R"({"event":"pusher:ping","data":"{}"})"));
                connection->pingSentMs = now;
            }
        } else if (now - connection->pingSentMs >= graceMs) {
            qCDebug(lcGateway) << "closing silent connection" << connection->socketId;
            connection->socket->close(
                static_cast<QWebSocketProtocol::CloseCode>(ErrorCode::PongReplyNotReceived),
                QStringLiteral("Pong reply not received"));
        }
    }
    m_clientEventLimiter.prune(now);
}

void Gateway::closeAll(int code, const QString &reason)
{
    m_closing = true;
    m_server.close();
    const QList<Connection *> connections = m_connections.values();
    for (Connection *connection : connections)
        connection->socket->close(static_cast<QWebSocketProtocol::CloseCode>(code), reason);
}

} // namespace flippdeal::server
