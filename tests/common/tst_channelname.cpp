// SPDX-License-Identifier: MIT
#include "protocol/channelname.h"

#include <QtTest>

using namespace flippdeal::protocol;

class TestChannelName : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void classify_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<bool>("valid");
        QTest::addColumn<int>("type");
        QTest::addColumn<bool>("cache");

        QTest::addRow("public") << QStringLiteral("news") << true << int(ChannelType::Public)
                                << false;
        QTest::addRow("all allowed characters")
            << QStringLiteral("aZ09_-=@,.;") << true << int(ChannelType::Public) << false;
        QTest::addRow("private") << QStringLiteral("private-user.1") << true
                                 << int(ChannelType::Private) << false;
        QTest::addRow("presence") << QStringLiteral("presence-auction.7") << true
                                  << int(ChannelType::Presence) << false;
        QTest::addRow("encrypted") << QStringLiteral("private-encrypted-x") << true
                                   << int(ChannelType::PrivateEncrypted) << false;
        QTest::addRow("cache") << QStringLiteral("cache-prices") << true << int(ChannelType::Public)
                               << true;
        QTest::addRow("private cache")
            << QStringLiteral("private-cache-x") << true << int(ChannelType::Private) << true;
        QTest::addRow("presence cache")
            << QStringLiteral("presence-cache-x") << true << int(ChannelType::Presence) << true;
        QTest::addRow("encrypted cache") << QStringLiteral("private-encrypted-cache-x") << true
                                         << int(ChannelType::PrivateEncrypted) << true;
        QTest::addRow("164 characters")
            << QString(164, QLatin1Char('a')) << true << int(ChannelType::Public) << false;
        QTest::addRow("165 characters") << QString(165, QLatin1Char('a')) << false << 0 << false;
        QTest::addRow("empty") << QString() << false << 0 << false;
        QTest::addRow("space") << QStringLiteral("bad channel") << false << 0 << false;
        QTest::addRow("bang") << QStringLiteral("bad!") << false << 0 << false;
        QTest::addRow("server to user") << QStringLiteral("#server-to-user-1") << true
                                        << int(ChannelType::ServerToUser) << false;
        QTest::addRow("server to user, no id")
            << QStringLiteral("#server-to-user-") << false << 0 << false;
        QTest::addRow("server to user, bad id")
            << QStringLiteral("#server-to-user-a b") << false << 0 << false;
        QTest::addRow("hash elsewhere") << QStringLiteral("#news") << false << 0 << false;
        QTest::addRow("slash") << QStringLiteral("a/b") << false << 0 << false;
        QTest::addRow("unicode") << QStringLiteral("caf\u00e9") << false << 0 << false;
        QTest::addRow("prefix only") << QStringLiteral("private-") << false << 0 << false;
        QTest::addRow("presence prefix only") << QStringLiteral("presence-") << false << 0 << false;
        QTest::addRow("case matters")
            << QStringLiteral("Private-x") << true << int(ChannelType::Public) << false;
    }

    void classify()
    {
        QFETCH(QString, name);
        QFETCH(bool, valid);
        QFETCH(int, type);
        QFETCH(bool, cache);
        QString error;
        const auto channel = parseChannelName(name, &error);
        QCOMPARE(channel.has_value(), valid);
        if (!channel) {
            QVERIFY(!error.isEmpty());
            return;
        }
        QCOMPARE(int(channel->type), type);
        QCOMPARE(channel->cache, cache);
        QCOMPARE(channel->name, name);
    }

    void rules()
    {
        QVERIFY(!parseChannelName(QStringLiteral("news"))->requiresAuth());
        QVERIFY(parseChannelName(QStringLiteral("private-a"))->requiresAuth());
        QVERIFY(parseChannelName(QStringLiteral("private-a"))->allowsClientEvents());
        QVERIFY(parseChannelName(QStringLiteral("presence-a"))->allowsClientEvents());
        QVERIFY(!parseChannelName(QStringLiteral("news"))->allowsClientEvents());
        QVERIFY(!parseChannelName(QStringLiteral("private-encrypted-a"))->allowsClientEvents());
        QVERIFY(parseChannelName(QStringLiteral("presence-a"))->isSequenced());
        QVERIFY(!parseChannelName(QStringLiteral("cache-a"))->isSequenced());
        const auto toUser = parseChannelName(QStringLiteral("#server-to-user-42"));
        QVERIFY(!toUser->requiresAuth()); // the gateway checks pusher:signin instead
        QVERIFY(!toUser->allowsClientEvents());
        QVERIFY(!toUser->isSequenced());
        QCOMPARE(toUser->serverToUserId(), QStringLiteral("42"));
        QVERIFY(parseChannelName(QStringLiteral("private-a"))->serverToUserId().isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestChannelName)
#include "tst_channelname.moc"
