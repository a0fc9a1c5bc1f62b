// SPDX-License-Identifier: MIT
#include "cluster/clusterbus.h"

#include "cluster/clusterpresence.h"
#include "core/logging.h"
#include "gateway/gateway.h"
#include "protocol/frame.h"
#include "protocol/timeformat.h"

#include <QPromise>
#include <QRandomGenerator>

namespace flippdeal::server {

namespace {
constexpr char Separator = '\n';

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

QByteArray joined(std::initializer_list<QByteArray> parts)
{
    QByteArray out;
    for (const QByteArray &part : parts) {
        if (!out.isEmpty())
            out += Separator;
        out += part;
    }
    return out;
}
} // namespace

std::optional<QList<QByteArray>> ClusterBus::split(const QByteArray &message, int count)
{
    return fields(message, count);
}

ClusterBus::ClusterBus(const RedisUrl &url, const QString &appId, QString nodeId, QObject *parent)
    : QObject(parent)
    , m_nodeId(std::move(nodeId))
    , m_instance(QByteArray::number(QRandomGenerator::global()->generate64(), 16))
    // The database number is part of the name: pub/sub channels are global to a Redis server.
    , m_prefix("flippdeal:" + appId.toUtf8() + ':' + QByteArray::number(url.db) + ':')
    , m_channel(m_prefix + "bus")
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
    m_replayTimer.setSingleShot(true);
    m_replayTimer.setInterval(ReplayDelayMs);
    connect(&m_replayTimer, &QTimer::timeout, this, [this] {
        const qint64 since = std::exchange(m_replaySinceMs, 0);
        m_lastReplaySinceMs = since;
        m_lastReplayAtMs = protocol::nowMs();
        ++m_replays;
        Q_EMIT replayRequested(since);
    });
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
    // The subscriber counts from now on: up() again once it is up too.
    m_up = isUp();
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
    send("F", joined({event.channel.toUtf8(), event.exceptSocketId.toUtf8(), json}));
}

void ClusterBus::forwardFrame(const QString &channel, const QByteArray &frameJson,
                              const QString &exceptSocketId)
{
    send("C", joined({channel.toUtf8(), exceptSocketId.toUtf8(), frameJson}));
}

void ClusterBus::forwardTermination(Termination kind, const QByteArray &key, int code,
                                    const QString &reason)
{
    send(kind == Termination::User ? "U" : "S",
         joined({key.toHex(), QByteArray::number(code), reason.toUtf8()}));
}

void ClusterBus::forwardGrant(const QString &socketId, const QString &channel,
                              const QString &userId, const QByteArray &sessionKey)
{
    send("G", joined({socketId.toUtf8(), channel.toUtf8(), userId.toUtf8().toHex(),
                      sessionKey.toHex()}));
}

void ClusterBus::send(const QByteArray &kind, const QByteArray &rest)
{
    if (m_publisher.command(
            {QByteArrayLiteral("PUBLISH"), m_channel, joined({kind, m_instance, rest})})) {
        ++m_sent;
        return;
    }
    ++m_unsent;
    // The other nodes replay what was committed from then on, once the link works again.
    if (m_outboundLostSinceMs == 0)
        m_outboundLostSinceMs = protocol::nowMs();
}

void ClusterBus::received(const QByteArray &message)
{
    const auto head = fields(message, 2);
    if (!head)
        return;
    const QByteArray &kind = (*head)[0];
    // Presence and occupancy come from scripts, this process's included, in the order they ran.
    if ((kind == "M" || kind == "O") && m_gateway) {
        if ((*head)[1] != m_instance)
            ++m_received;
        if (m_presence)
            m_presence->received(kind, (*head)[1], (*head)[2]);
        return;
    }
    if ((*head)[1] == m_instance) {
        if (kind == "H") { // this process's own heartbeat: the subscriber hears
            m_heardMs = protocol::nowMs();
            m_heardStampMs = (*head)[2].toLongLong();
        }
        return; // the rest was delivered here before it was published
    }
    ++m_received;
    deliverReceived(kind, (*head)[2]);
}

