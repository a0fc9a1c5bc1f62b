// SPDX-License-Identifier: MIT
#pragma once

#include "gateway/clusterlink.h"
#include "gateway/presencestore.h"

#include <QByteArray>
#include <QObject>

#include <functional>

namespace flippdeal::server {

class ClusterBus;
class Gateway;
struct RedisReply;

//! \brief The PresenceStore of a cluster node: this node's own members, and a mirror of the
//! members other processes have (kept by ClusterPresence), so that `subscription_succeeded`,
//! the member cap and the HTTP API's `/users` and `user_count` see the whole cluster.
class ClusterPresenceStore final : public PresenceStore
{
public:
    bool join(const QString &channel, const protocol::PresenceMember &member,
              const QString &socketId) override;
    bool leave(const QString &channel, const QString &userId, const QString &socketId) override;
    QList<protocol::PresenceMember> members(const QString &channel) const override;
    int memberCount(const QString &channel) const override;
    bool isMember(const QString &channel, const QString &userId) const override;

    const LocalPresenceStore &local() const { return m_local; }
    //! `member` is on `channel` through process `instance` (another one).
    void addRemote(const QByteArray &instance, const QString &channel,
                   const protocol::PresenceMember &member);
    void removeRemote(const QByteArray &instance, const QString &channel, const QString &userId);
    void clearRemote() { m_remote.clear(); }

private:
    struct Remote
    {
        protocol::PresenceMember member;
        QSet<QByteArray> instances;
    };
    LocalPresenceStore m_local;
    QHash<QString, QHash<QString, Remote>> m_remote; // channel → user id → where
};

//! \brief Presence across the nodes of a cluster, kept in Redis.
//!
//! For each presence channel and user, Redis holds the set of processes that have the user
//! there (`pn:{channel}\n{user}`), the user's info (`pi:{channel}`) and, per process, what it
//! holds (`nm:{process}`), each changed by one Lua script, so that exactly one process sees a
//! user's first join anywhere (the set's size becomes 1) and last leave (0). That process sends
//! `member_added` / `member_removed` to its own subscribers, emits the webhook, and publishes an
//! `M` message; the other nodes update their mirror and announce to theirs.
//!
//! Every serving process refreshes `inst:{process}` (expiring after InstanceTtlMs) every
//! RefreshMs; every RefreshMs one script run by any node removes the members of processes whose
//! key has expired (killed, or cut off), and the one run that finds them announces their
//! `member_removed`, once. When a link comes back, the process puts its own members in Redis
//! again (and takes out what it no longer has), and reloads its mirror.
class ClusterPresence : public QObject
{
    Q_OBJECT

public:
    static constexpr int InstanceTtlMs = 10000;
    static constexpr int RefreshMs = 2000;

    ClusterPresence(ClusterBus &bus, Gateway &gateway, ClusterPresenceStore &store,
                    QObject *parent = nullptr);

    //! What `inst:{process}` holds (JSON): the node's id, address, connections, start.
    void setDescription(std::function<QByteArray()> describe) { m_describe = std::move(describe); }

    bool joined(const QString &channel, const protocol::PresenceMember &member);
    bool left(const QString &channel, const QString &userId);
    //! ClusterLink::subscribersChanged() and subscriberCounts().
    bool subscribersChanged(const QString &channel, int here);
    QFuture<ClusterLink::Counts> subscriberCounts(const QString &prefix, bool exact);
    //! An `M` message from another process (its fields after the kind and sender).
    void received(const QByteArray &rest);
    //! The bus is up (again).
    void linked();
    //! Every bus heartbeat: the refresh and the reaping, every RefreshMs.
    void tick();

private:
    void publishChange(char sign, const QByteArray &instance, qint64 count, const QString &channel,
                       const QString &userId, const QByteArray &info);
    void reaped(const RedisReply &reply);
    void loaded(const RedisReply &reply);

    ClusterBus &m_bus;
    Gateway &m_gateway;
    ClusterPresenceStore &m_store;
    std::function<QByteArray()> m_describe;
    qint64 m_lastRefreshMs = 0;
};

} // namespace flippdeal::server
