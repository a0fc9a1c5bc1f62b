// SPDX-License-Identifier: MIT
// One open conversation of the desktop client (MessageModel + Outbox + RealtimeClient) for two
// users at once, against a real server on a real port: history paging, optimistic rows that
// become stored messages, refused and retried messages, a queue that survives the server going
// away, read receipts, typing and plain text. QAbstractItemModelTester watches both models.
#include "apiclient.h"
#include "messagemodel.h"
#include "outbox.h"
#include "realtimeclient.h"
#include "testserver.h"

#include "protocol/types.h"

#include <QAbstractItemModelTester>
#include <QJsonArray>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace flippdeal;
using namespace flippdeal::testing;
using client::MessageModel;
using client::Outbox;
using client::RealtimeClient;

namespace {

//! One signed-in user's client: REST, realtime, outbox and the conversation model.
struct Peer
{
    Peer(TestServer &server, const Session &who)
        : session(who)
        , realtime(api, server.config().appKey)
        , outbox(api, realtime)
        , model(api, realtime, outbox, who.user.id)
        , tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest)
    {
        api.setBaseUrl(server.url(QStringLiteral("/")));
        api.setToken(who.token);
        realtime.setReconnectDelays(50, 200);
        outbox.setRetryDelay(100);
        QObject::connect(&realtime, &RealtimeClient::subscribed, &realtime,
                         [this](const QString &channel) { subscribed.insert(channel); });
        QObject::connect(
            &realtime, &RealtimeClient::eventReceived, &realtime,
            [this](const QString &channel, const QString &, const QJsonObject &, qint64 seq) {
                if (channel == userChannel())
                    userSeqs.append(seq);
            });
    }

    QString userChannel() const { return protocol::Channels::user(session.user.id); }

    Session session;
    client::ApiClient api;
    RealtimeClient realtime;
    Outbox outbox;
    MessageModel model;
    QAbstractItemModelTester tester;
    QSet<QString> subscribed;
    QList<qint64> userSeqs; //!< every seq delivered on the user's own channel
};

QVariant roleAt(const MessageModel &model, int row, int role)
{
    return model.index(row).data(role);
}

QStringList bodies(const MessageModel &model)
{
    QStringList list;
    for (int row = 0; row < model.rowCount(); ++row)
        list.append(roleAt(model, row, MessageModel::BodyRole).toString());
    return list;
}

QList<qint64> ids(const MessageModel &model)
{
    QList<qint64> list;
    for (int row = 0; row < model.rowCount(); ++row)
        list.append(roleAt(model, row, MessageModel::MessageIdRole).toLongLong());
    return list;
}

int countOf(const MessageModel &model, const QString &body)
{
    return int(bodies(model).count(body));
}

//! The last row showing `body`, or -1.
int rowOf(const MessageModel &model, const QString &body)
{
    return int(bodies(model).lastIndexOf(body));
}

//! The status role's Outbox::Delivery by name (`Sent`, `Queued`, `Sending`, `Failed`).
QString deliveryAt(const MessageModel &model, int row)
{
    const int value = roleAt(model, row, MessageModel::StatusRole).toInt();
    return QString::fromLatin1(QMetaEnum::fromType<Outbox::Delivery>().valueToKey(value));
}

QString statusOf(const MessageModel &model, const QString &body)
{
    const int row = rowOf(model, body);
    return row < 0 ? QString() : deliveryAt(model, row);
}

qint64 idOf(const MessageModel &model, const QString &body)
{
    const int row = rowOf(model, body);
    return row < 0 ? 0 : roleAt(model, row, MessageModel::MessageIdRole).toLongLong();
}

bool readOf(const MessageModel &model, const QString &body)
{
    const int row = rowOf(model, body);
    return row >= 0 && roleAt(model, row, MessageModel::ReadRole).toBool();
}

bool isSent(const MessageModel &model, const QString &body)
{
    return statusOf(model, body) == QLatin1String("Sent") && idOf(model, body) > 0;
}

bool strictlyIncreasing(const QList<qint64> &list)
{
    for (qsizetype i = 1; i < list.size(); ++i)
        if (list.at(i) <= list.at(i - 1))
            return false;
    return true;
}

//! Whether `seqs` is n, n + 1, n + 2, …: nothing missing, nothing twice.
bool consecutive(const QList<qint64> &seqs)
{
    for (qsizetype i = 1; i < seqs.size(); ++i)
        if (seqs.at(i) != seqs.at(i - 1) + 1)
            return false;
    return true;
}

} // namespace

class TestMessageModel : public QObject
{
    Q_OBJECT

    std::unique_ptr<TestServer> m_server;
    Session m_alice;
    Session m_bob;

