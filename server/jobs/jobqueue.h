// SPDX-License-Identifier: MIT
#pragma once

#include "core/enumnames.h"
#include "core/result.h"

#include <QFuture>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QString>
#include <QTimer>

#include <functional>
#include <optional>

namespace flippdeal::server {

class Database;
class EventStore;
class SqlQuery;

//! \brief A job taken from the queue by a worker.
struct Job
{
    qint64 id = 0;
    QString type;
    QJsonObject payload;
    int attempts = 0; //!< including the current one
    int maxAttempts = 3;
};

//! \brief A job that used up its attempts.
struct FailedJob
{
    qint64 id = 0;
    qint64 jobId = 0;
    QString type;
    QJsonObject payload;
    int attempts = 0;
    QString error;
    qint64 failedAt = 0;

    QJsonObject toJson() const;
};

//! Where a pending job stands: reserved by a live worker, due, or waiting for its time.
enum class JobState
{
    Running,
    Ready,
    Delayed
};

constexpr auto names(JobState)
{
    using enum JobState;
    return std::array{EnumName{Running, "running"_L1}, EnumName{Ready, "ready"_L1},
                      EnumName{Delayed, "delayed"_L1}};
}

//! \brief Queue counts for `queue:monitor` and /metrics.
struct QueueStats
{
    qint64 ready = 0;    //!< available now
    qint64 delayed = 0;  //!< waiting for their backoff
    qint64 reserved = 0; //!< being worked on
    qint64 failed = 0;
};

//! \brief The durable job queue, in the database: jobs survive restarts, a job a worker took
//! and never finished (the worker was killed) becomes available again after `timeoutMs`, and a
//! job that fails `maxAttempts` times moves to `failed_jobs`. Several workers, in one process or
//! many, can share it: claiming is one conditional UPDATE.
class JobQueue
{
public:
    JobQueue(Database &db, qint64 backoffMs, qint64 timeoutMs);

    static constexpr int DefaultMaxAttempts = 3;

    //! Inside a caller's transaction (throws DbError): adds a job; returns its id.
    static qint64 enqueue(Database &db, const QString &type, const QJsonObject &payload,
                          qint64 availableAtMs, int maxAttempts = DefaultMaxAttempts);

    //! \name A worker's bookkeeping, on this thread's connection (the CLI, tests).
    //! @{
    std::optional<Job> claim(const QString &workerId, qint64 nowMs);
    void complete(const Job &job);
    //! Schedules a retry with exponential backoff, or moves the job to failed_jobs.
    void fail(const Job &job, const QString &error, qint64 nowMs);
    //! @}

    //! Hands the worker's claims, completions and failures to `events`' writer thread (the
    //! serve process): the *Later() calls below. Not owned.
    void setEventStore(EventStore *events) { m_events = events; }
    bool writesLater() const { return m_events != nullptr; }
    //! Whether a job is ready now (a read, so that an idle poll writes nothing).
    bool hasReady(qint64 nowMs);
    //! \name The same bookkeeping on the writer thread (setEventStore() first).
    //! @{
    QFuture<Expected<std::optional<Job>>> claimLater(const QString &workerId, qint64 nowMs);
    void completeLater(const Job &job);
    void failLater(const Job &job, const QString &error, qint64 nowMs);
    //! @}

    QList<FailedJob> failedJobs(int limit = 100);
    //! \name An operator's changes, on the writer thread when there is one (setEventStore()),
    //! else in place: the futures are then ready at once.
    //! @{
    //! Moves one failed job (or all, with id 0) back to the queue. Returns how many.
    QFuture<Expected<int>> retry(qint64 failedJobId);
    //! Deletes a failed job for good.
    QFuture<Expected<bool>> deleteFailed(qint64 failedJobId);
    //! Deletes a job that is waiting (not one a worker is running: 409).
    QFuture<Expected<bool>> deletePending(qint64 jobId, qint64 nowMs);
    //! @}
    QueueStats stats(qint64 nowMs);
    //! Jobs not yet done (ready, delayed or running), oldest first, as operators see them:
    //! `{id, type, payload, attempts, max_attempts, state, available_at, reserved_by,
    //! last_error, created_at}` with `state` one of `ready`, `delayed`, `running`.
    Expected<QJsonArray> pendingJobs(qint64 nowMs, int limit);

private:
    //! A row of `jobs` as pendingJobs() lists it.
    QJsonObject pendingJobJson(const SqlQuery &row, qint64 nowMs) const;
    //! \name Inside a transaction on `db` (any thread).
    //! @{
    Expected<std::optional<Job>> claimIn(Database &db, const QString &workerId, qint64 nowMs) const;
    static Expected<Done> completeIn(Database &db, const Job &job);
    Expected<Done> failIn(Database &db, const Job &job, const QString &error, qint64 nowMs) const;
    //! @}

    Database &m_db;
    EventStore *m_events = nullptr;
    qint64 m_backoffMs;
    qint64 m_timeoutMs;
};

//! \brief Runs jobs from the queue: polls, claims one at a time, dispatches by type.
class JobWorker : public QObject
{
    Q_OBJECT

public:
    //! A handler returns an error message to fail the attempt, or nothing on success.
    using Handler = std::function<std::optional<QString>(const Job &)>;

    JobWorker(JobQueue &queue, QString workerId, int pollIntervalMs, QObject *parent = nullptr);

    void addHandler(const QString &type, Handler handler);
    //! A handler that finishes later (network I/O): it calls `done` with an error message, or
    //! nothing on success. The worker takes no other job until then.
    using Done = std::function<void(const std::optional<QString> &error)>;
    using AsyncHandler = std::function<void(const Job &, Done done)>;
    void addAsyncHandler(const QString &type, AsyncHandler handler);
    //! An asynchronous handler that answers with a future, finished on this thread.
    using FutureHandler = std::function<QFuture<std::optional<QString>>(const Job &)>;
    void addFutureHandler(const QString &type, FutureHandler handler);
    //! Whether an asynchronous job is running.
    bool isBusy() const { return m_busy; }
    void start()
    {
        m_stopped = false;
        m_timer.start();
    }
    //! No job is claimed from now on; one that runs finishes.
    void stop()
    {
        m_stopped = true;
        m_timer.stop();
    }
    //! Works until no job is ready (at most `limit`), claiming on this thread's connection (the
    //! CLI, tests). Returns how many it ran.
    int runAvailable(int limit = 100);

Q_SIGNALS:
    void jobFinished(const QString &type, bool succeeded);

private:
    JobQueue &m_queue;
    QString m_workerId;
    void finish(const Job &job, const std::optional<QString> &error);
    //! Runs `job`'s handler; an asynchronous one (true) calls `next` once it is done.
    bool dispatch(const Job &job, const std::function<void()> &next);
    //! The timer's turn: claims one ready job on the writer (runAvailable() without one).
    void poll();

    QHash<QString, Handler> m_handlers;
    QHash<QString, AsyncHandler> m_asyncHandlers;
    QTimer m_timer;
    bool m_busy = false;
    bool m_stopped = false;
};

} // namespace flippdeal::server