void ClusterBus::deliverReceived(const QByteArray &kind, const QByteArray &rest)
{
    if (kind == "R") {
        const auto f = fields(rest, 1);
        if (f)
            requestReplay((*f)[0].toLongLong(), (*f)[1].toLongLong());
        return;
    }
    if (!m_gateway || kind == "H")
        return;
    if (kind == "F" || kind == "C") {
        if (const auto f = fields(rest, 2))
            m_gateway->deliverText(QString::fromUtf8((*f)[0]), (*f)[2], QString::fromUtf8((*f)[1]),
                                   kind == "F");
    } else if (kind == "G") {
        if (const auto f = fields(rest, 3))
            m_gateway->recordGrant(QString::fromUtf8((*f)[0]), QString::fromUtf8((*f)[1]),
                                   QString::fromUtf8(QByteArray::fromHex((*f)[2])),
                                   QByteArray::fromHex((*f)[3]), Gateway::Scope::Node);
    } else if (kind == "U" || kind == "S") {
        const auto f = fields(rest, 2);
        if (!f)
            return;
        const QByteArray key = QByteArray::fromHex((*f)[0]);
        const int code = (*f)[1].toInt();
        const QString reason = QString::fromUtf8((*f)[2]);
        if (kind == "U")
            m_gateway->terminateUser(QString::fromUtf8(key), code, reason, Gateway::Scope::Node);
        else
            m_gateway->terminateSession(key, code, reason, Gateway::Scope::Node);
    }
}

bool ClusterBus::presenceJoined(const QString &channel, const protocol::PresenceMember &member)
{
    return m_presence && isUp() && m_presence->joined(channel, member);
}

bool ClusterBus::presenceLeft(const QString &channel, const QString &userId)
{
    return m_presence && isUp() && m_presence->left(channel, userId);
}

bool ClusterBus::subscribersChanged(const QString &channel, int here)
{
    return m_presence && isUp() && m_presence->subscribersChanged(channel, here);
}

QFuture<ClusterLink::Counts> ClusterBus::subscriberCounts(const QString &prefix, bool exact)
{
    if (!m_presence || !isUp())
        return QtFuture::makeReadyFuture(Counts());
    return m_presence->subscriberCounts(prefix, exact);
}

void ClusterBus::heartbeat()
{
    const qint64 now = protocol::nowMs();
    // An event loop held up (a long replay) has not read the answers waiting for it yet.
    if (now - std::exchange(m_lastTickMs, now) > 2 * HeartbeatMs)
        m_publishAnsweredMs = m_heardMs = now;
    if (!isUp())
        return;
    if (m_presence)
        m_presence->tick();
    const bool publisherStalled = now - m_publishAnsweredMs > StallTimeoutMs;
    const bool subscriberDeaf = m_gateway && now - m_heardMs > StallTimeoutMs;
    if (publisherStalled || subscriberDeaf) {
        qCWarning(lcApp).noquote()
            << "cluster:" << (publisherStalled ? "Redis has not answered" : "nothing heard")
            << "for" << StallTimeoutMs << "ms; reconnecting";
        dropConnections();
        return;
    }
    m_publisher.command(
        {QByteArrayLiteral("PUBLISH"), m_channel,
         joined({"H", m_instance, QByteArray::number(now)})},
        [this](const RedisReply &reply) {
            if (!reply.ok())
                return;
            m_publishAnsweredMs = protocol::nowMs();
            // Refused while up (Redis too far behind), and room again.
            if (m_outboundLostSinceMs != 0 &&
                m_publisher.pendingBytes() < RedisConnection::MaxPendingBytes / 2)
                send("R", joined({QByteArray::number(std::exchange(m_outboundLostSinceMs, 0) -
                                                     ReplayMarginMs),
                                  QByteArray::number(m_publishAnsweredMs)}));
        });
}

void ClusterBus::requestReplay(qint64 sinceMs, qint64 untilMs)
{
    // A replay that started at or before `sinceMs` and ran after `untilMs` delivered all of it.
    if (m_lastReplayAtMs >= untilMs && m_lastReplaySinceMs <= sinceMs && m_lastReplayAtMs > 0)
        return;
    m_replaySinceMs = m_replaySinceMs == 0 ? sinceMs : std::min(m_replaySinceMs, sinceMs);
    if (!m_replayTimer.isActive())
        m_replayTimer.start();
}

void ClusterBus::linkChanged()
{
    const bool nowUp = isUp();
    if (nowUp == m_up)
        return;
    m_up = nowUp;
    const qint64 now = protocol::nowMs();
    if (!nowUp) {
        // What the subscriber may have missed starts after the last heartbeat it heard.
        if (m_gateway && m_everUp && m_inboundLostSinceMs == 0)
            m_inboundLostSinceMs = m_heardStampMs > 0 ? m_heardStampMs : now;
        qCWarning(lcApp).noquote() << "cluster: the link to Redis is down; serving this node's "
                                      "clients only until it is back";
        Q_EMIT down();
        return;
    }
    m_everUp = true;
    m_publishAnsweredMs = m_heardMs = now;
    qCInfo(lcApp).noquote() << "cluster: node" << m_nodeId << "linked through Redis";
    Q_EMIT up();
    if (m_presence)
        m_presence->linked();
    if (const qint64 lost = std::exchange(m_inboundLostSinceMs, 0))
        requestReplay(lost - ReplayMarginMs, now);
    if (const qint64 lost = std::exchange(m_outboundLostSinceMs, 0))
        send("R", joined({QByteArray::number(lost - ReplayMarginMs), QByteArray::number(now)}));
}

