// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QFuture>
#include <QHash>
#include <QString>

#include <optional>

#include "protocol/presence.h"

namespace flippdeal::server {

//! \brief What a Gateway hands to the other nodes of a cluster: the frames it delivers itself
//! (client events), the grants of sockets it does not have, and the closes a ban, a revocation
//! or a sign-out asks for. The Gateway does
//! everything locally first; a link (ClusterBus) carries it to the other nodes, whose Gateway
//! does the same with Scope::Node so that nothing comes back.
class ClusterLink
{
public:
    enum class Termination
    {
        User,
        Session
    };

    virtual ~ClusterLink() = default;
    //! `frameJson` is the complete Pusher frame, sent as it is to `channel`'s subscribers on
    //! the other nodes (but not to `exceptSocketId`).
    virtual void forwardFrame(const QString &channel, const QByteArray &frameJson,
                              const QString &exceptSocketId) = 0;
    //! `key`: the user id (Termination::User) or the token digest (Termination::Session).
    virtual void forwardTermination(Termination kind, const QByteArray &key, int code,
                                    const QString &reason) = 0;
    //! A grant (Gateway::recordGrant) for a socket that is not on this node: the auth request
    //! reached another node than the WebSocket.
    virtual void forwardGrant(const QString &socketId, const QString &channel,
                              const QString &userId, const QByteArray &sessionKey) = 0;
    //! `member` has its first connection on this node to presence `channel`. True when the
    //! link records it cluster-wide: the other nodes then announce it to theirs, and the
    //! webhook goes out once (Gateway::notifyMember()); false (Redis down): this node's
    //! Gateway emits the webhook itself. Either way the Gateway tells its own subscribers.
    virtual bool presenceJoined(const QString &channel, const protocol::PresenceMember &member) = 0;
    //! The user's last connection on this node left `channel`; the same for the last anywhere.
    virtual bool presenceLeft(const QString &channel, const QString &userId) = 0;
    //! This node now has `here` subscribers on `channel`. True when the link counts them
    //! cluster-wide and emits the channel's occupation and vacancy once
    //! (Gateway::announceOccupancy()); false (Redis down): the Gateway does it for its own.
    virtual bool subscribersChanged(const QString &channel, int here) = 0;
    //! Subscribers on every node of each occupied channel whose name starts with `prefix` (the
    //! one channel named `prefix` with `exact`); nullopt when Redis cannot tell.
    using Counts = std::optional<QHash<QString, int>>;
    virtual QFuture<Counts> subscriberCounts(const QString &prefix, bool exact) = 0;
    //! Records the use of a signed Pusher API request's `signature` for the cluster, until
    //! `expiresAtMs`: true when another node (or this one, earlier than `graceMs` ago) has
    //! already seen it, a replay; nullopt when Redis cannot tell.
    virtual QFuture<std::optional<bool>> seenSignature(const QByteArray &signature,
                                                       qint64 expiresAtMs, qint64 graceMs) = 0;
};

} // namespace flippdeal::server
