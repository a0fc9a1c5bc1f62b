// SPDX-License-Identifier: MIT
// Gap-free delivery: GET /api/channels/{name}/events?after=SEQ&limit=N returns what a client
// missed, with the same seq, event names and data as the live frames.
#include "testhelpers.h"
#include "testserver.h"

#include "protocol/signing.h"
#include "protocol/timeformat.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QtTest>

using namespace flippdeal;
using namespace flippdeal::testing;

namespace {

const QByteArray AppSecret = "test-secret-0123456789";

QJsonObject dataOf(const QJsonObject &event)
{
    return QJsonDocument::fromJson(event.value(QLatin1String("data")).toString().toUtf8()).object();
}

} // namespace

class TestHistory : public QObject
{
    Q_OBJECT

private:
    TestServer &server() { return *m_server; }

    Reply history(const Session &session, const QString &channel,
                  const QString &query = QStringLiteral("after=0"))
    {
        return server().get(
            QStringLiteral("/api/channels/%1/events%2")
                .arg(channel, query.isEmpty() ? QString() : QLatin1Char('?') + query),
            session.token);
    }

    QJsonArray events(const Session &session, const QString &channel,
                      const QString &query = QStringLiteral("after=0"))
    {
        const Reply reply = history(session, channel, query);
        if (reply.status != 200) {
            qWarning() << "history failed" << reply.status << reply.body;
            return {};
        }
        return reply.json.value(QLatin1String("data")).toArray();
    }

    qint64 sendMessage(const Session &from, const Session &to, const QString &body)
    {
        const Reply reply = server().post(
            QStringLiteral("/api/messages"),
            {{QLatin1String("to_user_id"), to.user.id}, {QLatin1String("body"), body}}, from.token);
        if (reply.status != 201) {
            qWarning() << "send failed" << reply.status << reply.body;
            return 0;
        }
        return reply.json.value(QLatin1String("message"))
            .toObject()
            .value(QLatin1String("id"))
            .toInteger();
    }

    std::unique_ptr<TestServer> m_server;
    Session m_alice;
    Session m_bob;
    int m_domainCounter = 0;

private Q_SLOTS:
    void initTestCase()
    {
        m_server = std::make_unique<TestServer>(
            [](server::Config &config) { config.messagesPerSecond = 1000; });
        QVERIFY2(server().isRunning(), qPrintable(server().errorString()));
        m_alice = server().registerUser(QStringLiteral("Alice"));
        m_bob = server().registerUser(QStringLiteral("Bob"));
        QVERIFY(m_alice.user.id > 0 && m_bob.user.id > 0);
    }

