// SPDX-License-Identifier: MIT
#include "jobs/jobqueue.h"

#include "core/logging.h"
#include "events/eventstore.h"
#include "storage/database.h"

#include "protocol/frame.h"
#include "protocol/timeformat.h"

#include <QJsonDocument>

namespace flippdeal::server {

namespace {
constexpr qint64 MaxBackoffMs =
    3600 * 1000; // retries of long-lived jobs (webhooks) wait at most 1 h
} // namespace

QJsonObject FailedJob::toJson() const
{
    return {{QLatin1String("id"), id},
            {QLatin1String("job_id"), jobId},
            {QLatin1String("type"), type},
            {QLatin1String("payload"), payload},
            {QLatin1String("attempts"), attempts},
            {QLatin1String("error"), error},
            {QLatin1String("failed_at"), protocol::isoUtc(failedAt)}};
}

JobQueue::JobQueue(Database &db, qint64 backoffMs, qint64 timeoutMs)
    : m_db(db)
    , m_backoffMs(backoffMs)
    , m_timeoutMs(timeoutMs)
{}

qint64 JobQueue::enqueue(Database &db, const QString &type, const QJsonObject &payload,
                         qint64 availableAtMs, int maxAttempts)
{
    return SqlQuery(db, QStringLiteral("INSERT INTO jobs (type, payload, max_attempts, "
                                       "available_at, created_at) VALUES (?, ?, ?, ?, ?) "
                                       "RETURNING id"))
        .bind(type)
        .bind(QString::fromUtf8(protocol::toJson(payload)))
        .bind(maxAttempts)
        .bind(availableAtMs)
        .bind(protocol::nowMs())
        .scalar();
}

Expected<std::optional<Job>> JobQueue::claimIn(Database &db, const QString &workerId,
                                               qint64 nowMs) const
{
    // The re-check in the outer WHERE makes the claim safe when two workers pick the same row:
    // the second UPDATE finds it reserved and changes nothing.
    const QString reservable =
        QStringLiteral("available_at <= ? AND (reserved_at IS NULL OR reserved_at < ?)");
    SqlQuery query(
        db, QStringLiteral("UPDATE jobs SET reserved_at = ?, reserved_by = ?, attempts = attempts "
                           "+ 1 WHERE id = (SELECT id FROM jobs WHERE %1 ORDER BY id LIMIT 1) AND "
                           "%1 RETURNING id, type, payload, attempts, max_attempts")
                .arg(reservable));
    const qint64 staleBefore = nowMs - m_timeoutMs;
    query.bind(nowMs)
        .bind(workerId)
        .bind(nowMs)
        .bind(staleBefore)
        .bind(nowMs)
        .bind(staleBefore)
        .exec();
    if (!query.next())
        return std::optional<Job>();
    return std::optional<Job>(
        Job{query.int64("id"_L1), query.text("type"_L1),
            QJsonDocument::fromJson(query.text("payload"_L1).toUtf8()).object(),
            int(query.int64("attempts"_L1)), int(query.int64("max_attempts"_L1))});
}

Expected<Done> JobQueue::completeIn(Database &db, const Job &job)
{
    SqlQuery(db, QStringLiteral("DELETE FROM jobs WHERE id = ?")).bind(job.id).exec();
    return Done{};
}

Expected<Done> JobQueue::failIn(Database &db, const Job &job, const QString &error,
                                qint64 nowMs) const
{
    if (job.attempts >= job.maxAttempts) {
        SqlQuery(db,
                 QStringLiteral("INSERT INTO failed_jobs (job_id, type, payload, attempts, error, "
                                "failed_at) VALUES (?, ?, ?, ?, ?, ?)"))
            .bind(job.id)
            .bind(job.type)
            .bind(QString::fromUtf8(protocol::toJson(job.payload)))
            .bind(job.attempts)
            .bind(error)
            .bind(nowMs)
            .exec();
        SqlQuery(db, QStringLiteral("DELETE FROM jobs WHERE id = ?")).bind(job.id).exec();
        qCWarning(lcApp).noquote() << "job" << job.id << job.type << "failed for good:" << error;
        return Done{};
    }
    // 1x, 5x, 25x the base delay.
    qint64 delay = m_backoffMs;
    for (int i = 1; i < job.attempts && delay < MaxBackoffMs; ++i)
        delay *= 5;
    delay = std::min(delay, MaxBackoffMs);
    SqlQuery(db, QStringLiteral(
                     "UPDATE jobs SET reserved_at = NULL, reserved_by = NULL, available_at = ?, "
                     "last_error = ? WHERE id = ?"))
        .bind(nowMs + delay)
        .bind(error)
        .bind(job.id)
        .exec();
    return Done{};
}

std::optional<Job> JobQueue::claim(const QString &workerId, qint64 nowMs)
{
    const auto job = m_db.transaction([&] { return claimIn(m_db, workerId, nowMs); });
    return job ? *job : std::nullopt;
}

void JobQueue::complete(const Job &job)
{
    m_db.transaction([&] { return completeIn(m_db, job); });
}

void JobQueue::fail(const Job &job, const QString &error, qint64 nowMs)
{
    m_db.transaction([&] { return failIn(m_db, job, error, nowMs); });
}

bool JobQueue::hasReady(qint64 nowMs)
{
    const auto ready = m_db.attempt([&]() -> Expected<bool> {
        return SqlQuery(m_db, QStringLiteral("SELECT COUNT(*) FROM (SELECT 1 FROM jobs WHERE "
                                             "available_at <= ? AND (reserved_at IS NULL OR "
                                             "reserved_at < ?) LIMIT 1) AS ready"))
                   .bind(nowMs)
                   .bind(nowMs - m_timeoutMs)
                   .scalar() > 0;
    });
    return !ready || *ready; // after a failed read, the claim finds out
}

QFuture<Expected<std::optional<Job>>> JobQueue::claimLater(const QString &workerId, qint64 nowMs)
{
    return m_events->transactionLater([this, workerId, nowMs](EventBatch &batch) {
        return claimIn(batch.db(), workerId, nowMs);
    });
}

void JobQueue::completeLater(const Job &job)
{
    m_events->transactionLater([job](EventBatch &batch) { return completeIn(batch.db(), job); });
}

void JobQueue::failLater(const Job &job, const QString &error, qint64 nowMs)
{
    m_events->transactionLater([this, job, error, nowMs](EventBatch &batch) {
        return failIn(batch.db(), job, error, nowMs);
    });
}

QList<FailedJob> JobQueue::failedJobs(int limit)
{
    const auto failed = m_db.attempt([&]() -> Expected<QList<FailedJob>> {
        SqlQuery query(m_db, QStringLiteral("SELECT id, job_id, type, payload, attempts, error, "
                                            "failed_at FROM failed_jobs ORDER BY id DESC LIMIT ?"));
        query.bind(limit).exec();
        QList<FailedJob> result;
        while (query.next())
            result.append(
                FailedJob{query.int64("id"_L1), query.int64("job_id"_L1), query.text("type"_L1),
                          QJsonDocument::fromJson(query.text("payload"_L1).toUtf8()).object(),
                          int(query.int64("attempts"_L1)), query.text("error"_L1),
                          query.int64("failed_at"_L1)});
        return result;
    });
    return failed ? *failed : QList<FailedJob>();
}

QFuture<Expected<int>> JobQueue::retry(qint64 failedJobId)
{
    return writeLater(m_events, m_db, [failedJobId](Database &db) -> Expected<int> {
        const QString where = failedJobId > 0 ? QStringLiteral(" WHERE id = ?") : QString();
        SqlQuery insert(
            db, QStringLiteral(
                    "INSERT INTO jobs (type, payload, max_attempts, available_at, created_at) "
                    "SELECT type, payload, ?, ?, ? FROM failed_jobs") +
                    where);
        insert.bind(DefaultMaxAttempts).bind(protocol::nowMs()).bind(protocol::nowMs());
        if (failedJobId > 0)
            insert.bind(failedJobId);
        insert.exec();
        const int moved = insert.numRowsAffected();
        if (failedJobId > 0 && moved == 0)
            return ApiError::notFound(QStringLiteral("No failed job with id %1.").arg(failedJobId));
        SqlQuery remove(db, QStringLiteral("DELETE FROM failed_jobs") + where);
        if (failedJobId > 0)
            remove.bind(failedJobId);
        remove.exec();
        return moved;
    });
}

QJsonObject JobQueue::pendingJobJson(const SqlQuery &row, qint64 nowMs) const
{
    const auto reservedAt = row.optionalInt64("reserved_at"_L1);
    const bool running = reservedAt && *reservedAt >= nowMs - m_timeoutMs;
    const qint64 availableAt = row.int64("available_at"_L1);
    const JobState state = running                ? JobState::Running
                           : availableAt <= nowMs ? JobState::Ready
                                                  : JobState::Delayed;
    const QString lastError = row.text("last_error"_L1);
    return {{"id"_L1, row.int64("id"_L1)},
            {"type"_L1, row.text("type"_L1)},
            {"payload"_L1, QJsonDocument::fromJson(row.text("payload"_L1).toUtf8()).object()},
            {"attempts"_L1, row.int64("attempts"_L1)},
            {"max_attempts"_L1, row.int64("max_attempts"_L1)},
            {"state"_L1, toString(state)},
            {"available_at"_L1, protocol::isoUtc(availableAt)},
            {"reserved_by"_L1, running ? QJsonValue(row.text("reserved_by"_L1)) : QJsonValue()},
            {"last_error"_L1, lastError.isEmpty() ? QJsonValue() : QJsonValue(lastError)},
            {"created_at"_L1, protocol::isoUtc(row.int64("created_at"_L1))}};
}

Expected<QJsonArray> JobQueue::pendingJobs(qint64 nowMs, int limit)
{
    return m_db.attempt([&]() -> Expected<QJsonArray> {
        SqlQuery query(m_db, QStringLiteral("SELECT id, type, payload, attempts, max_attempts, "
                                            "available_at, reserved_at, reserved_by, last_error, "
                                            "created_at FROM jobs ORDER BY id LIMIT ?"));
        query.bind(limit).exec();
        QJsonArray result;
        while (query.next())
            result.append(pendingJobJson(query, nowMs));
        return result;
    });
}

QFuture<Expected<bool>> JobQueue::deleteFailed(qint64 failedJobId)
{
    return writeLater(m_events, m_db, [failedJobId](Database &db) -> Expected<bool> {
        SqlQuery remove(db, QStringLiteral("DELETE FROM failed_jobs WHERE id = ?"));
        remove.bind(failedJobId).exec();
        if (remove.numRowsAffected() == 0)
            return ApiError::notFound(QStringLiteral("No failed job with id %1.").arg(failedJobId));
        return true;
    });
}

QFuture<Expected<bool>> JobQueue::deletePending(qint64 jobId, qint64 nowMs)
{
    const qint64 staleBefore = nowMs - m_timeoutMs;
    return writeLater(m_events, m_db, [jobId, staleBefore](Database &db) -> Expected<bool> {
        SqlQuery remove(db, QStringLiteral("DELETE FROM jobs WHERE id = ? AND "
                                           "(reserved_at IS NULL OR reserved_at < ?)"));
        remove.bind(jobId).bind(staleBefore).exec();
        if (remove.numRowsAffected() > 0)
            return true;
        const bool exists = SqlQuery(db, QStringLiteral("SELECT COUNT(*) FROM jobs WHERE id = ?"))
                                .bind(jobId)
                                .scalar() > 0;
        if (exists)
            return ApiError::conflict(
                QStringLiteral("Job %1 is running; try again when it is done.").arg(jobId));
        return ApiError::notFound(QStringLiteral("No job with id %1.").arg(jobId));
    });
}

QueueStats JobQueue::stats(qint64 nowMs)
{
    const auto stats = m_db.attempt([&]() -> Expected<QueueStats> {
        const qint64 staleBefore = nowMs - m_timeoutMs;
        SqlQuery query(
            m_db, QStringLiteral(
                      "SELECT SUM(CASE WHEN reserved_at IS NOT NULL AND reserved_at >= ? THEN 1 "
                      "ELSE 0 END) AS reserved, SUM(CASE WHEN (reserved_at IS NULL OR "
                      "reserved_at < ?) AND available_at <= ? THEN 1 ELSE 0 END) AS ready, "
                      "SUM(CASE WHEN (reserved_at IS NULL OR reserved_at < ?) AND "
                      "available_at > ? THEN 1 ELSE 0 END) AS delayed FROM jobs"));
        query.bind(staleBefore).bind(staleBefore).bind(nowMs).bind(staleBefore).bind(nowMs).exec();
        QueueStats result;
        if (query.next()) {
            result.reserved = query.int64("reserved"_L1);
            result.ready = query.int64("ready"_L1);
            result.delayed = query.int64("delayed"_L1);
        }
        result.failed = SqlQuery(m_db, QStringLiteral("SELECT COUNT(*) FROM failed_jobs")).scalar();
        return result;
    });
    return stats ? *stats : QueueStats();
}

JobWorker::JobWorker(JobQueue &queue, QString workerId, int pollIntervalMs, QObject *parent)
    : QObject(parent)
    , m_queue(queue)
    , m_workerId(std::move(workerId))
{
    m_timer.setInterval(pollIntervalMs);
    connect(&m_timer, &QTimer::timeout, this, &JobWorker::poll);
}

void JobWorker::addHandler(const QString &type, Handler handler)
{
    m_handlers.insert(type, std::move(handler));
}

void JobWorker::addAsyncHandler(const QString &type, AsyncHandler handler)
{
    m_asyncHandlers.insert(type, std::move(handler));
}

void JobWorker::addFutureHandler(const QString &type, FutureHandler handler)
{
    addAsyncHandler(type, [handler = std::move(handler)](const Job &job, const Done &done) {
        handler(job).then([done](const std::optional<QString> &error) { done(error); });
    });
}

void JobWorker::finish(const Job &job, const std::optional<QString> &error)
{
    if (error)
        qCInfo(lcApp).noquote() << "job" << job.id << job.type << "attempt" << job.attempts
                                << "failed:" << *error;
    // On the writer, after the claim and in its order; a bookkeeping write lost to a full
    // writer leaves the job reserved until the queue's timeout, then it runs again.
    if (m_queue.writesLater())
        error ? m_queue.failLater(job, *error, protocol::nowMs()) : m_queue.completeLater(job);
    else
        error ? m_queue.fail(job, *error, protocol::nowMs()) : m_queue.complete(job);
    Q_EMIT jobFinished(job.type, !error);
}

bool JobWorker::dispatch(const Job &job, const std::function<void()> &next)
{
    const auto async = m_asyncHandlers.constFind(job.type);
    if (async != m_asyncHandlers.cend()) {
        m_busy = true;
        (*async)(job, [this, job, next](const std::optional<QString> &error) {
            finish(job, error);
            m_busy = false;
            if (!m_stopped)
                QTimer::singleShot(0, this, next);
        });
        return true;
    }
    const auto handler = m_handlers.constFind(job.type);
    finish(job,
           handler == m_handlers.cend()
               ? std::optional<QString>(QStringLiteral("no handler for job type %1").arg(job.type))
               : (*handler)(job));
    return false;
}

void JobWorker::poll()
{
    if (m_stopped)
        return;
    if (!m_queue.writesLater()) {
        runAvailable();
        return;
    }
    // The claim is a write: the writer makes it, and only when a read says a job is ready (an
    // idle poll costs one read, not a commit).
    if (m_busy || !m_queue.hasReady(protocol::nowMs()))
        return;
    m_busy = true;
    m_queue.claimLater(m_workerId, protocol::nowMs())
        .then([this](const Expected<std::optional<Job>> &claimed) {
            m_busy = false;
            if (!claimed || !*claimed)
                return;
            // An asynchronous handler polls again once it is done; after a synchronous one,
            // the next ready job is claimed on the next turn.
            if (!dispatch(**claimed, [this] { poll(); }) && !m_stopped)
                QTimer::singleShot(0, this, [this] { poll(); });
        });
}

int JobWorker::runAvailable(int limit)
{
    int ran = 0;
    while (ran < limit && !m_busy) {
        const auto job = m_queue.claim(m_workerId, protocol::nowMs());
        if (!job)
            break;
        ++ran;
        if (dispatch(*job, [this] { runAvailable(); }))
            break; // it runs the next once this one is done
    }
    return ran;
}

} // namespace flippdeal::server
