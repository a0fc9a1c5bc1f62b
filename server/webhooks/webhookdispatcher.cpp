// SPDX-License-Identifier: MIT
#include "webhooks/webhookdispatcher.h"

#include "core/logging.h"
#include "events/eventstore.h"
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
    m_retryTimer.setSingleShot(true);
    m_retryTimer.setInterval(RetryMs);
    connect(&m_retryTimer, &QTimer::timeout, this, &WebhookDispatcher::storePending);
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
        const QJsonObject occupied = channelEvent("channel_occupied", channel);
        if (!cancelHeld(QStringLiteral("c\n") + channel, occupied))
            add(occupied);
    });
    connect(&gateway, &Gateway::channelVacated, this, [this](const QString &channel) {
        hold(QStringLiteral("c\n") + channel, channelEvent("channel_vacated", channel));
    });
    connect(&gateway, &Gateway::memberAdded, this,
            [this](const QString &channel, const QString &userId) {
                const QJsonObject added = memberEvent("member_added", channel, userId);
                if (!cancelHeld(QStringLiteral("m\n%1\n%2").arg(channel, userId), added))
                    add(added);
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
    record({}, event, protocol::nowMs(), 0);
}

void WebhookDispatcher::hold(const QString &key, const QJsonObject &event)
{
    cancelHeld(key, {});
    const qint64 token = m_nextToken--;
    m_held.insert(key, token);
    record(key, event, protocol::nowMs() + HoldMs, token);
}

bool WebhookDispatcher::cancelHeld(const QString &key, const QJsonObject &undoing)
{
    const auto it = m_held.find(key);
    if (it == m_held.end())
        return false;
    const qint64 row = *it;
    m_held.erase(it);
    // A batch being taken may hold the row: if it is sent after all, `undoing` is sent after it.
    if (m_taking && row > 0 && !undoing.isEmpty())
        m_undoneWhileTaking.insert(row, undoing);
    if (row < 0) {
        // Not stored yet. Once a write under way stores it, storeWritten() sees that its key
        // no longer holds its token and deletes the row.
        m_unwritten.removeIf([row](const Pending &p) { return p.token == row; });
    } else {
        m_cancelled.append(row);
        scheduleStore();
    }
    return true;
}

void WebhookDispatcher::record(const QString &key, const QJsonObject &event, qint64 dueMs,
                               qint64 token)
{
    // The writer has been full for long: what clients make happen cannot queue up here
    // without bound.
    if (m_unwritten.size() >= MaxUnwritten)
        dropOldestUnwritten();
    m_unwritten.append({key, event, dueMs, token});
    scheduleStore();
}

void WebhookDispatcher::dropOldestUnwritten()
{
    const Pending dropped = m_unwritten.takeFirst();
    if (!dropped.key.isEmpty() && m_held.value(dropped.key) == dropped.token)
        m_held.remove(dropped.key);
    ++m_dropped;
    qCWarning(lcApp) << "webhook events not stored in time: dropped one, now" << m_dropped;
}

void WebhookDispatcher::scheduleStore()
{
    // Everything that happens in this event-loop pass is written together, right after it
    // (a client that closes with 100 subscriptions costs one commit, not 100).
    if (!std::exchange(m_writeScheduled, true))
        QMetaObject::invokeMethod(this, &WebhookDispatcher::storePending, Qt::QueuedConnection);
}

void WebhookDispatcher::storePending()
{
    m_writeScheduled = false;
    if (m_writing || (m_unwritten.isEmpty() && m_cancelled.isEmpty()))
        return; // a write under way schedules the next one when it is done
    const QList<Pending> pending = std::exchange(m_unwritten, {});
    const QList<qint64> cancelled = std::exchange(m_cancelled, {});
    m_writing = true;
    writeLater(m_events, m_db, [pending, cancelled](Database &db) -> Expected<QList<qint64>> {
        for (const qint64 id : cancelled)
            SqlQuery(db, QStringLiteral("DELETE FROM webhook_events WHERE id = ?")).bind(id).exec();
        const qint64 now = protocol::nowMs();
        QList<qint64> rows;
        for (const Pending &p : pending) {
            SqlQuery insert(db, QStringLiteral("INSERT INTO webhook_events "
                                               "(hold_key, event, due_at, created_at) "
                                               "VALUES (?, ?, ?, ?) RETURNING id"));
            insert
                .bind(p.key.isEmpty() ? QVariant(QMetaType::fromType<QString>()) : QVariant(p.key))
                .bind(QString::fromUtf8(QJsonDocument(p.event).toJson(QJsonDocument::Compact)))
                .bind(p.dueMs)
                .bind(now);
            rows.append(insert.scalar());
        }
        return rows;
    }).then(this, [this, pending, cancelled](const Expected<QList<qint64>> &rows) {
        storeWritten(pending, cancelled, rows);
    });
}

void WebhookDispatcher::storeWritten(const QList<Pending> &pending, const QList<qint64> &cancelled,
                                     const Expected<QList<qint64>> &rows)
{
    m_writing = false;
    if (!rows) {
        // A full writer or a failed statement: everything goes back, in order, for another try.
        m_unwritten = pending + m_unwritten;
        m_cancelled = cancelled + m_cancelled;
        while (m_unwritten.size() > MaxUnwritten)
            dropOldestUnwritten();
        if (!m_retryTimer.isActive())
            m_retryTimer.start();
        return;
    }
    bool dueNow = false;
    for (qsizetype i = 0; i < pending.size(); ++i) {
        const Pending &p = pending.at(i);
        if (p.key.isEmpty())
            dueNow = true;
        else if (m_held.value(p.key) == p.token)
            m_held.insert(p.key, rows->at(i));
        else // cancelled or held anew while it was being written
            m_cancelled.append(rows->at(i));
    }
    if (!m_unwritten.isEmpty() || !m_cancelled.isEmpty())
        scheduleStore();
    if (m_flushAfterWrite)
        QMetaObject::invokeMethod(this, &WebhookDispatcher::flush, Qt::QueuedConnection);
    else if (dueNow && !m_batchTimer.isActive())
        m_batchTimer.start();
}

void WebhookDispatcher::flush()
{
    storePending(); // cancellations first (the writer keeps the order), so nothing cancelled
                    // is sent
    // Cancellations not handed over yet (a store under way, or one a full writer refused) go
    // first: the flush waits for the store that takes them.
    m_flushAfterWrite = !m_cancelled.isEmpty();
    m_flushAfterTake = m_taking;
    if (m_taking || m_flushAfterWrite)
        return;
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
    m_taking = true;
    writeLater(m_events, m_db, [urls = m_urls, now](Database &db) {
        return takeDue(db, urls, now);
    }).then(this, [this](const Expected<QList<TakenRow>> &taken) { batchTaken(taken); });
}

void WebhookDispatcher::batchTaken(const Expected<QList<TakenRow>> &taken)
{
    m_taking = false;
    const QHash<qint64, QJsonObject> undone = std::exchange(m_undoneWhileTaking, {});
    if (!taken) {
        qCWarning(lcApp) << "could not queue a webhook batch; it stays stored";
        return;
    }
    for (const TakenRow &row : *taken) {
        if (!row.key.isEmpty() && m_held.value(row.key) == row.id)
            m_held.remove(row.key);       // sent: nothing left to cancel
        else if (undone.contains(row.id)) // sent, then undone meanwhile: say so too
            add(undone.value(row.id));
    }
    if (taken->size() == MaxBatchEvents || std::exchange(m_flushAfterTake, false))
        m_batchTimer.start(); // more are due
}

Expected<QList<WebhookDispatcher::TakenRow>>
WebhookDispatcher::takeDue(Database &db, const QStringList &urls, qint64 now)
{
    // Taken and turned into jobs in one transaction: on PostgreSQL a second node's DELETE
    // skips the rows this one took, so each event goes out once.
    SqlQuery take(db, QStringLiteral("DELETE FROM webhook_events WHERE id IN (SELECT id FROM "
                                     "webhook_events WHERE due_at <= ? ORDER BY id LIMIT %1) "
                                     "RETURNING id, hold_key, event")
                          .arg(MaxBatchEvents));
    take.bind(now).exec();
    QList<TakenRow> taken;
    while (take.next())
        taken.append(
            {take.int64(0), take.text(1), QJsonDocument::fromJson(take.text(2).toUtf8()).object()});
    if (taken.isEmpty())
        return taken;
    std::sort(taken.begin(), taken.end(),
              [](const TakenRow &a, const TakenRow &b) { return a.id < b.id; });
    QJsonArray events;
    for (const TakenRow &row : std::as_const(taken))
        events.append(row.event);
    const QJsonObject body{{QLatin1String("time_ms"), now}, {QLatin1String("events"), events}};
    const QString text = QString::fromUtf8(QJsonDocument(body).toJson(QJsonDocument::Compact));
    // One job per receiver, so one that is down delays no other.
    for (const QString &url : urls)
        JobQueue::enqueue(db, QString::fromLatin1(JobType),
                          {{QLatin1String("url"), url}, {QLatin1String("body"), text}}, now,
                          MaxAttempts);
    return taken;
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
