// SPDX-License-Identifier: MIT
#include "storage/readpool.h"

#include "core/logging.h"

namespace flippdeal::server {

ReadPool::ReadPool(QString databaseUrl, int threads, int capacity)
    : m_url(std::move(databaseUrl))
    , m_places(capacity)
{
    m_pool.setMaxThreadCount(std::max(threads, 1));
    // A thread keeps its connection for the life of the pool: no reconnect after a quiet spell.
    m_pool.setExpiryTimeout(-1);
}

ReadPool::~ReadPool()
{
    // Reads under way finish (their futures with them); the threads then close their
    // connections as they end.
    m_pool.waitForDone();
}

void ReadPool::start(std::function<void()> job)
{
    m_pool.start(std::move(job));
}

ApiError ReadPool::busy()
{
    return ApiError{
        503, QStringLiteral("The server is busy with other reads. Try again in a moment."), {}, 1};
}

Database *ReadPool::connection()
{
    if (m_connections.hasLocalData())
        return m_connections.localData();
    auto db = std::make_unique<Database>();
    if (!db->open(m_url) || !db->makeReadOnly()) {
        // Not kept: the next read on this thread tries again.
        qCWarning(lcDb) << "a read connection cannot open:" << db->errorString();
        return nullptr;
    }
    m_connections.setLocalData(db.release());
    return m_connections.localData();
}

} // namespace flippdeal::server
