// SPDX-License-Identifier: MIT
// The Pusher protocol 7 gateway against real QWebSocket clients on a real port. Registered
// twice: as tst_gateway, and as tst_gateway_tls with FLIPPDEAL_TEST_TLS=1 (every connection
// over TLS, through the gateway's QSslSocket transport instead of the epoll engine).
#include "testhelpers.h"
#include "testserver.h"

#include "events/eventstore.h"
#include "gateway/gateway.h"

#include "protocol/signing.h"

#include <QJsonArray>
#include <QRegularExpression>
#include <QSslSocket>
#include <QtTest>

using namespace flippdeal;
using namespace flippdeal::testing;

namespace {

QJsonObject clientEvent(const QString &channel, const QString &event, const QJsonObject &data)
{
    return {{QLatin1String("event"), event},
            {QLatin1String("channel"), channel},
            {QLatin1String("data"), data}};
}

QString presenceData(const QString &userId, const QString &name)
{
    return QStringLiteral(R"({"user_id":"%1","user_info":{"name":"%2"}})").arg(userId, name);
}

//! A client frame as RFC 6455 wants it (masked, here with a zero key so the bytes stay readable).
QByteArray maskedFrame(quint8 firstByte, const QByteArray &payload)
{
    QByteArray frame;
    frame.append(char(firstByte));
    if (payload.size() < 126)
        frame.append(char(0x80 | payload.size()));
    else
        frame.append(char(0x80 | 126))
            .append(char(payload.size() >> 8))
            .append(char(payload.size() & 0xFF));
    return frame.append(4, '\0') + payload;
}

//! \brief One frame the server sent, as a raw client reads it.
struct ServerFrame
{
    quint8 opcode = 0;
    QByteArray payload;
    //! A close frame's status code (0 when it has none).
    int closeCode() const
    {
        return payload.size() >= 2 ? (quint8(payload[0]) << 8) | quint8(payload[1]) : 0;
    }
};

//! \brief A WebSocket client spoken by hand over a QSslSocket (encrypted when the suite runs
//! over TLS), to send what QWebSocket never would and to read the server's frames as they are.
class RawClient
{
public:
    //! Connects, upgrades, and waits for pusher:connection_established.
    bool open(quint16 port)
    {
        if (testsRunOverTls()) {
            m_socket.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
            if (!waitUntil([this] { return m_socket.isEncrypted(); }, 5000))
                return false;
        } else {
            m_socket.connectToHost(QHostAddress::LocalHost, port);
            if (!m_socket.waitForConnected(3000))
                return false;
        }
        m_socket.write(
            "GET /app/test-key?protocol=7 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n");
        if (!waitUntil([this] { return m_socket.peek(8192).contains("\r\n\r\n"); }, 5000))
            return false;
        const QByteArray head = m_socket.peek(8192);
        m_socket.read(head.indexOf("\r\n\r\n") + 4);
        return head.startsWith("HTTP/1.1 101") && next(0x1).has_value();
    }

    QSslSocket &socket() { return m_socket; }
    void send(quint8 firstByte, const QByteArray &payload)
    {
        m_socket.write(maskedFrame(firstByte, payload));
    }

    //! The next frame with `opcode` (earlier ones are kept in frames()); nullopt on timeout or
    //! when the connection ends first.
    std::optional<ServerFrame> next(quint8 opcode, int timeoutMs = 5000)
    {
        std::optional<ServerFrame> found;
        waitUntil(
            [&] {
                readFrames();
                for (; m_taken < m_frames.size() && !found; ++m_taken) {
                    if (m_frames.at(m_taken).opcode == opcode)
                        found = m_frames.at(m_taken);
                }
                return found.has_value() || m_socket.state() == QAbstractSocket::UnconnectedState;
            },
            timeoutMs);
        if (!found)
            readFrames();
        for (; !found && m_taken < m_frames.size(); ++m_taken) {
            if (m_frames.at(m_taken).opcode == opcode)
                found = m_frames.at(m_taken);
        }
        return found;
    }
    const QList<ServerFrame> &frames() const { return m_frames; }

private:
    void readFrames()
    {
        m_buffer += m_socket.readAll();
        while (m_buffer.size() >= 2) {
            qsizetype length = quint8(m_buffer[1]) & 0x7F;
            qsizetype offset = 2;
            if (length == 126) {
                if (m_buffer.size() < 4)
                    return;
                length = (quint8(m_buffer[2]) << 8) | quint8(m_buffer[3]);
                offset = 4;
            } else if (length == 127) {
                if (m_buffer.size() < 10)
                    return;
                length = 0;
                for (int i = 2; i < 10; ++i)
                    length = (length << 8) | quint8(m_buffer[i]);
                offset = 10;
            }
            if (m_buffer.size() < offset + length)
                return;
            m_frames.append({quint8(m_buffer[0] & 0x0F), m_buffer.mid(offset, length)});
            m_buffer.remove(0, offset + length);
        }
    }

