// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QString>

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
};

} // namespace flippdeal::server
