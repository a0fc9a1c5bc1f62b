// SPDX-License-Identifier: MIT
#include "protocol/presence.h"
#include "protocol/timeformat.h"
#include "protocol/types.h"

#include <QtTest>

using namespace flippdeal::protocol;

class TestTypes : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void isoUtcHasMillisecondsAndZ()
    {
        QCOMPARE(isoUtc(0), QStringLiteral("1970-01-01T00:00:00.000Z"));
        QCOMPARE(isoUtc(1795712645123), QStringLiteral("2026-11-26T17:04:05.123Z"));
    }

    void parseIso_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<qint64>("expected"); // -1: invalid
        QTest::addRow("zulu ms") << QStringLiteral("2026-11-26T17:04:05.123Z")
                                 << qint64(1795712645123);
        QTest::addRow("offset") << QStringLiteral("2026-11-26T18:04:05.123+01:00")
                                << qint64(1795712645123);
        QTest::addRow("no seconds") << QStringLiteral("2026-11-26T17:04Z") << qint64(1795712640000);
        QTest::addRow("no zone") << QStringLiteral("2026-11-26T17:04:05") << qint64(-1);
        QTest::addRow("date only") << QStringLiteral("2026-11-26") << qint64(-1);
        QTest::addRow("garbage") << QStringLiteral("tomorrow") << qint64(-1);
        QTest::addRow("month 13") << QStringLiteral("2026-13-01T00:00:00Z") << qint64(-1);
    }

    void parseIso()
    {
        QFETCH(QString, text);
        QFETCH(qint64, expected);
        const auto parsed = parseIsoUtc(text);
        QCOMPARE(parsed.has_value(), expected >= 0);
        if (parsed)
            QCOMPARE(*parsed, expected);
    }

    void messageRoundTrip()
    {
        Message m;
        m.id = 5;
        m.fromUserId = 1;
        m.toUserId = 2;
        m.domainId = 9;
        m.body = QStringLiteral("hello");
        m.createdAt = 1795712645123;
        const QJsonObject json = m.toJson();
        QCOMPARE(json.value(QLatin1String("read_at")).type(), QJsonValue::Null);
        QCOMPARE(json.value(QLatin1String("created_at")).toString(),
                 QStringLiteral("2026-11-26T17:04:05.123Z"));
        const auto back = Message::fromJson(json);
        QVERIFY(back);
        QCOMPARE(back->domainId, std::optional<qint64>(9));
        QCOMPARE(back->createdAt, m.createdAt);
        QVERIFY(!back->readAt);
        QVERIFY(!Message::fromJson({}));
    }

    void notificationRoundTrip()
    {
        Notification n{
            3, NotificationType::BidOutbid, {{QLatin1String("domain_id"), 4}}, 1000, 2000};
        const auto back = Notification::fromJson(n.toJson());
        QVERIFY(back);
        QCOMPARE(back->type, QStringLiteral("bid.outbid"));
        QCOMPARE(back->readAt, std::optional<qint64>(2000));
        QCOMPARE(back->data.value(QLatin1String("domain_id")).toInt(), 4);
    }

    void userJson()
    {
        const User u{7, QStringLiteral("Bob"), QStringLiteral("bob@x.io"), QStringLiteral("admin")};
        QCOMPARE(u.toJson().keys(), (QStringList{QStringLiteral("email"), QStringLiteral("id"),
                                                 QStringLiteral("name"), QStringLiteral("role")}));
        QCOMPARE(User::fromJson(u.toJson())->role, QStringLiteral("admin"));
    }

    void presenceMember_data()
    {
        QTest::addColumn<QString>("channelData");
        QTest::addColumn<QString>("userId"); // empty: invalid
        QTest::addRow("string id")
            << QStringLiteral(R"({"user_id":"7","user_info":{"name":"A"}})") << QStringLiteral("7");
        QTest::addRow("numeric id") << QStringLiteral(R"({"user_id":10})") << QStringLiteral("10");
        QTest::addRow("fractional id") << QStringLiteral(R"({"user_id":1.5})") << QString();
        QTest::addRow("largest exact id") << QStringLiteral(R"({"user_id":-9007199254740992})")
                                          << QStringLiteral("-9007199254740992");
        // Found by tests/fuzz/fuzz_pusherframe: the conversion to qint64 was undefined.
        QTest::addRow("huge id") << QStringLiteral(R"({"user_id":1e308})") << QString();
        QTest::addRow("past 2^63") << QStringLiteral(R"({"user_id":-1e19})") << QString();
        QTest::addRow("empty id") << QStringLiteral(R"({"user_id":""})") << QString();
        QTest::addRow("no id") << QStringLiteral(R"({"user_info":{}})") << QString();
        QTest::addRow("info not object")
            << QStringLiteral(R"({"user_id":"1","user_info":3})") << QString();
        QTest::addRow("not json") << QStringLiteral("nope") << QString();
    }

    void presenceMember()
    {
        QFETCH(QString, channelData);
        QFETCH(QString, userId);
        const auto member = parsePresenceMember(channelData);
        QCOMPARE(member.has_value(), !userId.isEmpty());
        if (member)
            QCOMPARE(member->userId, userId);
    }
};

QTEST_GUILESS_MAIN(TestTypes)
#include "tst_types.moc"
