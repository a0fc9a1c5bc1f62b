// SPDX-License-Identifier: MIT
#pragma once

#include "core/result.h"
#include "gateway/broadcaster.h"
#include "storage/database.h"
#include "storage/writer.h"

#include <QByteArray>
#include <QFuture>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QPromise>
#include <QSet>
#include <QString>
#include <QTimer>

#include <functional>
#include <memory>
#include <optional>

namespace flippdeal::server {

//! \brief An event written to the outbox: durable, with its channel's next sequence number.
struct StoredEvent
{
    qint64 id = 0;
    QString channel;
    qint64 seq = 0;
    QString event;
    QByteArray data;
    qint64 createdAt = 0;
    QString exceptSocketId; //!< live broadcast only, never stored

    QJsonObject toHistoryJson() const;
};

//! \brief The events of one transaction. Services add the broadcasts that announce their change
//! to it; they are stored with the change and published only after the commit.
class EventBatch
{
public:
    explicit EventBatch(Database &db)
        : m_db(db)
    {}
    //! Appends `event` to `channel`'s history and the outbox (throws DbError on failure).
    void add(const QString &channel, const QString &event, const QJsonObject &data);
    //! Same, with `data` already encoded (the HTTP API passes clients' strings through as-is).
    //! `exceptSocketId` is not stored: it only applies to the live broadcast.
    void addRaw(const QString &channel, const QString &event, const QByteArray &data,
                const QString &exceptSocketId = {});
    const QList<StoredEvent> &events() const { return m_events; }
    //! The connection the batch's transaction runs on: the work writes through it.
    Database &db() { return m_db; }

private:
    Database &m_db;
    QList<StoredEvent> m_events;
};

//! \brief The transactional outbox and the per-channel event history behind gap-free delivery.
//!
//! Every state change a user is told about goes through transaction(): the change and its
//! events commit together, and only then are the events broadcast. Events that were committed
//! but not broadcast (a crash in between) are published by publishBacklog() at start-up.
class EventStore : public QObject
{
    Q_OBJECT

public:
    EventStore(Database &db, Broadcaster &broadcaster, QObject *parent = nullptr);

    //! \brief Runs `work(EventBatch &)`, which returns an Expected<T>, in a transaction and
    //! publishes the batch after the commit. An ApiError from `work` rolls back and is returned
    //! as it is; a failed statement or commit rolls back and is a 500 (Database::transaction).
    template <typename Work>
    requires ExpectedType<std::invoke_result_t<Work, EventBatch &>>
        std::invoke_result_t<Work, EventBatch &> transaction(Work &&work)
    {
        EventBatch batch(m_db);
        auto result = m_db.transaction([&] { return work(batch); });
        // The writer's batches that committed before this one are published before it.
        if (m_writer)
            m_writer->finishCommittedInOrder();
        if (result)
            publish(batch.events());
        return result;
    }

    //! \brief transaction() on the writer thread, when there is one (setWriter()): `work`
    //! writes only through `batch.db()`, in a savepoint of the writer's current batch. The
    //! future finishes on this thread after the batch's commit and this batch's broadcast, in
    //! commit order; a full writer is a 503 with a Retry-After of one second. Without a writer
    //! the work runs here and now, as transaction().
    //! With Writer::Admission::Follows the work is not refused for a full writer: it finishes
    //! work admitted before (a payment's record after the payment).
    template <typename Work, typename Result = std::invoke_result_t<Work, EventBatch &>>
    requires ExpectedType<Result> QFuture<Result>
    transactionLater(Work work, Writer::Admission admission = Writer::Admission::Bounded)
    {
        if (!m_writer)
            return QtFuture::makeReadyFuture(transaction(std::move(work)));
        auto job = std::make_unique<Job<Work, Result>>(*this, std::move(work));
        QFuture<Result> future = job->future();
        if (!m_writer->submit(std::move(job), admission))
            return QtFuture::makeReadyFuture(Result(writerBusy()));
        return future;
    }

    //! Hands transactionLater() to `writer` (nullptr: runs it in place). Not owned.
    void setWriter(Writer *writer) { m_writer = writer; }

    //! Whether committed events are broadcast (and marked published) by this process. Off for
    //! processes without a listening gateway (`queue:work`, the standalone scheduler): their
    //! events stay unmarked and the `serve` nodes publish them from the outbox.
    void setPublishing(bool on) { m_publishing = on; }
    bool isPublishing() const { return m_publishing; }

    //! Broadcasts an event that is not stored (public channels, client events).
    void publishTransient(const BroadcastEvent &event) { m_broadcaster.broadcast(event); }
    //! An event that is not stored and has no `seq` (a countdown beat) but must reach clients
    //! from any process: broadcast at once where this process publishes, else, inside the
    //! caller's transaction, handed to the serve nodes through `transient_events`.
    void addTransient(const BroadcastEvent &event);
    //! The relay half of addTransient(): writes `event` to `transient_events` on `db`, inside
    //! the caller's transaction (any thread: the writer's jobs use their batch's connection).
    static void relayTransient(Database &db, const BroadcastEvent &event);
    //! How long a relayed transient event is worth sending: the next countdown beat, at most
    //! 10 s later, supersedes it anyway.
    static constexpr qint64 TransientMaxAgeMs = 3000;
    //! Broadcasts (and removes) what other processes handed over with addTransient(); events
    //! older than TransientMaxAgeMs are dropped. Returns how many were broadcast.
    int publishRelayed();

