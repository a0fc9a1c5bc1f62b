// SPDX-License-Identifier: MIT
// The inbox model against a real server: one row per (other user, domain), newest first, with
// unread counts; kept live from MessageSent on the user's channel; lowered by noteRead. Under
// QAbstractItemModelTester, which checks every reset, move and change it signals.
#include "apiclient.h"
#include "conversationmodel.h"
#include "realtimeclient.h"
#include "testserver.h"

#include "protocol/types.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QtTest>

using namespace flippdeal;
using namespace flippdeal::testing;
using Model = client::ConversationModel;

class TestConversationModel : public QObject
{
    Q_OBJECT

    std::unique_ptr<TestServer> m_server;
    Session m_alice; // the inbox's owner
    Session m_bob;
    Session m_carol;
    Session m_dave;
    qint64 m_domain = 0; // Bob's
    QList<qint64> m_unreadFromBob;
    qint64 m_unreadAboutDomain = 0;
    qint64 m_unreadFromCarol = 0;

    //! Sends a message; the id, or -1 (and a warning) when the server refused it.
    qint64 send(const Session &from, const Session &to, const QString &body, qint64 domainId = 0)
    {
        QJsonObject json{{QLatin1String("to_user_id"), to.user.id}, {QLatin1String("body"), body}};
        if (domainId > 0)
            json.insert(QLatin1String("domain_id"), domainId);
        const Reply reply = m_server->post(QStringLiteral("/api/messages"), json, from.token);
        if (reply.status != 201) {
            qWarning() << "POST /api/messages:" << reply.status << reply.body;
            return -1;
        }
        return reply.json.value(QLatin1String("message"))
            .toObject()
            .value(QLatin1String("id"))
            .toInteger();
    }

    //! Bob twice without a domain, Carol and Alice back and forth, then Bob about his domain.
    void fillInbox()
    {
        qint64 id = 0;
        QVERIFY((id = send(m_bob, m_alice, QStringLiteral("hello"))) > 0);
        m_unreadFromBob.append(id);
        QVERIFY((id = send(m_bob, m_alice, QStringLiteral("are you there?"))) > 0);
        m_unreadFromBob.append(id);
        QVERIFY((m_unreadFromCarol = send(m_carol, m_alice, QStringLiteral("a question"))) > 0);
        QVERIFY(send(m_alice, m_carol, QStringLiteral("an answer")) > 0);
        QVERIFY((m_unreadAboutDomain =
                     send(m_bob, m_alice, QStringLiteral("about sunrise.com"), m_domain)) > 0);
    }

    std::unique_ptr<client::ApiClient> makeApi(const QByteArray &token)
    {
        auto api = std::make_unique<client::ApiClient>();
        api->setBaseUrl(m_server->url(QStringLiteral("/")));
        api->setToken(token);
        return api;
    }

    static QVariant cell(const Model &model, int row, int role)
    {
        return model.index(row).data(role);
    }

    void markRead(qint64 messageId)
    {
        QCOMPARE(
            m_server->patch(QStringLiteral("/api/messages/%1/read").arg(messageId), m_alice.token)
                .status,
            200);
    }

private Q_SLOTS:
    void init()
    {
        m_server = std::make_unique<TestServer>(
            [](server::Config &config) { config.messagesPerSecond = 1000; });
        QVERIFY2(m_server->isRunning(), qPrintable(m_server->errorString()));
        m_alice = m_server->registerUser(QStringLiteral("Alice"));
        m_bob = m_server->registerUser(QStringLiteral("Bob"));
        m_carol = m_server->registerUser(QStringLiteral("Carol"));
        m_dave = m_server->registerUser(QStringLiteral("Dave"));
        const Reply domain =
            m_server->post(QStringLiteral("/api/domains"),
                           {{QLatin1String("name"), QStringLiteral("sunrise.com")}}, m_bob.token);
        QCOMPARE(domain.status, 201);
        m_domain = domain.json.value(QLatin1String("domain"))
                       .toObject()
                       .value(QLatin1String("id"))
                       .toInteger();
        QVERIFY(m_domain > 0);
        m_unreadFromBob.clear();
        fillInbox();
    }

    void cleanup() { m_server.reset(); }

