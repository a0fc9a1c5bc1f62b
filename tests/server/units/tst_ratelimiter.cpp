// SPDX-License-Identifier: MIT
#include "core/ratelimiter.h"

#include <QtTest>

using flippdeal::server::RateLimiter;

class TestRateLimiter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void burstThenRate()
    {
        RateLimiter limiter(5, 5);
        const QString key = QStringLiteral("user-1");
        for (int i = 0; i < 5; ++i)
            QVERIFY2(limiter.tryAcquire(key, 1000), "a burst of 5 is allowed");
        QVERIFY(!limiter.tryAcquire(key, 1000));
        QCOMPARE(limiter.retryAfterSeconds(key, 1000), 1);
        QVERIFY2(!limiter.tryAcquire(key, 1100), "0.1 s refills half a token");
        QVERIFY2(limiter.tryAcquire(key, 1201), "0.2 s refills one token at 5/s");
        QVERIFY(!limiter.tryAcquire(key, 1201));
    }

    void keysAreIndependent()
    {
        RateLimiter limiter(1, 1);
        QVERIFY(limiter.tryAcquire(QStringLiteral("a"), 0));
        QVERIFY(!limiter.tryAcquire(QStringLiteral("a"), 0));
        QVERIFY(limiter.tryAcquire(QStringLiteral("b"), 0));
    }

    void neverExceedsBurst()
    {
        RateLimiter limiter(10, 10);
        QVERIFY(limiter.tryAcquire(QStringLiteral("k"), 0));
        // An hour idle refills to the burst, not to 36000 tokens.
        int granted = 0;
        while (limiter.tryAcquire(QStringLiteral("k"), 3'600'000))
            ++granted;
        QCOMPARE(granted, 10);
    }

    void clockGoingBackwardsGrantsNothingExtra()
    {
        RateLimiter limiter(1, 1);
        QVERIFY(limiter.tryAcquire(QStringLiteral("k"), 10'000));
        QVERIFY(!limiter.tryAcquire(QStringLiteral("k"), 5'000));
    }

    void pruneForgetsFullBuckets()
    {
        RateLimiter limiter(1, 1);
        QVERIFY(limiter.tryAcquire(QStringLiteral("k"), 0));
        limiter.prune(10'000);
        QCOMPARE(limiter.retryAfterSeconds(QStringLiteral("k"), 10'000), 0);
    }
};

QTEST_GUILESS_MAIN(TestRateLimiter)
#include "tst_ratelimiter.moc"
