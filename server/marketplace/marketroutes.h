// SPDX-License-Identifier: MIT
#pragma once

#include "http/router.h"

namespace flippdeal::server {

class AuctionService;
class DomainService;
class OfferService;

//! Bids and offers: POST and GET /api/domains/{id}/bids, the owner's PATCH /api/domains/{id},
//! POST /api/domains/{id}/offers and PATCH /api/offers/{id}.
QList<Route> marketRoutes(DomainService &domains, AuctionService &auctions, OfferService &offers);

} // namespace flippdeal::server
