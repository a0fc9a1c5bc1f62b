// SPDX-License-Identifier: MIT
// The HTTP layer under attack, against the real server (in-process TestServer, or the
// flippdeal-server binary where memory and CPU are the point): RFC 9112 violations that
// smuggle requests past a proxy get 400/501 and a close; nothing is answered after a closing
// request; made-up methods get 501 and cannot grow /metrics; /metrics can move to a listener
// of its own; a client that pipelines and never reads cannot grow the server and is dropped
// within the idle timeout; a closing connection is cut off at its deadline; a half-closed
// client still gets its answer; frames sent with the WebSocket upgrade are processed at once;
// connections are capped per address and in total (503, or pusher:error 4100 on a WebSocket);
// out of descriptors, the server pauses accepting instead of spinning, and resumes.
#include "benchsupport.h"
#include "serverprocess.h"
#include "testhelpers.h"
#include "testserver.h"

#include "gateway/gateway.h"
#include "http/httpserver.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QTcpSocket>
#include <QtTest>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <memory>
#include <vector>

#ifndef FLIPPDEAL_SERVER_BINARY
#error "FLIPPDEAL_SERVER_BINARY must name the flippdeal-server executable"
#endif

using namespace flippdeal;
using namespace flippdeal::testing;
using flippdeal::bench::openDescriptors;
using flippdeal::bench::rssKiB;

