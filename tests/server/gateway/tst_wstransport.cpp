// SPDX-License-Identifier: MIT
// WsTransport on real sockets with Qt's own WebSocket client, with the I/O on the event loop
// and on two I/O threads: the listener hears every message, ping and close on the event loop,
// in the order the client sent them; frames arrive in the order they were sent; connections
// are shared between the threads; unsent bytes are counted the moment a send is made and
// uncounted once the client has them; a close from either side is reported once, and closing
// the transport with connections open leaves nothing behind.
#include "gateway/wsframe.h"
#include "gateway/wstransport.h"

#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QThread>
#include <QWebSocket>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace flippdeal::server;

namespace {

//! Records what the transport reports, and checks that it happens on the event loop.
class Recorder : public WsEngine::Listener
{
public:
    struct Entry
    {
        WsPeer *peer;
        QByteArray what;
    };
    std::vector<Entry> entries;
    int closed = 0;
    int offThread = 0;

    void textReceived(WsPeer *peer, const QByteArray &payload) override
    {
        note(peer, "text:" + payload);
    }
    void binaryReceived(WsPeer *peer) override { note(peer, "binary"); }
    void pingReceived(WsPeer *peer, const QByteArray &payload) override
    {
        note(peer, "ping:" + payload);
    }
    void pongReceived(WsPeer *peer) override { note(peer, "pong"); }
    void peerClosed(WsPeer *peer, quint16 code) override
    {
        ++closed;
        note(peer, "closed:" + QByteArray::number(code));
    }

    QList<QByteArray> of(const WsPeer *peer) const
    {
        QList<QByteArray> list;
        for (const Entry &entry : entries)
            if (entry.peer == peer)
                list.append(entry.what);
        return list;
    }

private:
    void note(WsPeer *peer, const QByteArray &what)
    {
        if (QThread::currentThread() != qApp->thread())
            ++offThread;
        entries.push_back({peer, what});
    }
};

//! A QWebSocket client, and the server side of its connection once the transport has it.
struct Client
{
    std::unique_ptr<QWebSocket> socket = std::make_unique<QWebSocket>();
    WsPeer *peer = nullptr;
    QStringList received;
};

class Harness
{
public:
    explicit Harness(int ioThreads)
        : transport(recorder, 1 << 20, true, ioThreads)
    {
        QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    }

    //! Connects a client and hands the server side of it to the transport.
    std::unique_ptr<Client> connect()
    {
        auto client = std::make_unique<Client>();
        QObject::connect(client->socket.get(), &QWebSocket::textMessageReceived,
                         client->socket.get(),
                         [c = client.get()](const QString &text) { c->received.append(text); });
        client->socket->open(QUrl(QStringLiteral("ws://127.0.0.1:%1/").arg(server.serverPort())));
        // Waits that run the event loop: the client writes its request from there.
        if (!QTest::qWaitFor([this] { return server.hasPendingConnections(); }, 5000))
            return nullptr;
        QTcpSocket *socket = server.nextPendingConnection();
        QByteArray head;
        const auto headRead = [&head, socket] {
            head += socket->readAll();
            return head.contains("\r\n\r\n");
        };
        if (!QTest::qWaitFor(headRead, 5000))
            return nullptr;
        const qsizetype end = head.indexOf("\r\n\r\n") + 4;
        QByteArray key;
        for (const QByteArray &line : head.left(end).split('\n'))
            if (line.toLower().startsWith("sec-websocket-key:"))
                key = line.mid(18).trimmed();
        const QByteArray greeting = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                                    "Connection: Upgrade\r\nSec-WebSocket-Accept: " +
                                    ws::acceptKey(key) + "\r\n\r\n";
        client->peer = transport.adopt(socket, greeting, head.mid(end));
        QSignalSpy connected(client->socket.get(), &QWebSocket::connected);
        if (client->socket->state() != QAbstractSocket::ConnectedState && !connected.wait(5000))
            return nullptr;
        return client;
    }