    Reply postMessage(const Session &from, const Session &to, const QString &body,
                      qint64 domainId = 0)
    {
        QJsonObject fields{{QLatin1String("to_user_id"), to.user.id},
                           {QLatin1String("body"), body}};
        if (domainId > 0)
            fields.insert(QLatin1String("domain_id"), domainId);
        return m_server->post(QStringLiteral("/api/messages"), fields, from.token);
    }

    //! Connects `peer`, subscribes it to its own user channel and opens its conversation with
    //! `other`; true once both channels are subscribed and the first page is in.
    bool start(Peer &peer, const Session &other, qint64 domainId = 0)
    {
        peer.realtime.subscribe(peer.userChannel());
        peer.realtime.connectToServer();
        peer.model.open(other.user.id, other.user.name, domainId);
        const QString conversation =
            protocol::Channels::conversation(peer.session.user.id, other.user.id);
        const bool ready = waitUntil(
            [&] {
                return peer.subscribed.contains(peer.userChannel()) &&
                       peer.subscribed.contains(conversation) && !peer.model.isLoading();
            },
            10000);
        // Let the user channel's baseline (its current last seq) come back before events flow.
        QTest::qWait(150);
        return ready && peer.model.errorString().isEmpty();
    }

private Q_SLOTS:
    void init()
    {
        m_server = std::make_unique<TestServer>(
            [](server::Config &config) { config.messagesPerSecond = 1000; });
        QVERIFY2(m_server->isRunning(), qPrintable(m_server->errorString()));
        m_alice = m_server->registerUser(QStringLiteral("Alice"));
        m_bob = m_server->registerUser(QStringLiteral("Bob"));
        QVERIFY(m_alice.user.id > 0 && m_bob.user.id > 0);
    }

    void cleanup() { m_server.reset(); }

    void historyLoadsOldestFirstAndPagesBack()
    {
        // 45 messages, alternating sender; a page is 30.
        QStringList all;
        for (int i = 0; i < 45; ++i) {
            const QString body = QStringLiteral("m%1").arg(i, 2, 10, QLatin1Char('0'));
            const bool fromAlice = i % 2 == 0;
            QCOMPARE(
                postMessage(fromAlice ? m_alice : m_bob, fromAlice ? m_bob : m_alice, body).status,
                201);
            all.append(body);
        }
        Peer alice(*m_server, m_alice);
        QCOMPARE(alice.model.otherUserId(), 0);
        QVERIFY(!alice.model.canLoadOlder());
        QSignalSpy conversation(&alice.model, &MessageModel::conversationChanged);
        QVERIFY(start(alice, m_bob));
        QCOMPARE(conversation.size(), 1);
        QCOMPARE(alice.model.otherUserId(), m_bob.user.id);
        QCOMPARE(alice.model.otherName(), m_bob.user.name);

        // The newest page, oldest first.
        QCOMPARE(bodies(alice.model), all.mid(15));
        QCOMPARE(alice.model.storedCount(), 30);
        QVERIFY(strictlyIncreasing(ids(alice.model)));
        QVERIFY(alice.model.canLoadOlder());
        for (int row = 0; row < alice.model.rowCount(); ++row) {
            const int n =
                roleAt(alice.model, row, MessageModel::BodyRole).toString().mid(1).toInt();
            QCOMPARE(roleAt(alice.model, row, MessageModel::FromMeRole).toBool(), n % 2 == 0);
            QCOMPARE(deliveryAt(alice.model, row), QStringLiteral("Sent"));
            QVERIFY(roleAt(alice.model, row, MessageModel::CreatedAtRole).toDateTime().isValid());
        }

        // Two new messages arrive live before the user scrolls up: they shift the server's
        // pages, and the second page overlaps the first.
        QCOMPARE(postMessage(m_bob, m_alice, QStringLiteral("n0")).status, 201);
        QCOMPARE(postMessage(m_bob, m_alice, QStringLiteral("n1")).status, 201);
        QTRY_COMPARE(alice.model.rowCount(), 32);
        all << QStringLiteral("n0") << QStringLiteral("n1");

        QSignalSpy loading(&alice.model, &MessageModel::loadingChanged);
        alice.model.loadOlder();
        QVERIFY(alice.model.isLoading());
        QVERIFY(!alice.model.canLoadOlder()); // not while a page is on its way
        QTRY_VERIFY(!alice.model.isLoading());
        QCOMPARE(loading.size(), 2);
        QCOMPARE(bodies(alice.model), all); // everything once, in order
        QVERIFY(strictlyIncreasing(ids(alice.model)));
        QVERIFY(!alice.model.canLoadOlder());

        // Nothing older: loadOlder does nothing.
        alice.model.loadOlder();
        QVERIFY(!alice.model.isLoading());
        QCOMPARE(loading.size(), 2);
        QCOMPARE(alice.model.rowCount(), 47);
    }