    void userChannelHistory()
    {
        const Session carol = server().registerUser(QStringLiteral("Carol"));
        const QString channel = protocol::Channels::user(carol.user.id);
        QVERIFY2(events(carol, channel).isEmpty(), "a new user's channel has no history");
        QCOMPARE(history(carol, channel).json.value(QLatin1String("last_seq")).toInteger(-1), 0);

        QList<qint64> ids;
        for (int i = 0; i < 3; ++i) {
            const qint64 id = sendMessage(m_bob, carol, QStringLiteral("history %1").arg(i));
            QVERIFY(id > 0);
            ids.append(id);
        }
        const Reply reply = history(carol, channel);
        QCOMPARE(reply.status, 200);
        const QJsonArray all = reply.json.value(QLatin1String("data")).toArray();
        // Per message: MessageSent, then the NotificationCreated for it.
        QCOMPARE(all.size(), 6);
        QCOMPARE(seqsOf(all), range(1, 6));
        for (qsizetype i = 0; i < all.size(); ++i) {
            const QJsonObject e = all.at(i).toObject();
            QStringList keys = e.keys();
            keys.sort();
            QCOMPARE(keys, (QStringList{QStringLiteral("created_at"), QStringLiteral("data"),
                                        QStringLiteral("event"), QStringLiteral("seq")}));
            QVERIFY2(e.value(QLatin1String("data")).isString(),
                     "data is a JSON string, as on the wire");
            QVERIFY(isIsoMs(e.value(QLatin1String("created_at"))));
            const qint64 messageId = ids.at(i / 2);
            if (i % 2 == 0) {
                QCOMPARE(e.value(QLatin1String("event")).toString(),
                         protocol::EventName::MessageSent);
                const QJsonObject message = dataOf(e).value(QLatin1String("message")).toObject();
                QCOMPARE(message.value(QLatin1String("id")).toInteger(), messageId);
                QCOMPARE(message.value(QLatin1String("body")).toString(),
                         QStringLiteral("history %1").arg(i / 2));
            } else {
                QCOMPARE(e.value(QLatin1String("event")).toString(),
                         protocol::EventName::NotificationCreated);
                const QJsonObject n = dataOf(e).value(QLatin1String("notification")).toObject();
                QCOMPARE(n.value(QLatin1String("type")).toString(),
                         QStringLiteral("message.received"));
                QCOMPARE(n.value(QLatin1String("data"))
                             .toObject()
                             .value(QLatin1String("message_id"))
                             .toInteger(),
                         messageId);
            }
        }

        // after=N returns what followed N.
        QCOMPARE(seqsOf(events(carol, channel, QStringLiteral("after=4"))), range(5, 6));
        QCOMPARE(events(carol, channel, QStringLiteral("after=4")).first(), all.at(4));
        QVERIFY(events(carol, channel, QStringLiteral("after=6")).isEmpty());
        QVERIFY(events(carol, channel, QStringLiteral("after=1000")).isEmpty());
        // last_seq tells where the channel stands, whatever `after` is.
        QCOMPARE(history(carol, channel, QStringLiteral("after=1000&limit=1"))
                     .json.value(QLatin1String("last_seq"))
                     .toInteger(),
                 6);
        QCOMPARE(history(carol, protocol::Channels::user(m_bob.user.id + 999999))
                     .json.value(QLatin1String("last_seq"))
                     .toInteger(-1),
                 -1); // refused (403): no answer for other users' channels
        // after defaults to 0.
        QCOMPARE(seqsOf(events(carol, channel, QString())), range(1, 6));
        // limit takes the oldest first.
        QCOMPARE(seqsOf(events(carol, channel, QStringLiteral("after=0&limit=2"))), range(1, 2));
        QCOMPARE(seqsOf(events(carol, channel, QStringLiteral("after=2&limit=3"))), range(3, 5));
        QCOMPARE(seqsOf(events(carol, channel, QStringLiteral("after=5&limit=3"))), range(6, 6));

        // The sender's channel has its own counter: only MessageSent.
        const Session dave = server().registerUser(QStringLiteral("Dave"));
        QVERIFY(sendMessage(dave, carol, QStringLiteral("from dave")) > 0);
        const QJsonArray daves = events(dave, protocol::Channels::user(dave.user.id));
        QCOMPARE(seqsOf(daves), range(1, 1));
        QCOMPARE(daves.first().toObject().value(QLatin1String("event")).toString(),
                 protocol::EventName::MessageSent);
        QCOMPARE(seqsOf(events(carol, channel)), range(1, 8));
    }

    void readReceiptsAreInHistory()
    {
        const Session sender = server().registerUser(QStringLiteral("Receipt"));
        const qint64 id = sendMessage(sender, m_bob, QStringLiteral("read me"));
        QVERIFY(id > 0);
        QCOMPARE(
            server().patch(QStringLiteral("/api/messages/%1/read").arg(id), m_bob.token).status,
            200);
        const QJsonArray all = events(sender, protocol::Channels::user(sender.user.id));
        QCOMPARE(seqsOf(all), range(1, 2));
        QCOMPARE(all.at(1).toObject().value(QLatin1String("event")).toString(),
                 protocol::EventName::MessageRead);
        QVERIFY(!dataOf(all.at(1).toObject())
                     .value(QLatin1String("message"))
                     .toObject()
                     .value(QLatin1String("read_at"))
                     .isNull());
    }

