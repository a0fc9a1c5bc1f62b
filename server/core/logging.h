// SPDX-License-Identifier: MIT
#pragma once

#include <QLoggingCategory>

// One category per server module. Filter with QT_LOGGING_RULES or FLIPPDEAL_LOG_LEVEL.
// Never log tokens, passwords or password hashes through any of them.
Q_DECLARE_LOGGING_CATEGORY(lcApp)
Q_DECLARE_LOGGING_CATEGORY(lcHttp)
Q_DECLARE_LOGGING_CATEGORY(lcGateway)
Q_DECLARE_LOGGING_CATEGORY(lcDb)
Q_DECLARE_LOGGING_CATEGORY(lcAuth)
Q_DECLARE_LOGGING_CATEGORY(lcMessaging)
Q_DECLARE_LOGGING_CATEGORY(lcNotifications)
Q_DECLARE_LOGGING_CATEGORY(lcEvents)
Q_DECLARE_LOGGING_CATEGORY(lcMarketplace)

namespace flippdeal::server {

//! \brief Applies a level (`debug`, `info`, `warning`) to every flippdeal.* category.
void applyLogLevel(const QString &level);

} // namespace flippdeal::server
