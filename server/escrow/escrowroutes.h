// SPDX-License-Identifier: MIT
#pragma once

#include "http/router.h"

namespace flippdeal::server {

class EscrowService;

//! GET /api/escrows/{id} and POST /api/escrows/{id}/{action}.
QList<Route> escrowRoutes(EscrowService &escrows);

} // namespace flippdeal::server
