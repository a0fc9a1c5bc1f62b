// SPDX-License-Identifier: MIT
#include "events/historyquery.h"

#include "http/jsonfields.h"

namespace flippdeal::server {

Expected<HistoryQuery> parseHistoryQuery(const QString &channelName, const QString &after,
                                         const QString &limit)
{
    QString reason;
    const auto channel = protocol::parseChannelName(channelName, &reason);
    if (!channel)
        return ApiError::validation(QStringLiteral("channel"), reason);
    if (!channel->isSequenced())
        return ApiError::validation(
            QStringLiteral("channel"),
            QStringLiteral("Only private and presence channels keep history."));
    const auto afterValue = fields::queryInt(after, 0, 0, Q_INT64_C(9000000000000000));
    const auto limitValue = fields::queryInt(limit, 100, 1, 1000);
    if (!afterValue)
        return ApiError::validation(
            QStringLiteral("after"),
            QStringLiteral("The after field must be a sequence number (0 or more)."));
    if (!limitValue)
        return ApiError::validation(QStringLiteral("limit"),
                                    QStringLiteral("The limit must be from 1 to 1000."));
    return HistoryQuery{*channel, *afterValue, static_cast<int>(*limitValue)};
}

} // namespace flippdeal::server
