// SPDX-License-Identifier: MIT
#include "testhelpers.h"

#include "protocol/types.h"

#include <QDebug>
#include <QEventLoop>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QTimer>

#include <algorithm>
#include <functional>
#include <vector>

namespace flippdeal::testing {

namespace {

//! Runs `sql` with `binds` and hands every row to `onRow`; false (and a warning) on failure.
bool forEachRow(server::Database &db, const QString &sql, const QVariantList &binds,
                const std::function<void(const server::SqlQuery &)> &onRow)
{
    try {
        server::SqlQuery query(db, sql);
        for (const QVariant &value : binds)
            query.bind(value);
        query.exec();
        while (query.next())
            onRow(query);
        return true;
    } catch (const server::DbError &error) {
        qWarning() << "SQL failed:" << error.what();
        return false;
    }
}

} // namespace

QString describe(const Reply &reply)
{
    return QStringLiteral("%1 %2").arg(reply.status).arg(QString::fromUtf8(reply.body.left(300)));
}

qint64 intOf(const QJsonObject &object, const char *key)
{
    return object.value(QLatin1String(key)).toInteger(-1);
}

QJsonObject objectOf(const Reply &reply, const char *key)
{
    return reply.json.value(QLatin1String(key)).toObject();
}

QJsonObject fieldErrors(const Reply &reply)
{
    return reply.json.value(QLatin1String("errors")).toObject();
}

bool isIsoMs(const QJsonValue &value)
{
    static const QRegularExpression pattern(
        QStringLiteral(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$)"));
    return value.isString() && pattern.match(value.toString()).hasMatch();
}

qint64 seqOf(const QJsonObject &frame)
{
    const QJsonValue seq = frame.value(QLatin1String("seq"));
    if (!seq.isDouble() || seq.toDouble() != double(seq.toInteger()))
        return -1;
    return seq.toInteger();
}

QString frameText(const QJsonObject &frame)
{
    return QString::fromUtf8(QJsonDocument(frame).toJson(QJsonDocument::Compact));
}

QList<qint64> seqsOf(const QJsonArray &events)
{
    QList<qint64> seqs;
    for (const QJsonValue &e : events)
        seqs.append(e.toObject().value(QLatin1String("seq")).toInteger(-1));
    return seqs;
}

QList<qint64> range(qint64 from, qint64 to)
{
    QList<qint64> values;
    for (qint64 i = from; i <= to; ++i)
        values.append(i);
    return values;
}

void waitForFinished(QNetworkReply *reply, int timeoutMs)
{
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    if (!reply->isFinished())
        loop.exec();
}

Reply toReply(QNetworkReply *reply)
{
    Reply result;
    result.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    result.body = reply->readAll();
    if (result.status == 0)
        result.body = reply->errorString().toUtf8();
    result.json = QJsonDocument::fromJson(result.body).object();
    for (const auto &pair : reply->rawHeaderPairs())
        result.headers.append(pair);
    return result;
}

QNetworkReply *sendCall(QNetworkAccessManager &network, const Call &call, int timeoutMs)
{
    QNetworkRequest request(call.url);
    request.setTransferTimeout(timeoutMs);
    if (!call.token.isEmpty())
        request.setRawHeader("Authorization", "Bearer " + call.token);
    if (!call.body.isEmpty() || call.method == "POST" || call.method == "PATCH")
        request.setHeader(QNetworkRequest::ContentTypeHeader,
                          QByteArrayLiteral("application/json"));
    return network.sendCustomRequest(request, call.method, call.body);
}

QList<Reply> runAtOnce(const QList<Call> &calls, int timeoutMs, int managers)
{
    std::vector<std::unique_ptr<QNetworkAccessManager>> networks;
    for (int i = 0; i < managers; ++i)
        networks.push_back(std::make_unique<QNetworkAccessManager>());
    QList<QNetworkReply *> pending;
    for (qsizetype i = 0; i < calls.size(); ++i)
        pending.append(
            sendCall(*networks.at(std::size_t(i) % networks.size()), calls.at(i), timeoutMs));
    waitUntil(
        [&] {
            return std::all_of(pending.cbegin(), pending.cend(),
                               [](QNetworkReply *r) { return r->isFinished(); });
        },
        timeoutMs + 2000);
    QList<Reply> replies;
    for (QNetworkReply *reply : std::as_const(pending)) {
        if (!reply->isFinished())
            reply->abort();
        replies.append(toReply(reply));
        delete reply;
    }
    return replies;
}

Reply send(const Call &call)
{
    return runAtOnce({call}).first();
}

Session sessionOf(const Reply &reply)
{
    if (reply.status != 201)
        qWarning() << "register failed" << reply.status << reply.body;
    Session session;
    session.user = protocol::User::fromJson(reply.json.value(QLatin1String("user")).toObject())
                       .value_or(protocol::User{});
    session.token = reply.json.value(QLatin1String("token")).toString().toLatin1();
    return session;
}

qint64 sqlScalar(server::Database &db, const QString &sql, const QVariantList &binds)
{
    try {
        server::SqlQuery query(db, sql);
        for (const QVariant &value : binds)
            query.bind(value);
        return query.scalar();
    } catch (const server::DbError &error) {
        qWarning() << "SQL failed:" << error.what();
        return -1;
    }
}

QList<qint64> sqlIntegers(server::Database &db, const QString &sql, const QVariantList &binds)
{
    QList<qint64> values;
    if (!forEachRow(db, sql, binds,
                    [&](const server::SqlQuery &row) { values.append(row.int64(0)); }))
        values.append(-1);
    return values;
}

QStringList sqlTexts(server::Database &db, const QString &sql, const QVariantList &binds)
{
    QStringList values;
    if (!forEachRow(db, sql, binds, [&](const server::SqlQuery &row) {
            values.append(row.value(0).isNull() ? QStringLiteral("<null>") : row.text(0));
        }))
        values.append(QStringLiteral("<SQL error>"));
    return values;
}

bool sqlExec(server::Database &db, const QString &sql, const QVariantList &binds)
{
    return db.transaction([&] {
        server::SqlQuery query(db, sql);
        for (const QVariant &value : binds)
            query.bind(value);
        query.exec();
        return true;
    });
}

QList<qint64> storedSeqs(server::Database &db, const QString &channel)
{
    return sqlIntegers(db,
                       QStringLiteral("SELECT seq FROM channel_events WHERE channel = ? "
                                      "ORDER BY seq"),
                       {channel});
}

qint64 storedEventCount(server::Database &db, const QString &channel, const QString &event)
{
    return sqlScalar(
        db, QStringLiteral("SELECT COUNT(*) FROM channel_events WHERE channel = ? AND event = ?"),
        {channel, event});
}

QList<QJsonObject> notificationData(server::Database &db, qint64 userId, const QString &type,
                                    const char *key, qint64 value)
{
    QList<QJsonObject> result;
    const QStringList rows = sqlTexts(
        db,
        QStringLiteral("SELECT data FROM notifications WHERE user_id = ? AND type = ? ORDER BY id"),
        {userId, type});
    for (const QString &row : rows) {
        const QJsonObject data = QJsonDocument::fromJson(row.toUtf8()).object();
        if (data.value(QLatin1String(key)).toInteger(-1) == value)
            result.append(data);
    }
    return result;
}

std::unique_ptr<server::Database> openDirect(const QString &url)
{
    auto db = std::make_unique<server::Database>();
    if (!db->open(url)) {
        qWarning() << "cannot open the test database:" << db->errorString();
        return nullptr;
    }
    return db;
}

} // namespace flippdeal::testing
