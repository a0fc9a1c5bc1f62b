// SPDX-License-Identifier: MIT
#pragma once

#include <memory>

namespace flippdeal::server {

class AuctionService;
struct Config;
class Database;
class DomainService;
class EscrowService;
class EventStore;
class NotificationService;
class PaymentProvider;

//! \brief The marketplace's services over one database and event store, wired the same way
//! for the server (ServerApp) and for the commands that need them (cli::CommandContext).
//! Declared in build order, so they are destroyed in reverse.
struct MarketServices
{
    MarketServices(Database &db, EventStore &events, const Config &config);
    ~MarketServices();
    MarketServices(const MarketServices &) = delete;
    MarketServices &operator=(const MarketServices &) = delete;

    std::unique_ptr<NotificationService> notifications;
    std::unique_ptr<DomainService> domains;
    std::unique_ptr<PaymentProvider> payments;
    std::unique_ptr<EscrowService> escrows;
    std::unique_ptr<AuctionService> auctions;
};

} // namespace flippdeal::server
