// SPDX-License-Identifier: MIT
#include "app/commands.h"

#include "app/demoseed.h"
#include "app/serverapp.h"
#include "auth/accountservice.h"
#include "auth/passwordhasher.h"
#include "core/logging.h"
#include "core/shutdown.h"
#include "storage/database.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QTextStream>

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

QList<Command> commands()
{
    return {
        {QStringLiteral("serve"),
         QStringLiteral("Run the server: HTTP API and WebSocket gateway on one port."),
         [](QCommandLineParser &) {}, serve},
        {QStringLiteral("migrate"), QStringLiteral("Create or update the database schema."),
         [](QCommandLineParser &) {}, migrate},
        {QStringLiteral("user:create"), QStringLiteral("Create a user account."),
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
         [](QCommandLineParser &p) {
             p.addOption({QStringLiteral("password"), QStringLiteral("Password of the demo users."),
                          QStringLiteral("password"), QStringLiteral("demo-password")});
         },
         demoSeed},
    };
}

QString overview()
{
    QString text = QStringLiteral(
        "Usage: flippdeal-server <command> [options]\n\n"
        "FlippDeal Live: real-time messaging and notifications for the FlippDeal marketplace.\n\n"
        "Commands:\n");
    for (const Command &c : commands())
        text += QStringLiteral("  %1%2\n").arg(c.name, -14).arg(c.summary);
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
    if (!parser.positionalArguments().isEmpty())
        return usageError(
            QStringLiteral("unexpected argument '%1'").arg(parser.positionalArguments().first()));

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
