// SPDX-License-Identifier: MIT
// The desktop client's realtime core against a real server on a real port: live events, and
// recovery of everything missed across a server restart or a gap, with no duplicates.
#include "apiclient.h"
#include "realtimeclient.h"
#include "testserver.h"

#include "events/eventstore.h"
#include "gateway/gateway.h"
#include "storage/database.h"

#include <QSignalSpy>
#include <QtTest>

using namespace flippdeal;
using namespace flippdeal::testing;

class TestRealtimeClient : public QObject
{
    Q_OBJECT

    struct Received
    {
        QString event;
        qint64 seq;
        QJsonObject data;
    };

    std::unique_ptr<TestServer> m_server;
    Session m_alice;
    Session m_bob;

    std::unique_ptr<client::ApiClient> makeApi(const Session &session)
    {
        auto api = std::make_unique<client::ApiClient>();
        api->setBaseUrl(m_server->url(QStringLiteral("/")));
        api->setToken(session.token);
        return api;
    }

    void sendMessage(const QString &body)
    {
        const Reply reply = m_server->post(
            QStringLiteral("/api/messages"),
            {{QLatin1String("to_user_id"), m_bob.user.id}, {QLatin1String("body"), body}},
            m_alice.token);
        QCOMPARE(reply.status, 201);
    }

private Q_SLOTS:
    void init()
    {
        m_server = std::make_unique<TestServer>(
            [](server::Config &config) { config.messagesPerSecond = 1000; });
        QVERIFY(m_server->isRunning());
        m_alice = m_server->registerUser(QStringLiteral("Alice"));
        m_bob = m_server->registerUser(QStringLiteral("Bob"));
    }

    void cleanup() { m_server.reset(); }

    void connectsSubscribesAndReceives()
    {
        auto api = makeApi(m_bob);
        client::RealtimeClient realtime(*api, m_server->config().appKey);
        QCOMPARE(realtime.state(), client::RealtimeClient::State::Initialized);
        QSignalSpy subscribed(&realtime, &client::RealtimeClient::subscribed);
        QSignalSpy events(&realtime, &client::RealtimeClient::eventReceived);
        const QString channel = QStringLiteral("private-user.%1").arg(m_bob.user.id);
        realtime.subscribe(channel);
        realtime.connectToServer();
        QTRY_COMPARE(realtime.state(), client::RealtimeClient::State::Connected);
        QVERIFY(!realtime.socketId().isEmpty());
        QTRY_COMPARE(subscribed.size(), 1);
        sendMessage(QStringLiteral("hello"));
        QTRY_COMPARE(events.size(), 2); // MessageSent + NotificationCreated
        QCOMPARE(events.at(0).at(1).toString(), QStringLiteral("MessageSent"));
        QCOMPARE(events.at(0)
                     .at(2)
                     .toJsonObject()
                     .value(QLatin1String("message"))
                     .toObject()
                     .value(QLatin1String("body"))
                     .toString(),
                 QStringLiteral("hello"));
        QCOMPARE(events.at(0).at(3).toLongLong(), 1);
        QCOMPARE(events.at(1).at(3).toLongLong(), 2);
        QCOMPARE(realtime.lastSeq(channel), 2);
    }

    void firstSubscriptionStartsAtTheSeqTheServerAnnounces()
    {
        sendMessage(QStringLiteral("before")); // seq 1 and 2 on Bob's channel
        auto api = makeApi(m_bob);
        client::RealtimeClient realtime(*api, m_server->config().appKey);
        const QString channel = QStringLiteral("private-user.%1").arg(m_bob.user.id);
        qint64 atSubscription = -1;
        connect(&realtime, &client::RealtimeClient::subscribed, this,
                [&](const QString &) { atSubscription = realtime.lastSeq(channel); });
        QSignalSpy events(&realtime, &client::RealtimeClient::eventReceived);
        realtime.subscribe(channel);
        realtime.connectToServer();
        QTRY_COMPARE(atSubscription, 2); // known at once, from subscription_succeeded
        sendMessage(QStringLiteral("after"));
        QTRY_COMPARE(events.size(), 2);
        QCOMPARE(events.at(0).at(3).toLongLong(), 3);
        QCOMPARE(realtime.lastSeq(channel), 4);
    }

    void refusedSubscriptionIsReported()
    {
        auto api = makeApi(m_bob);
        client::RealtimeClient realtime(*api, m_server->config().appKey);
        QSignalSpy failed(&realtime, &client::RealtimeClient::subscriptionFailed);
        realtime.subscribe(QStringLiteral("private-user.%1").arg(m_alice.user.id));
        realtime.connectToServer();
        QTRY_COMPARE(failed.size(), 1);
        QVERIFY(!failed.first().at(1).toString().isEmpty());
    }

