// SPDX-License-Identifier: MIT
#include "events/eventstore.h"

#include "core/logging.h"
#include "storage/database.h"

#include "protocol/frame.h"
#include "protocol/timeformat.h"

#include <QJsonDocument>
#include <QSet>

#include <algorithm>

namespace flippdeal::server {

using namespace Qt::StringLiterals;

namespace {

constexpr int MarkIntervalMs = 200;

const QString selectEvents =
    QStringLiteral("SELECT id, channel, seq, event, data, created_at FROM channel_events ");

//! The rows of a query on selectEvents.
QList<StoredEvent> storedEvents(SqlQuery &query)
{
    QList<StoredEvent> events;
    while (query.next())
        events.append(StoredEvent{query.int64("id"_L1),
                                  query.text("channel"_L1),
                                  query.int64("seq"_L1),
                                  query.text("event"_L1),
                                  query.text("data"_L1).toUtf8(),
                                  query.int64("created_at"_L1),
                                  {}});
    return events;
}

} // namespace

QJsonObject StoredEvent::toHistoryJson() const
{
    return {{QLatin1String("seq"), seq},
            {QLatin1String("event"), event},
            {QLatin1String("data"), QString::fromUtf8(data)},
            {QLatin1String("created_at"), protocol::isoUtc(createdAt)}};
}

void EventBatch::add(const QString &channel, const QString &event, const QJsonObject &data)
{
    addRaw(channel, event, protocol::toJson(data));
}

void EventBatch::addRaw(const QString &channel, const QString &event, const QByteArray &data,
                        const QString &exceptSocketId)
{
    StoredEvent stored;
    stored.channel = channel;
    stored.event = event;
    stored.data = data;
    stored.exceptSocketId = exceptSocketId;
    stored.createdAt = protocol::nowMs();
    // One statement both creates and advances the channel's counter; on PostgreSQL the row
    // lock serializes concurrent writers to the same channel, so no seq is used twice.
    stored.seq =
        SqlQuery(
            m_db,
            QStringLiteral(
                "INSERT INTO channel_sequences (channel, last_seq) VALUES (?, 1) "
                "ON CONFLICT (channel) DO UPDATE SET last_seq = channel_sequences.last_seq + 1 "
                "RETURNING last_seq"))
            .bind(channel)
            .scalar();
    stored.id =
        SqlQuery(m_db, QStringLiteral(
                           "INSERT INTO channel_events (channel, seq, event, data, created_at) "
                           "VALUES (?, ?, ?, ?, ?) RETURNING id"))
            .bind(channel)
            .bind(stored.seq)
            .bind(event)
            .bind(QString::fromUtf8(stored.data))
            .bind(stored.createdAt)
            .scalar();
    m_events.append(std::move(stored));
}

EventStore::EventStore(Database &db, Broadcaster &broadcaster, QObject *parent)
    : QObject(parent)
    , m_db(db)
    , m_broadcaster(broadcaster)
{
    m_markTimer.setSingleShot(true);
    m_markTimer.setInterval(MarkIntervalMs);
    connect(&m_markTimer, &QTimer::timeout, this, &EventStore::flushPublishedMarks);
}

ApiError EventStore::writerBusy()
{
    return ApiError{
        503, QStringLiteral("The server is busy with other writes. Try again in a moment."), {}, 1};
}

void EventStore::publish(const QList<StoredEvent> &events)
{
    if (!m_publishing)
        return;
    for (const StoredEvent &event : events) {
        m_broadcaster.broadcast(BroadcastEvent{event.channel, event.event, event.data, event.seq,
                                               event.exceptSocketId});
        m_publishedIds.append(event.id);
        ++m_published;
    }
    if (!m_publishedIds.isEmpty() && !m_markTimer.isActive())
        m_markTimer.start();
}

namespace {

//! Stamps `ids` as published at `now` (throws DbError on failure).
void markPublished(Database &db, const QList<qint64> &ids, qint64 now)
{
    // Chunks keep the statement under every driver's bind-parameter limit.
    for (qsizetype start = 0; start < ids.size(); start += 500) {
        const qsizetype count = std::min<qsizetype>(500, ids.size() - start);
        QString placeholders = QStringLiteral("?");
        for (qsizetype i = 1; i < count; ++i)
            placeholders += QStringLiteral(",?");
        SqlQuery query(db,
                       QStringLiteral("UPDATE channel_events SET published_at = ? WHERE id IN (%1)")
                           .arg(placeholders));
        query.bind(now);
        for (qsizetype i = 0; i < count; ++i)
            query.bind(ids.at(start + i));
        query.exec();
    }
}

} // namespace

//! \brief The "published" marks, written on the writer thread: the event loop never waits for
//! the write lock that the writer's batches hold.
class EventStore::MarkJob : public WriteJob
{
public:
    MarkJob(EventStore &store, QList<qint64> ids)
        : m_store(store)
        , m_ids(std::move(ids))
    {}
    bool run(Database &db) override
    {
        m_written = db.savepoint([&]() -> Expected<Done> {
                          markPublished(db, m_ids, protocol::nowMs());
                          return Done{};
                      }).hasValue();
        return m_written || !db.lastFailureWasTransient();
    }
    void finish(bool committed) override { m_store.marksWritten(m_ids, committed && m_written); }

private:
    EventStore &m_store;
    QList<qint64> m_ids;
    bool m_written = false;
};

void EventStore::flushPublishedMarks()
{
    if (m_publishedIds.isEmpty())
        return;
    const QList<qint64> ids = std::exchange(m_publishedIds, {});
    if (m_writer) {
        if (m_writer->submit(std::make_unique<MarkJob>(*this, ids))) {
            for (const qint64 id : ids)
                m_marksInFlight.insert(id);
        } else {
            // A full writer: the marks wait for the next try rather than take the database's
            // write lock here, behind the writer's batch. They grow only as fast as events
            // commit, and those commit on the same writer.
            marksWritten(ids, false);
        }
        return;
    }
    const bool ok = m_db.transaction([&] {
        markPublished(m_db, ids, protocol::nowMs());
        return true;
    });
    if (!ok)
        marksWritten(ids, false);
}

void EventStore::marksWritten(const QList<qint64> &ids, bool written)
{
    for (const qint64 id : ids)
        m_marksInFlight.remove(id);
    if (!written) {
        // Keep them: at worst they are published again after a restart, which seq makes harmless.
        m_publishedIds = ids + m_publishedIds;
        m_markTimer.start();
    }
}

void EventStore::flush()
{
    if (m_writer)
        m_writer->finishCommittedInOrder();
    if (m_publishedIds.isEmpty())
        return;
    const QList<qint64> ids = std::exchange(m_publishedIds, {});
    m_db.transaction([&] {
        markPublished(m_db, ids, protocol::nowMs());
        return true;
    });
}

int EventStore::publishBacklog(qint64 minAgeMs)
{
    if (!m_publishing)
        return 0;
    // The writer's committed batches go out first, in order, and are marked with the rest.
    if (m_writer)
        m_writer->finishCommittedInOrder();
    flushPublishedMarks();
    const auto select = [&]() {
        return m_db.attempt([&]() -> Expected<QList<StoredEvent>> {
            SqlQuery query(m_db, selectEvents + QStringLiteral("WHERE published_at IS NULL AND "
                                                               "created_at <= ? ORDER BY id "
                                                               "LIMIT 10000"));
            query.bind(protocol::nowMs() - minAgeMs).exec();
            return storedEvents(query);
        });
    };
    auto events = m_writer ? m_writer->whileNoCommit(select) : select();
    if (!events)
        return 0;
    if (m_writer) {
        // Marks on their way were not written when the rows were read: taken before
        // finishCommitted(), which ends the mark jobs that have committed since (and so takes
        // their ids out of m_marksInFlight). A batch that committed after the read is published
        // by its own job, into m_publishedIds. Neither goes out a second time from here.
        QSet<qint64> published = m_marksInFlight;
        m_writer->finishCommitted();
        for (const qint64 id : std::as_const(m_publishedIds))
            published.insert(id);
        events->removeIf([&](const StoredEvent &e) { return published.contains(e.id); });
    }
    publish(*events);
    if (!events->isEmpty())
        qCInfo(lcEvents) << "published" << events->size()
                         << "events left over from before a restart";
    return static_cast<int>(events->size());
}

void EventStore::addTransient(const BroadcastEvent &event)
{
    if (m_publishing) {
        m_broadcaster.broadcast(event);
        return;
    }
    relayTransient(m_db, event);
}

void EventStore::relayTransient(Database &db, const BroadcastEvent &event)
{
    const qint64 now = protocol::nowMs();
    // Without a serve node nobody empties the relay: stale beats go here, so it stays small.
    SqlQuery(db, QStringLiteral("DELETE FROM transient_events WHERE created_at < ?"))
        .bind(now - TransientMaxAgeMs)
        .exec();
    SqlQuery(db, QStringLiteral("INSERT INTO transient_events (channel, event, data, created_at) "
                                "VALUES (?, ?, ?, ?)"))
        .bind(event.channel)
        .bind(event.event)
        .bind(QString::fromUtf8(event.data))
        .bind(now)
        .exec();
}

int EventStore::publishRelayed()
{
    if (!m_publishing)
        return 0;
    QList<BroadcastEvent> events;
    // Reading first keeps the usual empty poll from taking the write lock.
    const auto any = m_db.attempt([&]() -> Expected<bool> {
        SqlQuery query(m_db, QStringLiteral("SELECT 1 FROM transient_events LIMIT 1"));
        query.exec();
        return query.next();
    });
    if (!any || !*any)
        return 0;
    const qint64 oldest = protocol::nowMs() - TransientMaxAgeMs;
    m_db.transaction([&] {
        SqlQuery query(m_db, QStringLiteral("DELETE FROM transient_events "
                                            "RETURNING id, channel, event, data, created_at"));
        query.exec();
        QList<std::pair<qint64, BroadcastEvent>> rows;
        while (query.next()) {
            if (query.int64("created_at"_L1) >= oldest)
                rows.append({query.int64("id"_L1), BroadcastEvent{query.text("channel"_L1),
                                                                  query.text("event"_L1),
                                                                  query.text("data"_L1).toUtf8(),
                                                                  0,
                                                                  {}}});
        }
        std::sort(rows.begin(), rows.end(),
                  [](const auto &a, const auto &b) { return a.first < b.first; });
        for (const auto &row : std::as_const(rows))
            events.append(row.second);
        return true;
    });
    for (const BroadcastEvent &event : std::as_const(events))
        m_broadcaster.broadcast(event);
    return static_cast<int>(events.size());
}

Expected<QList<StoredEvent>> EventStore::history(Database &db, const QString &channel,
                                                 qint64 afterSeq, int limit)
{
    return db.attempt([&]() -> Expected<QList<StoredEvent>> {
        SqlQuery query(db,
                       selectEvents +
                           QStringLiteral("WHERE channel = ? AND seq > ? ORDER BY seq LIMIT ?"));
        query.bind(channel).bind(afterSeq).bind(limit).exec();
        return storedEvents(query);
    });
}

Expected<QList<StoredEvent>> EventStore::committedSince(Database &db, qint64 sinceMs)
{
    return db.attempt([&]() -> Expected<QList<StoredEvent>> {
        SqlQuery query(db,
                       selectEvents + QStringLiteral("WHERE created_at >= ? ORDER BY id LIMIT ?"));
        query.bind(sinceMs).bind(ReplayLimit).exec();
        return storedEvents(query);
    });
}

Expected<qint64> EventStore::lastSeq(Database &db, const QString &channel)
{
    return db.attempt([&]() -> Expected<qint64> {
        SqlQuery query(db,
                       QStringLiteral("SELECT last_seq FROM channel_sequences WHERE channel = ?"));
        query.bind(channel).exec();
        return query.next() ? query.int64("last_seq"_L1) : 0;
    });
}

QFuture<int> EventStore::prune(qint64 cutoffMs)
{
    auto promise = std::make_shared<QPromise<int>>();
    promise->start();
    pruneSlice(cutoffMs, 0, promise);
    return promise->future();
}

void EventStore::pruneSlice(qint64 cutoffMs, int removedBefore,
                            const std::shared_ptr<QPromise<int>> &promise)
{
    // In slices on the writer: one large DELETE would hold every durable write behind it.
    transactionLater([cutoffMs](EventBatch &batch) -> Expected<int> {
        SqlQuery query(batch.db(),
                       QStringLiteral("DELETE FROM channel_events WHERE id IN (SELECT id FROM "
                                      "channel_events WHERE created_at < ? AND published_at IS "
                                      "NOT NULL LIMIT %1)")
                           .arg(PruneSliceRows));
        query.bind(cutoffMs).exec();
        return query.numRowsAffected();
    }).then(this, [this, cutoffMs, removedBefore, promise](const Expected<int> &removed) {
        // A full writer or a failed statement ends this prune early: the next one goes on.
        if (removed && *removed >= PruneSliceRows) {
            pruneSlice(cutoffMs, removedBefore + *removed, promise);
            return;
        }
        promise->addResult(removedBefore + (removed ? *removed : 0));
        promise->finish();
    });
}

qint64 EventStore::backlog()
{
    const auto count = m_db.attempt([&]() -> Expected<qint64> {
        return SqlQuery(m_db, QStringLiteral(
                                  "SELECT COUNT(*) FROM channel_events WHERE published_at IS NULL"))
            .scalar();
    });
    return count ? *count : -1;
}

} // namespace flippdeal::server