    void loadsTheInbox()
    {
        auto api = makeApi(m_alice.token);
        client::RealtimeClient realtime(*api, m_server->config().appKey);
        Model model(*api, realtime, m_alice.user.id);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy loadingChanged(&model, &Model::loadingChanged);
        QSignalSpy totalChanged(&model, &Model::totalUnreadChanged);
        QCOMPARE(model.rowCount(), 0);
        QCOMPARE(model.totalUnread(), 0);

        model.reload();
        QVERIFY(model.isLoading());
        QTRY_VERIFY(!model.isLoading());
        QCOMPARE(loadingChanged.size(), 2);
        QCOMPARE(model.errorString(), QString());
        QCOMPARE(model.rowCount(), 3);

        // Newest first: Bob about the domain, then Carol (last word mine), then Bob without one.
        QCOMPARE(cell(model, 0, Model::OtherUserIdRole).toLongLong(), m_bob.user.id);
        QCOMPARE(cell(model, 0, Model::OtherNameRole).toString(), QStringLiteral("Bob"));
        QCOMPARE(cell(model, 0, Qt::DisplayRole).toString(), QStringLiteral("Bob"));
        QCOMPARE(cell(model, 0, Model::DomainIdRole).toLongLong(), m_domain);
        QCOMPARE(cell(model, 0, Model::LastBodyRole).toString(),
                 QStringLiteral("about sunrise.com"));
        QCOMPARE(cell(model, 0, Model::LastFromMeRole).toBool(), false);
        QCOMPARE(cell(model, 0, Model::UnreadRole).toInt(), 1);

        QCOMPARE(cell(model, 1, Model::OtherUserIdRole).toLongLong(), m_carol.user.id);
        QCOMPARE(cell(model, 1, Model::OtherNameRole).toString(), QStringLiteral("Carol"));
        QCOMPARE(cell(model, 1, Model::DomainIdRole).toLongLong(), 0);
        QCOMPARE(cell(model, 1, Model::LastBodyRole).toString(), QStringLiteral("an answer"));
        QCOMPARE(cell(model, 1, Model::LastFromMeRole).toBool(), true);
        QCOMPARE(cell(model, 1, Model::UnreadRole).toInt(), 1); // her question, still unread

        QCOMPARE(cell(model, 2, Model::OtherUserIdRole).toLongLong(), m_bob.user.id);
        QCOMPARE(cell(model, 2, Model::DomainIdRole).toLongLong(), 0);
        QCOMPARE(cell(model, 2, Model::LastBodyRole).toString(), QStringLiteral("are you there?"));
        QCOMPARE(cell(model, 2, Model::UnreadRole).toInt(), 2);

        QCOMPARE(model.totalUnread(), 4);
        QVERIFY(totalChanged.size() >= 1);

        QDateTime previous;
        for (int row = 0; row < model.rowCount(); ++row) {
            const QDateTime at = cell(model, row, Model::LastAtRole).toDateTime();
            QVERIFY(at.isValid());
            QCOMPARE(at.timeSpec(), Qt::UTC);
            QVERIFY(qAbs(at.secsTo(QDateTime::currentDateTimeUtc())) < 120);
            if (previous.isValid())
                QVERIFY(at <= previous);
            previous = at;
        }

        QCOMPARE(model.rowOf(m_bob.user.id, m_domain), 0);
        QCOMPARE(model.rowOf(m_carol.user.id, 0), 1);
        QCOMPARE(model.rowOf(m_bob.user.id, 0), 2);
        QCOMPARE(model.rowOf(m_dave.user.id, 0), -1);
        QCOMPARE(model.rowOf(m_carol.user.id, m_domain), -1);

        const QHash<int, QByteArray> roles = model.roleNames();
        QCOMPARE(roles.value(Model::OtherNameRole), QByteArray("otherName"));
        QCOMPARE(roles.value(Model::UnreadRole), QByteArray("unread"));
        QCOMPARE(roles.value(Model::LastAtRole), QByteArray("lastAt"));
    }

