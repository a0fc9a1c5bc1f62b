// SPDX-License-Identifier: MIT
#pragma once

#include "core/ratelimiter.h"
#include "gateway/broadcaster.h"
#include "gateway/clusterlink.h"
#include "gateway/presencestore.h"
#include "gateway/wstransport.h"

#include "protocol/channelname.h"
#include "protocol/errors.h"
#include "protocol/frame.h"

#include <QHash>
#include <QJsonValue>
#include <QObject>
#include <QSet>
#include <QTimer>

#include <functional>
#include <memory>
#include <optional>

class QTcpSocket;

namespace flippdeal::server {

class ConnectionSlot;

//! \brief Gateway settings, taken from the server Config.
struct GatewayOptions
{
    QString appKey;
    QByteArray appSecret;
    int activityTimeoutSeconds = 120;
    int activityGraceSeconds = 30;
    double clientEventsPerSecond = 10;
    qint64 maxOutboundBytes = 4 * 1024 * 1024; //!< unsent output allowed per connection
    int maxSubscriptions = 100;                //!< channels per connection
    int maxPresenceMembers = 100;              //!< distinct users per presence channel
    //! Webhook events (channel_occupied/vacated, member_added/removed, cache_miss) one
    //! connection may cause per minute before it is closed with 4301; 0: no limit.
    int maxWebhookEventsPerMinute = 0;
    //! A loop pass's WebSocket sends in one io_uring submission (where the kernel allows it).
    bool batchSends = true;
    //! WebSocket I/O threads (WsTransport); 1: on the event loop.
    int ioThreads = 1;
};

struct HttpRequest;

//! \brief The Pusher protocol 7 endpoint: accepts upgraded connections on `/app/{key}`,
//! handles subscribe/unsubscribe, presence, ping/pong, client events and the activity timeout,
//! and delivers broadcasts to local subscribers (it is the single-node Broadcaster).
//! WebSocket I/O goes through the WsTransport: a WsEngine (epoll, frames encoded once per
//! broadcast) on the event loop or on each of its I/O threads.
class Gateway : public QObject, public Broadcaster, private WsEngine::Listener
{
    Q_OBJECT

public:
    //! Whether a termination or grant is the cluster's (this node's connections, then the
    //! others') or only this node's (what another node forwarded, or what each node finds).
    enum class Scope
    {
        Cluster,
        Node
    };

    Gateway(GatewayOptions options, std::unique_ptr<PresenceStore> presence,
            QObject *parent = nullptr);
    ~Gateway() override;

    //! Completes the WebSocket handshake of an HTTP connection whose upgrade request head
    //! (`request`) has been read, and takes the connection over. `pending` is what the client
    //! sent after the head (its first frames, decoded at once); `slot`, the connection's place
    //! in the HTTP server's connection budget, is kept until the WebSocket closes.
    void handleUpgrade(QTcpSocket *socket, const HttpRequest &request,
                       const QByteArray &pending = {},
                       const std::shared_ptr<ConnectionSlot> &slot = {});

    void broadcast(const BroadcastEvent &event) override;
    //! Delivers a frame already encoded (`frameJson`, a whole Pusher frame) to this node's
    //! subscribers of `channel` except `exceptSocketId`, and keeps it as a cache channel's
    //! last event. What a ClusterBus gets from the other nodes comes in here.
    void deliverText(const QString &channel, const QByteArray &frameJson,
                     const QString &exceptSocketId = {}, bool cacheable = true);

    //! Sends `member_added` to this node's subscribers of presence `channel` (but not to the
    //! member's own connections); with `notify`, emits memberAdded() (the webhook). The user's
    //! first connection anywhere: this node's alone, or what the cluster decided.
    void announceJoin(const QString &channel, const protocol::PresenceMember &member, bool notify);
    //! The same for `member_removed`: the user's last connection anywhere has left.
    void announceLeave(const QString &channel, const QString &userId, bool notify);
    //! Emits memberAdded() or memberRemoved() (the webhooks) for what the cluster decided.
    void notifyMember(const QString &channel, const QString &userId, bool added);
    //! Emits channelOccupied() or channelVacated() (the webhooks) for what the cluster decided:
    //! the first subscriber anywhere, or the last anywhere gone.
    void announceOccupancy(const QString &channel, bool occupied);
    ClusterLink *clusterLink() const { return m_cluster; }

