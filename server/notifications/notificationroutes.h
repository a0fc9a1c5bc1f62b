// SPDX-License-Identifier: MIT
#pragma once

#include "http/router.h"

namespace flippdeal::server {

class NotificationService;

//! GET /api/notifications, GET /api/notifications/unread-count,
//! PATCH /api/notifications/{id}/read and POST /api/notifications/read-all (the bell's
//! "mark all read").
QList<Route> notificationRoutes(NotificationService &notifications);

} // namespace flippdeal::server
