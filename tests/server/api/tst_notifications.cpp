// SPDX-License-Identifier: MIT
// The notification bell: notifications created by messages, the list (order, limit,
// unread_only), unread counts, marking one or all read, and the live NotificationCreated.
#include "testhelpers.h"
#include "testserver.h"

#include "protocol/timeformat.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QtTest>

using namespace flippdeal;
using namespace flippdeal::testing;

namespace {

qint64 idOf(const QJsonObject &object)
{
    return object.value(QLatin1String("id")).toInteger();
}

} // namespace

class TestNotifications : public QObject
{
    Q_OBJECT

private:
    TestServer &server() { return *m_server; }

    //! Sends a message and returns its id (0 on failure).
    qint64 sendMessage(const Session &from, const Session &to, const QString &body)
    {
        const Reply reply = server().post(
            QStringLiteral("/api/messages"),
            {{QLatin1String("to_user_id"), to.user.id}, {QLatin1String("body"), body}}, from.token);
        if (reply.status != 201) {
            qWarning() << "send failed" << reply.status << reply.body;
            return 0;
        }
        return idOf(reply.json.value(QLatin1String("message")).toObject());
    }

    QJsonArray list(const Session &session, const QString &query = {})
    {
        const Reply reply =
            server().get(QStringLiteral("/api/notifications%1")
                             .arg(query.isEmpty() ? QString() : QLatin1Char('?') + query),
                         session.token);
        if (reply.status != 200) {
            qWarning() << "list failed" << reply.status << reply.body;
            return {};
        }
        return reply.json.value(QLatin1String("data")).toArray();
    }

    qint64 unreadCount(const Session &session)
    {
        const Reply reply =
            server().get(QStringLiteral("/api/notifications/unread-count"), session.token);
        if (reply.status != 200)
            return -1;
        return reply.json.value(QLatin1String("count")).toInteger(-1);
    }

    Session freshUser(const QString &name) { return server().registerUser(name); }

    std::unique_ptr<TestServer> m_server;
    Session m_alice;
    Session m_bob;

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

    void messageCreatesNotificationForRecipientOnly()
    {
        const Session sender = freshUser(QStringLiteral("Sender"));
        const Session recipient = freshUser(QStringLiteral("Recipient"));
        QCOMPARE(unreadCount(recipient), 0);
        QCOMPARE(unreadCount(sender), 0);
        QVERIFY(list(recipient).isEmpty());

        const qint64 messageId =
            sendMessage(sender, recipient, QStringLiteral("Hello <b>there</b>"));
        QVERIFY(messageId > 0);

        QCOMPARE(unreadCount(recipient), 1);
        QCOMPARE(unreadCount(sender), 0);
        QVERIFY2(list(sender).isEmpty(), "the sender is not notified of their own message");

        const QJsonArray notifications = list(recipient);
        QCOMPARE(notifications.size(), 1);
        const QJsonObject n = notifications.first().toObject();
        QStringList keys = n.keys();
        keys.sort();
        QCOMPARE(keys, (QStringList{QStringLiteral("created_at"), QStringLiteral("data"),
                                    QStringLiteral("id"), QStringLiteral("read_at"),
                                    QStringLiteral("type")}));
        QVERIFY(idOf(n) > 0);
        QCOMPARE(n.value(QLatin1String("type")).toString(), QStringLiteral("message.received"));
        QVERIFY(n.value(QLatin1String("read_at")).isNull());
        QVERIFY2(isIsoMs(n.value(QLatin1String("created_at"))),
                 qPrintable(n.value(QLatin1String("created_at")).toString()));
        QVERIFY(n.value(QLatin1String("data")).isObject());
        const QJsonObject data = n.value(QLatin1String("data")).toObject();
        QCOMPARE(data.value(QLatin1String("message_id")).toInteger(), messageId);
        QCOMPARE(data.value(QLatin1String("from_user_id")).toInteger(), sender.user.id);
    }

