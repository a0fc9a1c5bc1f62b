// SPDX-License-Identifier: MIT
#include "cluster/redisconnection.h"

#include "core/logging.h"

#include <QHostAddress>
#include <QHostInfo>
#include <QRandomGenerator>
#include <QSocketNotifier>

#include <hiredis/async.h>

#include <vector>

namespace flippdeal::server {

struct RedisConnection::Pending
{
    RedisConnection *self;
    Callback done;
    qsizetype bytes;
};

RedisReply RedisReply::from(const redisReply *reply)
{
    RedisReply out;
    if (!reply)
        return out;
    switch (reply->type) {
    case REDIS_REPLY_STRING:
        out.type = Type::String;
        break;
    case REDIS_REPLY_STATUS:
        out.type = Type::Status;
        break;
    case REDIS_REPLY_ERROR:
        out.type = Type::Error;
        break;
    case REDIS_REPLY_INTEGER:
        out.type = Type::Integer;
        out.integer = reply->integer;
        return out;
    case REDIS_REPLY_ARRAY:
        out.type = Type::Array;
        for (size_t i = 0; i < reply->elements; ++i)
            out.elements.append(from(reply->element[i]));
        return out;
    default:
        out.type = Type::Nil;
        return out;
    }
    out.text = QByteArray(reply->str, qsizetype(reply->len));
    return out;
}

RedisConnection::RedisConnection(RedisUrl url, QString role, QObject *parent)
    : QObject(parent)
    , m_url(std::move(url))
    , m_role(std::move(role))
{
    m_retry.setSingleShot(true);
    connect(&m_retry, &QTimer::timeout, this, &RedisConnection::connectNow);
    m_connectDeadline.setSingleShot(true);
    m_connectDeadline.setInterval(ConnectTimeoutMs);
    connect(&m_connectDeadline, &QTimer::timeout, this, [this] {
        qCWarning(lcApp).noquote() << "redis" << m_role << "connection: no answer from"
                                   << m_url.display() << "within" << ConnectTimeoutMs << "ms";
        drop();
    });
}

RedisConnection::~RedisConnection()
{
    m_closing = true;
    if (redisAsyncContext *ctx = std::exchange(m_ctx, nullptr)) {
        ctx->data = nullptr;
        // hiredis calls every pending callback with no reply; m_closing keeps them from
        // reaching their owners. Never destroy a connection from inside one of its callbacks:
        // hiredis would defer the free, then call back into this object.
        redisAsyncFree(ctx);
    }
    dropNotifiers();
}

void RedisConnection::open()
{
    if (!m_ctx && !m_retry.isActive())
        connectNow();
}

void RedisConnection::connectNow()
{
    if (m_closing || m_ctx || m_resolving)
        return;
    // hiredis resolves a host name with a blocking getaddrinfo(): on the event loop that would
    // hold every socket while DNS is slow. Qt resolves it on a thread of its own first.
    if (QHostAddress(m_url.host).isNull()) {
        m_resolving = true;
        QHostInfo::lookupHost(m_url.host, this, [this](const QHostInfo &info) {
            m_resolving = false;
            if (info.error() != QHostInfo::NoError || info.addresses().isEmpty()) {
                qCDebug(lcApp).noquote()
                    << "redis" << m_role << "cannot resolve" << m_url.host << info.errorString();
                lost(QString());
                return;
            }
            connectTo(info.addresses().constFirst().toString());
        });
        return;
    }
    connectTo(m_url.host);
}

void RedisConnection::connectTo(const QString &address)
{
    if (m_closing || m_ctx)
        return;
    const QByteArray host = address.toUtf8();
    redisAsyncContext *ctx = redisAsyncConnect(host.constData(), m_url.port);
    if (!ctx || ctx->err) {
        qCDebug(lcApp).noquote() << "redis" << m_role << "connection failed:"
                                 << (ctx ? QString::fromUtf8(ctx->errstr) : QString());
        if (ctx)
            redisAsyncFree(ctx);
        lost(QString());
        return;
    }
    attach(ctx);
    m_connectDeadline.start();
    // Queued at once; hiredis sends them as soon as the connection is made, in this order.
    const auto refused = [this](const char *what) {
        return [this, what](const RedisReply &reply) {
            if (reply.type != RedisReply::Type::Error)
                return;
            qCWarning(lcApp).noquote()
                << "redis" << m_role << "connection:" << what << QString::fromUtf8(reply.text);
            drop();
        };
    };
    if (!m_url.password.isEmpty()) {
        QList<QByteArray> auth{QByteArrayLiteral("AUTH")};
        if (!m_url.user.isEmpty())
            auth << m_url.user;
        auth << m_url.password;
        send(auth, new Pending{this, refused("Redis refused the password:"), 0});
    }
    send({"SELECT", QByteArray::number(m_url.db)},
         new Pending{this, refused("Redis refused the database:"), 0});
    send({"PING"}, new Pending{this,
                               [this](const RedisReply &reply) {
                                   if (!reply.ok() || m_up || !m_ctx)
                                       return;
                                   // A subscriber is up once Redis has confirmed every
                                   // SUBSCRIBE: before that, messages would be missed.
                                   m_unconfirmed = int(m_channels.size());
                                   for (const QByteArray &channel : std::as_const(m_channels))
                                       sendSubscribe(channel);
                                   if (m_unconfirmed == 0)
                                       becomeUp();
                               },
                               0});
}

void RedisConnection::becomeUp()
{
    m_connectDeadline.stop();
    m_up = true;
    m_backoffMs = MinBackoffMs;
    if (m_everUp)
        qCInfo(lcApp).noquote() << "redis" << m_role << "connection is back";
    m_everUp = true;
    Q_EMIT up();
}

void RedisConnection::attach(redisAsyncContext *ctx)
{
    m_ctx = ctx;
    dropNotifiers();
    makeNotifiers(ctx->c.fd);
    ctx->data = this;
    ctx->ev.data = this;
    ctx->ev.addRead = &RedisConnection::addRead;
    ctx->ev.delRead = &RedisConnection::delRead;
    ctx->ev.addWrite = &RedisConnection::addWrite;
    ctx->ev.delWrite = &RedisConnection::delWrite;
    ctx->ev.cleanup = &RedisConnection::cleanup;
    redisAsyncSetConnectCallback(ctx, &RedisConnection::onConnect);
    redisAsyncSetDisconnectCallback(ctx, &RedisConnection::onDisconnect);
}

bool RedisConnection::command(const QList<QByteArray> &args, Callback done)
{
    // A subscribed connection takes no other command (hiredis 0.14 would route its reply to a
    // subscription's callback).
    if (!m_up || !m_ctx || !m_channels.isEmpty())
        return false;
    qsizetype bytes = 0;
    for (const QByteArray &arg : args)
        bytes += arg.size() + 16;
    if (m_pendingBytes + bytes > MaxPendingBytes)
        return false;
    return send(args, new Pending{this, std::move(done), bytes});
}

bool RedisConnection::send(const QList<QByteArray> &args, Pending *pending)
{
    std::vector<const char *> argv;
    std::vector<size_t> lengths;
    argv.reserve(size_t(args.size()));
    lengths.reserve(size_t(args.size()));
    for (const QByteArray &arg : args) {
        argv.push_back(arg.constData());
        lengths.push_back(size_t(arg.size()));
    }
    if (redisAsyncCommandArgv(m_ctx, &RedisConnection::onReply, pending, int(argv.size()),
                              argv.data(), lengths.data()) != REDIS_OK) {
        delete pending;
        return false;
    }
    m_pendingBytes += pending->bytes;
    return true;
}

void RedisConnection::subscribe(const QByteArray &channel)
{
    Q_ASSERT(!m_ctx); // before open(): the channels are subscribed as the connection comes up
    if (!m_channels.contains(channel))
        m_channels.append(channel);
}

void RedisConnection::sendSubscribe(const QByteArray &channel)
{
    const char *argv[] = {"SUBSCRIBE", channel.constData()};
    const size_t lengths[] = {9, size_t(channel.size())};
    redisAsyncCommandArgv(m_ctx, &RedisConnection::onSubscription, this, 2, argv, lengths);
}

void RedisConnection::drop()
{
    redisAsyncContext *ctx = std::exchange(m_ctx, nullptr);
    if (!ctx)
        return;
    ctx->data = nullptr; // its disconnect callback is this call's, not another loss
    redisAsyncFree(ctx); // deferred by hiredis when called from one of its callbacks
    lost(QStringLiteral("dropped"));
}

void RedisConnection::lost(const QString &why)
{
    const bool wasUp = std::exchange(m_up, false);
    m_connectDeadline.stop();
    if (m_closing)
        return;
    if (wasUp) {
        qCWarning(lcApp).noquote()
            << "redis" << m_role << "connection to" << m_url.display() << "lost"
            << (why.isEmpty() ? QString() : QStringLiteral("(%1)").arg(why)) << "- reconnecting";
        Q_EMIT down();
    }
    scheduleReconnect();
}

void RedisConnection::scheduleReconnect()
{
    if (m_retry.isActive())
        return;
    // ±20 %, so that the nodes of a cluster do not all come back in the same millisecond.
    const int jitter =
        int(QRandomGenerator::global()->bounded(m_backoffMs * 2 / 5 + 1)) - m_backoffMs / 5;
    m_retry.start(std::max(10, m_backoffMs + jitter));
    m_backoffMs = std::min(m_backoffMs * 2, MaxBackoffMs);
    ++m_reconnects;
}

void RedisConnection::onConnect(const redisAsyncContext *ctx, int status)
{
    auto *self = static_cast<RedisConnection *>(ctx->data);
    if (status == REDIS_OK || !self)
        return;
    // hiredis frees the context when this returns.
    qCDebug(lcApp).noquote() << "redis" << self->m_role
                             << "connection failed:" << QString::fromUtf8(ctx->errstr);
    self->m_ctx = nullptr;
    self->lost(QString());
}

void RedisConnection::onDisconnect(const redisAsyncContext *ctx, int /*status*/)
{
    auto *self = static_cast<RedisConnection *>(ctx->data);
    if (!self)
        return;
    const QString why = ctx->err ? QString::fromUtf8(ctx->errstr) : QStringLiteral("closed");
    self->m_ctx = nullptr;
    self->lost(why);
}

void RedisConnection::onReply(redisAsyncContext * /*ctx*/, void *reply, void *privdata)
{
    std::unique_ptr<Pending> pending(static_cast<Pending *>(privdata));
    RedisConnection *self = pending->self;
    self->m_pendingBytes -= pending->bytes;
    if (self->m_closing || !pending->done)
        return;
    pending->done(RedisReply::from(static_cast<const redisReply *>(reply)));
}

void RedisConnection::onSubscription(redisAsyncContext *ctx, void *reply, void *privdata)
{
    const auto *r = static_cast<const redisReply *>(reply);
    if (!r || !ctx->data || r->type != REDIS_REPLY_ARRAY || r->elements != 3)
        return;
    auto *self = static_cast<RedisConnection *>(privdata);
    const redisReply *kind = r->element[0];
    if (kind->type != REDIS_REPLY_STRING)
        return;
    if (qstrncmp(kind->str, "subscribe", 10) == 0) {
        if (!self->m_up && --self->m_unconfirmed == 0)
            self->becomeUp();
        return;
    }
    if (qstrncmp(kind->str, "message", 8) != 0)
        return;
    const redisReply *channel = r->element[1];
    const redisReply *payload = r->element[2];
    Q_EMIT self->message(QByteArray(channel->str, qsizetype(channel->len)),
                         QByteArray(payload->str, qsizetype(payload->len)));
}

// One pair of notifiers per context, made when it is attached and switched on and off as
// hiredis asks (it asks for writes around every burst of commands).
void RedisConnection::makeNotifiers(int fd)
{
    m_read = new QSocketNotifier(qintptr(fd), QSocketNotifier::Read, this);
    m_read->setEnabled(false);
    connect(m_read, &QSocketNotifier::activated, this, [this] {
        if (m_ctx)
            redisAsyncHandleRead(m_ctx);
    });
    m_write = new QSocketNotifier(qintptr(fd), QSocketNotifier::Write, this);
    m_write->setEnabled(false);
    connect(m_write, &QSocketNotifier::activated, this, [this] {
        if (m_ctx)
            redisAsyncHandleWrite(m_ctx);
    });
}

void RedisConnection::addRead(void *data)
{
    if (QSocketNotifier *n = static_cast<RedisConnection *>(data)->m_read)
        n->setEnabled(true);
}

void RedisConnection::delRead(void *data)
{
    if (QSocketNotifier *n = static_cast<RedisConnection *>(data)->m_read)
        n->setEnabled(false);
}

void RedisConnection::addWrite(void *data)
{
    if (QSocketNotifier *n = static_cast<RedisConnection *>(data)->m_write)
        n->setEnabled(true);
}

void RedisConnection::delWrite(void *data)
{
    if (QSocketNotifier *n = static_cast<RedisConnection *>(data)->m_write)
        n->setEnabled(false);
}

void RedisConnection::cleanup(void *data)
{
    static_cast<RedisConnection *>(data)->dropNotifiers();
}

void RedisConnection::dropNotifiers()
{
    // Before hiredis closes the descriptor; later, since this may run inside activated().
    for (QSocketNotifier *n : {std::exchange(m_read, nullptr), std::exchange(m_write, nullptr)}) {
        if (n) {
            n->setEnabled(false);
            n->deleteLater();
        }
    }
}

} // namespace flippdeal::server