    void recoversEverythingMissedAcrossARestart()
    {
        auto api = makeApi(m_bob);
        client::RealtimeClient realtime(*api, m_server->config().appKey);
        realtime.setReconnectDelays(400, 2000);
        QList<Received> received;
        connect(&realtime, &client::RealtimeClient::eventReceived, this,
                [&received](const QString &, const QString &event, const QJsonObject &data,
                            qint64 seq) {
                    received.append({event, seq, data});
                });
        QSignalSpy recovered(&realtime, &client::RealtimeClient::recovered);
        QSignalSpy subscribed(&realtime, &client::RealtimeClient::subscribed);
        const QString channel = QStringLiteral("private-user.%1").arg(m_bob.user.id);
        realtime.subscribe(channel);
        realtime.connectToServer();
        QTRY_COMPARE(subscribed.size(), 1);
        sendMessage(QStringLiteral("before"));
        QTRY_COMPARE(received.size(), 2);

        // The server goes away and comes back; while the client waits to reconnect, three
        // messages are sent. Their live broadcasts find no subscriber.
        QVERIFY(m_server->restart());
        QTRY_VERIFY(realtime.state() != client::RealtimeClient::State::Connected);
        for (int i = 0; i < 3; ++i)
            sendMessage(QStringLiteral("missed %1").arg(i));
        QCOMPARE(received.size(), 2);

        QTRY_COMPARE_WITH_TIMEOUT(realtime.state(), client::RealtimeClient::State::Connected,
                                  10000);
        QTRY_COMPARE_WITH_TIMEOUT(received.size(), 8, 10000);
        QVERIFY(!recovered.isEmpty());
        for (qsizetype i = 0; i < received.size(); ++i)
            QCOMPARE(received.at(i).seq, i + 1); // in order, no gap, no duplicate
        QCOMPARE(received.at(2)
                     .data.value(QLatin1String("message"))
                     .toObject()
                     .value(QLatin1String("body"))
                     .toString(),
                 QStringLiteral("missed 0"));

        // And live delivery continues afterwards.
        sendMessage(QStringLiteral("after"));
        QTRY_COMPARE(received.size(), 10);
        QCOMPARE(received.last().seq, 10);
    }

    void aGapIsFilledFromHistory()
    {
        auto api = makeApi(m_bob);
        client::RealtimeClient realtime(*api, m_server->config().appKey);
        QList<qint64> seqs;
        connect(&realtime, &client::RealtimeClient::eventReceived, this,
                [&seqs](const QString &, const QString &, const QJsonObject &, qint64 seq) {
                    seqs.append(seq);
                });
        QSignalSpy subscribed(&realtime, &client::RealtimeClient::subscribed);
        const QString channel = QStringLiteral("private-user.%1").arg(m_bob.user.id);
        realtime.subscribe(channel);
        realtime.connectToServer();
        QTRY_COMPARE(subscribed.size(), 1);
        sendMessage(QStringLiteral("one"));
        QTRY_COMPARE(seqs.size(), 2);

        // An event committed but never broadcast to this client (as from another node): the
        // next live event skips a seq, and the client fetches the missing one first.
        server::EventStore &events = m_server->app().events();
        events.setPublishing(false);
        QVERIFY(
            events.transaction([&](server::EventBatch &batch) -> server::Expected<server::Done> {
                batch.add(channel, QStringLiteral("NotificationCreated"),
                          {{QLatin1String("note"), QStringLiteral("unseen")}});
                return server::Done{};
            }));
        events.setPublishing(true);
        sendMessage(QStringLiteral("two"));
        QTRY_COMPARE(seqs.size(), 5);
        QCOMPARE(seqs, (QList<qint64>{1, 2, 3, 4, 5}));
    }

    void duplicatesAreDropped()
    {
        auto api = makeApi(m_bob);
        client::RealtimeClient realtime(*api, m_server->config().appKey);
        QSignalSpy events(&realtime, &client::RealtimeClient::eventReceived);
        QSignalSpy subscribed(&realtime, &client::RealtimeClient::subscribed);
        const QString channel = QStringLiteral("private-user.%1").arg(m_bob.user.id);
        realtime.subscribe(channel);
        realtime.connectToServer();
        QTRY_COMPARE(subscribed.size(), 1);
        sendMessage(QStringLiteral("once"));
        QTRY_COMPARE(events.size(), 2);
        // The same seq again, as a node republishing its outbox after a crash would send it.
        m_server->app().gateway().broadcast({channel, QStringLiteral("MessageSent"), "{}", 1, {}});
        m_server->app().gateway().broadcast({channel, QStringLiteral("MessageSent"), "{}", 2, {}});
        QTest::qWait(300);
        QCOMPARE(events.size(), 2);
    }

    void disconnectingOnPurposeDoesNotReconnect()
    {
        auto api = makeApi(m_bob);
        client::RealtimeClient realtime(*api, m_server->config().appKey);
        realtime.setReconnectDelays(50, 100);
        realtime.connectToServer();
        QTRY_COMPARE(realtime.state(), client::RealtimeClient::State::Connected);
        realtime.disconnectFromServer();
        QCOMPARE(realtime.state(), client::RealtimeClient::State::Disconnected);
        QTest::qWait(400);
        QCOMPARE(realtime.state(), client::RealtimeClient::State::Disconnected);
        QTRY_COMPARE(m_server->app().gateway().connectionCount(), 0);
    }

    void unreachableServerKeepsRetrying()
    {
        auto api = std::make_unique<client::ApiClient>();
        api->setBaseUrl(QUrl(QStringLiteral("http://127.0.0.1:9/"))); // nothing listens on discard
        client::RealtimeClient realtime(*api, QStringLiteral("test-key"));
        realtime.setReconnectDelays(20, 80);
        QSignalSpy states(&realtime, &client::RealtimeClient::stateChanged);
        realtime.connectToServer();
        QTRY_VERIFY(states.size() >= 6); // connecting → unavailable → connecting → …
        QVERIFY(!realtime.errorString().isEmpty());
        realtime.disconnectFromServer();
    }
};

QTEST_GUILESS_MAIN(TestRealtimeClient)
#include "tst_realtimeclient.moc"
