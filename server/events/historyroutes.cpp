// SPDX-License-Identifier: MIT
// GET /api/channels/{name}/events?after=SEQ&limit=N: what a reconnecting client missed.
#include "app/routes.h"
#include "auth/channelauthorizer.h"
#include "events/eventstore.h"
#include "http/jsonfields.h"
#include "http/router.h"

#include "protocol/timeformat.h"

#include <QJsonArray>

namespace flippdeal::server {

void registerHistoryRoutes(Router &router, EventStore &events, ChannelAuthorizer &channels)
{
    router.add(
        "GET", QStringLiteral("/api/channels/{name}/events"), Router::Access::User,
        [&events, &channels](HttpRequest &request) -> HandlerResult {
            QString reason;
            const auto channel =
                protocol::parseChannelName(request.params.value(QStringLiteral("name")), &reason);
            if (!channel)
                return HttpResponse::error(ApiError::validation(QStringLiteral("channel"), reason));
            if (!channel->isSequenced())
                return HttpResponse::error(ApiError::validation(
                    QStringLiteral("channel"),
                    QStringLiteral("Only private and presence channels keep history.")));
            const auto after = fields::queryInt(request.queryValue(QStringLiteral("after")), 0, 0,
                                                Q_INT64_C(9000000000000000));
            const auto limit =
                fields::queryInt(request.queryValue(QStringLiteral("limit")), 100, 1, 1000);
            if (!after)
                return HttpResponse::error(ApiError::validation(
                    QStringLiteral("after"),
                    QStringLiteral("The after field must be a sequence number (0 or more).")));
            if (!limit)
                return HttpResponse::error(ApiError::validation(
                    QStringLiteral("limit"), QStringLiteral("The limit must be from 1 to 1000.")));
            const auto access = channels.access(*request.user, *channel, protocol::nowMs());
            if (access == ChannelAuthorizer::Access::NotFound)
                return HttpResponse::error(ApiError::notFound(QStringLiteral("Domain not found.")));
            if (access != ChannelAuthorizer::Access::Allowed)
                return HttpResponse::error(ApiError::forbidden());
            const auto list = events.history(channel->name, *after, static_cast<int>(*limit));
            if (!list)
                return HttpResponse::error(list.error());
            const auto last = events.lastSeq(channel->name);
            if (!last)
                return HttpResponse::error(last.error());
            QJsonArray data;
            for (const StoredEvent &event : *list)
                data.append(event.toHistoryJson());
            // When pruning removed events right after `after`, say so: the client must reload.
            const bool truncated = !list->isEmpty() && list->first().seq > *after + 1;
            return HttpResponse::json(200, {{QLatin1String("data"), data},
                                            {QLatin1String("truncated"), truncated},
                                            {QLatin1String("last_seq"), *last}});
        });
}

} // namespace flippdeal::server
