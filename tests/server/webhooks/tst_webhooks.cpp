// SPDX-License-Identifier: MIT
// Webhooks against a real receiver on a real port: events are durable from the moment they
// happen (kill -9 of a server child process right after them loses none), cache_miss is sent
// once per channel per window, and one connection cannot make unbounded webhook traffic.
#include "serverprocess.h"
#include "testhelpers.h"
#include "testserver.h"

#include "gateway/gateway.h"
#include "webhooks/webhookdispatcher.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTcpServer>
#include <QTcpSocket>
#include <QtTest>

#include <signal.h>

#ifndef FLIPPDEAL_SERVER_BINARY
#error "FLIPPDEAL_SERVER_BINARY must name the flippdeal-server executable"
#endif

using namespace flippdeal;
using namespace flippdeal::testing;

namespace {

const QString ServerBinary = QString::fromUtf8(FLIPPDEAL_SERVER_BINARY);

//! \brief A webhook endpoint: answers every POST with 200 and keeps the events it carried.
class WebhookReceiver : public QObject
{
public:
    WebhookReceiver()
    {
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = m_server.nextPendingConnection()) {
                socket->setParent(this);
                connect(socket, &QTcpSocket::readyRead, this, [this, socket] { read(socket); });
                connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            }
        });
        m_server.listen(QHostAddress::LocalHost, 0);
    }

    QString url() const
    {
        return QStringLiteral("http://127.0.0.1:%1/hook").arg(m_server.serverPort());
    }
    const QList<QJsonObject> &events() const { return m_events; }
    int requests() const { return m_requests; }

    //! The events named `name` on `channel`.
    qsizetype count(const QString &name, const QString &channel) const
    {
        return std::count_if(m_events.cbegin(), m_events.cend(), [&](const QJsonObject &e) {
            return e.value(QLatin1String("name")).toString() == name &&
                   e.value(QLatin1String("channel")).toString() == channel;
        });
    }

private:
    void read(QTcpSocket *socket)
    {
        QByteArray &buffer = m_buffers[socket];
        buffer += socket->readAll();
        for (;;) {
            const qsizetype end = buffer.indexOf("\r\n\r\n");
            if (end < 0)
                return;
            qsizetype length = 0;
            for (const QByteArray &line : buffer.left(end).split('\n')) {
                if (line.toLower().startsWith("content-length:"))
                    length = line.mid(15).trimmed().toLongLong();
            }
            if (buffer.size() < end + 4 + length)
                return;
            const QJsonObject body = QJsonDocument::fromJson(buffer.mid(end + 4, length)).object();
            buffer.remove(0, end + 4 + length);
            ++m_requests;
            for (const QJsonValue &event : body.value(QLatin1String("events")).toArray())
                m_events.append(event.toObject());
            socket->write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                          "Content-Length: 2\r\n\r\n{}");
        }
    }

    QTcpServer m_server;
    QHash<QTcpSocket *, QByteArray> m_buffers;
    QList<QJsonObject> m_events;
    int m_requests = 0;
};

QJsonObject unsubscribeFrame(const QString &channel)
{
    return {{QLatin1String("event"), QStringLiteral("pusher:unsubscribe")},
            {QLatin1String("data"), QJsonObject{{QLatin1String("channel"), channel}}}};
}

//! Sends pusher:ping and waits for the pong: everything sent before has been handled.
bool roundTrip(TestSocket &socket)
{
    socket.send({{QLatin1String("event"), QStringLiteral("pusher:ping")}});
    return socket.waitFor(QStringLiteral("pusher:pong")).has_value();
}

} // namespace

class TestWebhooks : public QObject
{
    Q_OBJECT

    std::unique_ptr<WebhookReceiver> m_receiver;

    std::unique_ptr<TestServer> serverWithWebhooks(int maxWebhookEvents = 300)
    {
        const QString url = m_receiver->url();
        auto server = std::make_unique<TestServer>([&](server::Config &config) {
            config.webhookUrls = {url};
            config.maxWebhookEvents = maxWebhookEvents;
            config.jobBackoffMs = 200;
        });
        if (!server->isRunning())
            qWarning("server did not start: %s", qPrintable(server->errorString()));
        return server;
    }

private Q_SLOTS:
    void init() { m_receiver = std::make_unique<WebhookReceiver>(); }
    void cleanup() { m_receiver.reset(); }

    void cacheMissIsSentOncePerChannelPerWindow()
    {
        auto server = serverWithWebhooks();
        QVERIFY(server->isRunning());
        // Several connections, each subscribing to the same empty cache channel again and
        // again: every subscriber gets pusher:cache_miss, the receiver one webhook.
        std::vector<std::unique_ptr<TestSocket>> sockets;
        for (int i = 0; i < 3; ++i) {
            sockets.push_back(std::make_unique<TestSocket>(server->webSocketUrl()));
            QVERIFY(sockets.back()->waitConnected());
        }
        for (int round = 0; round < 10; ++round) {
            for (auto &socket : sockets) {
                QVERIFY(socket->subscribe(QStringLiteral("cache-empty")));
                QVERIFY(socket->waitFor(QStringLiteral("pusher:cache_miss"),
                                        QStringLiteral("cache-empty")));
                socket->send(unsubscribeFrame(QStringLiteral("cache-empty")));
            }
        }
        QVERIFY(sockets.front()->subscribe(QStringLiteral("cache-other")));
        QTRY_COMPARE(m_receiver->count(QStringLiteral("cache_miss"), QStringLiteral("cache-other")),
                     1);
        QTest::qWait(800); // a batch and a poll more: nothing else comes
        QCOMPARE(m_receiver->count(QStringLiteral("cache_miss"), QStringLiteral("cache-empty")), 1);
        QCOMPARE(m_receiver->count(QStringLiteral("cache_miss"), QStringLiteral("cache-other")), 1);
    }

