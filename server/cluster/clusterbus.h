// SPDX-License-Identifier: MIT
#pragma once

#include "cluster/redisconnection.h"
#include "gateway/broadcaster.h"
#include "gateway/clusterlink.h"

#include <QFuture>
#include <QObject>

#include <functional>
#include <optional>

namespace flippdeal::server {

class ClusterPresence;
class Gateway;

//! \brief The nodes of a cluster as one Pusher app: every event, relayed client event,
//! channel grant and termination crosses Redis once per node, on one pub/sub channel.
//!
//! A node delivers to its own subscribers first, then publishes; each node frames what it
//! receives once for its own subscribers and ignores what its own process published (messages
//! carry a random id of the process, so that a worker run with the same `node-id` is another
//! sender). Redis is a conduit, not a store: the database stays the source of truth, and what a
//! link to Redis missed is replayed from it:
//! - **inbound:** when the subscriber was cut off, this node replays to its own subscribers the
//!   events committed since 5 s before the last message it is sure to have received (its own
//!   heartbeat's time);
//! - **outbound:** when a publish was refused (Redis down, or too far behind), this node asks
//!   every other node, once its link works again, to replay from 5 s before the first refusal.
//! A replay request that a replay already made covers is skipped, and requests that come
//! together are merged into one replay. Clients drop what they already have by `seq`.
//!
//! The messages are lines: a kind, the sending process, then the kind's fields, the last of
//! which may hold anything:
//!   `F` process channel except-socket-id frame-json   an event for channel's subscribers
//!   `C` process channel except-socket-id frame-json   a client event (never a cache's last)
//!   `U` process user-id-hex code reason                close the user's connections
//!   `S` process token-digest-hex code reason           close the connections of a token
//!   `G` process socket-id channel user-id-hex token-digest-hex   a grant for another's socket
//!   `R` process since-ms until-ms                      replay what was committed in between
//!   `H` process sent-ms                                a heartbeat, for the sender itself
//!   `M` process +/- subject count channel user-hex info   presence, published by the scripts
//!   `O` process +/- channel                            occupancy, too (ClusterPresence)
class ClusterBus : public QObject, public Broadcaster, public ClusterLink
{
    Q_OBJECT

public:
    //! How far before a loss a replay starts: events committed just before it may not have
    //! crossed yet.
    static constexpr qint64 ReplayMarginMs = 5000;
    //! A heartbeat goes through Redis every HeartbeatMs and must come back (the publish
    //! answered, and, with a gateway, heard on the subscriber) within StallTimeoutMs, else both
    //! connections are dropped and made again: a stalled Redis or a half-open socket.
    static constexpr int HeartbeatMs = 1000;
    static constexpr qint64 StallTimeoutMs = 3000;
    //! Replay requests arriving within this time are merged into one replay.
    static constexpr int ReplayDelayMs = 200;

    ClusterBus(const RedisUrl &url, const QString &appId, QString nodeId,
               QObject *parent = nullptr);
    ~ClusterBus() override;

    //! The node's own gateway (none in `queue:work` and the CLI). Not owned.
    void setLocal(Gateway *gateway);
    //! Connects; up() once both connections are (the publisher alone without a gateway).
    void start();
    bool isUp() const;
    const QString &nodeId() const { return m_nodeId; }
    const QByteArray &channel() const { return m_channel; }
    //! The publisher's connection, for the commands of other parts (presence, leases).
    RedisConnection &commands() { return m_publisher; }
    //! This process's id in messages and keys, and the prefix of every key and channel.
    const QByteArray &instance() const { return m_instance; }
    const QByteArray &prefix() const { return m_prefix; }
    //! Publishes a message of `kind` with `rest` as its fields (after the sender).
    void send(const QByteArray &kind, const QByteArray &rest);
    //! The first `count` lines of `message`, then the rest (which may hold anything) as one
    //! more field; nullopt when there are fewer lines.
    static std::optional<QList<QByteArray>> split(const QByteArray &message, int count);
    //! Cluster-wide presence (serving processes). Not owned.
    void setPresence(ClusterPresence *presence) { m_presence = presence; }