    void refused_data()
    {
        QTest::addColumn<QString>("channel");
        QTest::addColumn<QString>("query");
        QTest::addColumn<bool>("signedIn");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("field");
        QTest::addRow("another user's channel")
            << QStringLiteral("private-user.{bob}") << QStringLiteral("after=0") << true << 403
            << QString();
        QTest::addRow("unknown private channel")
            << QStringLiteral("private-foo") << QStringLiteral("after=0") << true << 403
            << QString();
        QTest::addRow("unknown domain") << QStringLiteral("private-domain.987654")
                                        << QStringLiteral("after=0") << true << 404 << QString();
        QTest::addRow("public channel") << QStringLiteral("news") << QStringLiteral("after=0")
                                        << true << 422 << QStringLiteral("channel");
        QTest::addRow("invalid character")
            << QStringLiteral("private-user.1%24") << QStringLiteral("after=0") << true << 422
            << QStringLiteral("channel");
        QTest::addRow("space in name")
            << QStringLiteral("private%20user.1") << QStringLiteral("after=0") << true << 422
            << QStringLiteral("channel");
        QTest::addRow("name too long")
            << QStringLiteral("private-") + QString(200, QLatin1Char('x'))
            << QStringLiteral("after=0") << true << 422 << QStringLiteral("channel");
        QTest::addRow("after negative")
            << QStringLiteral("private-user.{alice}") << QStringLiteral("after=-1") << true << 422
            << QStringLiteral("after");
        QTest::addRow("after not a number")
            << QStringLiteral("private-user.{alice}") << QStringLiteral("after=x") << true << 422
            << QStringLiteral("after");
        QTest::addRow("limit 0") << QStringLiteral("private-user.{alice}")
                                 << QStringLiteral("after=0&limit=0") << true << 422
                                 << QStringLiteral("limit");
        QTest::addRow("limit too large")
            << QStringLiteral("private-user.{alice}") << QStringLiteral("after=0&limit=1001")
            << true << 422 << QStringLiteral("limit");
        QTest::addRow("without token") << QStringLiteral("private-user.{alice}")
                                       << QStringLiteral("after=0") << false << 401 << QString();
    }

    void refused()
    {
        QFETCH(QString, channel);
        QFETCH(QString, query);
        QFETCH(bool, signedIn);
        QFETCH(int, status);
        QFETCH(QString, field);
        channel.replace(QLatin1String("{alice}"), QString::number(m_alice.user.id));
        channel.replace(QLatin1String("{bob}"), QString::number(m_bob.user.id));
        // Something to leak, if the check were missing.
        QVERIFY(sendMessage(m_alice, m_bob, QStringLiteral("secret")) > 0);
        const Reply reply =
            signedIn
                ? history(m_alice, channel, query)
                : server().get(QStringLiteral("/api/channels/%1/events?%2").arg(channel, query));
        QCOMPARE(reply.status, status);
        QVERIFY2(reply.json.value(QLatin1String("message")).isString(), reply.body.constData());
        QVERIFY(!reply.json.contains(QLatin1String("data")));
        if (!field.isEmpty())
            QVERIFY2(fieldErrors(reply).value(field).isArray(), reply.body.constData());
    }

    void domainChannelFollowsParticipants()
    {
        const Session owner = server().registerUser(QStringLiteral("Owner"));
        const Session stranger = server().registerUser(QStringLiteral("Stranger"));
        const Reply created = server().post(
            QStringLiteral("/api/domains"),
            {{QLatin1String("name"), QStringLiteral("history-%1.com").arg(++m_domainCounter)},
             {QLatin1String("enable_bidding"), false}},
            owner.token);
        QCOMPARE(created.status, 201);
        const qint64 domainId = created.json.value(QLatin1String("domain"))
                                    .toObject()
                                    .value(QLatin1String("id"))
                                    .toInteger();
        const QString channel = protocol::Channels::domain(domainId);
        QCOMPARE(history(owner, channel).status, 200);
        QCOMPARE(history(stranger, channel).status, 403);
        QCOMPARE(
            server()
                .post(QStringLiteral("/api/domains/%1/watch").arg(domainId), {}, stranger.token)
                .status,
            200);
        QCOMPARE(history(stranger, channel).status, 200);
    }

    void defaultLimitIsOneHundred()
    {
        const Session popular = server().registerUser(QStringLiteral("Popular"));
        for (int i = 0; i < 51; ++i) // 102 events on the recipient's channel
            QVERIFY(sendMessage(m_alice, popular, QStringLiteral("n %1").arg(i)) > 0);
        const QString channel = protocol::Channels::user(popular.user.id);
        QCOMPARE(seqsOf(events(popular, channel)), range(1, 100));
        QCOMPARE(seqsOf(events(popular, channel, QStringLiteral("after=100"))), range(101, 102));
        QCOMPARE(seqsOf(events(popular, channel, QStringLiteral("after=0&limit=1000"))),
                 range(1, 102));
    }

