// SPDX-License-Identifier: MIT
#include "app/commands.h"

#include "admin/adminservice.h"

#include "app/demoseed.h"
#include "app/serverapp.h"
#include "auth/accountservice.h"
#include "auth/passwordhasher.h"
#include "core/logging.h"
#include "core/shutdown.h"
#include "http/tls.h"
#include "jobs/jobqueue.h"
#include "storage/database.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSslConfiguration>
#include <QTextStream>
#include <QTimer>

#include "protocol/timeformat.h"

#include <cstdio>
#include <functional>

namespace flippdeal::server {

namespace {

constexpr int ExitOk = 0;
constexpr int ExitFailure = 1;
constexpr int ExitUsage = 2;

void printLine(FILE *stream, const QString &line)
{
    std::fputs(qPrintable(line + QLatin1Char('\n')), stream);
    std::fflush(stream);
}

int usageError(const QString &message)
{
    printLine(stderr, QStringLiteral("flippdeal-server: ") + message);
    return ExitUsage;
}

int failure(const QString &message)
{
    printLine(stderr, QStringLiteral("flippdeal-server: ") + message);
    return ExitFailure;
}

struct Command
{
    QString name;
    QString summary;
    QString positional; //!< names of the positional arguments it takes, space-separated
    std::function<void(QCommandLineParser &)> addOptions;
    std::function<int(QCommandLineParser &, Config &)> run;
};

int serve(QCommandLineParser &, Config &config)
{
    if (config.tlsEnabled()) { // a missing, unreadable or mismatched pair is a usage error
        const auto tls = loadTlsConfiguration(config.tlsCertificateFile, config.tlsKeyFile);
        if (!tls)
            return usageError(tls.error().message);
    }
    if (auto error = config.ensureSecret())
        return failure(*error);
    ServerApp app(config);
    if (!app.open() || !app.listen())
        return failure(app.errorString());
    ShutdownSignals signalHandler;
    QObject::connect(&signalHandler, &ShutdownSignals::shutdownRequested, &app,
                     &ServerApp::shutdown);
    QObject::connect(&app, &ServerApp::stopped, qApp, [] { QCoreApplication::exit(ExitOk); });
    if (config.metricsListenEnabled())
        printLine(stdout, QStringLiteral("flippdeal-server metrics on %1:%2")
                              .arg(config.metricsListenAddress.toString())
                              .arg(app.metricsPort()));
    // Scripts and tests wait for this exact line (the port is the real one when 0 was asked).
    printLine(stdout, QStringLiteral("flippdeal-server listening on %1:%2")
                          .arg(config.listenAddress.toString())
                          .arg(app.port()));
    qCInfo(lcApp).noquote() << "database"
                            << (config.database.startsWith(QLatin1String("postgres"))
                                    ? QStringLiteral("postgres")
                                    : config.database)
                            << "app id" << config.appId << "key" << config.appKey;
    return QCoreApplication::exec();
}

int migrate(QCommandLineParser &, Config &config)
{
    Database db;
    if (!db.open(config.database))
        return failure(QStringLiteral("cannot open the database: ") + db.errorString());
    if (!db.migrate())
        return failure(db.errorString());
    printLine(stdout, QStringLiteral("Database schema is at version %1.").arg(db.schemaVersion()));
    return ExitOk;
}

int userCreate(QCommandLineParser &parser, Config &config)
{
    const QString name = parser.value(QStringLiteral("name"));
    const QString email = parser.value(QStringLiteral("email"));
    QString password = parser.value(QStringLiteral("password"));
    if (parser.isSet(QStringLiteral("password-stdin"))) {
        QTextStream in(stdin);
        password = in.readLine();
    }
    if (name.isEmpty() || email.isEmpty() || password.isEmpty())
        return usageError(QStringLiteral(
            "user:create needs --name, --email and --password (or --password-stdin)"));
    ServerApp app(config);
    if (!app.open())
        return failure(app.errorString());
    const QString role =
        parser.isSet(QStringLiteral("admin")) ? QStringLiteral("admin") : QStringLiteral("user");
    const auto user = app.accounts().createUserBlocking(name, email, password, role);
    if (!user) {
        if (user.error().status == 422)
            return usageError(user.error().message);
        return failure(user.error().message);
    }
    printLine(stdout, QStringLiteral("Created %1 %2 <%3> with id %4.")
                          .arg(role, user->name, user->email)
                          .arg(user->id));
    return ExitOk;
}

int demoSeed(QCommandLineParser &parser, Config &config)
{
    ServerApp app(config);
    if (!app.open())
        return failure(app.errorString());
    QString report;
    if (!seedDemoData(app, parser.value(QStringLiteral("password")), &report))
        return failure(report);
    printLine(stdout, report);
    return ExitOk;
}

//! Runs `app` until SIGTERM/SIGINT (for the long-running worker commands).
int runUntilSignalled(ServerApp &app)
{
    ShutdownSignals signalHandler;
    QObject::connect(&signalHandler, &ShutdownSignals::shutdownRequested, &app,
                     &ServerApp::shutdown);
    QObject::connect(&app, &ServerApp::stopped, qApp, [] { QCoreApplication::exit(ExitOk); });
    return QCoreApplication::exec();
}

void printTable(const QStringList &headers, const QList<QStringList> &rows)
{
    QList<qsizetype> widths;
    for (const QString &h : headers)
        widths.append(h.size());
    for (const QStringList &row : rows) {
        for (qsizetype i = 0; i < row.size() && i < widths.size(); ++i)
            widths[i] = std::max(widths[i], std::min<qsizetype>(row[i].size(), 60));
    }
    auto line = [&](const QStringList &cells) {
        QString text;
        for (qsizetype i = 0; i < cells.size(); ++i)
            text += cells[i].left(60).leftJustified(widths[i] + 2);
        printLine(stdout, text.trimmed());
    };
    line(headers);
    QStringList rule;
    for (const qsizetype w : std::as_const(widths))
        rule.append(QString(w, QLatin1Char('-')));
    line(rule);
    for (const QStringList &row : rows)
        line(row);
}

int queueWork(QCommandLineParser &parser, Config &config)
{
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
    ServerApp app(config);
    if (!app.open())
        return failure(app.errorString());
    const QList<FailedJob> failed = app.jobs().failedJobs(500);
    if (parser.isSet(QStringLiteral("json"))) {
        QJsonArray array;
        for (const FailedJob &job : failed)
            array.append(job.toJson());
        printLine(stdout, QString::fromUtf8(QJsonDocument(array).toJson(QJsonDocument::Compact)));
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
    ServerApp app(config);
    if (!app.open())
        return failure(app.errorString());
    const auto moved = app.jobs().retry(id);
    if (!moved)
        return moved.error().status == 404 ? usageError(moved.error().message)
                                           : failure(moved.error().message);
    if (parser.isSet(QStringLiteral("json")))
        printLine(stdout, QStringLiteral("{\"retried\":%1}").arg(*moved));
    else
        printLine(stdout, QStringLiteral("Queued %1 job(s) again.").arg(*moved));
    return ExitOk;
}

int queueMonitor(QCommandLineParser &parser, Config &config)
{
    ServerApp app(config);
    if (!app.open())
        return failure(app.errorString());
    const QueueStats stats = app.jobs().stats(protocol::nowMs());
    if (parser.isSet(QStringLiteral("json"))) {
        printLine(stdout, QString::fromUtf8(
                              QJsonDocument(QJsonObject{{QLatin1String("ready"), stats.ready},
                                                        {QLatin1String("delayed"), stats.delayed},
                                                        {QLatin1String("reserved"), stats.reserved},
                                                        {QLatin1String("running"), stats.reserved},
                                                        {QLatin1String("failed"), stats.failed}})
                                  .toJson(QJsonDocument::Compact)));
        return ExitOk;
    }
    printTable(
        {QStringLiteral("QUEUE"), QStringLiteral("READY"), QStringLiteral("DELAYED"),
         QStringLiteral("RESERVED"), QStringLiteral("FAILED")},
        {{QStringLiteral("default"), QString::number(stats.ready), QString::number(stats.delayed),
          QString::number(stats.reserved), QString::number(stats.failed)}});
    return ExitOk;
}

int auctionsCountdowns(QCommandLineParser &parser, Config &config)
{
    ServerApp app(config);
    if (!app.open())
        return failure(app.errorString());
    if (parser.isSet(QStringLiteral("once"))) {
        app.runSchedulerTick();
        return ExitOk;
    }
    app.startScheduler();
    printLine(
        stdout,
        QStringLiteral(
            "Broadcasting auction countdowns and closing auctions; Ctrl-C or SIGTERM stops."));
    return runUntilSignalled(app);
}

//! Prints `json` compactly on one line (the `--json` output of every command).
void printJson(const QJsonValue &json)
{
    const QByteArray text = json.isArray()
                                ? QJsonDocument(json.toArray()).toJson(QJsonDocument::Compact)
                                : QJsonDocument(json.toObject()).toJson(QJsonDocument::Compact);
    printLine(stdout, QString::fromUtf8(text));
}

//! Maps a service error to the CLI's exit codes: bad input (4xx) is a usage error.
int fromError(const ApiError &error)
{
    QString message = error.message;
    if (!error.errors.isEmpty())
        message = error.errors.first().value(0, message);
    return error.status >= 400 && error.status < 500 ? usageError(message) : failure(message);
}

//! A user given as an id or an email.
std::optional<protocol::User> resolveUser(ServerApp &app, const QString &who)
{
    bool isId = false;
    const qint64 id = who.toLongLong(&isId);
    if (isId)
        return id > 0 ? app.accounts().findUser(id) : std::nullopt;
    return app.accounts().findUserByEmail(who);
}

int userBan(QCommandLineParser &parser, Config &config)
{
    const QString who = parser.positionalArguments().value(0);
    if (who.isEmpty())
        return usageError(QStringLiteral("user:ban needs a user id or email; see --help"));
    ServerApp app(config);
    if (!app.open())
        return failure(app.errorString());
    const auto user = resolveUser(app, who);
    if (!user)
        return usageError(QStringLiteral("no user '%1'").arg(who));
    const bool unban = parser.isSet(QStringLiteral("unban"));
    const auto result = app.admin().setBanned(user->id, !unban, protocol::nowMs());
    if (!result)
        return fromError(result.error());
    if (parser.isSet(QStringLiteral("json"))) {
        printJson(*result);
        return ExitOk;
    }
    printLine(stdout, unban ? QStringLiteral("Unbanned %1 <%2>.").arg(user->name, user->email)
                            : QStringLiteral("Banned %1 <%2>: every token revoked; the server "
                                             "refuses their reconnects.")
                                  .arg(user->name, user->email));
    return ExitOk;
}

int userList(QCommandLineParser &parser, Config &config)
{
    bool ok = false;
    const int limit = parser.value(QStringLiteral("limit")).toInt(&ok);
    if (!ok || limit < 1 || limit > 10000)
        return usageError(QStringLiteral("--limit must be from 1 to 10000"));
    ServerApp app(config);
    if (!app.open())
        return failure(app.errorString());
    qint64 total = 0;
    const auto users =
        app.accounts().listUsers(parser.value(QStringLiteral("search")), limit, 0, &total);
    if (!users)
        return fromError(users.error());
    if (parser.isSet(QStringLiteral("json"))) {
        QJsonArray array;
        for (const auto &record : *users)
            array.append(record.toJson());
        printJson(array);
        return ExitOk;
    }
    QList<QStringList> rows;
    for (const auto &r : *users)
        rows.append({QString::number(r.user.id), r.user.name, r.user.email, r.user.role,
                     r.bannedAt ? QStringLiteral("banned") : QStringLiteral("active"),
                     QString::number(r.tokens), protocol::isoUtc(r.createdAt)});
    printTable({QStringLiteral("ID"), QStringLiteral("NAME"), QStringLiteral("EMAIL"),
                QStringLiteral("ROLE"), QStringLiteral("STATUS"), QStringLiteral("TOKENS"),
                QStringLiteral("CREATED")},
               rows);
    if (total > users->size())
        printLine(
            stdout,
            QStringLiteral("(%1 of %2; use --limit or --search)").arg(users->size()).arg(total));
    return ExitOk;
}

int escrowResolve(QCommandLineParser &parser, Config &config)
{
    const QStringList args = parser.positionalArguments();
    bool ok = false;
    const qint64 id = args.value(0).toLongLong(&ok);
    if (args.size() != 2 || !ok || id <= 0)
        return usageError(QStringLiteral("escrow:resolve needs an escrow id and release|refund"));
    const QString outcome = args.at(1);
    if (outcome != QLatin1String("release") && outcome != QLatin1String("refund"))
        return usageError(
            QStringLiteral("the outcome must be release or refund, not '%1'").arg(outcome));
    const QString reason = parser.value(QStringLiteral("reason"));
    if (reason.trimmed().isEmpty())
        return usageError(QStringLiteral("escrow:resolve needs --reason"));
    ServerApp app(config);
    if (!app.open())
        return failure(app.errorString());
    std::optional<protocol::User> admin;
    if (parser.isSet(QStringLiteral("by"))) {
        admin = resolveUser(app, parser.value(QStringLiteral("by")));
        if (!admin || admin->role != QLatin1String("admin"))
            return usageError(QStringLiteral("--by must name an admin user"));
    } else {
        const auto admins = app.accounts().listUsers({}, 10000, 0);
        if (admins)
            for (const auto &r : *admins)
                if (r.user.role == QLatin1String("admin") && !r.bannedAt) {
                    admin = r.user;
                    break;
                }
        if (!admin)
            return usageError(
                QStringLiteral("no admin user to record the decision; create one with "
                               "user:create --admin or pass --by"));
    }
    const auto result = app.admin().resolveEscrow(*admin, id, outcome, reason);
    if (!result)
        return fromError(result.error());
    if (parser.isSet(QStringLiteral("json"))) {
        printJson(*result);
        return ExitOk;
    }
    const QJsonObject escrow = result->value(QLatin1String("escrow")).toObject();
    printLine(stdout, QStringLiteral("Escrow %1 is now %2 (by %3: %4).")
                          .arg(id)
                          .arg(escrow.value(QLatin1String("status")).toString(), admin->email,
                               reason.trimmed()));
    return ExitOk;
}

//! The live figures of a running `serve` node, read from its /metrics (connections and
//! channels live in that process, not in the database).
std::optional<QHash<QString, double>> liveMetrics(const Config &config)
{
    QNetworkAccessManager network;
    QUrl url;
    const bool tls = !config.tlsCertificateFile.isEmpty();
    url.setScheme(tls ? QStringLiteral("https") : QStringLiteral("http"));
    url.setHost(config.listenAddress.toString());
    url.setPort(config.listenPort);
    url.setPath(QStringLiteral("/metrics"));
    QNetworkRequest request(url);
    if (tls) {
        // Our own node on the configured address: its certificate may name the public host
        // rather than this address. Only public figures are read, nothing is sent.
        QSslConfiguration ssl = request.sslConfiguration();
        ssl.setPeerVerifyMode(QSslSocket::VerifyNone);
        request.setSslConfiguration(ssl);
    }
    QNetworkReply *reply = network.get(request);
    QEventLoop loop;
    QTimer::singleShot(2000, &loop, &QEventLoop::quit);
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    loop.exec();
    if (!reply->isFinished() || reply->error() != QNetworkReply::NoError) {
        reply->abort();
        reply->deleteLater();
        return std::nullopt;
    }
    QHash<QString, double> values;
    for (const QByteArray &line : reply->readAll().split('\n')) {
        if (line.startsWith('#') || line.contains('{'))
            continue;
        const QList<QByteArray> parts = line.split(' ');
        if (parts.size() == 2)
            values.insert(QString::fromLatin1(parts[0]), parts[1].toDouble());
    }
    reply->deleteLater();
    return values;
}

int stats(QCommandLineParser &parser, Config &config)
{
    ServerApp app(config);
    if (!app.open())
        return failure(app.errorString());
    QJsonObject figures = app.admin().stats(protocol::nowMs());
    const auto live = liveMetrics(config);
    figures.insert(QLatin1String("server_running"), live.has_value());
    // This process serves nobody: the live figures come from the running server, if any.
    figures.insert(QLatin1String("connections"),
                   live ? QJsonValue(qint64(live->value(QStringLiteral("flippdeal_connections"))))
                        : QJsonValue());
    figures.insert(QLatin1String("channels"),
                   live ? QJsonValue(qint64(live->value(QStringLiteral("flippdeal_channels"))))
                        : QJsonValue());
    figures.remove(QLatin1String("events_per_second"));
    figures.remove(QLatin1String("events_published_total"));
    figures.remove(QLatin1String("uptime_seconds"));
    if (parser.isSet(QStringLiteral("json"))) {
        printJson(figures);
        return ExitOk;
    }
    const QJsonObject queue = figures.value(QLatin1String("queue")).toObject();
    const auto number = [&figures](const char *key) {
        const QJsonValue v = figures.value(QLatin1String(key));
        return v.isNull() ? QStringLiteral("-") : QString::number(v.toInteger());
    };
    QList<QStringList> rows = {
        {QStringLiteral("server"), live ? QStringLiteral("running on %1:%2")
                                              .arg(config.listenAddress.toString())
                                              .arg(config.listenPort)
                                        : QStringLiteral("not reachable")},
        {QStringLiteral("connections"), number("connections")},
        {QStringLiteral("channels"), number("channels")},
        {QStringLiteral("outbox backlog"), number("outbox_backlog")},
        {QStringLiteral("jobs ready / delayed / running"),
         QStringLiteral("%1 / %2 / %3")
             .arg(queue.value(QLatin1String("ready")).toInteger())
             .arg(queue.value(QLatin1String("delayed")).toInteger())
             .arg(queue.value(QLatin1String("running")).toInteger())},
        {QStringLiteral("failed jobs"),
         QString::number(queue.value(QLatin1String("failed")).toInteger())},
        {QStringLiteral("users (banned)"),
         QStringLiteral("%1 (%2)").arg(number("users"), number("banned_users"))},
        {QStringLiteral("live auctions"), number("live_auctions")},
        {QStringLiteral("escrows in dispute"), number("disputed_escrows")},
    };
    printTable({QStringLiteral("FIGURE"), QStringLiteral("VALUE")}, rows);
    return ExitOk;
}

QList<Command> commands()
{
    return {
        {QStringLiteral("serve"),
         QStringLiteral("Run the server: HTTP API, WebSocket gateway, job worker and auction "
                        "scheduler on one port."),
         {},
         [](QCommandLineParser &) {},
         serve},
        {QStringLiteral("migrate"),
         QStringLiteral("Create or update the database schema."),
         {},
         [](QCommandLineParser &) {},
         migrate},
        {QStringLiteral("user:create"),
         QStringLiteral("Create a user account."),
         {},
         [](QCommandLineParser &p) {
             p.addOption(
                 {QStringLiteral("name"), QStringLiteral("Display name."), QStringLiteral("name")});
             p.addOption({QStringLiteral("email"), QStringLiteral("Email address (the login)."),
                          QStringLiteral("email")});
             p.addOption({QStringLiteral("password"), QStringLiteral("Password (8+ characters)."),
                          QStringLiteral("password")});
             p.addOption({QStringLiteral("password-stdin"),
                          QStringLiteral("Read the password from the first line of stdin.")});
             p.addOption(
                 {QStringLiteral("admin"), QStringLiteral("Give the user the admin role.")});
         },
         userCreate},
        {QStringLiteral("demo:seed"),
         QStringLiteral("Add demo users, domains, a live auction and a conversation."),
         {},
         [](QCommandLineParser &p) {
             p.addOption({QStringLiteral("password"), QStringLiteral("Password of the demo users."),
                          QStringLiteral("password"), QStringLiteral("demo-password")});
         },
         demoSeed},
        {QStringLiteral("queue:work"),
         QStringLiteral("Run queued jobs (payouts, ...) until stopped."),
         {},
         [](QCommandLineParser &p) {
             p.addOption({QStringLiteral("once"), QStringLiteral("Run what is ready, then exit.")});
         },
         queueWork},
        {QStringLiteral("queue:failed"),
         QStringLiteral("List jobs that used up their attempts."),
         {},
         [](QCommandLineParser &p) {
             p.addOption({QStringLiteral("json"), QStringLiteral("JSON for scripts.")});
         },
         queueFailed},
        {QStringLiteral("queue:retry"),
         QStringLiteral("Queue a failed job again: queue:retry ID|all."), QStringLiteral("id"),
         [](QCommandLineParser &p) {
             p.addPositionalArgument(QStringLiteral("id"),
                                     QStringLiteral("A failed job ID, or 'all'."));
             p.addOption({QStringLiteral("json"), QStringLiteral("JSON for scripts.")});
         },
         queueRetry},
        {QStringLiteral("queue:monitor"),
         QStringLiteral("Show how many jobs are ready, delayed, running and failed."),
         {},
         [](QCommandLineParser &p) {
             p.addOption({QStringLiteral("json"), QStringLiteral("JSON for scripts.")});
         },
         queueMonitor},
        {QStringLiteral("user:list"),
         QStringLiteral("List users (id, name, email, role, banned, tokens)."),
         {},
         [](QCommandLineParser &p) {
             p.addOption({QStringLiteral("search"),
                          QStringLiteral("Only users whose name or email contains this."),
                          QStringLiteral("text")});
             p.addOption({QStringLiteral("limit"), QStringLiteral("At most this many (100)."),
                          QStringLiteral("n"), QStringLiteral("100")});
             p.addOption({QStringLiteral("json"), QStringLiteral("JSON for scripts.")});
         },
         userList},
        {QStringLiteral("user:ban"),
         QStringLiteral("Ban a user (revoking every token), or lift a ban with --unban."),
         QStringLiteral("user"),
         [](QCommandLineParser &p) {
             p.addPositionalArgument(QStringLiteral("user"), QStringLiteral("A user id or email."));
             p.addOption({QStringLiteral("unban"), QStringLiteral("Lift the ban instead.")});
             p.addOption({QStringLiteral("json"), QStringLiteral("JSON for scripts.")});
         },
         userBan},
        {QStringLiteral("escrow:resolve"),
         QStringLiteral(
             "Settle a disputed escrow: escrow:resolve ID release|refund --reason TEXT."),
         QStringLiteral("id outcome"),
         [](QCommandLineParser &p) {
             p.addPositionalArgument(QStringLiteral("id"), QStringLiteral("The escrow id."));
             p.addPositionalArgument(
                 QStringLiteral("outcome"),
                 QStringLiteral("release (pay the seller) or refund (repay the buyer)."));
             p.addOption({QStringLiteral("reason"),
                          QStringLiteral("Why; kept in the escrow's audit trail."),
                          QStringLiteral("text")});
             p.addOption({QStringLiteral("by"),
                          QStringLiteral("The admin (id or email) recorded as deciding; default: "
                                         "the first admin."),
                          QStringLiteral("admin")});
             p.addOption({QStringLiteral("json"), QStringLiteral("JSON for scripts.")});
         },
         escrowResolve},
        {QStringLiteral("stats"),
         QStringLiteral("Show the system's figures: connections, queue, backlog, users, auctions."),
         {},
         [](QCommandLineParser &p) {
             p.addOption({QStringLiteral("json"), QStringLiteral("JSON for scripts.")});
         },
         stats},
        {QStringLiteral("auctions:broadcast-countdowns"),
         QStringLiteral(
             "Broadcast auction countdowns and close ended auctions (also part of serve)."),
         {},
         [](QCommandLineParser &p) {
             p.addOption({QStringLiteral("once"), QStringLiteral("One tick, then exit.")});
         },
         auctionsCountdowns},
    };
}

QString overview()
{
    QString text = QStringLiteral(
        "Usage: flippdeal-server <command> [options]\n\n"
        "FlippDeal Live: real-time messaging and notifications for the FlippDeal marketplace.\n\n"
        "Commands:\n");
    for (const Command &c : commands())
        text += QStringLiteral("  %1%2\n").arg(c.name, -32).arg(c.summary);
    text +=
        QStringLiteral("\nRun 'flippdeal-server <command> --help' for the options of a command.\n");
    return text;
}

} // namespace

int runCommandLine(const QStringList &arguments)
{
    const QString commandName = arguments.value(1);
    if (commandName.isEmpty() || commandName == QLatin1String("--help") ||
        commandName == QLatin1String("-h") || commandName == QLatin1String("help")) {
        std::fputs(qPrintable(overview()), commandName.isEmpty() ? stderr : stdout);
        return commandName.isEmpty() ? ExitUsage : ExitOk;
    }
    if (commandName == QLatin1String("--version")) {
        printLine(stdout,
                  QStringLiteral("flippdeal-server ") + QCoreApplication::applicationVersion());
        return ExitOk;
    }
    const QList<Command> all = commands();
    const auto command = std::find_if(all.cbegin(), all.cend(),
                                      [&](const Command &c) { return c.name == commandName; });
    if (command == all.cend())
        return usageError(QStringLiteral("unknown command '%1' (try --help)").arg(commandName));

    QCommandLineParser parser;
    parser.setApplicationDescription(command->summary);
    parser.addHelpOption();
    parser.addOption({QStringLiteral("config"),
                      QStringLiteral("INI config file (keys as the options below)."),
                      QStringLiteral("file")});
    for (const QString &name : Config::settingNames())
        parser.addOption({name, Config::describe(name), QStringLiteral("value")});
    command->addOptions(parser);

    QStringList args = arguments;
    args.removeAt(1);
    args[0] = QStringLiteral("flippdeal-server ") + commandName;
    if (!parser.parse(args))
        return usageError(parser.errorText());
    if (parser.isSet(QStringLiteral("help"))) {
        std::fputs(qPrintable(parser.helpText()), stdout);
        return ExitOk;
    }
    const qsizetype positionals =
        command->positional.isEmpty() ? 0 : command->positional.split(QLatin1Char(' ')).size();
    if (parser.positionalArguments().size() > positionals)
        return usageError(QStringLiteral("unexpected argument '%1'")
                              .arg(parser.positionalArguments().value(positionals)));
    if (parser.positionalArguments().size() < positionals)
        return usageError(QStringLiteral("%1 needs: %2").arg(command->name, command->positional));

    QMap<QString, QString> options;
    for (const QString &name : Config::settingNames() + QStringList{QStringLiteral("config")}) {
        if (parser.isSet(name))
            options.insert(name, parser.value(name));
    }
    auto config = Config::load(options);
    if (!config)
        return usageError(config.error().message);
    applyLogLevel(config->logLevel);
    if (!passwords::initialize())
        return failure(QStringLiteral("libsodium failed to initialize"));
    return command->run(parser, *config);
}

} // namespace flippdeal::server
