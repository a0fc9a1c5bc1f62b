// SPDX-License-Identifier: MIT
// user:create, user:list and user:ban.
#include "app/commands/commandcontext.h"
#include "app/commands/commandgroups.h"

#include "admin/adminservice.h"
#include "auth/accountservice.h"
#include "core/waitfor.h"

#include <QJsonArray>
#include <QTextStream>

#include "protocol/timeformat.h"

namespace flippdeal::server::cli {

namespace {

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
    CommandContext context(config);
    if (!context.open())
        return failure(context.errorString());
    const QString role =
        toString(parser.isSet(QStringLiteral("admin")) ? UserRole::Admin : UserRole::User);
    const auto user = context.accounts().createUserBlocking(name, email, password, role);
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

void printUserTable(const QList<AccountService::UserRecord> &users)
{
    QList<QStringList> rows;
    for (const auto &r : users)
        rows.append({QString::number(r.user.id), r.user.name, r.user.email, r.user.role,
                     r.bannedAt ? QStringLiteral("banned") : QStringLiteral("active"),
                     QString::number(r.tokens), protocol::isoUtc(r.createdAt)});
    printTable({QStringLiteral("ID"), QStringLiteral("NAME"), QStringLiteral("EMAIL"),
                QStringLiteral("ROLE"), QStringLiteral("STATUS"), QStringLiteral("TOKENS"),
                QStringLiteral("CREATED")},
               rows);
}

int userList(QCommandLineParser &parser, Config &config)
{
    bool ok = false;
    const int limit = parser.value(QStringLiteral("limit")).toInt(&ok);
    if (!ok || limit < 1 || limit > 10000)
        return usageError(QStringLiteral("--limit must be from 1 to 10000"));
    CommandContext context(config);
    if (!context.open())
        return failure(context.errorString());
    qint64 total = 0;
    const auto users =
        context.accounts().listUsers(parser.value(QStringLiteral("search")), limit, 0, &total);
    if (!users)
        return fromError(users.error());
    if (jsonRequested(parser)) {
        QJsonArray array;
        for (const auto &record : *users)
            array.append(record.toJson());
        printJson(array);
        return ExitOk;
    }
    printUserTable(*users);
    if (total > users->size())
        printLine(
            stdout,
            QStringLiteral("(%1 of %2; use --limit or --search)").arg(users->size()).arg(total));
    return ExitOk;
}

int userBan(QCommandLineParser &parser, Config &config)
{
    const QString who = parser.positionalArguments().value(0);
    if (who.isEmpty())
        return usageError(QStringLiteral("user:ban needs a user id or email; see --help"));
    CommandContext context(config);
    if (!context.open())
        return failure(context.errorString());
    const auto user = resolveUser(context.accounts(), who);
    if (!user)
        return usageError(QStringLiteral("no user '%1'").arg(who));
    const bool unban = parser.isSet(QStringLiteral("unban"));
    const auto result = waitFor(context.admin().setBanned(user->id, !unban, protocol::nowMs()));
    if (!result)
        return fromError(result.error());
    if (jsonRequested(parser)) {
        printJson(*result);
        return ExitOk;
    }
    printLine(stdout, unban ? QStringLiteral("Unbanned %1 <%2>.").arg(user->name, user->email)
                            : QStringLiteral("Banned %1 <%2>: every token revoked; the server "
                                             "refuses their reconnects.")
                                  .arg(user->name, user->email));
    return ExitOk;
}

} // namespace

std::optional<protocol::User> resolveUser(AccountService &accounts, const QString &who)
{
    bool isId = false;
    const qint64 id = who.toLongLong(&isId);
    if (isId)
        return id > 0 ? accounts.findUser(id) : std::nullopt;
    return accounts.findUserByEmail(who);
}

Command userCreateCommand()
{
    return {
        QStringLiteral("user:create"),
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
            p.addOption({QStringLiteral("admin"), QStringLiteral("Give the user the admin role.")});
        },
        userCreate};
}

Command userListCommand()
{
    return {QStringLiteral("user:list"),
            QStringLiteral("List users (id, name, email, role, banned, tokens)."),
            {},
            [](QCommandLineParser &p) {
                p.addOption({QStringLiteral("search"),
                             QStringLiteral("Only users whose name or email contains this."),
                             QStringLiteral("text")});
                p.addOption({QStringLiteral("limit"), QStringLiteral("At most this many (100)."),
                             QStringLiteral("n"), QStringLiteral("100")});
                addJsonOption(p);
            },
            userList};
}

Command userBanCommand()
{
    return {QStringLiteral("user:ban"),
            QStringLiteral("Ban a user (revoking every token), or lift a ban with --unban."),
            QStringLiteral("user"),
            [](QCommandLineParser &p) {
                p.addPositionalArgument(QStringLiteral("user"),
                                        QStringLiteral("A user id or email."));
                p.addOption({QStringLiteral("unban"), QStringLiteral("Lift the ban instead.")});
                addJsonOption(p);
            },
            userBan};
}

} // namespace flippdeal::server::cli