    void switchingConversationsIgnoresLateAnswers()
    {
        const Session carol = m_server->registerUser(QStringLiteral("Carol"));
        for (int i = 0; i < 5; ++i)
            QCOMPARE(postMessage(m_bob, m_alice, QStringLiteral("from bob %1").arg(i)).status, 201);
        QCOMPARE(postMessage(carol, m_alice, QStringLiteral("from carol")).status, 201);
        Peer alice(*m_server, m_alice);
        alice.model.open(m_bob.user.id, m_bob.user.name);
        QVERIFY(alice.model.isLoading());
        alice.model.open(carol.user.id, carol.user.name); // before Bob's page came back
        QTRY_VERIFY(!alice.model.isLoading());
        QTest::qWait(300); // Bob's page, if it were applied, would be in by now
        QCOMPARE(bodies(alice.model), QStringList{QStringLiteral("from carol")});
        QCOMPARE(alice.model.otherUserId(), carol.user.id);

        alice.model.close();
        QCOMPARE(alice.model.rowCount(), 0);
        QCOMPARE(alice.model.otherUserId(), 0);
        QVERIFY(!alice.model.send(QStringLiteral("to nobody")));
        QCOMPARE(alice.outbox.entries().size(), 0);
    }

    void sendShowsAnOptimisticRowThatBecomesTheStoredMessage()
    {
        Peer alice(*m_server, m_alice);
        Peer bob(*m_server, m_bob);
        QVERIFY(start(alice, m_bob));
        QVERIFY(start(bob, m_alice));
        QSignalSpy bobInserted(&bob.model, &QAbstractItemModel::rowsInserted);

        QVERIFY(!alice.model.send(QStringLiteral("  \n ")));
        QCOMPARE(alice.model.rowCount(), 0);

        const QString body = QStringLiteral("hello bob");
        QVERIFY(alice.model.send(QStringLiteral("  hello bob  ")));
        QCOMPARE(alice.model.rowCount(), 1);
        const qint64 localId = roleAt(alice.model, 0, MessageModel::MessageIdRole).toLongLong();
        QVERIFY2(localId < 0, "an unsent row has a negative id");
        const QString status = deliveryAt(alice.model, 0);
        QVERIFY2(status == QLatin1String("Queued") || status == QLatin1String("Sending"),
                 qPrintable(status));
        QCOMPARE(roleAt(alice.model, 0, MessageModel::BodyRole).toString(), body);
        QCOMPARE(roleAt(alice.model, 0, MessageModel::FromMeRole).toBool(), true);
        QCOMPARE(roleAt(alice.model, 0, MessageModel::ReadRole).toBool(), false);
        QCOMPARE(alice.outbox.pendingCount(), 1);

        QTRY_VERIFY(isSent(alice.model, body));
        QCOMPARE(alice.model.rowCount(), 1);
        QCOMPARE(alice.model.storedCount(), 1);
        QCOMPARE(alice.outbox.pendingCount(), 0);
        QVERIFY(alice.outbox.entries().isEmpty());
        const qint64 storedId = idOf(alice.model, body);

        QTRY_COMPARE(countOf(bob.model, body), 1);
        QTest::qWait(300); // no second copy arrives later
        QCOMPARE(countOf(bob.model, body), 1);
        QCOMPARE(bob.model.rowCount(), 1);
        QCOMPARE(bobInserted.size(), 1);
        QCOMPARE(idOf(bob.model, body), storedId);
        QCOMPARE(roleAt(bob.model, 0, MessageModel::FromMeRole).toBool(), false);
        QCOMPARE(statusOf(bob.model, body), QStringLiteral("Sent"));
        // Alice's own MessageSent echo did not add a second row either.
        QCOMPARE(countOf(alice.model, body), 1);
    }

