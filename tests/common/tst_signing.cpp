// SPDX-License-Identifier: MIT
// Signatures checked against the worked examples published in the Pusher documentation
// ("Generating authentication and authorization strings" and the HTTP API reference) and
// the test suite of the official pusher-http-node library.
#include "protocol/signing.h"

#include <QtTest>

using namespace flippdeal::protocol;

namespace {
const QByteArray docKey = "278d425bdf160c739803";
const QByteArray docSecret = "7ad3773142a6692b25b8";
} // namespace

class TestSigning : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void channelAuth_data()
    {
        QTest::addColumn<QByteArray>("key");
        QTest::addColumn<QByteArray>("secret");
        QTest::addColumn<QString>("socketId");
        QTest::addColumn<QString>("channel");
        QTest::addColumn<QString>("channelData");
        QTest::addColumn<QByteArray>("expected");

        QTest::addRow("pusher docs: private channel")
            << docKey << docSecret << QStringLiteral("1234.1234")
            << QStringLiteral("private-foobar") << QString()
            << QByteArray("278d425bdf160c739803:"
                          "58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4");
        QTest::addRow("pusher docs: presence channel")
            << docKey << docSecret << QStringLiteral("1234.1234")
            << QStringLiteral("presence-foobar")
            << QStringLiteral(R"({"user_id":10,"user_info":{"name":"Mr. Pusher"}})")
            << QByteArray("278d425bdf160c739803:"
                          "afaed3695da2ffd16931f457e338e6c9f2921fa133ce7dac49f529792be6304c");
        QTest::addRow("pusher-http-node: plain channel")
            << QByteArray("aaaa") << QByteArray("tofu") << QStringLiteral("123.456")
            << QStringLiteral("test") << QString()
            << QByteArray("aaaa:efa6cf7644a0b35cba36aa0f776f3cbf7bb60e95ea2696bde1dbe8403b61bd7c");
        QTest::addRow("pusher-http-node: with channel data")
            << QByteArray("aaaa") << QByteArray("tofu") << QStringLiteral("123.456")
            << QStringLiteral("test") << QStringLiteral(R"({"foo":"bar"})")
            << QByteArray("aaaa:f41faf9ead2ea76772cc6b1168363057459f02499ae4d92e88229dc7f4efa2d4");
    }

    void channelAuth()
    {
        QFETCH(QByteArray, key);
        QFETCH(QByteArray, secret);
        QFETCH(QString, socketId);
        QFETCH(QString, channel);
        QFETCH(QString, channelData);
        QFETCH(QByteArray, expected);
        QCOMPARE(flippdeal::protocol::channelAuth(key, secret, socketId, channel, channelData),
                 expected);
        QVERIFY(verifyChannelAuth(key, secret, socketId, channel, channelData, expected));
        // Any change to what was signed must fail.
        QVERIFY(!verifyChannelAuth(key, secret, socketId + QLatin1Char('1'), channel, channelData,
                                   expected));
        QVERIFY(!verifyChannelAuth(key, secret, socketId, channel + QLatin1Char('x'), channelData,
                                   expected));
        QVERIFY(!verifyChannelAuth(key, secret + 'x', socketId, channel, channelData, expected));
        QVERIFY(
            !verifyChannelAuth(key, secret, socketId, channel, channelData, expected.chopped(1)));
    }

    void userAuth()
    {
        QCOMPARE(flippdeal::protocol::userAuth(docKey, docSecret, QStringLiteral("1234.1234"),
                                               QStringLiteral(R"({"id":"12345"})")),
                 QByteArray("278d425bdf160c739803:"
                            "4708d583dada6a56435fb8bc611c77c359a31eebde13337c16ab43aa6de336ba"));
        QCOMPARE(
            flippdeal::protocol::userAuth("aaaa", "tofu", QStringLiteral("123.456"),
                                          QStringLiteral(R"({"id":"45678"})")),
            QByteArray("aaaa:f4b1fdeea7c93e32648c7230e32b172057c5623cace6cfce791c6e7035e0babd"));
    }

    void httpApiWorkedExample()
    {
        const QByteArray body = "{\"name\":\"foo\",\"channels\":[\"project-3\"],\"data\":\"{"
                                "\\\"some\\\":\\\"data\\\"}\"}";
        QCOMPARE(bodyMd5Hex(body), QByteArray("ec365a775a4cd0599faeb73354201b6f"));
        // Deliberately unsorted and mixed-case: the signature sorts and lower-cases keys.
        const QueryParams params{
            {QStringLiteral("body_md5"), QStringLiteral("ec365a775a4cd0599faeb73354201b6f")},
            {QStringLiteral("auth_version"), QStringLiteral("1.0")},
            {QStringLiteral("AUTH_KEY"), QString::fromLatin1(docKey)},
            {QStringLiteral("auth_timestamp"), QStringLiteral("1353088179")},
            {QStringLiteral("auth_signature"), QStringLiteral("ignored")}};
        QCOMPARE(apiStringToSign("POST", QStringLiteral("/apps/3/events"), params),
                 QByteArray(
                     "POST\n/apps/3/events\nauth_key=278d425bdf160c739803&auth_timestamp=1353088179"
                     "&auth_version=1.0&body_md5=ec365a775a4cd0599faeb73354201b6f"));
        QCOMPARE(apiSignature(docSecret, "POST", QStringLiteral("/apps/3/events"), params),
                 QByteArray("da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c"));
    }

    void constantTimeEquals_data()
    {
        QTest::addColumn<QByteArray>("a");
        QTest::addColumn<QByteArray>("b");
        QTest::addColumn<bool>("equal");
        QTest::addRow("same") << QByteArray("abc") << QByteArray("abc") << true;
        QTest::addRow("both empty") << QByteArray() << QByteArray() << true;
        QTest::addRow("last byte") << QByteArray("abc") << QByteArray("abd") << false;
        QTest::addRow("first byte") << QByteArray("abc") << QByteArray("xbc") << false;
        QTest::addRow("prefix") << QByteArray("abc") << QByteArray("ab") << false;
        QTest::addRow("high bytes") << QByteArray("\xff\x80") << QByteArray("\xff\x81") << false;
    }

    void constantTimeEquals()
    {
        QFETCH(QByteArray, a);
        QFETCH(QByteArray, b);
        QFETCH(bool, equal);
        QCOMPARE(flippdeal::protocol::constantTimeEquals(a, b), equal);
    }
};

QTEST_GUILESS_MAIN(TestSigning)
#include "tst_signing.moc"
