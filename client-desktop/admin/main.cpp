// SPDX-License-Identifier: MIT
// flippdeal-admin: the operations console of FlippDeal Live (docs/admin.md).
#include "adminconsole.h"
#include "mainwindow.h"
#include "signinpage.h"

#include "session.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>
#include <QRegularExpression>
#include <QSettings>
#include <QTimer>

#include <cstdio>

using namespace flippdeal;

namespace {

int usageError(const QString &message)
{
    std::fprintf(stderr, "flippdeal-admin: %s\n", qPrintable(message));
    return 2;
}

} // namespace

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("FlippDeal"));
    QApplication::setApplicationName(QStringLiteral("flippdeal-admin"));
    QApplication::setApplicationDisplayName(QStringLiteral("FlippDeal Live Admin"));
    QApplication::setApplicationVersion(QStringLiteral(FLIPPDEAL_VERSION));
    QApplication::setDesktopFileName(QStringLiteral("flippdeal-admin"));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/flippdeal-admin.svg")));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "FlippDeal Live Admin: live figures, users, channels, jobs, disputed escrows, auctions "
        "and announcements, for accounts with the admin role."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption serverOption(QStringLiteral("server"),
                                          QStringLiteral("Server address to sign in to."),
                                          QStringLiteral("url"));
    const QCommandLineOption emailOption(QStringLiteral("email"),
                                         QStringLiteral("Sign in with this email."),
                                         QStringLiteral("email"));
    const QCommandLineOption passwordOption(
        QStringLiteral("password"),
        QStringLiteral("Sign in with this password (for demos; prefer the sign-in form)."),
        QStringLiteral("password"));
    const QCommandLineOption profileOption(
        QStringLiteral("profile"),
        QStringLiteral("Keep settings apart under this name (one per account on one machine)."),
        QStringLiteral("name"));
    const QCommandLineOption screenshotsOption(
        QStringLiteral("screenshots"),
        QStringLiteral("Sign in, save admin-<tab>.png of every tab into <dir>, and quit."),
        QStringLiteral("dir"));
    const QCommandLineOption sizeOption(QStringLiteral("size"),
                                        QStringLiteral("Initial window size, e.g. 1280x720."),
                                        QStringLiteral("WxH"));
    const QCommandLineOption pollOption(
        QStringLiteral("poll-interval"),
        QStringLiteral("Milliseconds between dashboard updates (default 2000)."),
        QStringLiteral("ms"), QStringLiteral("2000"));
    parser.addOptions({serverOption, emailOption, passwordOption, profileOption, screenshotsOption,
                       sizeOption, pollOption});
    parser.process(app);
    if (!parser.positionalArguments().isEmpty())
        return usageError(QStringLiteral("unexpected argument '%1'; see --help")
                              .arg(parser.positionalArguments().first()));
    if (parser.isSet(serverOption) &&
        client::Session::normalizeServerUrl(parser.value(serverOption)).isEmpty())
        return usageError(QStringLiteral("--server must be an http:// or https:// address"));
    if (parser.isSet(emailOption) != parser.isSet(passwordOption))
        return usageError(QStringLiteral("--email and --password go together"));
    QSize size;
    if (parser.isSet(sizeOption)) {
        static const QRegularExpression sizePattern(QStringLiteral("^(\\d{3,4})x(\\d{3,4})$"));
        const auto match = sizePattern.match(parser.value(sizeOption));
        if (!match.hasMatch())
            return usageError(QStringLiteral("--size must look like 1280x720"));
        size = QSize(match.captured(1).toInt(), match.captured(2).toInt());
    }
    bool pollOk = false;
    const int pollMs = parser.value(pollOption).toInt(&pollOk);
    if (!pollOk || pollMs < 250 || pollMs > 60000)
        return usageError(QStringLiteral("--poll-interval must be from 250 to 60000"));
    const QString profile = parser.value(profileOption);
    static const QRegularExpression profilePattern(QStringLiteral("^[A-Za-z0-9_-]{0,40}$"));
    if (!profilePattern.match(profile).hasMatch())
        return usageError(QStringLiteral("--profile may use letters, digits, - and _ only"));

    QSettings settings(QSettings::IniFormat, QSettings::UserScope, QStringLiteral("FlippDeal"),
                       profile.isEmpty() ? QStringLiteral("flippdeal-admin")
                                         : QStringLiteral("flippdeal-admin-") + profile);
    admin::AdminConsole console(settings, QStringLiteral("FlippDeal Live Admin"));
    console.setPollInterval(pollMs);

    admin::MainWindow window(console);
    if (size.isValid())
        window.resize(size.expandedTo(window.minimumSize()));
    const QString server = parser.isSet(serverOption)
                               ? client::Session::normalizeServerUrl(parser.value(serverOption))
                               : console.serverUrl();
    window.signInPage()->setServer(server.isEmpty() ? QStringLiteral("http://127.0.0.1:6001")
                                                    : server);
    if (parser.isSet(emailOption))
        window.signInPage()->setEmail(parser.value(emailOption));
    window.show();

    client::Session &session = console.session();
    if (parser.isSet(emailOption)) {
        const QString email = parser.value(emailOption).trimmed().toLower();
        const QString password = parser.value(passwordOption);
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

    if (parser.isSet(screenshotsOption)) {
        // A few polls give the sparklines a line to draw.
        const int polls = std::max(2, 6000 / pollMs);
        window.takeScreenshots(parser.value(screenshotsOption), polls,
                               [](int code) { QCoreApplication::exit(code); });
    }
    return app.exec();
}