    void newestFirstAndLimit()
    {
        const Session recipient = freshUser(QStringLiteral("Collector"));
        QList<qint64> messages;
        for (int i = 0; i < 5; ++i) {
            const qint64 id =
                sendMessage(i % 2 ? m_alice : m_bob, recipient, QStringLiteral("note %1").arg(i));
            QVERIFY(id > 0);
            messages.prepend(id); // newest first
        }
        const QJsonArray all = list(recipient);
        QCOMPARE(all.size(), 5);
        QList<qint64> notificationIds;
        for (qsizetype i = 0; i < all.size(); ++i) {
            const QJsonObject n = all.at(i).toObject();
            QCOMPARE(n.value(QLatin1String("data"))
                         .toObject()
                         .value(QLatin1String("message_id"))
                         .toInteger(),
                     messages.at(i));
            notificationIds.append(idOf(n));
        }
        for (qsizetype i = 1; i < notificationIds.size(); ++i)
            QVERIFY2(notificationIds.at(i) < notificationIds.at(i - 1), "newest first");

        const QJsonArray two = list(recipient, QStringLiteral("limit=2"));
        QCOMPARE(two.size(), 2);
        QCOMPARE(idOf(two.at(0).toObject()), notificationIds.at(0));
        QCOMPARE(idOf(two.at(1).toObject()), notificationIds.at(1));
        QCOMPARE(list(recipient, QStringLiteral("limit=1")).size(), 1);
        QCOMPARE(list(recipient, QStringLiteral("limit=100")).size(), 5);
    }

    void defaultLimitIsTwenty()
    {
        const Session recipient = freshUser(QStringLiteral("Popular"));
        for (int i = 0; i < 22; ++i)
            QVERIFY(sendMessage(m_alice, recipient, QStringLiteral("spam %1").arg(i)) > 0);
        QCOMPARE(list(recipient).size(), 20);
        QCOMPARE(list(recipient, QStringLiteral("limit=100")).size(), 22);
        QCOMPARE(unreadCount(recipient), 22);
    }

    void badQuery_data()
    {
        QTest::addColumn<QString>("query");
        QTest::addColumn<QString>("field");
        QTest::addRow("limit 0") << QStringLiteral("limit=0") << QStringLiteral("limit");
        QTest::addRow("limit 101") << QStringLiteral("limit=101") << QStringLiteral("limit");
        QTest::addRow("limit negative") << QStringLiteral("limit=-1") << QStringLiteral("limit");
        QTest::addRow("limit not a number")
            << QStringLiteral("limit=ten") << QStringLiteral("limit");
        QTest::addRow("unread_only not a boolean")
            << QStringLiteral("unread_only=maybe") << QStringLiteral("unread_only");
    }

    void badQuery()
    {
        QFETCH(QString, query);
        QFETCH(QString, field);
        const Reply reply =
            server().get(QStringLiteral("/api/notifications?") + query, m_alice.token);
        QCOMPARE(reply.status, 422);
        QVERIFY(reply.json.value(QLatin1String("message")).isString());
        QVERIFY2(fieldErrors(reply).value(field).isArray(), reply.body.constData());
    }

    void unreadOnly()
    {
        const Session recipient = freshUser(QStringLiteral("Picky"));
        for (int i = 0; i < 3; ++i)
            QVERIFY(sendMessage(m_alice, recipient, QStringLiteral("pick %1").arg(i)) > 0);
        const QJsonArray all = list(recipient);
        QCOMPARE(all.size(), 3);
        const qint64 middle = idOf(all.at(1).toObject());
        QCOMPARE(
            server()
                .patch(QStringLiteral("/api/notifications/%1/read").arg(middle), recipient.token)
                .status,
            200);

        const QJsonArray unread = list(recipient, QStringLiteral("unread_only=true"));
        QCOMPARE(unread.size(), 2);
        for (const QJsonValue &n : unread) {
            QVERIFY(idOf(n.toObject()) != middle);
            QVERIFY(n.toObject().value(QLatin1String("read_at")).isNull());
        }
        QCOMPARE(idOf(unread.at(0).toObject()), idOf(all.at(0).toObject()));
        QCOMPARE(idOf(unread.at(1).toObject()), idOf(all.at(2).toObject()));
        QCOMPARE(list(recipient, QStringLiteral("unread_only=1")).size(), 2);
        QCOMPARE(list(recipient, QStringLiteral("unread_only=false")).size(), 3);
        QCOMPARE(list(recipient, QStringLiteral("unread_only=true&limit=1")).size(), 1);
    }

