// SPDX-License-Identifier: MIT
// The dispatcher: finds the command, parses its options and the configuration, and runs it.
// The commands themselves are in commands/, one file per group.
#include "app/commands.h"

#include "app/commands/commandgroups.h"
#include "auth/passwordhasher.h"
#include "core/logging.h"

#include <QCoreApplication>

#include <algorithm>

namespace flippdeal::server {

namespace {

using namespace cli;

//! Every command, in the order the overview lists them.
QList<Command> commands()
{
    return {serveCommand(),
            migrateCommand(),
            userCreateCommand(),
            demoSeedCommand(),
            queueWorkCommand(),
            queueFailedCommand(),
            queueRetryCommand(),
            queueMonitorCommand(),
            userListCommand(),
            userBanCommand(),
            escrowResolveCommand(),
            statsCommand(),
            auctionsCountdownsCommand()};
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

//! `flippdeal-server`, `--help` and `--version`: an exit code, or nothing for a command.
std::optional<int> runWithoutCommand(const QString &commandName)
{
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
    return std::nullopt;
}

//! The options every command takes (--help, --config, one per setting), then its own.
void addOptions(QCommandLineParser &parser, const Command &command)
{
    parser.setApplicationDescription(command.summary);
    parser.addHelpOption();
    parser.addOption({QStringLiteral("config"),
                      QStringLiteral("INI config file (keys as the options below)."),
                      QStringLiteral("file")});
    for (const QString &name : Config::settingNames())
        parser.addOption({name, Config::describe(name), QStringLiteral("value")});
    command.addOptions(parser);
}

//! A usage error's exit code when there are too many or too few positional arguments.
std::optional<int> checkPositionals(const Command &command, const QCommandLineParser &parser)
{
    const qsizetype positionals =
        command.positional.isEmpty() ? 0 : command.positional.split(QLatin1Char(' ')).size();
    if (parser.positionalArguments().size() > positionals)
        return usageError(QStringLiteral("unexpected argument '%1'")
                              .arg(parser.positionalArguments().value(positionals)));
    if (parser.positionalArguments().size() < positionals)
        return usageError(QStringLiteral("%1 needs: %2").arg(command.name, command.positional));
    return std::nullopt;
}

//! Loads the configuration (options over the config file over the environment) and runs.
int runWithConfig(const Command &command, QCommandLineParser &parser)
{
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
    return command.run(parser, *config);
}

} // namespace

int runCommandLine(const QStringList &arguments)
{
    const QString commandName = arguments.value(1);
    if (const auto exitCode = runWithoutCommand(commandName))
        return *exitCode;
    const QList<Command> all = commands();
    const auto command = std::find_if(all.cbegin(), all.cend(),
                                      [&](const Command &c) { return c.name == commandName; });
    if (command == all.cend())
        return usageError(QStringLiteral("unknown command '%1' (try --help)").arg(commandName));

    QCommandLineParser parser;
    addOptions(parser, *command);
    QStringList args = arguments;
    args.removeAt(1);
    args[0] = QStringLiteral("flippdeal-server ") + commandName;
    if (!parser.parse(args))
        return usageError(parser.errorText());
    if (parser.isSet(QStringLiteral("help"))) {
        std::fputs(qPrintable(parser.helpText()), stdout);
        return ExitOk;
    }
    if (const auto exitCode = checkPositionals(*command, parser))
        return *exitCode;
    return runWithConfig(*command, parser);
}

} // namespace flippdeal::server
