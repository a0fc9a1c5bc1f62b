// SPDX-License-Identifier: MIT
// The signed Pusher HTTP API (server-to-server): POST /apps/{app_id}/events, signed exactly as
// the Pusher HTTP API and its server SDKs sign, delivered to TestSocket subscribers.
#include "testhelpers.h"
#include "testserver.h"

#include "protocol/signing.h"
#include "protocol/timeformat.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QUrl>
#include <QtTest>

#include <algorithm>
#include <memory>

using namespace flippdeal;
using namespace flippdeal::testing;

namespace {

const QByteArray AppSecret = "test-secret-0123456789";

//! How to sign (or mis-sign) one request.
struct Signing
{
    QString appId = QStringLiteral("test-app");
    QString key = QStringLiteral("test-key");
    QByteArray secret = AppSecret;
    qint64 skewSeconds = 0;             //!< added to the current time
    std::optional<qint64> timestamp;    //!< instead of the current time (a replay)
    std::optional<QByteArray> bodyMd5;  //!< instead of the body's real MD5
    std::optional<QByteArray> sentBody; //!< sent instead of the body that was signed
    bool tamperSignature = false;
    bool omitSignature = false;
};

QByteArray compact(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

//! Signs `method path` with `body` as the Pusher HTTP API requires and sends it.
Reply signedRequest(TestServer &server, const QByteArray &method, const QString &path,
                    const QByteArray &body, const Signing &signing = {},
                    const protocol::QueryParams &extraParams = {})
{
    protocol::QueryParams params{
        {QStringLiteral("auth_key"), signing.key},
        {QStringLiteral("auth_timestamp"),
         QString::number(signing.timestamp.value_or(protocol::nowMs() / 1000) +
                         signing.skewSeconds)},
        {QStringLiteral("auth_version"), QStringLiteral("1.0")},
    };
    if (!body.isEmpty())
        params.append({QStringLiteral("body_md5"),
                       QString::fromLatin1(signing.bodyMd5.value_or(protocol::bodyMd5Hex(body)))});
    params += extraParams;
    QByteArray signature = protocol::apiSignature(signing.secret, method, path, params);
    if (signing.tamperSignature)
        signature[0] = signature.at(0) == 'a' ? 'b' : 'a';
    QStringList query;
    for (const auto &[key, value] : std::as_const(params))
        query.append(key + QLatin1Char('=') + QString::fromLatin1(QUrl::toPercentEncoding(value)));
    if (!signing.omitSignature)
        query.append(QStringLiteral("auth_signature=") + QString::fromLatin1(signature));
    return server.request(method, path + QLatin1Char('?') + query.join(QLatin1Char('&')), {},
                          signing.sentBody.value_or(body), "application/json");
}

Reply trigger(TestServer &server, const QJsonObject &event, const Signing &signing = {})
{
    return signedRequest(server, "POST", QStringLiteral("/apps/%1/events").arg(signing.appId),
                         compact(event), signing);
}

QJsonObject eventBody(const QString &name, const QString &channel, const QString &data)
{
    return {{QLatin1String("name"), name},
            {QLatin1String("channel"), channel},
            {QLatin1String("data"), data}};
}

} // namespace

class TestPusherApi : public QObject
{
    Q_OBJECT

private:
    TestServer &server() { return *m_server; }

    std::unique_ptr<TestSocket> subscribedSocket(const QString &channel,
                                                 const Session *session = nullptr)
    {
        auto socket = std::make_unique<TestSocket>(server().webSocketUrl());
        if (!socket->waitConnected())
            return {};
        const auto ok = session ? socket->subscribeAuthorized(server(), *session, channel)
                                : socket->subscribe(channel);
        if (!ok)
            return {};
        return socket;
    }

