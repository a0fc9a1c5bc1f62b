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

void registerAccountRoutes(Router &router, AccountService &accounts, ChannelAuthorizer &channels);
void registerMessagingRoutes(Router &router, MessageService &messages);
void registerNotificationRoutes(Router &router, NotificationService &notifications);
void registerHistoryRoutes(Router &router, EventStore &events, ChannelAuthorizer &channels);
void registerPusherApiRoutes(Router &router, const Config &config, EventStore &events,
                             Gateway &gateway);
void registerAdminRoutes(Router &router, AdminService &admin);
//! GET /health.
void registerOperationsRoutes(Router &router, Database &db);
//! GET /metrics: on the public router, or on its own listener (`metrics-listen`).
void registerMetricsRoute(Router &router, Metrics &metrics);

} // namespace flippdeal::server
