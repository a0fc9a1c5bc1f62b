// SPDX-License-Identifier: MIT
#pragma once

#include "gateway/clusterlink.h"
#include "gateway/presencestore.h"

#include <QByteArray>
#include <QObject>

#include <functional>
#include <optional>

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
    //! Whether a process other than this one has the user on the channel.
    bool elsewhere(const QString &channel, const QString &userId) const override;
    //! `member` is on `channel` through process `instance` (another one).
    void addRemote(const QByteArray &instance, const QString &channel,
                   const protocol::PresenceMember &member);
    void removeRemote(const QByteArray &instance, const QString &channel, const QString &userId);
    void clearRemote() { m_remote.clear(); }
    //! Every (channel, user) the mirror has.
    QList<std::pair<QString, QString>> remoteKeys() const;

private:
    struct Remote
    {
        protocol::PresenceMember member;
        QSet<QByteArray> instances;
    };
    LocalPresenceStore m_local;
    QHash<QString, QHash<QString, Remote>> m_remote; // channel → user id → where
};

//! \brief Presence and channel occupancy across the nodes of a cluster, kept in Redis.
//!
//! Redis holds, for each presence channel and user, the set of processes that have the user
//! there (`pn:{channel}\n{user}`), the user's info (`pi:{channel}`) and, per process, what it
//! holds (`nm:{process}`); and, for each channel, every process's subscriber count
//! (`cc:{channel}`). Lua scripts change them, and in the same script publish what changed on
//! the bus: `M` (a process now has, or no longer has, a user on a channel, with the number of
//! processes that have the user) and `O` (a channel became occupied anywhere, or empty
//! everywhere). Every process, the script's own included, reads them in the order the scripts
//! ran:
//! - each node keeps its mirror of the other processes' members and sends its own subscribers
//!   `member_added` / `member_removed` when a user becomes visible or invisible there (a node
//!   announces its own subscribers' first join and last leave itself, at once);
//! - the process that ran the script emits the webhook (`member_added` at 1 process, and so
//!   on), so each goes out once.
//!
//! Every serving process refreshes `inst:{process}` (InstanceTtlMs) every second. Any node's
//! reaper marks a process whose key has expired, and removes its members and counts once it is
//! still gone ReapAfterMs later: long enough for every process to come back after a Redis
//! outage. A process that finds itself reaped while alive, or whose link comes back, puts its
//! members and counts in Redis again and reloads its mirror (announcing the difference).
class ClusterPresence : public QObject
{
    Q_OBJECT

public:
    static constexpr int InstanceTtlMs = 5000;
    static constexpr int ReapAfterMs = 6000;

    ClusterPresence(ClusterBus &bus, Gateway &gateway, ClusterPresenceStore &store,
                    QObject *parent = nullptr);

    //! What `inst:{process}` holds (JSON): the node's id, address, connections, start.
    void setDescription(std::function<QByteArray()> describe) { m_describe = std::move(describe); }

    //! ClusterLink::presenceJoined() and presenceLeft(): false when Redis cannot take it.
    bool joined(const QString &channel, const protocol::PresenceMember &member);
    bool left(const QString &channel, const QString &userId);
    //! ClusterLink::subscribersChanged() and subscriberCounts().
    bool subscribersChanged(const QString &channel, int here);
    QFuture<ClusterLink::Counts> subscriberCounts(const QString &prefix, bool exact);
    //! An `M` or `O` message (its sender and fields), this process's own included.
    void received(const QByteArray &kind, const QByteArray &sender, const QByteArray &rest);
    //! The bus is up (again): registers, syncs and reloads. `quiet`: the webhooks of what the
    //! sync finds went out while the link was down.
    void linked(bool quiet = true);
    //! Every bus heartbeat: the refresh and the reaping.
    void tick();

private:
    struct Change
    {
        bool added = false;
        bool quiet = false; //!< a sync's, whose webhook went out while the link was down
        QByteArray subject;
        qint64 processes = 0;
        QString channel;
        protocol::PresenceMember member;
    };
    static std::optional<Change> parseChange(const QByteArray &rest);
    //! A change of another process's: the mirror, and the frames for what became (in)visible.
    void applyRemote(const Change &change, bool announce);
    //! EVAL `script` with the shared arguments (prefix, bus channel, this process) and `args`.
    bool eval(const QByteArray &script, const QList<QByteArray> &args,
              std::function<void(const RedisReply &)> done = {});
    void loaded(const RedisReply &reply);
    //! linked() on the next pass, once however often asked (this process was reaped).
    void scheduleResync();

    ClusterBus &m_bus;
    Gateway &m_gateway;
    ClusterPresenceStore &m_store;
    std::function<QByteArray()> m_describe;
    bool m_registered = false;
    bool m_loading = false;
    bool m_resyncPending = false;
    QList<std::pair<QByteArray, QByteArray>> m_held; // M messages (sender, rest) while loading
};

} // namespace flippdeal::server
