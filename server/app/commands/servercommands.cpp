// SPDX-License-Identifier: MIT
// serve, migrate, demo:seed and auctions:broadcast-countdowns: the commands that need the
// whole ServerApp (or, for migrate, only the database).
#include "app/commands/commandgroups.h"

#include "app/demoseed.h"
#include "app/serverapp.h"
#include "cluster/redisurl.h"
#include "core/logging.h"
#include "core/shutdown.h"
#include "http/tls.h"
#include "storage/database.h"

#include <QCoreApplication>

namespace flippdeal::server::cli {

namespace {

int serve(QCommandLineParser &, Config &config)
{
    if (config.tlsEnabled()) { // a missing, unreadable or mismatched pair is a usage error
        const auto tls = loadTlsConfiguration(config.tlsCertificateFile, config.tlsKeyFile);
        if (!tls)
            return usageError(tls.error().message);
    }
    if (auto error = config.ensureSecret())
        return failure(*error);
    if (const auto code = checkRedis(config))
        return *code;
    ServerApp app(config);
    if (!app.open() || !app.listen())
        return failure(app.errorString());
    ShutdownSignals signalHandler;
    QObject::connect(&signalHandler, &ShutdownSignals::shutdownRequested, &app,
                     &ServerApp::shutdown);
    QObject::connect(&app, &ServerApp::stopped, qApp, [] { QCoreApplication::exit(ExitOk); });
    if (config.metricsListenEnabled())
        printLine(stdout, QStringLiteral("flippdeal-server metrics on %1:%2")
                              .arg(config.metricsListenAddress.toString())
                              .arg(app.metricsPort()));
    // Scripts and tests wait for this exact line (the port is the real one when 0 was asked).
    printLine(stdout, QStringLiteral("flippdeal-server listening on %1:%2")
                          .arg(config.listenAddress.toString())
                          .arg(app.port()));
    qCInfo(lcApp).noquote() << "database"
                            << (config.database.startsWith(QLatin1String("postgres"))
                                    ? QStringLiteral("postgres")
                                    : config.database)
                            << "app id" << config.appId << "key" << config.appKey;
    return QCoreApplication::exec();
}

int migrate(QCommandLineParser &, Config &config)
{
    Database db;
    if (!db.open(config.database))
        return failure(QStringLiteral("cannot open the database: ") + db.errorString());
    if (!db.migrate())
        return failure(db.errorString());
    printLine(stdout, QStringLiteral("Database schema is at version %1.").arg(db.schemaVersion()));
    return ExitOk;
}

int demoSeed(QCommandLineParser &parser, Config &config)
{
    if (const auto code = checkRedis(config))
        return *code;
    ServerApp app(config);
    if (!app.open())
        return failure(app.errorString());
    QString report;
    if (!seedDemoData(app, parser.value(QStringLiteral("password")), &report))
        return failure(report);
    printLine(stdout, report);
    return ExitOk;
}

int auctionsCountdowns(QCommandLineParser &parser, Config &config)
{
    if (const auto code = checkRedis(config))
        return *code;
    ServerApp app(config);
    if (!app.open())
        return failure(app.errorString());
    if (parser.isSet(QStringLiteral("once"))) {
        app.runSchedulerTick();
        return ExitOk;
    }
    app.startScheduler();
    printLine(
        stdout,
        QStringLiteral(
            "Broadcasting auction countdowns and closing auctions; Ctrl-C or SIGTERM stops."));
    return runUntilSignalled(app);
}

} // namespace

std::optional<int> checkRedis(const Config &config)
{
    if (config.redis.isEmpty())
        return std::nullopt;
    const auto url = RedisUrl::parse(config.redis);
    if (!url)
        return usageError(url.error().message);
    const auto version = probeRedis(*url, 3000);
    if (!version)
        return usageError(version.error().message);
    qCInfo(lcApp).noquote() << "cluster: Redis" << *version << "at" << url->display();
    return std::nullopt;
}

int runUntilSignalled(ServerApp &app)
{
    ShutdownSignals signalHandler;
    QObject::connect(&signalHandler, &ShutdownSignals::shutdownRequested, &app,
                     &ServerApp::shutdown);
    QObject::connect(&app, &ServerApp::stopped, qApp, [] { QCoreApplication::exit(ExitOk); });
    return QCoreApplication::exec();
}

Command serveCommand()
{
    return {QStringLiteral("serve"),
            QStringLiteral("Run the server: HTTP API, WebSocket gateway, job worker and auction "
                           "scheduler on one port."),
            {},
            [](QCommandLineParser &) {},
            serve};
}

Command migrateCommand()
{
    return {QStringLiteral("migrate"),
            QStringLiteral("Create or update the database schema."),
            {},
            [](QCommandLineParser &) {},
            migrate};
}

Command demoSeedCommand()
{
    return {QStringLiteral("demo:seed"),
            QStringLiteral("Add demo users, domains, a live auction and a conversation."),
            {},
            [](QCommandLineParser &p) {
                p.addOption({QStringLiteral("password"),
                             QStringLiteral("Password of the demo users."),
                             QStringLiteral("password"), QStringLiteral("demo-password")});
            },
            demoSeed};
}

Command auctionsCountdownsCommand()
{
    return {QStringLiteral("auctions:broadcast-countdowns"),
            QStringLiteral(
                "Broadcast auction countdowns and close ended auctions (also part of serve)."),
            {},
            [](QCommandLineParser &p) {
                p.addOption({QStringLiteral("once"), QStringLiteral("One tick, then exit.")});
            },
            auctionsCountdowns};
}

} // namespace flippdeal::server::cli
