// SPDX-License-Identifier: MIT
// The sign-in throttle's buckets, with the clock in the test's hands.
#include "auth/attemptlimiter.h"

#include <QtTest>

using namespace flippdeal::server;

class TestAttemptLimiter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void burstThenRefill()
    {
        AttemptLimiter limiter(6, 100); // 6 a minute: one more every 10 s
        int retryAfter = 0;
        bool first = false;
        for (int i = 0; i < 6; ++i)
            QVERIFY(limiter.take(QStringLiteral("a"), 0, &retryAfter, &first));
        QVERIFY(!limiter.take(QStringLiteral("a"), 0, &retryAfter, &first));
        QVERIFY2(first, "the first refusal is reported, to be logged once");
        QCOMPARE(retryAfter, 10);
        QVERIFY(!limiter.take(QStringLiteral("a"), 4000, &retryAfter, &first));
        QVERIFY(!first);
        QCOMPARE(retryAfter, 6);
        QVERIFY(limiter.take(QStringLiteral("b"), 4000, &retryAfter, &first)); // its own bucket
        QVERIFY(limiter.take(QStringLiteral("a"), 11000, &retryAfter, &first));
        QVERIFY(!limiter.take(QStringLiteral("a"), 11000, &retryAfter, &first));
        QVERIFY2(first, "refused again after an accepted attempt: logged again");
    }

    void givenBackAttemptsDoNotCount()
    {
        AttemptLimiter limiter(2, 100);
        int retryAfter = 0;
        bool first = false;
        for (int i = 0; i < 20; ++i) {
            QVERIFY(limiter.take(QStringLiteral("a"), 0, &retryAfter, &first));
            limiter.giveBack(QStringLiteral("a"));
        }
        QVERIFY(limiter.take(QStringLiteral("a"), 0, &retryAfter, &first));
        QVERIFY(limiter.take(QStringLiteral("a"), 0, &retryAfter, &first));
        QVERIFY(!limiter.take(QStringLiteral("a"), 0, &retryAfter, &first));
    }

    void offTakesEverything()
    {
        AttemptLimiter limiter(0, 1);
        int retryAfter = 0;
        bool first = false;
        for (int i = 0; i < 1000; ++i)
            QVERIFY(limiter.take(QString::number(i), 0, &retryAfter, &first));
        QCOMPARE(limiter.size(), 0);
    }

    //! A full table of keys still throttled refuses new keys instead of forgetting old ones
    //! (which would reset their throttle); keys whose bucket is full again are pruned.
    void keysAreCapped()
    {
        AttemptLimiter limiter(1, 3);
        int retryAfter = 0;
        bool first = false;
        for (const char *key : {"a", "b", "c"})
            QVERIFY(limiter.take(QLatin1String(key), 0, &retryAfter, &first));
        QCOMPARE(limiter.size(), 3);
        QVERIFY(!limiter.take(QStringLiteral("d"), 0, &retryAfter, &first));
        QVERIFY(retryAfter >= 1);
        QVERIFY2(!limiter.take(QStringLiteral("a"), 1000, &retryAfter, &first),
                 "a is still throttled, not forgotten");
        QVERIFY(limiter.take(QStringLiteral("d"), 61000, &retryAfter, &first));
        QVERIFY(limiter.size() <= 3);
    }

    void addressKeys_data()
    {
        QTest::addColumn<QString>("address");
        QTest::addColumn<QString>("key");
        QTest::addRow("IPv4") << QStringLiteral("203.0.113.7") << QStringLiteral("203.0.113.7");
        QTest::addRow("IPv4-mapped IPv6")
            << QStringLiteral("::ffff:203.0.113.7") << QStringLiteral("203.0.113.7");
        QTest::addRow("IPv6: its /64") << QStringLiteral("2001:db8:1:2:aaaa:bbbb:cccc:dddd")
                                       << QStringLiteral("2001:db8:1:2::/64");
        QTest::addRow("IPv6 loopback") << QStringLiteral("::1") << QStringLiteral("::/64");
    }

    void addressKeys()
    {
        QFETCH(QString, address);
        QFETCH(QString, key);
        QCOMPARE(AttemptLimiter::addressKey(QHostAddress(address)), key);
    }
};

QTEST_GUILESS_MAIN(TestAttemptLimiter)
#include "tst_attemptlimiter.moc"
