// SPDX-License-Identifier: MIT
// flippdeal-desktop: the buyers' and sellers' desktop client (QML user interface in ../../qml).
#include "appcontext.h"
#include "screenshottour.h"
#include "session.h"
#include "traycontroller.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>
#include <QQmlApplicationEngine>
#include <QQmlContext>
#include <QQmlExtensionPlugin>
#include <QQuickStyle>
#include <QQuickWindow>
#include <QRegularExpression>
#include <QSettings>

#include <cstdio>

Q_IMPORT_QML_PLUGIN(FlippDeal_StylePlugin)
Q_IMPORT_QML_PLUGIN(FlippDeal_SessionPlugin)
Q_IMPORT_QML_PLUGIN(FlippDeal_ChatPlugin)
Q_IMPORT_QML_PLUGIN(FlippDeal_NotificationsPlugin)
Q_IMPORT_QML_PLUGIN(FlippDeal_AuctionPlugin)
Q_IMPORT_QML_PLUGIN(FlippDeal_AppPlugin)

using namespace flippdeal;

namespace {

int usageError(const QString &message)
{
    std::fprintf(stderr, "flippdeal-desktop: %s\n", qPrintable(message));
    return 2;
}

} // namespace

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("FlippDeal"));
    QApplication::setApplicationName(QStringLiteral("flippdeal-desktop"));
    QApplication::setApplicationDisplayName(QStringLiteral("FlippDeal Live"));
    QApplication::setApplicationVersion(QStringLiteral(FLIPPDEAL_VERSION));
    QApplication::setDesktopFileName(QStringLiteral("flippdeal-desktop"));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/flippdeal.svg")));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("FlippDeal Live: chat, notifications and live auctions."));
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
    const QCommandLineOption keyOption(
        QStringLiteral("app-key"),
        QStringLiteral("The server's app key (default: %1).").arg(QStringLiteral("flippdeal-key")),
        QStringLiteral("key"), QStringLiteral("flippdeal-key"));
    const QCommandLineOption schemeOption(QStringLiteral("color-scheme"),
                                          QStringLiteral("system, light or dark."),
                                          QStringLiteral("scheme"));
    const QCommandLineOption screenshotsOption(
        QStringLiteral("screenshots"),
        QStringLiteral("Sign in, save screenshots of each screen into <dir>, and quit."),
        QStringLiteral("dir"));
    const QCommandLineOption sizeOption(QStringLiteral("size"),
                                        QStringLiteral("Initial window size, e.g. 800x600."),
                                        QStringLiteral("WxH"));
    parser.addOptions({serverOption, emailOption, passwordOption, profileOption, keyOption,
                       schemeOption, screenshotsOption, sizeOption});
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
            return usageError(QStringLiteral("--size must look like 800x600"));
        size = QSize(match.captured(1).toInt(), match.captured(2).toInt());
    }
    const QString profile = parser.value(profileOption);
    static const QRegularExpression profilePattern(QStringLiteral("^[A-Za-z0-9_-]{0,40}$"));
    if (!profilePattern.match(profile).hasMatch())
        return usageError(QStringLiteral("--profile may use letters, digits, - and _ only"));
    const QString scheme = parser.value(schemeOption);
    if (!scheme.isEmpty() && scheme != QLatin1String("system") &&
        scheme != QLatin1String("light") && scheme != QLatin1String("dark"))
        return usageError(QStringLiteral("--color-scheme must be system, light or dark"));

    QSettings settings(QSettings::IniFormat, QSettings::UserScope, QStringLiteral("FlippDeal"),
                       profile.isEmpty() ? QStringLiteral("flippdeal-desktop")
                                         : QStringLiteral("flippdeal-desktop-") + profile);
    client::AppContext context(settings, parser.value(keyOption), QStringLiteral("FlippDeal Live"));
    if (!scheme.isEmpty())
        context.setColorScheme(scheme);
    desktop::TrayController tray(context);

    QQuickStyle::setStyle(QStringLiteral("Basic"));
    QQmlApplicationEngine engine;
    engine.addImportPath(QStringLiteral("qrc:/")); // the FlippDeal.* modules are compiled in
    engine.rootContext()->setContextProperty(QStringLiteral("app"), &context);
    engine.rootContext()->setContextProperty(QStringLiteral("tray"), &tray);
    engine.rootContext()->setContextProperty(
        QStringLiteral("initialServer"),
        parser.isSet(serverOption) ? client::Session::normalizeServerUrl(parser.value(serverOption))
                                   : context.session()->serverUrl());
    QObject::connect(
        &engine, &QQmlApplicationEngine::objectCreationFailed, &app,
        [] { QCoreApplication::exit(1); }, Qt::QueuedConnection);
    engine.load(QUrl(QStringLiteral("qrc:/FlippDeal/App/Main.qml")));
    if (engine.rootObjects().isEmpty())
        return 1;
    auto *window = qobject_cast<QQuickWindow *>(engine.rootObjects().constFirst());
    if (size.isValid())
        window->resize(size.expandedTo(window->minimumSize()));
    QObject::connect(&tray, &desktop::TrayController::showWindowRequested, window, [window] {
        window->show();
        window->raise();
        window->requestActivate();
    });

    client::Session *session = context.session();
    if (parser.isSet(emailOption)) {
        const QString server =
            parser.isSet(serverOption) ? parser.value(serverOption) : session->serverUrl();
        if (session->email() == parser.value(emailOption).trimmed().toLower() &&
            session->serverUrl() == client::Session::normalizeServerUrl(server)) {
            // The same account: use the kept token, and the password only if it is gone.
            QObject::connect(session, &client::Session::statusChanged, session,
                             [session, server, email = parser.value(emailOption),
                              password = parser.value(passwordOption)] {
                                 static bool tried = false;
                                 if (session->status() == QLatin1String("signedOut") && !tried) {
                                     tried = true;
                                     session->signIn(server, email, password);
                                 }
                             });
            session->restore();
        } else {
            session->signIn(server, parser.value(emailOption), parser.value(passwordOption));
        }
    } else {
        session->restore();
    }

    std::unique_ptr<desktop::ScreenshotTour> tour;
    if (parser.isSet(screenshotsOption))
        tour = std::make_unique<desktop::ScreenshotTour>(context, *window,
                                                         parser.value(screenshotsOption));
    return app.exec();
}
