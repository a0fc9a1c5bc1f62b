// SPDX-License-Identifier: MIT
// Durability and concurrency: what a 201 acknowledged survives kill -9; the outbox publishes
// what a crash left unpublished; several processes on one database keep every channel's seq
// unique and gap-free; pruning removes only old published history; /health and /metrics tell
// the truth.
#include "serverprocess.h"
#include "testhelpers.h"
#include "testserver.h"

#include "core/waitfor.h"
#include "events/eventstore.h"
#include "storage/database.h"

#include "protocol/timeformat.h"
#include "protocol/types.h"

#include <QEventLoop>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QSet>
#include <QTimer>
#include <QtTest>

#include <signal.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <vector>

#ifndef FLIPPDEAL_SERVER_BINARY
#error "FLIPPDEAL_SERVER_BINARY must name the flippdeal-server executable"
#endif

using namespace flippdeal;
using namespace flippdeal::testing;

namespace {

constexpr qint64 DayMs = qint64(24) * 3600 * 1000;
const QString ServerBinary = QString::fromUtf8(FLIPPDEAL_SERVER_BINARY);
//! Added to every node's command line: no message rate limit to speak of.
const QStringList NodeArguments{QStringLiteral("--message-rate"), QStringLiteral("100000")};

QJsonObject parseObject(const QString &json)
{
    return QJsonDocument::fromJson(json.toUtf8()).object();
}

qint64 messageIdOf(const QJsonObject &json)
{
    return json.value(QLatin1String("message")).toObject().value(QLatin1String("id")).toInteger(-1);
}

//! The id of the `message` inside a stored event's data (MessageSent, MessageRead).
qint64 messageIdInEventData(const QString &data)
{
    return messageIdOf(parseObject(data));
}

// ---------------------------------------------------------------------------------------------
// More direct SQL (sqlScalar and the like are in testhelpers.h).

qint64 unpublishedCount(server::Database &db)
{
    return sqlScalar(
        db, QStringLiteral("SELECT COUNT(*) FROM channel_events WHERE published_at IS NULL"));
}

//! Stores an event the way EventBatch does (next seq of the channel, then the row) but with
//! the given times: `publishedAt` empty is a row committed and never broadcast. Returns its seq,
//! or -1 on failure.
qint64 insertEvent(server::Database &db, const QString &channel, const QString &event,
                   const QJsonObject &data, qint64 createdAt, std::optional<qint64> publishedAt)
{
    qint64 seq = -1;
    const bool ok = db.transaction([&] {
        seq = server::SqlQuery(db, QStringLiteral("INSERT INTO channel_sequences (channel, "
                                                  "last_seq) VALUES (?, 1) "
                                                  "ON CONFLICT (channel) DO UPDATE SET last_seq = "
                                                  "channel_sequences.last_seq + 1 "
                                                  "RETURNING last_seq"))
                  .bind(channel)
                  .scalar();
        server::SqlQuery(db,
                         QStringLiteral("INSERT INTO channel_events (channel, seq, event, data, "
                                        "created_at, published_at) VALUES (?, ?, ?, ?, ?, ?)"))
            .bind(channel)
            .bind(seq)
            .bind(event)
            .bind(QString::fromUtf8(QJsonDocument(data).toJson(QJsonDocument::Compact)))
            .bind(createdAt)
            .bindOptional(publishedAt)
            .exec();
        return true;
    });
    return ok ? seq : -1;
}

QJsonObject fakeNotification(qint64 id)
{
    return {
        {QLatin1String("notification"),
         QJsonObject{{QLatin1String("id"), id},
                     {QLatin1String("type"), QStringLiteral("announcement")},
                     {QLatin1String("data"),
                      QJsonObject{{QLatin1String("text"), QStringLiteral("left over %1").arg(id)}}},
                     {QLatin1String("read_at"), QJsonValue()},
                     {QLatin1String("created_at"), QStringLiteral("2026-01-02T03:04:05.678Z")}}}};
}

// ---------------------------------------------------------------------------------------------
// /metrics

//! `name{labels}` → value, for every sample line of a Prometheus text exposition.
QHash<QString, double> parseMetrics(const QByteArray &text)
{
    QHash<QString, double> samples;
    for (const QByteArray &line : text.split('\n')) {
        if (line.isEmpty() || line.startsWith('#'))
            continue;
        const qsizetype space = line.lastIndexOf(' ');
        if (space <= 0)
            continue;
        bool ok = false;
        const double value = line.mid(space + 1).toDouble(&ok);
        if (ok)
            samples.insert(QString::fromUtf8(line.left(space)), value);
    }
    return samples;
}

const QString RequestsPost201 = QStringLiteral(
    "flippdeal_http_requests_total{method=\"POST\",route=\"/api/messages\",status=\"201\"}");
const QString RequestsPost422 = QStringLiteral(
    "flippdeal_http_requests_total{method=\"POST\",route=\"/api/messages\",status=\"422\"}");
const QString MessagesLabels = QStringLiteral("method=\"POST\",route=\"/api/messages\"");

// ---------------------------------------------------------------------------------------------
// HTTP with many requests in flight.

//! Several QNetworkAccessManagers, because one opens at most 6 connections per host: calls are
//! spread over them by index, so `parallel` requests really are in flight at once.
class HttpPool
{
public:
    //! Called as each answer arrives: (index of the call, its reply, answers so far).
    using AnswerHandler = std::function<void(qsizetype, const Reply &, qsizetype)>;

