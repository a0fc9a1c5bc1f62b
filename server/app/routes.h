// SPDX-License-Identifier: MIT
#pragma once

//! \file One registration function per feature; each lives in its feature's folder.

namespace flippdeal::server {

class AdminService;

class AccountService;
class AuctionService;
class EscrowService;
class OfferService;
class ChannelAuthorizer;
class DomainService;
class EventStore;
class MessageService;
class NotificationService;
class Router;
struct Config;
class Gateway;
class Metrics;
class Database;

void registerPusherApiRoutes(Router &router, const Config &config, EventStore &events,
                             Gateway &gateway);
void registerAdminRoutes(Router &router, AdminService &admin);

} // namespace flippdeal::server