    void refusedMessageFailsWithTheServersReason()
    {
        const QString tooLong(6000, QLatin1Char('x'));
        const QString alsoTooLong(6000, QLatin1Char('y'));
        // What the server says about it (a 422 stores nothing).
        const Reply direct = postMessage(m_alice, m_bob, tooLong);
        QCOMPARE(direct.status, 422);
        const QString reason = direct.json.value(QLatin1String("errors"))
                                   .toObject()
                                   .value(QLatin1String("body"))
                                   .toArray()
                                   .first()
                                   .toString();
        QVERIFY(!reason.isEmpty());

        Peer alice(*m_server, m_alice);
        Peer bob(*m_server, m_bob);
        QVERIFY(start(alice, m_bob));
        QVERIFY(start(bob, m_alice));

        const QString after = QStringLiteral("after the long ones");
        QVERIFY(alice.model.send(tooLong));
        QVERIFY(alice.model.send(alsoTooLong));
        QVERIFY(alice.model.send(after));
        QTRY_COMPARE(statusOf(alice.model, tooLong), QStringLiteral("Failed"));
        QTRY_COMPARE(statusOf(alice.model, alsoTooLong), QStringLiteral("Failed"));
        QTRY_VERIFY(isSent(alice.model, after)); // the refused ones did not block the queue
        const qint64 failedId = idOf(alice.model, tooLong);
        QVERIFY(failedId < 0);
        QCOMPARE(
            roleAt(alice.model, rowOf(alice.model, tooLong), MessageModel::ErrorRole).toString(),
            reason);
        // Stored messages first, then what is still in the outbox, in its order.
        QCOMPARE(bodies(alice.model), (QStringList{after, tooLong, alsoTooLong}));
        QCOMPARE(alice.outbox.pendingCount(), 0);
        QCOMPARE(alice.outbox.entries().size(), 2);

        QTRY_COMPARE(countOf(bob.model, after), 1);
        QCOMPARE(countOf(bob.model, tooLong), 0);
        QCOMPARE(bob.model.rowCount(), 1);

        // Retry: queued again behind the other, sent, refused again; the row moves to the end.
        QSignalSpy changed(&alice.outbox, &Outbox::changed);
        alice.model.retry(failedId);
        QCOMPARE(bodies(alice.model), (QStringList{after, alsoTooLong, tooLong}));
        const QString again = statusOf(alice.model, tooLong);
        QVERIFY2(again == QLatin1String("Queued") || again == QLatin1String("Sending"),
                 qPrintable(again));
        QTRY_COMPARE(statusOf(alice.model, tooLong), QStringLiteral("Failed"));
        QVERIFY(changed.size() >= 3); // queued, sending, failed
        QCOMPARE(idOf(alice.model, tooLong), failedId);
        QCOMPARE(countOf(alice.model, tooLong), 1);

        // Discard: the row and the outbox entry are gone.
        alice.model.discard(failedId);
        QCOMPARE(countOf(alice.model, tooLong), 0);
        QCOMPARE(bodies(alice.model), (QStringList{after, alsoTooLong}));
        QCOMPARE(alice.outbox.entries().size(), 1);
        alice.model.discard(idOf(alice.model, alsoTooLong));
        QCOMPARE(bodies(alice.model), QStringList{after});
        QVERIFY(alice.outbox.entries().isEmpty());
        alice.model.retry(failedId); // gone: nothing happens
        QCOMPARE(alice.model.rowCount(), 1);
    }

    void retriedMessageGoesOutOnceTheCauseIsFixed()
    {
        // A conversation about domain 1, which does not exist yet: the server refuses.
        constexpr qint64 domainId = 1;
        Peer alice(*m_server, m_alice);
        Peer bob(*m_server, m_bob);
        QVERIFY(start(alice, m_bob, domainId));
        QVERIFY(start(bob, m_alice, domainId));
        QCOMPARE(alice.model.domainIdOrZero(), domainId);
        const QString body = QStringLiteral("is the domain still for sale?");
        QVERIFY(alice.model.send(body));
        QTRY_COMPARE(statusOf(alice.model, body), QStringLiteral("Failed"));
        QCOMPARE(roleAt(alice.model, rowOf(alice.model, body), MessageModel::ErrorRole).toString(),
                 QStringLiteral("The selected domain does not exist."));
        const qint64 localId = idOf(alice.model, body);

        const Reply created = m_server->post(
            QStringLiteral("/api/domains"),
            {{QLatin1String("name"), QStringLiteral("retry-test.com")}}, m_bob.token);
        QCOMPARE(created.status, 201);
        QCOMPARE(created.json.value(QLatin1String("domain"))
                     .toObject()
                     .value(QLatin1String("id"))
                     .toInteger(),
                 domainId);

        alice.model.retry(localId);
        QTRY_VERIFY(isSent(alice.model, body));
        QCOMPARE(alice.model.rowCount(), 1);
        QTRY_COMPARE(countOf(bob.model, body), 1);
        const Reply stored =
            m_server->get(QStringLiteral("/api/messages/conversations/%1?domain_id=%2")
                              .arg(m_alice.user.id)
                              .arg(domainId),
                          m_bob.token);
        QCOMPARE(stored.json.value(QLatin1String("meta"))
                     .toObject()
                     .value(QLatin1String("total"))
                     .toInteger(),
                 1);
    }