    Recorder recorder;
    WsTransport transport;
    QTcpServer server;
};

//! A masked text frame (key 0) with a 64-bit length, as a client sends it.
QByteArray clientFrame(const QByteArray &payload)
{
    QByteArray frame("\x81\xff", 2);
    for (int shift = 56; shift >= 0; shift -= 8)
        frame.append(char((quint64(payload.size()) >> shift) & 0xff));
    frame.append(QByteArray(4, '\0'));
    return frame + payload;
}

//! A client on a thread of its own with a blocking socket: it upgrades, then writes `frames`
//! as fast as the server takes them, whatever the test's event loop is doing.
class FloodClient
{
public:
    FloodClient(quint16 port, int frames, const QByteArray &payload)
        : m_fd(::socket(AF_INET, SOCK_STREAM, 0))
        , m_thread([this, port, frames, payload] { run(port, frames, payload); })
    {}
    ~FloodClient()
    {
        ::shutdown(m_fd, SHUT_RDWR); // wakes a write() the server no longer reads
        m_thread.join();
        ::close(m_fd);
    }
    std::atomic<bool> upgraded = false;
    std::atomic<int> framesWritten = 0;

private:
    void run(quint16 port, int frames, const QByteArray &payload)
    {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(m_fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0)
            return;
        const QByteArray request = "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                                   "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
        if (!writeAll(request))
            return;
        QByteArray answer;
        char buffer[512];
        while (!answer.contains("\r\n\r\n")) {
            const ssize_t got = ::read(m_fd, buffer, sizeof buffer);
            if (got <= 0)
                return;
            answer.append(buffer, got);
        }
        upgraded = true;
        const QByteArray frame = clientFrame(payload);
        for (int i = 0; i < frames && writeAll(frame); ++i)
            ++framesWritten;
    }
    bool writeAll(const QByteArray &bytes)
    {
        for (qsizetype done = 0; done < bytes.size();) {
            const ssize_t wrote =
                ::write(m_fd, bytes.constData() + done, size_t(bytes.size() - done));
            if (wrote <= 0)
                return false;
            done += wrote;
        }
        return true;
    }

    const int m_fd;
    std::thread m_thread;
};

} // namespace