    void liveMessagesMoveRowsAndAddNewOnes()
    {
        auto api = makeApi(m_alice.token);
        client::RealtimeClient realtime(*api, m_server->config().appKey);
        Model model(*api, realtime, m_alice.user.id);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy subscribed(&realtime, &client::RealtimeClient::subscribed);
        realtime.subscribe(protocol::Channels::user(m_alice.user.id));
        realtime.connectToServer();
        QTRY_COMPARE(subscribed.size(), 1);
        model.reload();
        QTRY_VERIFY(!model.isLoading());
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(model.totalUnread(), 4);

        QSignalSpy moved(&model, &QAbstractItemModel::rowsMoved);
        QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
        QSignalSpy totalChanged(&model, &Model::totalUnreadChanged);

        // Bob again, without a domain: his row climbs from the bottom to the top.
        QVERIFY(send(m_bob, m_alice, QStringLiteral("one more thing")) > 0);
        QTRY_COMPARE(model.rowOf(m_bob.user.id, 0), 0);
        QCOMPARE(moved.size(), 1);
        QCOMPARE(resets.size(), 0); // moved, not reloaded
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(cell(model, 0, Model::LastBodyRole).toString(), QStringLiteral("one more thing"));
        QCOMPARE(cell(model, 0, Model::UnreadRole).toInt(), 3);
        QCOMPARE(cell(model, 0, Model::LastFromMeRole).toBool(), false);
        QCOMPARE(model.rowOf(m_bob.user.id, m_domain), 1);
        QCOMPARE(model.rowOf(m_carol.user.id, 0), 2);
        QCOMPARE(model.totalUnread(), 5);
        QVERIFY(totalChanged.size() >= 1);

        // My own message to Carol: her row moves up, no unread added.
        QVERIFY(send(m_alice, m_carol, QStringLiteral("and another answer")) > 0);
        QTRY_COMPARE(model.rowOf(m_carol.user.id, 0), 0);
        QCOMPARE(moved.size(), 2);
        QCOMPARE(cell(model, 0, Model::LastBodyRole).toString(),
                 QStringLiteral("and another answer"));
        QCOMPARE(cell(model, 0, Model::LastFromMeRole).toBool(), true);
        QCOMPARE(cell(model, 0, Model::UnreadRole).toInt(), 1);
        QCOMPARE(model.totalUnread(), 5);

        // Bob about his domain: that conversation, not the other one with him.
        QVERIFY(send(m_bob, m_alice, QStringLiteral("still interested?"), m_domain) > 0);
        QTRY_COMPARE(model.rowOf(m_bob.user.id, m_domain), 0);
        QCOMPARE(cell(model, 0, Model::UnreadRole).toInt(), 2);
        QCOMPARE(cell(model, 0, Model::LastBodyRole).toString(),
                 QStringLiteral("still interested?"));
        QCOMPARE(model.rowOf(m_carol.user.id, 0), 1);
        QCOMPARE(model.rowOf(m_bob.user.id, 0), 2);
        QCOMPARE(cell(model, 2, Model::UnreadRole).toInt(), 3);
        QCOMPARE(model.totalUnread(), 6);

        // Someone new: the inbox reloads to learn their name.
        QVERIFY(send(m_dave, m_alice, QStringLiteral("new here")) > 0);
        QTRY_COMPARE(model.rowCount(), 4);
        QTRY_VERIFY(!model.isLoading());
        QCOMPARE(resets.size(), 1);
        QCOMPARE(model.rowOf(m_dave.user.id, 0), 0);
        QCOMPARE(cell(model, 0, Model::OtherNameRole).toString(), QStringLiteral("Dave"));
        QCOMPARE(cell(model, 0, Model::UnreadRole).toInt(), 1);
        QCOMPARE(model.totalUnread(), 7);

        // The top row again: no move, only a change.
        const qsizetype movesBefore = moved.size();
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        QVERIFY(send(m_dave, m_alice, QStringLiteral("hello?")) > 0);
        QTRY_COMPARE(cell(model, 0, Model::UnreadRole).toInt(), 2);
        QCOMPARE(cell(model, 0, Model::LastBodyRole).toString(), QStringLiteral("hello?"));
        QCOMPARE(moved.size(), movesBefore);
        QVERIFY(changed.size() >= 1);
        QCOMPARE(model.totalUnread(), 8);
        QCOMPARE(model.rowCount(), 4);

        // What the server says agrees with what the model worked out live.
        const Reply inbox =
            m_server->get(QStringLiteral("/api/messages/conversations"), m_alice.token);
        const QJsonArray rows = inbox.json.value(QLatin1String("data")).toArray();
        QCOMPARE(rows.size(), model.rowCount());
        for (int row = 0; row < rows.size(); ++row) {
            const QJsonObject json = rows.at(row).toObject();
            QCOMPARE(cell(model, row, Model::OtherUserIdRole).toLongLong(),
                     json.value(QLatin1String("other_user"))
                         .toObject()
                         .value(QLatin1String("id"))
                         .toInteger());
            QCOMPARE(cell(model, row, Model::UnreadRole).toInt(),
                     json.value(QLatin1String("unread_count")).toInt());
        }
    }

