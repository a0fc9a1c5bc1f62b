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
//! Events gathered within 100 ms go out as one batch. `channel_vacated` and `member_removed`
//! wait 3 s and are dropped, together with the `channel_occupied` / `member_added` that undoes
//! them, when the channel fills or the member returns meanwhile (a page reload is not news).
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

    WebhookDispatcher(Database &db, QStringList urls, QByteArray appKey, QByteArray appSecret,
                      QObject *parent = nullptr);

    //! Listens to a gateway's channel and member changes (only where one serves clients).
    void watch(Gateway &gateway);
    //! The job handler: POSTs one batch.
    void deliver(const Job &job, const JobWorker::Done &done);

    //! The signature of `body` (for receivers and tests).
    static QByteArray signature(const QByteArray &secret, const QByteArray &body);

private:
    void add(const QJsonObject &event);
    void hold(const QString &key, const QJsonObject &event);
    //! True when a held event for `key` was pending (and is now dropped).
    bool cancelHeld(const QString &key);
    void flush();

    Database &m_db;
    QStringList m_urls;
    QByteArray m_appKey;
    QByteArray m_appSecret;
    QNetworkAccessManager m_network;
    QJsonArray m_batch;
    QTimer m_batchTimer;
    QHash<QString, QTimer *> m_held;
};

} // namespace flippdeal::server
