// SPDX-License-Identifier: MIT
// The flippdeal-server command line: exit codes (0 done, 1 failure, 2 bad usage with one
// line on stderr), --help on every command, table and --json output.
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

namespace {

struct Run
{
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

} // namespace

class TestCli : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    Run run(const QStringList &arguments, const QByteArray &stdinText = {})
    {
        QProcess process;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        for (const QString &key : env.keys()) {
            if (key.startsWith(QLatin1String("FLIPPDEAL_")))
                env.remove(key);
        }
        env.insert(QStringLiteral("FLIPPDEAL_DATA_DIR"), m_dir.path());
        env.insert(QStringLiteral("FLIPPDEAL_LOG_LEVEL"), QStringLiteral("warning"));
        process.setProcessEnvironment(env);
        process.start(QStringLiteral(FLIPPDEAL_SERVER_BINARY), arguments);
        if (!stdinText.isEmpty())
            process.write(stdinText);
        process.closeWriteChannel();
        if (!process.waitForFinished(60000))
            return {};
        return {process.exitCode(), process.readAllStandardOutput(),
                process.readAllStandardError()};
    }

private Q_SLOTS:
    void helpOnEveryCommand_data()
    {
        QTest::addColumn<QString>("command");
        for (const char *c :
             {"serve", "migrate", "user:create", "demo:seed", "queue:work", "queue:failed",
              "queue:retry", "queue:monitor", "auctions:broadcast-countdowns"})
            QTest::addRow("%s", c) << QString::fromLatin1(c);
    }

    void helpOnEveryCommand()
    {
        QFETCH(QString, command);
        const Run result = run({command, QStringLiteral("--help")});
        QCOMPARE(result.exitCode, 0);
        QVERIFY(result.out.contains("--database"));
    }

    void overview()
    {
        const Run result = run({QStringLiteral("--help")});
        QCOMPARE(result.exitCode, 0);
        QVERIFY(result.out.contains("queue:monitor"));
        QCOMPARE(run({}).exitCode, 2);
    }

    void badUsage_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QByteArray>("mentions");
        QTest::addRow("unknown command")
            << QStringList{QStringLiteral("frobnicate")} << QByteArray("frobnicate");
        QTest::addRow("unknown option")
            << QStringList{QStringLiteral("migrate"), QStringLiteral("--colour")}
            << QByteArray("colour");
        QTest::addRow("bad listen")
            << QStringList{QStringLiteral("serve"), QStringLiteral("--listen"),
                           QStringLiteral("nowhere")}
            << QByteArray("listen");
        QTest::addRow("bad database")
            << QStringList{QStringLiteral("migrate"), QStringLiteral("--database"),
                           QStringLiteral("mysql://x")}
            << QByteArray("database");
        QTest::addRow("bad log level")
            << QStringList{QStringLiteral("serve"), QStringLiteral("--log-level"),
                           QStringLiteral("loud")}
            << QByteArray("log-level");
        QTest::addRow("missing config file")
            << QStringList{QStringLiteral("serve"), QStringLiteral("--config"),
                           QStringLiteral("/nonexistent.ini")}
            << QByteArray("nonexistent");
        QTest::addRow("user:create incomplete")
            << QStringList{QStringLiteral("user:create"), QStringLiteral("--name"),
                           QStringLiteral("X")}
            << QByteArray("--email");
        QTest::addRow("user:create bad email")
            << QStringList{QStringLiteral("user:create"), QStringLiteral("--name"),
                           QStringLiteral("X"),           QStringLiteral("--email"),
                           QStringLiteral("nope"),        QStringLiteral("--password"),
                           QStringLiteral("long enough")}
            << QByteArray("email");
        QTest::addRow("queue:retry without id")
            << QStringList{QStringLiteral("queue:retry")} << QByteArray("id");
        QTest::addRow("queue:retry bad id")
            << QStringList{QStringLiteral("queue:retry"), QStringLiteral("x")} << QByteArray("'x'");
        QTest::addRow("queue:retry unknown id")
            << QStringList{QStringLiteral("queue:retry"), QStringLiteral("42")} << QByteArray("42");
        QTest::addRow("extra argument")
            << QStringList{QStringLiteral("migrate"), QStringLiteral("now")} << QByteArray("now");
    }

    void badUsage()
    {
        QFETCH(QStringList, arguments);
        QFETCH(QByteArray, mentions);
        const Run result = run(arguments);
        QCOMPARE(result.exitCode, 2);
        const QByteArray line = result.err.trimmed();
        QVERIFY2(!line.isEmpty() && !line.contains('\n'), line.constData());
        QVERIFY2(line.contains(mentions), line.constData());
    }

    void migrateAndCreateUsers()
    {
        const Run migrate = run({QStringLiteral("migrate")});
        QCOMPARE(migrate.exitCode, 0);
        QVERIFY(migrate.out.contains("version 3"));
        const Run admin = run({QStringLiteral("user:create"), QStringLiteral("--name"),
                               QStringLiteral("Ada Admin"), QStringLiteral("--email"),
                               QStringLiteral("ada@ops.test"), QStringLiteral("--password-stdin"),
                               QStringLiteral("--admin")},
                              "a long admin password\n");
        QCOMPARE(admin.exitCode, 0);
        QVERIFY(admin.out.contains("admin"));
        QVERIFY2(!admin.out.contains("long admin password") &&
                     !admin.err.contains("long admin password"),
                 "passwords are never printed");
        const Run again =
            run({QStringLiteral("user:create"), QStringLiteral("--name"), QStringLiteral("Ada"),
                 QStringLiteral("--email"), QStringLiteral("ada@ops.test"),
                 QStringLiteral("--password"), QStringLiteral("another password")});
        QCOMPARE(again.exitCode, 2);
        QVERIFY(again.err.contains("taken"));
    }

    void queueCommands()
    {
        const Run monitor = run({QStringLiteral("queue:monitor")});
        QCOMPARE(monitor.exitCode, 0);
        QVERIFY(monitor.out.contains("READY"));
        const Run json = run({QStringLiteral("queue:monitor"), QStringLiteral("--json")});
        QCOMPARE(json.exitCode, 0);
        const QJsonObject stats = QJsonDocument::fromJson(json.out).object();
        QVERIFY(stats.contains(QLatin1String("failed")));
        QCOMPARE(stats.value(QLatin1String("ready")).toInt(), 0);
        const Run failed = run({QStringLiteral("queue:failed"), QStringLiteral("--json")});
        QCOMPARE(failed.exitCode, 0);
        QVERIFY(QJsonDocument::fromJson(failed.out).isArray());
        QCOMPARE(run({QStringLiteral("queue:retry"), QStringLiteral("all")}).exitCode, 0);
        QCOMPARE(run({QStringLiteral("queue:work"), QStringLiteral("--once")}).exitCode, 0);
        QCOMPARE(run({QStringLiteral("auctions:broadcast-countdowns"), QStringLiteral("--once")})
                     .exitCode,
                 0);
    }

    void demoSeedIsIdempotent()
    {
        const Run first = run({QStringLiteral("demo:seed")});
        QCOMPARE(first.exitCode, 0);
        QVERIFY(first.out.contains("bob@demo.flippdeal.test"));
        const Run second = run({QStringLiteral("demo:seed")});
        QCOMPARE(second.exitCode, 0);
        QVERIFY(second.out.contains("already present"));
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
