// SPDX-License-Identifier: MIT
// The Redis layer under cluster mode: the URL's rules, the start-up probe, and one
// RedisConnection against a real redis-server that the test starts, stops, freezes and
// restarts on a free loopback port.
#include "cluster/clusterbus.h"
#include "cluster/redisconnection.h"
#include "cluster/redisurl.h"
#include "gateway/gateway.h"
#include "protocol/timeformat.h"

#include <QProcess>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace flippdeal::server;

namespace {

quint16 freePort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();
}

//! A redis-server of the test's own: no persistence, on `port`, killed with the test.
class RedisProcess
{
public:
    explicit RedisProcess(quint16 port)
        : m_port(port)
    {}
    ~RedisProcess() { stop(); }

    bool start(const QStringList &extra = {})
    {
        m_process.start(QStringLiteral("redis-server"),
                        QStringList{QStringLiteral("--port"), QString::number(m_port),
                                    QStringLiteral("--bind"), QStringLiteral("127.0.0.1"),
                                    QStringLiteral("--save"), QString(),
                                    QStringLiteral("--appendonly"), QStringLiteral("no"),
                                    QStringLiteral("--dir"), m_dir.path()} +
                            extra);
        if (!m_process.waitForStarted(5000))
            return false;
        RedisUrl url;
        url.host = QStringLiteral("127.0.0.1");
        url.port = m_port;
        url.password = extra.contains(QStringLiteral("--requirepass"))
                           ? extra.at(extra.indexOf(QStringLiteral("--requirepass")) + 1).toUtf8()
                           : QByteArray();
        for (int i = 0; i < 100; ++i) {
            if (probeRedis(url, 500))
                return true;
            QTest::qWait(50);
        }
        return false;
    }
    void stop()
    {
        if (m_process.state() == QProcess::NotRunning)
            return;
        m_process.kill();
        m_process.waitForFinished(5000);
    }
    void freeze() { ::kill(pid_t(m_process.processId()), SIGSTOP); }
    void thaw() { ::kill(pid_t(m_process.processId()), SIGCONT); }
    RedisUrl url() const
    {
        RedisUrl url;
        url.host = QStringLiteral("127.0.0.1");
        url.port = m_port;
        return url;
    }

private:
    quint16 m_port;
    QTemporaryDir m_dir;
    QProcess m_process;
};

} // namespace

class TestRedis : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parsesUrls_data();
    void parsesUrls();
    void probeSaysWhatIsWrong();
    void commandsAndMessagesFlow();
    void reconnectsAndSubscribesAgain();
    void boundsWhatAStalledRedisOwes();
    void busNoticesAStalledRedis();
};

