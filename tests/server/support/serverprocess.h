// SPDX-License-Identifier: MIT
#pragma once

#include "testhelpers.h"

#include <QByteArray>
#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <memory>

namespace flippdeal::testing {

//! \brief `flippdeal-server serve` as a child process, listening on 127.0.0.1 port 0 with the
//! test app's credentials. `program` is the server binary (a test's FLIPPDEAL_SERVER_BINARY).
class ServerProcess
{
public:
    explicit ServerProcess(const QString &program);
    ServerProcess(const ServerProcess &) = delete;
    ServerProcess &operator=(const ServerProcess &) = delete;
    //! Kills the process if it still runs.
    ~ServerProcess();

    //! Starts the process on `database` (as `--database` takes it) with `dataDir`, adding
    //! `extraArguments` to the command line; `environment` is inherited unless given.
    void start(const QString &dataDir, const QString &database,
               const QStringList &extraArguments = {},
               const QProcessEnvironment &environment =
                   QProcessEnvironment(QProcessEnvironment::InheritFromParent));

    //! Waits for the "listening on" line; false if the process ended or took too long.
    bool waitListening(int timeoutMs = 20000);

    bool isRunning() const { return m_process && m_process->state() != QProcess::NotRunning; }
    //! The process id while it runs (for /proc/PID/...), else 0.
    qint64 processId() const { return isRunning() ? m_process->processId() : 0; }
    quint16 port() const { return m_port; }
    QUrl url(const QString &pathAndQuery) const;

    //! Sends `signal` now and returns at once (no grace: this is the crash).
    void signal(int number);

    //! Waits (event loop running) for the process to end; its exit code, or -1 for a crash (a
    //! signal) or a timeout.
    int waitExit(int timeoutMs = 10000);

    //! SIGTERM, then the exit code (0 is a clean stop).
    int terminate();

    //! SIGKILL, and waits for the process to be gone.
    void kill();

    //! Everything the process wrote so far, stdout and stderr, for failure messages.
    QByteArray output();

private:
    QString m_program;
    std::unique_ptr<QProcess> m_process;
    QByteArray m_stdout;
    QByteArray m_stderr;
    quint16 m_port = 0;
};

//! A POST /api/register to `node` for `name` with an email address of its own.
Call registerCall(const ServerProcess &node, const QString &name);

} // namespace flippdeal::testing