    void markRead()
    {
        const Session recipient = freshUser(QStringLiteral("Marker"));
        QVERIFY(sendMessage(m_alice, recipient, QStringLiteral("mark me")) > 0);
        QVERIFY(sendMessage(m_alice, recipient, QStringLiteral("leave me")) > 0);
        QCOMPARE(unreadCount(recipient), 2);
        const QJsonObject target = list(recipient).at(1).toObject();
        const qint64 id = idOf(target);
        const QString path = QStringLiteral("/api/notifications/%1/read").arg(id);

        const qint64 before = protocol::nowMs();
        const Reply reply = server().patch(path, recipient.token);
        QCOMPARE(reply.status, 200);
        const QJsonObject n = reply.json.value(QLatin1String("notification")).toObject();
        QCOMPARE(idOf(n), id);
        QCOMPARE(n.value(QLatin1String("type")).toString(), QStringLiteral("message.received"));
        QCOMPARE(n.value(QLatin1String("data")), target.value(QLatin1String("data")));
        QCOMPARE(n.value(QLatin1String("created_at")), target.value(QLatin1String("created_at")));
        QVERIFY2(isIsoMs(n.value(QLatin1String("read_at"))), reply.body.constData());
        const auto readAt = protocol::parseIsoUtc(n.value(QLatin1String("read_at")).toString());
        QVERIFY(readAt && *readAt >= before - 1000 && *readAt <= protocol::nowMs() + 1000);
        QCOMPARE(unreadCount(recipient), 1);

        // Idempotent: the same read_at again.
        QTest::qWait(5);
        const Reply again = server().patch(path, recipient.token);
        QCOMPARE(again.status, 200);
        QCOMPARE(again.json.value(QLatin1String("notification"))
                     .toObject()
                     .value(QLatin1String("read_at")),
                 n.value(QLatin1String("read_at")));
        QCOMPARE(unreadCount(recipient), 1);
        // The list shows it read.
        QCOMPARE(list(recipient).at(1).toObject().value(QLatin1String("read_at")),
                 n.value(QLatin1String("read_at")));
    }

    void markReadOfSomeoneElse()
    {
        const Session owner = freshUser(QStringLiteral("Owner"));
        QVERIFY(sendMessage(m_alice, owner, QStringLiteral("mine")) > 0);
        const qint64 id = idOf(list(owner).first().toObject());
        const Reply reply =
            server().patch(QStringLiteral("/api/notifications/%1/read").arg(id), m_bob.token);
        QCOMPARE(reply.status, 403);
        QVERIFY(reply.json.value(QLatin1String("message")).isString());
        QVERIFY(!reply.json.contains(QLatin1String("notification")));
        // Nothing changed for the owner.
        QCOMPARE(unreadCount(owner), 1);
        QVERIFY(list(owner).first().toObject().value(QLatin1String("read_at")).isNull());
    }

    void markReadNotFound_data()
    {
        QTest::addColumn<QString>("id");
        QTest::addRow("unknown id") << QStringLiteral("987654321");
        QTest::addRow("zero") << QStringLiteral("0");
        QTest::addRow("not a number") << QStringLiteral("abc");
    }

    void markReadNotFound()
    {
        QFETCH(QString, id);
        const Reply reply =
            server().patch(QStringLiteral("/api/notifications/%1/read").arg(id), m_alice.token);
        QCOMPARE(reply.status, 404);
        QVERIFY(reply.json.value(QLatin1String("message")).isString());
    }