void TestRedis::parsesUrls_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<QString>("host");
    QTest::addColumn<int>("port");
    QTest::addColumn<QByteArray>("user");
    QTest::addColumn<QByteArray>("password");
    QTest::addColumn<int>("db");
    QTest::addColumn<QString>("error");

    QTest::newRow("host only") << "redis://cache" << true << "cache" << 6379 << QByteArray()
                               << QByteArray() << 0 << "";
    QTest::newRow("port and db") << "redis://10.0.0.5:6380/3" << true << "10.0.0.5" << 6380
                                 << QByteArray() << QByteArray() << 3 << "";
    QTest::newRow("password") << "redis://:s%40cret@127.0.0.1:6379/0" << true << "127.0.0.1" << 6379
                              << QByteArray() << QByteArray("s@cret") << 0 << "";
    QTest::newRow("acl user") << "redis://app:pw@redis.internal" << true << "redis.internal" << 6379
                              << QByteArray("app") << QByteArray("pw") << 0 << "";
    QTest::newRow("ipv6") << "redis://[::1]:7000" << true << "::1" << 7000 << QByteArray()
                          << QByteArray() << 0 << "";
    QTest::newRow("upper-case scheme")
        << "REDIS://cache/1" << true << "cache" << 6379 << QByteArray() << QByteArray() << 1 << "";
    QTest::newRow("other scheme") << "http://cache:6379" << false << "" << 0 << QByteArray()
                                  << QByteArray() << 0 << "must start with redis://";
    QTest::newRow("tls") << "rediss://cache" << false << "" << 0 << QByteArray() << QByteArray()
                         << 0 << "cannot use TLS";
    QTest::newRow("no host") << "redis://:6379" << false << "" << 0 << QByteArray() << QByteArray()
                             << 0 << "must be redis://";
    QTest::newRow("port zero") << "redis://cache:0" << false << "" << 0 << QByteArray()
                               << QByteArray() << 0 << "port from 1 to 65535";
    QTest::newRow("port too big") << "redis://cache:70000" << false << "" << 0 << QByteArray()
                                  << QByteArray() << 0 << "";
    QTest::newRow("db not a number") << "redis://cache/abc" << false << "" << 0 << QByteArray()
                                     << QByteArray() << 0 << "database number";
    QTest::newRow("db negative") << "redis://cache/-1" << false << "" << 0 << QByteArray()
                                 << QByteArray() << 0 << "database number";
    QTest::newRow("db path") << "redis://cache/1/2" << false << "" << 0 << QByteArray()
                             << QByteArray() << 0 << "database number";
    QTest::newRow("query") << "redis://cache/0?timeout=1" << false << "" << 0 << QByteArray()
                           << QByteArray() << 0 << "no query";
    QTest::newRow("user without password")
        << "redis://app@cache" << false << "" << 0 << QByteArray() << QByteArray() << 0
        << "password with a user";
    QTest::newRow("empty") << "" << false << "" << 0 << QByteArray() << QByteArray() << 0
                           << "must start with redis://";
}

void TestRedis::parsesUrls()
{
    QFETCH(QString, url);
    QFETCH(bool, valid);
    const auto parsed = RedisUrl::parse(url);
    QCOMPARE(bool(parsed), valid);
    if (!valid) {
        QFETCH(QString, error);
        QVERIFY2(parsed.error().message.contains(error), qPrintable(parsed.error().message));
        return;
    }
    QFETCH(QString, host);
    QFETCH(int, port);
    QFETCH(QByteArray, user);
    QFETCH(QByteArray, password);
    QFETCH(int, db);
    QCOMPARE(parsed->host, host);
    QCOMPARE(parsed->port, port);
    QCOMPARE(parsed->user, user);
    QCOMPARE(parsed->password, password);
    QCOMPARE(parsed->db, db);
    QVERIFY(!parsed->display().contains(QString::fromUtf8(password)) || password.isEmpty());
}

void TestRedis::probeSaysWhatIsWrong()
{
    RedisProcess redis(freePort());
    RedisUrl url = redis.url();
    auto down = probeRedis(url, 1000);
    QVERIFY(!down);
    QVERIFY2(down.error().message.contains(QLatin1String("cannot reach Redis at 127.0.0.1:")),
             qPrintable(down.error().message));

    QVERIFY(redis.start({QStringLiteral("--requirepass"), QStringLiteral("right")}));
    url.password = "not-this-one";
    const auto refused = probeRedis(url, 1000);
    QVERIFY(!refused);
    QVERIFY2(refused.error().message.contains(QLatin1String("refused the password")),
             qPrintable(refused.error().message));
    QVERIFY(!refused.error().message.contains(QLatin1String("not-this-one")));
    url.password = "right";
    url.db = 99; // Redis has 16
    QVERIFY(!probeRedis(url, 1000));
    url.db = 2;
    const auto version = probeRedis(url, 1000);
    QVERIFY2(bool(version), qPrintable(version ? QString() : version.error().message));
    QVERIFY(version->startsWith(QLatin1Char('7')) || version->startsWith(QLatin1Char('6')));
}

