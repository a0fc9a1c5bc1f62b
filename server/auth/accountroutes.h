// SPDX-License-Identifier: MIT
#pragma once

#include "http/router.h"

namespace flippdeal::server {

class AccountService;
class ChannelAuthorizer;

//! POST /api/register, /api/login, /api/logout, GET /api/me, POST /broadcasting/auth and
//! POST /broadcasting/user-auth.
QList<Route> accountRoutes(AccountService &accounts, ChannelAuthorizer &channels);

} // namespace flippdeal::server