    std::unique_ptr<TestServer> m_server;
    Session m_alice;
    int m_eventCounter = 0;

private Q_SLOTS:
    void initTestCase()
    {
        m_server = std::make_unique<TestServer>();
        QVERIFY2(server().isRunning(), qPrintable(server().errorString()));
        m_alice = server().registerUser(QStringLiteral("Alice"));
        QVERIFY(m_alice.user.id > 0);
    }

    void publicEventDelivered_data()
    {
        QTest::addColumn<QString>("data");
        QTest::addRow("JSON object text")
            << QStringLiteral(R"({"headline":"Auction of the week","price_cents":125000})");
        QTest::addRow("JSON with spacing kept")
            << QStringLiteral("{ \"a\" : 1,\n  \"b\": [1, 2] }");
        QTest::addRow("plain text") << QStringLiteral("just a string, not JSON");
        QTest::addRow("unicode") << QStringLiteral("Grüße \U0001F389 \u00e9\u00e8");
        QTest::addRow("escapes") << QStringLiteral("quote \" backslash \\ tab \t newline \n end");
        QTest::addRow("empty") << QString();
    }

    void publicEventDelivered()
    {
        QFETCH(QString, data);
        auto socket = subscribedSocket(QStringLiteral("news"));
        QVERIFY(socket);
        const QString name = QStringLiteral("breaking-%1").arg(++m_eventCounter);
        const Reply reply = trigger(server(), eventBody(name, QStringLiteral("news"), data));
        QCOMPARE(reply.status, 200);
        QVERIFY2(reply.json.isEmpty(), reply.body.constData()); // {} as Pusher answers
        const auto frame = socket->waitFor(name, QStringLiteral("news"));
        QVERIFY2(frame, "the subscriber gets the event");
        QVERIFY(frame->value(QLatin1String("data")).isString());
        QCOMPARE(frame->value(QLatin1String("data")).toString(), data);
        QVERIFY2(!frame->contains(QLatin1String("seq")), "public channels carry no seq");
    }

    void multipleChannels()
    {
        auto news = subscribedSocket(QStringLiteral("news"));
        auto sports = subscribedSocket(QStringLiteral("sports"));
        auto weather = subscribedSocket(QStringLiteral("weather"));
        QVERIFY(news && sports && weather);
        const QJsonObject body{{QLatin1String("name"), QStringLiteral("fanout")},
                               {QLatin1String("channels"),
                                QJsonArray{QStringLiteral("news"), QStringLiteral("sports")}},
                               {QLatin1String("data"), QStringLiteral("{\"n\":1}")}};
        QCOMPARE(trigger(server(), body).status, 200);
        QVERIFY(news->waitFor(QStringLiteral("fanout"), QStringLiteral("news")));
        QVERIFY(sports->waitFor(QStringLiteral("fanout"), QStringLiteral("sports")));
        QVERIFY(!weather->receivesWithin(QStringLiteral("fanout"), {}, 300));
    }

    void privateEventCarriesSeq()
    {
        const Session user = server().registerUser(QStringLiteral("Private"));
        const QString channel = protocol::Channels::user(user.user.id);
        auto socket = subscribedSocket(channel, &user);
        QVERIFY(socket);
        qint64 previous = 0;
        for (int i = 0; i < 3; ++i) {
            const QString data = QStringLiteral("{\"i\":%1}").arg(i);
            QCOMPARE(
                trigger(server(), eventBody(QStringLiteral("backend-event"), channel, data)).status,
                200);
            const auto frame = socket->waitFor(QStringLiteral("backend-event"), channel);
            QVERIFY(frame);
            QCOMPARE(frame->value(QLatin1String("data")).toString(), data);
            const QJsonValue seq = frame->value(QLatin1String("seq"));
            QVERIFY2(seq.isDouble() && seq.toDouble() == double(seq.toInteger()),
                     qPrintable(frameText(*frame)));
            if (previous > 0)
                QCOMPARE(seq.toInteger(), previous + 1);
            else
                QCOMPARE(seq.toInteger(), 1); // a fresh user's channel starts at 1
            previous = seq.toInteger();
        }
    }