    //! Where the closes and client events asked of this node go to reach the others (a
    //! ClusterBus); nullptr: one node. Not owned.
    void setClusterLink(ClusterLink *link) { m_cluster = link; }

    //! Where `pusher_internal:subscription_succeeded` on a sequenced (private, presence,
    //! encrypted) channel gets the channel's current `seq`: the last committed one, 0 for none,
    //! nullopt when it cannot be told (the frame then has no `seq`).
    using SequenceSource = std::function<std::optional<qint64>(const QString &channel)>;
    void setSequenceSource(SequenceSource source) { m_sequenceSource = std::move(source); }

    //! Closes every connection with `code` (1001 on shutdown) and stops accepting.
    void closeAll(int code, const QString &reason);

    int connectionCount() const { return static_cast<int>(m_connections.size()); }

    //! Notes that the server's own auth routes signed `channel` (empty: `pusher:signin` user
    //! data) for connection `socketId` at the request of user `userId`, whose bearer token has
    //! the digest `sessionKey`. When the connection uses that signature, it is bound to the
    //! user and the token for as long as it lives: terminateUser() and terminateSession() then
    //! close it, whatever channels it is on. Ignored when `socketId` is not a connection here.
    //! With a cluster link, a grant for a socket that is not here goes to the other nodes.
    void recordGrant(const QString &socketId, const QString &channel, const QString &userId,
                     const QByteArray &sessionKey, Scope scope = Scope::Cluster);
    //! Closes every connection of user `userId` with `code`: those bound to the user (through
    //! a signature from the auth routes, pusher:signin or presence `channel_data`) and those
    //! subscribed to `private-user.{id}`. Returns how many.
    //! With Scope::Cluster (and a cluster link) the other nodes close theirs too; the count is
    //! this node's.
    int terminateUser(qint64 userId, int code, const QString &reason, Scope scope = Scope::Cluster);
    //! The same for a user id as Pusher names it (a string; `pusher:signin` users included).
    int terminateUser(const QString &userId, int code, const QString &reason,
                      Scope scope = Scope::Cluster);
    //! The connections terminateUser() would close.
    int userConnectionCount(qint64 userId) const;
    //! Closes every connection bound to the token whose digest is `sessionKey` (its user signed
    //! out, or the token was revoked). Returns how many.
    int terminateSession(const QByteArray &sessionKey, int code, const QString &reason,
                         Scope scope = Scope::Cluster);
    //! The token digests live connections are bound to (for watching revocations elsewhere).
    QList<QByteArray> sessionKeys() const;
    int channelCount() const { return static_cast<int>(m_channels.size()); }
    int subscriberCount(const QString &channel) const;
    //! Channels with at least one local subscriber.
    QStringList channelNames() const { return m_channels.keys(); }
    const PresenceStore &presence() const { return *m_presence; }
    quint64 framesIn() const { return m_framesIn; }
    quint64 framesOut() const { return m_framesOut; }
    quint64 slowConsumerDisconnects() const { return m_slowConsumerDisconnects; }
    //! Sends made at the end of loop passes (one per connection with output), and the system
    //! calls they took: fewer than the sends when io_uring batches them (sendsBatched()).
    quint64 passSends() const { return m_engine.sends(); }
    quint64 passSendCalls() const { return m_engine.systemCalls(); }
    bool sendsBatched() const { return m_engine.isBatching(); }
    int ioThreadCount() const { return m_engine.ioThreadCount(); }
    quint64 readPauses() const { return m_engine.readPauses(); }

    //! A complete WebSocket frame, ready to queue (distinct from the JSON it carries).
    struct WireFrame
    {
        QByteArray bytes;
    };

Q_SIGNALS:
    //! A connection finished its handshake (for tests and metrics).
    void connectionOpened(const QString &socketId);
    void connectionClosed(const QString &socketId);

