// SPDX-License-Identifier: MIT
// queue:work, queue:failed, queue:retry and queue:monitor.
#include "app/commands/commandcontext.h"
#include "app/commands/commandgroups.h"

#include "app/serverapp.h"
#include "core/waitfor.h"
#include "jobs/jobqueue.h"

#include <QCoreApplication>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonObject>

#include "protocol/timeformat.h"

namespace flippdeal::server::cli {

namespace {

// The worker runs every job type, so it needs the whole ServerApp.
int queueWork(QCommandLineParser &parser, Config &config)
{
    if (const auto code = checkRedis(config))
        return *code;
    ServerApp app(config);
    if (!app.open())
        return failure(app.errorString());
    if (parser.isSet(QStringLiteral("once"))) {
        // Asynchronous jobs (webhooks) finish in the event loop: run until nothing is left.
        int ran = 0;
        for (;;) {
            const int batch = app.worker().runAvailable(1000);
            ran += batch;
            while (app.worker().isBusy())
                QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 100);
            if (batch == 0)
                break;
        }
        printLine(stdout, QStringLiteral("Ran %1 job(s).").arg(ran));
        return ExitOk;
    }
    app.startWorker();
    printLine(stdout, QStringLiteral("Working the queue; Ctrl-C or SIGTERM stops."));
    return runUntilSignalled(app);
}

int queueFailed(QCommandLineParser &parser, Config &config)
{
    CommandContext context(config);
    if (!context.open())
        return failure(context.errorString());
    const QList<FailedJob> failed = context.jobs().failedJobs(500);
    if (jsonRequested(parser)) {
        QJsonArray array;
        for (const FailedJob &job : failed)
            array.append(job.toJson());
        printJson(array);
        return ExitOk;
    }
    if (failed.isEmpty()) {
        printLine(stdout, QStringLiteral("No failed jobs."));
        return ExitOk;
    }
    QList<QStringList> rows;
    for (const FailedJob &job : failed) {
        rows.append({QString::number(job.id), job.type, QString::number(job.attempts),
                     protocol::isoUtc(job.failedAt), job.error});
    }
    printTable({QStringLiteral("ID"), QStringLiteral("TYPE"), QStringLiteral("ATTEMPTS"),
                QStringLiteral("FAILED AT"), QStringLiteral("ERROR")},
               rows);
    return ExitOk;
}

int queueRetry(QCommandLineParser &parser, Config &config)
{
    const QString which = parser.positionalArguments().value(0);
    qint64 id = 0;
    if (which != QLatin1String("all")) {
        bool ok = false;
        id = which.toLongLong(&ok);
        if (!ok || id <= 0)
            return usageError(
                QStringLiteral("queue:retry needs a failed job ID or 'all', not '%1'").arg(which));
    }
    CommandContext context(config);
    if (!context.open())
        return failure(context.errorString());
    const auto moved = waitFor(context.jobs().retry(id));
    if (!moved)
        return moved.error().status == 404 ? usageError(moved.error().message)
                                           : failure(moved.error().message);
    if (jsonRequested(parser))
        printJson(QJsonObject{{QLatin1String("retried"), *moved}});
    else
        printLine(stdout, QStringLiteral("Queued %1 job(s) again.").arg(*moved));
    return ExitOk;
}

int queueMonitor(QCommandLineParser &parser, Config &config)
{
    CommandContext context(config);
    if (!context.open())
        return failure(context.errorString());
    const QueueStats stats = context.jobs().stats(protocol::nowMs());
    if (jsonRequested(parser)) {
        printJson(QJsonObject{{QLatin1String("ready"), stats.ready},
                              {QLatin1String("delayed"), stats.delayed},
                              {QLatin1String("reserved"), stats.reserved},
                              {QLatin1String("running"), stats.reserved},
                              {QLatin1String("failed"), stats.failed}});
        return ExitOk;
    }
    printTable(
        {QStringLiteral("QUEUE"), QStringLiteral("READY"), QStringLiteral("DELAYED"),
         QStringLiteral("RESERVED"), QStringLiteral("FAILED")},
        {{QStringLiteral("default"), QString::number(stats.ready), QString::number(stats.delayed),
          QString::number(stats.reserved), QString::number(stats.failed)}});
    return ExitOk;
}

} // namespace

Command queueWorkCommand()
{
    return {
        QStringLiteral("queue:work"),
        QStringLiteral("Run queued jobs (payouts, ...) until stopped."),
        {},
        [](QCommandLineParser &p) {
            p.addOption({QStringLiteral("once"), QStringLiteral("Run what is ready, then exit.")});
        },
        queueWork};
}

Command queueFailedCommand()
{
    return {QStringLiteral("queue:failed"),
            QStringLiteral("List jobs that used up their attempts."),
            {},
            addJsonOption,
            queueFailed};
}

Command queueRetryCommand()
{
    return {QStringLiteral("queue:retry"),
            QStringLiteral("Queue a failed job again: queue:retry ID|all."), QStringLiteral("id"),
            [](QCommandLineParser &p) {
                p.addPositionalArgument(QStringLiteral("id"),
                                        QStringLiteral("A failed job ID, or 'all'."));
                addJsonOption(p);
            },
            queueRetry};
}

Command queueMonitorCommand()
{
    return {QStringLiteral("queue:monitor"),
            QStringLiteral("Show how many jobs are ready, delayed, running and failed."),
            {},
            addJsonOption,
            queueMonitor};
}

} // namespace flippdeal::server::cli