    void socketIdExclusion_data()
    {
        QTest::addColumn<bool>("privateChannel");
        QTest::addRow("public channel") << false;
        QTest::addRow("private channel") << true;
    }

    void socketIdExclusion()
    {
        QFETCH(bool, privateChannel);
        const QString channel = privateChannel ? protocol::Channels::user(m_alice.user.id)
                                               : QStringLiteral("exclusive");
        auto excluded = subscribedSocket(channel, privateChannel ? &m_alice : nullptr);
        auto other = subscribedSocket(channel, privateChannel ? &m_alice : nullptr);
        QVERIFY(excluded && other);
        QVERIFY(excluded->socketId() != other->socketId());

        QSignalSpy excludedFrames(&excluded->socket(), &QWebSocket::textMessageReceived);
        QSignalSpy otherFrames(&other->socket(), &QWebSocket::textMessageReceived);
        QJsonObject body =
            eventBody(QStringLiteral("echo-suppressed"), channel, QStringLiteral("{}"));
        body.insert(QLatin1String("socket_id"), excluded->socketId());
        QCOMPARE(trigger(server(), body).status, 200);
        QTRY_COMPARE(otherFrames.count(), 1);
        const auto delivered = other->waitFor(QStringLiteral("echo-suppressed"), channel);
        QVERIFY2(delivered, "the other subscriber gets the event");
        if (privateChannel)
            QVERIFY(delivered->value(QLatin1String("seq")).isDouble());
        QTest::qWait(400);
        QVERIFY2(excludedFrames.isEmpty(), "the socket named in socket_id gets nothing at all");

        // Without socket_id both get the next one.
        QCOMPARE(trigger(server(),
                         eventBody(QStringLiteral("to-everyone"), channel, QStringLiteral("{}")))
                     .status,
                 200);
        QVERIFY(other->waitFor(QStringLiteral("to-everyone"), channel));
        QVERIFY(excluded->waitFor(QStringLiteral("to-everyone"), channel));
    }

    void invalidSocketId()
    {
        QJsonObject body =
            eventBody(QStringLiteral("x"), QStringLiteral("news"), QStringLiteral("{}"));
        body.insert(QLatin1String("socket_id"), QStringLiteral("not-a-socket"));
        const Reply reply = trigger(server(), body);
        QCOMPARE(reply.status, 400);
        QVERIFY(reply.json.value(QLatin1String("message")).isString());
    }

    void authentication_data()
    {
        QTest::addColumn<int>("signingCase");
        QTest::addColumn<int>("status");
        // 0 correct; 1 tampered signature; 2 wrong secret; 3 no signature; 4 unknown key;
        // 5 630 s old; 6 630 s ahead (well clear of the 600 s window, so a second ticking over
        // cannot matter); 7 599 s old; 8 body_md5 mismatch; 9 body changed after signing; 10
        // unsupported auth_version
        QTest::addRow("correctly signed") << 0 << 200;
        QTest::addRow("tampered signature") << 1 << 401;
        QTest::addRow("signed with another secret") << 2 << 401;
        QTest::addRow("signature missing") << 3 << 401;
        QTest::addRow("unknown auth_key") << 4 << 401;
        QTest::addRow("timestamp 630 s old") << 5 << 401;
        QTest::addRow("timestamp 630 s ahead") << 6 << 401;
        QTest::addRow("timestamp 590 s old") << 7 << 200;
        QTest::addRow("body_md5 of another body") << 8 << 401;
        QTest::addRow("body changed after signing") << 9 << 401;
    }

