// SPDX-License-Identifier: MIT
#include "events/historyroutes.h"

#include "auth/channelauthorizer.h"
#include "events/eventstore.h"
#include "events/historyquery.h"
#include "http/requesthelpers.h"
#include "storage/readpool.h"

#include "protocol/timeformat.h"

#include <QJsonArray>

namespace flippdeal::server {

namespace {

//! The page of `query`'s channel, in one snapshot: the events and the last seq agree.
Expected<QJsonObject> readHistory(Database &db, const HistoryQuery &query)
{
    const QString &channel = query.channel.name;
    const auto list = EventStore::history(db, channel, query.after, query.limit);
    if (!list)
        return list.error();
    const auto last = EventStore::lastSeq(db, channel);
    if (!last)
        return last.error();
    QJsonArray data;
    for (const StoredEvent &event : *list)
        data.append(event.toHistoryJson());
    // When pruning removed events right after `after`, say so: the client must reload.
    const bool truncated = !list->isEmpty() && list->first().seq > query.after + 1;
    return QJsonObject{{QLatin1String("data"), data},
                       {QLatin1String("truncated"), truncated},
                       {QLatin1String("last_seq"), *last}};
}

HandlerResult channelHistory(const HttpRequest &request, ReadPool &reads,
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
    return respondLater(
        reads.run([query = *query](Database &db) { return readHistory(db, query); }));
}

} // namespace

QList<Route> historyRoutes(ReadPool &reads, ChannelAuthorizer &channels)
{
    return {
        {"GET", QStringLiteral("/api/channels/{name}/events"), Router::Access::User,
         bindRoute(channelHistory, reads, channels)},
    };
}

} // namespace flippdeal::server