    explicit HttpPool(int managers = 1)
    {
        for (int i = 0; i < managers; ++i)
            m_managers.push_back(std::make_unique<QNetworkAccessManager>());
    }

    QList<Reply> run(const QList<Call> &calls, int parallel, const AnswerHandler &onAnswer = {},
                     int timeoutMs = 30000)
    {
        QList<Reply> replies(calls.size());
        qsizetype next = 0;
        qsizetype answered = 0;
        QHash<QNetworkReply *, qsizetype> inFlight;
        QEventLoop loop;
        std::function<void()> launch = [&] {
            const qsizetype index = next++;
            QNetworkReply *reply = sendCall(*m_managers.at(std::size_t(index) % m_managers.size()),
                                            calls.at(index), timeoutMs);
            inFlight.insert(reply, index);
            QObject::connect(reply, &QNetworkReply::finished, &loop, [&, reply, index] {
                inFlight.remove(reply);
                replies[index] = toReply(reply);
                reply->deleteLater();
                ++answered;
                if (onAnswer)
                    onAnswer(index, replies.at(index), answered);
                if (next < calls.size())
                    launch();
                else if (answered == calls.size())
                    loop.quit();
            });
        };
        while (next < calls.size() && next < parallel)
            launch();
        if (answered < calls.size()) {
            QTimer::singleShot(timeoutMs + 5000, &loop, &QEventLoop::quit);
            loop.exec();
        }
        // On a timeout, nothing may call back into this frame later.
        for (auto it = inFlight.cbegin(); it != inFlight.cend(); ++it) {
            QObject::disconnect(it.key(), nullptr, &loop, nullptr);
            it.key()->abort();
            it.key()->deleteLater();
        }
        return replies;
    }

    Reply send(const Call &call) { return run({call}, 1).first(); }

private:
    std::vector<std::unique_ptr<QNetworkAccessManager>> m_managers;
};

// ---------------------------------------------------------------------------------------------
// Calls to flippdeal-server child processes.

Call messageCall(const ServerProcess &node, const Session &from, qint64 to, const QString &body)
{
    const QJsonObject json{{QLatin1String("to_user_id"), to}, {QLatin1String("body"), body}};
    return {"POST", node.url(QStringLiteral("/api/messages")), from.token,
            QJsonDocument(json).toJson(QJsonDocument::Compact)};
}

Call readCall(const ServerProcess &node, const Session &reader, qint64 messageId)
{
    return {"PATCH",
            node.url(QStringLiteral("/api/messages/%1/read").arg(messageId)),
            reader.token,
            {}};
}

Call historyCall(const ServerProcess &node, const Session &session, const QString &channel)
{
    return {"GET",
            node.url(QStringLiteral("/api/channels/%1/events?after=0&limit=1000").arg(channel)),
            session.token,
            {}};
}

QString describeFailures(const QList<Reply> &replies, int expectedStatus)
{
    QStringList failures;
    for (qsizetype i = 0; i < replies.size(); ++i) {
        if (replies.at(i).status != expectedStatus)
            failures.append(QStringLiteral("#%1: %2 %3")
                                .arg(i)
                                .arg(replies.at(i).status)
                                .arg(QString::fromUtf8(replies.at(i).body.left(200))));
    }
    if (failures.isEmpty())
        return {};
    return QStringLiteral("%1 of %2 requests did not get %3; first: %4")
        .arg(failures.size())
        .arg(replies.size())
        .arg(expectedStatus)
        .arg(failures.mid(0, 5).join(QLatin1String(" | ")));
}

} // namespace

class TestDurability : public QObject
{
    Q_OBJECT

private:
    static QHash<QString, double> metricsOf(TestServer &server)
    {
        const Reply reply = server.get(QStringLiteral("/metrics"));
        if (reply.status != 200)
            qWarning() << "GET /metrics:" << reply.status << reply.body;
        return parseMetrics(reply.body);
    }

    static double metric(TestServer &server, const QString &name)
    {
        return metricsOf(server).value(name, std::numeric_limits<double>::quiet_NaN());
    }