    void authentication()
    {
        QFETCH(int, signingCase);
        QFETCH(int, status);
        auto socket = subscribedSocket(QStringLiteral("guarded"));
        QVERIFY(socket);
        const QString name = QStringLiteral("guarded-%1").arg(++m_eventCounter);
        const QJsonObject body =
            eventBody(name, QStringLiteral("guarded"), QStringLiteral("{\"secret\":false}"));
        Signing signing;
        switch (signingCase) {
        case 1:
            signing.tamperSignature = true;
            break;
        case 2:
            signing.secret = "another-secret-0123456789";
            break;
        case 3:
            signing.omitSignature = true;
            break;
        case 4:
            signing.key = QStringLiteral("other-key");
            break;
        case 5:
            signing.skewSeconds = -630;
            break;
        case 6:
            signing.skewSeconds = 630;
            break;
        case 7:
            signing.skewSeconds = -590;
            break;
        case 8:
            signing.bodyMd5 = protocol::bodyMd5Hex("{}");
            break;
        case 9: {
            QJsonObject changed = body;
            changed.insert(QLatin1String("data"), QStringLiteral("{\"secret\":true}"));
            signing.sentBody = compact(changed);
            break;
        }
        default:
            break;
        }
        const Reply reply = trigger(server(), body, signing);
        QCOMPARE(reply.status, status);
        if (status == 200) {
            QVERIFY(socket->waitFor(name, QStringLiteral("guarded")));
        } else {
            QVERIFY2(reply.json.value(QLatin1String("message")).isString(), reply.body.constData());
            QVERIFY2(!socket->receivesWithin(name, {}, 300), "a refused request publishes nothing");
        }
    }

    // --- replays ----------------------------------------------------------------------------

    //! With no grace, a signed request is accepted exactly once: sent again as it was (same
    //! timestamp, same signature), it is refused and publishes nothing.
    void replayIsRefused()
    {
        TestServer strict([](server::Config &config) { config.apiReplayGraceSeconds = 0; });
        QVERIFY2(strict.isRunning(), qPrintable(strict.errorString()));
        auto socket = std::make_unique<TestSocket>(strict.webSocketUrl());
        QVERIFY(socket->waitConnected());
        QVERIFY(socket->subscribe(QStringLiteral("replayed")));

        Signing once;
        once.timestamp = protocol::nowMs() / 1000;
        const QJsonObject body =
            eventBody(QStringLiteral("pay-out"), QStringLiteral("replayed"), QStringLiteral("{}"));
        QCOMPARE(trigger(strict, body, once).status, 200);
        QVERIFY(socket->waitFor(QStringLiteral("pay-out"), QStringLiteral("replayed")));
        for (int i = 0; i < 3; ++i) {
            const Reply replay = trigger(strict, body, once);
            QCOMPARE(replay.status, 401);
            QVERIFY2(replay.json.value(QLatin1String("message"))
                         .toString()
                         .contains(QLatin1String("already used")),
                     replay.body.constData());
        }
        QVERIFY2(!socket->receivesWithin(QStringLiteral("pay-out"), {}, 300),
                 "a replay published the event again");

        // The same for the other routes, GET and POST.
        const QString terminate = QStringLiteral("/apps/test-app/users/42/terminate_connections");
        QCOMPARE(signedRequest(strict, "POST", terminate, "{}", once).status, 200);
        QCOMPARE(signedRequest(strict, "POST", terminate, "{}", once).status, 401);
        QCOMPARE(signedRequest(strict, "GET", QStringLiteral("/apps/test-app/channels"), {}, once)
                     .status,
                 200);
        QCOMPARE(signedRequest(strict, "GET", QStringLiteral("/apps/test-app/channels"), {}, once)
                     .status,
                 401);
        // A request signed afresh (another timestamp) is another request.
        Signing later = once;
        later.timestamp = *once.timestamp + 1;
        QCOMPARE(trigger(strict, body, later).status, 200);
        QVERIFY(socket->waitFor(QStringLiteral("pay-out"), QStringLiteral("replayed")));
    }

