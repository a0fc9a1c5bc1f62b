// SPDX-License-Identifier: MIT
#include "app/commands.h"

#include "app/demoseed.h"
#include "app/serverapp.h"
#include "auth/accountservice.h"
#include "auth/passwordhasher.h"
#include "core/logging.h"
#include "core/shutdown.h"
#include "jobs/jobqueue.h"
#include "storage/database.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTextStream>

#include "protocol/timeformat.h"

#include <cstdio>
#include <functional>

namespace flippdeal::server {

namespace {

constexpr int ExitOk = 0;
constexpr int ExitFailure = 1;
constexpr int ExitUsage = 2;

void printLine(FILE *stream, const QString &line)
{
    std::fputs(qPrintable(line + QLatin1Char('\n')), stream);
    std::fflush(stream);
}

int usageError(const QString &message)
{
    printLine(stderr, QStringLiteral("flippdeal-server: ") + message);
    return ExitUsage;
}

int failure(const QString &message)
{
    printLine(stderr, QStringLiteral("flippdeal-server: ") + message);
    return ExitFailure;
}

struct Command
{
    QString name;
    QString summary;
    QString positional; //!< name of the one positional argument it takes, if any
    std::function<void(QCommandLineParser &)> addOptions;
    std::function<int(QCommandLineParser &, Config &)> run;
};

int serve(QCommandLineParser &, Config &config)
{
    if (auto error = config.ensureSecret())
        return failure(*error);
    ServerApp app(config);
    if (!app.open() || !app.listen())
        return failure(app.errorString());
    ShutdownSignals signalHandler;
    QObject::connect(&signalHandler, &ShutdownSignals::shutdownRequested, &app,
                     &ServerApp::shutdown);
    QObject::connect(&app, &ServerApp::stopped, qApp, [] { QCoreApplication::exit(ExitOk); });
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

int userCreate(QCommandLineParser &parser, Config &config)
{
    const QString name = parser.value(QStringLiteral("name"));
    const QString email = parser.value(QStringLiteral("email"));
    QString password = parser.value(QStringLiteral("password"));
    if (parser.isSet(QStringLiteral("password-stdin"))) {
        QTextStream in(stdin);
        password = in.readLine();
    }
    if (name.isEmpty() || email.isEmpty() || password.isEmpty())
        return usageError(QStringLiteral(
            "user:create needs --name, --email and --password (or --password-stdin)"));
    ServerApp app(config);
    if (!app.open())
        return failure(app.errorString());
    const QString role =
        parser.isSet(QStringLiteral("admin")) ? QStringLiteral("admin") : QStringLiteral("user");
    const auto user = app.accounts().createUserBlocking(name, email, password, role);
    if (!user) {
        if (user.error().status == 422)
            return usageError(user.error().message);
        return failure(user.error().message);
    }
    printLine(stdout, QStringLiteral("Created %1 %2 <%3> with id %4.")
                          .arg(role, user->name, user->email)
                          .arg(user->id));
    return ExitOk;
}

int demoSeed(QCommandLineParser &parser, Config &config)
{
    ServerApp app(config);
    if (!app.open())
        return failure(app.errorString());
    QString report;
    if (!seedDemoData(app, parser.value(QStringLiteral("password")), &report))
        return failure(report);
    printLine(stdout, report);
    return ExitOk;
}

//! Runs `app` until SIGTERM/SIGINT (for the long-running worker commands).
int runUntilSignalled(ServerApp &app)
{
    ShutdownSignals signalHandler;
    QObject::connect(&signalHandler, &ShutdownSignals::shutdownRequested, &app,
                     &ServerApp::shutdown);
    QObject::connect(&app, &ServerApp::stopped, qApp, [] { QCoreApplication::exit(ExitOk); });
    return QCoreApplication::exec();
}

void printTable(const QStringList &headers, const QList<QStringList> &rows)
{
    QList<qsizetype> widths;
    for (const QString &h : headers)
        widths.append(h.size());
    for (const QStringList &row : rows) {
        for (qsizetype i = 0; i < row.size() && i < widths.size(); ++i)
            widths[i] = std::max(widths[i], std::min<qsizetype>(row[i].size(), 60));
    }
    auto line = [&](const QStringList &cells) {
        QString text;
        for (qsizetype i = 0; i < cells.size(); ++i)
            text += cells[i].left(60).leftJustified(widths[i] + 2);
        printLine(stdout, text.trimmed());
    };
    line(headers);
    QStringList rule;
    for (const qsizetype w : std::as_const(widths))
        rule.append(QString(w, QLatin1Char('-')));
    line(rule);
    for (const QStringList &row : rows)
        line(row);
}

int queueWork(QCommandLineParser &parser, Config &config)
{
    ServerApp app(config);
    if (!app.open())
        return failure(app.errorString());
    if (parser.isSet(QStringLiteral("once"))) {
        const int ran = app.worker().runAvailable(1000);
        printLine(stdout, QStringLiteral("Ran %1 job(s).").arg(ran));
        return ExitOk;
    }
    app.startWorker();
    printLine(stdout, QStringLiteral("Working the queue; Ctrl-C or SIGTERM stops."));
    return runUntilSignalled(app);
}

int queueFailed(QCommandLineParser &parser, Config &config)
{
    ServerApp app(config);
    if (!app.open())
        return failure(app.errorString());
    const QList<FailedJob> failed = app.jobs().failedJobs(500);
    if (parser.isSet(QStringLiteral("json"))) {
        QJsonArray array;
        for (const FailedJob &job : failed)
            array.append(job.toJson());
        printLine(stdout, QString::fromUtf8(QJsonDocument(array).toJson(QJsonDocument::Compact)));
        return ExitOk;
    }
    if (failed.isEmpty()) {
        printLine(stdout, QStringLiteral("No failed jobs."));
        return ExitOk;
    }
    QList<QStringList> rows;
    for (const FailedJob &job : failed) {
        rows.append({QString::number(job.id), job.type, QString::number(job.attempts),
                     protocol::isoUtc(job.failedAt), job.error});
    }
    printTable({QStringLiteral("ID"), QStringLiteral("TYPE"), QStringLiteral("ATTEMPTS"),
                QStringLiteral("FAILED AT"), QStringLiteral("ERROR")},
               rows);
    return ExitOk;
}

int queueRetry(QCommandLineParser &parser, Config &config)
{
    const QString which = parser.positionalArguments().value(0);
    qint64 id = 0;
    if (which != QLatin1String("all")) {
        bool ok = false;
        id = which.toLongLong(&ok);
        if (!ok || id <= 0)
            return usageError(
                QStringLiteral("queue:retry needs a failed job ID or 'all', not '%1'").arg(which));
    }
    ServerApp app(config);
    if (!app.open())
        return failure(app.errorString());
    const auto moved = app.jobs().retry(id);
    if (!moved)
        return moved.error().status == 404 ? usageError(moved.error().message)
                                           : failure(moved.error().message);
    if (parser.isSet(QStringLiteral("json")))
        printLine(stdout, QStringLiteral("{\"retried\":%1}").arg(*moved));
    else
        printLine(stdout, QStringLiteral("Queued %1 job(s) again.").arg(*moved));
    return ExitOk;
}

int queueMonitor(QCommandLineParser &parser, Config &config)
{
    ServerApp app(config);
    if (!app.open())
        return failure(app.errorString());
    const QueueStats stats = app.jobs().stats(protocol::nowMs());
    if (parser.isSet(QStringLiteral("json"))) {
        printLine(stdout, QString::fromUtf8(
                              QJsonDocument(QJsonObject{{QLatin1String("ready"), stats.ready},
                                                        {QLatin1String("delayed"), stats.delayed},
                                                        {QLatin1String("reserved"), stats.reserved},
                                                        {QLatin1String("failed"), stats.failed}})
                                  .toJson(QJsonDocument::Compact)));
        return ExitOk;
    }
    printTable(
        {QStringLiteral("QUEUE"), QStringLiteral("READY"), QStringLiteral("DELAYED"),
         QStringLiteral("RESERVED"), QStringLiteral("FAILED")},
        {{QStringLiteral("default"), QString::number(stats.ready), QString::number(stats.delayed),
          QString::number(stats.reserved), QString::number(stats.failed)}});
    return ExitOk;
}

int auctionsCountdowns(QCommandLineParser &parser, Config &config)
{
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

QList<Command> commands()
{
    return {
        {QStringLiteral("serve"),
         QStringLiteral("Run the server: HTTP API, WebSocket gateway, job worker and auction "
                        "scheduler on one port."),
         {},
         [](QCommandLineParser &) {},
         serve},
        {QStringLiteral("migrate"),
         QStringLiteral("Create or update the database schema."),
         {},
         [](QCommandLineParser &) {},
         migrate},
        {QStringLiteral("user:create"),
         QStringLiteral("Create a user account."),
         {},
         [](QCommandLineParser &p) {
             p.addOption(
                 {QStringLiteral("name"), QStringLiteral("Display name."), QStringLiteral("name")});
             p.addOption({QStringLiteral("email"), QStringLiteral("Email address (the login)."),
                          QStringLiteral("email")});
             p.addOption({QStringLiteral("password"), QStringLiteral("Password (8+ characters)."),
                          QStringLiteral("password")});
             p.addOption({QStringLiteral("password-stdin"),
                          QStringLiteral("Read the password from the first line of stdin.")});
             p.addOption(
                 {QStringLiteral("admin"), QStringLiteral("Give the user the admin role.")});
         },
         userCreate},
        {QStringLiteral("demo:seed"),
         QStringLiteral("Add demo users, domains, a live auction and a conversation."),
         {},
         [](QCommandLineParser &p) {
             p.addOption({QStringLiteral("password"), QStringLiteral("Password of the demo users."),
                          QStringLiteral("password"), QStringLiteral("demo-password")});
         },
         demoSeed},
        {QStringLiteral("queue:work"),
         QStringLiteral("Run queued jobs (payouts, ...) until stopped."),
         {},
         [](QCommandLineParser &p) {
             p.addOption({QStringLiteral("once"), QStringLiteral("Run what is ready, then exit.")});
         },
         queueWork},
        {QStringLiteral("queue:failed"),
         QStringLiteral("List jobs that used up their attempts."),
         {},
         [](QCommandLineParser &p) {
             p.addOption({QStringLiteral("json"), QStringLiteral("JSON for scripts.")});
         },
         queueFailed},
        {QStringLiteral("queue:retry"),
         QStringLiteral("Queue a failed job again: queue:retry ID|all."), QStringLiteral("id"),
         [](QCommandLineParser &p) {
             p.addPositionalArgument(QStringLiteral("id"),
                                     QStringLiteral("A failed job ID, or 'all'."));
             p.addOption({QStringLiteral("json"), QStringLiteral("JSON for scripts.")});
         },
         queueRetry},
        {QStringLiteral("queue:monitor"),
         QStringLiteral("Show how many jobs are ready, delayed, running and failed."),
         {},
         [](QCommandLineParser &p) {
             p.addOption({QStringLiteral("json"), QStringLiteral("JSON for scripts.")});
         },
         queueMonitor},
        {QStringLiteral("auctions:broadcast-countdowns"),
         QStringLiteral(
             "Broadcast auction countdowns and close ended auctions (also part of serve)."),
         {},
         [](QCommandLineParser &p) {
             p.addOption({QStringLiteral("once"), QStringLiteral("One tick, then exit.")});
         },
         auctionsCountdowns},
    };
}

QString overview()
{
    QString text = QStringLiteral(
        "Usage: flippdeal-server <command> [options]\n\n"
        "FlippDeal Live: real-time messaging and notifications for the FlippDeal marketplace.\n\n"
        "Commands:\n");
    for (const Command &c : commands())
        text += QStringLiteral("  %1%2\n").arg(c.name, -32).arg(c.summary);
    text +=
        QStringLiteral("\nRun 'flippdeal-server <command> --help' for the options of a command.\n");
    return text;
}

} // namespace

int runCommandLine(const QStringList &arguments)
{
    const QString commandName = arguments.value(1);
    if (commandName.isEmpty() || commandName == QLatin1String("--help") ||
        commandName == QLatin1String("-h") || commandName == QLatin1String("help")) {
        std::fputs(qPrintable(overview()), commandName.isEmpty() ? stderr : stdout);
        return commandName.isEmpty() ? ExitUsage : ExitOk;
    }
    if (commandName == QLatin1String("--version")) {
        printLine(stdout,
                  QStringLiteral("flippdeal-server ") + QCoreApplication::applicationVersion());
        return ExitOk;
    }
    const QList<Command> all = commands();
    const auto command = std::find_if(all.cbegin(), all.cend(),
                                      [&](const Command &c) { return c.name == commandName; });
    if (command == all.cend())
        return usageError(QStringLiteral("unknown command '%1' (try --help)").arg(commandName));

    QCommandLineParser parser;
    parser.setApplicationDescription(command->summary);
    parser.addHelpOption();
    parser.addOption({QStringLiteral("config"),
                      QStringLiteral("INI config file (keys as the options below)."),
                      QStringLiteral("file")});
    for (const QString &name : Config::settingNames())
        parser.addOption({name, Config::describe(name), QStringLiteral("value")});
    command->addOptions(parser);

    QStringList args = arguments;
    args.removeAt(1);
    args[0] = QStringLiteral("flippdeal-server ") + commandName;
    if (!parser.parse(args))
        return usageError(parser.errorText());
    if (parser.isSet(QStringLiteral("help"))) {
        std::fputs(qPrintable(parser.helpText()), stdout);
        return ExitOk;
    }
    const qsizetype positionals = command->positional.isEmpty() ? 0 : 1;
    if (parser.positionalArguments().size() > positionals)
        return usageError(QStringLiteral("unexpected argument '%1'")
                              .arg(parser.positionalArguments().value(positionals)));
    if (parser.positionalArguments().size() < positionals)
        return usageError(
            QStringLiteral("%1 needs its %2 argument").arg(command->name, command->positional));

    QMap<QString, QString> options;
    for (const QString &name : Config::settingNames() + QStringList{QStringLiteral("config")}) {
        if (parser.isSet(name))
            options.insert(name, parser.value(name));
    }
    auto config = Config::load(options);
    if (!config)
        return usageError(config.error().message);
    applyLogLevel(config->logLevel);
    if (!passwords::initialize())
        return failure(QStringLiteral("libsodium failed to initialize"));
    return command->run(parser, *config);
}

} // namespace flippdeal::server
