// SPDX-License-Identifier: MIT
// The notification bell's model against a real server: load, live arrivals, mark read, with
// QAbstractItemModelTester watching every change.
#include "apiclient.h"
#include "notificationmodel.h"
#include "realtimeclient.h"
#include "testserver.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QtTest>

using namespace flippdeal;
using namespace flippdeal::testing;

class TestNotificationModel : public QObject
{
    Q_OBJECT

    std::unique_ptr<TestServer> m_server;
    Session m_alice;
    Session m_bob;

    void send(const QString &body)
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

    void loadsLiveAndMarksRead()
    {
        send(QStringLiteral("first"));
        send(QStringLiteral("second"));

        client::ApiClient api;
        api.setBaseUrl(m_server->url(QStringLiteral("/")));
        api.setToken(m_bob.token);
        client::RealtimeClient realtime(api, m_server->config().appKey);
        client::NotificationModel model(api, realtime, m_bob.user.id);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy subscribed(&realtime, &client::RealtimeClient::subscribed);
        QSignalSpy arrived(&model, &client::NotificationModel::notificationArrived);

        realtime.connectToServer();
        model.reload();
        QTRY_COMPARE(model.rowCount(), 2);
        QCOMPARE(model.unreadCount(), 2);
        QCOMPARE(model.index(0).data(client::NotificationModel::TypeRole).toString(),
                 QStringLiteral("message.received"));
        QCOMPARE(model.index(0).data(client::NotificationModel::TitleRole).toString(),
                 QStringLiteral("New message from Alice"));
        QVERIFY(model.roleNames().contains(client::NotificationModel::ReadRole));

        QTRY_COMPARE(subscribed.size(), 1);
        send(QStringLiteral("third"));
        QTRY_COMPARE(model.rowCount(), 3);
        QCOMPARE(arrived.size(), 1);
        QCOMPARE(model.unreadCount(), 3);
        QCOMPARE(model.index(0)
                     .data(client::NotificationModel::DataRole)
                     .toMap()
                     .value(QStringLiteral("preview"))
                     .toString(),
                 QStringLiteral("third"));

        const qint64 newest = model.index(0).data(client::NotificationModel::IdRole).toLongLong();
        model.markRead(newest);
        QTRY_COMPARE(model.unreadCount(), 2);
        QVERIFY(model.index(0).data(client::NotificationModel::ReadRole).toBool());
        QCOMPARE(m_server->get(QStringLiteral("/api/notifications/unread-count"), m_bob.token)
                     .json.value(QLatin1String("count"))
                     .toInt(),
                 2);

        model.markAllRead();
        QTRY_COMPARE(model.unreadCount(), 0);
        QCOMPARE(m_server->get(QStringLiteral("/api/notifications/unread-count"), m_bob.token)
                     .json.value(QLatin1String("count"))
                     .toInt(),
                 0);

        // A reload keeps the same rows, now read, and does not duplicate the live one.
        model.reload();
        QTRY_VERIFY(!model.isLoading());
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(model.unreadCount(), 0);
    }

    void errorsAreShown()
    {
        client::ApiClient api;
        api.setBaseUrl(m_server->url(QStringLiteral("/")));
        api.setToken("not-a-token");
        client::RealtimeClient realtime(api, m_server->config().appKey);
        client::NotificationModel model(api, realtime, m_bob.user.id);
        QSignalSpy unauthorized(&api, &client::ApiClient::unauthorized);
        model.reload();
        QTRY_VERIFY(!model.errorString().isEmpty());
        QCOMPARE(model.rowCount(), 0);
        QCOMPARE(unauthorized.size(), 1);
    }

    void titles_data()
    {
        QTest::addColumn<QString>("type");
        QTest::addColumn<QJsonObject>("data");
        QTest::addColumn<QString>("title");
        QTest::addRow("outbid") << QStringLiteral("bid.outbid")
                                << QJsonObject{{QLatin1String("domain_name"),
                                                QStringLiteral("sunrise.com")},
                                               {QLatin1String("current_bid_cents"), 155000}}
                                << QStringLiteral("You were outbid on sunrise.com: now $1,550.00");
        QTest::addRow("won") << QStringLiteral("auction.won")
                             << QJsonObject{{QLatin1String("domain_name"), QStringLiteral("a.io")},
                                            {QLatin1String("final_bid_cents"), 99}}
                             << QStringLiteral("You won a.io for $0.99");
        QTest::addRow("escrow") << QStringLiteral("escrow.updated")
                                << QJsonObject{{QLatin1String("status"),
                                                QStringLiteral("pending_funding")}}
                                << QStringLiteral("Escrow is now pending funding");
        QTest::addRow("unknown type")
            << QStringLiteral("future.thing") << QJsonObject{} << QStringLiteral("future.thing");
    }

    void titles()
    {
        QFETCH(QString, type);
        QFETCH(QJsonObject, data);
        QFETCH(QString, title);
        QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates));
        protocol::Notification n{1, type, data, 0, std::nullopt};
        QCOMPARE(client::NotificationModel::titleFor(n), title);
    }
};

QTEST_GUILESS_MAIN(TestNotificationModel)
#include "tst_notificationmodel.moc"
