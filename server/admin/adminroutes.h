// SPDX-License-Identifier: MIT
#pragma once

#include "http/router.h"

namespace flippdeal::server {

class AdminService;

//! The admin API under /api/admin/: for users with role `admin` only (403 for everyone else).
QList<Route> adminRoutes(AdminService &admin);

} // namespace flippdeal::server