    void noteReadLowersTheUnreadCounts()
    {
        auto api = makeApi(m_alice.token);
        client::RealtimeClient realtime(*api, m_server->config().appKey);
        Model model(*api, realtime, m_alice.user.id);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.reload();
        QTRY_VERIFY(!model.isLoading());
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(model.totalUnread(), 4);
        QSignalSpy totalChanged(&model, &Model::totalUnreadChanged);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);

        // The domain's conversation was read: only that row.
        model.noteRead(m_bob.user.id, m_domain, 1);
        QCOMPARE(cell(model, 0, Model::UnreadRole).toInt(), 0);
        QCOMPARE(cell(model, 2, Model::UnreadRole).toInt(), 2);
        QCOMPARE(model.totalUnread(), 3);
        QCOMPARE(totalChanged.size(), 1);
        QCOMPARE(changed.size(), 1);
        QCOMPARE(changed.first().at(0).toModelIndex().row(), 0);
        QVERIFY(changed.first().at(2).value<QList<int>>().contains(Model::UnreadRole));

        // Nothing left there, or nobody known: nothing changes, nothing is signalled.
        model.noteRead(m_bob.user.id, m_domain, 5);
        model.noteRead(m_dave.user.id, 0, 1);
        QCOMPARE(totalChanged.size(), 1);
        QCOMPARE(changed.size(), 1);

        // More read than counted: never below zero.
        model.noteRead(m_carol.user.id, 0, 5);
        QCOMPARE(cell(model, 1, Model::UnreadRole).toInt(), 0);
        QCOMPARE(model.totalUnread(), 2);

        // One of Bob's two without a domain.
        model.noteRead(m_bob.user.id, 0, 1);
        QCOMPARE(cell(model, 2, Model::UnreadRole).toInt(), 1);
        QCOMPARE(cell(model, 0, Model::UnreadRole).toInt(), 0);
        QCOMPARE(model.totalUnread(), 1);
        QCOMPARE(totalChanged.size(), 3);

        // The same messages read on the server: a reload agrees.
        markRead(m_unreadAboutDomain);
        markRead(m_unreadFromCarol);
        markRead(m_unreadFromBob.first());
        model.reload();
        QTRY_VERIFY(!model.isLoading());
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(cell(model, 0, Model::UnreadRole).toInt(), 0);
        QCOMPARE(cell(model, 1, Model::UnreadRole).toInt(), 0);
        QCOMPARE(cell(model, 2, Model::UnreadRole).toInt(), 1);
        QCOMPARE(model.totalUnread(), 1);
    }

    void errorsAreShownAndCleared()
    {
        auto api = makeApi("not-a-token");
        client::RealtimeClient realtime(*api, m_server->config().appKey);
        Model model(*api, realtime, m_alice.user.id);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy errorChanged(&model, &Model::errorStringChanged);
        model.reload();
        QTRY_VERIFY(!model.isLoading());
        QVERIFY(!model.errorString().isEmpty());
        QCOMPARE(errorChanged.size(), 1);
        QCOMPARE(model.rowCount(), 0);

        api->setToken(m_alice.token);
        model.reload();
        QTRY_VERIFY(!model.isLoading());
        QCOMPARE(model.errorString(), QString());
        QCOMPARE(errorChanged.size(), 2);
        QCOMPARE(model.rowCount(), 3);
    }

    void aReloadDuringALoadLoadsOnceMore()
    {
        auto api = makeApi(m_alice.token);
        client::RealtimeClient realtime(*api, m_server->config().appKey);
        Model model(*api, realtime, m_alice.user.id);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
        model.reload();
        model.reload(); // while the first is on its way: not dropped, not run in parallel
        model.reload();
        QTRY_COMPARE(resets.size(), 2);
        QTRY_VERIFY(!model.isLoading());
        QTest::qWait(200);
        QCOMPARE(resets.size(), 2);
        QCOMPARE(model.rowCount(), 3);
    }
};

QTEST_GUILESS_MAIN(TestConversationModel)
#include "tst_conversationmodel.moc"
