// SPDX-License-Identifier: MIT
#include "core/config.h"

#include <QTemporaryDir>
#include <QtTest>

using namespace flippdeal::server;

class TestConfig : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init()
    {
        for (const char *var : {"FLIPPDEAL_LISTEN", "FLIPPDEAL_APP_ID", "FLIPPDEAL_LOG_LEVEL",
                                "FLIPPDEAL_CONFIG", "FLIPPDEAL_DATABASE"})
            qunsetenv(var);
    }

    void defaults()
    {
        const auto config = Config::load({});
        QVERIFY(config);
        QCOMPARE(config->listenPort, quint16(6001));
        QCOMPARE(config->listenAddress, QHostAddress(QHostAddress::LocalHost));
        QCOMPARE(config->appId, QStringLiteral("flippdeal"));
        QCOMPARE(config->appKey, QStringLiteral("flippdeal-key"));
        QVERIFY(config->database.startsWith(QLatin1String("sqlite:")));
    }

    void precedence()
    {
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("server.ini"));
        QFile ini(file);
        QVERIFY(ini.open(QIODevice::WriteOnly));
        ini.write("listen=127.0.0.1:7000\napp-id=from-file\nlog-level=debug\n");
        ini.close();
        qputenv("FLIPPDEAL_APP_ID", "from-env");
        qputenv("FLIPPDEAL_LISTEN", "127.0.0.1:7001");
        const auto config =
            Config::load({{QStringLiteral("config"), file},
                          {QStringLiteral("listen"), QStringLiteral("0.0.0.0:7002")}});
        QVERIFY(config);
        QCOMPARE(config->listenPort, quint16(7002));         // option beats env
        QCOMPARE(config->appId, QStringLiteral("from-env")); // env beats file
        QCOMPARE(config->logLevel, QStringLiteral("debug")); // file beats default
    }

    void badValues_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("value");
        QTest::addRow("listen without port")
            << QStringLiteral("listen") << QStringLiteral("localhost");
        QTest::addRow("listen bad port")
            << QStringLiteral("listen") << QStringLiteral("127.0.0.1:99999");
        QTest::addRow("listen bad host")
            << QStringLiteral("listen") << QStringLiteral("no such host:80");
        QTest::addRow("database scheme")
            << QStringLiteral("database") << QStringLiteral("mysql://x");
        QTest::addRow("database empty sqlite")
            << QStringLiteral("database") << QStringLiteral("sqlite:");
        QTest::addRow("postgres without db")
            << QStringLiteral("database") << QStringLiteral("postgres://u@localhost:5432");
        QTest::addRow("log level") << QStringLiteral("log-level") << QStringLiteral("loud");
        QTest::addRow("timeout") << QStringLiteral("activity-timeout") << QStringLiteral("0");
        QTest::addRow("short secret") << QStringLiteral("app-secret") << QStringLiteral("abc");
        QTest::addRow("no subscriptions")
            << QStringLiteral("max-subscriptions") << QStringLiteral("0");
        QTest::addRow("presence members not a number")
            << QStringLiteral("max-presence-members") << QStringLiteral("many");
    }

    void badValues()
    {
        QFETCH(QString, name);
        QFETCH(QString, value);
        const auto config = Config::load({{name, value}});
        QVERIFY(!config);
        QVERIFY2(config.error().message.contains(name), "the message names the setting");
        QVERIFY2(!config.error().message.contains(QLatin1Char('\n')), "one line");
    }

    void badEnvironmentIsNamed()
    {
        qputenv("FLIPPDEAL_LOG_LEVEL", "chatty");
        const auto config = Config::load({});
        QVERIFY(!config);
        QVERIFY(config.error().message.contains(QLatin1String("FLIPPDEAL_LOG_LEVEL")));
    }

    void unknownFileKeyIsAnError()
    {
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("server.ini"));
        QFile ini(file);
        QVERIFY(ini.open(QIODevice::WriteOnly));
        ini.write("lisen=127.0.0.1:7000\n");
        ini.close();
        const auto config = Config::load({{QStringLiteral("config"), file}});
        QVERIFY(!config);
        QVERIFY(config.error().message.contains(QLatin1String("lisen")));
    }

    void secretIsGeneratedOnceAndPrivate()
    {
        QTemporaryDir dir;
        auto config = Config::load({{QStringLiteral("data-dir"), dir.path()}});
        QVERIFY(config);
        QVERIFY(!config->ensureSecret());
        const QByteArray first = config->appSecret;
        QVERIFY(first.size() >= 32);
        auto again = Config::load({{QStringLiteral("data-dir"), dir.path()}});
        QVERIFY(!again->ensureSecret());
        QCOMPARE(again->appSecret, first);
        const QFile::Permissions permissions =
            QFile(dir.filePath(QStringLiteral("app-secret"))).permissions();
        QVERIFY(!(permissions & (QFile::ReadGroup | QFile::ReadOther)));
    }

    void databaseUrls()
    {
        const auto pg =
            DatabaseUrl::parse(QStringLiteral("postgres://fd:p%40ss@127.0.0.1:5433/live"));
        QVERIFY(pg);
        QCOMPARE(pg->driver, DatabaseUrl::Driver::Postgres);
        QCOMPARE(pg->password, QStringLiteral("p@ss"));
        QCOMPARE(pg->port, 5433);
        QCOMPARE(pg->name, QStringLiteral("live"));
        const auto sqlite = DatabaseUrl::parse(QStringLiteral("sqlite:/tmp/x.db"));
        QVERIFY(sqlite);
        QCOMPARE(sqlite->path, QStringLiteral("/tmp/x.db"));
    }
};

QTEST_GUILESS_MAIN(TestConfig)
#include "tst_config.moc"