    void messagesWaitForTheRealtimeConnection()
    {
        Peer alice(*m_server, m_alice);
        Peer bob(*m_server, m_bob);
        QVERIFY(start(alice, m_bob));
        QVERIFY(start(bob, m_alice));

        // The server is up, but Alice's realtime connection is not: nothing is sent.
        alice.realtime.disconnectFromServer();
        QCOMPARE(alice.realtime.state(), RealtimeClient::State::Disconnected);
        const QString body = QStringLiteral("sent once connected");
        QVERIFY(alice.model.send(body));
        QTest::qWait(400);
        QCOMPARE(statusOf(alice.model, body), QStringLiteral("Queued"));
        QCOMPARE(alice.outbox.pendingCount(), 1);
        QCOMPARE(countOf(bob.model, body), 0);
        const Reply none = m_server->get(
            QStringLiteral("/api/messages/conversations/%1").arg(m_alice.user.id), m_bob.token);
        QCOMPARE(none.json.value(QLatin1String("meta"))
                     .toObject()
                     .value(QLatin1String("total"))
                     .toInteger(),
                 0);

        alice.realtime.connectToServer();
        QTRY_VERIFY(isSent(alice.model, body));
        QTRY_COMPARE(countOf(bob.model, body), 1);
        QCOMPARE(alice.outbox.pendingCount(), 0);
    }

    void unsentMessagesSurviveQuittingTheApp()
    {
        QTemporaryDir dir;
        QSettings settings(dir.filePath(QStringLiteral("client.ini")), QSettings::IniFormat);
        const QString group = QStringLiteral("outbox/%1").arg(m_alice.user.id);
        const QStringList typed{QStringLiteral("typed offline 1"),
                                QStringLiteral("typed offline 2")};
        {
            // Offline: typed, kept, never sent; then the app quits.
            client::ApiClient api;
            api.setBaseUrl(m_server->url(QStringLiteral("/")));
            api.setToken(m_alice.token);
            RealtimeClient realtime(api, m_server->config().appKey);
            Outbox outbox(api, realtime);
            outbox.setStore(&settings, group);
            for (const QString &body : typed)
                outbox.enqueue(m_bob.user.id, std::nullopt, body);
            QCOMPARE(outbox.pendingCount(), 2);
        }
        QVERIFY(settings.contains(group + QStringLiteral("/entries")));

        // The next start: the same user's outbox picks them up and sends them, in order.
        Peer bob(*m_server, m_bob);
        QVERIFY(start(bob, m_alice));
        Peer alice(*m_server, m_alice);
        alice.outbox.setStore(&settings, group);
        QCOMPARE(alice.outbox.pendingCount(), 2);
        QVERIFY(start(alice, m_bob));
        QTRY_COMPARE(countOf(bob.model, typed.at(1)), 1);
        QCOMPARE(countOf(bob.model, typed.at(0)), 1);
        QVERIFY(rowOf(bob.model, typed.at(0)) < rowOf(bob.model, typed.at(1)));
        QTRY_COMPARE(alice.outbox.pendingCount(), 0);
        QVERIFY2(!settings.contains(group + QStringLiteral("/entries")),
                 "delivered messages are no longer stored");

        // Signing out forgets what is still waiting.
        alice.realtime.disconnectFromServer();
        alice.outbox.enqueue(m_bob.user.id, std::nullopt, QStringLiteral("never sent"));
        QVERIFY(settings.contains(group + QStringLiteral("/entries")));
        alice.outbox.clearStore();
        QVERIFY(!settings.contains(group + QStringLiteral("/entries")));
        QCOMPARE(alice.outbox.pendingCount(), 0);
    }

    void aLostAnswerDoesNotSendTwice()
    {
        Peer alice(*m_server, m_alice);
        Peer bob(*m_server, m_bob);
        QVERIFY(start(alice, m_bob));
        QVERIFY(start(bob, m_alice));
        alice.realtime.disconnectFromServer();
        const QString body = QStringLiteral("stored before the answer got lost");
        QVERIFY(alice.model.send(body));
        QCOMPARE(alice.outbox.entries().size(), 1);
        // The first attempt reached the server, but its answer never came back.
        const Reply first =
            m_server->post(QStringLiteral("/api/messages"),
                           {{QLatin1String("to_user_id"), m_bob.user.id},
                            {QLatin1String("body"), body},
                            {QLatin1String("client_id"), alice.outbox.entries().first().clientId}},
                           m_alice.token);
        QCOMPARE(first.status, 201);
        QTRY_COMPARE(countOf(bob.model, body), 1);

        alice.realtime.connectToServer(); // the retry
        QTRY_VERIFY(isSent(alice.model, body));
        QCOMPARE(alice.outbox.pendingCount(), 0);
        QCOMPARE(countOf(alice.model, body), 1);
        QTest::qWait(300);
        QCOMPARE(countOf(bob.model, body), 1);
        const Reply page = m_server->get(
            QStringLiteral("/api/messages/conversations/%1").arg(m_alice.user.id), m_bob.token);
        QCOMPARE(page.json.value(QLatin1String("meta"))
                     .toObject()
                     .value(QLatin1String("total"))
                     .toInteger(),
                 1);
    }