    // What the webhooks report (server/webhooks), as this node sees it.
    void channelOccupied(const QString &channel);
    void channelVacated(const QString &channel);
    void memberAdded(const QString &channel, const QString &userId);
    void memberRemoved(const QString &channel, const QString &userId);
    //! A client event was relayed; `data` as the client sent it.
    void clientEventRelayed(const QString &channel, const QString &event, const QJsonValue &data,
                            const QString &socketId, const QString &userId);
    //! A cache channel had nothing to replay to a new subscriber.
    void cacheMissed(const QString &channel);

private:
    struct Connection;

    void textReceived(WsPeer *peer, const QByteArray &payload) override;
    void binaryReceived(WsPeer *peer) override;
    void pingReceived(WsPeer *peer, const QByteArray &payload) override;
    void pongReceived(WsPeer *peer) override;
    void peerClosed(WsPeer *peer, quint16 code) override;
    void onTextMessage(Connection *connection, const QByteArray &text);
    void closeConnection(Connection *connection, int code, const QString &reason);
    //! Binds the grants recorded for `channel` (empty: signin) to the connection.
    void bindGrants(Connection *connection, const QString &channel);
    //! Closes the given connections with a pusher:error and `code`.
    int terminate(const QList<Connection *> &doomed, int code, const QString &reason);
    //! Takes a token from the connection's ping bucket; closes it (4301) when it is empty.
    bool acceptPing(Connection *connection);
    //! Charges a webhook event the connection caused; closes it (4301) over its budget.
    void chargeWebhookEvent(Connection *connection);
    //! A new connection's state, registered under its peer and its socket id.
    Connection *addConnection(WsPeer *peer, const std::shared_ptr<ConnectionSlot> &slot);
    void handleSubscribe(Connection *connection, const protocol::Frame &frame);
    //! A private or presence subscription's signature and, for presence, its member data and
    //! the member cap. False when refused (the error is sent).
    bool authorize(Connection *connection, const protocol::ChannelName &channel,
                   const protocol::SubscribeRequest &request,
                   std::optional<protocol::PresenceMember> &member);
    //! Adds an admitted connection to `channel`: occupancy, the success frame, presence, cache.
    void join(Connection *connection, const protocol::ChannelName &channel,
              const std::optional<protocol::PresenceMember> &member);
    //! member_added to the channel's other connections, for a member's first connection.

    void handleUnsubscribe(Connection *connection, const protocol::Frame &frame);
    void handleClientEvent(Connection *connection, const protocol::Frame &frame);
    void handleSignin(Connection *connection, const protocol::Frame &frame);
    //! After a subscription to a cache channel: the last event, or `pusher:cache_miss`.
    void replayCache(Connection *connection, const QString &channel);
    void unsubscribe(Connection *connection, const QString &channel);
    WireFrame subscriptionSucceededFrame(const protocol::ChannelName &channel) const;
    //! Queues a complete WebSocket frame (shared between subscribers).
    void sendFrame(Connection *connection, const WireFrame &wsFrame);
    //! Frames `json` as a text message and queues it.
    void sendJson(Connection *connection, const QByteArray &json);
    void sendError(Connection *connection, protocol::ErrorCode code, const QString &message);
    void sendSubscriptionError(Connection *connection, const QString &channel, const QString &type,
                               const QString &message, int status);
    void deliver(const QString &channel, const WireFrame &wsFrame, const Connection *except);
    void sweepActivity();

    GatewayOptions m_options;
    SequenceSource m_sequenceSource;
    std::unique_ptr<PresenceStore> m_presence;
    ClusterLink *m_cluster = nullptr;
    WsTransport m_engine;
    QHash<WsPeer *, Connection *> m_connections;
    QHash<QString, Connection *> m_bySocketId;
    QHash<QString, QSet<Connection *>> m_channels;
    struct CachedEvent
    {
        WireFrame frame;
        qint64 atMs = 0;
    };
    QHash<QString, CachedEvent> m_cache; // cache channels: the last event, kept 30 minutes
    RateLimiter m_clientEventLimiter;
    QTimer m_sweepTimer;
    quint64 m_framesIn = 0;
    quint64 m_framesOut = 0;
    quint64 m_nextSocketSerial = 1;
    quint64 m_slowConsumerDisconnects = 0;
    bool m_closing = false;
};

} // namespace flippdeal::server
