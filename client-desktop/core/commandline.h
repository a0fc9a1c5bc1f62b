// SPDX-License-Identifier: MIT
#pragma once

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QSize>
#include <QString>

#include <memory>
#include <optional>

class QCoreApplication;
class QSettings;

namespace flippdeal::client {

//! \brief The command line that flippdeal-desktop and flippdeal-admin share: `--server`,
//! `--email`/`--password`, `--profile`, `--size` and `--screenshots`, checked alike, with bad
//! input reported as one line and exit code 2. Each app adds its own options to parser().
class ClientCommandLine
{
public:
    ClientCommandLine(const QString &description, const QString &screenshotsHelp);

    //! Call before the QApplication: without any display, `--help` and `--version` still work
    //! (on the offscreen platform) and anything else exits with one line and code 2 instead of
    //! Qt's abort. Returns the exit code to leave with, or nothing.
    static std::optional<int> checkDisplay(int argc, char **argv, const char *appName);

    QCommandLineParser &parser() { return m_parser; }

    //! Parses the application's arguments (exits for --help and --version). Returns an exit code
    //! when the input is bad (after printing one line), nothing when the app may go on.
    std::optional<int> process(const QCoreApplication &app);
    //! For the app's own checks: prints `message` as one line; returns exit code 2.
    int usageError(const QString &message) const;

    //! The normalized `--server`, empty when not given.
    QString server() const { return m_server; }
    bool hasCredentials() const { return m_parser.isSet(m_email); }
    QString email() const { return m_parser.value(m_email); }
    QString password() const { return m_parser.value(m_password); }
    QString profile() const { return m_parser.value(m_profile); }
    QSize size() const { return m_size; }
    QString screenshotsDir() const { return m_parser.value(m_screenshots); }
    bool wantsScreenshots() const { return m_parser.isSet(m_screenshots); }

    //! The app's settings file, one per profile: `~/.config/FlippDeal/<app>[-<profile>].ini`.
    std::unique_ptr<QSettings> settings() const;

private:
    QCommandLineParser m_parser;
    QCommandLineOption m_serverOption;
    QCommandLineOption m_email;
    QCommandLineOption m_password;
    QCommandLineOption m_profile;
    QCommandLineOption m_sizeOption;
    QCommandLineOption m_screenshots;
    QString m_server;
    QSize m_size;
};

} // namespace flippdeal::client
