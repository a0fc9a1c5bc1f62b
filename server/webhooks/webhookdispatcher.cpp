// SPDX-License-Identifier: MIT
#include "webhooks/webhookdispatcher.h"

#include "core/logging.h"
#include "gateway/gateway.h"
#include "storage/database.h"

#include "protocol/signing.h"
#include "protocol/timeformat.h"

#include <QJsonDocument>
#include <QNetworkReply>

#include <algorithm>

namespace flippdeal::server {

namespace {
constexpr int RequestTimeoutMs = 10000;

QJsonObject channelEvent(const char *name, const QString &channel)
{
    return {{QLatin1String("name"), QLatin1String(name)}, {QLatin1String("channel"), channel}};
}

QJsonObject memberEvent(const char *name, const QString &channel, const QString &userId)
{
    return {{QLatin1String("name"), QLatin1String(name)},
            {QLatin1String("channel"), channel},
            {QLatin1String("user_id"), userId}};
}
} // namespace

WebhookDispatcher::WebhookDispatcher(Database &db, QStringList urls, QByteArray appKey,
                                     QByteArray appSecret, QObject *parent)
    : QObject(parent)
    , m_db(db)
    , m_urls(std::move(urls))
    , m_appKey(std::move(appKey))
    , m_appSecret(std::move(appSecret))
{
    m_batchTimer.setSingleShot(true);
    m_batchTimer.setInterval(BatchMs);
    connect(&m_batchTimer, &QTimer::timeout, this, &WebhookDispatcher::flush);
    m_pollTimer.setInterval(PollMs);
    connect(&m_pollTimer, &QTimer::timeout, this, &WebhookDispatcher::flush);
}

QByteArray WebhookDispatcher::signature(const QByteArray &secret, const QByteArray &body)
{
    return protocol::hmacSha256Hex(secret, body);
}

void WebhookDispatcher::watch(Gateway &gateway)
{
    if (m_urls.isEmpty())
        return;
    connect(&gateway, &Gateway::channelOccupied, this, [this](const QString &channel) {
        if (!cancelHeld(QStringLiteral("c\n") + channel))
            add(channelEvent("channel_occupied", channel));
    });
    connect(&gateway, &Gateway::channelVacated, this, [this](const QString &channel) {
        hold(QStringLiteral("c\n") + channel, channelEvent("channel_vacated", channel));
    });
    connect(&gateway, &Gateway::memberAdded, this,
            [this](const QString &channel, const QString &userId) {
                if (!cancelHeld(QStringLiteral("m\n%1\n%2").arg(channel, userId)))
                    add(memberEvent("member_added", channel, userId));
            });
    connect(&gateway, &Gateway::memberRemoved, this,
            [this](const QString &channel, const QString &userId) {
                hold(QStringLiteral("m\n%1\n%2").arg(channel, userId),
                     memberEvent("member_removed", channel, userId));
            });
    connect(
        &gateway, &Gateway::clientEventRelayed, this,
        [this](const QString &channel, const QString &event, const QJsonValue &data,
               const QString &socketId, const QString &userId) {
            QJsonObject json{
                {QLatin1String("name"), QStringLiteral("client_event")},
                {QLatin1String("channel"), channel},
                {QLatin1String("event"), event},
                {QLatin1String("data"),
                 data.isString()
                     ? data.toString()
                     : QString::fromUtf8(
                           data.isArray()
                               ? QJsonDocument(data.toArray()).toJson(QJsonDocument::Compact)
                               : QJsonDocument(data.toObject()).toJson(QJsonDocument::Compact))},
                {QLatin1String("socket_id"), socketId}};
            if (!userId.isEmpty())
                json.insert(QLatin1String("user_id"), userId);
            add(json);
        });
    connect(&gateway, &Gateway::cacheMissed, this, [this](const QString &channel) {
        // Once per channel per window: subscribing to empty cache channels in a loop must not
        // turn into a webhook each time.
        const qint64 now = protocol::nowMs();
        const auto last = m_cacheMisses.constFind(channel);
        if (last != m_cacheMisses.cend() && now - *last < CacheMissWindowMs)
            return;
        m_cacheMisses.insert(channel, now);
        add(channelEvent("cache_miss", channel));
    });
    // What an earlier process stored and did not send yet goes out now (and then as it falls
    // due).
    m_pollTimer.start();
    QMetaObject::invokeMethod(this, &WebhookDispatcher::flush, Qt::QueuedConnection);
}

void WebhookDispatcher::add(const QJsonObject &event)
{
    record({}, event, protocol::nowMs());
}

void WebhookDispatcher::hold(const QString &key, const QJsonObject &event)
{
    cancelHeld(key);
    m_held.insert(key, 0);
    record(key, event, protocol::nowMs() + HoldMs);
}

bool WebhookDispatcher::cancelHeld(const QString &key)
{
    const auto it = m_held.find(key);
    if (it == m_held.end())
        return false;
    const qint64 row = *it;
    m_held.erase(it);
    if (row == 0) {
        m_unwritten.removeIf([&key](const Pending &p) { return p.key == key; });
    } else {
        m_cancelled.append(row);
        if (!std::exchange(m_writeScheduled, true))
            QMetaObject::invokeMethod(this, &WebhookDispatcher::storePending, Qt::QueuedConnection);
    }
    return true;
}

void WebhookDispatcher::record(const QString &key, const QJsonObject &event, qint64 dueMs)
{
    m_unwritten.append({key, event, dueMs});
    // Everything that happens in this event-loop pass is written together, right after it
    // (a client that closes with 100 subscriptions costs one commit, not 100).
    if (!std::exchange(m_writeScheduled, true))
        QMetaObject::invokeMethod(this, &WebhookDispatcher::storePending, Qt::QueuedConnection);
}

void WebhookDispatcher::storePending()
{
    m_writeScheduled = false;
    if (m_unwritten.isEmpty() && m_cancelled.isEmpty())
        return;
    const QList<Pending> pending = std::exchange(m_unwritten, {});
    const QList<qint64> cancelled = std::exchange(m_cancelled, {});
    QHash<QString, qint64> rows;
    const qint64 now = protocol::nowMs();
    const bool ok = m_db.transaction([&] {
        for (const qint64 id : cancelled)
            SqlQuery(m_db, QStringLiteral("DELETE FROM webhook_events WHERE id = ?"))
                .bind(id)
                .exec();
        for (const Pending &p : pending) {
            SqlQuery insert(m_db, QStringLiteral("INSERT INTO webhook_events "
                                                 "(hold_key, event, due_at, created_at) "
                                                 "VALUES (?, ?, ?, ?) RETURNING id"));
            insert
                .bind(p.key.isEmpty() ? QVariant(QMetaType::fromType<QString>()) : QVariant(p.key))
                .bind(QString::fromUtf8(QJsonDocument(p.event).toJson(QJsonDocument::Compact)))
                .bind(p.dueMs)
                .bind(now);
            const qint64 id = insert.scalar();
            if (!p.key.isEmpty())
                rows.insert(p.key, id);
        }
        return true;
    });
    if (!ok) {
        qCWarning(lcApp) << "could not store" << pending.size() << "webhook events";
        for (const Pending &p : pending)
            m_held.remove(p.key);
        return;
    }
    bool dueNow = false;
    for (const Pending &p : pending) {
        if (p.key.isEmpty())
            dueNow = true;
        else if (m_held.contains(p.key)) // not cancelled meanwhile
            m_held.insert(p.key, rows.value(p.key));
    }
    if (dueNow && !m_batchTimer.isActive())
        m_batchTimer.start();
}

void WebhookDispatcher::flush()
{
    storePending(); // cancellations first, so nothing cancelled is sent
    const qint64 now = protocol::nowMs();
    m_cacheMisses.removeIf(
        [now](const auto &entry) { return now - entry.value() >= CacheMissWindowMs; });
    // A cheap look first: most polls find nothing and need no write transaction.
    const auto anyDue = m_db.attempt([&]() -> Expected<bool> {
        SqlQuery due(m_db, QStringLiteral("SELECT id FROM webhook_events WHERE due_at <= ? "
                                          "LIMIT 1"));
        due.bind(now).exec();
        return due.next();
    });
    if (!anyDue || !*anyDue)
        return;
    struct Row
    {
        qint64 id;
        QString key;
        QJsonObject event;
    };
    QList<Row> taken;
    // Taken and turned into jobs in one transaction: on PostgreSQL a second node's DELETE
    // skips the rows this one took, so each event goes out once.
    const bool ok = m_db.transaction([&] {
        SqlQuery take(m_db, QStringLiteral("DELETE FROM webhook_events WHERE id IN (SELECT id FROM "
                                           "webhook_events WHERE due_at <= ? ORDER BY id LIMIT %1) "
                                           "RETURNING id, hold_key, event")
                                .arg(MaxBatchEvents));
        take.bind(now).exec();
        while (take.next())
            taken.append({take.int64(0), take.text(1),
                          QJsonDocument::fromJson(take.text(2).toUtf8()).object()});
        if (taken.isEmpty())
            return true;
        std::sort(taken.begin(), taken.end(),
                  [](const Row &a, const Row &b) { return a.id < b.id; });
        QJsonArray events;
        for (const Row &row : std::as_const(taken))
            events.append(row.event);
        const QJsonObject body{{QLatin1String("time_ms"), now}, {QLatin1String("events"), events}};
        const QString text = QString::fromUtf8(QJsonDocument(body).toJson(QJsonDocument::Compact));
        // One job per receiver, so one that is down delays no other.
        for (const QString &url : std::as_const(m_urls))
            JobQueue::enqueue(m_db, QString::fromLatin1(JobType),
                              {{QLatin1String("url"), url}, {QLatin1String("body"), text}}, now,
                              MaxAttempts);
        return true;
    });
    if (!ok) {
        qCWarning(lcApp) << "could not queue a webhook batch; it stays stored";
        return;
    }
    for (const Row &row : std::as_const(taken)) {
        if (!row.key.isEmpty() && m_held.value(row.key) == row.id)
            m_held.remove(row.key); // sent: nothing left to cancel
    }
    if (taken.size() == MaxBatchEvents)
        m_batchTimer.start(); // more are due
}

void WebhookDispatcher::deliver(const Job &job, const JobWorker::Done &done)
{
    const QUrl url(job.payload.value(QLatin1String("url")).toString());
    const QByteArray body = job.payload.value(QLatin1String("body")).toString().toUtf8();
    if (!url.isValid() || body.isEmpty()) {
        done(QStringLiteral("malformed webhook job"));
        return;
    }
    QNetworkRequest request(url);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    request.setRawHeader("X-Pusher-Key", m_appKey);
    request.setRawHeader("X-Pusher-Signature", signature(m_appSecret, body));
    request.setTransferTimeout(RequestTimeoutMs);
    QNetworkReply *reply = m_network.post(request, body);
    connect(reply, &QNetworkReply::finished, this, [reply, done, url] {
        reply->deleteLater();
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (status >= 200 && status < 300)
            done(std::nullopt);
        else if (status == 0)
            done(QStringLiteral("%1: %2").arg(url.toString(), reply->errorString()));
        else
            done(QStringLiteral("%1 answered %2").arg(url.toString()).arg(status));
    });
}

} // namespace flippdeal::server
