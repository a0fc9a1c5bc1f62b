// SPDX-License-Identifier: MIT
#pragma once

#include "cluster/redisconnection.h"
#include "gateway/broadcaster.h"
#include "gateway/clusterlink.h"

#include <QObject>

namespace flippdeal::server {

class Gateway;

//! \brief The nodes of a cluster as one Pusher app: every event, relayed client event and
//! termination crosses Redis once per node, on one pub/sub channel per app.
//!
//! A node delivers to its own subscribers first, then publishes; each node frames what it
//! receives once for its own subscribers and ignores what it published itself. Redis is a
//! conduit, not a store: the database stays the source of truth. When a node's link to Redis
//! comes back after a loss, it asks every node (itself included) to replay the events
//! committed since shortly before the loss; clients drop what they already have by `seq`.
//!
//! The messages are lines: a kind, the sending node, then the kind's fields, the last of which
//! may hold anything:
//!   `F` node channel except-socket-id frame-json        a frame for channel's subscribers
//!   `U` node user-id code reason                         close the user's connections
//!   `S` node token-digest-hex code reason                close the connections of a token
//!   `R` node since-ms                                    replay events committed since
class ClusterBus : public QObject, public Broadcaster, public ClusterLink
{
    Q_OBJECT

public:
    //! How far before a loss the replay starts: events committed just before it may not have
    //! crossed yet.
    static constexpr qint64 ReplayMarginMs = 5000;
    //! A PING on the publishing connection every HeartbeatMs; one unanswered for
    //! StallTimeoutMs means a stalled Redis (or link): both connections are dropped, and the
    //! node serves its own clients until they are back.
    static constexpr int HeartbeatMs = 1000;
    static constexpr qint64 StallTimeoutMs = 3000;

    ClusterBus(const RedisUrl &url, const QString &appId, QString nodeId,
               QObject *parent = nullptr);
    ~ClusterBus() override;

    //! The node's own gateway (none in `queue:work` and the CLI). Not owned.
    void setLocal(Gateway *gateway);
    //! Connects; up() once both connections are.
    void start();
    bool isUp() const;
    const QString &nodeId() const { return m_nodeId; }
    const QByteArray &channel() const { return m_channel; }

    void broadcast(const BroadcastEvent &event) override;
    void forwardFrame(const QString &channel, const QByteArray &frameJson,
                      const QString &exceptSocketId) override;
    void forwardTermination(Termination kind, const QByteArray &key, int code,
                            const QString &reason) override;

    quint64 sentCount() const { return m_sent; }
    quint64 receivedCount() const { return m_received; }
    //! Messages not sent because Redis was down or too far behind.
    quint64 unsentCount() const { return m_unsent; }
    quint64 reconnects() const;

    //! The tests' outage: drops both connections, which come back as after a real one.
    void dropConnections();

Q_SIGNALS:
    void up();
    void down();
    //! Replay to local subscribers what was committed since `sinceMs` (another node's link,
    //! or this node's, came back).
    void replayRequested(qint64 sinceMs);

private:
    void publish(const QByteArray &message);
    void received(const QByteArray &message);
    void linkChanged();
    void heartbeat();

    QString m_nodeId;
    QByteArray m_channel;
    RedisConnection m_publisher;
    RedisConnection m_subscriber;
    Gateway *m_gateway = nullptr;
    QTimer m_heartbeat;
    qint64 m_pingSentMs = 0;  // the unanswered heartbeat's time; 0: none
    qint64 m_downSinceMs = 0; // when the link was lost; 0 while up or before the first up
    bool m_up = false;
    quint64 m_sent = 0;
    quint64 m_received = 0;
    quint64 m_unsent = 0;
};

} // namespace flippdeal::server