    static int sendMessage(TestServer &server, const Session &from, const Session &to,
                           const QString &body)
    {
        return server
            .post(QStringLiteral("/api/messages"),
                  {{QLatin1String("to_user_id"), to.user.id}, {QLatin1String("body"), body}},
                  from.token)
            .status;
    }

    static QJsonArray history(TestServer &server, const Session &session, const QString &channel)
    {
        const Reply reply =
            server.get(QStringLiteral("/api/channels/%1/events?after=0&limit=1000").arg(channel),
                       session.token);
        if (reply.status != 200)
            qWarning() << "history failed" << reply.status << reply.body;
        return reply.json.value(QLatin1String("data")).toArray();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFileInfo(QString::fromUtf8(FLIPPDEAL_SERVER_BINARY)).isExecutable(),
                 FLIPPDEAL_SERVER_BINARY);
        if (qEnvironmentVariableIsSet("FLIPPDEAL_TEST_DATABASE"))
            qInfo("running against PostgreSQL");
    }

    // A 201 means "durably stored": SIGKILL right after the last one loses none of them, and
    // after the restart the recipient's history is gap-free with exactly the acknowledged events.
    void killNineLosesNothingAcknowledged()
    {
        FreshDatabase database;
        QVERIFY(database.isValid());
        auto node = std::make_unique<ServerProcess>(ServerBinary);
        node->start(database.folder(), database.url(), NodeArguments);
        QVERIFY2(node->waitListening(), node->output().constData());

        HttpPool http(3);
        const Session alice = sessionOf(http.send(registerCall(*node, QStringLiteral("Alice"))));
        const Session bob = sessionOf(http.send(registerCall(*node, QStringLiteral("Bob"))));
        QVERIFY(alice.user.id > 0 && bob.user.id > 0);

        constexpr int Total = 200;
        QList<Call> calls;
        for (int i = 0; i < Total; ++i)
            calls.append(
                messageCall(*node, alice, bob.user.id, QStringLiteral("durable %1").arg(i)));
        QList<qint64> acknowledged;
        bool killed = false;
        const QList<Reply> replies =
            http.run(calls, 16, [&](qsizetype, const Reply &reply, qsizetype answered) {
                if (reply.status == 201)
                    acknowledged.append(messageIdOf(reply.json));
                if (answered == Total) {
                    node->signal(SIGKILL); // no grace: the published marks are still pending
                    killed = true;
                }
            });
        QVERIFY(killed);
        QCOMPARE(node->waitExit(), -1); // died of the signal
        const QString failures = describeFailures(replies, 201);
        QVERIFY2(failures.isEmpty(), qPrintable(failures));
        QCOMPARE(acknowledged.size(), Total);
        const QSet<qint64> acknowledgedIds(acknowledged.cbegin(), acknowledged.cend());
        QCOMPARE(acknowledgedIds.size(), Total); // every 201 named a different message

        qint64 leftUnpublished = 0;
        {
            const auto direct = openDirect(database.url());
            QVERIFY(direct);
            leftUnpublished = unpublishedCount(*direct);
            QVERIFY(leftUnpublished >= 0);
            qInfo("%lld events were committed but not marked published at the kill",
                  leftUnpublished);
        }

        node = std::make_unique<ServerProcess>(ServerBinary);
        node->start(database.folder(), database.url(), NodeArguments);
        QVERIFY2(node->waitListening(), node->output().constData());

        // Every acknowledged message is stored, and nothing else.
        QSet<qint64> stored;
        qint64 total = -1;
        for (int page = 1; page <= 10; ++page) {
            const Reply reply = http.send(
                {"GET",
                 node->url(QStringLiteral("/api/messages/conversations/%1?per_page=100&page=%2")
                               .arg(bob.user.id)
                               .arg(page)),
                 alice.token,
                 {}});
            QCOMPARE(reply.status, 200);
            total = reply.json.value(QLatin1String("meta"))
                        .toObject()
                        .value(QLatin1String("total"))
                        .toInteger(-1);
            const QJsonArray data = reply.json.value(QLatin1String("data")).toArray();
            if (data.isEmpty())
                break;
            for (const QJsonValue &message : data)
                stored.insert(message.toObject().value(QLatin1String("id")).toInteger());
        }
        QCOMPARE(total, qint64(Total));
        QSet<qint64> missing = acknowledgedIds;
        missing.subtract(stored);
        QVERIFY2(missing.isEmpty(),
                 qPrintable(QStringLiteral("%1 acknowledged messages are gone after kill -9")
                                .arg(missing.size())));
        QCOMPARE(stored, acknowledgedIds);

        // The recipient's history: MessageSent + NotificationCreated per message, seq 1..N.
        const QString bobChannel = protocol::Channels::user(bob.user.id);
        const Reply bobHistory = http.send(historyCall(*node, bob, bobChannel));
        QCOMPARE(bobHistory.status, 200);
        const QJsonArray bobEvents = bobHistory.json.value(QLatin1String("data")).toArray();
        QCOMPARE(seqsOf(bobEvents), range(1, 2 * qint64(acknowledged.size())));
        QSet<qint64> announced;
        int notifications = 0;
        for (const QJsonValue &value : bobEvents) {
            const QJsonObject e = value.toObject();
            const QString event = e.value(QLatin1String("event")).toString();
            if (event == protocol::EventName::MessageSent)
                announced.insert(messageIdInEventData(e.value(QLatin1String("data")).toString()));
            else if (event == protocol::EventName::NotificationCreated)
                ++notifications;
        }
        QCOMPARE(announced, acknowledgedIds);
        QCOMPARE(notifications, Total);
        // The sender's channel has its own gap-free counter.
        const Reply aliceHistory =
            http.send(historyCall(*node, alice, protocol::Channels::user(alice.user.id)));
        QCOMPARE(seqsOf(aliceHistory.json.value(QLatin1String("data")).toArray()), range(1, Total));

        // The restart published exactly what the crash left behind, and marked it.
        const auto metrics = [&] {
            return parseMetrics(
                http.send({"GET", node->url(QStringLiteral("/metrics")), {}, {}}).body);
        };
        QTRY_COMPARE_WITH_TIMEOUT(metrics().value(QStringLiteral("flippdeal_outbox_backlog"), -1),
                                  0.0, 3000);
        QCOMPARE(metrics().value(QStringLiteral("flippdeal_events_published_total"), -1),
                 double(leftUnpublished));
        QCOMPARE(node->terminate(), 0);
    }

    // A crash between commit and broadcast leaves rows with published_at NULL; the next start
    // publishes and marks them. The server's own events are marked within about a second.
    void pendingBroadcastsGoOutAfterRestart()
    {
        TestServer server([](server::Config &config) { config.messagesPerSecond = 1000; });
        QVERIFY2(server.isRunning(), qPrintable(server.errorString()));
        const Session user = server.registerUser(QStringLiteral("Pending"));
        const Session sender = server.registerUser(QStringLiteral("Sender"));
        const QString channel = protocol::Channels::user(user.user.id);

        // The server's own events: published at once, marked in the next batch.
        QCOMPARE(sendMessage(server, sender, user, QStringLiteral("first")), 201);
        QCOMPARE(sendMessage(server, sender, user, QStringLiteral("second")), 201);
        QVERIFY2(waitUntil([&] { return unpublishedCount(server.app().database()) == 0; }, 1000),
                 "the server's own events are still unmarked after 1 s");
        QCOMPARE(sqlScalar(server.app().database(),
                           QStringLiteral("SELECT COUNT(*) FROM channel_events WHERE published_at "
                                          "< created_at")),
                 qint64(0));

        // Simulate the crash: committed, never broadcast.
        const qint64 now = protocol::nowMs();
        const qint64 seq =
            insertEvent(server.app().database(), channel, protocol::EventName::NotificationCreated,
                        fakeNotification(4242), now, std::nullopt);
        QCOMPARE(seq, qint64(5)); // after 2 × (MessageSent + NotificationCreated)
        QCOMPARE(unpublishedCount(server.app().database()), qint64(1));
        QCOMPARE(metric(server, QStringLiteral("flippdeal_outbox_backlog")), 1.0);

        QVERIFY(server.restart());
        QVERIFY2(waitUntil([&] { return unpublishedCount(server.app().database()) == 0; }, 2000),
                 "the left-over event is still unpublished 2 s after the restart");
        const auto metrics = metricsOf(server);
        QCOMPARE(metrics.value(QStringLiteral("flippdeal_outbox_backlog"), -1), 0.0);
        QVERIFY2(metrics.value(QStringLiteral("flippdeal_events_published_total"), -1) >= 1,
                 "the restart did not publish the left-over event");

        // It is in the history with its seq, and live delivery continues after it.
        const QJsonArray events = history(server, user, channel);
        QCOMPARE(seqsOf(events), range(1, 5));
        QCOMPARE(events.at(4).toObject().value(QLatin1String("event")).toString(),
                 protocol::EventName::NotificationCreated);
        QCOMPARE(parseObject(events.at(4).toObject().value(QLatin1String("data")).toString()),
                 fakeNotification(4242));

        TestSocket socket(server.webSocketUrl());
        QVERIFY(socket.waitConnected());
        QVERIFY(socket.subscribeAuthorized(server, user, channel));
        QCOMPARE(sendMessage(server, sender, user, QStringLiteral("after the restart")), 201);
        const auto frame = socket.waitFor(protocol::EventName::MessageSent, channel);
        QVERIFY(frame);
        QCOMPARE(frame->value(QLatin1String("seq")).toInteger(), 6);
    }

    // Two processes on one database: every write succeeds, and seq stays unique and gap-free.
    void concurrentWritersKeepSeqUnique()
    {
        FreshDatabase database;
        QVERIFY(database.isValid());
        ServerProcess first(ServerBinary);
        first.start(database.folder(), database.url(), NodeArguments);
        QVERIFY2(first.waitListening(), first.output().constData());
        ServerProcess second(ServerBinary);
        second.start(database.folder(), database.url(), NodeArguments);
        QVERIFY2(second.waitListening(), second.output().constData());
        const ServerProcess *nodes[] = {&first, &second};

        HttpPool http(3);
        const Session a = sessionOf(http.send(registerCall(first, QStringLiteral("WriterA"))));
        const Session b = sessionOf(http.send(registerCall(first, QStringLiteral("WriterB"))));
        const Session c = sessionOf(http.send(registerCall(first, QStringLiteral("ReaderC"))));
        QVERIFY(a.user.id > 0 && b.user.id > 0 && c.user.id > 0);

        constexpr int Total = 300;
        QList<Call> calls;
        for (int i = 0; i < Total; ++i) {
            const Session &from = (i / 2) % 2 == 0 ? a : b;
            calls.append(messageCall(*nodes[i % 2], from, c.user.id,
                                     QStringLiteral("concurrent %1").arg(i)));
        }
        const QList<Reply> sent = http.run(calls, 32);
        const QString failures = describeFailures(sent, 201);
        QVERIFY2(failures.isEmpty(), qPrintable(failures));
        QList<qint64> ids;
        QHash<qint64, qint64> senderOf;
        for (qsizetype i = 0; i < sent.size(); ++i) {
            const qint64 id = messageIdOf(sent.at(i).json);
            ids.append(id);
            senderOf.insert(id, (i / 2) % 2 == 0 ? a.user.id : b.user.id);
        }
        QCOMPARE(QSet<qint64>(ids.cbegin(), ids.cend()).size(), Total);

        const auto direct = openDirect(database.url());
        QVERIFY(direct);
        const QString cChannel = protocol::Channels::user(c.user.id);
        const QString aChannel = protocol::Channels::user(a.user.id);
        const QString bChannel = protocol::Channels::user(b.user.id);
        QCOMPARE(sqlScalar(*direct, QStringLiteral("SELECT COUNT(*) FROM messages")),
                 qint64(Total));
        QCOMPARE(storedSeqs(*direct, cChannel), range(1, 2 * Total));
        QCOMPARE(storedSeqs(*direct, aChannel), range(1, Total / 2));
        QCOMPARE(storedSeqs(*direct, bChannel), range(1, Total / 2));
        QCOMPARE(
            sqlScalar(*direct,
                      QStringLiteral("SELECT last_seq FROM channel_sequences WHERE channel = ?"),
                      {cChannel}),
            qint64(2 * Total));
        // Either node serves the same history.
        const Reply cHistory = http.send(historyCall(second, c, cChannel));
        QCOMPARE(seqsOf(cHistory.json.value(QLatin1String("data")).toArray()), range(1, 2 * Total));

        // Both nodes mark the same 50 messages read at the same time: one receipt each.
        constexpr int Reads = 50;
        QList<Call> reads;
        for (int i = 0; i < Reads; ++i) {
            reads.append(readCall(first, c, ids.at(i)));
            reads.append(readCall(second, c, ids.at(i)));
        }
        const QList<Reply> marked = http.run(reads, 32);
        const QString readFailures = describeFailures(marked, 200);
        QVERIFY2(readFailures.isEmpty(), qPrintable(readFailures));
        for (int i = 0; i < Reads; ++i) {
            const QJsonObject one =
                marked.at(2 * i).json.value(QLatin1String("message")).toObject();
            const QJsonObject other =
                marked.at(2 * i + 1).json.value(QLatin1String("message")).toObject();
            QVERIFY(one.value(QLatin1String("read_at")).isString());
            QCOMPARE(other.value(QLatin1String("read_at")), one.value(QLatin1String("read_at")));
        }
        const QStringList receipts = sqlTexts(
            *direct,
            QStringLiteral("SELECT data FROM channel_events WHERE event = ? AND channel IN (?, ?)"),
            {protocol::EventName::MessageRead, aChannel, bChannel});
        QList<qint64> receiptIds;
        for (const QString &data : receipts)
            receiptIds.append(messageIdInEventData(data));
        std::sort(receiptIds.begin(), receiptIds.end());
        QList<qint64> expectedReceipts = ids.mid(0, Reads);
        std::sort(expectedReceipts.begin(), expectedReceipts.end());
        QCOMPARE(receiptIds, expectedReceipts);
        int readsOfA = 0;
        for (int i = 0; i < Reads; ++i)
            readsOfA += senderOf.value(ids.at(i)) == a.user.id ? 1 : 0;
        QCOMPARE(storedSeqs(*direct, aChannel), range(1, Total / 2 + readsOfA));
        QCOMPARE(storedSeqs(*direct, bChannel), range(1, Total / 2 + (Reads - readsOfA)));
        const Reply unread = http.send(
            {"GET", second.url(QStringLiteral("/api/messages/unread-count")), c.token, {}});
        QCOMPARE(unread.json.value(QLatin1String("count")).toInteger(-1), qint64(Total - Reads));

        // A clean stop writes the pending published marks.
        QCOMPARE(first.terminate(), 0);
        QCOMPARE(second.terminate(), 0);
        QCOMPARE(unpublishedCount(*direct), qint64(0));
    }

    // Several nodes starting at once on an empty database migrate it once, and all come up
    // (docs/architecture.md: "several processes can start at once"). The race window is small,
    // so a few rounds, each on a database of its own.
    void simultaneousStartOnFreshDatabase()
    {
        constexpr int Rounds = 8;
        constexpr int Nodes = 3;
        for (int round = 1; round <= Rounds; ++round) {
            FreshDatabase database;
            QVERIFY(database.isValid());
            std::vector<std::unique_ptr<ServerProcess>> nodes;
            for (int i = 0; i < Nodes; ++i)
                nodes.push_back(std::make_unique<ServerProcess>(ServerBinary));
            for (const auto &node : nodes)
                node->start(database.folder(), database.url(), NodeArguments);
            for (const auto &node : nodes) {
                QVERIFY2(node->waitListening(),
                         qPrintable(QStringLiteral("round %1: a node did not start: %2")
                                        .arg(round)
                                        .arg(QString::fromUtf8(node->output()))));
            }
            HttpPool http;
            for (const auto &node : nodes)
                QCOMPARE(http.send({"GET", node->url(QStringLiteral("/health")), {}, {}}).status,
                         200);
            const auto direct = openDirect(database.url());
            QVERIFY(direct);
            QCOMPARE(sqlScalar(*direct, QStringLiteral("SELECT COUNT(*) FROM schema_migrations")),
                     qint64(server::Database::latestSchemaVersion()));
            for (const auto &node : nodes)
                QCOMPARE(node->terminate(), 0);
        }
    }

    // prune() deletes published events older than the cutoff and nothing else; the channel's
    // counter is untouched, so the next event continues the sequence.
    void pruneRemovesOnlyOldPublishedHistory()
    {
        // The outbox poll would publish the old unpublished event below at a moment of its own
        // choosing (as it should), which makes it prunable: hold it still for this test.
        TestServer server([](server::Config &config) {
            config.messagesPerSecond = 1000;
            config.outboxPollMs = 0;
        });
        QVERIFY2(server.isRunning(), qPrintable(server.errorString()));
        const Session user = server.registerUser(QStringLiteral("Pruned"));
        const Session writer = server.registerUser(QStringLiteral("Writer"));
        const QString channel = protocol::Channels::user(user.user.id);
        const QString otherChannel = protocol::Channels::user(writer.user.id);
        const QString event = protocol::EventName::NotificationCreated;

        const qint64 now = protocol::nowMs();
        const qint64 old = now - 8 * DayMs;
        server::Database &db = server.app().database();
        for (int i = 1; i <= 3; ++i) // old and published: to be pruned
            QCOMPARE(insertEvent(db, channel, event, fakeNotification(i), old + i, old + 1000),
                     qint64(i));
        // Old but never published: kept, or a crash could lose it for good.
        QCOMPARE(insertEvent(db, channel, event, fakeNotification(4), old + 4, std::nullopt),
                 qint64(4));
        // Six days old and published: inside the retention, kept.
        QCOMPARE(insertEvent(db, channel, event, fakeNotification(5), now - 6 * DayMs,
                             now - 6 * DayMs + 1000),
                 qint64(5));
        // Old and published on another channel: pruned too.
        QCOMPARE(insertEvent(db, otherChannel, event, fakeNotification(6), old, old + 1000),
                 qint64(1));
        // Recent events written by the server: seq 6, 7 here, seq 2 on the writer's channel.
        QCOMPARE(sendMessage(server, writer, user, QStringLiteral("recent")), 201);
        QVERIFY(waitUntil([&] { return unpublishedCount(db) == 1; }, 2000));

        QCOMPARE(server::waitFor(server.app().events().prune(now - 7 * DayMs)), 4);
        QCOMPARE(storedSeqs(db, channel), (QList<qint64>{4, 5, 6, 7}));
        QCOMPARE(storedSeqs(db, otherChannel), (QList<qint64>{2}));
        QCOMPARE(unpublishedCount(db), qint64(1));
        QCOMPARE(seqsOf(history(server, user, channel)), (QList<qint64>{4, 5, 6, 7}));
        QCOMPARE(server::waitFor(server.app().events().prune(now - 7 * DayMs)),
                 0); // nothing left to remove

        // The counters survive the pruning: the next events continue the sequences.
        QCOMPARE(sendMessage(server, writer, user, QStringLiteral("after pruning")), 201);
        QCOMPARE(storedSeqs(db, channel), (QList<qint64>{4, 5, 6, 7, 8, 9}));
        QCOMPARE(storedSeqs(db, otherChannel), (QList<qint64>{2, 3}));

        // A channel whose whole history was pruned keeps counting from where it was.
        const Session quiet = server.registerUser(QStringLiteral("Quiet"));
        const QString quietChannel = protocol::Channels::user(quiet.user.id);
        for (int i = 1; i <= 2; ++i)
            QCOMPARE(insertEvent(db, quietChannel, event, fakeNotification(10 + i), old, old),
                     qint64(i));
        QCOMPARE(server::waitFor(server.app().events().prune(now - 7 * DayMs)), 2);
        QVERIFY(storedSeqs(db, quietChannel).isEmpty());
        TestSocket socket(server.webSocketUrl());
        QVERIFY(socket.waitConnected());
        QVERIFY(socket.subscribeAuthorized(server, quiet, quietChannel));
        QCOMPARE(sendMessage(server, writer, quiet, QStringLiteral("hello again")), 201);
        const auto frame = socket.waitFor(protocol::EventName::MessageSent, quietChannel);
        QVERIFY(frame);
        QCOMPARE(frame->value(QLatin1String("seq")).toInteger(), 3);

        // Start-up prunes too (with the configured retention of 7 days).
        QCOMPARE(insertEvent(db, channel, event, fakeNotification(20), old, old), qint64(10));
        QVERIFY(server.restart());
        QVERIFY(waitUntil(
            [&] { return !storedSeqs(server.app().database(), channel).contains(10); }, 5000));
        QVERIFY(storedSeqs(server.app().database(), channel).contains(9));
    }

    // A prune larger than one slice runs as several writer transactions, each of at most
    // PruneSliceRows rows, and still removes every old published event and nothing else.
    void pruneRunsInSlices()
    {
        TestServer server([](server::Config &config) { config.outboxPollMs = 0; });
        QVERIFY2(server.isRunning(), qPrintable(server.errorString()));
        const qint64 now = protocol::nowMs();
        const qint64 old = now - 8 * DayMs;
        const int rows = 2 * server::EventStore::PruneSliceRows + 7;
        // The prune the server starts with has found nothing once this one has: the writer
        // runs them in order.
        QCOMPARE(server::waitFor(server.app().events().prune(now - 7 * DayMs)), 0);
        server::Database &db = server.app().database();
        QVERIFY(db.transaction([&] {
            for (int i = 1; i <= rows; ++i)
                server::SqlQuery(db, QStringLiteral("INSERT INTO channel_events (channel, seq, "
                                                    "event, data, created_at, published_at) "
                                                    "VALUES (?, ?, 'e', '{}', ?, ?)"))
                    .bind(QStringLiteral("private-user.%1").arg(1 + i % 3))
                    .bind(i)
                    .bind(old)
                    .bind(old + 1)
                    .exec();
            return true;
        }));
        // Nothing else writes meanwhile: every job the writer commits is a slice.
        const quint64 jobsBefore = server.app().writer().committedJobCount();
        QCOMPARE(server::waitFor(server.app().events().prune(now - 7 * DayMs)), rows);
        QCOMPARE(server.app().writer().committedJobCount() - jobsBefore, quint64(3));
        QCOMPARE(sqlScalar(db, QStringLiteral("SELECT COUNT(*) FROM channel_events")), 0);
        QCOMPARE(server::waitFor(server.app().events().prune(now - 7 * DayMs)), 0);
    }
    void metricsAndHealth()
    {
        TestServer server([](server::Config &config) { config.messagesPerSecond = 1000; });
        QVERIFY2(server.isRunning(), qPrintable(server.errorString()));

        const Reply health = server.get(QStringLiteral("/health"));
        QCOMPARE(health.status, 200);
        QCOMPARE(health.json, (QJsonObject{{QLatin1String("status"), QStringLiteral("ok")}}));

        const Session from = server.registerUser(QStringLiteral("Counter"));
        const Session to = server.registerUser(QStringLiteral("Counted"));
        const Reply first = server.get(QStringLiteral("/metrics"));
        QCOMPARE(first.status, 200);
        QVERIFY2(first.header("Content-Type").startsWith("text/plain"),
                 first.header("Content-Type").constData());
        const auto before = parseMetrics(first.body);
        for (const char *name :
             {"flippdeal_connections", "flippdeal_channels", "flippdeal_frames_in_total",
              "flippdeal_frames_out_total", "flippdeal_events_published_total",
              "flippdeal_outbox_backlog", "flippdeal_slow_consumer_disconnects_total",
              "flippdeal_ws_sends_total", "flippdeal_ws_send_syscalls_total",
              "flippdeal_reads_in_pool", "flippdeal_reads_refused_total"}) {
            QVERIFY2(before.contains(QString::fromLatin1(name)), name);
            QVERIFY2(first.body.contains(QByteArray("# TYPE ") + name + ' '), name);
        }
        QCOMPARE(before.value(QStringLiteral("flippdeal_connections")), 0.0);
        QCOMPARE(before.value(QStringLiteral("flippdeal_slow_consumer_disconnects_total")), 0.0);

        constexpr int Sent = 7;
        for (int i = 0; i < Sent; ++i)
            QCOMPARE(sendMessage(server, from, to, QStringLiteral("counted %1").arg(i)), 201);
        QCOMPARE(sendMessage(server, from, to, QStringLiteral("<p></p>")), 422);

        const auto after = metricsOf(server);
        QCOMPARE(after.value(RequestsPost201) - before.value(RequestsPost201), double(Sent));
        QCOMPARE(after.value(RequestsPost422) - before.value(RequestsPost422), 1.0);
        QCOMPARE(after.value(QStringLiteral("flippdeal_events_published_total")) -
                     before.value(QStringLiteral("flippdeal_events_published_total")),
                 double(3 * Sent));

        // Histograms: cumulative buckets, +Inf equals _count, one observation per request.
        QHash<QString, QList<std::pair<double, double>>> buckets; // labels → (le, count)
        static const QRegularExpression bucketLine(QStringLiteral(
            "^flippdeal_http_request_duration_seconds_bucket\\{(.*),le=\"([^\"]+)\"\\}$"));
        for (auto it = after.cbegin(); it != after.cend(); ++it) {
            const auto match = bucketLine.match(it.key());
            if (!match.hasMatch())
                continue;
            const QString le = match.captured(2);
            const double bound = le == QLatin1String("+Inf")
                                     ? std::numeric_limits<double>::infinity()
                                     : le.toDouble();
            buckets[match.captured(1)].append({bound, it.value()});
        }
        QVERIFY(buckets.contains(MessagesLabels));
        for (auto it = buckets.begin(); it != buckets.end(); ++it) {
            auto &list = it.value();
            std::sort(list.begin(), list.end());
            QVERIFY2(std::isinf(list.last().first), qPrintable(it.key()));
            for (qsizetype i = 1; i < list.size(); ++i)
                QVERIFY2(list.at(i).second >= list.at(i - 1).second, qPrintable(it.key()));
            const QString count =
                QStringLiteral("flippdeal_http_request_duration_seconds_count{%1}").arg(it.key());
            QVERIFY2(after.contains(count), qPrintable(count));
            QCOMPARE(list.last().second, after.value(count));
            QVERIFY2(
                after.contains(QStringLiteral("flippdeal_http_request_duration_seconds_sum{%1}")
                                   .arg(it.key())),
                qPrintable(it.key()));
        }
        QCOMPARE(after.value(QStringLiteral("flippdeal_http_request_duration_seconds_count{%1}")
                                 .arg(MessagesLabels)),
                 double(Sent + 1));

        // Connections and channels are gauges that go up and come back down.
        const double framesIn = after.value(QStringLiteral("flippdeal_frames_in_total"));
        const double framesOut = after.value(QStringLiteral("flippdeal_frames_out_total"));
        {
            std::vector<std::unique_ptr<TestSocket>> sockets;
            for (int i = 0; i < 3; ++i) {
                sockets.push_back(std::make_unique<TestSocket>(server.webSocketUrl()));
                QVERIFY(sockets.back()->waitConnected());
            }
            QTRY_COMPARE_WITH_TIMEOUT(metric(server, QStringLiteral("flippdeal_connections")), 3.0,
                                      3000);
            QVERIFY(sockets.front()->subscribe(QStringLiteral("metrics-news")));
            const auto open = metricsOf(server);
            QCOMPARE(open.value(QStringLiteral("flippdeal_channels")), 1.0);
            QVERIFY(open.value(QStringLiteral("flippdeal_frames_in_total")) >= framesIn + 1);
            QVERIFY(open.value(QStringLiteral("flippdeal_frames_out_total")) >= framesOut + 4);
        }
        QTRY_COMPARE_WITH_TIMEOUT(metric(server, QStringLiteral("flippdeal_connections")), 0.0,
                                  3000);
        QTRY_COMPARE_WITH_TIMEOUT(metric(server, QStringLiteral("flippdeal_channels")), 0.0, 3000);
        QCOMPARE(metric(server, QStringLiteral("flippdeal_slow_consumer_disconnects_total")), 0.0);
    }
};

QTEST_GUILESS_MAIN(TestDurability)
#include "tst_durability.moc"