    QSslSocket m_socket;
    QByteArray m_buffer;
    QList<ServerFrame> m_frames;
    qsizetype m_taken = 0;
};

} // namespace

class TestGateway : public QObject
{
    Q_OBJECT

    std::unique_ptr<TestServer> m_server;

    QString sign(const TestSocket &socket, const QString &channel,
                 const QString &channelData = {}) const
    {
        return QString::fromLatin1(protocol::channelAuth(m_server->config().appKey.toUtf8(),
                                                         m_server->config().appSecret,
                                                         socket.socketId(), channel, channelData));
    }

    std::unique_ptr<TestSocket> connected()
    {
        auto socket = std::make_unique<TestSocket>(m_server->webSocketUrl());
        if (!socket->waitConnected())
            qWarning("socket did not connect");
        return socket;
    }

    std::optional<QJsonObject> joinPresence(TestSocket &socket, const QString &channel,
                                            const QString &userId)
    {
        const QString data = presenceData(userId, QStringLiteral("User ") + userId);
        return socket.subscribe(channel, sign(socket, channel, data), data);
    }

private Q_SLOTS:
    void init()
    {
        m_server = std::make_unique<TestServer>();
        QVERIFY2(m_server->isRunning(), qPrintable(m_server->errorString()));
    }

    void cleanup() { m_server.reset(); }

    void connectionEstablished()
    {
        TestSocket socket(m_server->webSocketUrl());
        QVERIFY(socket.waitConnected());
        QVERIFY(QRegularExpression(QStringLiteral(R"(^\d+\.\d+$)"))
                    .match(socket.socketId())
                    .hasMatch());
        const QJsonObject data = frameData(socket.frames().first());
        QCOMPARE(data.value(QLatin1String("activity_timeout")).toInt(), 120);
        TestSocket other(m_server->webSocketUrl());
        QVERIFY(other.waitConnected());
        QVERIFY2(other.socketId() != socket.socketId(), "socket ids are unique");
        QTRY_COMPARE(m_server->app().gateway().connectionCount(), 2);
    }

