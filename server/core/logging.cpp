// SPDX-License-Identifier: MIT
#include "core/logging.h"

Q_LOGGING_CATEGORY(lcApp, "flippdeal.server.app", QtInfoMsg)
Q_LOGGING_CATEGORY(lcHttp, "flippdeal.server.http", QtInfoMsg)
Q_LOGGING_CATEGORY(lcGateway, "flippdeal.server.gateway", QtInfoMsg)
Q_LOGGING_CATEGORY(lcDb, "flippdeal.server.db", QtInfoMsg)
Q_LOGGING_CATEGORY(lcAuth, "flippdeal.server.auth", QtInfoMsg)
Q_LOGGING_CATEGORY(lcMessaging, "flippdeal.server.messaging", QtInfoMsg)
Q_LOGGING_CATEGORY(lcNotifications, "flippdeal.server.notifications", QtInfoMsg)
Q_LOGGING_CATEGORY(lcEvents, "flippdeal.server.events", QtInfoMsg)
Q_LOGGING_CATEGORY(lcMarketplace, "flippdeal.server.marketplace", QtInfoMsg)

namespace flippdeal::server {

void applyLogLevel(const QString &level)
{
    QString rules;
    if (level == QLatin1String("debug"))
        rules = QStringLiteral("flippdeal.*.debug=true");
    else if (level == QLatin1String("warning"))
        rules = QStringLiteral("flippdeal.*.debug=false\nflippdeal.*.info=false");
    else
        rules = QStringLiteral("flippdeal.*.debug=false\nflippdeal.*.info=true");
    QLoggingCategory::setFilterRules(rules);
}

} // namespace flippdeal::server