    void readAll()
    {
        const Session recipient = freshUser(QStringLiteral("Busy"));
        const Session bystander = freshUser(QStringLiteral("Bystander"));
        for (int i = 0; i < 4; ++i)
            QVERIFY(sendMessage(m_alice, recipient, QStringLiteral("pile %1").arg(i)) > 0);
        QVERIFY(sendMessage(m_alice, bystander, QStringLiteral("yours")) > 0);
        QCOMPARE(unreadCount(recipient), 4);

        const Reply reply =
            server().post(QStringLiteral("/api/notifications/read-all"), {}, recipient.token);
        QCOMPARE(reply.status, 200);
        QCOMPARE(unreadCount(recipient), 0);
        QVERIFY(list(recipient, QStringLiteral("unread_only=true")).isEmpty());
        const QJsonArray all = list(recipient);
        QCOMPARE(all.size(), 4);
        for (const QJsonValue &n : all)
            QVERIFY(isIsoMs(n.toObject().value(QLatin1String("read_at"))));
        // Only the caller's notifications.
        QCOMPARE(unreadCount(bystander), 1);
        // Again: nothing left to change, still fine.
        QCOMPARE(server()
                     .post(QStringLiteral("/api/notifications/read-all"), {}, recipient.token)
                     .status,
                 200);
        QCOMPARE(unreadCount(recipient), 0);
        // New ones count again.
        QVERIFY(sendMessage(m_bob, recipient, QStringLiteral("fresh")) > 0);
        QCOMPARE(unreadCount(recipient), 1);
    }

    void unauthenticated_data()
    {
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QString>("path");
        QTest::addRow("list") << QByteArray("GET") << QStringLiteral("/api/notifications");
        QTest::addRow("unread count")
            << QByteArray("GET") << QStringLiteral("/api/notifications/unread-count");
        QTest::addRow("mark read")
            << QByteArray("PATCH") << QStringLiteral("/api/notifications/1/read");
        QTest::addRow("read all") << QByteArray("POST")
                                  << QStringLiteral("/api/notifications/read-all");
    }

    void unauthenticated()
    {
        QFETCH(QByteArray, method);
        QFETCH(QString, path);
        const Reply reply =
            server().request(method, path, {}, method == "POST" ? QByteArray("{}") : QByteArray());
        QCOMPARE(reply.status, 401);
        QVERIFY(reply.json.value(QLatin1String("message")).isString());
    }

    void liveNotificationMatchesList()
    {
        const Session recipient = freshUser(QStringLiteral("Listener"));
        const QString channel = protocol::Channels::user(recipient.user.id);
        TestSocket socket(server().webSocketUrl());
        QVERIFY(socket.waitConnected());
        QVERIFY(socket.subscribeAuthorized(server(), recipient, channel));

        const qint64 messageId = sendMessage(m_bob, recipient, QStringLiteral("ping"));
        QVERIFY(messageId > 0);
        const auto frame = socket.waitFor(protocol::EventName::NotificationCreated, channel);
        QVERIFY2(frame, "NotificationCreated arrives on the user's channel");
        QVERIFY(frame->value(QLatin1String("seq")).isDouble());
        const QJsonObject live =
            testing::frameData(*frame).value(QLatin1String("notification")).toObject();
        const QJsonObject stored = list(recipient).first().toObject();
        QCOMPARE(live, stored);
        QCOMPARE(live.value(QLatin1String("data"))
                     .toObject()
                     .value(QLatin1String("message_id"))
                     .toInteger(),
                 messageId);

        // Marking read is not broadcast as a new notification.
        QCOMPARE(server()
                     .patch(QStringLiteral("/api/notifications/%1/read").arg(idOf(stored)),
                            recipient.token)
                     .status,
                 200);
        QVERIFY(!socket.receivesWithin(protocol::EventName::NotificationCreated, channel, 300));
    }
};

QTEST_GUILESS_MAIN(TestNotifications)
#include "tst_notifications.moc"
