// SPDX-License-Identifier: MIT
#include "cluster/redisurl.h"

#include <QUrl>

#include <hiredis/hiredis.h>

#include <memory>

namespace flippdeal::server {

namespace {
constexpr int MaxDatabase = 1000; // Redis has 16 by default; `databases` can raise it

ApiError invalid(const QString &why)
{
    return ApiError::badRequest(why); // completed by Config: "--redis: redis <why>"
}
} // namespace

Expected<RedisUrl> RedisUrl::parse(const QString &text)
{
    if (text.startsWith(QLatin1String("rediss://"), Qt::CaseInsensitive))
        return invalid(QStringLiteral("cannot use TLS (rediss://): reach Redis on a private "
                                      "network or through a local tunnel"));
    if (!text.startsWith(QLatin1String("redis://"), Qt::CaseInsensitive))
        return invalid(QStringLiteral("must start with redis://"));
    const QUrl url(text, QUrl::StrictMode);
    if (!url.isValid() || url.host().isEmpty())
        return invalid(QStringLiteral("must be redis://[:password@]host[:port][/db]"));
    if (url.hasQuery() || url.hasFragment())
        return invalid(QStringLiteral("must have no query or fragment"));
    RedisUrl out;
    out.host = url.host();
    out.port = url.port(6379);
    if (out.port <= 0 || out.port > 65535)
        return invalid(QStringLiteral("must have a port from 1 to 65535"));
    out.user = url.userName(QUrl::FullyDecoded).toUtf8();
    out.password = url.password(QUrl::FullyDecoded).toUtf8();
    if (!out.user.isEmpty() && out.password.isEmpty())
        return invalid(
            QStringLiteral("must give a password with a user (redis://user:password@host)"));
    QString path = url.path();
    if (path.startsWith(QLatin1Char('/')))
        path.remove(0, 1);
    if (!path.isEmpty()) {
        bool ok = false;
        out.db = path.toInt(&ok);
        if (!ok || out.db < 0 || out.db > MaxDatabase || path != QString::number(out.db))
            return invalid(
                QStringLiteral("must end with a database number from 0 to %1").arg(MaxDatabase));
    }
    return out;
}

QString RedisUrl::display() const
{
    return QStringLiteral("%1:%2/%3").arg(host).arg(port).arg(db);
}

namespace {
struct ContextFree
{
    void operator()(redisContext *c) const { redisFree(c); }
};
struct ReplyFree
{
    void operator()(redisReply *r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyFree>;

//! One command on `c`: the reply, or a message naming `what` went wrong.
Expected<Reply> ask(redisContext *c, const QList<QByteArray> &args, const char *what)
{
    std::vector<const char *> argv;
    std::vector<size_t> lengths;
    for (const QByteArray &arg : args) {
        argv.push_back(arg.constData());
        lengths.push_back(size_t(arg.size()));
    }
    Reply reply(static_cast<redisReply *>(
        redisCommandArgv(c, int(argv.size()), argv.data(), lengths.data())));
    if (!reply)
        return ApiError::badRequest(
            QStringLiteral("%1: %2").arg(QLatin1String(what), QString::fromUtf8(c->errstr)));
    if (reply->type == REDIS_REPLY_ERROR)
        return ApiError::badRequest(QStringLiteral("%1: %2").arg(
            QLatin1String(what), QString::fromUtf8(reply->str, int(reply->len))));
    return reply;
}
} // namespace

Expected<QString> probeRedis(const RedisUrl &url, int timeoutMs)
{
    const timeval timeout{timeoutMs / 1000, (timeoutMs % 1000) * 1000};
    const QByteArray host = url.host.toUtf8();
    std::unique_ptr<redisContext, ContextFree> c(
        redisConnectWithTimeout(host.constData(), url.port, timeout));
    const QString where = url.display();
    if (!c || c->err)
        return ApiError::badRequest(
            QStringLiteral("cannot reach Redis at %1: %2")
                .arg(where, c ? QString::fromUtf8(c->errstr) : QStringLiteral("out of memory")));
    redisSetTimeout(c.get(), timeout);
    if (!url.password.isEmpty()) {
        QList<QByteArray> auth{QByteArrayLiteral("AUTH")};
        if (!url.user.isEmpty())
            auth << url.user;
        auth << url.password;
        if (auto r = ask(c.get(), auth, "Redis refused the password"); !r)
            return r.error();
    }
    if (auto r = ask(c.get(), {"SELECT", QByteArray::number(url.db)}, "Redis refused the database");
        !r)
        return r.error();
    auto info = ask(c.get(), {"INFO", "server"}, "Redis did not answer");
    if (!info)
        return ApiError::badRequest(QStringLiteral("%1 (at %2)").arg(info.error().message, where));
    const QByteArray text((*info)->str, int((*info)->len));
    const qsizetype at = text.indexOf("redis_version:");
    if (at < 0)
        return QStringLiteral("unknown");
    const qsizetype end = text.indexOf('\r', at);
    return QString::fromLatin1(text.mid(at + 14, end - at - 14));
}

} // namespace flippdeal::server