    void auctionChannelWhileActive()
    {
        const Session owner = server().registerUser(QStringLiteral("Auctioneer"));
        const Session bidder = server().registerUser(QStringLiteral("Bidder"));
        const Reply created = server().post(
            QStringLiteral("/api/domains"),
            {{QLatin1String("name"), QStringLiteral("history-%1.com").arg(++m_domainCounter)},
             {QLatin1String("enable_bidding"), true},
             {QLatin1String("ends_at"), protocol::isoUtc(protocol::nowMs() + 1500)}},
            owner.token);
        QCOMPARE(created.status, 201);
        const qint64 domainId = created.json.value(QLatin1String("domain"))
                                    .toObject()
                                    .value(QLatin1String("id"))
                                    .toInteger();
        const QString channel = protocol::Channels::auction(domainId);
        // Any signed-in user while the auction is active...
        QCOMPARE(history(bidder, channel).status, 200);
        // ...and nobody once it is over.
        QTest::qWait(1700);
        QCOMPARE(history(bidder, channel).status, 403);
    }

    void liveFramesMatchHistory()
    {
        const Session erin = server().registerUser(QStringLiteral("Erin"));
        const Session fred = server().registerUser(QStringLiteral("Fred"));
        const QString erinChannel = protocol::Channels::user(erin.user.id);
        const QString fredChannel = protocol::Channels::user(fred.user.id);
        TestSocket erinSocket(server().webSocketUrl());
        TestSocket fredSocket(server().webSocketUrl());
        QVERIFY(erinSocket.waitConnected() && fredSocket.waitConnected());
        QVERIFY(erinSocket.subscribeAuthorized(server(), erin, erinChannel));
        QVERIFY(fredSocket.subscribeAuthorized(server(), fred, fredChannel));

        // Many messages both ways, and read receipts in between: three event kinds per channel.
        int erinExpected = 0;
        int fredExpected = 0;
        QList<qint64> toFred;
        for (int i = 0; i < 30; ++i) {
            const bool fromErin = i % 3 != 0;
            const qint64 id = sendMessage(fromErin ? erin : fred, fromErin ? fred : erin,
                                          QStringLiteral("gap-free %1").arg(i));
            QVERIFY(id > 0);
            if (fromErin) {
                erinExpected += 1; // MessageSent
                fredExpected += 2; // MessageSent + NotificationCreated
                toFred.append(id);
            } else {
                fredExpected += 1;
                erinExpected += 2;
            }
            if (i % 5 == 4) {
                QCOMPARE(server()
                             .patch(QStringLiteral("/api/messages/%1/read").arg(toFred.last()),
                                    fred.token)
                             .status,
                         200);
                erinExpected += 1; // MessageRead
            }
        }

        const QJsonArray erinHistory =
            events(erin, erinChannel, QStringLiteral("after=0&limit=1000"));
        const QJsonArray fredHistory =
            events(fred, fredChannel, QStringLiteral("after=0&limit=1000"));
        QCOMPARE(seqsOf(erinHistory), range(1, erinExpected));
        QCOMPARE(seqsOf(fredHistory), range(1, fredExpected));

        // The live frames carry the same seq, event and data, in order, with no gap.
        for (auto [socket, channel, stored] : {std::tuple{&erinSocket, erinChannel, erinHistory},
                                               std::tuple{&fredSocket, fredChannel, fredHistory}}) {
            QTRY_COMPARE_WITH_TIMEOUT(socket->frames().size(), stored.size() + 2,
                                      5000); // + established + subscribed
            QList<qint64> liveSeqs;
            qsizetype index = 0;
            for (const QJsonObject &frame : socket->frames()) {
                // (subscription_succeeded carries the channel's seq too: not an event)
                if (!frame.contains(QLatin1String("seq")) ||
                    frame.value(QLatin1String("event"))
                        .toString()
                        .startsWith(QLatin1String("pusher")))
                    continue;
                QCOMPARE(frame.value(QLatin1String("channel")).toString(), channel);
                const QJsonObject e = stored.at(index++).toObject();
                QCOMPARE(frame.value(QLatin1String("seq")).toInteger(),
                         e.value(QLatin1String("seq")).toInteger());
                QCOMPARE(frame.value(QLatin1String("event")).toString(),
                         e.value(QLatin1String("event")).toString());
                QCOMPARE(frame.value(QLatin1String("data")).toString(),
                         e.value(QLatin1String("data")).toString());
                liveSeqs.append(frame.value(QLatin1String("seq")).toInteger());
            }
            QCOMPARE(liveSeqs, seqsOf(stored));
        }
    }