    //! The pusher SDKs sign with a timestamp in whole seconds and no nonce, so two identical
    //! calls within one second are identical requests. They are both accepted during the grace
    //! (default 2 s) after the first use; the same signature later is a replay.
    void identicalRequestsWithinTheGraceAreAccepted()
    {
        auto socket = subscribedSocket(QStringLiteral("twice"));
        QVERIFY(socket);
        Signing sameSecond;
        sameSecond.timestamp = protocol::nowMs() / 1000;
        const QJsonObject body =
            eventBody(QStringLiteral("tick"), QStringLiteral("twice"), QStringLiteral("{}"));
        QCOMPARE(trigger(server(), body, sameSecond).status, 200);
        QElapsedTimer sinceFirst;
        sinceFirst.start();
        QCOMPARE(trigger(server(), body, sameSecond).status, 200);
        QVERIFY(socket->waitFor(QStringLiteral("tick"), QStringLiteral("twice")));
        QVERIFY2(socket->waitFor(QStringLiteral("tick"), QStringLiteral("twice")),
                 "both identical triggers are delivered");

        // Past the grace (measured from the first answer, so past it on the server too).
        QTest::qWait(int(std::max<qint64>(0, 2500 - sinceFirst.elapsed())));
        const Reply late = trigger(server(), body, sameSecond);
        QCOMPARE(late.status, 401);
        QVERIFY2(!socket->receivesWithin(QStringLiteral("tick"), {}, 300),
                 "the late replay published the event again");
    }

    //! The remembered signatures are bounded: when the cache is full of signatures still in
    //! their window, new requests get 429 (nothing is forgotten early); once the oldest leave
    //! their window, requests are accepted again.
    void replayCacheIsBounded()
    {
        TestServer small([](server::Config &config) {
            config.apiReplayCache = 5;
            config.apiReplayGraceSeconds = 0;
        });
        QVERIFY2(small.isRunning(), qPrintable(small.errorString()));
        auto socket = std::make_unique<TestSocket>(small.webSocketUrl());
        QVERIFY(socket->waitConnected());
        QVERIFY(socket->subscribe(QStringLiteral("bounded")));

        // Signed 598 s ago: within the window, and out of it in about 3 s.
        Signing old;
        old.timestamp = protocol::nowMs() / 1000 - 598;
        for (int i = 0; i < 5; ++i)
            QCOMPARE(trigger(small,
                             eventBody(QStringLiteral("kept-%1").arg(i), QStringLiteral("bounded"),
                                       QStringLiteral("{}")),
                             old)
                         .status,
                     200);
        const Reply full =
            trigger(small, eventBody(QStringLiteral("refused"), QStringLiteral("bounded"),
                                     QStringLiteral("{}")));
        QCOMPARE(full.status, 429);
        QVERIFY2(full.json.value(QLatin1String("message")).isString(), full.body.constData());
        const int retryAfter = full.header("Retry-After").toInt();
        QVERIFY2(retryAfter >= 1 && retryAfter <= 5, full.header("Retry-After"));
        QVERIFY(!socket->receivesWithin(QStringLiteral("refused"), {}, 300));

        // The old signatures leave their window; a new request fits again.
        int status = 0;
        QVERIFY2(waitUntil(
                     [&] {
                         if (status != 0)
                             QTest::qWait(200);
                         status = trigger(small, eventBody(QStringLiteral("fits"),
                                                           QStringLiteral("bounded"),
                                                           QStringLiteral("{}")))
                                      .status;
                         return status == 200;
                     },
                     10000),
                 qPrintable(QString::number(status)));
        QVERIFY(socket->waitFor(QStringLiteral("fits"), QStringLiteral("bounded")));
    }

    void wrongAppId()
    {
        Signing signing;
        signing.appId = QStringLiteral("another-app");
        const Reply reply = trigger(
            server(), eventBody(QStringLiteral("x"), QStringLiteral("news"), QStringLiteral("{}")),
            signing);
        QCOMPARE(reply.status, 404);
        QVERIFY(reply.json.value(QLatin1String("message")).isString());
    }

