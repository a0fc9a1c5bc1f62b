// SPDX-License-Identifier: MIT
#include "app/marketservices.h"
#include "core/config.h"
#include "escrow/escrowservice.h"
#include "marketplace/auctionservice.h"
#include "marketplace/domainservice.h"
#include "notifications/notificationservice.h"
#include "payments/paymentprovider.h"

namespace flippdeal::server {

MarketServices::MarketServices(Database &db, EventStore &events, const Config &config)
    : notifications(std::make_unique<NotificationService>(db, events))
    , domains(std::make_unique<DomainService>(db, events))
    , payments(std::make_unique<SandboxPaymentProvider>(db, events))
    , escrows(std::make_unique<EscrowService>(db, events, *notifications, *payments,
                                              config.platformFeeBps))
    , auctions(std::make_unique<AuctionService>(db, events, *notifications, *escrows,
                                                qint64(config.antiSnipeSeconds) * 1000))
{
    domains->setMaxLiveAuctionsPerSeller(config.maxLiveAuctionsPerSeller);
}

MarketServices::~MarketServices() = default;

} // namespace flippdeal::server
