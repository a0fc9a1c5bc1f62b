// SPDX-License-Identifier: MIT
#include "cluster/clusterbus.h"

#include "core/logging.h"
#include "gateway/gateway.h"
#include "protocol/frame.h"
#include "protocol/timeformat.h"

namespace flippdeal::server {

namespace {
constexpr char Separator = '\n';

//! The first `count` lines of `message` and the rest (which may hold anything) as the last
//! field; nullopt when there are fewer.
std::optional<QList<QByteArray>> fields(const QByteArray &message, int count)
{
    QList<QByteArray> out;
    qsizetype from = 0;
    for (int i = 0; i < count; ++i) {
        const qsizetype end = message.indexOf(Separator, from);
        if (end < 0)
            return std::nullopt;
        out.append(message.mid(from, end - from));
        from = end + 1;
    }
    out.append(message.mid(from));
    return out;
}
} // namespace

ClusterBus::ClusterBus(const RedisUrl &url, const QString &appId, QString nodeId, QObject *parent)
    : QObject(parent)
    , m_nodeId(std::move(nodeId))
    , m_channel("flippdeal:" + appId.toUtf8() + ":bus")
    , m_publisher(url, QStringLiteral("publish"))
    , m_subscriber(url, QStringLiteral("subscribe"))
{
    for (RedisConnection *c : {&m_publisher, &m_subscriber}) {
        connect(c, &RedisConnection::up, this, &ClusterBus::linkChanged);
        connect(c, &RedisConnection::down, this, &ClusterBus::linkChanged);
    }
    connect(&m_subscriber, &RedisConnection::message, this,
            [this](const QByteArray &, const QByteArray &payload) { received(payload); });
    m_heartbeat.setInterval(HeartbeatMs);
    connect(&m_heartbeat, &QTimer::timeout, this, &ClusterBus::heartbeat);
}

ClusterBus::~ClusterBus()
{
    if (m_gateway)
        m_gateway->setClusterLink(nullptr);
}

void ClusterBus::setLocal(Gateway *gateway)
{
    m_gateway = gateway;
    if (m_gateway)
        m_gateway->setClusterLink(this);
}

void ClusterBus::start()
{
    m_heartbeat.start();
    m_publisher.open();
    // A process without a gateway (the worker, the CLI) only publishes.
    if (m_gateway) {
        m_subscriber.subscribe(m_channel);
        m_subscriber.open();
    }
}

bool ClusterBus::isUp() const
{
    return m_publisher.isUp() && (!m_gateway || m_subscriber.isUp());
}

quint64 ClusterBus::reconnects() const
{
    return m_publisher.reconnects() + m_subscriber.reconnects();
}

void ClusterBus::dropConnections()
{
    m_publisher.drop();
    m_subscriber.drop();
}

void ClusterBus::broadcast(const BroadcastEvent &event)
{
    // Encoded once: the same text goes to this node's subscribers and to every other node.
    const QByteArray json =
        protocol::encodeFrame(event.event, event.channel, event.data, event.seq);
    if (m_gateway)
        m_gateway->deliverText(event.channel, json, event.exceptSocketId);
    forwardFrame(event.channel, json, event.exceptSocketId);
}

void ClusterBus::forwardFrame(const QString &channel, const QByteArray &frameJson,
                              const QString &exceptSocketId)
{
    publish("F\n" + m_nodeId.toUtf8() + Separator + channel.toUtf8() + Separator +
            exceptSocketId.toUtf8() + Separator + frameJson);
}

void ClusterBus::forwardTermination(Termination kind, const QByteArray &key, int code,
                                    const QString &reason)
{
    const QByteArray field = kind == Termination::User ? key : key.toHex();
    publish((kind == Termination::User ? "U\n" : "S\n") + m_nodeId.toUtf8() + Separator + field +
            Separator + QByteArray::number(code) + Separator + reason.toUtf8());
}

void ClusterBus::publish(const QByteArray &message)
{
    if (m_publisher.command({QByteArrayLiteral("PUBLISH"), m_channel, message}))
        ++m_sent;
    else
        ++m_unsent; // the replay after the link comes back covers what was stored
}

void ClusterBus::received(const QByteArray &message)
{
    const auto head = fields(message, 2);
    if (!head || (*head)[1] == m_nodeId.toUtf8())
        return; // malformed, or this node's own: delivered before it was published
    ++m_received;
    const QByteArray &kind = (*head)[0];
    const QByteArray &rest = (*head)[2];
    if (kind == "R") {
        bool ok = false;
        const qint64 since = rest.toLongLong(&ok);
        if (ok)
            Q_EMIT replayRequested(since);
        return;
    }
    if (!m_gateway)
        return;
    if (kind == "F") {
        if (const auto f = fields(rest, 2))
            m_gateway->deliverText(QString::fromUtf8((*f)[0]), (*f)[2], QString::fromUtf8((*f)[1]));
        return;
    }
    const auto f = fields(rest, 2);
    if (!f || (kind != "U" && kind != "S"))
        return;
    const int code = (*f)[1].toInt();
    const QString reason = QString::fromUtf8((*f)[2]);
    if (kind == "U")
        m_gateway->terminateUser(QString::fromUtf8((*f)[0]), code, reason, Gateway::Scope::Node);
    else
        m_gateway->terminateSession(QByteArray::fromHex((*f)[0]), code, reason,
                                    Gateway::Scope::Node);
}

void ClusterBus::heartbeat()
{
    if (!m_publisher.isUp()) {
        m_pingSentMs = 0;
        return;
    }
    const qint64 now = protocol::nowMs();
    if (m_pingSentMs != 0) {
        if (now - m_pingSentMs > StallTimeoutMs) {
            qCWarning(lcApp).noquote()
                << "cluster: Redis has not answered for" << StallTimeoutMs << "ms; reconnecting";
            m_pingSentMs = 0;
            dropConnections();
        }
        return;
    }
    m_pingSentMs = now;
    m_publisher.command({QByteArrayLiteral("PING")}, [this, sent = now](const RedisReply &) {
        if (m_pingSentMs == sent)
            m_pingSentMs = 0;
    });
}

void ClusterBus::linkChanged()
{
    const bool nowUp = isUp();
    if (nowUp == m_up)
        return;
    m_up = nowUp;
    if (!nowUp) {
        m_downSinceMs = protocol::nowMs();
        qCWarning(lcApp).noquote() << "cluster: the link to Redis is down; serving this node's "
                                      "clients only until it is back";
        Q_EMIT down();
        return;
    }
    qCInfo(lcApp).noquote() << "cluster: node" << m_nodeId << "linked through Redis";
    Q_EMIT up();
    if (m_downSinceMs == 0)
        return;
    const qint64 since = std::exchange(m_downSinceMs, 0) - ReplayMarginMs;
    publish("R\n" + m_nodeId.toUtf8() + Separator + QByteArray::number(since));
    Q_EMIT replayRequested(since);
}

} // namespace flippdeal::server
