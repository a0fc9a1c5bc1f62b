// SPDX-License-Identifier: MIT
#pragma once

//! \file Error codes of the Pusher Channels protocol 7, as sent in `pusher:error` frames and
//! WebSocket close frames. Values follow the published protocol; never renumber them.

namespace flippdeal::protocol {

enum class ErrorCode : int
{
    // 4000-4099: the client should not reconnect.
    ApplicationOnlyAcceptsSsl = 4000,
    ApplicationDoesNotExist = 4001,
    ApplicationDisabled = 4003,
    OverConnectionQuota = 4004,
    PathNotFound = 4005,
    InvalidVersionStringFormat = 4006,
    UnsupportedProtocolVersion = 4007,
    NoProtocolVersionSupplied = 4008,
    ConnectionIsUnauthorized = 4009,
    // 4100-4199: reconnect after backing off.
    OverCapacity = 4100,
    // 4200-4299: reconnect immediately.
    GenericReconnect = 4200,
    PongReplyNotReceived = 4201,
    ClosedAfterInactivity = 4202,
    // 4300-4399: any other error; the connection stays up unless closed explicitly.
    ClientEventRejected = 4301,
    InvalidMessage = 4302,
};

} // namespace flippdeal::protocol