void TestRedis::commandsAndMessagesFlow()
{
    RedisProcess redis(freePort());
    QVERIFY(redis.start());
    RedisConnection commands(redis.url(), QStringLiteral("commands"));
    RedisConnection subscriber(redis.url(), QStringLiteral("subscriber"));
    QVERIFY(!commands.command({"PING"})); // refused before it is up
    QSignalSpy commandsUp(&commands, &RedisConnection::up);
    QSignalSpy subscriberUp(&subscriber, &RedisConnection::up);
    QSignalSpy messages(&subscriber, &RedisConnection::message);
    subscriber.subscribe("news");
    commands.open();
    subscriber.open();
    QTRY_COMPARE(commandsUp.size(), 1);
    QTRY_COMPARE(subscriberUp.size(), 1);

    RedisReply got;
    QVERIFY(commands.command({"SET", "k", QByteArray("v\0w", 3)}));
    QVERIFY(commands.command({"GET", "k"}, [&](const RedisReply &r) { got = r; }));
    QTRY_COMPARE(got.type, RedisReply::Type::String);
    QCOMPARE(got.text, QByteArray("v\0w", 3)); // binary-safe
    QCOMPARE(commands.pendingBytes(), 0);

    RedisReply error;
    QVERIFY(commands.command({"NOSUCHCOMMAND"}, [&](const RedisReply &r) { error = r; }));
    QTRY_COMPARE(error.type, RedisReply::Type::Error);
    QVERIFY(!error.ok());

    // SUBSCRIBE is asynchronous: publish until the subscriber hears.
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            commands.command({"PUBLISH", "news", "hello"});
            QTest::qWait(20);
            return !messages.isEmpty();
        }(),
        5000);
    QCOMPARE(messages.first().at(0).toByteArray(), QByteArray("news"));
    QCOMPARE(messages.first().at(1).toByteArray(), QByteArray("hello"));
}

void TestRedis::reconnectsAndSubscribesAgain()
{
    RedisProcess redis(freePort());
    QVERIFY(redis.start());
    RedisConnection subscriber(redis.url(), QStringLiteral("subscriber"));
    RedisConnection commands(redis.url(), QStringLiteral("commands"));
    QSignalSpy up(&subscriber, &RedisConnection::up);
    QSignalSpy down(&subscriber, &RedisConnection::down);
    QSignalSpy messages(&subscriber, &RedisConnection::message);
    subscriber.subscribe("bus");
    subscriber.open();
    commands.open();
    QTRY_COMPARE(up.size(), 1);
    QTRY_VERIFY(commands.isUp());

    bool lostAnswer = false;
    redis.freeze();
    QVERIFY(commands.command({"PING"}, [&](const RedisReply &r) {
        lostAnswer = r.type == RedisReply::Type::Disconnected;
    }));
    redis.stop();
    QTRY_COMPARE(down.size(), 1);
    QTRY_VERIFY(lostAnswer); // a command in flight is answered with Disconnected
    QVERIFY(!commands.command({"PING"}));

    QVERIFY(redis.start());
    QTRY_COMPARE_WITH_TIMEOUT(up.size(), 2, 15000);
    QTRY_VERIFY_WITH_TIMEOUT(commands.isUp(), 15000);
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            commands.command({"PUBLISH", "bus", "again"});
            QTest::qWait(20);
            return !messages.isEmpty();
        }(),
        5000);
    QCOMPARE(messages.first().at(1).toByteArray(), QByteArray("again"));
    QVERIFY(subscriber.reconnects() >= 1);
}

void TestRedis::boundsWhatAStalledRedisOwes()
{
    RedisProcess redis(freePort());
    QVERIFY(redis.start());
    RedisConnection commands(redis.url(), QStringLiteral("commands"));
    commands.open();
    QTRY_VERIFY(commands.isUp());
    redis.freeze(); // accepts nothing more, answers nothing
    const QByteArray value(1024 * 1024, 'x');
    int accepted = 0;
    while (commands.command({"SET", "big", value})) {
        ++accepted;
        QCoreApplication::processEvents(); // what hiredis can write goes to the frozen Redis
    }
    QVERIFY2(accepted >= 30 && accepted <= 32, qPrintable(QString::number(accepted)));
    QVERIFY(commands.pendingBytes() <= RedisConnection::MaxPendingBytes);
    redis.thaw();
    QTRY_COMPARE_WITH_TIMEOUT(commands.pendingBytes(), 0, 15000);
    QVERIFY(commands.command({"PING"}));
}

