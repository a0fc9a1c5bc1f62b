// SPDX-License-Identifier: MIT
#include "events/historyroutes.h"

#include "auth/channelauthorizer.h"
#include "events/eventstore.h"
#include "events/historyquery.h"

#include "protocol/timeformat.h"

#include <QJsonArray>

namespace flippdeal::server {

namespace {

HttpResponse channelHistory(const HttpRequest &request, EventStore &events,
                            ChannelAuthorizer &channels)
{
    const auto query = parseHistoryQuery(request.params.value(QStringLiteral("name")),
                                         request.queryValue(QStringLiteral("after")),
                                         request.queryValue(QStringLiteral("limit")));
    if (!query)
        return HttpResponse::error(query.error());
    const protocol::ChannelName &channel = query->channel;
    const auto access = channels.access(*request.user, channel, protocol::nowMs());
    if (access == ChannelAuthorizer::Access::NotFound)
        return HttpResponse::error(ApiError::notFound(QStringLiteral("Domain not found.")));
    if (access != ChannelAuthorizer::Access::Allowed)
        return HttpResponse::error(ApiError::forbidden());
    const auto list = events.history(channel.name, query->after, query->limit);
    if (!list)
        return HttpResponse::error(list.error());
    const auto last = events.lastSeq(channel.name);
    if (!last)
        return HttpResponse::error(last.error());
    QJsonArray data;
    for (const StoredEvent &event : *list)
        data.append(event.toHistoryJson());
    // When pruning removed events right after `after`, say so: the client must reload.
    const bool truncated = !list->isEmpty() && list->first().seq > query->after + 1;
    return HttpResponse::json(200, {{QLatin1String("data"), data},
                                    {QLatin1String("truncated"), truncated},
                                    {QLatin1String("last_seq"), *last}});
}

} // namespace

QList<Route> historyRoutes(EventStore &events, ChannelAuthorizer &channels)
{
    return {
        {"GET", QStringLiteral("/api/channels/{name}/events"), Router::Access::User,
         bindRoute(channelHistory, events, channels)},
    };
}

} // namespace flippdeal::server
