// SPDX-License-Identifier: MIT
#pragma once

#include "core/result.h"

#include "protocol/channelname.h"

#include <QString>

namespace flippdeal::server {

//! \brief The validated parameters of `GET /api/channels/{name}/events?after=SEQ&limit=N`.
struct HistoryQuery
{
    protocol::ChannelName channel; //!< a sequenced (private or presence) channel
    qint64 after = 0;              //!< events with a larger seq, 0 to 9·10^15
    int limit = 100;               //!< 1 to 1000
};

//! \brief Validates the route's channel name and its `after` and `limit` query values (empty
//! when absent). Pure, so it is unit-tested and fuzzed (tests/fuzz) without a server; the 422
//! it returns names the failing field.
Expected<HistoryQuery> parseHistoryQuery(const QString &channelName, const QString &after,
                                         const QString &limit);

} // namespace flippdeal::server