    //! Publishes committed events that were never marked as published and are at least
    //! `minAgeMs` old (other processes' events; a node's own are marked within 200 ms).
    int publishBacklog(qint64 minAgeMs = 0);
    //! Events of `channel` after `afterSeq`, oldest first, read on `db` (any connection).
    static Expected<QList<StoredEvent>> history(Database &db, const QString &channel,
                                                qint64 afterSeq, int limit);
    //! Events committed at `sinceMs` or later, oldest first: the newest ReplayLimit of them
    //! (older ones are left to the history endpoint), read on `db`.
    static Expected<QList<StoredEvent>> committedSince(Database &db, qint64 sinceMs);
    static constexpr int ReplayLimit = 10000;
    //! The highest `seq` committed on `channel` (0 when it has none), read on `db`.
    static Expected<qint64> lastSeq(Database &db, const QString &channel);
    //! Deletes published history older than `cutoffMs`, on the writer, in slices of
    //! PruneSliceRows rows (a transaction each). The future says how many rows went; a slice
    //! refused by a full writer ends the prune early (the next one goes on).
    QFuture<int> prune(qint64 cutoffMs);
    static constexpr int PruneSliceRows = 2000;
    //! Committed events not yet published.
    qint64 backlog();
    quint64 publishedCount() const { return m_published; }
    //! Writes pending "published" marks now, on this thread's connection (on shutdown).
    void flush();

private:
    //! One slice of prune(): deletes up to PruneSliceRows rows on the writer, then the next
    //! slice, or fulfils `promise` with the rows removed in all.
    void pruneSlice(qint64 cutoffMs, int removedBefore,
                    const std::shared_ptr<QPromise<int>> &promise);
    template <typename Work, typename Result>
    class Job;
    class MarkJob;

    static ApiError writerBusy();
    void publish(const QList<StoredEvent> &events);
    //! Hands the "published" marks to the writer (or writes them here without one).
    void flushPublishedMarks();
    //! A MarkJob's end: failed marks are kept for the next flush.
    void marksWritten(const QList<qint64> &ids, bool written);

    Database &m_db;
    Broadcaster &m_broadcaster;
    Writer *m_writer = nullptr;
    QList<qint64> m_publishedIds; // marked in one batched UPDATE, not one write per event
    QSet<qint64> m_marksInFlight; // handed to the writer, not yet committed
    QTimer m_markTimer;
    quint64 m_published = 0;
    bool m_publishing = false;
};

//! \brief A transactionLater() on the writer thread: its work, its events and the promise that
//! its caller waits on.
template <typename Work, typename Result>
class EventStore::Job : public WriteJob
{
public:
    Job(EventStore &store, Work work)
        : m_store(store)
        , m_work(std::move(work))
    {
        m_promise.start();
    }
    QFuture<Result> future() { return m_promise.future(); }

    bool run(Database &db) override
    {
        EventBatch batch(db);
        m_result.emplace(db.savepoint([&] { return m_work(batch); }));
        if (m_result->hasValue())
            m_events = batch.events();
        // Run again only for a lost race: a failed statement (500) that may succeed next time,
        // not a refusal of the work's own.
        return m_result->hasValue() || m_result->error().status != 500 ||
               !db.lastFailureWasTransient();
    }

    void finish(bool committed) override
    {
        // A refusal stands whatever the batch did; a value stands only once committed.
        const bool kept = m_result && (committed || !m_result->hasValue());
        Result result = kept ? std::move(*m_result) : Result(ApiError::internal());
        if (committed && result.hasValue())
            m_store.publish(m_events);
        m_promise.addResult(std::move(result));
        m_promise.finish();
    }

private:
    EventStore &m_store;
    Work m_work;
    QPromise<Result> m_promise;
    std::optional<Result> m_result;
    QList<StoredEvent> m_events;
};

//! \brief `work(Database &)`, which returns an Expected and writes no events, in a transaction
//! on `events`' writer thread; or here and now on `db` when `events` is null (the CLI, tests),
//! the future then being ready at once. For the services whose writes announce nothing.
template <typename Work, typename Result = std::invoke_result_t<Work, Database &>>
requires ExpectedType<Result> QFuture<Result> writeLater(EventStore *events, Database &db,
                                                         Work work)
{
    if (!events)
        return QtFuture::makeReadyFuture(db.transaction([&] { return work(db); }));
    return events->transactionLater(
        [work = std::move(work)](EventBatch &batch) { return work(batch.db()); });
}

} // namespace flippdeal::server
