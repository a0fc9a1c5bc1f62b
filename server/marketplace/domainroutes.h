// SPDX-License-Identifier: MIT
#pragma once

#include "http/router.h"

namespace flippdeal::server {

class DomainService;

//! POST /api/domains, GET /api/domains/{id}, GET /api/auctions (the live auctions, for the
//! desktop client's list), and POST and DELETE /api/domains/{id}/watch.
QList<Route> domainRoutes(DomainService &domains);

} // namespace flippdeal::server