namespace {

const QString ServerBinary = QString::fromUtf8(FLIPPDEAL_SERVER_BINARY);
#if defined(__SANITIZE_ADDRESS__)
// The server binary is built with the sanitizers too: AddressSanitizer's quarantine keeps freed
// memory resident (RSS says nothing), and UBSan's type check needs a pipe, so at the descriptor
// limit it reports a false error and (no recovery) ends the server.
constexpr bool Sanitized = true;
#else
constexpr bool Sanitized = false;
#endif
const QByteArray Health = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

//! One response read off a raw connection.
struct RawResponse
{
    int status = 0;
    QByteArray head;
    QByteArray body;
    QByteArray header(const QByteArray &name) const
    {
        for (const QByteArray &line : head.split('\n')) {
            const qsizetype colon = line.indexOf(':');
            if (colon > 0 && line.left(colon).trimmed().compare(name, Qt::CaseInsensitive) == 0)
                return line.mid(colon + 1).trimmed();
        }
        return {};
    }
    QString message() const
    {
        return QJsonDocument::fromJson(body).object().value(QLatin1String("message")).toString();
    }
};

//! The complete responses at the start of `bytes` (Content-Length bodies).
QList<RawResponse> parseResponses(QByteArray bytes)
{
    QList<RawResponse> responses;
    for (;;) {
        const qsizetype end = bytes.indexOf("\r\n\r\n");
        if (end < 0 || !bytes.startsWith("HTTP/1.1 "))
            return responses;
        RawResponse response;
        response.head = bytes.left(end);
        response.status = bytes.mid(9, 3).toInt();
        const qsizetype length = response.header("content-length").toLongLong();
        if (bytes.size() < end + 4 + length)
            return responses;
        response.body = bytes.mid(end + 4, length);
        bytes.remove(0, end + 4 + length);
        responses.append(response);
    }
}

std::unique_ptr<QTcpSocket> connectRaw(quint16 port)
{
    auto socket = std::make_unique<QTcpSocket>();
    socket->connectToHost(QHostAddress::LocalHost, port);
    waitUntil([&socket] { return socket->state() == QAbstractSocket::ConnectedState; }, 5000);
    return socket;
}

//! What a raw connection received, and whether the server closed it.
struct Exchange
{
    QByteArray received;
    bool closed = false;
    QList<RawResponse> responses() const { return parseResponses(received); }
};

//! Sends `bytes` on a new connection and reads until the server closes it (or `timeoutMs`).
Exchange exchange(quint16 port, const QByteArray &bytes, int timeoutMs = 5000)
{
    auto socket = connectRaw(port);
    socket->write(bytes);
    Exchange result;
    result.closed = waitUntil(
        [&] {
            result.received += socket->readAll();
            return socket->state() == QAbstractSocket::UnconnectedState;
        },
        timeoutMs);
    result.received += socket->readAll();
    return result;
}

//! Reads from `socket` until `count` complete responses are there.
QList<RawResponse> readResponses(QTcpSocket &socket, QByteArray &buffer, int count,
                                 int timeoutMs = 5000)
{
    waitUntil(
        [&] {
            buffer += socket.readAll();
            return parseResponses(buffer).size() >= count;
        },
        timeoutMs);
    return parseResponses(buffer);
}

//! A metric's value from a Prometheus text page, or -1.
double metricValue(const QByteArray &page, const QByteArray &name)
{
    for (const QByteArray &line : page.split('\n')) {
        if (line.startsWith(name + ' '))
            return line.mid(name.size() + 1).toDouble();
    }
    return -1;
}

QByteArray metricsPage(quint16 port)
{
    const Exchange result =
        exchange(port, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    const QList<RawResponse> responses = result.responses();
    return responses.isEmpty() ? QByteArray() : responses.first().body;
}

//! \brief A plain non-blocking client socket, for what QTcpSocket cannot do: go on sending after
//! the server's FIN (Qt closes the whole socket once it reads the end of the input).
class RawClient
{
public:
    explicit RawClient(quint16 port)
    {
        m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        m_connected =
            ::connect(m_fd, reinterpret_cast<const sockaddr *>(&address), sizeof address) == 0;
        ::fcntl(m_fd, F_SETFL, ::fcntl(m_fd, F_GETFL) | O_NONBLOCK);
    }
    ~RawClient() { ::close(m_fd); }
    RawClient(const RawClient &) = delete;
    RawClient &operator=(const RawClient &) = delete;

    bool isConnected() const { return m_connected; }
    //! Sends what the kernel takes now; false once the server has reset the connection.
    bool send(const QByteArray &bytes)
    {
        const ssize_t sent =
            ::send(m_fd, bytes.constData(), size_t(bytes.size()), MSG_NOSIGNAL | MSG_DONTWAIT);
        return sent >= 0 || errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    }
    //! The start of what arrived, left unread.
    QByteArray peek(int max)
    {
        QByteArray buffer(max, Qt::Uninitialized);
        const ssize_t got = ::recv(m_fd, buffer.data(), size_t(max), MSG_PEEK | MSG_DONTWAIT);
        return buffer.left(got > 0 ? got : 0);
    }

private:
    int m_fd = -1;
    bool m_connected = false;
};

//! A client text frame, masked as RFC 6455 requires.
QByteArray maskedTextFrame(const QByteArray &payload)
{
    const QByteArray mask("\x37\xfa\x21\x3d", 4);
    QByteArray frame;
    frame.append(char(0x81)).append(char(0x80 | payload.size())).append(mask);
    for (qsizetype i = 0; i < payload.size(); ++i)
        frame.append(char(payload[i] ^ mask[i % 4]));
    return frame;
}

QByteArray upgradeRequest(const QByteArray &key = "dGhlIHNhbXBsZSBub25jZQ==")
{
    return "GET /app/test-key?protocol=7 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
           "Connection: Upgrade\r\nSec-WebSocket-Key: " +
           key + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
}

} // namespace

class TestHttpHardening : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void smugglingShapesGetAnErrorAndTheClose_data()
    {
        QTest::addColumn<QByteArray>("request");
        QTest::addColumn<int>("status");
        const QByteArray post = "POST /api/login HTTP/1.1\r\nHost: 127.0.0.1\r\n";
        QTest::addRow("two equal Content-Length")
            << QByteArray(post + "Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}") << 400;
        QTest::addRow("differing Content-Length")
            << QByteArray(post + "Content-Length: 2\r\nContent-Length: 40\r\n\r\n{}") << 400;
        QTest::addRow("Content-Length +2")
            << QByteArray(post + "Content-Length: +2\r\n\r\n{}") << 400;
        QTest::addRow("Content-Length 1,2")
            << QByteArray(post + "Content-Length: 1,2\r\n\r\n{}") << 400;
        QTest::addRow("Content-Length ' 12x'")
            << QByteArray(post + "Content-Length:  12x\r\n\r\n{}") << 400;
        QTest::addRow("Host : x") << QByteArray("GET /health HTTP/1.1\r\nHost : x\r\n\r\n") << 400;
        QTest::addRow("bare LF") << QByteArray("GET /health HTTP/1.1\nHost: x\n\n") << 400;
        QTest::addRow("bare LF inside the head")
            << QByteArray("GET /health HTTP/1.1\r\nHost: x\nX-Smuggled: y\r\n\r\n") << 400;
        QTest::addRow("obs-fold") << QByteArray(
                                         "GET /health HTTP/1.1\r\nHost: x\r\nX-A: b\r\n c\r\n\r\n")
                                  << 400;
        QTest::addRow("invalid token character")
            << QByteArray("GET /health HTTP/1.1\r\nHost: x\r\nX(A): b\r\n\r\n") << 400;
        QTest::addRow("Transfer-Encoding chunked")
            << QByteArray(post + "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n") << 501;
        QTest::addRow("Content-Length and Transfer-Encoding")
            << QByteArray(post + "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}")
            << 501;
        QTest::addRow("unknown method")
            << QByteArray("BREW /health HTTP/1.1\r\nHost: x\r\n\r\n") << 501;
        QTest::addRow("HTTP/2.0 request line")
            << QByteArray("GET /health HTTP/2.0\r\nHost: x\r\n\r\n") << 505;
    }

