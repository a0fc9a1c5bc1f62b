// SPDX-License-Identifier: MIT
// flippdeal-desktop: the buyers' and sellers' desktop client (QML user interface in ../../qml).
#include "appcontext.h"
#include "commandline.h"
#include "screenshottour.h"
#include "session.h"
#include "traycontroller.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>
#include <QQmlApplicationEngine>
#include <QQmlExtensionPlugin>
#include <QQuickStyle>
#include <QQuickWindow>
#include <QSettings>

Q_IMPORT_QML_PLUGIN(FlippDeal_CorePlugin)
Q_IMPORT_QML_PLUGIN(FlippDeal_StylePlugin)
Q_IMPORT_QML_PLUGIN(FlippDeal_SessionPlugin)
Q_IMPORT_QML_PLUGIN(FlippDeal_ChatPlugin)
Q_IMPORT_QML_PLUGIN(FlippDeal_NotificationsPlugin)
Q_IMPORT_QML_PLUGIN(FlippDeal_AuctionPlugin)
Q_IMPORT_QML_PLUGIN(FlippDeal_AppPlugin)

using namespace flippdeal;

namespace {

void setApplicationIdentity()
{
    QApplication::setOrganizationName(QStringLiteral("FlippDeal"));
    QApplication::setApplicationName(QStringLiteral("flippdeal-desktop"));
    QApplication::setApplicationDisplayName(QStringLiteral("FlippDeal Live"));
    QApplication::setApplicationVersion(QStringLiteral(FLIPPDEAL_VERSION));
    QApplication::setDesktopFileName(QStringLiteral("flippdeal-desktop"));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/flippdeal.svg")));
}

//! The options only flippdeal-desktop has, on top of ClientCommandLine's.
struct DesktopOptions
{
    QCommandLineOption appKey{
        QStringLiteral("app-key"),
        QStringLiteral("The server's app key (default: %1).").arg(QStringLiteral("flippdeal-key")),
        QStringLiteral("key"), QStringLiteral("flippdeal-key")};
    QCommandLineOption colorScheme{QStringLiteral("color-scheme"),
                                   QStringLiteral("system, light or dark."),
                                   QStringLiteral("scheme")};
};

//! Loads Main.qml with its initial properties; null if it failed.
QQuickWindow *loadWindow(QQmlApplicationEngine &engine, client::AppContext &context,
                         desktop::TrayController &tray, const QString &initialServer)
{
    QQuickStyle::setStyle(QStringLiteral("Basic"));
    engine.addImportPath(QStringLiteral("qrc:/")); // the FlippDeal.* modules are compiled in
    engine.setInitialProperties({{QStringLiteral("app"), QVariant::fromValue(&context)},
                                 {QStringLiteral("tray"), QVariant::fromValue(&tray)},
                                 {QStringLiteral("initialServer"), initialServer}});
    QObject::connect(
        &engine, &QQmlApplicationEngine::objectCreationFailed, &engine,
        [] { QCoreApplication::exit(1); }, Qt::QueuedConnection);
    engine.load(QUrl(QStringLiteral("qrc:/FlippDeal/App/Main.qml")));
    if (engine.rootObjects().isEmpty())
        return nullptr;
    return qobject_cast<QQuickWindow *>(engine.rootObjects().constFirst());
}

//! Signs in with --email/--password if given (through the kept token when it is the same
//! account, and the password only if that token is gone), else restores the last session.
void startSession(client::Session &session, const client::ClientCommandLine &commandLine)
{
    if (!commandLine.hasCredentials()) {
        session.restore();
        return;
    }
    const QString server =
        commandLine.server().isEmpty() ? session.serverUrl() : commandLine.server();
    const QString email = commandLine.email();
    const QString password = commandLine.password();
    if (session.email() != email.trimmed().toLower() || session.serverUrl() != server) {
        session.signIn(server, email, password);
        return;
    }
    auto tried = std::make_shared<bool>(false);
    QObject::connect(&session, &client::Session::statusChanged, &session,
                     [&session, server, email, password, tried] {
                         if (session.status() == client::Session::Status::SignedOut && !*tried) {
                             *tried = true;
                             session.signIn(server, email, password);
                         }
                     });
    session.restore();
}

} // namespace

int main(int argc, char *argv[])
{
    if (const auto exitCode =
            client::ClientCommandLine::checkDisplay(argc, argv, "flippdeal-desktop"))
        return *exitCode;
    QApplication app(argc, argv);
    setApplicationIdentity();

    client::ClientCommandLine commandLine(
        QStringLiteral("FlippDeal Live: chat, notifications and live auctions."),
        QStringLiteral("Sign in, save screenshots of each screen into <dir>, and quit."));
    const DesktopOptions options;
    commandLine.parser().addOptions({options.appKey, options.colorScheme});
    if (const auto exitCode = commandLine.process(app))
        return *exitCode;
    const QCommandLineParser &parser = commandLine.parser();
    const bool schemeGiven = parser.isSet(options.colorScheme);
    const auto scheme =
        schemeGiven ? client::AppContext::colorSchemeFromName(parser.value(options.colorScheme))
                    : std::nullopt;
    if (schemeGiven && !scheme)
        return commandLine.usageError(
            QStringLiteral("--color-scheme must be system, light or dark"));

    const std::unique_ptr<QSettings> settings = commandLine.settings();
    client::AppContext context(*settings, parser.value(options.appKey),
                               QStringLiteral("FlippDeal Live"));
    if (scheme)
        context.setColorScheme(*scheme);
    desktop::TrayController tray(context);

    QQmlApplicationEngine engine;
    QQuickWindow *window = loadWindow(
        engine, context, tray,
        commandLine.server().isEmpty() ? context.session()->serverUrl() : commandLine.server());
    if (!window)
        return 1;
    if (commandLine.size().isValid())
        window->resize(commandLine.size().expandedTo(window->minimumSize()));
    QObject::connect(&tray, &desktop::TrayController::showWindowRequested, window, [window] {
        window->show();
        window->raise();
        window->requestActivate();
    });

    startSession(*context.session(), commandLine);
    std::unique_ptr<desktop::ScreenshotTour> tour;
    if (commandLine.wantsScreenshots())
        tour = std::make_unique<desktop::ScreenshotTour>(context, *window,
                                                         commandLine.screenshotsDir());
    return app.exec();
}
