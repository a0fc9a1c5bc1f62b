// SPDX-License-Identifier: MIT
#pragma once

#include "http/router.h"

namespace flippdeal::server {

class Database;
class Metrics;

//! GET /health.
QList<Route> healthRoutes(Database &db);
//! GET /metrics: on the public router, or on its own listener (`metrics-listen`).
QList<Route> metricsRoutes(Metrics &metrics);

} // namespace flippdeal::server
