// SPDX-License-Identifier: MIT
#pragma once

#include "http/router.h"

namespace flippdeal::server {

class ChannelAuthorizer;
class ReadPool;

//! GET /api/channels/{name}/events?after=SEQ&limit=N: what a reconnecting client missed (read
//! and encoded on the read pool).
QList<Route> historyRoutes(ReadPool &reads, ChannelAuthorizer &channels);

} // namespace flippdeal::server
