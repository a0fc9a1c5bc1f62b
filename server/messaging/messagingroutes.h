// SPDX-License-Identifier: MIT
#pragma once

#include "http/router.h"

namespace flippdeal::server {

class MessageService;

//! The messaging REST API of the contract, plus GET /api/messages/conversations (the inbox).
QList<Route> messagingRoutes(MessageService &messages);

} // namespace flippdeal::server