    void dataSize_data()
    {
        QTest::addColumn<int>("size");
        QTest::addColumn<int>("status");
        QTest::addRow("10240 bytes") << 10240 << 200;
        QTest::addRow("10241 bytes") << 10241 << 413;
        QTest::addRow("64 KiB") << 65536 << 413;
    }

    void dataSize()
    {
        QFETCH(int, size);
        QFETCH(int, status);
        auto socket = subscribedSocket(QStringLiteral("bulky"));
        QVERIFY(socket);
        const QString name = QStringLiteral("bulky-%1").arg(++m_eventCounter);
        const Reply reply = trigger(
            server(), eventBody(name, QStringLiteral("bulky"), QString(size, QLatin1Char('d'))));
        QCOMPARE(reply.status, status);
        if (status == 200) {
            const auto frame = socket->waitFor(name, QStringLiteral("bulky"));
            QVERIFY(frame);
            QCOMPARE(frame->value(QLatin1String("data")).toString().size(), size);
        } else {
            QVERIFY(reply.json.value(QLatin1String("message")).isString());
            QVERIFY(!socket->receivesWithin(name, {}, 200));
        }
    }

    void channelCount_data()
    {
        QTest::addColumn<int>("count");
        QTest::addColumn<int>("status");
        QTest::addRow("100 channels") << 100 << 200;
        QTest::addRow("101 channels") << 101 << 400;
        QTest::addRow("no channels") << 0 << 400;
    }

    void channelCount()
    {
        QFETCH(int, count);
        QFETCH(int, status);
        auto last = subscribedSocket(QStringLiteral("many-0"));
        QVERIFY(last);
        QJsonArray channels;
        for (int i = count - 1; i >= 0; --i)
            channels.append(QStringLiteral("many-%1").arg(i));
        const QString name = QStringLiteral("many-%1").arg(++m_eventCounter);
        const Reply reply = trigger(server(), {{QLatin1String("name"), name},
                                               {QLatin1String("channels"), channels},
                                               {QLatin1String("data"), QStringLiteral("{}")}});
        QCOMPARE(reply.status, status);
        if (status == 200) {
            QVERIFY(last->waitFor(name, QStringLiteral("many-0")));
        } else {
            QVERIFY(reply.json.value(QLatin1String("message")).isString());
            QVERIFY2(!last->receivesWithin(name, {}, 200),
                     "a refused request publishes to no channel");
        }
    }

    void invalidRequests_data()
    {
        QTest::addColumn<QByteArray>("body");
        const QByteArray data = R"("data":"{}")";
        QTest::addRow("channel with a space")
            << QByteArray(R"({"name":"e","channel":"bad channel",)" + data + "}");
        QTest::addRow("channel with $")
            << QByteArray(R"({"name":"e","channel":"price$",)" + data + "}");
        QTest::addRow("channel of 165 characters") << QByteArray(
            R"({"name":"e","channel":")" + QByteArray(165, 'c') + R"(",)" + data + "}");
        QTest::addRow("one bad channel among good ones")
            << QByteArray(R"({"name":"e","channels":["news","bad channel"],)" + data + "}");
        QTest::addRow("empty channel name")
            << QByteArray(R"({"name":"e","channel":"",)" + data + "}");
        QTest::addRow("channel not a string")
            << QByteArray(R"({"name":"e","channels":[42],)" + data + "}");
        QTest::addRow("name missing") << QByteArray(R"({"channel":"news",)" + data + "}");
        QTest::addRow("name empty") << QByteArray(R"({"name":"","channel":"news",)" + data + "}");
        QTest::addRow("name not a string")
            << QByteArray(R"({"name":7,"channel":"news",)" + data + "}");
        QTest::addRow("reserved name")
            << QByteArray(R"({"name":"pusher:subscribe","channel":"news",)" + data + "}");
        QTest::addRow("data missing") << QByteArray(R"({"name":"e","channel":"news"})");
        QTest::addRow("data not a string")
            << QByteArray(R"({"name":"e","channel":"news","data":{"a":1}})");
        QTest::addRow("body not JSON") << QByteArray("name=e&channel=news");
        QTest::addRow("body a JSON array") << QByteArray(R"([{"name":"e"}])");
    }

