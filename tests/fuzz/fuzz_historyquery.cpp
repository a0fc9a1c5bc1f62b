// SPDX-License-Identifier: MIT
// The parameters of GET /api/channels/{name}/events?after=SEQ&limit=N
// (server/events/historyquery.h). Input: the channel name, `after` and `limit`, one a line.
#include "fuzzinput.h"

#include "events/historyquery.h"

using namespace flippdeal::server;
using flippdeal::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QList<QByteArray> fields = flippdeal::fuzz::splitFields(data, size, 3);
    const QString name = QString::fromUtf8(fields[0]);
    const QString after = QString::fromUtf8(fields[1]);
    const QString limit = QString::fromUtf8(fields[2]);
    const auto query = parseHistoryQuery(name, after, limit);
    if (!query) {
        const ApiError &error = query.error();
        check(error.status == 422 && !error.message.isEmpty() && error.errors.size() == 1,
              "a 422 naming one field");
        return 0;
    }
    check(query->channel.name == name && query->channel.isSequenced(), "a sequenced channel");
    check(query->after >= 0 && query->after <= Q_INT64_C(9000000000000000), "after in range");
    check(query->limit >= 1 && query->limit <= 1000, "limit in range");
    check(after.isEmpty() || query->after == after.toLongLong(), "after as given");
    check(limit.isEmpty() ? query->limit == 100 : query->limit == limit.toInt(), "limit as given");
    return 0;
}