    void refusedConnections_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<int>("code");
        QTest::addRow("unknown app key") << QStringLiteral("/app/nope?protocol=7") << 4001;
        QTest::addRow("wrong path") << QStringLiteral("/socket?protocol=7") << 4005;
        QTest::addRow("old protocol") << QStringLiteral("/app/test-key?protocol=3") << 4007;
    }

    void refusedConnections()
    {
        QFETCH(QString, url);
        QFETCH(int, code);
        TestSocket socket(m_server->webSocketUrl().resolved(QUrl(url)));
        const auto error = socket.waitFor(QStringLiteral("pusher:error"));
        QVERIFY(error);
        QCOMPARE(
            error->value(QLatin1String("data")).toObject().value(QLatin1String("code")).toInt(),
            code);
        QVERIFY(socket.waitClosed());
        QCOMPARE(socket.closeCode(), code);
    }

    void pingPong()
    {
        auto socket = connected();
        socket->send({{QLatin1String("event"), QStringLiteral("pusher:ping")},
                      {QLatin1String("data"), QJsonObject()}});
        QVERIFY(socket->waitFor(QStringLiteral("pusher:pong")));
    }

    void badFramesKeepTheConnection_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addRow("not json") << QStringLiteral("{oops");
        QTest::addRow("array") << QStringLiteral("[1]");
        QTest::addRow("no event") << QStringLiteral(R"({"data":{}})");
        QTest::addRow("unknown event") << QStringLiteral(R"({"event":"pusher:dance"})");
        QTest::addRow("subscribe without channel")
            << QStringLiteral(R"({"event":"pusher:subscribe","data":{}})");
        QTest::addRow("over 10 KB")
            << QStringLiteral(R"({"event":"client-x","channel":"private-a","data":"%1"})")
                   .arg(QString(11000, QLatin1Char('a')));
    }

    void badFramesKeepTheConnection()
    {
        QFETCH(QString, text);
        auto socket = connected();
        socket->sendText(text);
        const auto error = socket->waitFor(QStringLiteral("pusher:error"));
        QVERIFY(error);
        QVERIFY(!error->value(QLatin1String("data"))
                     .toObject()
                     .value(QLatin1String("message"))
                     .toString()
                     .isEmpty());
        socket->send({{QLatin1String("event"), QStringLiteral("pusher:ping")}});
        QVERIFY2(socket->waitFor(QStringLiteral("pusher:pong")), "the connection is still usable");
        QVERIFY(!socket->isClosed());
    }

    void fragmentedMessagesAndControlFrames()
    {
        auto socket = connected();
        socket->socket().setOutgoingFrameSize(16); // every message split into 16-byte frames
        QVERIFY2(socket->subscribe(QStringLiteral("fragments")),
                 "a fragmented subscribe is reassembled");
        QSignalSpy pong(&socket->socket(), &QWebSocket::pong);
        socket->socket().ping("are you there");
        QVERIFY2(pong.wait(3000), "a WebSocket ping is answered with a pong");
        QCOMPARE(pong.first().at(1).toByteArray(), QByteArray("are you there"));
    }

    void invalidUtf8ClosesWith1007_data()
    {
        QTest::addColumn<QList<QByteArray>>("fragments");
        const QByteArray start = "{\"event\":\"pusher:ping\",\"data\":\"";
        QTest::addRow("lone continuation byte") << QList<QByteArray>{start + "\x80\"}"};
        QTest::addRow("overlong slash") << QList<QByteArray>{start + "\xC0\xAF\"}"};
        QTest::addRow("surrogate") << QList<QByteArray>{start + "\xED\xA0\x80\"}"};
        QTest::addRow("above U+10FFFF") << QList<QByteArray>{start + "\xF4\x90\x80\x80\"}"};
        QTest::addRow("truncated at the end") << QList<QByteArray>{start + "\"}\xE2\x82"};
        QTest::addRow("fragmented, bad in the second") << QList<QByteArray>{start, "\xFF", "\"}"};
        QTest::addRow("fragmented, a character cut short")
            << QList<QByteArray>{start + "\xE2\x82", "\"}"};
    }

    void invalidUtf8ClosesWith1007()
    {
        QFETCH(QList<QByteArray>, fragments);
        RawClient client;
        QVERIFY(client.open(m_server->port()));
        for (qsizetype i = 0; i < fragments.size(); ++i) {
            const quint8 opcode = i == 0 ? 0x1 : 0x0;
            client.send((i + 1 == fragments.size() ? 0x80 : 0x00) | opcode, fragments.at(i));
        }
        const auto close = client.next(0x8);
        QVERIFY2(close, "the server closes");
        QCOMPARE(close->closeCode(), 1007);
        for (const ServerFrame &frame : client.frames())
            QVERIFY2(!frame.payload.contains("pusher:pong"), "nothing of it was handled");
    }

    void validUtf8AcrossFragmentsIsAccepted()
    {
        RawClient client;
        QVERIFY(client.open(m_server->port()));
        // "€" (E2 82 AC) split between two fragments, and 4-byte "😀" whole.
        client.send(0x01, "{\"event\":\"pusher:ping\",\"data\":{\"x\":\"\xE2\x82");
        client.send(0x80, "\xAC \xF0\x9F\x98\x80\"}}");
        const auto pong = client.next(0x1);
        QVERIFY(pong);
        QVERIFY2(pong->payload.contains("pusher:pong"), pong->payload.constData());
    }

    void badClosePayloadsCloseWith1002_data()
    {
        QTest::addColumn<QByteArray>("payload");
        QTest::addRow("one byte") << QByteArray("\x03", 1);
        QTest::addRow("1005 (no status)") << QByteArray("\x03\xED", 2);
        QTest::addRow("1006 (abnormal)") << QByteArray("\x03\xEE", 2);
        QTest::addRow("1015 (TLS)") << QByteArray("\x03\xF7", 2);
        QTest::addRow("1004 (reserved)") << QByteArray("\x03\xEC", 2);
        QTest::addRow("0") << QByteArray("\x00\x00", 2);
        QTest::addRow("999") << QByteArray("\x03\xE7", 2);
        QTest::addRow("2999") << QByteArray("\x0B\xB7", 2);
        QTest::addRow("5000") << QByteArray("\x13\x88", 2);
        QTest::addRow("reason not UTF-8") << QByteArray("\x03\xE8oops\xC3\x28", 8);
    }

    void badClosePayloadsCloseWith1002()
    {
        QFETCH(QByteArray, payload);
        RawClient client;
        QVERIFY(client.open(m_server->port()));
        client.send(0x88, payload);
        const auto close = client.next(0x8);
        QVERIFY(close);
        QCOMPARE(close->closeCode(), 1002);
        QTRY_COMPARE(m_server->app().gateway().connectionCount(), 0);
    }

    void closeCodesAreEchoedButNever1005_data()
    {
        QTest::addColumn<QByteArray>("payload");
        QTest::addColumn<QByteArray>("answer");
        QTest::addRow("empty close: empty answer") << QByteArray() << QByteArray();
        QTest::addRow("1000") << QByteArray("\x03\xE8", 2) << QByteArray("\x03\xE8", 2);
        QTest::addRow("1001 with a UTF-8 reason") << QByteArray("\x03\xE9"
                                                                "bye \xE2\x82\xAC",
                                                                9)
                                                  << QByteArray("\x03\xE9", 2);
        QTest::addRow("4000 (application)")
            << QByteArray("\x0F\xA0", 2) << QByteArray("\x0F\xA0", 2);
    }

    void closeCodesAreEchoedButNever1005()
    {
        QFETCH(QByteArray, payload);
        QFETCH(QByteArray, answer);
        RawClient client;
        QVERIFY(client.open(m_server->port()));
        client.send(0x88, payload);
        const auto close = client.next(0x8);
        QVERIFY(close);
        QCOMPARE(close->payload, answer);
    }

    void pingFloodIsClosed_data()
    {
        QTest::addColumn<bool>("webSocketPings");
        QTest::addRow("WebSocket ping frames") << true;
        QTest::addRow("pusher:ping") << false;
    }

    void pingFloodIsClosed()
    {
        QFETCH(bool, webSocketPings);
        // A client that pings as fast as it can and never reads: the pongs must not pile up.
        RawClient client;
        QVERIFY(client.open(m_server->port()));
        client.socket().setReadBufferSize(4096);
        const QByteArray ping = webSocketPings
                                    ? maskedFrame(0x89, QByteArray(125, 'p'))
                                    : maskedFrame(0x81, R"({"event":"pusher:ping","data":{}})");
        QByteArray flood;
        for (int i = 0; i < 2000; ++i)
            flood += ping;
        client.socket().write(flood);
        QTRY_COMPARE_WITH_TIMEOUT(m_server->app().gateway().connectionCount(), 0, 10000);

        client.socket().setReadBufferSize(0);
        const auto close = client.next(0x8);
        QVERIFY2(close, "the flood ends in a close frame");
        QCOMPARE(close->closeCode(), 4301);
        const auto answers = std::count_if(
            client.frames().cbegin(), client.frames().cend(), [](const ServerFrame &f) {
                return f.opcode == 0xA || f.payload.contains("pusher:pong");
            });
        // The burst of 10 and what refills while the flood is read: a handful, not 2,000.
        QVERIFY2(answers >= 10 && answers <= 30, qPrintable(QString::number(answers)));
        const bool errorFirst =
            std::any_of(client.frames().cbegin(), client.frames().cend(), [](const ServerFrame &f) {
                return f.payload.contains("pusher:error") && f.payload.contains("4301");
            });
        QVERIFY2(errorFirst, "a pusher:error 4301 says why");
    }

    void pingsWithinTheLimitAreAnswered()
    {
        auto socket = connected();
        QSignalSpy pong(&socket->socket(), &QWebSocket::pong);
        for (int i = 0; i < 6; ++i) {
            socket->socket().ping("p");
            socket->send({{QLatin1String("event"), QStringLiteral("pusher:ping")}});
            QTest::qWait(500); // two pings, one token back: within the burst of 10
        }
        QTRY_COMPARE(pong.size(), 6);
        QVERIFY(!socket->isClosed());
    }

    void binaryFrameIsAnError()
    {
        auto socket = connected();
        socket->socket().sendBinaryMessage("\x01\x02");
        QVERIFY(socket->waitFor(QStringLiteral("pusher:error")));
        QVERIFY(!socket->isClosed());
    }

    void publicSubscribeAndBroadcast()
    {
        auto socket = connected();
        QVERIFY(socket->subscribe(QStringLiteral("news")));
        m_server->app().gateway().broadcast(
            {QStringLiteral("news"), QStringLiteral("headline"), R"({"a":1})", 0, {}});
        const auto event = socket->waitFor(QStringLiteral("headline"), QStringLiteral("news"));
        QVERIFY(event);
        QCOMPARE(event->value(QLatin1String("data")).toString(), QStringLiteral(R"({"a":1})"));
        QVERIFY(!event->contains(QLatin1String("seq")));

        socket->send({{QLatin1String("event"), QStringLiteral("pusher:unsubscribe")},
                      {QLatin1String("data"),
                       QJsonObject{{QLatin1String("channel"), QStringLiteral("news")}}}});
        QTRY_COMPARE(m_server->app().gateway().subscriberCount(QStringLiteral("news")), 0);
        m_server->app().gateway().broadcast(
            {QStringLiteral("news"), QStringLiteral("headline"), "{}", 0, {}});
        QVERIFY(!socket->receivesWithin(QStringLiteral("headline"), QStringLiteral("news"), 200));
    }

    void privateSubscriptionNeedsAValidSignature_data()
    {
        QTest::addColumn<QString>("auth");
        QTest::addColumn<bool>("accepted");
        QTest::addRow("valid") << QString() << true;
        QTest::addRow("missing") << QStringLiteral("none") << false;
        QTest::addRow("wrong signature")
            << QStringLiteral("test-key:") + QString(64, QLatin1Char('0')) << false;
        QTest::addRow("other key") << QStringLiteral("other:abc") << false;
    }

    void privateSubscriptionNeedsAValidSignature()
    {
        QFETCH(QString, auth);
        QFETCH(bool, accepted);
        auto socket = connected();
        const QString channel = QStringLiteral("private-user.1");
        const QString sent = auth.isEmpty()                  ? sign(*socket, channel)
                             : auth == QLatin1String("none") ? QString()
                                                             : auth;
        QCOMPARE(socket->subscribe(channel, sent).has_value(), accepted);
        if (!accepted) {
            const auto error =
                socket->waitFor(QStringLiteral("pusher:subscription_error"), channel, 1000);
            QVERIFY2(error,
                     "Laravel Echo's .error() needs pusher:subscription_error on the channel");
            QCOMPARE(error->value(QLatin1String("data"))
                         .toObject()
                         .value(QLatin1String("status"))
                         .toInt(),
                     401);
            QCOMPARE(m_server->app().gateway().subscriberCount(channel), 0);
        }
    }

    void signatureIsBoundToTheSocket()
    {
        auto first = connected();
        auto second = connected();
        const QString channel = QStringLiteral("private-user.1");
        QVERIFY2(!second->subscribe(channel, sign(*first, channel)),
                 "a signature stolen from another socket fails");
    }

    void invalidChannelNames_data()
    {
        QTest::addColumn<QString>("channel");
        QTest::addRow("space") << QStringLiteral("bad channel");
        QTest::addRow("too long") << QString(165, QLatin1Char('x'));
        QTest::addRow("unicode") << QStringLiteral("k\u00e4se");
    }

    void invalidChannelNames()
    {
        QFETCH(QString, channel);
        auto socket = connected();
        QVERIFY(!socket->subscribe(channel));
        const auto error = socket->waitFor(QStringLiteral("pusher:subscription_error"), {}, 1000);
        QVERIFY(error);
        QCOMPARE(
            error->value(QLatin1String("data")).toObject().value(QLatin1String("status")).toInt(),
            4009);
        socket->send({{QLatin1String("event"), QStringLiteral("pusher:ping")}});
        QVERIFY(socket->waitFor(QStringLiteral("pusher:pong")));
    }

    void presenceCountsUsersNotConnections()
    {
        const QString channel = QStringLiteral("presence-auction.1");
        auto watcher = connected();
        QVERIFY(joinPresence(*watcher, channel, QStringLiteral("1")));

        auto aliceFirst = connected();
        const auto succeeded = joinPresence(*aliceFirst, channel, QStringLiteral("2"));
        QVERIFY(succeeded);
        const QJsonObject presence =
            frameData(*succeeded).value(QLatin1String("presence")).toObject();
        QCOMPARE(presence.value(QLatin1String("count")).toInt(), 2);
        QVERIFY(presence.value(QLatin1String("hash")).toObject().contains(QLatin1String("1")));
        const auto added =
            watcher->waitFor(QStringLiteral("pusher_internal:member_added"), channel);
        QVERIFY(added);
        QCOMPARE(frameData(*added).value(QLatin1String("user_id")).toString(), QStringLiteral("2"));
        QCOMPARE(frameData(*added)
                     .value(QLatin1String("user_info"))
                     .toObject()
                     .value(QLatin1String("name"))
                     .toString(),
                 QStringLiteral("User 2"));

        // Alice's second connection: same member, no second member_added.
        auto aliceSecond = connected();
        const auto again = joinPresence(*aliceSecond, channel, QStringLiteral("2"));
        QVERIFY(again);
        QCOMPARE(frameData(*again)
                     .value(QLatin1String("presence"))
                     .toObject()
                     .value(QLatin1String("count"))
                     .toInt(),
                 2);
        QVERIFY(
            !watcher->receivesWithin(QStringLiteral("pusher_internal:member_added"), channel, 300));
        QVERIFY2(!aliceFirst->receivesWithin(QStringLiteral("pusher_internal:member_added"),
                                             channel, 50),
                 "a user is not told about their own second connection");

        // Closing one of two connections removes nobody; the last one does.
        aliceFirst.reset();
        QVERIFY(!watcher->receivesWithin(QStringLiteral("pusher_internal:member_removed"), channel,
                                         300));
        QCOMPARE(m_server->app().gateway().presence().memberCount(channel), 2);
        aliceSecond.reset();
        const auto removed =
            watcher->waitFor(QStringLiteral("pusher_internal:member_removed"), channel);
        QVERIFY(removed);
        QCOMPARE(frameData(*removed).value(QLatin1String("user_id")).toString(),
                 QStringLiteral("2"));
        QCOMPARE(m_server->app().gateway().presence().memberCount(channel), 1);
    }

    void subscriptionsPerConnectionAreCapped()
    {
        // The default, 100 channels per connection (one connection held 100,000 before).
        auto socket = connected();
        for (int i = 0; i < 100; ++i)
            QVERIFY(socket->subscribe(QStringLiteral("cap-%1").arg(i)));
        QVERIFY(!socket->subscribe(QStringLiteral("cap-100")));
        const auto error =
            socket->waitFor(QStringLiteral("pusher:subscription_error"), QStringLiteral("cap-100"));
        QVERIFY(error);
        QCOMPARE(frameData(*error).value(QLatin1String("status")).toInt(), 4100);
        QCOMPARE(frameData(*error).value(QLatin1String("type")).toString(),
                 QStringLiteral("LimitReached"));
        QCOMPARE(m_server->app().gateway().subscriberCount(QStringLiteral("cap-100")), 0);
        QCOMPARE(m_server->app().gateway().channelCount(), 100);

        // Private channels count too; a repeated subscribe is still confirmed; the connection
        // stays, and an unsubscribe makes room again.
        const QString privateChannel = QStringLiteral("private-cap");
        QVERIFY(!socket->subscribe(privateChannel, sign(*socket, privateChannel)));
        QVERIFY(socket->subscribe(QStringLiteral("cap-7")));
        socket->send({{QLatin1String("event"), QStringLiteral("pusher:unsubscribe")},
                      {QLatin1String("data"),
                       QJsonObject{{QLatin1String("channel"), QStringLiteral("cap-0")}}}});
        QVERIFY(socket->subscribe(privateChannel, sign(*socket, privateChannel)));
        QVERIFY(!socket->isClosed());
    }

    void presenceMembersAreCapped()
    {
        m_server = std::make_unique<TestServer>(
            [](server::Config &config) { config.maxPresenceMembers = 3; });
        const QString channel = QStringLiteral("presence-auction.3");
        std::vector<std::unique_ptr<TestSocket>> members;
        for (int user = 1; user <= 3; ++user) {
            members.push_back(connected());
            QVERIFY(joinPresence(*members.back(), channel, QString::number(user)));
        }
        auto fourth = connected();
        QVERIFY(!joinPresence(*fourth, channel, QStringLiteral("4")));
        const auto error = fourth->waitFor(QStringLiteral("pusher:subscription_error"), channel);
        QVERIFY(error);
        QCOMPARE(frameData(*error).value(QLatin1String("status")).toInt(), 4100);
        QCOMPARE(frameData(*error).value(QLatin1String("type")).toString(),
                 QStringLiteral("LimitReached"));
        QCOMPARE(m_server->app().gateway().presence().memberCount(channel), 3);
        QTest::qWait(200);
        for (const QJsonObject &frame : members.front()->frames())
            QVERIFY2(frameData(frame).value(QLatin1String("user_id")).toString() !=
                         QLatin1String("4"),
                     "nobody hears of the refused member");

        // A member's second connection is not a new member.
        auto secondTab = connected();
        QVERIFY(joinPresence(*secondTab, channel, QStringLiteral("2")));
        // When a member leaves, there is room again.
        members.front().reset();
        QTRY_COMPARE(m_server->app().gateway().presence().memberCount(channel), 2);
        QVERIFY(joinPresence(*fourth, channel, QStringLiteral("4")));
        QCOMPARE(m_server->app().gateway().presence().memberCount(channel), 3);
    }

    void subscriptionSucceededCarriesTheChannelSeq()
    {
        server::EventStore &events = m_server->app().events();
        const QString busy = QStringLiteral("private-user.5");
        const QString room = QStringLiteral("presence-auction.5");
        QVERIFY(
            events.transaction([&](server::EventBatch &batch) -> server::Expected<server::Done> {
                batch.add(busy, QStringLiteral("A"), {});
                batch.add(busy, QStringLiteral("B"), {});
                batch.add(room, QStringLiteral("C"), {});
                return server::Done{};
            }));
        auto socket = connected();
        const auto first = socket->subscribe(busy, sign(*socket, busy));
        QVERIFY(first);
        QCOMPARE(seqOf(*first), 2);
        const auto presence = joinPresence(*socket, room, QStringLiteral("5"));
        QVERIFY(presence);
        QCOMPARE(seqOf(*presence), 1);
        QVERIFY(frameData(*presence).contains(QLatin1String("presence")));
        const QString quiet = QStringLiteral("private-encrypted-user.5");
        const auto empty = socket->subscribe(quiet, sign(*socket, quiet));
        QVERIFY(empty);
        QVERIFY2(empty->value(QLatin1String("seq")).isDouble(), qPrintable(frameText(*empty)));
        QCOMPARE(seqOf(*empty), 0);
        const auto open = socket->subscribe(QStringLiteral("news"));
        QVERIFY(open);
        QVERIFY2(!open->contains(QLatin1String("seq")), "public channels have no seq");

        // What is committed after the subscription reaches it live, right after that seq.
        QVERIFY(
            events.transaction([&](server::EventBatch &batch) -> server::Expected<server::Done> {
                batch.add(busy, QStringLiteral("D"), {});
                return server::Done{};
            }));
        const auto live = socket->waitFor(QStringLiteral("D"), busy);
        QVERIFY(live);
        QCOMPARE(seqOf(*live), 3);
    }

    void presenceNeedsMemberData()
    {
        auto socket = connected();
        const QString channel = QStringLiteral("presence-auction.1");
        const QString data = QStringLiteral(R"({"user_info":{}})");
        QVERIFY(!socket->subscribe(channel, sign(*socket, channel, data), data));
        QVERIFY(socket->waitFor(QStringLiteral("pusher:subscription_error"), channel, 1000));
    }

    void clientEventsReachOthersOnly()
    {
        const QString channel = QStringLiteral("private-chat.1");
        auto sender = connected();
        auto receiver = connected();
        QVERIFY(sender->subscribe(channel, sign(*sender, channel)));
        QVERIFY(receiver->subscribe(channel, sign(*receiver, channel)));
        sender->send(clientEvent(channel, QStringLiteral("client-typing"),
                                 {{QLatin1String("typing"), true}}));
        const auto got = receiver->waitFor(QStringLiteral("client-typing"), channel);
        QVERIFY(got);
        QCOMPARE(
            got->value(QLatin1String("data")).toObject().value(QLatin1String("typing")).toBool(),
            true);
        QVERIFY2(!got->contains(QLatin1String("user_id")), "user_id only on presence channels");
        QVERIFY2(!sender->receivesWithin(QStringLiteral("client-typing"), channel, 300),
                 "not echoed to the sender");
    }

    void clientEventsOnPresenceCarryUserId()
    {
        const QString channel = QStringLiteral("presence-auction.9");
        auto sender = connected();
        auto receiver = connected();
        QVERIFY(joinPresence(*sender, channel, QStringLiteral("5")));
        QVERIFY(joinPresence(*receiver, channel, QStringLiteral("6")));
        sender->send(clientEvent(channel, QStringLiteral("client-wave"), {}));
        const auto got = receiver->waitFor(QStringLiteral("client-wave"), channel);
        QVERIFY(got);
        QCOMPARE(got->value(QLatin1String("user_id")).toString(), QStringLiteral("5"));
    }

    void clientEventRules_data()
    {
        QTest::addColumn<QString>("channel");
        QTest::addColumn<bool>("subscribe");
        QTest::addRow("public channel") << QStringLiteral("news") << true;
        QTest::addRow("not subscribed") << QStringLiteral("private-chat.2") << false;
        QTest::addRow("encrypted channel") << QStringLiteral("private-encrypted-x") << true;
    }

    void clientEventRules()
    {
        QFETCH(QString, channel);
        QFETCH(bool, subscribe);
        auto sender = connected();
        auto receiver = connected();
        const bool needsAuth = channel.startsWith(QLatin1String("private-"));
        QVERIFY(receiver->subscribe(channel, needsAuth ? sign(*receiver, channel) : QString()));
        if (subscribe)
            QVERIFY(sender->subscribe(channel, needsAuth ? sign(*sender, channel) : QString()));
        sender->send(clientEvent(channel, QStringLiteral("client-x"), {}));
        QVERIFY(sender->waitFor(QStringLiteral("pusher:error")));
        QVERIFY(!receiver->receivesWithin(QStringLiteral("client-x"), channel, 200));
    }

    void clientEventsAreRateLimited()
    {
        const QString channel = QStringLiteral("private-chat.3");
        auto sender = connected();
        auto receiver = connected();
        QVERIFY(sender->subscribe(channel, sign(*sender, channel)));
        QVERIFY(receiver->subscribe(channel, sign(*receiver, channel)));
        for (int i = 0; i < 15; ++i)
            sender->send(
                clientEvent(channel, QStringLiteral("client-n"), {{QLatin1String("i"), i}}));
        const auto error = sender->waitFor(QStringLiteral("pusher:error"));
        QVERIFY(error);
        QCOMPARE(
            error->value(QLatin1String("data")).toObject().value(QLatin1String("code")).toInt(),
            4301);
        QTest::qWait(300);
        int delivered = 0;
        for (const QJsonObject &frame : receiver->frames())
            delivered +=
                frame.value(QLatin1String("event")).toString() == QLatin1String("client-n");
        QVERIFY2(delivered >= 10 && delivered <= 12, qPrintable(QString::number(delivered)));
        QVERIFY(!sender->isClosed());
    }

    void excludedSocketGetsNothing()
    {
        auto a = connected();
        auto b = connected();
        QVERIFY(a->subscribe(QStringLiteral("news")));
        QVERIFY(b->subscribe(QStringLiteral("news")));
        m_server->app().gateway().broadcast(
            {QStringLiteral("news"), QStringLiteral("e"), "{}", 0, a->socketId()});
        QVERIFY(b->waitFor(QStringLiteral("e"), QStringLiteral("news")));
        QVERIFY(!a->receivesWithin(QStringLiteral("e"), QStringLiteral("news"), 200));
    }

    void silentConnectionsArePingedThenClosed()
    {
        m_server = std::make_unique<TestServer>([](server::Config &config) {
            config.activityTimeoutSeconds = 1;
            config.activityGraceSeconds = 1;
        });
        auto silent = connected();
        auto lively = connected();
        QCOMPARE(
            frameData(silent->frames().first()).value(QLatin1String("activity_timeout")).toInt(),
            1);
        QVERIFY(silent->waitFor(QStringLiteral("pusher:ping"), {}, 4000));
        QVERIFY(lively->waitFor(QStringLiteral("pusher:ping"), {}, 4000));
        lively->send({{QLatin1String("event"), QStringLiteral("pusher:pong")}});
        QVERIFY(silent->waitClosed(5000));
        QCOMPARE(silent->closeCode(), 4201);
        QVERIFY2(!lively->isClosed(), "a connection that answered the ping stays open");
    }

    void slowReaderIsDisconnected()
    {
        m_server = std::make_unique<TestServer>(
            [](server::Config &config) { config.maxOutboundBytes = 512 * 1024; });
        const QString channel = QStringLiteral("firehose");

        // A raw client that completes the handshake and subscribes, then never reads again.
        // (Over TLS too: a QSslSocket that is not encrypted is a QTcpSocket.)
        QSslSocket slow;
        slow.setReadBufferSize(4096);
        if (testsRunOverTls()) {
            slow.connectToHostEncrypted(QStringLiteral("127.0.0.1"), m_server->port());
            QTRY_VERIFY(slow.isEncrypted()); // (the server needs this event loop)
        } else {
            slow.connectToHost(QHostAddress::LocalHost, m_server->port());
            QVERIFY(slow.waitForConnected(3000));
        }
        slow.write(
            "GET /app/test-key?protocol=7 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n");
        QTRY_VERIFY(slow.peek(4096).contains("connection_established"));
        slow.readAll();
        const QByteArray subscribe =
            R"({"event":"pusher:subscribe","data":{"channel":"firehose"}})";
        QByteArray frame;
        frame.append(char(0x81))
            .append(char(0x80 | subscribe.size()))
            .append(4, '\0'); // zero mask key
        slow.write(frame + subscribe);
        QTRY_COMPARE(m_server->app().gateway().subscriberCount(channel), 1);

        auto fast = connected();
        QVERIFY(fast->subscribe(channel));
        const QByteArray payload = "\"" + QByteArray(8000, 'x') + "\"";
        int sent = 0;
        for (int batch = 0; batch < 200 && m_server->app().gateway().slowConsumerDisconnects() == 0;
             ++batch) {
            for (int i = 0; i < 10; ++i, ++sent)
                m_server->app().gateway().broadcast(
                    {channel, QStringLiteral("chunk"), payload, 0, {}});
            QTest::qWait(5); // let the fast reader drain between bursts
        }
        QCOMPARE(m_server->app().gateway().slowConsumerDisconnects(), quint64(1));
        QTRY_COMPARE_WITH_TIMEOUT(m_server->app().gateway().subscriberCount(channel), 1, 5000);
        QVERIFY2(!fast->isClosed(), "the reader that keeps up stays connected");
        QTRY_VERIFY(
            std::count_if(fast->frames().cbegin(), fast->frames().cend(), [](const QJsonObject &f) {
                return f.value(QLatin1String("event")).toString() == QLatin1String("chunk");
            }) == sent);
        // What the slow client finally reads ends with the 4100 close frame or a reset.
        slow.setReadBufferSize(0);
        QTRY_VERIFY_WITH_TIMEOUT(slow.state() == QAbstractSocket::UnconnectedState ||
                                     slow.readAll().contains(QByteArray("\x10\x04", 2)),
                                 10000);
    }

    void shutdownClosesWithGoingAway()
    {
        auto socket = connected();
        QSignalSpy stopped(&m_server->app(), &server::ServerApp::stopped);
        m_server->app().shutdown();
        QVERIFY(socket->waitClosed());
        QCOMPARE(socket->closeCode(), 1001);
        QTRY_COMPARE(stopped.size(), 1);
    }

    void manyConnectionsOnOneChannel()
    {
        std::vector<std::unique_ptr<TestSocket>> sockets;
        for (int i = 0; i < 50; ++i) {
            sockets.push_back(connected());
            QVERIFY(sockets.back()->subscribe(QStringLiteral("crowd")));
        }
        const server::Gateway &gateway = m_server->app().gateway();
        const quint64 sendsBefore = gateway.passSends();
        const quint64 callsBefore = gateway.passSendCalls();
        m_server->app().gateway().broadcast(
            {QStringLiteral("crowd"), QStringLiteral("hello"), "{}", 0, {}});
        for (auto &socket : sockets)
            QVERIFY(socket->waitFor(QStringLiteral("hello"), QStringLiteral("crowd")));
        // One pass sent the event to all 50: with io_uring in one system call (a few more for
        // whatever else the loop sent meanwhile), else one each. (TLS connections are written
        // through their QSslSocket instead: none of these.)
        const quint64 sends = gateway.passSends() - sendsBefore;
        const quint64 calls = gateway.passSendCalls() - callsBefore;
        if (testsRunOverTls()) {
            QCOMPARE(sends, quint64(0));
            QCOMPARE(calls, quint64(0));
        } else {
            QVERIFY2(sends >= 50, qPrintable(QString::number(sends)));
            if (gateway.sendsBatched())
                QVERIFY2(calls <= sends - 45,
                         qPrintable(QStringLiteral("%1 calls for %2 sends").arg(calls).arg(sends)));
            else
                QCOMPARE(calls, sends);
        }
        QCOMPARE(m_server->app().gateway().subscriberCount(QStringLiteral("crowd")), 50);
        sockets.clear();
        QTRY_COMPARE(m_server->app().gateway().connectionCount(), 0);
        QCOMPARE(m_server->app().gateway().channelCount(), 0);
    }
};

QTEST_GUILESS_MAIN(TestGateway)
#include "tst_gateway.moc"
