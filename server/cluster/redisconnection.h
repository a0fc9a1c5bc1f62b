// SPDX-License-Identifier: MIT
#pragma once

#include "cluster/redisurl.h"

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QTimer>

#include <functional>
#include <memory>

struct redisAsyncContext;
struct redisReply;
class QSocketNotifier;

namespace flippdeal::server {

//! \brief A Redis reply, copied out of hiredis's so that it outlives the callback.
struct RedisReply
{
    enum class Type
    {
        Nil,
        Integer,
        String,
        Status,
        Error,
        Array,
        Disconnected
    };
    Type type = Type::Disconnected;
    QByteArray text; //!< String, Status and Error
    qint64 integer = 0;
    QList<RedisReply> elements;

    bool ok() const { return type != Type::Error && type != Type::Disconnected; }
    static RedisReply from(const redisReply *reply);
};

//! \brief One connection to Redis on the event loop, through hiredis's asynchronous API.
//!
//! It connects, authenticates and selects the database, then says up(); it says down() when the
//! connection is lost, and connects again with a backoff from 100 ms to 5 s. Commands are
//! refused while it is down, and beyond MaxPendingBytes of commands Redis has not answered
//! (a stalled Redis must not grow the node's memory). Channels given to subscribe() are
//! subscribed again on every new connection; their messages come out as message().
//!
//! hiredis calls back through five function pointers (`ev.addRead` …); this class implements
//! them with two QSocketNotifiers of its own rather than hiredis's `adapters/qt.h`, whose
//! adapter writes into its context when it is destroyed, by which time hiredis has freed a
//! context that lost its connection, and never deletes its notifiers.
class RedisConnection : public QObject
{
    Q_OBJECT

public:
    using Callback = std::function<void(const RedisReply &)>;
    static constexpr qsizetype MaxPendingBytes = 32 * 1024 * 1024;
    static constexpr int ConnectTimeoutMs = 3000;
    static constexpr int MinBackoffMs = 100;
    static constexpr int MaxBackoffMs = 5000;

    RedisConnection(RedisUrl url, QString role, QObject *parent = nullptr);
    ~RedisConnection() override;

    //! Starts connecting (and reconnecting after every loss).
    void open();
    bool isUp() const { return m_up; }
    //! Sends one command; `done` gets the reply (type Disconnected if the connection is lost
    //! first). False, and `done` is never called, while down or over MaxPendingBytes.
    bool command(const QList<QByteArray> &args, Callback done = {});
    //! Makes this a subscriber (before open()): `channel` is subscribed on every connection,
    //! up() comes once Redis has confirmed it, and command() refuses everything.
    void subscribe(const QByteArray &channel);
    qsizetype pendingBytes() const { return m_pendingBytes; }
    quint64 reconnects() const { return m_reconnects; }
    //! Drops the connection as if Redis had closed it (the tests' outage; a stalled Redis).
    void drop();

Q_SIGNALS:
    void up();
    void down();
    void message(const QByteArray &channel, const QByteArray &payload);

private:
    struct Pending;
    static void onConnect(const redisAsyncContext *ctx, int status);
    static void onDisconnect(const redisAsyncContext *ctx, int status);
    static void onReply(redisAsyncContext *ctx, void *reply, void *privdata);
    static void onSubscription(redisAsyncContext *ctx, void *reply, void *privdata);
    static void addRead(void *self);
    static void delRead(void *self);
    static void addWrite(void *self);
    static void delWrite(void *self);
    static void cleanup(void *self);

    void connectNow();
    void connectTo(const QString &address);
    void attach(redisAsyncContext *ctx);
    void becomeUp();
    void makeNotifiers(int fd);
    bool send(const QList<QByteArray> &args, Pending *pending);
    void sendSubscribe(const QByteArray &channel);
    void lost(const QString &why);
    void scheduleReconnect();
    void dropNotifiers();

    RedisUrl m_url;
    QString m_role;
    redisAsyncContext *m_ctx = nullptr;
    QSocketNotifier *m_read = nullptr;
    QSocketNotifier *m_write = nullptr;
    QList<QByteArray> m_channels;
    QTimer m_retry;
    QTimer m_connectDeadline;
    int m_backoffMs = MinBackoffMs;
    qsizetype m_pendingBytes = 0;
    quint64 m_reconnects = 0;
    int m_unconfirmed = 0; // SUBSCRIBEs Redis has not confirmed on this connection
    bool m_up = false;
    bool m_everUp = false;
    bool m_resolving = false;
    bool m_closing = false;
};

} // namespace flippdeal::server