    void networkErrorKeepsTheMessageQueued()
    {
        Peer alice(*m_server, m_alice);
        Peer bob(*m_server, m_bob);
        QVERIFY(start(alice, m_bob));
        QVERIFY(start(bob, m_alice));

        // An outbox whose REST calls cannot reach the server, while the realtime connection is
        // fine (as when a proxy is down): a network error is not the message's fault.
        client::ApiClient flaky;
        flaky.setToken(m_alice.token);
        flaky.setBaseUrl(QUrl(QStringLiteral("http://127.0.0.1:9/")));
        Outbox outbox(flaky, alice.realtime);
        outbox.setRetryDelay(100);
        QSignalSpy changed(&outbox, &Outbox::changed);
        QSignalSpy delivered(&outbox, &Outbox::delivered);
        const QString body = QStringLiteral("through a flaky network");
        const qint64 localId = outbox.enqueue(m_bob.user.id, std::nullopt, body);
        QTRY_VERIFY(changed.size() >= 6); // sending → queued, again and again
        QVERIFY(outbox.entry(localId));
        QVERIFY(outbox.entry(localId)->status != Outbox::Delivery::Failed);
        QCOMPARE(outbox.pendingCount(), 1);
        QVERIFY(delivered.isEmpty());

        flaky.setBaseUrl(m_server->url(QStringLiteral("/")));
        QTRY_COMPARE(delivered.size(), 1);
        QCOMPARE(delivered.first().at(0).toLongLong(), localId);
        QVERIFY(outbox.entries().isEmpty());
        QCOMPARE(outbox.pendingCount(), 0);
        QTRY_COMPARE(countOf(bob.model, body), 1);
        QTRY_COMPARE(countOf(alice.model, body), 1);
        QTest::qWait(300);
        QCOMPARE(countOf(bob.model, body), 1);
    }