    void churningConnectionIsBounded()
    {
        // One anonymous connection subscribing to and leaving new public channels as fast as it
        // can: it is closed with 4301 once it has caused max-webhook-events (default 300).
        auto server = serverWithWebhooks();
        QVERIFY(server->isRunning());
        TestSocket churner(server->webSocketUrl());
        QVERIFY(churner.waitConnected());
        for (int i = 0; i < 400 && !churner.isClosed(); ++i) {
            const QString channel = QStringLiteral("churn-%1").arg(i);
            churner.send(
                {{QLatin1String("event"), QStringLiteral("pusher:subscribe")},
                 {QLatin1String("data"), QJsonObject{{QLatin1String("channel"), channel}}}});
            churner.send(unsubscribeFrame(channel));
            if (i % 50 == 49)
                QTest::qWait(1); // let the server read
        }
        QVERIFY(churner.waitClosed(10000));
        QCOMPARE(churner.closeCode(), 4301);
        bool told = false;
        for (const QJsonObject &frame : churner.frames())
            told |=
                frame.value(QLatin1String("event")).toString() == QLatin1String("pusher:error") &&
                frameData(frame).value(QLatin1String("code")).toInt() == 4301;
        QVERIFY2(told, "a pusher:error 4301 says why");

        // Wait for the held vacated events to go out, then count what the receiver got.
        QTest::qWait(server::WebhookDispatcher::HoldMs + 1500);
        qsizetype occupied = 0;
        qsizetype vacated = 0;
        for (const QJsonObject &event : m_receiver->events()) {
            occupied +=
                event.value(QLatin1String("name")).toString() == QLatin1String("channel_occupied");
            vacated +=
                event.value(QLatin1String("name")).toString() == QLatin1String("channel_vacated");
        }
        qInfo("%lld channel_occupied and %lld channel_vacated webhooks", qint64(occupied),
              qint64(vacated));
        // 300 in the budget, a little refill while it ran; every occupied is vacated again.
        QVERIFY2(occupied + vacated <= 320, qPrintable(QString::number(occupied + vacated)));
        QVERIFY(occupied >= 140);
        QCOMPARE(vacated, occupied);

        // Other connections are not affected.
        TestSocket other(server->webSocketUrl());
        QVERIFY(other.waitConnected());
        QVERIFY(other.subscribe(QStringLiteral("after-churn")));
    }

    void eventsSurviveKill9()
    {
        FreshDatabase database;
        QVERIFY(database.isValid());
        const QStringList arguments{QStringLiteral("--webhook-urls"), m_receiver->url(),
                                    QStringLiteral("--job-backoff-ms"), QStringLiteral("200")};
        auto node = std::make_unique<ServerProcess>(ServerBinary);
        node->start(database.folder(), database.url(), arguments);
        QVERIFY2(node->waitListening(), node->output().constData());
        const QUrl ws(
            QStringLiteral("ws://127.0.0.1:%1/app/test-key?protocol=7").arg(node->port()));

        // A channel left (its channel_vacated is held 3 s) and, on another connection, a channel
        // occupied; the process dies at once, inside the 100 ms batch and the 3 s hold.
        TestSocket leaver(ws);
        QVERIFY(leaver.waitConnected());
        QVERIFY(leaver.subscribe(QStringLiteral("crash-left")));
        QTRY_COMPARE(
            m_receiver->count(QStringLiteral("channel_occupied"), QStringLiteral("crash-left")), 1);
        TestSocket socket(ws);
        QVERIFY(socket.waitConnected());
        leaver.send(unsubscribeFrame(QStringLiteral("crash-left")));
        QVERIFY(roundTrip(leaver));
        QVERIFY(socket.subscribe(QStringLiteral("crash-news")));
        node->signal(SIGKILL);
        QCOMPARE(node->waitExit(), -1);
        QTest::qWait(200);
        QCOMPARE(
            m_receiver->count(QStringLiteral("channel_occupied"), QStringLiteral("crash-news")), 0);

        // A new process on the same database sends them.
        node = std::make_unique<ServerProcess>(ServerBinary);
        node->start(database.folder(), database.url(), arguments);
        QVERIFY2(node->waitListening(), node->output().constData());
        QTRY_COMPARE_WITH_TIMEOUT(
            m_receiver->count(QStringLiteral("channel_occupied"), QStringLiteral("crash-news")), 1,
            10000);
        QTRY_COMPARE_WITH_TIMEOUT(
            m_receiver->count(QStringLiteral("channel_vacated"), QStringLiteral("crash-left")), 1,
            10000);
        QTest::qWait(1000);
        QCOMPARE(
            m_receiver->count(QStringLiteral("channel_occupied"), QStringLiteral("crash-news")), 1);
        QCOMPARE(
            m_receiver->count(QStringLiteral("channel_occupied"), QStringLiteral("crash-left")), 1);
        QVERIFY(node->terminate() == 0);
    }
};

QTEST_GUILESS_MAIN(TestWebhooks)
#include "tst_webhooks.moc"
