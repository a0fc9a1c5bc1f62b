// SPDX-License-Identifier: MIT
#include "outbox.h"

#include "apiclient.h"
#include "realtimeclient.h"

#include "protocol/timeformat.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QUuid>

namespace flippdeal::client {

Outbox::Outbox(ApiClient &api, RealtimeClient &realtime, QObject *parent)
    : QObject(parent)
    , m_api(api)
    , m_realtime(realtime)
{
    m_retryTimer.setSingleShot(true);
    m_retryTimer.setInterval(5000);
    connect(&m_retryTimer, &QTimer::timeout, this, &Outbox::pump);
    connect(&m_realtime, &RealtimeClient::stateChanged, this, [this] {
        if (m_realtime.state() == RealtimeClient::State::Connected)
            pump();
    });
}

void Outbox::setStore(QSettings *settings, const QString &group)
{
    m_settings = settings;
    m_group = group;
    if (!m_settings)
        return;
    const QJsonArray stored =
        QJsonDocument::fromJson(
            m_settings->value(m_group + QStringLiteral("/entries")).toString().toUtf8())
            .array();
    for (const QJsonValue &value : stored) {
        const QJsonObject json = value.toObject();
        Entry entry;
        entry.localId = m_nextLocalId--;
        entry.toUserId = json.value(QLatin1String("to_user_id")).toInteger();
        if (json.value(QLatin1String("domain_id")).isDouble())
            entry.domainId = json.value(QLatin1String("domain_id")).toInteger();
        entry.body = json.value(QLatin1String("body")).toString();
        entry.clientId = json.value(QLatin1String("client_id")).toString();
        if (entry.clientId.isEmpty())
            entry.clientId = QUuid::createUuid().toString(QUuid::WithoutBraces);
        entry.createdAt = json.value(QLatin1String("created_at")).toInteger();
        entry.status = json.value(QLatin1String("status")).toString() == QLatin1String("failed")
                           ? Delivery::Failed
                           : Delivery::Queued;
        entry.errorString = json.value(QLatin1String("error")).toString();
        if (entry.toUserId <= 0 || entry.body.isEmpty())
            continue;
        m_entries.append(entry);
        Q_EMIT added(entry.localId);
    }
    if (!stored.isEmpty()) {
        Q_EMIT pendingCountChanged();
        pump();
    }
}

void Outbox::clearStore()
{
    clear();
    if (m_settings) {
        m_settings->remove(m_group);
        m_settings->sync();
    }
}

void Outbox::save()
{
    if (!m_settings)
        return;
    QJsonArray entries;
    for (const Entry &entry : std::as_const(m_entries)) {
        QJsonObject json{{QLatin1String("to_user_id"), entry.toUserId},
                         {QLatin1String("body"), entry.body},
                         {QLatin1String("client_id"), entry.clientId},
                         {QLatin1String("created_at"), entry.createdAt},
                         {QLatin1String("status"), entry.status == Delivery::Failed
                                                       ? QLatin1String("failed")
                                                       : QLatin1String("queued")},
                         {QLatin1String("error"), entry.errorString}};
        if (entry.domainId)
            json.insert(QLatin1String("domain_id"), *entry.domainId);
        entries.append(json);
    }
    if (entries.isEmpty())
        m_settings->remove(m_group);
    else
        m_settings->setValue(
            m_group + QStringLiteral("/entries"),
            QString::fromUtf8(QJsonDocument(entries).toJson(QJsonDocument::Compact)));
    m_settings->sync();
}

const Outbox::Entry *Outbox::entry(qint64 localId) const
{
    for (const Entry &entry : m_entries)
        if (entry.localId == localId)
            return &entry;
    return nullptr;
}

Outbox::Entry *Outbox::find(qint64 localId)
{
    return const_cast<Entry *>(std::as_const(*this).entry(localId));
}

int Outbox::pendingCount() const
{
    return int(std::count_if(m_entries.cbegin(), m_entries.cend(),
                             [](const Entry &entry) { return entry.status != Delivery::Failed; }));
}

qint64 Outbox::enqueue(qint64 toUserId, std::optional<qint64> domainId, const QString &body)
{
    Entry entry;
    entry.localId = m_nextLocalId--;
    entry.toUserId = toUserId;
    entry.domainId = domainId;
    entry.body = body;
    entry.clientId = QUuid::createUuid().toString(QUuid::WithoutBraces);
    entry.createdAt = protocol::nowMs();
    entry.status = Delivery::Queued;
    m_entries.append(entry);
    save();
    Q_EMIT added(entry.localId);
    Q_EMIT pendingCountChanged();
    pump();
    return entry.localId;
}

void Outbox::retry(qint64 localId)
{
    const auto it = std::find_if(m_entries.begin(), m_entries.end(),
                                 [localId](const Entry &e) { return e.localId == localId; });
    if (it == m_entries.end() || it->status != Delivery::Failed)
        return;
    Entry entry = *it;
    m_entries.erase(it);
    entry.status = Delivery::Queued;
    entry.errorString.clear();
    m_entries.append(entry);
    save();
    Q_EMIT changed(localId);
    Q_EMIT pendingCountChanged();
    pump();
}

void Outbox::discard(qint64 localId)
{
    const auto it = std::find_if(m_entries.begin(), m_entries.end(),
                                 [localId](const Entry &e) { return e.localId == localId; });
    if (it == m_entries.end() || it->status == Delivery::Sending)
        return;
    m_entries.erase(it);
    save();
    Q_EMIT removed(localId);
    Q_EMIT pendingCountChanged();
}

void Outbox::clear()
{
    const QList<Entry> entries = std::exchange(m_entries, {});
    for (const Entry &entry : entries)
        Q_EMIT removed(entry.localId);
    Q_EMIT pendingCountChanged();
}

void Outbox::setStatus(Entry &entry, Delivery status, const QString &error)
{
    entry.status = status;
    entry.errorString = error;
    if (status != Delivery::Sending)
        save();
    Q_EMIT changed(entry.localId);
}

void Outbox::pump()
{
    if (m_inFlight || m_realtime.state() != RealtimeClient::State::Connected)
        return;
    const auto next = std::find_if(m_entries.begin(), m_entries.end(),
                                   [](const Entry &e) { return e.status == Delivery::Queued; });
    if (next == m_entries.end())
        return;
    m_inFlight = true;
    setStatus(*next, Delivery::Sending);
    QJsonObject body{{QLatin1String("to_user_id"), next->toUserId},
                     {QLatin1String("body"), next->body},
                     {QLatin1String("client_id"), next->clientId}};
    if (next->domainId)
        body.insert(QLatin1String("domain_id"), *next->domainId);
    const qint64 localId = next->localId;
    m_api.request(
        this, "POST", QStringLiteral("/api/messages"), body,
        [this, localId](const ApiResult &result) {
            m_inFlight = false;
            Entry *entry = find(localId);
            if (!entry) // cleared meanwhile (signed out)
                return;
            const auto message =
                protocol::Message::fromJson(result.json.value(QLatin1String("message")).toObject());
            // 200: the server had it already (an earlier answer was lost on the way).
            if ((result.status == 201 || result.status == 200) && message) {
                m_entries.removeIf([localId](const Entry &e) { return e.localId == localId; });
                save();
                Q_EMIT delivered(localId, *message);
                Q_EMIT pendingCountChanged();
                pump();
            } else if (result.status == 0 || result.status >= 500 || result.status == 429) {
                // Not the message's fault: keep it first in line and try again later.
                setStatus(*entry, Delivery::Queued, result.errorString);
                m_retryTimer.start();
            } else {
                setStatus(*entry, Delivery::Failed, result.reason());
                Q_EMIT pendingCountChanged();
                pump();
            }
        });
}

} // namespace flippdeal::client
