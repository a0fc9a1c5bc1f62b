// SPDX-License-Identifier: MIT
// flippdeal-admin: the operations console of FlippDeal Live (docs/admin.md).
#include "adminconsole.h"
#include "mainwindow.h"
#include "signinpage.h"

#include "commandline.h"
#include "session.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>
#include <QSettings>
#include <QTimer>

using namespace flippdeal;

namespace {

void setUpApplication()
{
    QApplication::setOrganizationName(QStringLiteral("FlippDeal"));
    QApplication::setApplicationName(QStringLiteral("flippdeal-admin"));
    QApplication::setApplicationDisplayName(QStringLiteral("FlippDeal Live Admin"));
    QApplication::setApplicationVersion(QStringLiteral(FLIPPDEAL_VERSION));
    QApplication::setDesktopFileName(QStringLiteral("flippdeal-admin"));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/flippdeal-admin.svg")));
}

//! Signs in with the command line's credentials, or restores the kept session.
void signIn(admin::AdminConsole &console, const client::ClientCommandLine &commandLine,
            const QString &server)
{
    client::Session &session = console.session();
    if (commandLine.hasCredentials()) {
        const QString email = commandLine.email().trimmed().toLower();
        const QString password = commandLine.password();
        const QString target = server.isEmpty() ? session.serverUrl() : server;
        if (session.email() == email && session.serverUrl() == target) {
            // The same account: use the kept token, and the password only if it is gone.
            auto tried = std::make_shared<bool>(false);
            QObject::connect(&console, &admin::AdminConsole::statusChanged, &console,
                             [&console, target, email, password, tried] {
                                 if (console.status() == admin::AdminConsole::Status::SignedOut &&
                                     console.errorString() !=
                                         admin::AdminConsole::notAdministratorMessage() &&
                                     !*tried) {
                                     *tried = true;
                                     console.signIn(target, email, password);
                                 }
                             });
            console.restore();
        } else {
            console.signIn(target, email, password);
        }
    } else {
        console.restore();
    }
}

} // namespace

int main(int argc, char *argv[])
{
    if (const auto exitCode =
            client::ClientCommandLine::checkDisplay(argc, argv, "flippdeal-admin"))
        return *exitCode;
    QApplication app(argc, argv);
    setUpApplication();

    client::ClientCommandLine commandLine(
        QStringLiteral("FlippDeal Live Admin: live figures, users, channels, jobs, disputed "
                       "escrows, auctions and announcements, for accounts with the admin role."),
        QStringLiteral("Sign in, save admin-<tab>.png of every tab into <dir>, and quit."));
    QCommandLineParser &parser = commandLine.parser();
    const QCommandLineOption pollOption(
        QStringLiteral("poll-interval"),
        QStringLiteral("Milliseconds between dashboard updates (default 2000)."),
        QStringLiteral("ms"), QStringLiteral("2000"));
    parser.addOption(pollOption);
    if (const auto exitCode = commandLine.process(app))
        return *exitCode;
    bool pollOk = false;
    const int pollMs = parser.value(pollOption).toInt(&pollOk);
    if (!pollOk || pollMs < 250 || pollMs > 60000)
        return commandLine.usageError(QStringLiteral("--poll-interval must be from 250 to 60000"));

    const std::unique_ptr<QSettings> settingsFile = commandLine.settings();
    QSettings &settings = *settingsFile;
    admin::AdminConsole console(settings, QStringLiteral("FlippDeal Live Admin"));
    console.setPollInterval(pollMs);

    admin::MainWindow window(console);
    if (commandLine.size().isValid())
        window.resize(commandLine.size().expandedTo(window.minimumSize()));
    const QString server =
        commandLine.server().isEmpty() ? console.serverUrl() : commandLine.server();
    window.signInPage()->setServer(server.isEmpty() ? QStringLiteral("http://127.0.0.1:6001")
                                                    : server);
    if (commandLine.hasCredentials())
        window.signInPage()->setEmail(commandLine.email());
    window.show();

    signIn(console, commandLine, server);

    if (commandLine.wantsScreenshots()) {
        // A few polls give the sparklines a line to draw.
        const int polls = std::max(2, 6000 / pollMs);
        window.takeScreenshots(commandLine.screenshotsDir(), polls,
                               [](int code) { QCoreApplication::exit(code); });
    }
    return app.exec();
}
