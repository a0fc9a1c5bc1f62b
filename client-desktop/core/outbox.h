// SPDX-License-Identifier: MIT
#pragma once

#include "protocol/types.h"

#include <QList>
#include <QObject>
#include <QSettings>
#include <QTimer>
#include <QtQmlIntegration/qqmlintegration.h>

namespace flippdeal::client {

class ApiClient;
class RealtimeClient;

//! \brief Messages on their way to the server, in the order they were typed. One is sent at a
//! time, so they arrive in order; while the connection is down they wait, and go out as soon as
//! the realtime client is connected again. A message the server refuses (422) is marked failed
//! with the server's reason and can be retried or discarded; the ones after it still go out.
class Outbox : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("The outbox belongs to AppContext")
    Q_PROPERTY(int pendingCount READ pendingCount NOTIFY pendingCountChanged)

public:
    //! Where a message is on its way (MessageModel's `status` role).
    enum class Delivery
    {
        Sent,    //!< stored on the server (never an outbox entry)
        Queued,  //!< waits for its turn or the connection
        Sending, //!< on the wire
        Failed   //!< refused; can be retried or discarded
    };
    Q_ENUM(Delivery)

    struct Entry
    {
        qint64 localId = 0;
        qint64 toUserId = 0;
        std::optional<qint64> domainId;
        QString body;
        //! Sent as `client_id`: a retry after a lost answer is stored only once.
        QString clientId;
        qint64 createdAt = 0; //!< local time it was typed, ms since the epoch
        Delivery status = Delivery::Queued;
        QString errorString;
    };

    Outbox(ApiClient &api, RealtimeClient &realtime, QObject *parent = nullptr);

    //! Queues a message; returns its local id (negative, so it never collides with a server id).
    qint64 enqueue(qint64 toUserId, std::optional<qint64> domainId, const QString &body);
    //! Sends a failed message again, after the ones already queued.
    Q_INVOKABLE void retry(qint64 localId);
    Q_INVOKABLE void discard(qint64 localId);
    //! Drops everything (on sign-out).
    void clear();

    const QList<Entry> &entries() const { return m_entries; }
    const Entry *entry(qint64 localId) const;
    int pendingCount() const;

    //! How long to wait after a failure that is not the message's fault (server away, 5xx).
    void setRetryDelay(int ms) { m_retryTimer.setInterval(ms); }

    //! Keeps the entries in `settings` under `group` from now on, so messages typed offline
    //! survive quitting the app; loads what an earlier run left there (and sends it when
    //! connected). A message that was on the wire when the app stopped is queued again.
    void setStore(QSettings *settings, const QString &group);
    //! Forgets the stored entries too (on sign-out).
    void clearStore();

Q_SIGNALS:
    void added(qint64 localId);
    void changed(qint64 localId);
    //! The server stored it: `message` is what it stored. The entry is gone.
    void delivered(qint64 localId, const flippdeal::protocol::Message &message);
    void removed(qint64 localId);
    void pendingCountChanged();

private:
    void pump();
    Entry *find(qint64 localId);
    void setStatus(Entry &entry, Delivery status, const QString &error = {});
    void save();

    ApiClient &m_api;
    RealtimeClient &m_realtime;
    QList<Entry> m_entries;
    qint64 m_nextLocalId = -1;
    bool m_inFlight = false;
    QTimer m_retryTimer;
    QSettings *m_settings = nullptr;
    QString m_group;
};

} // namespace flippdeal::client
