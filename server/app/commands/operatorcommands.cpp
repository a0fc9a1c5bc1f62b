// SPDX-License-Identifier: MIT
// escrow:resolve and stats, the operator commands that go through AdminService.
#include "app/commands/commandcontext.h"
#include "app/commands/commandgroups.h"

#include "admin/adminservice.h"
#include "auth/accountservice.h"
#include "core/waitfor.h"
#include "escrow/escrow.h"

#include <QEventLoop>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSslConfiguration>
#include <QTimer>

#include "protocol/timeformat.h"

namespace flippdeal::server::cli {

namespace {

//! The admin recorded as deciding: `--by`, or else the first admin who is not banned.
//! Null after printing the usage error.
std::optional<protocol::User> decidingAdmin(QCommandLineParser &parser, AccountService &accounts)
{
    std::optional<protocol::User> admin;
    if (parser.isSet(QStringLiteral("by"))) {
        admin = resolveUser(accounts, parser.value(QStringLiteral("by")));
        if (!admin || !isAdmin(*admin)) {
            usageError(QStringLiteral("--by must name an admin user"));
            return std::nullopt;
        }
        return admin;
    }
    const auto admins = accounts.listUsers({}, 10000, 0);
    if (admins)
        for (const auto &r : *admins)
            if (isAdmin(r.user) && !r.bannedAt) {
                admin = r.user;
                break;
            }
    if (!admin)
        usageError(QStringLiteral("no admin user to record the decision; create one with "
                                  "user:create --admin or pass --by"));
    return admin;
}

int escrowResolve(QCommandLineParser &parser, Config &config)
{
    const QStringList args = parser.positionalArguments();
    bool ok = false;
    const qint64 id = args.value(0).toLongLong(&ok);
    if (args.size() != 2 || !ok || id <= 0)
        return usageError(QStringLiteral("escrow:resolve needs an escrow id and release|refund"));
    const QString outcome = args.at(1);
    const auto action = fromString<EscrowAction>(outcome);
    if (action != EscrowAction::Release && action != EscrowAction::Refund)
        return usageError(
            QStringLiteral("the outcome must be release or refund, not '%1'").arg(outcome));
    const QString reason = parser.value(QStringLiteral("reason"));
    if (reason.trimmed().isEmpty())
        return usageError(QStringLiteral("escrow:resolve needs --reason"));
    CommandContext context(config);
    if (!context.open())
        return failure(context.errorString());
    const std::optional<protocol::User> admin = decidingAdmin(parser, context.accounts());
    if (!admin)
        return ExitUsage;
    const auto result = waitFor(context.admin().resolveEscrow(*admin, id, outcome, reason));
    if (!result)
        return fromError(result.error());
    if (jsonRequested(parser)) {
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

//! The database's figures with the live ones of the running server, if any: this process
//! serves nobody.
QJsonObject statsFigures(CommandContext &context)
{
    QJsonObject figures = context.admin().stats(protocol::nowMs());
    const auto live = liveMetrics(context.config());
    figures.insert(QLatin1String("server_running"), live.has_value());
    figures.insert(QLatin1String("connections"),
                   live ? QJsonValue(qint64(live->value(QStringLiteral("flippdeal_connections"))))
                        : QJsonValue());
    figures.insert(QLatin1String("channels"),
                   live ? QJsonValue(qint64(live->value(QStringLiteral("flippdeal_channels"))))
                        : QJsonValue());
    figures.remove(QLatin1String("events_per_second"));
    figures.remove(QLatin1String("events_published_total"));
    figures.remove(QLatin1String("uptime_seconds"));
    return figures;
}

void printStatsTable(const QJsonObject &figures, const Config &config)
{
    const QJsonObject queue = figures.value(QLatin1String("queue")).toObject();
    const auto number = [&figures](const char *key) {
        const QJsonValue v = figures.value(QLatin1String(key));
        return v.isNull() ? QStringLiteral("-") : QString::number(v.toInteger());
    };
    const bool live = figures.value(QLatin1String("server_running")).toBool();
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
}

int stats(QCommandLineParser &parser, Config &config)
{
    CommandContext context(config);
    if (!context.open())
        return failure(context.errorString());
    const QJsonObject figures = statsFigures(context);
    if (jsonRequested(parser))
        printJson(figures);
    else
        printStatsTable(figures, config);
    return ExitOk;
}

} // namespace

Command escrowResolveCommand()
{
    return {
        QStringLiteral("escrow:resolve"),
        QStringLiteral("Settle a disputed escrow: escrow:resolve ID release|refund --reason TEXT."),
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
                         QStringLiteral("The admin (id or email) recorded as deciding; "
                                        "default: the first admin."),
                         QStringLiteral("admin")});
            addJsonOption(p);
        },
        escrowResolve};
}

Command statsCommand()
{
    return {
        QStringLiteral("stats"),
        QStringLiteral("Show the system's figures: connections, queue, backlog, users, auctions."),
        {},
        addJsonOption,
        stats};
}

} // namespace flippdeal::server::cli