void TestRedis::busNoticesAStalledRedis()
{
    // A frozen Redis keeps its connections open: only the heartbeat can tell.
    RedisProcess redis(freePort());
    QVERIFY(redis.start());
    Gateway gateway(GatewayOptions{}, std::make_unique<LocalPresenceStore>());
    ClusterBus worker(redis.url(), QStringLiteral("app"), QStringLiteral("worker"));
    ClusterBus node(redis.url(), QStringLiteral("app"), QStringLiteral("node"));
    node.setLocal(&gateway);
    QSignalSpy workerUp(&worker, &ClusterBus::up);
    QSignalSpy nodeUp(&node, &ClusterBus::up);
    QSignalSpy nodeDown(&node, &ClusterBus::down);
    QSignalSpy workerReplay(&worker, &ClusterBus::replayRequested);
    QSignalSpy nodeReplay(&node, &ClusterBus::replayRequested);
    worker.start();
    node.start();
    QTRY_COMPARE(workerUp.size(), 1);
    QTRY_COMPARE(nodeUp.size(), 1);
    QCOMPARE(nodeReplay.size(), 0); // nothing was missed before the first link

    redis.freeze();
    QTRY_COMPARE_WITH_TIMEOUT(nodeDown.size(), 1, 15000);
    QTRY_VERIFY_WITH_TIMEOUT(!worker.isUp(), 15000);
    const qint64 lostAt = flippdeal::protocol::nowMs();
    worker.broadcast(BroadcastEvent{QStringLiteral("c"), QStringLiteral("e"), "{}", 0, {}});
    QCOMPARE(worker.unsentCount(), 1u);
    redis.thaw();
    QTRY_COMPARE_WITH_TIMEOUT(workerUp.size(), 2, 15000);
    QTRY_COMPARE_WITH_TIMEOUT(nodeUp.size(), 2, 15000);
    // The node replays once: what it may not have heard, merged with what the worker could
    // not publish (from 5 s before the refusal on). The worker, without sockets, replays
    // nothing.
    QTRY_COMPARE(nodeReplay.size(), 1);
    const qint64 since = nodeReplay.first().at(0).toLongLong();
    QVERIFY2(since <= lostAt - ClusterBus::ReplayMarginMs && since > lostAt - 30000,
             qPrintable(QStringLiteral("%1 against a loss at %2").arg(since).arg(lostAt)));
    QTest::qWait(2 * ClusterBus::ReplayDelayMs);
    QCOMPARE(nodeReplay.size(), 1);
    QCOMPARE(workerReplay.size(), 0);

    // Only the worker's link breaks: the node heard everything, and replays only because the
    // worker asks it to, from 5 s before the worker's refused publish.
    worker.dropConnections();
    const qint64 refusedAt = flippdeal::protocol::nowMs();
    worker.broadcast(BroadcastEvent{QStringLiteral("c"), QStringLiteral("e"), "{}", 0, {}});
    QCOMPARE(worker.unsentCount(), 2u);
    QTRY_COMPARE_WITH_TIMEOUT(workerUp.size(), 3, 15000);
    QTRY_COMPARE(nodeReplay.size(), 2);
    const qint64 asked = nodeReplay.at(1).at(0).toLongLong();
    QVERIFY(asked <= refusedAt - ClusterBus::ReplayMarginMs && asked > refusedAt - 10000);
    QCOMPARE(nodeDown.size(), 1);
}

QTEST_GUILESS_MAIN(TestRedis)
#include "tst_redis.moc"
