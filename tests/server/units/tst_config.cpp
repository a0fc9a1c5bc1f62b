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
                                "FLIPPDEAL_CONFIG", "FLIPPDEAL_DATABASE", "FLIPPDEAL_APP_SECRET",
                                "FLIPPDEAL_ENCRYPTION_MASTER_KEY", "FLIPPDEAL_WEBHOOK_URLS"})
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
        QTest::addRow("io-uring neither on nor off")
            << QStringLiteral("io-uring") << QStringLiteral("yes");
        QTest::addRow("io-threads over 64") << QStringLiteral("io-threads") << QStringLiteral("65");
        QTest::addRow("io-threads negative")
            << QStringLiteral("io-threads") << QStringLiteral("-1");
    }

    void ioThreads()
    {
        const auto defaults = Config::load({});
        QVERIFY(defaults);
        QCOMPARE(defaults->ioThreads, 0); // one per core
        const auto four = Config::load({{QStringLiteral("io-threads"), QStringLiteral("4")}});
        QVERIFY(four);
        QCOMPARE(four->ioThreads, 4);
    }

    void ioUringSwitch()
    {
        const auto defaults = Config::load({});
        QVERIFY(defaults);
        QVERIFY(defaults->ioUring);
        const auto off = Config::load({{QStringLiteral("io-uring"), QStringLiteral("off")}});
        QVERIFY(off);
        QVERIFY(!off->ioUring);
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

    void newLimits()
    {
        const auto defaults = Config::load({});
        QVERIFY(defaults);
        QCOMPARE(defaults->tokenIdleSeconds, qint64(30) * 24 * 3600);
        QCOMPARE(defaults->authAttemptsPerIp, 60);
        QCOMPARE(defaults->authFailuresPerAccount, 5);
        QCOMPARE(defaults->hashWorkers, 2);
        QCOMPARE(defaults->hashQueue, 16);
        QCOMPARE(defaults->apiReplayCache, 200000);
        QCOMPARE(defaults->apiReplayGraceSeconds, 2);
        const auto set = Config::load({{QStringLiteral("token-idle-days"), QStringLiteral("2")},
                                       {QStringLiteral("auth-rate-ip"), QStringLiteral("0")},
                                       {QStringLiteral("auth-rate-account"), QStringLiteral("9")},
                                       {QStringLiteral("hash-workers"), QStringLiteral("4")},
                                       {QStringLiteral("hash-queue"), QStringLiteral("0")},
                                       {QStringLiteral("api-replay-cache"), QStringLiteral("5000")},
                                       {QStringLiteral("api-replay-grace"), QStringLiteral("0")}});
        QVERIFY2(set, set ? "" : qPrintable(set.error().message));
        QCOMPARE(set->tokenIdleSeconds, qint64(2) * 24 * 3600);
        QCOMPARE(set->authAttemptsPerIp, 0);
        QCOMPARE(set->authFailuresPerAccount, 9);
        QCOMPARE(set->hashWorkers, 4);
        QCOMPARE(set->hashQueue, 0);
        QCOMPARE(set->apiReplayCache, 5000);
        QCOMPARE(set->apiReplayGraceSeconds, 0);
        for (const auto &[name, value] : QList<QPair<QString, QString>>{
                 {QStringLiteral("token-idle-days"), QStringLiteral("0")},
                 {QStringLiteral("auth-rate-ip"), QStringLiteral("-1")},
                 {QStringLiteral("hash-workers"), QStringLiteral("0")},
                 {QStringLiteral("api-replay-cache"), QStringLiteral("10")},
                 {QStringLiteral("api-replay-grace"), QStringLiteral("61")}}) {
            const auto bad = Config::load({{name, value}});
            QVERIFY2(!bad, qPrintable(name));
            QVERIFY2(bad.error().message.contains(name), qPrintable(bad.error().message));
        }
    }

    //! A bad secret (or a URL that can hold a password) is named with its rule, never shown:
    //! error messages end up in terminals, logs and CI output.
    void secretValuesAreNotPrinted_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("value");
        QTest::addColumn<QString>("secret");
        QTest::addRow("short app secret") << QStringLiteral("app-secret")
                                          << QStringLiteral("Hunt3r!") << QStringLiteral("Hunt3r!");
        QTest::addRow("master key not base64 of 32 bytes")
            << QStringLiteral("encryption-master-key")
            << QStringLiteral("SuperSecretMasterKeyValue42")
            << QStringLiteral("SuperSecretMasterKey");
        QTest::addRow("postgres URL without a database")
            << QStringLiteral("database")
            << QStringLiteral("postgres://flippdeal:Hunter2Secret@db.internal:5432")
            << QStringLiteral("Hunter2Secret");
        QTest::addRow("postgres URL that does not parse")
            << QStringLiteral("database")
            << QStringLiteral("postgres://flippdeal:Hunter2Secret@db internal/live")
            << QStringLiteral("Hunter2Secret");
        QTest::addRow("database URL of another scheme")
            << QStringLiteral("database") << QStringLiteral("mysql://root:Hunter2Secret@db/live")
            << QStringLiteral("Hunter2Secret");
        QTest::addRow("webhook URL with credentials")
            << QStringLiteral("webhook-urls")
            << QStringLiteral("ftp://hooks:Hunter2Secret@hooks.example.com/in")
            << QStringLiteral("Hunter2Secret");
    }

    void secretValuesAreNotPrinted()
    {
        QFETCH(QString, name);
        QFETCH(QString, value);
        QFETCH(QString, secret);
        const QString var = QStringLiteral("FLIPPDEAL_") +
                            name.toUpper().replace(QLatin1Char('-'), QLatin1Char('_'));
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("server.ini"));
        QFile ini(file);
        QVERIFY(ini.open(QIODevice::WriteOnly));
        ini.write((name + QLatin1Char('=') + value + QLatin1Char('\n')).toUtf8());
        ini.close();

        QStringList messages;
        const auto fromOption = Config::load({{name, value}});
        QVERIFY(!fromOption);
        messages.append(fromOption.error().message);
        qputenv(var.toLatin1().constData(), value.toUtf8());
        const auto fromEnvironment = Config::load({});
        qunsetenv(var.toLatin1().constData());
        QVERIFY(!fromEnvironment);
        messages.append(fromEnvironment.error().message);
        const auto fromFile = Config::load({{QStringLiteral("config"), file}});
        QVERIFY(!fromFile);
        messages.append(fromFile.error().message);
        for (const QString &message : std::as_const(messages)) {
            QVERIFY2(message.contains(name), qPrintable(message));
            QVERIFY2(message.contains(QLatin1String("must")), qPrintable(message)); // the rule
            QVERIFY2(!message.contains(secret), qPrintable(message));
        }
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

    void connectionSettings()
    {
        const auto defaults = Config::load({});
        QVERIFY(defaults);
        QVERIFY(!defaults->metricsListenEnabled());
        QCOMPARE(defaults->maxConnectionsPerIp, 200);
        QCOMPARE(defaults->maxConnections, 0); // automatic
        QCOMPARE(defaults->httpIdleTimeoutSeconds, 30);

        qputenv("FLIPPDEAL_METRICS_LISTEN", "[::1]:9100");
        const auto config =
            Config::load({{QStringLiteral("max-connections-per-ip"), QStringLiteral("0")},
                          {QStringLiteral("max-connections"), QStringLiteral("5000")},
                          {QStringLiteral("http-idle-timeout"), QStringLiteral("5")}});
        qunsetenv("FLIPPDEAL_METRICS_LISTEN");
        QVERIFY(config);
        QVERIFY(config->metricsListenEnabled());
        QCOMPARE(config->metricsListenAddress, QHostAddress(QHostAddress::LocalHostIPv6));
        QCOMPARE(config->metricsListenPort, quint16(9100));
        QCOMPARE(config->maxConnectionsPerIp, 0);
        QCOMPARE(config->maxConnections, 5000);
        QCOMPARE(config->httpIdleTimeoutSeconds, 5);

        for (const auto &[name, value] :
             {std::pair{"metrics-listen", "9100"}, std::pair{"max-connections-per-ip", "-1"},
              std::pair{"max-connections", "many"}, std::pair{"http-idle-timeout", "0"}}) {
            const auto bad = Config::load({{QLatin1String(name), QLatin1String(value)}});
            QVERIFY2(!bad, name);
            QVERIFY(bad.error().message.contains(QLatin1String(name)));
        }
    }
};

QTEST_GUILESS_MAIN(TestConfig)
#include "tst_config.moc"
