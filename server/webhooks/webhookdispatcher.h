// SPDX-License-Identifier: MIT
#pragma once

#include "jobs/jobqueue.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QObject>
#include <QStringList>
#include <QTimer>

namespace flippdeal::server {

class Database;
class EventStore;
class Gateway;

//! \brief Pusher webhooks: `channel_occupied`, `channel_vacated`, `member_added`,
//! `member_removed`, `client_event` and `cache_miss`, batched as `{time_ms, events}`, signed
//! with `X-Pusher-Key` and `X-Pusher-Signature` (HMAC-SHA256 of the body with the app secret).
//!
//! Every event is stored (`webhook_events`) right after the event-loop pass in which it
//! happens, one writer transaction for all of that pass, so a crash loses none; everything
//! after that works from the table. The writes run on the writer thread (setEventStore()), one
//! at a time; while the writer is full they wait here, at most MaxUnwritten of them (beyond
//! that the oldest is dropped and logged). Stored events that are due go out as one batch, at most
//! 100 ms after the first; a `serve` node also looks for due events every 500 ms, so one that
//! starts after a crash sends what its predecessor left. `channel_vacated` and `member_removed` are
//! due after 3 s and are dropped, together with the `channel_occupied` / `member_added` that undoes
//! them, when the channel fills or the member returns meanwhile (a page reload is not news).
//! `cache_miss` goes out at most once per channel per minute (per node).
//!
//! Each batch is a durable job per URL: a receiver that is down gets it later, with backoff,
//! for up to 8 attempts (with the default 5 s backoff, ×5 each time and at most 1 h apart, the
//! last comes about 3 hours after the first).
class WebhookDispatcher : public QObject
{
    Q_OBJECT

public:
    static constexpr const char *JobType = "SendWebhook";
    static constexpr int MaxAttempts = 8;
    static constexpr int HoldMs = 3000;
    static constexpr int BatchMs = 100;
    static constexpr int PollMs = 500;
    static constexpr qint64 CacheMissWindowMs = 60 * 1000;
    static constexpr int MaxBatchEvents = 500;
    static constexpr int MaxUnwritten = 10000;
    static constexpr int RetryMs = 200;

    WebhookDispatcher(Database &db, QStringList urls, QByteArray appKey, QByteArray appSecret,
                      QObject *parent = nullptr);

    //! Hands the stores and the batches to `events`' writer thread (the serve process). Without
    //! it they run in place. Not owned.
    void setEventStore(EventStore *events) { m_events = events; }
    //! Listens to a gateway's channel and member changes (only where one serves clients), and
    //! starts sending what is stored, including what a previous process left.
    void watch(Gateway &gateway);
    //! The job handler: POSTs one batch.
    void deliver(const Job &job, const JobWorker::Done &done);
    //! Sends the stored events that are due now (normally on timers).
    void flush();
    //! Stores the events of this event-loop pass now (normally right after it; on shutdown),
    //! unless a store is under way (its end starts the next).
    void storePending();
    //! Events dropped because the writer stayed full (MaxUnwritten), since the start.
    quint64 droppedCount() const { return m_dropped; }

    //! The signature of `body` (for receivers and tests).
    static QByteArray signature(const QByteArray &secret, const QByteArray &body);

private:
    struct Pending
    {
        QString key; // hold key; empty for events due at once
        QJsonObject event;
        qint64 dueMs = 0;
        qint64 token = 0; // what m_held maps `key` to until the row is stored
    };
    struct TakenRow
    {
        qint64 id;
        QString key;
        QJsonObject event;
    };
    void add(const QJsonObject &event);
    void hold(const QString &key, const QJsonObject &event);
    //! True when a held event for `key` was pending (and is now dropped). `undoing` is the
    //! event that cancels it (`channel_occupied` for a held `channel_vacated`): should a batch
    //! being taken send the held one after all, it is sent after it.
    bool cancelHeld(const QString &key, const QJsonObject &undoing);
    void dropOldestUnwritten();
    //! After a take: the held keys sent are forgotten, and what undid one of them is sent.
    void batchTaken(const Expected<QList<TakenRow>> &taken);
    void record(const QString &key, const QJsonObject &event, qint64 dueMs, qint64 token);
    void scheduleStore();
    //! After a store: the held keys learn their rows, and rows cancelled meanwhile are deleted
    //! with the next store; a failed store is tried again.
    void storeWritten(const QList<Pending> &pending, const QList<qint64> &cancelled,
                      const Expected<QList<qint64>> &rows);
    //! Inside a transaction on `db` (the writer's): deletes the due rows and queues them as
    //! one batch job per URL in `urls`.
    static Expected<QList<TakenRow>> takeDue(Database &db, const QStringList &urls, qint64 now);

    Database &m_db;
    EventStore *m_events = nullptr;
    QStringList m_urls;
    QByteArray m_appKey;
    QByteArray m_appSecret;
    QNetworkAccessManager m_network;
    QList<Pending> m_unwritten;
    QList<qint64> m_cancelled; // stored held events to delete with the next write
    // hold key → its stored row, or a negative token of its own while it is not stored yet
    QHash<QString, qint64> m_held;
    qint64 m_nextToken = -1;
    QHash<QString, qint64> m_cacheMisses; // channel → when its last cache_miss was reported
    bool m_writeScheduled = false;
    bool m_writing = false;         // a store is on the writer
    bool m_taking = false;          // a batch is being taken on the writer
    bool m_flushAfterWrite = false; // a flush waits for the store under way
    bool m_flushAfterTake = false;  // a flush came while a batch was being taken
    // stored held rows cancelled while a batch was being taken → the event that undid them
    QHash<qint64, QJsonObject> m_undoneWhileTaking;
    quint64 m_dropped = 0;
    QTimer m_batchTimer;
    QTimer m_pollTimer;
    QTimer m_retryTimer;
};

} // namespace flippdeal::server
