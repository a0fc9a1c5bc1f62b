// SPDX-License-Identifier: MIT
#include "webhooks/webhookdispatcher.h"

#include "core/logging.h"
#include "gateway/gateway.h"
#include "storage/database.h"

#include "protocol/signing.h"
#include "protocol/timeformat.h"

#include <QJsonDocument>
#include <QNetworkReply>

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
    connect(&gateway, &Gateway::cacheMissed, this,
            [this](const QString &channel) { add(channelEvent("cache_miss", channel)); });
}

void WebhookDispatcher::add(const QJsonObject &event)
{
    m_batch.append(event);
    if (!m_batchTimer.isActive())
        m_batchTimer.start();
}

void WebhookDispatcher::hold(const QString &key, const QJsonObject &event)
{
    cancelHeld(key);
    auto *timer = new QTimer(this);
    timer->setSingleShot(true);
    timer->setInterval(HoldMs);
    connect(timer, &QTimer::timeout, this, [this, key, event, timer] {
        m_held.remove(key);
        timer->deleteLater();
        add(event);
    });
    m_held.insert(key, timer);
    timer->start();
}

bool WebhookDispatcher::cancelHeld(const QString &key)
{
    QTimer *timer = m_held.take(key);
    if (!timer)
        return false;
    timer->stop();
    timer->deleteLater();
    return true;
}

void WebhookDispatcher::flush()
{
    if (m_batch.isEmpty())
        return;
    const QJsonObject body{{QLatin1String("time_ms"), protocol::nowMs()},
                           {QLatin1String("events"), m_batch}};
    const QString text = QString::fromUtf8(QJsonDocument(body).toJson(QJsonDocument::Compact));
    const qsizetype count = m_batch.size();
    m_batch = {};
    // Durable before anything is sent: one job per receiver, so one that is down delays no other.
    const bool ok = m_db.transaction([&] {
        for (const QString &url : std::as_const(m_urls))
            JobQueue::enqueue(m_db, QString::fromLatin1(JobType),
                              {{QLatin1String("url"), url}, {QLatin1String("body"), text}},
                              protocol::nowMs(), MaxAttempts);
        return true;
    });
    if (!ok)
        qCWarning(lcApp) << "could not queue a webhook batch of" << count << "events";
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
