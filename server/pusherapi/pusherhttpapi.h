// SPDX-License-Identifier: MIT
#pragma once

#include "http/router.h"

namespace flippdeal::server {

class EventStore;
class Gateway;
struct Config;

//! The signed Pusher HTTP API for backends, scripts and the `pusher` server SDKs:
//! POST /apps/{appId}/events and /batch_events, GET /apps/{appId}/channels, /channels/{name}
//! and /channels/{name}/users, and POST /apps/{appId}/users/{userId}/terminate_connections.
QList<Route> pusherApiRoutes(const Config &config, EventStore &events, Gateway &gateway);

} // namespace flippdeal::server
