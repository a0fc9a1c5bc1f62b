// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QString>

namespace flippdeal::server {

//! \brief One event to deliver to the subscribers of a channel.
struct BroadcastEvent
{
    QString channel;
    QString event;
    QByteArray data;        //!< JSON text; sent as the frame's `data` string
    qint64 seq = 0;         //!< per-channel sequence number, 0 for unsequenced channels
    QString exceptSocketId; //!< the sender, when it must not get its own event
};

//! \brief Fan-out of events to subscribed connections. The single-node implementation is the
//! Gateway itself; a multi-node one publishes to Redis and delivers what it receives to the
//! local Gateway, so callers never know how many nodes there are.
class Broadcaster
{
public:
    virtual ~Broadcaster() = default;
    virtual void broadcast(const BroadcastEvent &event) = 0;
};

} // namespace flippdeal::server