class TestWsTransport : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void threads_data()
    {
        QTest::addColumn<int>("ioThreads");
        QTest::addRow("on the event loop") << 1;
        QTest::addRow("two I/O threads") << 2;
    }

    void messagesInOrderOnTheEventLoop_data() { threads_data(); }
    void messagesInOrderOnTheEventLoop()
    {
        QFETCH(int, ioThreads);
        Harness harness(ioThreads);
        QCOMPARE(harness.transport.ioThreadCount(), ioThreads);
        auto client = harness.connect();
        QVERIFY(client);
        constexpr int Count = 500;
        for (int i = 0; i < Count; ++i)
            client->socket->sendTextMessage(QString::number(i));
        client->socket->ping("are-you-there");
        QTRY_COMPARE_WITH_TIMEOUT(harness.recorder.of(client->peer).size(), Count + 1, 10000);
        const QList<QByteArray> got = harness.recorder.of(client->peer);
        for (int i = 0; i < Count; ++i)
            QCOMPARE(got[i], "text:" + QByteArray::number(i));
        QCOMPARE(got[Count], QByteArray("ping:are-you-there"));
        QCOMPARE(harness.recorder.offThread, 0);
    }

    void framesInOrderAndCounted_data() { threads_data(); }
    void framesInOrderAndCounted()
    {
        QFETCH(int, ioThreads);
        Harness harness(ioThreads);
        auto client = harness.connect();
        QVERIFY(client);
        constexpr int Count = 2000;
        const QByteArray shared = ws::encode(ws::Opcode::Text, "shared");
        qint64 bytes = 0;
        for (int i = 0; i < Count; ++i) {
            const QByteArray frame =
                i % 2 ? shared : ws::encode(ws::Opcode::Text, QByteArray::number(i));
            harness.transport.send(client->peer, frame);
            bytes += frame.size();
        }
        // Counted at once, before any of it has reached the socket (the greeting may still be
        // counted too: it is queued on adoption).
        QVERIFY(client->peer->queuedBytes.load() >= bytes);
        QTRY_COMPARE_WITH_TIMEOUT(client->received.size(), Count, 10000);
        for (int i = 0; i < Count; ++i)
            QCOMPARE(client->received[i], i % 2 ? QStringLiteral("shared") : QString::number(i));
        QTRY_COMPARE(client->peer->queuedBytes.load(), 0);
    }

    void connectionsShareTheThreads()
    {
        Harness harness(2);
        std::vector<std::unique_ptr<Client>> clients;
        for (int i = 0; i < 6; ++i) {
            clients.push_back(harness.connect());
            QVERIFY(clients.back());
        }
        int onFirst = 0;
        for (const auto &client : clients) {
            QVERIFY(client->peer->ioThread == 0 || client->peer->ioThread == 1);
            onFirst += client->peer->ioThread == 0;
        }
        QCOMPARE(onFirst, 3);
        // One frame, queued on all six: each client gets it once.
        const QByteArray frame = ws::encode(ws::Opcode::Text, "to everyone");
        for (const auto &client : clients)
            harness.transport.send(client->peer, frame);
        for (const auto &client : clients)
            QTRY_COMPARE(client->received, QStringList{QStringLiteral("to everyone")});
    }

    void closesReportedOnce_data() { threads_data(); }
    void closesReportedOnce()
    {
        QFETCH(int, ioThreads);
        Harness harness(ioThreads);
        auto byClient = harness.connect();
        auto byServer = harness.connect();
        QVERIFY(byClient && byServer);

        byClient->socket->close(QWebSocketProtocol::CloseCodeNormal, QStringLiteral("bye"));
        QTRY_COMPARE(harness.recorder.of(byClient->peer), QList<QByteArray>{"closed:1000"});

        QSignalSpy disconnected(byServer->socket.get(), &QWebSocket::disconnected);
        harness.transport.close(byServer->peer, 4100, "over capacity");
        harness.transport.send(byServer->peer, ws::encode(ws::Opcode::Text, "after the close"));
        QVERIFY(disconnected.wait(5000));
        QCOMPARE(byServer->socket->closeCode(), QWebSocketProtocol::CloseCode(4100));
        QTRY_COMPARE(harness.recorder.of(byServer->peer), QList<QByteArray>{"closed:4100"});
        QVERIFY(byServer->received.isEmpty());
        QCOMPARE(harness.recorder.closed, 2);
        QCOMPARE(harness.recorder.offThread, 0);
    }

    void floodWhileTheEventLoopIsBusyIsBounded()
    {
        // The event loop takes no events while the client writes 32 MiB: its I/O thread stops
        // reading at MaxEventBytes, and the rest waits in the kernel's socket buffers (how much
        // fits there is the kernel's business), not in the server.
        Harness harness(2);
        constexpr int Frames = 512;
        const QByteArray payload(64 * 1024, 'x');
        FloodClient flood(harness.server.serverPort(), Frames, payload);
        QVERIFY(QTest::qWaitFor([&] { return harness.server.hasPendingConnections(); }, 5000));
        QTcpSocket *socket = harness.server.nextPendingConnection();
        QByteArray head;
        QVERIFY(QTest::qWaitFor(
            [&] {
                head += socket->readAll();
                return head.contains("\r\n\r\n");
            },
            5000));
        WsPeer *peer = harness.transport.adopt(socket, "HTTP/1.1 101 Switching Protocols\r\n\r\n",
                                               head.mid(head.indexOf("\r\n\r\n") + 4));
        QVERIFY(peer);
        QVERIFY(QTest::qWaitFor([&] { return flood.upgraded.load(); }, 5000));

        // Busy: no events processed here until the thread says it has paused.
        for (int i = 0; i < 1000 && harness.transport.readPauses() == 0; ++i)
            QThread::msleep(10);
        QCOMPARE(harness.transport.readPauses(), quint64(1));
        const qint64 bound = WsTransport::MaxEventBytes + payload.size() + 1024;
        QVERIFY2(harness.transport.eventBacklogBytes() <= bound,
                 QByteArray::number(harness.transport.eventBacklogBytes()));

        // Back at work: every message arrives, in order, and the client finishes.
        QTRY_COMPARE_WITH_TIMEOUT(int(harness.recorder.of(peer).size()), Frames, 30000);
        QCOMPARE(flood.framesWritten.load(), Frames);
        QVERIFY(harness.recorder.of(peer).front() == "text:" + payload);
        QVERIFY(harness.transport.readPauses() >= 1);
    }

    void stopsWithConnectionsOpen_data() { threads_data(); }
    void stopsWithConnectionsOpen()
    {
        QFETCH(int, ioThreads);
        std::vector<std::unique_ptr<Client>> clients;
        {
            Harness harness(ioThreads);
            for (int i = 0; i < 4; ++i) {
                clients.push_back(harness.connect());
                QVERIFY(clients.back());
                harness.transport.send(clients.back()->peer, ws::encode(ws::Opcode::Text, "hi"));
            }
            // The last sends are still on their way to the threads when the transport goes.
        }
        // The server side is gone: every client sees its connection end.
        for (const auto &client : clients)
            QTRY_COMPARE(client->socket->state(), QAbstractSocket::UnconnectedState);
    }
};

QTEST_MAIN(TestWsTransport)
#include "tst_wstransport.moc"