    void invalidRequests()
    {
        QFETCH(QByteArray, body);
        auto socket = subscribedSocket(QStringLiteral("news"));
        QVERIFY(socket);
        const Reply reply =
            signedRequest(server(), "POST", QStringLiteral("/apps/test-app/events"), body);
        QCOMPARE(reply.status, 400);
        QVERIFY2(reply.json.value(QLatin1String("message")).isString(), reply.body.constData());
        QVERIFY(!socket->receivesWithin(QStringLiteral("e"), {}, 150));
    }

    void subscriptionCountInfo()
    {
        auto first = subscribedSocket(QStringLiteral("counted"));
        auto second = subscribedSocket(QStringLiteral("counted"));
        auto lonely = subscribedSocket(QStringLiteral("lonely"));
        QVERIFY(first && second && lonely);
        const Reply reply =
            trigger(server(), {{QLatin1String("name"), QStringLiteral("census")},
                               {QLatin1String("channels"),
                                QJsonArray{QStringLiteral("counted"), QStringLiteral("lonely"),
                                           QStringLiteral("empty-room")}},
                               {QLatin1String("data"), QStringLiteral("{}")},
                               {QLatin1String("info"), QStringLiteral("subscription_count")}});
        QCOMPARE(reply.status, 200);
        const QJsonObject channels = reply.json.value(QLatin1String("channels")).toObject();
        QCOMPARE(channels.value(QLatin1String("counted"))
                     .toObject()
                     .value(QLatin1String("subscription_count"))
                     .toInteger(-1),
                 2);
        QCOMPARE(channels.value(QLatin1String("lonely"))
                     .toObject()
                     .value(QLatin1String("subscription_count"))
                     .toInteger(-1),
                 1);
        QCOMPARE(channels.value(QLatin1String("empty-room"))
                     .toObject()
                     .value(QLatin1String("subscription_count"))
                     .toInteger(-1),
                 0);

        // After one leaves, the count follows.
        auto countedNow = [this] {
            const Reply census =
                trigger(server(), {{QLatin1String("name"), QStringLiteral("census")},
                                   {QLatin1String("channel"), QStringLiteral("counted")},
                                   {QLatin1String("data"), QStringLiteral("{}")},
                                   {QLatin1String("info"), QStringLiteral("subscription_count")}});
            return census.json.value(QLatin1String("channels"))
                .toObject()
                .value(QLatin1String("counted"))
                .toObject()
                .value(QLatin1String("subscription_count"))
                .toInteger(-1);
        };
        second.reset();
        QTRY_COMPARE(countedNow(), 1);
    }

    void otherContractEndpoints_data()
    {
        // The contract lists these next to /events; the pusher server SDKs call them.
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QString>("path");
        QTest::addColumn<QByteArray>("body");
        QTest::addRow("batch_events")
            << QByteArray("POST") << QStringLiteral("/apps/test-app/batch_events")
            << QByteArray(R"({"batch":[{"name":"b","channel":"news","data":"{}"}]})");
        QTest::addRow("channels") << QByteArray("GET") << QStringLiteral("/apps/test-app/channels")
                                  << QByteArray();
        QTest::addRow("one channel")
            << QByteArray("GET") << QStringLiteral("/apps/test-app/channels/news") << QByteArray();
        QTest::addRow("presence users")
            << QByteArray("GET")
            << QStringLiteral("/apps/test-app/channels/presence-auction.1/users") << QByteArray();
    }

