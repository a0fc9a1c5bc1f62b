// SPDX-License-Identifier: MIT
// The flippdeal-server command line: exit codes (0 done, 1 failure, 2 bad usage with one
// line on stderr), --help on every command, table and --json output. The operator commands
// (user:list, user:ban, escrow:resolve, stats) also run against a `serve` process on the same
// database, as docs/admin.md describes them.
#include "serverprocess.h"
#include "testhelpers.h"
#include "testserver.h"

#include "storage/database.h"

#include "protocol/types.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSet>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QtTest>

#include <memory>

using namespace flippdeal;
using namespace flippdeal::testing;

namespace {

const QString AdminEmail = QStringLiteral("ada@ops.test");
const QString UserPassword = QStringLiteral("correct horse battery");

struct Run
{
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

} // namespace

class TestCli : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    // SQLite in a folder of its own, or a PostgreSQL database of its own when
    // FLIPPDEAL_TEST_DATABASE is set (the `postgres` run).
    FreshDatabase m_database;

    static QProcessEnvironment cleanEnvironment()
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        for (const QString &key : env.keys()) {
            if (key.startsWith(QLatin1String("FLIPPDEAL_")))
                env.remove(key);
        }
        return env;
    }

    //! Runs the binary on `database` (the suite's own by default).
    Run run(const QStringList &arguments, const QByteArray &stdinText = {},
            const QString &database = {})
    {
        QProcess process;
        QProcessEnvironment env = cleanEnvironment();
        env.insert(QStringLiteral("FLIPPDEAL_DATA_DIR"), m_dir.path());
        env.insert(QStringLiteral("FLIPPDEAL_DATABASE"),
                   database.isEmpty() ? m_database.url() : database);
        env.insert(QStringLiteral("FLIPPDEAL_LOG_LEVEL"), QStringLiteral("warning"));
        process.setProcessEnvironment(env);
        process.start(QStringLiteral(FLIPPDEAL_SERVER_BINARY), arguments);
        if (!stdinText.isEmpty())
            process.write(stdinText);
        process.closeWriteChannel();
        if (!process.waitForFinished(60000))
            return {};
        return {process.exitCode(), process.readAllStandardOutput(),
                process.readAllStandardError()};
    }

    //! The database the commands use.
    QString databaseUrl() const { return m_database.url(); }

    //! `flippdeal-server serve` on the suite's database; null (with a warning) on failure.
    std::unique_ptr<ServerProcess> startServer()
    {
        auto server = std::make_unique<ServerProcess>(QStringLiteral(FLIPPDEAL_SERVER_BINARY));
        server->start(m_dir.path(), databaseUrl(), {}, cleanEnvironment());
        if (!server->waitListening()) {
            qWarning() << "serve did not start:" << server->output();
            return nullptr;
        }
        return server;
    }

    //! A port nothing listens on (for "no server running").
    static quint16 freePort()
    {
        QTcpServer probe;
        if (!probe.listen(QHostAddress::LocalHost, 0))
            return 0;
        const quint16 port = probe.serverPort();
        probe.close();
        return port;
    }

    static Reply post(const ServerProcess &server, const QString &path, const QJsonObject &body,
                      const QByteArray &token = {})
    {
        return send(
            {"POST", server.url(path), token, QJsonDocument(body).toJson(QJsonDocument::Compact)});
    }

    static int meStatus(const ServerProcess &server, const QByteArray &token)
    {
        return send({"GET", server.url(QStringLiteral("/api/me")), token, {}}).status;
    }

    static int loginStatus(const ServerProcess &server, const QString &email)
    {
        return post(server, QStringLiteral("/api/login"),
                    {{QLatin1String("email"), email}, {QLatin1String("password"), UserPassword}})
            .status;
    }

    //! Registers `name` with an email of its own; the session (empty on failure).
    Session registerUser(const ServerProcess &server, const QString &name)
    {
        static int counter = 0;
        return sessionOf(
            post(server, QStringLiteral("/api/register"),
                 {{QLatin1String("name"), name},
                  {QLatin1String("email"),
                   QStringLiteral("%1.%2@cli.flippdeal.test").arg(name.toLower()).arg(++counter)},
                  {QLatin1String("password"), UserPassword}}));
    }

    //! A connection to `server` subscribed to the user's private channel; null on failure.
    std::unique_ptr<TestSocket> userSocket(const ServerProcess &server, const Session &session)
    {
        auto socket = std::make_unique<TestSocket>(QUrl(
            QStringLiteral("ws://127.0.0.1:%1/app/test-key?protocol=7&client=qt-test&version=1.0")
                .arg(server.port())));
        if (!socket->waitConnected())
            return nullptr;
        const QString channel = protocol::Channels::user(session.user.id);
        const Reply auth = post(server, QStringLiteral("/broadcasting/auth"),
                                {{QLatin1String("socket_id"), socket->socketId()},
                                 {QLatin1String("channel_name"), channel}},
                                session.token);
        if (auth.status != 200 ||
            !socket->subscribe(channel, auth.json.value(QLatin1String("auth")).toString()))
            return nullptr;
        return socket;
    }

    //! An escrow between two new users, funded and then disputed by the buyer; 0 on failure.
    qint64 disputedEscrow(const ServerProcess &server, Session *buyerOut = nullptr)
    {
        static int counter = 0;
        const Session seller = registerUser(server, QStringLiteral("Seller"));
        const Session buyer = registerUser(server, QStringLiteral("Buyer"));
        if (buyerOut)
            *buyerOut = buyer;
        const Reply domain =
            post(server, QStringLiteral("/api/domains"),
                 {{QLatin1String("name"), QStringLiteral("cli-%1-%2.com")
                                              .arg(QCoreApplication::applicationPid())
                                              .arg(++counter)},
                  {QLatin1String("enable_bidding"), false}},
                 seller.token);
        const qint64 domainId = intOf(objectOf(domain, "domain"), "id");
        const Reply offer = post(server, QStringLiteral("/api/domains/%1/offers").arg(domainId),
                                 {{QLatin1String("amount_cents"), 25000}}, buyer.token);
        const Reply accepted =
            send({"PATCH",
                  server.url(
                      QStringLiteral("/api/offers/%1").arg(intOf(objectOf(offer, "offer"), "id"))),
                  seller.token, R"({"action":"accept"})"});
        const qint64 escrowId = intOf(objectOf(accepted, "offer"), "escrow_id");
        if (domainId <= 0 || escrowId <= 0) {
            qWarning() << "escrow setup failed" << describe(domain) << describe(offer)
                       << describe(accepted);
            return 0;
        }
        for (const char *action : {"fund", "dispute"}) {
            const Reply r =
                post(server,
                     QStringLiteral("/api/escrows/%1/%2").arg(escrowId).arg(QLatin1String(action)),
                     {}, buyer.token);
            if (r.status != 200) {
                qWarning() << action << "failed" << describe(r);
                return 0;
            }
        }
        return escrowId;
    }

    //! The users as `user:list --json` gives them.
    QJsonArray listUsers(const QStringList &extra = {})
    {
        const Run result = run(QStringList{QStringLiteral("user:list"), QStringLiteral("--json"),
                                           QStringLiteral("--limit"), QStringLiteral("10000")} +
                               extra);
        if (result.exitCode != 0)
            qWarning() << "user:list failed" << result.err;
        return QJsonDocument::fromJson(result.out).array();
    }

    qint64 userIdOf(const QString &email)
    {
        for (const QJsonValue &v : listUsers()) {
            if (v.toObject().value(QLatin1String("email")).toString() == email)
                return v.toObject().value(QLatin1String("id")).toInteger(-1);
        }
        return -1;
    }

    static void verifyOneLineError(const Run &result, const QByteArray &mentions)
    {
        const QByteArray line = result.err.trimmed();
        QVERIFY2(!line.isEmpty() && !line.contains('\n'), result.err.constData());
        QVERIFY2(line.contains(mentions), line.constData());
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid() && m_database.isValid()); }

    void helpOnEveryCommand_data()
    {
        QTest::addColumn<QString>("command");
        for (const char *c :
             {"serve", "migrate", "user:create", "demo:seed", "queue:work", "queue:failed",
              "queue:retry", "queue:monitor", "auctions:broadcast-countdowns", "user:list",
              "user:ban", "escrow:resolve", "stats"})
            QTest::addRow("%s", c) << QString::fromLatin1(c);
    }

    void helpOnEveryCommand()
    {
        QFETCH(QString, command);
        const Run result = run({command, QStringLiteral("--help")});
        QCOMPARE(result.exitCode, 0);
        QVERIFY(result.out.contains("--database"));
    }

    void overview()
    {
        const Run result = run({QStringLiteral("--help")});
        QCOMPARE(result.exitCode, 0);
        QVERIFY(result.out.contains("queue:monitor"));
        QCOMPARE(run({}).exitCode, 2);
    }

    void badUsage_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QByteArray>("mentions");
        QTest::addRow("unknown command")
            << QStringList{QStringLiteral("frobnicate")} << QByteArray("frobnicate");
        QTest::addRow("unknown option")
            << QStringList{QStringLiteral("migrate"), QStringLiteral("--colour")}
            << QByteArray("colour");
        QTest::addRow("bad listen")
            << QStringList{QStringLiteral("serve"), QStringLiteral("--listen"),
                           QStringLiteral("nowhere")}
            << QByteArray("listen");
        QTest::addRow("bad database")
            << QStringList{QStringLiteral("migrate"), QStringLiteral("--database"),
                           QStringLiteral("mysql://x")}
            << QByteArray("database");
        QTest::addRow("bad log level")
            << QStringList{QStringLiteral("serve"), QStringLiteral("--log-level"),
                           QStringLiteral("loud")}
            << QByteArray("log-level");
        QTest::addRow("missing config file")
            << QStringList{QStringLiteral("serve"), QStringLiteral("--config"),
                           QStringLiteral("/nonexistent.ini")}
            << QByteArray("nonexistent");
        QTest::addRow("user:create incomplete")
            << QStringList{QStringLiteral("user:create"), QStringLiteral("--name"),
                           QStringLiteral("X")}
            << QByteArray("--email");
        QTest::addRow("user:create bad email")
            << QStringList{QStringLiteral("user:create"), QStringLiteral("--name"),
                           QStringLiteral("X"),           QStringLiteral("--email"),
                           QStringLiteral("nope"),        QStringLiteral("--password"),
                           QStringLiteral("long enough")}
            << QByteArray("email");
        QTest::addRow("queue:retry without id")
            << QStringList{QStringLiteral("queue:retry")} << QByteArray("id");
        QTest::addRow("queue:retry bad id")
            << QStringList{QStringLiteral("queue:retry"), QStringLiteral("x")} << QByteArray("'x'");
        QTest::addRow("queue:retry unknown id")
            << QStringList{QStringLiteral("queue:retry"), QStringLiteral("42")} << QByteArray("42");
        QTest::addRow("extra argument")
            << QStringList{QStringLiteral("migrate"), QStringLiteral("now")} << QByteArray("now");
        QTest::addRow("stats extra argument")
            << QStringList{QStringLiteral("stats"), QStringLiteral("now")} << QByteArray("now");
        QTest::addRow("user:list bad limit")
            << QStringList{QStringLiteral("user:list"), QStringLiteral("--limit"),
                           QStringLiteral("0")}
            << QByteArray("--limit");
        QTest::addRow("user:ban without user")
            << QStringList{QStringLiteral("user:ban")} << QByteArray("user");
        QTest::addRow("escrow:resolve without arguments")
            << QStringList{QStringLiteral("escrow:resolve")} << QByteArray("outcome");
        QTest::addRow("escrow:resolve without outcome")
            << QStringList{QStringLiteral("escrow:resolve"), QStringLiteral("5"),
                           QStringLiteral("--reason"), QStringLiteral("x")}
            << QByteArray("outcome");
        QTest::addRow("escrow:resolve bad outcome")
            << QStringList{QStringLiteral("escrow:resolve"), QStringLiteral("5"),
                           QStringLiteral("keep"), QStringLiteral("--reason"), QStringLiteral("x")}
            << QByteArray("'keep'");
        QTest::addRow("escrow:resolve bad id")
            << QStringList{QStringLiteral("escrow:resolve"), QStringLiteral("five"),
                           QStringLiteral("refund"), QStringLiteral("--reason"),
                           QStringLiteral("x")}
            << QByteArray("id");
        QTest::addRow("escrow:resolve without reason")
            << QStringList{QStringLiteral("escrow:resolve"), QStringLiteral("5"),
                           QStringLiteral("refund")}
            << QByteArray("--reason");
        QTest::addRow("escrow:resolve blank reason")
            << QStringList{QStringLiteral("escrow:resolve"), QStringLiteral("5"),
                           QStringLiteral("refund"), QStringLiteral("--reason"),
                           QStringLiteral("  ")}
            << QByteArray("--reason");
    }

    void badUsage()
    {
        QFETCH(QStringList, arguments);
        QFETCH(QByteArray, mentions);
        const Run result = run(arguments);
        QCOMPARE(result.exitCode, 2);
        const QByteArray line = result.err.trimmed();
        QVERIFY2(!line.isEmpty() && !line.contains('\n'), line.constData());
        QVERIFY2(line.contains(mentions), line.constData());
    }

    void migrateAndCreateUsers()
    {
        const Run migrate = run({QStringLiteral("migrate")});
        QCOMPARE(migrate.exitCode, 0);
        QVERIFY(migrate.out.contains(
            QStringLiteral("version %1").arg(server::Database::latestSchemaVersion()).toUtf8()));
        const Run admin = run({QStringLiteral("user:create"), QStringLiteral("--name"),
                               QStringLiteral("Ada Admin"), QStringLiteral("--email"),
                               QStringLiteral("ada@ops.test"), QStringLiteral("--password-stdin"),
                               QStringLiteral("--admin")},
                              "a long admin password\n");
        QCOMPARE(admin.exitCode, 0);
        QVERIFY(admin.out.contains("admin"));
        QVERIFY2(!admin.out.contains("long admin password") &&
                     !admin.err.contains("long admin password"),
                 "passwords are never printed");
        const Run again =
            run({QStringLiteral("user:create"), QStringLiteral("--name"), QStringLiteral("Ada"),
                 QStringLiteral("--email"), QStringLiteral("ada@ops.test"),
                 QStringLiteral("--password"), QStringLiteral("another password")});
        QCOMPARE(again.exitCode, 2);
        QVERIFY(again.err.contains("taken"));
    }

    void queueCommands()
    {
        const Run monitor = run({QStringLiteral("queue:monitor")});
        QCOMPARE(monitor.exitCode, 0);
        QVERIFY(monitor.out.contains("READY"));
        const Run json = run({QStringLiteral("queue:monitor"), QStringLiteral("--json")});
        QCOMPARE(json.exitCode, 0);
        const QJsonObject stats = QJsonDocument::fromJson(json.out).object();
        QVERIFY(stats.contains(QLatin1String("failed")));
        QCOMPARE(stats.value(QLatin1String("ready")).toInt(), 0);
        const Run failed = run({QStringLiteral("queue:failed"), QStringLiteral("--json")});
        QCOMPARE(failed.exitCode, 0);
        QVERIFY(QJsonDocument::fromJson(failed.out).isArray());
        QCOMPARE(run({QStringLiteral("queue:retry"), QStringLiteral("all")}).exitCode, 0);
        QCOMPARE(run({QStringLiteral("queue:work"), QStringLiteral("--once")}).exitCode, 0);
        QCOMPARE(run({QStringLiteral("auctions:broadcast-countdowns"), QStringLiteral("--once")})
                     .exitCode,
                 0);
    }

    void demoSeedIsIdempotent()
    {
        const Run first = run({QStringLiteral("demo:seed")});
        QCOMPARE(first.exitCode, 0);
        QVERIFY(first.out.contains("bob@demo.flippdeal.test"));
        const Run second = run({QStringLiteral("demo:seed")});
        QCOMPARE(second.exitCode, 0);
        QVERIFY(second.out.contains("already present"));
    }

    // --- operator commands (after the admin and the demo users exist) -------------------------

    void userList()
    {
        const Run table = run({QStringLiteral("user:list")});
        QCOMPARE(table.exitCode, 0);
        const QList<QByteArray> lines = table.out.trimmed().split('\n');
        QVERIFY2(lines.size() >= 4, table.out.constData());
        for (const char *column : {"ID", "NAME", "EMAIL", "ROLE", "STATUS", "TOKENS"})
            QVERIFY2(lines.first().contains(column), lines.first().constData());
        QVERIFY(lines.at(1).startsWith("--"));
        QByteArray adaRow;
        for (const QByteArray &line : lines) {
            if (line.contains(AdminEmail.toLatin1()))
                adaRow = line;
        }
        QVERIFY2(adaRow.contains("Ada Admin") && adaRow.contains("admin") &&
                     adaRow.contains("active"),
                 table.out.constData());
        QVERIFY(table.out.contains("bob@demo.flippdeal.test"));

        // --json: one line, an array of every user.
        const Run json = run({QStringLiteral("user:list"), QStringLiteral("--json")});
        QCOMPARE(json.exitCode, 0);
        QCOMPARE(json.out.trimmed().count('\n'), 0);
        const QJsonDocument doc = QJsonDocument::fromJson(json.out);
        QVERIFY2(doc.isArray(), json.out.constData());
        const QJsonArray users = doc.array();
        QCOMPARE(users.size(), lines.size() - 2); // the table had every one too
        QSet<QString> emails;
        QJsonObject ada;
        for (const QJsonValue &v : users) {
            const QJsonObject user = v.toObject();
            emails.insert(user.value(QLatin1String("email")).toString());
            if (user.value(QLatin1String("email")).toString() == AdminEmail)
                ada = user;
            QVERIFY(user.value(QLatin1String("id")).toInteger() > 0);
            QVERIFY(user.contains(QLatin1String("banned_at")));
            QVERIFY(user.value(QLatin1String("tokens")).isDouble());
            QVERIFY(isIsoMs(user.value(QLatin1String("created_at"))));
        }
        QVERIFY(emails.contains(QStringLiteral("bob@demo.flippdeal.test")));
        QCOMPARE(ada.value(QLatin1String("role")).toString(), QStringLiteral("admin"));
        QCOMPARE(ada.value(QLatin1String("name")).toString(), QStringLiteral("Ada Admin"));
        QVERIFY(ada.value(QLatin1String("banned_at")).isNull());

        // --search: name or email, any case.
        const QJsonArray found =
            listUsers({QStringLiteral("--search"), QStringLiteral("OPS.test")});
        QCOMPARE(found.size(), 1);
        QCOMPARE(found.first().toObject().value(QLatin1String("email")).toString(), AdminEmail);
        const QJsonArray byName =
            listUsers({QStringLiteral("--search"), QStringLiteral("bob buyer")});
        QCOMPARE(byName.size(), 1);
        QCOMPARE(byName.first().toObject().value(QLatin1String("email")).toString(),
                 QStringLiteral("bob@demo.flippdeal.test"));
        QCOMPARE(
            listUsers({QStringLiteral("--search"), QStringLiteral("nobody-is-called-this")}).size(),
            0);
        const Run searched = run({QStringLiteral("user:list"), QStringLiteral("--search"),
                                  QStringLiteral("demo.flippdeal")});
        QCOMPARE(searched.exitCode, 0);
        QVERIFY(searched.out.contains("bob@demo.flippdeal.test"));
        QVERIFY(!searched.out.contains(AdminEmail.toLatin1()));

        // --limit, and the table says there are more.
        const Run one = run({QStringLiteral("user:list"), QStringLiteral("--json"),
                             QStringLiteral("--limit"), QStringLiteral("1")});
        QCOMPARE(QJsonDocument::fromJson(one.out).array().size(), 1);
        const Run oneTable =
            run({QStringLiteral("user:list"), QStringLiteral("--limit"), QStringLiteral("1")});
        QCOMPARE(oneTable.exitCode, 0);
        QVERIFY2(oneTable.out.contains(QStringLiteral("1 of %1").arg(users.size()).toLatin1()),
                 oneTable.out.constData());
    }

    void statsWithoutServer()
    {
        const quint16 port = freePort();
        QVERIFY(port != 0);
        const QString listen = QStringLiteral("127.0.0.1:%1").arg(port);
        const Run json = run({QStringLiteral("stats"), QStringLiteral("--json"),
                              QStringLiteral("--listen"), listen});
        QCOMPARE(json.exitCode, 0);
        QCOMPARE(json.out.trimmed().count('\n'), 0);
        const QJsonObject stats = QJsonDocument::fromJson(json.out).object();
        for (const char *key :
             {"connections", "channels", "outbox_backlog", "queue", "users", "banned_users",
              "live_auctions", "disputed_escrows", "server_running"})
            QVERIFY2(stats.contains(QLatin1String(key)), key);
        QCOMPARE(stats.value(QLatin1String("server_running")), QJsonValue(false));
        QVERIFY(stats.value(QLatin1String("connections")).isNull());
        QVERIFY(stats.value(QLatin1String("channels")).isNull());
        QCOMPARE(stats.value(QLatin1String("users")).toInteger(), qint64(listUsers().size()));
        QCOMPARE(stats.value(QLatin1String("banned_users")).toInteger(), qint64(0));
        QVERIFY(stats.value(QLatin1String("live_auctions")).toInteger() >= 1); // the demo's
        const QJsonObject queue = stats.value(QLatin1String("queue")).toObject();
        for (const char *key : {"ready", "delayed", "running", "failed"})
            QVERIFY2(queue.value(QLatin1String(key)).isDouble(), key);

        const Run table = run({QStringLiteral("stats"), QStringLiteral("--listen"), listen});
        QCOMPARE(table.exitCode, 0);
        QVERIFY2(table.out.contains("not reachable"), table.out.constData());
        QByteArray connections;
        for (const QByteArray &line : table.out.split('\n')) {
            if (line.startsWith("connections"))
                connections = line;
        }
        QVERIFY2(connections.simplified() == "connections -", table.out.constData());
    }

    void queueFailedAndRetry()
    {
        // A job nobody handles, allowed one attempt: queue:work fails it for good.
        auto db = openDirect(databaseUrl());
        QVERIFY(db);
        const QString type = QStringLiteral("cli-test.orphan");
        QVERIFY(
            sqlExec(*db,
                    QStringLiteral("INSERT INTO jobs (type, payload, max_attempts, available_at, "
                                   "created_at) VALUES (?, '{\"n\":7}', 1, 0, 0)"),
                    {type}));
        db.reset();
        QCOMPARE(run({QStringLiteral("queue:work"), QStringLiteral("--once")}).exitCode, 0);

        const Run failed = run({QStringLiteral("queue:failed"), QStringLiteral("--json")});
        QCOMPARE(failed.exitCode, 0);
        const QJsonArray jobs = QJsonDocument::fromJson(failed.out).array();
        QCOMPARE(jobs.size(), 1);
        const QJsonObject job = jobs.first().toObject();
        QCOMPARE(job.value(QLatin1String("type")).toString(), type);
        QVERIFY(job.value(QLatin1String("error")).toString().contains(type));
        const QString id = QString::number(job.value(QLatin1String("id")).toInteger());
        const Run table = run({QStringLiteral("queue:failed")});
        QVERIFY2(table.out.contains(type.toLatin1()) && table.out.contains("no handler"),
                 table.out.constData());
        const auto monitor = [this] {
            return QJsonDocument::fromJson(
                       run({QStringLiteral("queue:monitor"), QStringLiteral("--json")}).out)
                .object();
        };
        QCOMPARE(monitor().value(QLatin1String("failed")).toInt(), 1);
        const QJsonObject stats =
            QJsonDocument::fromJson(
                run({QStringLiteral("stats"), QStringLiteral("--json"), QStringLiteral("--listen"),
                     QStringLiteral("127.0.0.1:%1").arg(freePort())})
                    .out)
                .object();
        QCOMPARE(
            stats.value(QLatin1String("queue")).toObject().value(QLatin1String("failed")).toInt(),
            1);

        const Run retried = run({QStringLiteral("queue:retry"), id, QStringLiteral("--json")});
        QCOMPARE(retried.exitCode, 0);
        QCOMPARE(QJsonDocument::fromJson(retried.out).object(),
                 (QJsonObject{{QLatin1String("retried"), 1}}));
        QCOMPARE(monitor().value(QLatin1String("failed")).toInt(), 0);
        QCOMPARE(monitor().value(QLatin1String("ready")).toInt(), 1);
        const Run again = run({QStringLiteral("queue:retry"), id});
        QCOMPARE(again.exitCode, 2);
        verifyOneLineError(again, id.toLatin1());
        // Done with it: the rest of the suite wants an empty queue.
        db = openDirect(databaseUrl());
        QVERIFY(db);
        QVERIFY(sqlExec(*db, QStringLiteral("DELETE FROM jobs WHERE type = ?"), {type}));
    }

    void unreachableDatabase_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addRow("user:list") << QStringList{QStringLiteral("user:list")};
        QTest::addRow("user:ban") << QStringList{QStringLiteral("user:ban"), AdminEmail};
        QTest::addRow("escrow:resolve") << QStringList{
            QStringLiteral("escrow:resolve"), QStringLiteral("1"), QStringLiteral("refund"),
            QStringLiteral("--reason"), QStringLiteral("x")};
        QTest::addRow("stats") << QStringList{QStringLiteral("stats"), QStringLiteral("--json")};
    }

    //! A failure, not bad input: exit code 1 with the reason on stderr, nothing on stdout.
    void unreachableDatabase()
    {
        QFETCH(QStringList, arguments);
        const Run result =
            run(arguments + QStringList{QStringLiteral("--database"),
                                        QStringLiteral("postgres://nobody@127.0.0.1:1/none")});
        QCOMPARE(result.exitCode, 1);
        QVERIFY2(result.err.contains("database"), result.err.constData());
        QVERIFY(result.out.isEmpty());
    }

    //! Bad settings that hold a secret are named with their rule; the value is not printed.
    void badSecretsAreNotPrinted_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QString>("database");
        QTest::addColumn<QByteArray>("mentions");
        QTest::addColumn<QByteArray>("secret");
        QTest::addRow("short app secret")
            << QStringList{QStringLiteral("serve"), QStringLiteral("--app-secret"),
                           QStringLiteral("Hunt3r!")}
            << QString() << QByteArray("app-secret") << QByteArray("Hunt3r!");
        QTest::addRow("master key")
            << QStringList{QStringLiteral("serve"), QStringLiteral("--encryption-master-key"),
                           QStringLiteral("SuperSecretMasterKeyValue42")}
            << QString() << QByteArray("encryption-master-key") << QByteArray("SuperSecretMaster");
        QTest::addRow("database URL in the environment")
            << QStringList{QStringLiteral("migrate")}
            << QStringLiteral("postgres://flippdeal:Hunter2Secret@db.internal:5432")
            << QByteArray("FLIPPDEAL_DATABASE") << QByteArray("Hunter2Secret");
        QTest::addRow("database URL option")
            << QStringList{QStringLiteral("user:list"), QStringLiteral("--database"),
                           QStringLiteral("postgres://flippdeal:Hunter2Secret@db internal/x")}
            << QString() << QByteArray("--database") << QByteArray("Hunter2Secret");
    }

    void badSecretsAreNotPrinted()
    {
        QFETCH(QStringList, arguments);
        QFETCH(QString, database);
        QFETCH(QByteArray, mentions);
        QFETCH(QByteArray, secret);
        const Run result = run(arguments, {}, database);
        QCOMPARE(result.exitCode, 2);
        verifyOneLineError(result, mentions);
        QVERIFY2(!result.err.contains(secret) && !result.out.contains(secret),
                 result.err.constData());
    }

    //! A database that cannot be reached: the error says why, without the URL's password.
    void unreachableDatabaseHidesThePassword()
    {
        const Run result =
            run({QStringLiteral("migrate"), QStringLiteral("--database"),
                 QStringLiteral("postgres://flippdeal:Hunter2Secret@127.0.0.1:1/none")});
        QCOMPARE(result.exitCode, 1);
        QVERIFY2(result.err.contains("database"), result.err.constData());
        QVERIFY2(!result.err.contains("Hunter2Secret") && !result.out.contains("Hunter2Secret"),
                 result.err.constData());
    }

    //! Everything `serve` writes at the debug level, from start to stop, with sign-ins and a
    //! signed API call in between: no secret of its configuration and no password appears.
    void serveNeverPrintsSecrets()
    {
        const QByteArray appSecret = "Serve-Secret-0123456789";
        const QByteArray masterKey = QByteArray(32, '\x2a').toBase64();
        const QByteArray password = "Pa55-in-the-log?";
        QString database = databaseUrl();
        const QByteArray databasePassword = "Hunter2Secret";
        if (m_database.isPostgres()) // the test cluster trusts; a password is accepted and unused
            database.replace(QLatin1String("postgres://flippdeal@"),
                             QStringLiteral("postgres://flippdeal:%1@")
                                 .arg(QString::fromLatin1(databasePassword)));
        QProcessEnvironment environment = cleanEnvironment();
        environment.remove(QStringLiteral("QT_LOGGING_RULES")); // ctest turns info off
        ServerProcess server(QStringLiteral(FLIPPDEAL_SERVER_BINARY));
        server.start(m_dir.path(), database,
                     {QStringLiteral("--log-level"), QStringLiteral("debug"),
                      QStringLiteral("--app-secret"), QString::fromLatin1(appSecret),
                      QStringLiteral("--encryption-master-key"), QString::fromLatin1(masterKey)},
                     environment);
        QVERIFY2(server.waitListening(), server.output().constData());
        const Session user = registerUser(server, QStringLiteral("Quiet"));
        QVERIFY(user.user.id > 0);
        QCOMPARE(post(server, QStringLiteral("/api/login"),
                      {{QLatin1String("email"), user.user.email},
                       {QLatin1String("password"), QString::fromLatin1(password)}})
                     .status,
                 401);
        QCOMPARE(server.terminate(), 0);
        const QByteArray output = server.output();
        // Sanity: it logs at the debug level, sign-in failures included.
        QVERIFY2(output.contains("failed sign-in") && output.contains("app id"),
                 output.constData());
        for (const QByteArray &secret :
             {appSecret, masterKey, password, databasePassword, user.token})
            QVERIFY2(!output.contains(secret), secret.constData());
    }

    void banWithRunningServer()
    {
        auto server = startServer();
        QVERIFY(server);
        const Session victim = registerUser(*server, QStringLiteral("Victim"));
        QVERIFY(victim.user.id > 0);
        auto socket = userSocket(*server, victim);
        QVERIFY(socket);

        // stats sees the running server and its one connection.
        const Run live =
            run({QStringLiteral("stats"), QStringLiteral("--json"), QStringLiteral("--listen"),
                 QStringLiteral("127.0.0.1:%1").arg(server->port())});
        QCOMPARE(live.exitCode, 0);
        const QJsonObject stats = QJsonDocument::fromJson(live.out).object();
        QCOMPARE(stats.value(QLatin1String("server_running")), QJsonValue(true));
        QCOMPARE(stats.value(QLatin1String("connections")).toInteger(-1), qint64(1));
        QCOMPARE(stats.value(QLatin1String("channels")).toInteger(-1), qint64(1));

        const Run liveTable = run({QStringLiteral("stats"), QStringLiteral("--listen"),
                                   QStringLiteral("127.0.0.1:%1").arg(server->port())});
        QCOMPARE(liveTable.exitCode, 0);
        QVERIFY2(liveTable.out.contains(
                     QStringLiteral("running on 127.0.0.1:%1").arg(server->port()).toLatin1()),
                 liveTable.out.constData());

        // Ban by email (any case): the token fails at once, the connection is closed within
        // seconds (the server looks for new bans every 2 s).
        const Run banned = run({QStringLiteral("user:ban"), victim.user.email.toUpper()});
        QVERIFY2(banned.exitCode == 0, banned.err.constData());
        QVERIFY(banned.out.contains(victim.user.email.toLatin1()));
        QCOMPARE(meStatus(*server, victim.token), 401);
        const auto error = socket->waitFor(QStringLiteral("pusher:error"), {}, 6000);
        QVERIFY2(error, "the server did not drop the banned user's connection");
        QCOMPARE(frameData(*error).value(QLatin1String("code")).toInt(), 4009);
        QVERIFY(socket->waitClosed());
        QCOMPARE(socket->closeCode(), 4009);
        QCOMPARE(loginStatus(*server, victim.user.email), 401);
        const QJsonArray listed = listUsers({QStringLiteral("--search"), victim.user.email});
        QCOMPARE(listed.size(), 1);
        QVERIFY(!listed.first().toObject().value(QLatin1String("banned_at")).isNull());
        QCOMPARE(listed.first().toObject().value(QLatin1String("tokens")).toInt(-1), 0);

        // Unban by id, for scripts.
        const Run unbanned = run({QStringLiteral("user:ban"), QString::number(victim.user.id),
                                  QStringLiteral("--unban"), QStringLiteral("--json")});
        QVERIFY2(unbanned.exitCode == 0, unbanned.err.constData());
        QCOMPARE(unbanned.out.trimmed().count('\n'), 0);
        const QJsonObject result = QJsonDocument::fromJson(unbanned.out).object();
        const QJsonObject user = result.value(QLatin1String("user")).toObject();
        QCOMPARE(user.value(QLatin1String("id")).toInteger(), victim.user.id);
        QCOMPARE(user.value(QLatin1String("email")).toString(), victim.user.email);
        QVERIFY(user.contains(QLatin1String("banned_at")));
        QVERIFY(user.value(QLatin1String("banned_at")).isNull());
        QCOMPARE(result.value(QLatin1String("connections_closed")), QJsonValue(0));
        QCOMPARE(loginStatus(*server, victim.user.email), 200);

        // Nobody, and an admin: bad input, one line.
        const Run nobody = run({QStringLiteral("user:ban"), QStringLiteral("nobody@nowhere.test")});
        QCOMPARE(nobody.exitCode, 2);
        verifyOneLineError(nobody, "nobody@nowhere.test");
        QVERIFY(nobody.out.isEmpty());
        const Run unknownId = run({QStringLiteral("user:ban"), QStringLiteral("987654")});
        QCOMPARE(unknownId.exitCode, 2);
        verifyOneLineError(unknownId, "987654");
        const Run admin = run({QStringLiteral("user:ban"), AdminEmail});
        QCOMPARE(admin.exitCode, 2);
        verifyOneLineError(admin, "administrator");
        QVERIFY(listUsers({QStringLiteral("--search"), AdminEmail})
                    .first()
                    .toObject()
                    .value(QLatin1String("banned_at"))
                    .isNull());

        QCOMPARE(server->terminate(), 0);
    }

    void escrowResolve()
    {
        auto server = startServer();
        QVERIFY(server);
        Session buyer;
        const qint64 escrowId = disputedEscrow(*server, &buyer);
        QVERIFY(escrowId > 0);
        auto buyerSocket = userSocket(*server, buyer);
        QVERIFY(buyerSocket);
        const qint64 adminId = userIdOf(AdminEmail);
        QVERIFY(adminId > 0);
        const QString id = QString::number(escrowId);

        // --by someone who is not an admin, or nobody at all.
        for (const QString &by :
             {QStringLiteral("bob@demo.flippdeal.test"), QStringLiteral("nobody@nowhere.test")}) {
            const Run refused =
                run({QStringLiteral("escrow:resolve"), id, QStringLiteral("refund"),
                     QStringLiteral("--reason"), QStringLiteral("x"), QStringLiteral("--by"), by});
            QCOMPARE(refused.exitCode, 2);
            verifyOneLineError(refused, "--by");
        }
        const Run unknown =
            run({QStringLiteral("escrow:resolve"), QStringLiteral("987654"),
                 QStringLiteral("refund"), QStringLiteral("--reason"), QStringLiteral("x")});
        QCOMPARE(unknown.exitCode, 2);
        verifyOneLineError(unknown, "not found");

        const Run resolved = run({QStringLiteral("escrow:resolve"), id, QStringLiteral("refund"),
                                  QStringLiteral("--reason"), QStringLiteral("Seller vanished"),
                                  QStringLiteral("--by"), AdminEmail, QStringLiteral("--json")});
        QVERIFY2(resolved.exitCode == 0, resolved.err.constData());
        QCOMPARE(resolved.out.trimmed().count('\n'), 0);
        const QJsonObject escrow = QJsonDocument::fromJson(resolved.out)
                                       .object()
                                       .value(QLatin1String("escrow"))
                                       .toObject();
        QCOMPARE(escrow.value(QLatin1String("id")).toInteger(), escrowId);
        QCOMPARE(escrow.value(QLatin1String("status")).toString(), QStringLiteral("refunded"));
        // The running server publishes what the command committed: the buyer hears of it live.
        const auto told = buyerSocket->waitFor(protocol::EventName::NotificationCreated,
                                               protocol::Channels::user(buyer.user.id), 10000);
        QVERIFY2(told, "the buyer was not told live");
        const QJsonObject note = frameData(*told).value(QLatin1String("notification")).toObject();
        QCOMPARE(note.value(QLatin1String("type")).toString(),
                 protocol::NotificationType::EscrowUpdated);
        QCOMPARE(
            note.value(QLatin1String("data")).toObject().value(QLatin1String("status")).toString(),
            QStringLiteral("refunded"));

        // The server agrees, and the audit trail names the admin and the reason.
        auto db = openDirect(databaseUrl());
        QVERIFY(db);
        QCOMPARE(
            sqlTexts(*db, QStringLiteral("SELECT status FROM escrows WHERE id = ?"), {escrowId}),
            QStringList{QStringLiteral("refunded")});
        QCOMPARE(sqlTexts(*db,
                          QStringLiteral("SELECT from_status || '|' || to_status || '|' || "
                                         "CAST(actor_id AS TEXT) || '|' || reason FROM "
                                         "escrow_events WHERE escrow_id = ? ORDER BY id DESC "
                                         "LIMIT 1"),
                          {escrowId}),
                 QStringList{QStringLiteral("disputed|refunded|%1|Seller vanished").arg(adminId)});

        // Not twice.
        const Run again = run({QStringLiteral("escrow:resolve"), id, QStringLiteral("release"),
                               QStringLiteral("--reason"), QStringLiteral("x")});
        QCOMPARE(again.exitCode, 2);
        verifyOneLineError(again, "refunded");

        // Without --by: the first admin decides.
        const qint64 second = disputedEscrow(*server);
        QVERIFY(second > 0);
        const Run released = run({QStringLiteral("escrow:resolve"), QString::number(second),
                                  QStringLiteral("release"), QStringLiteral("--reason"),
                                  QStringLiteral("Transfer seen")});
        QVERIFY2(released.exitCode == 0, released.err.constData());
        QVERIFY2(released.out.contains("completed") && released.out.contains(AdminEmail.toLatin1()),
                 released.out.constData());
        QCOMPARE(sqlTexts(*db,
                          QStringLiteral("SELECT to_status || '|' || CAST(actor_id AS TEXT) FROM "
                                         "escrow_events WHERE escrow_id = ? ORDER BY id DESC "
                                         "LIMIT 1"),
                          {second}),
                 QStringList{QStringLiteral("completed|%1").arg(adminId)});
        db.reset();
        QCOMPARE(server->terminate(), 0);
    }

    void escrowResolveNeedsAnAdmin()
    {
        const FreshDatabase empty;
        QVERIFY(empty.isValid());
        const Run result =
            run({QStringLiteral("escrow:resolve"), QStringLiteral("1"), QStringLiteral("refund"),
                 QStringLiteral("--reason"), QStringLiteral("x")},
                {}, empty.url());
        QCOMPARE(result.exitCode, 2);
        verifyOneLineError(result, "user:create --admin");
        QVERIFY(result.out.isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
