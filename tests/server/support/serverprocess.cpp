// SPDX-License-Identifier: MIT
#include "serverprocess.h"

#include <QCoreApplication>
#include <QEventLoop>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTimer>

#include <signal.h>
#include <sys/types.h>

namespace flippdeal::testing {

ServerProcess::ServerProcess(const QString &program)
    : m_program(program)
{}

ServerProcess::~ServerProcess()
{
    kill();
}

void ServerProcess::start(const QString &dataDir, const QString &database,
                          const QStringList &extraArguments, const QProcessEnvironment &environment)
{
    m_port = 0;
    m_stdout.clear();
    m_stderr.clear();
    m_process = std::make_unique<QProcess>();
    m_process->setProgram(m_program);
    m_process->setArguments(QStringList{QStringLiteral("serve"), QStringLiteral("--listen"),
                                        QStringLiteral("127.0.0.1:0"), QStringLiteral("--data-dir"),
                                        dataDir, QStringLiteral("--database"), database,
                                        QStringLiteral("--app-id"), QStringLiteral("test-app"),
                                        QStringLiteral("--app-key"), QStringLiteral("test-key"),
                                        QStringLiteral("--app-secret"),
                                        QStringLiteral("test-secret-0123456789"),
                                        QStringLiteral("--log-level"), QStringLiteral("warning")} +
                            extraArguments);
    m_process->setProcessEnvironment(environment);
    QObject::connect(m_process.get(), &QProcess::readyReadStandardOutput, m_process.get(), [this] {
        m_stdout += m_process->readAllStandardOutput();
        static const QRegularExpression listening(
            QStringLiteral(R"(flippdeal-server listening on [^\s]+:(\d+)\r?\n)"));
        const auto match = listening.match(QString::fromUtf8(m_stdout));
        if (match.hasMatch())
            m_port = match.captured(1).toUShort();
    });
    QObject::connect(m_process.get(), &QProcess::readyReadStandardError, m_process.get(),
                     [this] { m_stderr += m_process->readAllStandardError(); });
    m_process->start();
}

bool ServerProcess::waitListening(int timeoutMs)
{
    if (!m_process)
        return false;
    waitUntil([this] { return m_port != 0 || !isRunning(); }, timeoutMs);
    return m_port != 0 && isRunning();
}

QUrl ServerProcess::url(const QString &pathAndQuery) const
{
    return QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(m_port).arg(pathAndQuery));
}

void ServerProcess::signal(int number)
{
    if (isRunning())
        ::kill(static_cast<pid_t>(m_process->processId()), number);
}

int ServerProcess::waitExit(int timeoutMs)
{
    if (!m_process)
        return -1;
    if (isRunning()) {
        // QProcess::finished comes from the event loop, so it cannot be missed before exec().
        QEventLoop loop;
        QObject::connect(m_process.get(), &QProcess::finished, &loop, &QEventLoop::quit);
        QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
        loop.exec();
        if (isRunning())
            return -1;
    }
    return m_process->exitStatus() == QProcess::NormalExit ? m_process->exitCode() : -1;
}

int ServerProcess::terminate()
{
    signal(SIGTERM);
    return waitExit();
}

void ServerProcess::kill()
{
    if (isRunning()) {
        ::kill(static_cast<pid_t>(m_process->processId()), SIGKILL);
        m_process->waitForFinished(5000);
    }
}

QByteArray ServerProcess::output()
{
    if (m_process) {
        m_stdout += m_process->readAllStandardOutput();
        m_stderr += m_process->readAllStandardError();
    }
    return "stdout: " + m_stdout + "\nstderr: " + m_stderr;
}

Call registerCall(const ServerProcess &node, const QString &name)
{
    static int counter = 0;
    const QJsonObject body{
        {QLatin1String("name"), name},
        {QLatin1String("email"), QStringLiteral("%1.%2.%3@processes.flippdeal.test")
                                     .arg(name.toLower())
                                     .arg(QCoreApplication::applicationPid())
                                     .arg(++counter)},
        {QLatin1String("password"), QStringLiteral("correct horse battery")}};
    return {"POST",
            node.url(QStringLiteral("/api/register")),
            {},
            QJsonDocument(body).toJson(QJsonDocument::Compact)};
}

} // namespace flippdeal::testing