    void apiEventsAreStoredVerbatim()
    {
        const Session gus = server().registerUser(QStringLiteral("Gus"));
        const QString channel = protocol::Channels::user(gus.user.id);
        const QString data = QStringLiteral("{ \"kept\" : \"as sent\" }");
        const QByteArray body =
            QJsonDocument(QJsonObject{{QLatin1String("name"), QStringLiteral("backend-note")},
                                      {QLatin1String("channel"), channel},
                                      {QLatin1String("data"), data}})
                .toJson(QJsonDocument::Compact);
        const QString path = QStringLiteral("/apps/test-app/events");
        const protocol::QueryParams params{
            {QStringLiteral("auth_key"), QStringLiteral("test-key")},
            {QStringLiteral("auth_timestamp"), QString::number(protocol::nowMs() / 1000)},
            {QStringLiteral("auth_version"), QStringLiteral("1.0")},
            {QStringLiteral("body_md5"), QString::fromLatin1(protocol::bodyMd5Hex(body))}};
        QString query;
        for (const auto &[key, value] : params)
            query += key + QLatin1Char('=') + value + QLatin1Char('&');
        query += QStringLiteral("auth_signature=") +
                 QString::fromLatin1(protocol::apiSignature(AppSecret, "POST", path, params));
        QCOMPARE(server().request("POST", path + QLatin1Char('?') + query, {}, body).status, 200);

        const QJsonArray stored = events(gus, channel);
        QCOMPARE(stored.size(), 1);
        QCOMPARE(stored.first().toObject().value(QLatin1String("seq")).toInteger(), 1);
        QCOMPARE(stored.first().toObject().value(QLatin1String("event")).toString(),
                 QStringLiteral("backend-note"));
        QCOMPARE(stored.first().toObject().value(QLatin1String("data")).toString(), data);
    }

    void historySurvivesRestartAndSeqContinues()
    {
        TestServer node([](server::Config &config) { config.messagesPerSecond = 1000; });
        QVERIFY2(node.isRunning(), qPrintable(node.errorString()));
        const Session hal = node.registerUser(QStringLiteral("Hal"));
        const Session ida = node.registerUser(QStringLiteral("Ida"));
        auto sendOn = [&node](const Session &from, const Session &to) {
            return node
                .post(QStringLiteral("/api/messages"),
                      {{QLatin1String("to_user_id"), to.user.id},
                       {QLatin1String("body"), QStringLiteral("x")}},
                      from.token)
                .status;
        };
        for (int i = 0; i < 3; ++i)
            QCOMPARE(sendOn(hal, ida), 201);
        const QString channel = protocol::Channels::user(ida.user.id);
        const QString path = QStringLiteral("/api/channels/%1/events?after=0").arg(channel);
        const QJsonArray before =
            node.get(path, ida.token).json.value(QLatin1String("data")).toArray();
        QCOMPARE(seqsOf(before), range(1, 6));

        QVERIFY(node.restart());
        const QJsonArray after =
            node.get(path, ida.token).json.value(QLatin1String("data")).toArray();
        QCOMPARE(after, before);

        // Live delivery resumes at the next seq: nothing reused, nothing skipped.
        TestSocket socket(node.webSocketUrl());
        QVERIFY(socket.waitConnected());
        QVERIFY(socket.subscribeAuthorized(node, ida, channel));
        QCOMPARE(sendOn(hal, ida), 201);
        const auto frame = socket.waitFor(protocol::EventName::MessageSent, channel);
        QVERIFY(frame);
        QCOMPARE(frame->value(QLatin1String("seq")).toInteger(), 7);
        QCOMPARE(seqsOf(node.get(path, ida.token).json.value(QLatin1String("data")).toArray()),
                 range(1, 8));
    }
};

QTEST_GUILESS_MAIN(TestHistory)
#include "tst_history.moc"