    void smugglingShapesGetAnErrorAndTheClose()
    {
        QFETCH(QByteArray, request);
        QFETCH(int, status);
        TestServer server;
        // A well-formed request right behind it must not be answered: the first one's framing
        // is in doubt, so the connection ends.
        const Exchange result = exchange(server.port(), request + Health);
        QVERIFY2(result.closed, result.received.constData());
        const QList<RawResponse> responses = result.responses();
        QCOMPARE(responses.size(), 1);
        QCOMPARE(responses.first().status, status);
        QCOMPARE(responses.first().header("connection"), QByteArray("close"));
        QVERIFY2(!responses.first().message().isEmpty(), responses.first().body.constData());
        QVERIFY2(!result.received.contains("\"status\":\"ok\""), result.received.constData());
    }

    void nothingIsAnsweredAfterAClosingRequest_data()
    {
        QTest::addColumn<QByteArray>("request");
        QTest::addRow("Connection: close")
            << QByteArray("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        QTest::addRow("HTTP/1.0") << QByteArray("GET /health HTTP/1.0\r\n\r\n");
        QTest::addRow("Connection: close with a body")
            << QByteArray("POST /api/login HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                          "Content-Length: 2\r\n\r\n{}");
    }

    void nothingIsAnsweredAfterAClosingRequest()
    {
        QFETCH(QByteArray, request);
        TestServer server;
        const Exchange result =
            exchange(server.port(), request + Health + "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
        QVERIFY(result.closed);
        const QList<RawResponse> responses = result.responses();
        QCOMPARE(responses.size(), 1);
        QCOMPARE(responses.first().header("connection"), QByteArray("close"));
        QVERIFY2(!result.received.contains("flippdeal_"), "the pipelined /metrics is not served");
    }

    void pipelinedRequestsAreAnsweredInOrder()
    {
        TestServer server;
        auto socket = connectRaw(server.port());
        const QByteArray login = R"({"email":"nobody@example.test","password":"wrong horse"})";
        socket->write(Health + "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n" +
                      "POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                      QByteArray::number(login.size()) + "\r\n\r\n" + login + Health);
        QByteArray buffer;
        const QList<RawResponse> responses = readResponses(*socket, buffer, 4);
        QCOMPARE(responses.size(), 4);
        QCOMPARE(responses.at(0).status, 200);
        QCOMPARE(responses.at(1).status, 404);
        QCOMPARE(responses.at(2).status, 401); // answered from a worker thread, in its place
        QCOMPARE(responses.at(3).status, 200);
        QCOMPARE(socket->state(), QAbstractSocket::ConnectedState); // keep-alive
    }

    //! A HEAD gets a GET's status and length and no body, whether the route answers at once
    //! (/health) or later (a list read on the read pool): the next response on the keep-alive
    //! connection starts right after its headers.
    void headGetsTheHeadersOnly()
    {
        TestServer server;
        const Session reader = server.registerUser(QStringLiteral("Header"));
        const QByteArray auth = "Authorization: Bearer " + reader.token + "\r\n";
        auto socket = connectRaw(server.port());
        socket->write("HEAD /api/notifications HTTP/1.1\r\nHost: x\r\n" + auth + "\r\n" +
                      "HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n" + Health);
        QByteArray received;
        QVERIFY(waitUntil(
            [&] {
                received += socket->readAll();
                return received.count("HTTP/1.1 ") == 3 && received.endsWith("}");
            },
            5000));
        QList<qsizetype> starts;
        for (qsizetype at = received.indexOf("HTTP/1.1 "); at >= 0;
             at = received.indexOf("HTTP/1.1 ", at + 1))
            starts.append(at);
        QCOMPARE(starts.size(), 3);
        for (int i = 0; i < 2; ++i) {
            const QByteArray head = received.mid(starts.at(i), starts.at(i + 1) - starts.at(i));
            QVERIFY2(head.startsWith("HTTP/1.1 200"), head.constData());
            QVERIFY2(head.endsWith("\r\n\r\n"), head.constData()); // headers, then nothing
            QVERIFY2(head.contains("Content-Length: ") && !head.contains("Content-Length: 0\r"),
                     head.constData());
        }
        QVERIFY(received.mid(starts.at(2)).startsWith("HTTP/1.1 200"));
        QCOMPARE(socket->state(), QAbstractSocket::ConnectedState);
    }

    void madeUpMethodsGet501AndCannotGrowMetrics()
    {
        TestServer server;
        const qsizetype before = metricsPage(server.port()).size();
        QVERIFY(before > 0);
        // 1,000 requests with 8 kB method names of their own, 25 connections at a time.
        QRandomGenerator random(11);
        int answered501 = 0;
        for (int batch = 0; batch < 40; ++batch) {
            std::vector<std::unique_ptr<QTcpSocket>> sockets;
            for (int i = 0; i < 25; ++i) {
                QByteArray method(8192, Qt::Uninitialized);
                for (char &c : method)
                    c = char('A' + random.bounded(26));
                sockets.push_back(connectRaw(server.port()));
                sockets.back()->write(method + " /health HTTP/1.1\r\nHost: x\r\n\r\n");
            }
            std::vector<QByteArray> received(sockets.size());
            QVERIFY(waitUntil(
                [&] {
                    bool allClosed = true;
                    for (std::size_t i = 0; i < sockets.size(); ++i) {
                        received[i] += sockets[i]->readAll();
                        allClosed &= sockets[i]->state() == QAbstractSocket::UnconnectedState;
                    }
                    return allClosed;
                },
                10000));
            for (const QByteArray &bytes : received)
                answered501 += bytes.startsWith("HTTP/1.1 501 ") ? 1 : 0;
        }
        QCOMPARE(answered501, 1000);
        const QByteArray after = metricsPage(server.port());
        QVERIFY2(after.size() < before + 4096, qPrintable(QStringLiteral("/metrics grew from %1 to "
                                                                         "%2 bytes")
                                                              .arg(before)
                                                              .arg(after.size())));
        QVERIFY2(after.contains("method=\"other\",route=\"(not implemented)\",status=\"501\"} "
                                "1000"),
                 after.constData());
    }

    void metricsCanMoveToTheirOwnListener()
    {
        TestServer server([](server::Config &config) {
            config.metricsListenAddress = QHostAddress::LocalHost;
            config.metricsListenPort = 0;
        });
        const quint16 metricsPort = server.app().metricsPort();
        QVERIFY(metricsPort != 0);
        QVERIFY(metricsPort != server.port());
        QCOMPARE(server.get(QStringLiteral("/metrics")).status, 404); // not on the public port
        QCOMPARE(server.get(QStringLiteral("/health")).status, 200);
        const QByteArray page = metricsPage(metricsPort);
        QVERIFY2(page.contains("flippdeal_http_requests_total{method=\"GET\",route=\"/health\""),
                 page.constData());
        QVERIFY(metricValue(page, "flippdeal_http_connections") >= 0);
        // The metrics listener serves nothing else.
        const Exchange api =
            exchange(metricsPort, "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        QCOMPARE(api.responses().value(0).status, 404);
        const Exchange upgrade = exchange(metricsPort, upgradeRequest());
        QVERIFY(upgrade.closed);
        QCOMPARE(upgrade.responses().value(0).status, 404);
    }

    void clientThatNeverReadsCannotGrowTheServer()
    {
        FreshDatabase db;
        QVERIFY(db.isValid());
        ServerProcess server(ServerBinary);
        constexpr int IdleTimeoutSeconds = 3;
        server.start(db.folder(), db.url(),
                     {QStringLiteral("--http-idle-timeout"), QString::number(IdleTimeoutSeconds)});
        QVERIFY2(server.waitListening(), server.output().constData());
        const qint64 pid = server.processId();

        { // warm up: /metrics answered a few hundred times, so the baseline is a working server
            auto warm = connectRaw(server.port());
            QByteArray pipelined;
            for (int i = 0; i < 300; ++i)
                pipelined += "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
            warm->write(pipelined);
            QByteArray buffer;
            QCOMPARE(readResponses(*warm, buffer, 300, 20000).size(), 300);
        }
        QTest::qWait(200);
        const qint64 baseline = rssKiB(pid);
        QVERIFY(baseline > 0);

        // 20,000 pipelined GET /metrics on one connection that never reads.
        QTcpSocket flood;
        flood.setReadBufferSize(4096);
        flood.connectToHost(QHostAddress::LocalHost, server.port());
        QVERIFY(flood.waitForConnected(5000));
        QByteArray requests;
        for (int i = 0; i < 20000; ++i)
            requests += "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
        flood.write(requests);

        // Memory stays bounded while the server is stuck with answers nobody reads, and the
        // connection is dropped within the idle timeout (plus the time to get stuck, and a
        // generous margin for a loaded machine).
        qint64 peak = baseline;
        QElapsedTimer clock;
        clock.start();
        bool dropped = false;
        while (clock.elapsed() < (IdleTimeoutSeconds + 12) * 1000) {
            peak = std::max(peak, rssKiB(pid));
            if (clock.elapsed() > 1000 &&
                metricValue(metricsPage(server.port()), "flippdeal_http_connections") == 1) {
                dropped = true; // only the connection asking is left
                break;
            }
            QTest::qWait(100);
        }
        QVERIFY2(dropped, "the connection that never reads is closed within the idle timeout");
        const QByteArray page = metricsPage(server.port());
        QVERIFY2(page.contains("route=\"/metrics\",status=\"200\""), page.constData());
        const qint64 growth = peak - baseline;
        qInfo("RSS %lld KiB before the flood, at most %lld KiB more during it; dropped after "
              "%lld ms",
              baseline, growth, clock.elapsed());
        QVERIFY(server.isRunning());
        if (Sanitized)
            QSKIP("RSS bounds are not meaningful under AddressSanitizer");
        QVERIFY2(growth < 16 * 1024,
                 qPrintable(
                     QStringLiteral("RSS grew by %1 KiB (baseline %2)").arg(growth).arg(baseline)));
        QTest::qWait(500);
        QVERIFY2(rssKiB(pid) - baseline < 16 * 1024, "and stays down after the drop");
        QVERIFY(server.isRunning());
    }

    void closingConnectionIsCutOffAtItsDeadline()
    {
        // The idle timeout is long: what ends the connection is the close deadline (5 s).
        TestServer server([](server::Config &config) { config.httpIdleTimeoutSeconds = 120; });
        RawClient client(server.port());
        QVERIFY(client.isConnected());
        QVERIFY(client.send(
            "POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n"));
        QElapsedTimer clock;
        clock.start();
        const QByteArray chunk(16 * 1024, 'x');
        bool answered = false;
        bool reset = false;
        // The server answers 413 and closes; the client never reads and keeps sending the
        // refused body, which the closing server reads and drops until its deadline.
        while (!reset && clock.elapsed() < 30000) {
            reset = !client.send(chunk);
            answered |= client.peek(64).startsWith("HTTP/1.1 413 ");
            QTest::qWait(50);
        }
        QVERIFY2(answered, "the 413 came first");
        QVERIFY2(reset, "the connection is cut off");
        QVERIFY2(clock.elapsed() < 15000,
                 qPrintable(QStringLiteral("cut off after %1 ms").arg(clock.elapsed())));
    }

    void halfClosedClientGetsItsAnswer_data()
    {
        QTest::addColumn<QByteArray>("request");
        QTest::addColumn<int>("status");
        QTest::addRow("synchronous route") << Health << 200;
        // Password hashing answers from a worker thread, after the client's FIN has arrived.
        const QByteArray login = R"({"email":"nobody@example.test","password":"wrong horse"})";
        QTest::addRow("asynchronous route")
            << QByteArray("POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: "
                          "application/json\r\nContent-Length: " +
                          QByteArray::number(login.size()) + "\r\n\r\n" + login)
            << 401;
        QTest::addRow("two pipelined") << QByteArray(Health + Health) << 200;
    }

    void halfClosedClientGetsItsAnswer()
    {
        QFETCH(QByteArray, request);
        QFETCH(int, status);
        TestServer server;
        auto socket = connectRaw(server.port());
        socket->write(request);
        socket->flush();
        QCOMPARE(socket->bytesToWrite(), 0);
        QCOMPARE(::shutdown(int(socket->socketDescriptor()), SHUT_WR), 0);
        QByteArray received;
        QVERIFY2(waitUntil(
                     [&] {
                         received += socket->readAll();
                         return socket->state() == QAbstractSocket::UnconnectedState;
                     },
                     10000),
                 "the server closes once it has answered");
        received += socket->readAll();
        const QList<RawResponse> responses = parseResponses(received);
        QCOMPARE(responses.size(), qsizetype(request.count("HTTP/1.1\r\n")));
        QVERIFY2(responses.value(0).status == status || responses.value(0).status == 429,
                 received.constData());
    }

    void framesSentWithTheUpgradeAreProcessedAtOnce()
    {
        TestServer server;
        auto socket = connectRaw(server.port());
        // The upgrade and the first frame in one write, as a client that does not wait for the
        // 101 sends them; nothing is sent afterwards.
        socket->write(upgradeRequest() + maskedTextFrame(R"({"event":"pusher:ping","data":{}})"));
        QByteArray received;
        QVERIFY2(waitUntil(
                     [&] {
                         received += socket->readAll();
                         return received.contains("pusher:pong");
                     },
                     5000),
                 received.constData());
        QVERIFY(received.startsWith("HTTP/1.1 101 "));
        QVERIFY(received.indexOf("connection_established") < received.indexOf("pusher:pong"));
    }

    void connectionsPerAddressAreCapped()
    {
        TestServer server([](server::Config &config) { config.maxConnectionsPerIp = 5; });
        server::HttpServer &http = *server.app().http();
        // Three WebSockets and two keep-alive HTTP connections: the five allowed.
        std::vector<std::unique_ptr<TestSocket>> sockets;
        for (int i = 0; i < 3; ++i) {
            sockets.push_back(std::make_unique<TestSocket>(server.webSocketUrl()));
            QVERIFY(sockets.back()->waitConnected());
        }
        std::vector<std::unique_ptr<QTcpSocket>> keepAlive;
        for (int i = 0; i < 2; ++i) {
            keepAlive.push_back(connectRaw(server.port()));
            keepAlive.back()->write(Health);
            QByteArray buffer;
            QCOMPARE(readResponses(*keepAlive.back(), buffer, 1).value(0).status, 200);
        }
        QCOMPARE(http.budgetedConnections(), 5);

        // A sixth HTTP request: 503, Retry-After, a JSON message, and the close.
        const Exchange refused = exchange(server.port(), Health);
        QVERIFY(refused.closed);
        const RawResponse answer = refused.responses().value(0);
        QCOMPARE(answer.status, 503);
        QVERIFY(answer.header("retry-after").toInt() > 0);
        QVERIFY2(answer.message().contains(QLatin1String("your address")), answer.body.constData());

        // A sixth WebSocket: the handshake completes, then pusher:error 4100 and close 4100,
        // which pusher-js answers by backing off and reconnecting later.
        TestSocket over(server.webSocketUrl());
        const auto error = over.waitFor(QStringLiteral("pusher:error"));
        QVERIFY(error);
        QCOMPARE(frameData(*error).value(QLatin1String("code")).toInt(), 4100);
        QVERIFY(over.waitClosed());
        QCOMPARE(over.closeCode(), 4100);
        QVERIFY(http.refusedConnections() >= 2);
        QCOMPARE(server.app().gateway().connectionCount(), 3);

        // The count follows a socket through its upgrade: closing a WebSocket frees its place.
        sockets.pop_back();
        QTRY_COMPARE(http.budgetedConnections(), 4);
        TestSocket again(server.webSocketUrl());
        QVERIFY(again.waitConnected());
        QCOMPARE(http.budgetedConnections(), 5);
        // And closing an HTTP connection frees its place too.
        keepAlive.pop_back();
        QTRY_COMPARE(http.budgetedConnections(), 4);
        QCOMPARE(
            exchange(server.port(), "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .responses()
                .value(0)
                .status,
            200);
    }

    void connectionsInTotalAreCapped()
    {
        TestServer server([](server::Config &config) {
            config.maxConnections = 4;
            config.maxConnectionsPerIp = 0;
        });
        QCOMPARE(server.app().http()->options().maxConnections, 4);
        std::vector<std::unique_ptr<QTcpSocket>> open;
        for (int i = 0; i < 4; ++i) {
            open.push_back(connectRaw(server.port()));
            open.back()->write(Health);
            QByteArray buffer;
            QCOMPARE(readResponses(*open.back(), buffer, 1).value(0).status, 200);
        }
        const RawResponse refused = exchange(server.port(), Health).responses().value(0);
        QCOMPARE(refused.status, 503);
        QVERIFY2(refused.message().contains(QLatin1String("connection limit")),
                 refused.body.constData());
        open.clear();
        QTRY_COMPARE(server.app().http()->budgetedConnections(), 0);
        QCOMPARE(
            exchange(server.port(), "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .responses()
                .value(0)
                .status,
            200);
    }

    void acceptingPausesWhenOutOfDescriptors()
    {
        if (Sanitized)
            QSKIP("UBSan cannot run at the descriptor limit");
        FreshDatabase db;
        QVERIFY(db.isValid());
        ServerProcess server(ServerBinary);
        server.start(db.folder(), db.url(),
                     {QStringLiteral("--max-connections-per-ip"), QStringLiteral("0")});
        QVERIFY2(server.waitListening(), server.output().constData());
        const qint64 pid = server.processId();
        // Room for a handful of connections only (max-connections, computed from the limit at
        // start, is far above it: the accept itself fails with EMFILE).
        const int inUse = int(openDescriptors(pid));
        QVERIFY(inUse > 0);
        const rlimit limit{rlim_t(inUse + 6), rlim_t(inUse + 6)};
        QCOMPARE(::prlimit(pid_t(pid), RLIMIT_NOFILE, &limit, nullptr), 0);

        constexpr int Clients = 30;
        std::vector<std::unique_ptr<QTcpSocket>> clients;
        std::vector<QByteArray> received(Clients);
        for (int i = 0; i < Clients; ++i) { // the kernel completes these from the backlog
            clients.push_back(connectRaw(server.port()));
            clients.back()->write(Health);
        }
        const auto answered = [&](int i) {
            if (clients[i])
                received[i] += clients[i]->readAll();
            return received[i].startsWith("HTTP/1.1 200 ");
        };
        QTest::qWait(1500);
        int served = 0;
        for (int i = 0; i < Clients; ++i)
            served += answered(i) ? 1 : 0;
        QVERIFY2(served > 0 && served < Clients,
                 qPrintable(QStringLiteral("%1 of %2 served").arg(served).arg(Clients)));

        // Out of descriptors, with connections waiting: the server must not spin.
        const qint64 before = bench::cpuMicros(pid);
        QTest::qWait(2000);
        const double used = double(bench::cpuMicros(pid) - before) / 1e6;
        qInfo("%d of %d clients served at the descriptor limit; %.2f s of CPU in 2 s", served,
              Clients, used);
        QVERIFY2(used < 0.25, qPrintable(QStringLiteral("%1 s of CPU in 2 s").arg(used)));
        QVERIFY2(server.output().contains("out of file descriptors"), server.output().constData());

        // As served clients leave, their descriptors are free again: everyone gets served.
        QVERIFY2(waitUntil(
                     [&] {
                         bool all = true;
                         for (int i = 0; i < Clients; ++i) {
                             if (answered(i))
                                 clients[i].reset();
                             else
                                 all = false;
                         }
                         return all;
                     },
                     20000),
                 server.output().constData());
        QVERIFY(server.isRunning());
    }
};

QTEST_GUILESS_MAIN(TestHttpHardening)
#include "tst_httphardening.moc"