    void offlineQueueGoesOutInOrderAfterTheServerReturns()
    {
        Peer alice(*m_server, m_alice);
        Peer bob(*m_server, m_bob);
        QVERIFY(start(alice, m_bob));
        QVERIFY(start(bob, m_alice));
        QSignalSpy bobRecovered(&bob.realtime, &RealtimeClient::recovered);

        QVERIFY(alice.model.send(QStringLiteral("before")));
        QTRY_COMPARE(countOf(bob.model, QStringLiteral("before")), 1);
        // The broadcast goes out before the sender's answer (commit, publish, answer).
        QTRY_VERIFY(isSent(alice.model, QStringLiteral("before")));

        QVERIFY(m_server->stop());
        QTRY_VERIFY(alice.realtime.state() != RealtimeClient::State::Connected);
        QTRY_VERIFY(bob.realtime.state() != RealtimeClient::State::Connected);
        // Bob stays away until Alice's messages are stored, so he has to recover them from the
        // history: his next attempt waits minutes (the quick one under way fails meanwhile).
        bob.realtime.setReconnectDelays(600000, 600000);
        QTest::qWait(400);
        QTRY_COMPARE(bob.realtime.state(), RealtimeClient::State::Unavailable);
        QTRY_COMPARE(alice.realtime.state(), RealtimeClient::State::Unavailable);

        const QStringList typed{QStringLiteral("offline one"), QStringLiteral("offline two"),
                                QStringLiteral("offline three")};
        for (const QString &body : typed)
            QVERIFY(alice.model.send(body));
        QCOMPARE(bodies(alice.model), QStringList{QStringLiteral("before")} + typed);
        QCOMPARE(alice.outbox.pendingCount(), 3);
        QTest::qWait(500); // the client keeps trying to reconnect; nothing goes out or is lost
        QCOMPARE(bodies(alice.model), QStringList{QStringLiteral("before")} + typed);
        for (const QString &body : typed) {
            QCOMPARE(statusOf(alice.model, body), QStringLiteral("Queued"));
            QVERIFY(idOf(alice.model, body) < 0);
        }
        QCOMPARE(alice.outbox.pendingCount(), 3);

        QVERIFY2(m_server->start(), qPrintable(m_server->errorString()));
        QTRY_COMPARE_WITH_TIMEOUT(alice.realtime.state(), RealtimeClient::State::Connected, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(isSent(alice.model, typed.last()), 10000);
        for (const QString &body : typed)
            QVERIFY2(isSent(alice.model, body), qPrintable(body));
        QCOMPARE(bodies(alice.model), QStringList{QStringLiteral("before")} + typed);
        QVERIFY(strictlyIncreasing(ids(alice.model))); // stored in the order they were typed
        QCOMPARE(alice.outbox.pendingCount(), 0);

        // The server has each once, in typed order (newest first).
        const Reply stored = m_server->get(
            QStringLiteral("/api/messages/conversations/%1").arg(m_alice.user.id), m_bob.token);
        QCOMPARE(stored.status, 200);
        QStringList serverBodies;
        for (const QJsonValue &m : stored.json.value(QLatin1String("data")).toArray())
            serverBodies.prepend(m.toObject().value(QLatin1String("body")).toString());
        QCOMPARE(serverBodies, QStringList{QStringLiteral("before")} + typed);

        // Bob was away the whole time: nothing arrived live.
        QCOMPARE(bob.realtime.state(), RealtimeClient::State::Unavailable);
        QCOMPARE(bob.model.rowCount(), 1);
        bob.realtime.setReconnectDelays(50, 200);
        bob.realtime.connectToServer();
        QTRY_COMPARE_WITH_TIMEOUT(bob.realtime.state(), RealtimeClient::State::Connected, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(bob.model.rowCount(), 4, 10000);
        QCOMPARE(bodies(bob.model), QStringList{QStringLiteral("before")} + typed);
        QVERIFY(strictlyIncreasing(ids(bob.model)));
        QVERIFY(!bobRecovered.isEmpty());
        QCOMPARE(bobRecovered.first().at(0).toString(), bob.userChannel());
        QTest::qWait(300);
        QCOMPARE(bob.model.rowCount(), 4);
        // On Bob's channel: "before" (MessageSent + NotificationCreated), then six recovered.
        QVERIFY2(consecutive(bob.userSeqs), qPrintable(QDebug::toString(bob.userSeqs)));
        QCOMPARE(bob.userSeqs.size(), 8);
        QVERIFY2(consecutive(alice.userSeqs), qPrintable(QDebug::toString(alice.userSeqs)));

        // Live delivery goes on afterwards.
        QVERIFY(alice.model.send(QStringLiteral("back to normal")));
        QTRY_COMPARE(countOf(bob.model, QStringLiteral("back to normal")), 1);
        QCOMPARE(bob.model.rowCount(), 5);
    }

    void readReceipts()
    {
        Peer alice(*m_server, m_alice);
        Peer bob(*m_server, m_bob);
        QVERIFY(start(alice, m_bob));
        QVERIFY(start(bob, m_alice));
        QSignalSpy marked(&bob.model, &MessageModel::markedRead);

        // Bob's view is not visible: nothing is marked read.
        const QString first = QStringLiteral("read me later");
        QVERIFY(alice.model.send(first));
        QTRY_COMPARE(countOf(bob.model, first), 1);
        QTest::qWait(300);
        QVERIFY(!readOf(bob.model, first));
        QVERIFY(!readOf(alice.model, first));
        QVERIFY(marked.isEmpty());

        // Bob looks: it is marked read, and Alice's row learns it through MessageRead.
        QSignalSpy active(&bob.model, &MessageModel::activeChanged);
        bob.model.setActive(true);
        QCOMPARE(active.size(), 1);
        QTRY_VERIFY(readOf(alice.model, first));
        QTRY_VERIFY(readOf(bob.model, first));
        QCOMPARE(marked.size(), 1);
        QCOMPARE(marked.first().at(0).toLongLong(), m_alice.user.id);
        QCOMPARE(marked.first().at(1).toLongLong(), 0);
        QCOMPARE(marked.first().at(2).toInt(), 1);

        // While active, a new message is read as it arrives.
        const QString second = QStringLiteral("read me now");
        QVERIFY(alice.model.send(second));
        QTRY_VERIFY(readOf(alice.model, second));
        QTRY_VERIFY(readOf(bob.model, second)); // Alice may hear of it before Bob's answer
        QCOMPARE(marked.size(), 2);

        // Bob's own messages are not his to mark; Alice's view is not active.
        const QString reply = QStringLiteral("thanks");
        QVERIFY(bob.model.send(reply));
        QTRY_COMPARE(countOf(alice.model, reply), 1);
        QTest::qWait(300);
        QVERIFY(!readOf(bob.model, reply));
        QVERIFY(!readOf(alice.model, reply));
        QCOMPARE(marked.size(), 2);

        const Reply bobUnread =
            m_server->get(QStringLiteral("/api/messages/unread-count"), m_bob.token);
        QCOMPARE(bobUnread.json.value(QLatin1String("count")).toInt(), 0);
        const Reply aliceUnread =
            m_server->get(QStringLiteral("/api/messages/unread-count"), m_alice.token);
        QCOMPARE(aliceUnread.json.value(QLatin1String("count")).toInt(), 1);
    }

    void readReceiptOfAnUnloadedMessageOnlyUpdates()
    {
        // 45 unread messages from Alice; each side has loaded only the newest 30.
        QStringList all;
        for (int i = 0; i < 45; ++i) {
            all.append(QStringLiteral("old %1").arg(i, 2, 10, QLatin1Char('0')));
            QCOMPARE(postMessage(m_alice, m_bob, all.last()).status, 201);
        }
        Peer alice(*m_server, m_alice);
        Peer bob(*m_server, m_bob);
        QVERIFY(start(alice, m_bob));
        QVERIFY(start(bob, m_alice));
        QCOMPARE(alice.model.rowCount(), 30);

        bob.model.setActive(true); // Bob reads the newest 30 …
        QTRY_VERIFY(readOf(alice.model, all.at(15)));
        QTRY_VERIFY(readOf(alice.model, all.last()));
        bob.model.loadOlder(); // … and scrolls up to the older ones
        QTRY_COMPARE(bob.model.rowCount(), 45);
        QTRY_VERIFY(readOf(bob.model, all.first()));
        QTest::qWait(500); // Alice hears of those reads too
        // A read receipt updates a row Alice has; it does not add the ones she has not loaded.
        QCOMPARE(alice.model.rowCount(), 30);
        QCOMPARE(bodies(alice.model), all.mid(15));
        QVERIFY(alice.model.canLoadOlder());
        alice.model.loadOlder();
        QTRY_COMPARE(alice.model.rowCount(), 45);
        QCOMPARE(bodies(alice.model), all);
        QVERIFY(readOf(alice.model, all.first())); // as the server has it
    }

    void typingIsShownToTheOtherSide()
    {
        Peer alice(*m_server, m_alice);
        Peer bob(*m_server, m_bob);
        QVERIFY(start(alice, m_bob));
        QVERIFY(start(bob, m_alice));
        QSignalSpy clientEvents(&bob.realtime, &RealtimeClient::clientEventReceived);
        QElapsedTimer clock;
        clock.start();
        QList<QPair<qint64, bool>> changes; // (ms, peerTyping)
        connect(&bob.model, &MessageModel::peerTypingChanged, this, [&] {
            changes.append({clock.elapsed(), bob.model.peerTyping()});
        });

        QVERIFY(!bob.model.peerTyping());
        alice.model.noteTyping();
        alice.model.noteTyping(); // within 2 s: not announced again
        QTRY_VERIFY_WITH_TIMEOUT(bob.model.peerTyping(), 1000);
        QVERIFY(!alice.model.peerTyping()); // the typist does not see herself typing
        QTest::qWait(300);
        QCOMPARE(clientEvents.size(), 1);
        QCOMPARE(clientEvents.first().at(0).toString(),
                 protocol::Channels::conversation(m_alice.user.id, m_bob.user.id));

        // Shown for about 4 s after the last announcement.
        QTRY_VERIFY_WITH_TIMEOUT(!bob.model.peerTyping(), 7000);
        QCOMPARE(changes.size(), 2);
        const qint64 shownMs = changes.at(1).first - changes.at(0).first;
        QVERIFY2(shownMs >= 3500 && shownMs <= 5500, qPrintable(QString::number(shownMs)));

        // A message from the typist ends the indicator at once.
        alice.model.noteTyping(); // more than 2 s after the last one: announced
        QTRY_VERIFY_WITH_TIMEOUT(bob.model.peerTyping(), 1000);
        const qint64 typingSince = clock.elapsed();
        QVERIFY(alice.model.send(QStringLiteral("done typing")));
        QTRY_COMPARE(countOf(bob.model, QStringLiteral("done typing")), 1);
        QVERIFY(!bob.model.peerTyping());
        QVERIFY(clock.elapsed() - typingSince < 3500); // not the timeout that cleared it
    }

    void bodyIsThePlainTextTheServerStored()
    {
        Peer alice(*m_server, m_alice);
        Peer bob(*m_server, m_bob);
        QVERIFY(start(alice, m_bob));
        QVERIFY(start(bob, m_alice));
        const QString html = QStringLiteral(
            "<p>Hi <b>Bob</b></p><script>alert('x')</script><img src=x onerror=alert(1)>");
        QVERIFY(alice.model.send(html));
        QTRY_COMPARE(alice.model.storedCount(), 1);
        QTRY_COMPARE(alice.model.rowCount(), 1);

        const Reply stored = m_server->get(
            QStringLiteral("/api/messages/conversations/%1").arg(m_alice.user.id), m_bob.token);
        const QString serverText = stored.json.value(QLatin1String("data"))
                                       .toArray()
                                       .first()
                                       .toObject()
                                       .value(QLatin1String("body"))
                                       .toString();
        QVERIFY(!serverText.isEmpty());
        QVERIFY2(!serverText.contains(QLatin1Char('<')) && !serverText.contains(u"alert"),
                 qPrintable(serverText));
        QCOMPARE(roleAt(alice.model, 0, MessageModel::BodyRole).toString(), serverText);
        QCOMPARE(roleAt(alice.model, 0, Qt::DisplayRole).toString(), serverText);
        QTRY_COMPARE(bob.model.rowCount(), 1);
        QCOMPARE(roleAt(bob.model, 0, MessageModel::BodyRole).toString(), serverText);
        QCOMPARE(countOf(alice.model, html), 0);
    }
};

QTEST_GUILESS_MAIN(TestMessageModel)
#include "tst_messagemodel.moc"