    void otherContractEndpoints()
    {
        QFETCH(QByteArray, method);
        QFETCH(QString, path);
        QFETCH(QByteArray, body);
        auto socket = subscribedSocket(QStringLiteral("news"));
        QVERIFY(socket);
        const Reply reply = signedRequest(server(), method, path, body);
        QVERIFY2(reply.status == 200, qPrintable(QStringLiteral("%1 %2 answered %3: %4")
                                                     .arg(QString::fromLatin1(method), path)
                                                     .arg(reply.status)
                                                     .arg(QString::fromUtf8(reply.body))));
        // Unsigned, they are refused like /events.
        const Reply unsigned_ = server().request(method, path, {}, body);
        QCOMPARE(unsigned_.status, 401);
    }

    void batchEventsAreDeliveredInOrder()
    {
        auto socket = subscribedSocket(QStringLiteral("batch-news"));
        QVERIFY(socket);
        const QByteArray body =
            R"({"batch":[{"name":"first","channel":"batch-news","data":"1"},)"
            R"({"name":"second","channel":"batch-news","data":"2","info":"subscription_count"}]})";
        const Reply reply =
            signedRequest(server(), "POST", QStringLiteral("/apps/test-app/batch_events"), body);
        QCOMPARE(reply.status, 200);
        const QJsonArray info = reply.json.value(QLatin1String("batch")).toArray();
        QCOMPARE(info.size(), 2);
        QCOMPARE(info.at(1).toObject().value(QLatin1String("subscription_count")).toInt(), 1);
        QVERIFY(socket->waitFor(QStringLiteral("first"), QStringLiteral("batch-news")));
        QVERIFY(socket->waitFor(QStringLiteral("second"), QStringLiteral("batch-news")));
        QString elevenEvents = QStringLiteral(R"({"batch":[)");
        for (int i = 0; i < 11; ++i)
            elevenEvents += QStringLiteral(R"({"name":"e","channel":"batch-news","data":"x"})") +
                            (i < 10 ? QStringLiteral(",") : QStringLiteral("]}"));
        QCOMPARE(signedRequest(server(), "POST", QStringLiteral("/apps/test-app/batch_events"),
                               elevenEvents.toUtf8())
                     .status,
                 400);
    }

    void channelInformation()
    {
        auto a = subscribedSocket(QStringLiteral("info-room"));
        auto b = subscribedSocket(QStringLiteral("info-room"));
        QVERIFY(a && b);
        Reply one =
            signedRequest(server(), "GET", QStringLiteral("/apps/test-app/channels/info-room"), {},
                          {}, {{QStringLiteral("info"), QStringLiteral("subscription_count")}});
        QCOMPARE(one.status, 200);
        QCOMPARE(one.json.value(QLatin1String("occupied")).toBool(), true);
        QCOMPARE(one.json.value(QLatin1String("subscription_count")).toInt(), 2);
        const Reply empty = signedRequest(
            server(), "GET", QStringLiteral("/apps/test-app/channels/nobody-here"), {});
        QCOMPARE(empty.json.value(QLatin1String("occupied")).toBool(), false);
        const Reply all =
            signedRequest(server(), "GET", QStringLiteral("/apps/test-app/channels"), {}, {},
                          {{QStringLiteral("filter_by_prefix"), QStringLiteral("info-")}});
        QCOMPARE(all.status, 200);
        QCOMPARE(all.json.value(QLatin1String("channels")).toObject().keys(),
                 QStringList{QStringLiteral("info-room")});
        const Reply badInfo =
            signedRequest(server(), "GET", QStringLiteral("/apps/test-app/channels"), {}, {},
                          {{QStringLiteral("info"), QStringLiteral("user_count")}});
        QCOMPARE(badInfo.status, 400);
        const Reply notPresence = signedRequest(
            server(), "GET", QStringLiteral("/apps/test-app/channels/info-room/users"), {});
        QCOMPARE(notPresence.status, 400);
    }
};

QTEST_GUILESS_MAIN(TestPusherApi)
#include "tst_pusherapi.moc"