    void broadcast(const BroadcastEvent &event) override;
    void forwardFrame(const QString &channel, const QByteArray &frameJson,
                      const QString &exceptSocketId) override;
    void forwardTermination(Termination kind, const QByteArray &key, int code,
                            const QString &reason) override;
    void forwardGrant(const QString &socketId, const QString &channel, const QString &userId,
                      const QByteArray &sessionKey) override;
    bool presenceJoined(const QString &channel, const protocol::PresenceMember &member) override;
    bool presenceLeft(const QString &channel, const QString &userId) override;
    bool subscribersChanged(const QString &channel, int here) override;
    QFuture<Counts> subscriberCounts(const QString &prefix, bool exact) override;
    QFuture<std::optional<bool>> seenSignature(const QByteArray &signature, qint64 expiresAtMs,
                                               qint64 graceMs) override;

    //! Calls `ifLeader` when this process holds (or has just taken) the cluster-wide lease
    //! `role` for `ttlMs`; nothing when another process holds it or Redis is down.
    void whenLeader(const QByteArray &role, int ttlMs, std::function<void()> ifLeader);
    //! Takes one token from the cluster-wide bucket `bucket` (refilled at `perSecond`, holding
    //! at most `burst`): 0 when taken, else the milliseconds until one is there; nullopt when
    //! Redis cannot tell (down, or too far behind).
    QFuture<std::optional<int>> acquire(const QByteArray &bucket, double perSecond, double burst);
    //! Calls `done` once Redis has taken everything published so far, or after `deadlineMs`
    //! (at once when down): on shutdown, so that the last events are not left in a buffer.
    void whenFlushed(int deadlineMs, std::function<void()> done);

    quint64 sentCount() const { return m_sent; }
    quint64 receivedCount() const { return m_received; }
    //! Messages not sent because Redis was down or too far behind.
    quint64 unsentCount() const { return m_unsent; }
    quint64 replayCount() const { return m_replays; }
    quint64 reconnects() const;

    //! The tests' outage: drops both connections, which come back as after a real one.
    void dropConnections();

Q_SIGNALS:
    void up();
    void down();
    //! Deliver to this node's subscribers what was committed since `sinceMs`.
    void replayRequested(qint64 sinceMs);

private:
    //! EVAL of `script` with `args`; the integer answer, or nullopt when Redis cannot tell.
    QFuture<std::optional<qint64>> evalInteger(const QByteArray &script,
                                               const QList<QByteArray> &args);
    void received(const QByteArray &message);
    void deliverReceived(const QByteArray &kind, const QByteArray &rest);
    void linkChanged();
    void heartbeat();
    //! Replays what was committed from `sinceMs` on, unless a replay that ran after `untilMs`
    //! started at or before it.
    void requestReplay(qint64 sinceMs, qint64 untilMs);

    QString m_nodeId;
    QByteArray m_instance; // this process, in every message
    QByteArray m_prefix;   // of every key and channel: flippdeal:{app-id}:{db}:
    QByteArray m_channel;
    RedisConnection m_publisher;
    RedisConnection m_subscriber;
    Gateway *m_gateway = nullptr;
    ClusterPresence *m_presence = nullptr;
    QTimer m_heartbeat;
    QTimer m_replayTimer;
    qint64 m_lastTickMs = 0;
    qint64 m_publishAnsweredMs = 0; // the last heartbeat publish Redis answered
    qint64 m_heardMs = 0;           // when this process last heard its own heartbeat
    qint64 m_heardStampMs = 0;      // that heartbeat's sending time
    qint64 m_inboundLostSinceMs = 0;
    qint64 m_outboundLostSinceMs = 0;
    qint64 m_replaySinceMs = 0; // the pending replay's start; 0: none pending
    qint64 m_lastReplaySinceMs = 0;
    qint64 m_lastReplayAtMs = 0;
    bool m_up = false;
    bool m_everUp = false;
    quint64 m_sent = 0;
    quint64 m_received = 0;
    quint64 m_unsent = 0;
    quint64 m_replays = 0;
};

} // namespace flippdeal::server
