// SPDX-License-Identifier: MIT
// ReadPool: reads run on threads of their own, each with its own read-only connection, in one
// snapshot; a full pool answers 503 at once; a failing connection is a 500, never a crash. On
// the database the tests run against (SQLite file, or PostgreSQL with FLIPPDEAL_TEST_DATABASE).
#include "testhelpers.h"
#include "testserver.h"

#include "storage/readpool.h"

#include <QSemaphore>
#include <QThread>
#include <QtTest>

using namespace flippdeal;
using namespace flippdeal::server;
using namespace flippdeal::testing;

namespace {

//! How many channel_sequences rows `db` sees.
qint64 countSequences(Database &db)
{
    SqlQuery query(db, QStringLiteral("SELECT COUNT(*) FROM channel_sequences"));
    return query.scalar();
}

bool addSequence(Database &db, const QString &channel)
{
    return sqlExec(
        db, QStringLiteral("INSERT INTO channel_sequences (channel, last_seq) VALUES (?, 1)"),
        {channel});
}

template <typename T>
Expected<T> resultOf(QFuture<Expected<T>> future)
{
    // The pool finishes futures on its own threads: wait without an event loop.
    future.waitForFinished();
    return future.result();
}

//! Fills `pool` to its capacity with reads that wait for `gate`.
QList<QFuture<Expected<qint64>>> fill(ReadPool &pool, QSemaphore &gate)
{
    QList<QFuture<Expected<qint64>>> held;
    while (pool.size() < pool.capacity())
        held.append(pool.run([&gate](Database &) -> Expected<qint64> {
            gate.acquire();
            return 0;
        }));
    return held;
}

} // namespace

class TestReadPool : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<TestServer> m_server;

    Database &db() { return m_server->app().database(); }
    QString url() const { return m_server->config().database; }

