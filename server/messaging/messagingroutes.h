// SPDX-License-Identifier: MIT
#pragma once

#include "http/router.h"

namespace flippdeal::server {

class MessageService;
class ReadPool;

//! The messaging REST API of the contract, plus GET /api/messages/conversations (the inbox).
//! The inbox and the conversation pages are read and encoded on the read pool.
QList<Route> messagingRoutes(MessageService &messages, ReadPool &reads);

} // namespace flippdeal::server
