// SPDX-License-Identifier: MIT
// Floods against the WebSocket gateway of a `flippdeal-server serve` child process, measured by
// what they cost the process (its VmRSS), not by what the client sees.
#include "serverprocess.h"
#include "testhelpers.h"

#include <QFile>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QtTest>

#ifndef FLIPPDEAL_SERVER_BINARY
#error "FLIPPDEAL_SERVER_BINARY must name the flippdeal-server executable"
#endif

using namespace flippdeal::testing;

namespace {

const QString ServerBinary = QString::fromUtf8(FLIPPDEAL_SERVER_BINARY);

//! The resident set of process `pid` in KiB (-1 when it cannot be read).
qint64 residentKiB(qint64 pid)
{
    QFile status(QStringLiteral("/proc/%1/status").arg(pid));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').first().toLongLong();
    }
    return -1;
}

//! A masked client frame (zero mask key).
QByteArray maskedFrame(quint8 firstByte, const QByteArray &payload)
{
    QByteArray frame;
    frame.append(char(firstByte)).append(char(0x80 | payload.size())).append(4, '\0');
    return frame + payload;
}

//! Opens a WebSocket to `port` by hand; true once pusher:connection_established arrived.
bool upgrade(QTcpSocket &socket, quint16 port)
{
    socket.connectToHost(QHostAddress::LocalHost, port);
    if (!socket.waitForConnected(3000))
        return false;
    socket.write(
        "GET /app/test-key?protocol=7 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n");
    return waitUntil([&socket] { return socket.peek(4096).contains("connection_established"); },
                     5000);
}

} // namespace

class TestGatewayFlood : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<FreshDatabase> m_database;
    std::unique_ptr<ServerProcess> m_server;

private Q_SLOTS:
    void init()
    {
        m_database = std::make_unique<FreshDatabase>();
        QVERIFY(m_database->isValid());
        m_server = std::make_unique<ServerProcess>(ServerBinary);
        m_server->start(m_database->folder(), m_database->url());
        QVERIFY2(m_server->waitListening(), m_server->output().constData());
    }

    void cleanup()
    {
        m_server.reset();
        m_database.reset();
    }

    void pingFloodEndsInACloseWithBoundedMemory_data()
    {
        QTest::addColumn<QByteArray>("ping");
        QTest::addRow("WebSocket ping frames") << maskedFrame(0x89, QByteArray(125, 'p'));
        QTest::addRow("pusher:ping") << maskedFrame(
            0x81, "{\"event\":\"pusher:ping\",\"data\":{\"pad\":\"" + QByteArray(80, 'p') + "\"}}");
    }

    void pingFloodEndsInACloseWithBoundedMemory()
    {
        QFETCH(QByteArray, ping);
        const qint64 pid = m_server->processId();
        const qint64 before = residentKiB(pid);
        QVERIFY(before > 0);

        // Several clients ping as fast as they can for 3 s and never read an answer. Before,
        // every ping got a pong queued past --max-outbound: tens of MB in seconds.
        constexpr int Clients = 4;
        std::vector<std::unique_ptr<QTcpSocket>> clients;
        QByteArray burst;
        for (int i = 0; i < 512; ++i)
            burst += ping;
        for (int i = 0; i < Clients; ++i) {
            clients.push_back(std::make_unique<QTcpSocket>());
            clients.back()->setReadBufferSize(4096);
            QVERIFY(upgrade(*clients.back(), m_server->port()));
        }
        qint64 peak = before;
        qint64 written = 0;
        QElapsedTimer clock;
        clock.start();
        while (clock.elapsed() < 3000) {
            for (auto &client : clients) {
                if (client->state() == QAbstractSocket::ConnectedState &&
                    client->bytesToWrite() < 4 * burst.size()) {
                    client->write(burst);
                    written += burst.size();
                }
            }
            QTest::qWait(5);
            peak = std::max(peak, residentKiB(pid));
        }
        qInfo("%lld KiB of pings written; RSS %lld KiB before, peak %lld KiB", written / 1024,
              before, peak);
        QVERIFY2(peak - before < 16 * 1024,
                 qPrintable(QStringLiteral("RSS grew by %1 KiB").arg(peak - before)));

        // Each flooder is closed: its socket ends (after the close frame, or reset).
        for (auto &client : clients) {
            client->setReadBufferSize(0);
            QTRY_VERIFY_WITH_TIMEOUT(client->state() == QAbstractSocket::UnconnectedState ||
                                         client->readAll().contains("Ping rate limit"),
                                     10000);
        }
        QVERIFY2(m_server->isRunning(), m_server->output().constData());
        const Reply health = send({"GET", m_server->url(QStringLiteral("/health")), {}, {}});
        QCOMPARE(health.status, 200);
    }
};

QTEST_GUILESS_MAIN(TestGatewayFlood)
#include "tst_gatewayflood.moc"
