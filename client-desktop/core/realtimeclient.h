// SPDX-License-Identifier: MIT
#pragma once

#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QSet>
#include <QTimer>
#include <QWebSocket>
#include <QtQmlIntegration/qqmlintegration.h>

namespace flippdeal::client {

class ApiClient;

//! \brief The desktop client's Pusher protocol 7 connection, with what pusher-js leaves out:
//! every missed event is recovered. Events on private and presence channels carry a per-channel
//! `seq`; after a reconnect, or when a `seq` is skipped, the client fetches what it missed from
//! the history endpoint and delivers it in order, with no gaps and no duplicates.
//!
//! Reconnects by itself with exponential backoff and jitter, resubscribes, answers and sends
//! pings, and exposes its state for bindings.
class RealtimeClient : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("The connection belongs to AppContext")
    Q_PROPERTY(State state READ state NOTIFY stateChanged)
    //! The state as pusher-js names it: `initialized`, `connecting`, `connected`,
    //! `unavailable` or `disconnected` (for QML).
    Q_PROPERTY(QString stateName READ stateName NOTIFY stateChanged)
    Q_PROPERTY(QString errorString READ errorString NOTIFY errorStringChanged)
    Q_PROPERTY(QString socketId READ socketId NOTIFY stateChanged)

public:
    //! The connection states of pusher-js, so web and desktop code read alike.
    enum class State
    {
        Initialized, //!< never connected
        Connecting,  //!< opening the socket or waiting for connection_established
        Connected,   //!< ready; subscriptions are live
        Unavailable, //!< lost; a reconnect is scheduled
        Disconnected //!< closed on purpose
    };
    Q_ENUM(State)

    RealtimeClient(ApiClient &api, QString appKey, QObject *parent = nullptr);
    ~RealtimeClient() override;

    State state() const { return m_state; }
    QString stateName() const;
    QString errorString() const { return m_errorString; }
    QString socketId() const { return m_socketId; }

    //! Connects to the API client's server (`http` → `ws`, `https` → `wss`, trusting the API
    //! client's CA certificates; an untrusted certificate is an error, never ignored).
    Q_INVOKABLE void connectToServer();
    Q_INVOKABLE void disconnectFromServer();
    //! Subscribes now if connected, and again after every reconnect.
    Q_INVOKABLE void subscribe(const QString &channel);
    Q_INVOKABLE void unsubscribe(const QString &channel);
    //! A `client-*` event (typing indicators); private and presence channels only.
    Q_INVOKABLE void sendClientEvent(const QString &channel, const QString &event,
                                     const QJsonObject &data);
    //! The last `seq` delivered on `channel` (0 before the first).
    qint64 lastSeq(const QString &channel) const { return m_lastSeq.value(channel); }

    //! Backoff bounds: the first retry waits about `initialMs`, doubling up to `maxMs`.
    void setReconnectDelays(int initialMs, int maxMs);

Q_SIGNALS:
    void stateChanged();
    void errorStringChanged();
    void subscribed(const QString &channel);
    void subscriptionFailed(const QString &channel, const QString &reason);
    //! An application event, live or recovered, exactly once and in `seq` order per channel.
    void eventReceived(const QString &channel, const QString &event, const QJsonObject &data,
                       qint64 seq);
    void clientEventReceived(const QString &channel, const QString &event, const QJsonObject &data,
                             const QString &userId);
    void membersReset(const QString &channel, const QJsonObject &members);
    void memberAdded(const QString &channel, const QString &userId, const QJsonObject &info);
    void memberRemoved(const QString &channel, const QString &userId);
    //! `count` missed events were fetched from the history endpoint for `channel`.
    void recovered(const QString &channel, int count);

private:
    struct Pending
    {
        QString event;
        QJsonObject data;
        qint64 seq;
    };

    void setState(State state);
    void setError(const QString &error);
    void onTextMessage(const QString &text);
    void onDisconnected();
    void sendSubscribe(const QString &channel);
    void onConnectionEstablished(const QJsonObject &data);
    //! `head` is the frame's `seq`: where the channel stood when the subscription began.
    void onSubscriptionSucceeded(const QString &channel, const QJsonValue &head,
                                 const QJsonObject &data);
    //! An app event; `seq` is 0 for channels without a sequence.
    void onChannelEvent(const QString &channel, const QString &event, const QJsonObject &data,
                        qint64 seq);
    void deliver(const QString &channel, const QString &event, const QJsonObject &data, qint64 seq);
    void recover(const QString &channel);
    void fetchBaseline(const QString &channel);
    void scheduleReconnect();
    void send(const QJsonObject &frame);

    ApiClient &m_api;
    QString m_appKey;
    QWebSocket m_socket;
    State m_state = State::Initialized;
    QString m_errorString;
    QString m_certificateError; // of the last TLS handshake, shown instead of Qt's bare error
    QString m_socketId;
    QSet<QString> m_channels;                 // wanted subscriptions
    QHash<QString, qint64> m_lastSeq;         // delivered so far
    QHash<QString, QList<Pending>> m_pending; // live events held while recovering
    QSet<QString> m_recovering;
    QTimer m_reconnectTimer;
    QTimer m_activityTimer; // silence → we ping
    QTimer m_pongTimer;     // no answer → reconnect
    int m_attempt = 0;
    int m_initialDelayMs = 1000;
    int m_maxDelayMs = 30000;
    bool m_wanted = false;
};

} // namespace flippdeal::client