private Q_SLOTS:
    void init()
    {
        m_server = std::make_unique<TestServer>();
        QVERIFY2(m_server->isRunning(), qPrintable(m_server->errorString()));
    }

    void cleanup() { m_server.reset(); }

    void readsOnItsOwnThreadAndSeesCommits()
    {
        ReadPool pool(url(), 2, 8);
        QVERIFY(addSequence(db(), QStringLiteral("private-user.1")));
        QThread *caller = QThread::currentThread();
        QThread *reader = nullptr;
        const auto first = resultOf(pool.run([&](Database &readDb) -> Expected<qint64> {
            reader = QThread::currentThread();
            return countSequences(readDb);
        }));
        QVERIFY(first);
        QCOMPARE(*first, 1);
        QVERIFY(reader && reader != caller);
        // A commit made after the last read is seen by the next: an answer never lags a change.
        QVERIFY(addSequence(db(), QStringLiteral("private-user.2")));
        const auto second = resultOf(
            pool.run([](Database &readDb) -> Expected<qint64> { return countSequences(readDb); }));
        QVERIFY(second);
        QCOMPARE(*second, 2);
        QCOMPARE(pool.size(), 0);
    }

    void oneSnapshotPerRead()
    {
        ReadPool pool(url(), 1, 8);
        QSemaphore between;
        QSemaphore committed;
        auto future = pool.run([&](Database &readDb) -> Expected<QList<qint64>> {
            QList<qint64> counts{countSequences(readDb)};
            between.release();
            committed.acquire();
            counts.append(countSequences(readDb));
            return counts;
        });
        QVERIFY(between.tryAcquire(1, 10000));
        QVERIFY(addSequence(db(), QStringLiteral("private-user.3")));
        committed.release();
        const auto counts = resultOf(future);
        QVERIFY(counts);
        QCOMPARE(*counts, (QList<qint64>{0, 0}));
        QCOMPARE(countSequences(db()), 1);
    }

    void refusesWrites()
    {
        ReadPool pool(url(), 1, 8);
        const auto written = resultOf(pool.run([](Database &readDb) -> Expected<qint64> {
            SqlQuery(readDb, QStringLiteral("INSERT INTO channel_sequences (channel, last_seq) "
                                            "VALUES ('private-user.9', 1)"))
                .exec();
            return 1;
        }));
        QVERIFY(!written);
        QCOMPARE(written.error().status, 500);
        QCOMPARE(countSequences(db()), 0);
    }

    void fullPoolAnswers503AtOnce()
    {
        constexpr int Capacity = 3;
        ReadPool pool(url(), 1, Capacity);
        QSemaphore gate;
        QList<QFuture<Expected<qint64>>> held;
        for (int i = 0; i < Capacity; ++i)
            held.append(pool.run([&gate](Database &readDb) -> Expected<qint64> {
                gate.acquire();
                return countSequences(readDb);
            }));
        QCOMPARE(pool.size(), Capacity);
        auto refused = pool.run([](Database &) -> Expected<qint64> { return 1; });
        QVERIFY(refused.isFinished());
        QVERIFY(!refused.result());
        QCOMPARE(refused.result().error().status, 503);
        QCOMPARE(refused.result().error().retryAfterSeconds, 1);
        QCOMPARE(pool.refusedCount(), quint64(1));
        gate.release(Capacity);
        for (auto &future : held) {
            const auto count = resultOf(future);
            QVERIFY(count);
            QCOMPARE(*count, 0);
        }
        QTRY_COMPARE(pool.size(), 0);
        QVERIFY(resultOf(pool.run([](Database &) -> Expected<qint64> { return 7; })));
    }

    void unopenableDatabaseIsA500()
    {
        ReadPool pool(QStringLiteral("sqlite:/proc/no-such-folder/flippdeal.db"), 1, 4);
        const auto result = resultOf(pool.run([](Database &) -> Expected<qint64> { return 1; }));
        QVERIFY(!result);
        QCOMPARE(result.error().status, 500);
    }

    //! On PostgreSQL a bearer token is looked up on the pool (a round trip must not hold the
    //! event loop): while the pool is full, a route that needs a user answers 503 at once, and
    //! public routes are served as usual. SQLite looks tokens up in place.
    void tokenLookupRunsOnThePoolOnPostgres()
    {
        if (m_server->app().database().dialect() != Database::Dialect::Postgres)
            QSKIP("SQLite looks tokens up in place (set FLIPPDEAL_TEST_DATABASE)");
        ReadPool &pool = m_server->app().reads();
        const Session alice = m_server->registerUser(QStringLiteral("alice"));
        QCOMPARE(m_server->get(QStringLiteral("/api/me"), alice.token).status, 200);
        QSemaphore gate;
        const QList<QFuture<Expected<qint64>>> held = fill(pool, gate);
        const Reply busy = m_server->get(QStringLiteral("/api/me"), alice.token);
        QCOMPARE(busy.status, 503);
        QCOMPARE(busy.header("Retry-After"), QByteArray("1"));
        QCOMPARE(m_server->get(QStringLiteral("/health")).status, 200);
        gate.release(int(held.size()));
        for (auto future : held)
            future.waitForFinished();
        const Reply me = m_server->get(QStringLiteral("/api/me"), alice.token);
        QCOMPARE(me.status, 200);
        QCOMPARE(objectOf(me, "user").value(QLatin1String("id")).toInteger(), alice.user.id);
        QCOMPARE(m_server->get(QStringLiteral("/api/me"), "not-a-token").status, 401);
    }

    void routesAreBoundedByThePool_data()
    {
        QTest::addColumn<QString>("path");
        QTest::newRow("history") << QStringLiteral("/api/channels/private-user.%1/events?after=0");
        QTest::newRow("inbox") << QStringLiteral("/api/messages/conversations");
        QTest::newRow("conversation") << QStringLiteral("/api/messages/conversations/%1");
        QTest::newRow("notifications") << QStringLiteral("/api/notifications");
    }

    //! Each route on the pool answers with its 503 (JSON, Retry-After) while the pool is full.
    void routesAreBoundedByThePool()
    {
        QFETCH(QString, path);
        ReadPool &pool = m_server->app().reads();
        const Session alice = m_server->registerUser(QStringLiteral("alice"));
        if (path.contains(QLatin1String("%1")))
            path = path.arg(alice.user.id);
        QCOMPARE(m_server->get(path, alice.token).status, 200);
        QSemaphore gate;
        const QList<QFuture<Expected<qint64>>> held = fill(pool, gate);
        const quint64 refusedBefore = pool.refusedCount();
        const Reply busy = m_server->get(path, alice.token);
        QCOMPARE(busy.status, 503);
        QCOMPARE(pool.refusedCount(), refusedBefore + 1);
        const Reply metrics = m_server->get(QStringLiteral("/metrics"));
        QVERIFY2(
            metrics.body.contains(
                QStringLiteral("flippdeal_reads_refused_total %1").arg(refusedBefore + 1).toUtf8()),
            metrics.body.constData());
        QCOMPARE(busy.header("Retry-After"), QByteArray("1"));
        QVERIFY(!busy.json.value(QLatin1String("message")).toString().isEmpty());
        gate.release(int(held.size()));
        for (auto future : held)
            future.waitForFinished();
        QCOMPARE(m_server->get(path, alice.token).status, 200);
    }
};

QTEST_GUILESS_MAIN(TestReadPool)
#include "tst_readpool.moc"
