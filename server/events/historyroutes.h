// SPDX-License-Identifier: MIT
#pragma once

#include "http/router.h"

namespace flippdeal::server {

class ChannelAuthorizer;
class EventStore;

//! GET /api/channels/{name}/events?after=SEQ&limit=N: what a reconnecting client missed.
QList<Route> historyRoutes(EventStore &events, ChannelAuthorizer &channels);

} // namespace flippdeal::server
