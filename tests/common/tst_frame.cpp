// SPDX-License-Identifier: MIT
#include "protocol/clientframes.h"
#include "protocol/frame.h"

#include <QJsonDocument>
#include <QtTest>

using namespace flippdeal::protocol;

class TestFrame : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void decode_data()
    {
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<int>("error");
        QTest::addColumn<QString>("event");
        QTest::addColumn<QString>("channel");

        QTest::addRow("ping") << QByteArray(R"({"event":"pusher:ping","data":{}})")
                              << int(FrameError::None) << QStringLiteral("pusher:ping")
                              << QString();
        QTest::addRow("client event")
            << QByteArray(R"({"event":"client-typing","channel":"private-a","data":{"x":1}})")
            << int(FrameError::None) << QStringLiteral("client-typing")
            << QStringLiteral("private-a");
        QTest::addRow("null channel")
            << QByteArray(R"({"event":"pusher:ping","channel":null})") << int(FrameError::None)
            << QStringLiteral("pusher:ping") << QString();
        QTest::addRow("not json") << QByteArray("{event") << int(FrameError::NotJson) << QString()
                                  << QString();
        QTest::addRow("empty") << QByteArray() << int(FrameError::NotJson) << QString()
                               << QString();
        QTest::addRow("array") << QByteArray("[1,2]") << int(FrameError::NotObject) << QString()
                               << QString();
        QTest::addRow("no event") << QByteArray(R"({"data":{}})") << int(FrameError::MissingEvent)
                                  << QString() << QString();
        QTest::addRow("numeric event") << QByteArray(R"({"event":5})")
                                       << int(FrameError::MissingEvent) << QString() << QString();
        QTest::addRow("empty event") << QByteArray(R"({"event":""})")
                                     << int(FrameError::MissingEvent) << QString() << QString();
        QTest::addRow("channel object") << QByteArray(R"({"event":"client-x","channel":{}})")
                                        << int(FrameError::BadChannel) << QString() << QString();
        QTest::addRow("too large") << (QByteArray("{\"event\":\"client-x\",\"data\":\"") +
                                       QByteArray(MaxClientFrameBytes, 'a') + "\"}")
                                   << int(FrameError::TooLarge) << QString() << QString();
    }

    void decode()
    {
        QFETCH(QByteArray, input);
        QFETCH(int, error);
        QFETCH(QString, event);
        QFETCH(QString, channel);
        const DecodedFrame decoded = decodeFrame(input);
        QCOMPARE(int(decoded.error), error);
        QCOMPARE(decoded.frame.has_value(), error == int(FrameError::None));
        if (decoded.frame) {
            QCOMPARE(decoded.frame->event, event);
            QCOMPARE(decoded.frame->channel, channel);
            QVERIFY(decoded.errorString.isEmpty());
        } else {
            QVERIFY2(!decoded.errorString.isEmpty(), "every failure has a readable reason");
        }
    }

    void exactlyTheLimitIsAccepted()
    {
        QByteArray frame = "{\"event\":\"client-x\",\"data\":\"";
        frame += QByteArray(MaxClientFrameBytes - frame.size() - 2, 'a') + "\"}";
        QCOMPARE(frame.size(), MaxClientFrameBytes);
        QVERIFY(decodeFrame(frame).frame.has_value());
    }

    void subscribe_data()
    {
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<bool>("valid");
        QTest::addColumn<QString>("channel");
        QTest::addColumn<QString>("auth");
        QTest::addRow("object data")
            << QByteArray(
                   R"({"event":"pusher:subscribe","data":{"channel":"private-a","auth":"k:s"}})")
            << true << QStringLiteral("private-a") << QStringLiteral("k:s");
        QTest::addRow("string data")
            << QByteArray(
                   "{\"event\":\"pusher:subscribe\",\"data\":\"{\\\"channel\\\":\\\"news\\\"}\"}")
            << true << QStringLiteral("news") << QString();
        QTest::addRow("empty auth")
            << QByteArray(R"({"event":"pusher:subscribe","data":{"channel":"news","auth":""}})")
            << true << QStringLiteral("news") << QString();
        QTest::addRow("no data") << QByteArray(R"({"event":"pusher:subscribe"})") << false
                                 << QString() << QString();
        QTest::addRow("no channel") << QByteArray(R"({"event":"pusher:subscribe","data":{}})")
                                    << false << QString() << QString();
        QTest::addRow("numeric channel")
            << QByteArray(R"({"event":"pusher:subscribe","data":{"channel":3}})") << false
            << QString() << QString();
        QTest::addRow("auth object")
            << QByteArray(R"({"event":"pusher:subscribe","data":{"channel":"a","auth":{}}})")
            << false << QString() << QString();
    }

    void subscribe()
    {
        QFETCH(QByteArray, input);
        QFETCH(bool, valid);
        QFETCH(QString, channel);
        QFETCH(QString, auth);
        const auto frame = decodeFrame(input).frame;
        QVERIFY(frame);
        QString error;
        const auto request = parseSubscribe(*frame, &error);
        QCOMPARE(request.has_value(), valid);
        if (request) {
            QCOMPARE(request->channel, channel);
            QCOMPARE(request->auth, auth);
        } else {
            QVERIFY(!error.isEmpty());
        }
    }

    //! What a client sends with subscribeFrame (clientframes.h) is what the server reads back.
    void subscribeFrameRoundTrips()
    {
        const auto read = [](const QJsonObject &sent) {
            const auto frame =
                decodeFrame(QJsonDocument(sent).toJson(QJsonDocument::Compact)).frame;
            QString error;
            return frame ? parseSubscribe(*frame, &error) : std::nullopt;
        };
        const auto plain = read(subscribeFrame(QStringLiteral("news")));
        QVERIFY(plain);
        QCOMPARE(plain->channel, QStringLiteral("news"));
        QVERIFY(plain->auth.isEmpty() && plain->channelData.isEmpty());
        const auto presence =
            read(subscribeFrame(QStringLiteral("presence-room"), QStringLiteral("key:sig"),
                                QStringLiteral(R"({"user_id":"7"})")));
        QVERIFY(presence);
        QCOMPARE(presence->channel, QStringLiteral("presence-room"));
        QCOMPARE(presence->auth, QStringLiteral("key:sig"));
        QCOMPARE(presence->channelData, QStringLiteral(R"({"user_id":"7"})"));
        QVERIFY(!subscribeFrame(QStringLiteral("news"))
                     .value(QLatin1String("data"))
                     .toObject()
                     .contains(QLatin1String("auth")));
    }

    void encodeDoubleEncodesData()
    {
        const QByteArray encoded =
            encodeFrame(QStringLiteral("MessageSent"), QStringLiteral("private-user.1"),
                        R"({"message":{"id":1}})", 7);
        const QJsonObject frame = QJsonDocument::fromJson(encoded).object();
        QCOMPARE(frame.value(QLatin1String("event")).toString(), QStringLiteral("MessageSent"));
        QCOMPARE(frame.value(QLatin1String("channel")).toString(),
                 QStringLiteral("private-user.1"));
        QVERIFY2(frame.value(QLatin1String("data")).isString(),
                 "pusher-js expects data as a JSON string");
        QCOMPARE(frame.value(QLatin1String("data")).toString(),
                 QStringLiteral(R"({"message":{"id":1}})"));
        QCOMPARE(frame.value(QLatin1String("seq")).toInteger(), 7);
    }

    void encodeOmitsEmptyChannelAndZeroSeq()
    {
        const QJsonObject frame =
            QJsonDocument::fromJson(encodeFrame(QStringLiteral("pusher:pong"), {}, "{}")).object();
        QVERIFY(!frame.contains(QLatin1String("channel")));
        QVERIFY(!frame.contains(QLatin1String("seq")));
    }

    void encodeError()
    {
        const QJsonObject frame = QJsonDocument::fromJson(flippdeal::protocol::encodeError(
                                                              4301, QStringLiteral("slow down")))
                                      .object();
        QCOMPARE(frame.value(QLatin1String("event")).toString(), QStringLiteral("pusher:error"));
        QCOMPARE(frame.value(QLatin1String("data")).toObject().value(QLatin1String("code")).toInt(),
                 4301);
        QCOMPARE(frame.value(QLatin1String("data"))
                     .toObject()
                     .value(QLatin1String("message"))
                     .toString(),
                 QStringLiteral("slow down"));
    }
};

QTEST_GUILESS_MAIN(TestFrame)
#include "tst_frame.moc"
