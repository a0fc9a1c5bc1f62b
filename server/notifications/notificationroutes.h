// SPDX-License-Identifier: MIT
#pragma once

#include "http/router.h"

namespace flippdeal::server {

class NotificationService;
class ReadPool;

//! GET /api/notifications, GET /api/notifications/unread-count,
//! PATCH /api/notifications/{id}/read and POST /api/notifications/read-all (the bell's
//! "mark all read"). The list is read and encoded on the read pool.
QList<Route> notificationRoutes(NotificationService &notifications, ReadPool &reads);

} // namespace flippdeal::server
