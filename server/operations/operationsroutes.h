// SPDX-License-Identifier: MIT
#pragma once

#include <functional>

#include "http/router.h"

namespace flippdeal::server {

class Database;
class Metrics;

//! GET /health.
//! `redisUp`, in cluster mode, says whether the node's links to Redis are up: /health then
//! reports `"redis": "up"` or `"down"` (still 200: the node serves its own clients).
QList<Route> healthRoutes(Database &db, std::function<bool()> redisUp = {});
//! GET /metrics: on the public router, or on its own listener (`metrics-listen`).
QList<Route> metricsRoutes(Metrics &metrics);

} // namespace flippdeal::server