void ClusterBus::whenLeader(const QByteArray &role, int ttlMs, std::function<void()> ifLeader)
{
    static const QByteArray lease = QByteArrayLiteral(
        "if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end\n"
        "if redis.call('GET', KEYS[1]) == ARGV[1] then\n"
        "  redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end\n"
        "return 0\n");
    m_publisher.command(
        {"EVAL", lease, "1", m_prefix + "lease:" + role, m_instance, QByteArray::number(ttlMs)},
        [ifLeader = std::move(ifLeader)](const RedisReply &reply) {
            if (reply.type == RedisReply::Type::Integer && reply.integer == 1)
                ifLeader();
        });
}

QFuture<std::optional<int>> ClusterBus::acquire(const QByteArray &bucket, double perSecond,
                                                double burst)
{
    // A token bucket on Redis's clock, so that the nodes' clocks do not matter.
    static const QByteArray script = QByteArrayLiteral(R"(
local k, rate, burst = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', k, 'tokens', 'at')
local tokens, at = tonumber(b[1]) or burst, tonumber(b[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 1000)
local wait = 0
if tokens < 1 then wait = math.ceil((1 - tokens) * 1000 / rate) else tokens = tokens - 1 end
redis.call('HSET', k, 'tokens', tostring(tokens), 'at', now)
redis.call('PEXPIRE', k, math.ceil(burst * 1000 / rate) + 1000)
return wait
)");
    return evalInteger(script, {"1", m_prefix + "limit:" + bucket, QByteArray::number(perSecond),
                                QByteArray::number(burst)})
        .then([](std::optional<qint64> wait) {
            return wait ? std::optional<int>(int(*wait)) : std::nullopt;
        });
}

QFuture<std::optional<bool>> ClusterBus::seenSignature(const QByteArray &signature,
                                                       qint64 expiresAtMs, qint64 graceMs)
{
    // First use: recorded with Redis's time. Seen before: a replay, unless within the grace
    // after its first use (the SDKs sign whole seconds, so identical calls are identical).
    static const QByteArray script = QByteArrayLiteral(R"(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local first = redis.call('GET', KEYS[1])
if not first then
  redis.call('SET', KEYS[1], now, 'PX', math.max(1, tonumber(ARGV[1]) - now))
  return 0
end
if now - tonumber(first) < tonumber(ARGV[2]) then return 0 end
return 1
)");
    return evalInteger(script, {"1", m_prefix + "sig:" + signature, QByteArray::number(expiresAtMs),
                                QByteArray::number(graceMs)})
        .then([](std::optional<qint64> seen) {
            return seen ? std::optional<bool>(*seen == 1) : std::nullopt;
        });
}

QFuture<std::optional<qint64>> ClusterBus::evalInteger(const QByteArray &script,
                                                       const QList<QByteArray> &args)
{
    auto promise = std::make_shared<QPromise<std::optional<qint64>>>();
    promise->start();
    QFuture<std::optional<qint64>> future = promise->future();
    // Fulfilled on a later pass: what waits on it (a route's whole work) must not run inside
    // hiredis's reply callback.
    const auto finish = [this, promise](std::optional<qint64> value) {
        QTimer::singleShot(0, this, [promise, value] {
            promise->addResult(value);
            promise->finish();
        });
    };
    if (!isUp() || !m_publisher.command(QList<QByteArray>{"EVAL", script} + args,
                                        [finish](const RedisReply &reply) {
                                            finish(reply.type == RedisReply::Type::Integer
                                                       ? std::optional<qint64>(reply.integer)
                                                       : std::nullopt);
                                        }))
        finish(std::nullopt);
    return future;
}

void ClusterBus::whenFlushed(int deadlineMs, std::function<void()> done)
{
    auto finished = std::make_shared<std::function<void()>>(std::move(done));
    const auto finish = [finished] {
        if (*finished)
            std::exchange(*finished, {})();
    };
    // Redis answers in order: the PING's answer comes after every publish before it.
    if (m_publisher.pendingBytes() == 0 ||
        !m_publisher.command({"PING"}, [finish](const RedisReply &) { finish(); })) {
        finish();
        return;
    }
    QTimer::singleShot(deadlineMs, this, finish);
}

} // namespace flippdeal::server
