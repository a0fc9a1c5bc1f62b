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
class Gateway;

//! \brief Pusher webhooks: `channel_occupied`, `channel_vacated`, `member_added`,
//! `member_removed`, `client_event` and `cache_miss`, batched as `{time_ms, events}`, signed
//! with `X-Pusher-Key` and `X-Pusher-Signature` (HMAC-SHA256 of the body with the app secret).
//!
//! Every event is stored (`webhook_events`) in the event-loop pass in which it happens, one
//! transaction for all of that pass, so a crash loses none; everything after that works from
//! the table. Stored events that are due go out as one batch, at most 100 ms after the first;
//! a `serve` node also looks for due events every 500 ms, so one that starts after a crash
//! sends what its predecessor left. `channel_vacated` and `member_removed` are due after 3 s
//! and are dropped, together with the `channel_occupied` / `member_added` that undoes them,
//! when the channel fills or the member returns meanwhile (a page reload is not news).
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

    WebhookDispatcher(Database &db, QStringList urls, QByteArray appKey, QByteArray appSecret,
                      QObject *parent = nullptr);

    //! Listens to a gateway's channel and member changes (only where one serves clients), and
    //! starts sending what is stored, including what a previous process left.
    void watch(Gateway &gateway);
    //! The job handler: POSTs one batch.
    void deliver(const Job &job, const JobWorker::Done &done);
    //! Sends the stored events that are due now (normally on timers).
    void flush();
    //! Stores the events of this event-loop pass now (normally right after it; on shutdown).
    void storePending();

    //! The signature of `body` (for receivers and tests).
    static QByteArray signature(const QByteArray &secret, const QByteArray &body);

private:
    void add(const QJsonObject &event);
    void hold(const QString &key, const QJsonObject &event);
    //! True when a held event for `key` was pending (and is now dropped).
    bool cancelHeld(const QString &key);
    void record(const QString &key, const QJsonObject &event, qint64 dueMs);

    Database &m_db;
    QStringList m_urls;
    QByteArray m_appKey;
    QByteArray m_appSecret;
    QNetworkAccessManager m_network;
    struct Pending
    {
        QString key; // hold key; empty for events due at once
        QJsonObject event;
        qint64 dueMs = 0;
    };
    QList<Pending> m_unwritten;
    QList<qint64> m_cancelled;            // stored held events to delete with the next write
    QHash<QString, qint64> m_held;        // hold key → its stored row (0 while not yet written)
    QHash<QString, qint64> m_cacheMisses; // channel → when its last cache_miss was reported
    bool m_writeScheduled = false;
    QTimer m_batchTimer;
    QTimer m_pollTimer;
};

} // namespace flippdeal::server
