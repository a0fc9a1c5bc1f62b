// SPDX-License-Identifier: MIT
#pragma once

#include "core/boundedcount.h"
#include "core/result.h"
#include "storage/database.h"

#include <QFuture>
#include <QPromise>
#include <QString>
#include <QThreadPool>
#include <QThreadStorage>

#include <memory>
#include <type_traits>

namespace flippdeal::server {

//! \brief Reads off the event-loop thread: a few threads, each with its own read-only connection
//! to the database, that run a route's queries and build its answer while the event loop serves
//! everyone else.
//!
//! On SQLite the connections read beside the writer under WAL; each read sees every commit made
//! before it started, so an answer never lags a change its client was already told about. At
//! most `threads` reads run at once and the rest wait, up to `capacity` in all; beyond that run()
//! answers 503 at once, so a flood of expensive reads costs the flooder, not the writer or the
//! sockets. Created and called on the event-loop thread; futures finish on a pool thread, so
//! callers continue with `.then(context, ...)`.
class ReadPool
{
public:
    ReadPool(QString databaseUrl, int threads, int capacity);
    ~ReadPool();
    ReadPool(const ReadPool &) = delete;
    ReadPool &operator=(const ReadPool &) = delete;

    //! \brief Runs `work(Database &)`, which returns an Expected<T> and must only read, on a
    //! pool thread inside one read transaction (one snapshot for all its statements). A
    //! statement that fails (or writes: the connection refuses) is logged and becomes a 500; a
    //! full pool is a 503 with a Retry-After of one second.
    template <typename Work, typename Result = std::invoke_result_t<Work, Database &>>
    requires ExpectedType<Result> QFuture<Result> run(Work work)
    {
        if (!m_places.tryAcquire())
            return QtFuture::makeReadyFuture(Result(busy()));
        auto promise = std::make_shared<QPromise<Result>>();
        promise->start();
        QFuture<Result> future = promise->future();
        start([this, promise, work = std::move(work)]() mutable {
            Database *db = connection();
            Result result =
                db ? db->readTransaction([&] { return work(*db); }) : Result(ApiError::internal());
            m_places.release(); // the place is free before anyone hears the answer
            promise->addResult(std::move(result));
            promise->finish();
        });
        return future;
    }

    //! Reads running or waiting.
    int size() const { return m_places.size(); }
    int capacity() const { return m_places.capacity(); }
    //! Reads refused because the pool was full, since the start.
    quint64 refusedCount() const { return m_places.refusedCount(); }

private:
    void start(std::function<void()> job);
    static ApiError busy();
    //! This thread's connection, opened on first use; nullptr (logged) when it cannot open.
    Database *connection();

    QString m_url;
    BoundedCount m_places;
    // Before the pool: its threads close their connections as they end, in ~QThreadPool.
    QThreadStorage<Database *> m_connections;
    QThreadPool m_pool;
};

} // namespace flippdeal::server
