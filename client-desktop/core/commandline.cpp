// SPDX-License-Identifier: MIT
#include "commandline.h"

#include "session.h"

#include <QCoreApplication>
#include <QRegularExpression>
#include <QSettings>

#include <cstdio>

namespace flippdeal::client {

ClientCommandLine::ClientCommandLine(const QString &description, const QString &screenshotsHelp)
    : m_serverOption(QStringLiteral("server"), QStringLiteral("Server address to sign in to."),
                     QStringLiteral("url"))
    , m_email(QStringLiteral("email"), QStringLiteral("Sign in with this email."),
              QStringLiteral("email"))
    , m_password(QStringLiteral("password"),
                 QStringLiteral("Sign in with this password (for demos; prefer the sign-in form)."),
                 QStringLiteral("password"))
    , m_profile(QStringLiteral("profile"),
                QStringLiteral("Keep settings apart under this name (one per account on one "
                               "machine)."),
                QStringLiteral("name"))
    , m_sizeOption(QStringLiteral("size"), QStringLiteral("Initial window size, e.g. 1280x720."),
                   QStringLiteral("WxH"))
    , m_screenshots(QStringLiteral("screenshots"), screenshotsHelp, QStringLiteral("dir"))
{
    m_parser.setApplicationDescription(description);
    m_parser.addHelpOption();
    m_parser.addVersionOption();
    m_parser.addOptions(
        {m_serverOption, m_email, m_password, m_profile, m_sizeOption, m_screenshots});
}

std::optional<int> ClientCommandLine::checkDisplay(int argc, char **argv, const char *appName)
{
    if (qEnvironmentVariableIsSet("DISPLAY") || qEnvironmentVariableIsSet("WAYLAND_DISPLAY") ||
        qEnvironmentVariableIsSet("QT_QPA_PLATFORM"))
        return std::nullopt;
    for (int i = 1; i < argc; ++i) {
        const QByteArray arg(argv[i]);
        if (arg == "-h" || arg == "--help" || arg == "-v" || arg == "--version" ||
            arg == "--help-all") {
            qputenv("QT_QPA_PLATFORM", "offscreen");
            return std::nullopt;
        }
    }
    std::fprintf(stderr, "%s: no display to open a window on (set DISPLAY or WAYLAND_DISPLAY)\n",
                 appName);
    return 2;
}

int ClientCommandLine::usageError(const QString &message) const
{
    std::fprintf(stderr, "%s: %s\n", qPrintable(QCoreApplication::applicationName()),
                 qPrintable(message));
    return 2;
}

std::optional<int> ClientCommandLine::process(const QCoreApplication &app)
{
    if (!m_parser.parse(app.arguments()))
        return usageError(m_parser.errorText());
    if (m_parser.isSet(QStringLiteral("help")) || m_parser.isSet(QStringLiteral("help-all")))
        m_parser.showHelp(0);
    if (m_parser.isSet(QStringLiteral("version")))
        m_parser.showVersion();
    if (!m_parser.positionalArguments().isEmpty())
        return usageError(QStringLiteral("unexpected argument '%1'; see --help")
                              .arg(m_parser.positionalArguments().first()));
    if (m_parser.isSet(m_serverOption)) {
        m_server = Session::normalizeServerUrl(m_parser.value(m_serverOption));
        if (m_server.isEmpty())
            return usageError(QStringLiteral("--server must be an http:// or https:// address"));
    }
    if (m_parser.isSet(m_email) != m_parser.isSet(m_password))
        return usageError(QStringLiteral("--email and --password go together"));
    if (m_parser.isSet(m_sizeOption)) {
        static const QRegularExpression sizePattern(QStringLiteral("^(\\d{3,4})x(\\d{3,4})$"));
        const auto match = sizePattern.match(m_parser.value(m_sizeOption));
        if (!match.hasMatch())
            return usageError(QStringLiteral("--size must look like 1280x720"));
        m_size = QSize(match.captured(1).toInt(), match.captured(2).toInt());
    }
    static const QRegularExpression profilePattern(QStringLiteral("^[A-Za-z0-9_-]{0,40}$"));
    if (!profilePattern.match(profile()).hasMatch())
        return usageError(QStringLiteral("--profile may use letters, digits, - and _ only"));
    return std::nullopt;
}

std::unique_ptr<QSettings> ClientCommandLine::settings() const
{
    const QString app = QCoreApplication::applicationName();
    return std::make_unique<QSettings>(
        QSettings::IniFormat, QSettings::UserScope, QStringLiteral("FlippDeal"),
        profile().isEmpty() ? app : app + QLatin1Char('-') + profile());
}

} // namespace flippdeal::client
