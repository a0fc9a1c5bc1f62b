// SPDX-License-Identifier: MIT
#include "realtimeclient.h"

#include "apiclient.h"

#include "protocol/channelname.h"
#include "protocol/frame.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QUrlQuery>

#include <algorithm>

namespace flippdeal::client {

namespace {
constexpr int HistoryPageSize = 500;
constexpr int PongTimeoutMs = 10'000;
} // namespace

RealtimeClient::RealtimeClient(ApiClient &api, QString appKey, QObject *parent)
    : QObject(parent)
    , m_api(api)
    , m_appKey(std::move(appKey))
{
    connect(&m_socket, &QWebSocket::textMessageReceived, this, &RealtimeClient::onTextMessage);
    connect(&m_socket, &QWebSocket::disconnected, this, &RealtimeClient::onDisconnected);
    connect(
        &m_socket, QOverload<QAbstractSocket::SocketError>::of(&QWebSocket::error), this, [this] {
            setError(m_certificateError.isEmpty() ? m_socket.errorString() : m_certificateError);
        });
    // Not ignored, so the handshake fails (the error above follows); say why.
    connect(&m_socket, &QWebSocket::sslErrors, this, [this](const QList<QSslError> &errors) {
        m_certificateError =
            ApiClient::certificateErrorString(errors, m_socket.requestUrl().host());
        setError(m_certificateError);
    });
    m_reconnectTimer.setSingleShot(true);
    connect(&m_reconnectTimer, &QTimer::timeout, this, &RealtimeClient::connectToServer);
    m_activityTimer.setSingleShot(true);
    connect(&m_activityTimer, &QTimer::timeout, this, [this] {
        send({{QLatin1String("event"), QStringLiteral("pusher:ping")},
              {QLatin1String("data"), QJsonObject()}});
        m_pongTimer.start(PongTimeoutMs);
    });
    m_pongTimer.setSingleShot(true);
    connect(&m_pongTimer, &QTimer::timeout, this, [this] {
        setError(tr("The server stopped answering."));
        m_socket.abort();
    });
}

RealtimeClient::~RealtimeClient()
{
    m_wanted = false;
    m_socket.disconnect(this);
    m_socket.abort();
}

void RealtimeClient::setReconnectDelays(int initialMs, int maxMs)
{
    m_initialDelayMs = std::max(1, initialMs);
    m_maxDelayMs = std::max(m_initialDelayMs, maxMs);
}

QString RealtimeClient::stateName() const
{
    switch (m_state) {
    case State::Initialized:
        return QStringLiteral("initialized");
    case State::Connecting:
        return QStringLiteral("connecting");
    case State::Connected:
        return QStringLiteral("connected");
    case State::Unavailable:
        return QStringLiteral("unavailable");
    case State::Disconnected:
        return QStringLiteral("disconnected");
    }
    return {};
}

void RealtimeClient::setState(State state)
{
    if (state == m_state)
        return;
    m_state = state;
    Q_EMIT stateChanged();
}

void RealtimeClient::setError(const QString &error)
{
    if (error == m_errorString)
        return;
    m_errorString = error;
    Q_EMIT errorStringChanged();
}

void RealtimeClient::connectToServer()
{
    m_wanted = true;
    m_reconnectTimer.stop();
    if (m_socket.state() != QAbstractSocket::UnconnectedState)
        return;
    QUrl url = m_api.baseUrl();
    url.setScheme(url.scheme() == QLatin1String("https") ? QStringLiteral("wss")
                                                         : QStringLiteral("ws"));
    url.setPath(QStringLiteral("/app/") + m_appKey);
    QUrlQuery query;
    query.addQueryItem(QStringLiteral("protocol"), QStringLiteral("7"));
    query.addQueryItem(QStringLiteral("client"), QStringLiteral("flippdeal-desktop"));
    query.addQueryItem(QStringLiteral("version"), QStringLiteral("0.1"));
    url.setQuery(query);
    setState(State::Connecting);
    m_certificateError.clear();
    m_socket.setSslConfiguration(m_api.sslConfiguration());
    m_socket.open(url);
}

void RealtimeClient::disconnectFromServer()
{
    m_wanted = false;
    m_reconnectTimer.stop();
    m_activityTimer.stop();
    m_pongTimer.stop();
    m_socket.close();
    setState(State::Disconnected);
}

void RealtimeClient::subscribe(const QString &channel)
{
    m_channels.insert(channel);
    if (m_state == State::Connected)
        sendSubscribe(channel);
}

void RealtimeClient::unsubscribe(const QString &channel)
{
    m_channels.remove(channel);
    m_pending.remove(channel);
    if (m_state == State::Connected)
        send({{QLatin1String("event"), QStringLiteral("pusher:unsubscribe")},
              {QLatin1String("data"), QJsonObject{{QLatin1String("channel"), channel}}}});
}

void RealtimeClient::sendClientEvent(const QString &channel, const QString &event,
                                     const QJsonObject &data)
{
    send({{QLatin1String("event"),
           event.startsWith(QLatin1String("client-")) ? event : QStringLiteral("client-") + event},
          {QLatin1String("channel"), channel},
          {QLatin1String("data"), data}});
}

void RealtimeClient::send(const QJsonObject &frame)
{
    if (m_socket.state() == QAbstractSocket::ConnectedState)
        m_socket.sendTextMessage(
            QString::fromUtf8(QJsonDocument(frame).toJson(QJsonDocument::Compact)));
}

void RealtimeClient::sendSubscribe(const QString &channel)
{
    const auto name = protocol::parseChannelName(channel);
    if (!name) {
        Q_EMIT subscriptionFailed(channel, tr("Invalid channel name."));
        return;
    }
    if (!name->requiresAuth()) {
        send({{QLatin1String("event"), QStringLiteral("pusher:subscribe")},
              {QLatin1String("data"), QJsonObject{{QLatin1String("channel"), channel}}}});
        return;
    }
    const QString socketId = m_socketId;
    m_api.authorizeChannel(socketId, channel, [this, channel, socketId](const ApiResult &result) {
        if (socketId != m_socketId || !m_channels.contains(channel))
            return; // reconnected or unsubscribed meanwhile
        if (!result.ok()) {
            Q_EMIT subscriptionFailed(channel, result.errorString);
            return;
        }
        QJsonObject data{{QLatin1String("channel"), channel},
                         {QLatin1String("auth"), result.json.value(QLatin1String("auth"))}};
        if (result.json.contains(QLatin1String("channel_data")))
            data.insert(QLatin1String("channel_data"),
                        result.json.value(QLatin1String("channel_data")));
        send({{QLatin1String("event"), QStringLiteral("pusher:subscribe")},
              {QLatin1String("data"), data}});
    });
}

void RealtimeClient::onTextMessage(const QString &text)
{
    m_pongTimer.stop();
    const QJsonObject frame = QJsonDocument::fromJson(text.toUtf8()).object();
    const QString event = frame.value(QLatin1String("event")).toString();
    const QString channel = frame.value(QLatin1String("channel")).toString();
    const QJsonObject data =
        protocol::dataObject(frame.value(QLatin1String("data"))).value_or(QJsonObject());

    if (event == QLatin1String("pusher:connection_established")) {
        onConnectionEstablished(data);
    } else if (event == QLatin1String("pusher:ping")) {
        send({{QLatin1String("event"), QStringLiteral("pusher:pong")},
              {QLatin1String("data"), QJsonObject()}});
    } else if (event == QLatin1String("pusher:pong")) {
        // activity noted above
    } else if (event == QLatin1String("pusher:error")) {
        setError(data.value(QLatin1String("message")).toString());
    } else if (event == QLatin1String("pusher:subscription_error")) {
        Q_EMIT subscriptionFailed(channel, data.value(QLatin1String("error")).toString());
    } else if (event == QLatin1String("pusher_internal:subscription_succeeded")) {
        onSubscriptionSucceeded(channel, frame.value(QLatin1String("seq")), data);
    } else if (event == QLatin1String("pusher_internal:member_added")) {
        Q_EMIT memberAdded(channel, data.value(QLatin1String("user_id")).toString(),
                           data.value(QLatin1String("user_info")).toObject());
    } else if (event == QLatin1String("pusher_internal:member_removed")) {
        Q_EMIT memberRemoved(channel, data.value(QLatin1String("user_id")).toString());
    } else if (event.startsWith(QLatin1String("client-"))) {
        Q_EMIT clientEventReceived(channel, event, data,
                                   frame.value(QLatin1String("user_id")).toString());
    } else if (!event.startsWith(QLatin1String("pusher"))) {
        onChannelEvent(channel, event, data, frame.value(QLatin1String("seq")).toInteger());
    }
    if (m_state == State::Connected)
        m_activityTimer.start();
}

void RealtimeClient::onConnectionEstablished(const QJsonObject &data)
{
    m_socketId = data.value(QLatin1String("socket_id")).toString();
    const int timeout = data.value(QLatin1String("activity_timeout")).toInt(120);
    m_activityTimer.setInterval(std::max(1, timeout) * 1000);
    m_attempt = 0;
    setError({});
    setState(State::Connected);
    for (const QString &wanted : std::as_const(m_channels))
        sendSubscribe(wanted);
}

void RealtimeClient::onSubscriptionSucceeded(const QString &channel, const QJsonValue &head,
                                             const QJsonObject &data)
{
    if (data.contains(QLatin1String("presence")))
        Q_EMIT membersReset(channel, data.value(QLatin1String("presence"))
                                         .toObject()
                                         .value(QLatin1String("hash"))
                                         .toObject());
    // The server says where the channel stands as of this subscription (`seq`): on the first
    // subscription that is where we start, with no race against a history query; after a
    // reconnect, history is fetched only when something was missed.
    const qint64 last = m_lastSeq.value(channel);
    if (last == 0 && head.isDouble() && !m_recovering.contains(channel))
        m_lastSeq.insert(channel, head.toInteger());
    Q_EMIT subscribed(channel);
    // After a reconnect, whatever happened while we were away is in the history. Without a
    // `seq` (an older server), learn where the channel stands on the first subscription, so
    // that a later reconnect can recover even when no event had reached us yet.
    if (last > 0 && (!head.isDouble() || head.toInteger() > last))
        recover(channel);
    else if (last == 0 && !head.isDouble() &&
             protocol::parseChannelName(channel).value_or(protocol::ChannelName{}).isSequenced())
        fetchBaseline(channel);
}

void RealtimeClient::onChannelEvent(const QString &channel, const QString &event,
                                    const QJsonObject &data, qint64 seq)
{
    if (seq <= 0) {
        Q_EMIT eventReceived(channel, event, data, 0);
        return;
    }
    if (m_recovering.contains(channel)) {
        m_pending[channel].append({event, data, seq});
        return;
    }
    const qint64 last = m_lastSeq.value(channel);
    if (seq <= last)
        return; // already delivered (a duplicate after a restart)
    if (last == 0 || seq == last + 1) {
        deliver(channel, event, data, seq);
        return;
    }
    m_pending[channel].append({event, data, seq});
    recover(channel); // a gap: fetch what is missing first
}

void RealtimeClient::deliver(const QString &channel, const QString &event, const QJsonObject &data,
                             qint64 seq)
{
    m_lastSeq.insert(channel, seq);
    Q_EMIT eventReceived(channel, event, data, seq);
}

void RealtimeClient::fetchBaseline(const QString &channel)
{
    m_api.history(
        channel, Q_INT64_C(9000000000000000), 1, [this, channel](const ApiResult &result) {
            const qint64 head = result.json.value(QLatin1String("last_seq")).toInteger();
            if (result.ok() && m_lastSeq.value(channel) == 0 && !m_recovering.contains(channel))
                m_lastSeq.insert(channel, head);
        });
}

void RealtimeClient::recover(const QString &channel)
{
    if (m_recovering.contains(channel))
        return;
    m_recovering.insert(channel);
    const qint64 after = m_lastSeq.value(channel);
    m_api.history(channel, after, HistoryPageSize, [this, channel](const ApiResult &result) {
        int count = 0;
        if (result.ok()) {
            for (const QJsonValue &value : result.json.value(QLatin1String("data")).toArray()) {
                const QJsonObject item = value.toObject();
                const qint64 seq = item.value(QLatin1String("seq")).toInteger();
                if (seq <= m_lastSeq.value(channel))
                    continue;
                const QJsonObject data =
                    QJsonDocument::fromJson(item.value(QLatin1String("data")).toString().toUtf8())
                        .object();
                deliver(channel, item.value(QLatin1String("event")).toString(), data, seq);
                ++count;
            }
        } else {
            setError(result.errorString);
        }
        m_recovering.remove(channel);
        // Live events that arrived meanwhile: deliver those that follow on, drop duplicates.
        QList<Pending> pending = m_pending.take(channel);
        std::sort(pending.begin(), pending.end(),
                  [](const Pending &a, const Pending &b) { return a.seq < b.seq; });
        bool gap = false;
        for (const Pending &p : std::as_const(pending)) {
            const qint64 last = m_lastSeq.value(channel);
            if (p.seq <= last)
                continue;
            if (p.seq != last + 1) {
                gap = true;
                m_pending[channel].append(p);
                continue;
            }
            deliver(channel, p.event, p.data, p.seq);
        }
        if (count > 0)
            Q_EMIT recovered(channel, count);
        const bool morePages =
            result.ok() &&
            result.json.value(QLatin1String("data")).toArray().size() >= HistoryPageSize;
        if ((gap || morePages) && result.ok())
            recover(channel);
    });
}

void RealtimeClient::onDisconnected()
{
    m_activityTimer.stop();
    m_pongTimer.stop();
    m_socketId.clear();
    if (!m_wanted) {
        setState(State::Disconnected);
        return;
    }
    setState(State::Unavailable);
    scheduleReconnect();
}

void RealtimeClient::scheduleReconnect()
{
    // Exponential backoff with "equal jitter": half the delay fixed, half random, so a server
    // restart is not met by every client at the same instant.
    const int exponent = std::min(m_attempt, 16);
    const qint64 ceiling = std::min<qint64>(m_maxDelayMs, qint64(m_initialDelayMs) << exponent);
    const qint64 delay = ceiling / 2 + QRandomGenerator::global()->bounded(ceiling / 2 + 1);
    ++m_attempt;
    m_reconnectTimer.start(int(delay));
}

} // namespace flippdeal::client
