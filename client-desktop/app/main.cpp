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

int main(int argc, char *argv[])
{
    if (const auto exitCode =
            client::ClientCommandLine::checkDisplay(argc, argv, "flippdeal-desktop"))
        return *exitCode;
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("FlippDeal"));
    QApplication::setApplicationName(QStringLiteral("flippdeal-desktop"));
    QApplication::setApplicationDisplayName(QStringLiteral("FlippDeal Live"));
    QApplication::setApplicationVersion(QStringLiteral(FLIPPDEAL_VERSION));
    QApplication::setDesktopFileName(QStringLiteral("flippdeal-desktop"));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/flippdeal.svg")));

    client::ClientCommandLine commandLine(
        QStringLiteral("FlippDeal Live: chat, notifications and live auctions."),
        QStringLiteral("Sign in, save screenshots of each screen into <dir>, and quit."));
    QCommandLineParser &parser = commandLine.parser();
    const QCommandLineOption keyOption(
        QStringLiteral("app-key"),
        QStringLiteral("The server's app key (default: %1).").arg(QStringLiteral("flippdeal-key")),
        QStringLiteral("key"), QStringLiteral("flippdeal-key"));
    const QCommandLineOption schemeOption(QStringLiteral("color-scheme"),
                                          QStringLiteral("system, light or dark."),
                                          QStringLiteral("scheme"));
    parser.addOptions({keyOption, schemeOption});
    if (const auto exitCode = commandLine.process(app))
        return *exitCode;
    const auto scheme = parser.isSet(schemeOption)
                            ? client::AppContext::colorSchemeFromName(parser.value(schemeOption))
                            : std::nullopt;
    if (parser.isSet(schemeOption) && !scheme)
        return commandLine.usageError(
            QStringLiteral("--color-scheme must be system, light or dark"));

    const std::unique_ptr<QSettings> settingsFile = commandLine.settings();
    QSettings &settings = *settingsFile;
    client::AppContext context(settings, parser.value(keyOption), QStringLiteral("FlippDeal Live"));
    if (scheme)
        context.setColorScheme(*scheme);
    desktop::TrayController tray(context);

    QQuickStyle::setStyle(QStringLiteral("Basic"));
    QQmlApplicationEngine engine;
    engine.addImportPath(QStringLiteral("qrc:/")); // the FlippDeal.* modules are compiled in
    engine.setInitialProperties(
        {{QStringLiteral("app"), QVariant::fromValue(&context)},
         {QStringLiteral("tray"), QVariant::fromValue(&tray)},
         {QStringLiteral("initialServer"), commandLine.server().isEmpty()
                                               ? context.session()->serverUrl()
                                               : commandLine.server()}});
    QObject::connect(
        &engine, &QQmlApplicationEngine::objectCreationFailed, &app,
        [] { QCoreApplication::exit(1); }, Qt::QueuedConnection);
    engine.load(QUrl(QStringLiteral("qrc:/FlippDeal/App/Main.qml")));
    if (engine.rootObjects().isEmpty())
        return 1;
    auto *window = qobject_cast<QQuickWindow *>(engine.rootObjects().constFirst());
    if (commandLine.size().isValid())
        window->resize(commandLine.size().expandedTo(window->minimumSize()));
    QObject::connect(&tray, &desktop::TrayController::showWindowRequested, window, [window] {
        window->show();
        window->raise();
        window->requestActivate();
    });

    client::Session *session = context.session();
    if (commandLine.hasCredentials()) {
        const QString server =
            commandLine.server().isEmpty() ? session->serverUrl() : commandLine.server();
        const QString email = commandLine.email();
        const QString password = commandLine.password();
        if (session->email() == email.trimmed().toLower() && session->serverUrl() == server) {
            // The same account: use the kept token, and the password only if it is gone.
            auto tried = std::make_shared<bool>(false);
            QObject::connect(session, &client::Session::statusChanged, session,
                             [session, server, email, password, tried] {
                                 if (session->status() == client::Session::Status::SignedOut && !*tried) {
                                     *tried = true;
                                     session->signIn(server, email, password);
                                 }
                             });
            session->restore();
        } else {
            session->signIn(server, email, password);
        }
    } else {
        session->restore();
    }

    std::unique_ptr<desktop::ScreenshotTour> tour;
    if (commandLine.wantsScreenshots())
        tour = std::make_unique<desktop::ScreenshotTour>(context, *window,
                                                         commandLine.screenshotsDir());
    return app.exec();
}
