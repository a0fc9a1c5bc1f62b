// SPDX-License-Identifier: MIT
// The admin API (docs/admin.md) against a real in-process server: every route is for admins only
// (401 without a token, 403 for other users), the route table matches the docs and the code,
// and each area does what the docs say: stats, channels, users (search, ban, revoke, terminate),
// jobs, disputed escrows, auctions (extend, cancel) and announcements. Bad input never gets a
// 500.
#include "testhelpers.h"
#include "testserver.h"

#include "admin/adminservice.h"
#include "auth/accountservice.h"
#include "core/waitfor.h"
#include "jobs/jobqueue.h"
#include "storage/database.h"

#include "protocol/timeformat.h"
#include "protocol/types.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSet>
#include <QtTest>

#include <memory>
#include <optional>

using namespace flippdeal;
using namespace flippdeal::testing;

namespace {

const QString Password = QStringLiteral("correct horse battery");
const QString ForbiddenMessage = QStringLiteral("Only administrators may do this.");
constexpr qint64 HourMs = 3600 * 1000;
constexpr qint64 UnknownId = 987654321;

//! One admin route as docs/admin.md lists it. The path's placeholders name what the test
//! creates for it: {user}, {job} (a waiting job), {failed} (a failed job), {escrow} (a
//! disputed escrow), {auction} (a live auction).
struct AdminRoute
{
    const char *method;
    const char *path;
    const char *body; //!< a valid JSON body, or nullptr
    int status;       //!< what an admin gets
};

const QList<AdminRoute> &adminRoutes()
{
    static const QList<AdminRoute> routes{
        {"GET", "/api/admin/stats", nullptr, 200},
        {"GET", "/api/admin/channels", nullptr, 200},
        {"GET", "/api/admin/users", nullptr, 200},
        {"POST", "/api/admin/users/{user}/ban", nullptr, 200},
        {"POST", "/api/admin/users/{user}/unban", nullptr, 200},
        {"POST", "/api/admin/users/{user}/revoke-tokens", nullptr, 200},
        {"POST", "/api/admin/users/{user}/terminate-connections", nullptr, 200},
        {"GET", "/api/admin/jobs", nullptr, 200},
        {"DELETE", "/api/admin/jobs/{job}", nullptr, 200},
        {"GET", "/api/admin/jobs/failed", nullptr, 200},
        {"POST", "/api/admin/jobs/failed/{failed}/retry", nullptr, 200},
        {"POST", "/api/admin/jobs/failed/retry-all", nullptr, 200},
        {"DELETE", "/api/admin/jobs/failed/{failed}", nullptr, 200},
        {"GET", "/api/admin/escrows", nullptr, 200},
        {"POST", "/api/admin/escrows/{escrow}/resolve",
         R"({"outcome":"refund","reason":"Route test"})", 200},
        {"GET", "/api/admin/auctions", nullptr, 200},
        {"POST", "/api/admin/auctions/{auction}/cancel", R"({"reason":"Route test"})", 200},
        {"POST", "/api/admin/auctions/{auction}/extend", R"({"seconds":60})", 200},
        {"POST", "/api/admin/announcements", R"({"title":"Route test","body":"Hello"})", 201},
    };
    return routes;
}

//! The route's path with every placeholder spelled `{id}`, as the docs and the router name it.
QString genericPath(const QString &path)
{
    static const QRegularExpression placeholder(QStringLiteral(R"(\{[a-z]+\})"));
    return QString(path).replace(placeholder, QStringLiteral("{id}"));
}

//! Whether `path` (concrete) matches `pattern` (with `{...}` segments), as the router matches.
bool patternMatches(const QString &pattern, const QString &path)
{
    const QStringList want = pattern.split(QLatin1Char('/'), Qt::SkipEmptyParts);
    const QStringList have = path.split(QLatin1Char('/'), Qt::SkipEmptyParts);
    if (want.size() != have.size())
        return false;
    for (qsizetype i = 0; i < want.size(); ++i) {
        if (!want[i].startsWith(QLatin1Char('{')) && want[i] != have[i])
            return false;
    }
    return true;
}

QString readSource(const QString &relativePath)
{
    QFile file(QStringLiteral(FLIPPDEAL_SOURCE_DIR "/") + relativePath);
    if (!file.open(QIODevice::ReadOnly)) {
        qWarning() << "cannot read" << file.fileName();
        return {};
    }
    return QString::fromUtf8(file.readAll());
}

QString isoAfter(qint64 ms)
{
    return protocol::isoUtc(protocol::nowMs() + ms);
}

qint64 msOf(const QJsonValue &value)
{
    const auto parsed = protocol::parseIsoUtc(value.toString());
    return parsed ? *parsed : -1;
}

qint64 idOf(const QJsonObject &object)
{
    return object.value(QLatin1String("id")).toInteger(-1);
}

QJsonArray dataOf(const Reply &reply)
{
    return reply.json.value(QLatin1String("data")).toArray();
}

//! The element of `array` whose `key` is `value` (an integer), or an empty object.
QJsonObject findBy(const QJsonArray &array, const char *key, qint64 value)
{
    for (const QJsonValue &v : array) {
        if (v.toObject().value(QLatin1String(key)).toInteger(-1) == value)
            return v.toObject();
    }
    return {};
}

QJsonObject findByName(const QJsonArray &array, const QString &name)
{
    for (const QJsonValue &v : array) {
        if (v.toObject().value(QLatin1String("name")).toString() == name)
            return v.toObject();
    }
    return {};
}

QList<qint64> idsOf(const QJsonArray &array)
{
    QList<qint64> ids;
    for (const QJsonValue &v : array)
        ids.append(idOf(v.toObject()));
    return ids;
}

//! A whole number ≥ 0 in JSON.
bool isCount(const QJsonValue &value)
{
    return value.isDouble() && value.toDouble() >= 0 &&
           value.toDouble() == double(value.toInteger());
}

QByteArray json(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

} // namespace

class TestAdmin : public QObject
{
    Q_OBJECT

private:
    TestServer &server() { return *m_server; }
    server::Database &db() { return m_server->app().database(); }

    std::unique_ptr<TestServer> m_server;
    Session m_admin;
    Session m_user;   // an ordinary user
    Session m_owner;  // owns the auctions and listings
    Session m_seller; // of the escrows
    Session m_buyer;
    int m_counter = 0;

    // The presence channel of a live auction, watched by two users (channels, auctions).
    qint64 m_watchedAuction = 0;
    Session m_watcherA;
    Session m_watcherB;
    std::unique_ptr<TestSocket> m_socketA;
    std::unique_ptr<TestSocket> m_socketB;

    int next() { return ++m_counter; }

    Reply call(const QByteArray &method, const QString &path, const QByteArray &token,
               const QByteArray &body = {})
    {
        return server().request(method, path, token, body);
    }
    Reply adminGet(const QString &path) { return server().get(path, m_admin.token); }
    Reply adminPost(const QString &path, const QByteArray &body = {})
    {
        return call("POST", path, m_admin.token, body);
    }

    //! A token from POST /api/login, or empty.
    QByteArray login(const QString &email, const QString &password = Password)
    {
        const Reply reply =
            server().post(QStringLiteral("/api/login"),
                          {{QLatin1String("email"), email}, {QLatin1String("password"), password}});
        if (reply.status != 200)
            return {};
        return reply.json.value(QLatin1String("token")).toString().toLatin1();
    }

    int meStatus(const QByteArray &token)
    {
        return server().get(QStringLiteral("/api/me"), token).status;
    }

    //! A user created with the account service (no token), with `name` and `email` as given.
    protocol::User createUser(const QString &name, const QString &email,
                              const QString &role = QStringLiteral("user"))
    {
        const auto user = server().app().accounts().createUserBlocking(name, email, Password, role);
        if (!user) {
            qWarning() << "createUserBlocking failed:" << user.error().message;
            return {};
        }
        return *user;
    }

    QString uniqueEmail(const QString &stem)
    {
        return QStringLiteral("%1.%2.%3@admin.flippdeal.test")
            .arg(stem)
            .arg(QCoreApplication::applicationPid())
            .arg(next());
    }

    qint64 createDomain(const Session &owner, QJsonObject fields)
    {
        fields.insert(QLatin1String("name"), QStringLiteral("admin-%1-%2.com")
                                                 .arg(next())
                                                 .arg(qint64(QCoreApplication::applicationPid())));
        const Reply reply = server().post(QStringLiteral("/api/domains"), fields, owner.token);
        if (reply.status != 201) {
            qWarning() << "domain creation failed" << describe(reply);
            return 0;
        }
        return idOf(objectOf(reply, "domain"));
    }

    qint64 createAuction(qint64 endsInMs = HourMs)
    {
        return createDomain(m_owner, {{QLatin1String("enable_bidding"), true},
                                      {QLatin1String("min_increment_cents"), 100},
                                      {QLatin1String("ends_at"), isoAfter(endsInMs)}});
    }

    QJsonObject domainOf(qint64 id)
    {
        return objectOf(server().get(QStringLiteral("/api/domains/%1").arg(id), m_owner.token),
                        "domain");
    }

    Reply escrowAction(const Session &who, qint64 escrowId, const QString &action)
    {
        return server().post(QStringLiteral("/api/escrows/%1/%2").arg(escrowId).arg(action), {},
                             who.token);
    }

    QString escrowStatus(qint64 escrowId)
    {
        return objectOf(
                   server().get(QStringLiteral("/api/escrows/%1").arg(escrowId), m_buyer.token),
                   "escrow")
            .value(QLatin1String("status"))
            .toString();
    }

    //! An escrow between m_seller and m_buyer (an accepted offer) brought to `state`
    //! (pending_funding, funded or disputed); 0 on failure. The domain's id goes to `domainId`.
    qint64 escrowIn(const QString &state, qint64 *domainId = nullptr)
    {
        const qint64 domain = createDomain(m_seller, {{QLatin1String("enable_bidding"), false}});
        if (domainId)
            *domainId = domain;
        const Reply offer = server().post(QStringLiteral("/api/domains/%1/offers").arg(domain),
                                          {{QLatin1String("amount_cents"), 12000}}, m_buyer.token);
        if (offer.status != 201) {
            qWarning() << "offer failed" << describe(offer);
            return 0;
        }
        const Reply accepted = server().request(
            "PATCH", QStringLiteral("/api/offers/%1").arg(idOf(objectOf(offer, "offer"))),
            m_seller.token, json({{QLatin1String("action"), QStringLiteral("accept")}}));
        const qint64 escrowId = intOf(objectOf(accepted, "offer"), "escrow_id");
        if (accepted.status != 200 || escrowId <= 0) {
            qWarning() << "accept failed" << describe(accepted);
            return 0;
        }
        QStringList steps;
        if (state == QLatin1String("funded"))
            steps = {QStringLiteral("fund")};
        else if (state == QLatin1String("disputed"))
            steps = {QStringLiteral("fund"), QStringLiteral("dispute")};
        for (const QString &step : std::as_const(steps)) {
            const Reply r = escrowAction(m_buyer, escrowId, step);
            if (r.status != 200) {
                qWarning() << step << "failed" << describe(r);
                return 0;
            }
        }
        return escrowId;
    }

    //! Adds a job of a type nobody handles; `availableInMs` from now. Its id, or 0.
    qint64 enqueueJob(const QString &type, qint64 availableInMs, int maxAttempts,
                      const QJsonObject &payload = {})
    {
        const bool ok = db().transaction([&] {
            server::JobQueue::enqueue(db(), type, payload, protocol::nowMs() + availableInMs,
                                      maxAttempts);
            return true;
        });
        if (!ok)
            return 0;
        return sqlScalar(db(), QStringLiteral("SELECT MAX(id) FROM jobs WHERE type = ?"), {type});
    }

    //! A job that used up its one attempt (nobody handles its type): the failed job's id, or 0.
    qint64 failedJob(const QString &type)
    {
        if (enqueueJob(type, 0, 1, {{QLatin1String("tag"), type}}) <= 0)
            return 0;
        const QString sql = QStringLiteral("SELECT COUNT(*) FROM failed_jobs WHERE type = ?");
        // The server's own worker may take it first; either way it ends up failed.
        server().app().worker().runAvailable();
        if (!waitUntil([&] { return sqlScalar(db(), sql, {type}) == 1; }, 5000))
            return 0;
        return sqlScalar(db(), QStringLiteral("SELECT id FROM failed_jobs WHERE type = ?"), {type});
    }

    //! A connection subscribed to `session`'s private-user channel; null on failure.
    std::unique_ptr<TestSocket> userSocket(const Session &session)
    {
        auto socket = std::make_unique<TestSocket>(server().webSocketUrl());
        if (!socket->waitConnected())
            return nullptr;
        if (!socket->subscribeAuthorized(server(), session,
                                         protocol::Channels::user(session.user.id)))
            return nullptr;
        return socket;
    }

    QJsonObject stats() { return adminGet(QStringLiteral("/api/admin/stats")).json; }

    //! The admin's view of one user (found by email).
    QJsonObject adminUser(const protocol::User &user)
    {
        const Reply reply =
            adminGet(QStringLiteral("/api/admin/users?search=%1")
                         .arg(QString::fromLatin1(QUrl::toPercentEncoding(user.email))));
        return findBy(dataOf(reply), "id", user.id);
    }

    //! Figures every admin action changes one of: a refused call must leave them all alone.
    QList<qint64> sideEffects()
    {
        QList<qint64> figures;
        for (const char *sql :
             {"SELECT COUNT(*) FROM notifications", "SELECT COUNT(*) FROM escrow_events",
              "SELECT COUNT(*) FROM jobs", "SELECT COUNT(*) FROM failed_jobs",
              "SELECT COUNT(*) FROM api_tokens",
              "SELECT COUNT(*) FROM users WHERE banned_at IS NOT NULL",
              "SELECT COUNT(*) FROM domains WHERE status = 'cancelled'",
              "SELECT COALESCE(SUM(ends_at), 0) FROM domains WHERE status = 'active'"})
            figures.append(sqlScalar(db(), QString::fromLatin1(sql)));
        return figures;
    }

    //! Replaces the route's placeholders with ids of things made for it (fresh each time).
    QString instantiate(QString path)
    {
        if (path.contains(QLatin1String("{user}"))) {
            const Session target = server().registerUser(QStringLiteral("Target"));
            path.replace(QLatin1String("{user}"), QString::number(target.user.id));
        }
        if (path.contains(QLatin1String("{job}"))) {
            const qint64 id =
                enqueueJob(QStringLiteral("admin-test.route-%1").arg(next()), HourMs, 3);
            path.replace(QLatin1String("{job}"), QString::number(id));
        }
        if (path.contains(QLatin1String("{failed}"))) {
            const qint64 id = failedJob(QStringLiteral("admin-test.route-failed-%1").arg(next()));
            path.replace(QLatin1String("{failed}"), QString::number(id));
        }
        if (path.contains(QLatin1String("{escrow}")))
            path.replace(QLatin1String("{escrow}"),
                         QString::number(escrowIn(QStringLiteral("disputed"))));
        if (path.contains(QLatin1String("{auction}")))
            path.replace(QLatin1String("{auction}"), QString::number(createAuction()));
        return path;
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_server = std::make_unique<TestServer>([](server::Config &config) {
            // A failed job that is retried stays visible in the queue while the test looks.
            config.jobBackoffMs = 600000;
        });
        QVERIFY2(server().isRunning(), qPrintable(server().errorString()));
        const QString adminEmail = uniqueEmail(QStringLiteral("ada"));
        const protocol::User admin =
            createUser(QStringLiteral("Ada Admin"), adminEmail, QStringLiteral("admin"));
        QVERIFY(admin.id > 0);
        m_admin = {admin, login(adminEmail)};
        QVERIFY(!m_admin.token.isEmpty());
        m_user = server().registerUser(QStringLiteral("Norm"));
        m_owner = server().registerUser(QStringLiteral("Olivia"));
        m_seller = server().registerUser(QStringLiteral("Sally"));
        m_buyer = server().registerUser(QStringLiteral("Ben"));
        m_watcherA = server().registerUser(QStringLiteral("Wanda"));
        m_watcherB = server().registerUser(QStringLiteral("Walt"));
        for (const Session *s : {&m_user, &m_owner, &m_seller, &m_buyer, &m_watcherA, &m_watcherB})
            QVERIFY(s->user.id > 0 && !s->token.isEmpty());
    }

    // --- stats --------------------------------------------------------------------------------

    void statsFieldsAndLiveFigures()
    {
        // Nothing has been published for a while: the rate is 0.
        QTRY_COMPARE_WITH_TIMEOUT(stats().value(QLatin1String("events_per_second")).toDouble(-1),
                                  0.0, 10000);

        const QJsonObject before = stats();
        const QSet<QString> keys{QStringLiteral("connections"),
                                 QStringLiteral("channels"),
                                 QStringLiteral("events_per_second"),
                                 QStringLiteral("events_published_total"),
                                 QStringLiteral("outbox_backlog"),
                                 QStringLiteral("queue"),
                                 QStringLiteral("users"),
                                 QStringLiteral("banned_users"),
                                 QStringLiteral("live_auctions"),
                                 QStringLiteral("disputed_escrows"),
                                 QStringLiteral("uptime_seconds"),
                                 QStringLiteral("server_time")};
        const QStringList have = before.keys();
        QCOMPARE(QSet<QString>(have.cbegin(), have.cend()), keys);
        for (const char *key :
             {"connections", "channels", "events_published_total", "outbox_backlog", "users",
              "banned_users", "live_auctions", "disputed_escrows", "uptime_seconds"})
            QVERIFY2(isCount(before.value(QLatin1String(key))), key);
        QVERIFY(before.value(QLatin1String("events_per_second")).isDouble());
        const QJsonObject queue = before.value(QLatin1String("queue")).toObject();
        const QStringList queueKeys = queue.keys();
        QCOMPARE(QSet<QString>(queueKeys.cbegin(), queueKeys.cend()),
                 (QSet<QString>{QStringLiteral("ready"), QStringLiteral("delayed"),
                                QStringLiteral("running"), QStringLiteral("failed")}));
        for (const QString &key : queueKeys)
            QVERIFY2(isCount(queue.value(key)), qPrintable(key));
        QVERIFY(isIsoMs(before.value(QLatin1String("server_time"))));
        QVERIFY(qAbs(msOf(before.value(QLatin1String("server_time"))) - protocol::nowMs()) < 60000);
        QCOMPARE(intOf(before, "users"),
                 sqlScalar(db(), QStringLiteral("SELECT COUNT(*) FROM users")));
        QCOMPARE(intOf(before, "banned_users"),
                 sqlScalar(db(), QStringLiteral(
                                     "SELECT COUNT(*) FROM users WHERE banned_at IS NOT NULL")));

        // A real client: one connection more, and its channel.
        const qint64 connections = intOf(before, "connections");
        const qint64 channels = intOf(before, "channels");
        auto socket = userSocket(m_user);
        QVERIFY(socket);
        QVERIFY(socket->subscribe(QStringLiteral("admin-stats-%1").arg(next())));
        QJsonObject now = stats();
        QCOMPARE(intOf(now, "connections"), connections + 1);
        QCOMPARE(intOf(now, "channels"), channels + 2);

        // A burst of events: the total grows by at least as many, the rate goes above 0.
        const qint64 publishedBefore = intOf(stats(), "events_published_total");
        // (Two messages from each of five senders: each user may send five a second.)
        for (const Session *sender : {&m_owner, &m_seller, &m_buyer, &m_watcherA, &m_watcherB}) {
            for (int i = 0; i < 2; ++i) {
                const Reply sent = server().post(QStringLiteral("/api/messages"),
                                                 {{QLatin1String("to_user_id"), m_user.user.id},
                                                  {QLatin1String("body"), QStringLiteral("burst")}},
                                                 sender->token);
                QVERIFY2(sent.status == 201, qPrintable(describe(sent)));
            }
        }
        QVERIFY(socket->waitFor(protocol::EventName::MessageSent));
        QTRY_VERIFY_WITH_TIMEOUT(intOf(stats(), "events_published_total") >= publishedBefore + 10,
                                 5000);
        QTest::qWait(1100); // at least one sample of the sampler
        QTRY_VERIFY_WITH_TIMEOUT(stats().value(QLatin1String("events_per_second")).toDouble() > 0,
                                 5000);

        // The client leaves: back to where it was.
        socket.reset();
        QTRY_COMPARE_WITH_TIMEOUT(intOf(stats(), "connections"), connections, 5000);
        QCOMPARE(intOf(stats(), "channels"), channels);

        // The rate covers the last few seconds, not the whole uptime: it falls back to 0.
        // (This test runs first: no live auction sends countdowns yet.)
        QTRY_COMPARE_WITH_TIMEOUT(stats().value(QLatin1String("events_per_second")).toDouble(-1),
                                  0.0, 10000);

        // A live auction counts.
        const qint64 auction = createAuction();
        QVERIFY(auction > 0);
        QCOMPARE(intOf(stats(), "live_auctions"), intOf(before, "live_auctions") + 1);
    }

    // --- the route table ----------------------------------------------------------------------

    void routesAreForAdminsOnly_data()
    {
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QString>("path");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<int>("status");
        for (const AdminRoute &route : adminRoutes())
            QTest::addRow("%s %s", route.method, route.path)
                << QByteArray(route.method) << QString::fromLatin1(route.path)
                << (route.body ? QByteArray(route.body) : QByteArray()) << route.status;
    }

    void routesAreForAdminsOnly()
    {
        QFETCH(QByteArray, method);
        QFETCH(QString, path);
        QFETCH(QByteArray, body);
        QFETCH(int, status);

        const QString concrete = instantiate(path);
        QVERIFY2(!concrete.contains(QLatin1String("/0/")) &&
                     !concrete.endsWith(QLatin1String("/0")),
                 qPrintable(concrete));

        // Jobs that earlier rows made due (retry-all) are run by the server's worker in the
        // background; let it finish them, so that only the calls below can change the figures.
        // (Failing again, they wait out this test's ten-minute backoff.)
        QVERIFY(waitUntil(
            [&] {
                server().app().worker().runAvailable();
                return sqlScalar(db(),
                                 QStringLiteral("SELECT COUNT(*) FROM jobs WHERE "
                                                "available_at <= ? OR reserved_at IS NOT NULL"),
                                 {protocol::nowMs()}) == 0;
            },
            10000));
        const QList<qint64> before = sideEffects();
        const Reply anonymous = call(method, concrete, {}, body);
        QVERIFY2(anonymous.status == 401, qPrintable(describe(anonymous)));

        const Reply user = call(method, concrete, m_user.token, body);
        QVERIFY2(user.status == 403, qPrintable(describe(user)));
        QCOMPARE(user.json.value(QLatin1String("message")).toString(), ForbiddenMessage);
        QCOMPARE(sideEffects(), before);

        const Reply admin = call(method, concrete, m_admin.token, body);
        QVERIFY2(admin.status == status, qPrintable(concrete + QLatin1Char(' ') + describe(admin)));
        QVERIFY2(QJsonDocument::fromJson(admin.body).isObject(), admin.body.constData());
    }

    //! The test's table, docs/admin.md and adminroutes.cpp name the same routes, and the router
    //! knows no other method on them: a route added later without a test is noticed here.
    void routeTableMatchesDocsAndCode()
    {
        QSet<QString> table;
        QSet<QString> tablePaths;
        for (const AdminRoute &route : adminRoutes()) {
            const QString path = genericPath(QString::fromLatin1(route.path));
            table.insert(QString::fromLatin1(route.method) + QLatin1Char(' ') + path);
            tablePaths.insert(path);
        }
        QCOMPARE(table.size(), adminRoutes().size());

        const QString docs = readSource(QStringLiteral("docs/admin.md"));
        QVERIFY(!docs.isEmpty());
        static const QRegularExpression docRow(
            QStringLiteral(R"(^\|\s*([A-Z]+)\s*\|\s*`(/api/admin/[^`]*)`)"),
            QRegularExpression::MultilineOption);
        QSet<QString> documented;
        for (auto it = docRow.globalMatch(docs); it.hasNext();) {
            const auto match = it.next();
            documented.insert(match.captured(1) + QLatin1Char(' ') + match.captured(2));
        }
        QCOMPARE(documented, table);

        const QString code = readSource(QStringLiteral("server/admin/adminroutes.cpp"));
        QVERIFY(!code.isEmpty());
        static const QRegularExpression codePath(QStringLiteral("\"(/api/admin/[^\"]*)\""));
        QSet<QString> coded;
        for (auto it = codePath.globalMatch(code); it.hasNext();)
            coded.insert(it.next().captured(1));
        QCOMPARE(coded, tablePaths);

        // Ask the router itself: a method it has no route for gets 405 with every method it
        // has for that path in Allow.
        for (const QString &pattern : std::as_const(tablePaths)) {
            const QString path =
                QString(pattern).replace(QLatin1String("{id}"), QString::number(UnknownId));
            QSet<QString> expected;
            for (const AdminRoute &route : adminRoutes()) {
                if (patternMatches(genericPath(QString::fromLatin1(route.path)), path))
                    expected.insert(QString::fromLatin1(route.method));
            }
            const Reply reply = call("PUT", path, m_admin.token);
            QVERIFY2(reply.status == 405, qPrintable(path + QLatin1Char(' ') + describe(reply)));
            QSet<QString> allowed;
            for (const QByteArray &m : reply.header("Allow").split(','))
                allowed.insert(QString::fromLatin1(m.trimmed()));
            QVERIFY2(allowed == expected, qPrintable(path + QStringLiteral(": Allow ") +
                                                     QString::fromLatin1(reply.header("Allow"))));
        }
    }

    // --- channels -----------------------------------------------------------------------------

    void channelsListPresenceMembers()
    {
        m_watchedAuction = createAuction();
        QVERIFY(m_watchedAuction > 0);
        const QString presence = protocol::Channels::auction(m_watchedAuction);
        m_socketA = std::make_unique<TestSocket>(server().webSocketUrl());
        m_socketB = std::make_unique<TestSocket>(server().webSocketUrl());
        QVERIFY(m_socketA->waitConnected() && m_socketB->waitConnected());
        QVERIFY(m_socketA->subscribeAuthorized(server(), m_watcherA, presence));
        QVERIFY(m_socketB->subscribeAuthorized(server(), m_watcherB, presence));
        const QString userChannel = protocol::Channels::user(m_watcherA.user.id);
        QVERIFY(m_socketA->subscribeAuthorized(server(), m_watcherA, userChannel));

        const Reply all = adminGet(QStringLiteral("/api/admin/channels"));
        QCOMPARE(all.status, 200);
        const QJsonObject channel = findByName(dataOf(all), presence);
        QVERIFY2(!channel.isEmpty(), all.body.constData());
        QCOMPARE(intOf(channel, "subscribers"), qint64(2));
        const QJsonArray members = channel.value(QLatin1String("members")).toArray();
        QCOMPARE(members.size(), 2);
        QSet<QString> memberIds;
        for (const QJsonValue &m : members) {
            const QJsonObject member = m.toObject();
            const QString id = member.value(QLatin1String("user_id")).toString();
            memberIds.insert(id);
            const QString name = member.value(QLatin1String("user_info"))
                                     .toObject()
                                     .value(QLatin1String("name"))
                                     .toString();
            QCOMPARE(name, id == QString::number(m_watcherA.user.id) ? m_watcherA.user.name
                                                                     : m_watcherB.user.name);
        }
        QCOMPARE(memberIds, (QSet<QString>{QString::number(m_watcherA.user.id),
                                           QString::number(m_watcherB.user.id)}));
        const QJsonObject privateChannel = findByName(dataOf(all), userChannel);
        QCOMPARE(intOf(privateChannel, "subscribers"), qint64(1));
        QVERIFY2(!privateChannel.contains(QLatin1String("members")),
                 "members only for presence channels");

        // prefix filters.
        const Reply presenceOnly = adminGet(QStringLiteral("/api/admin/channels?prefix=presence-"));
        QCOMPARE(presenceOnly.status, 200);
        QVERIFY(!findByName(dataOf(presenceOnly), presence).isEmpty());
        QVERIFY(findByName(dataOf(presenceOnly), userChannel).isEmpty());
        for (const QJsonValue &c : dataOf(presenceOnly))
            QVERIFY(c.toObject()
                        .value(QLatin1String("name"))
                        .toString()
                        .startsWith(QLatin1String("presence-")));
        const Reply userOnly =
            adminGet(QStringLiteral("/api/admin/channels?prefix=%1").arg(userChannel));
        QCOMPARE(dataOf(userOnly).size(), 1);
        QCOMPARE(dataOf(userOnly).first().toObject().value(QLatin1String("name")).toString(),
                 userChannel);
        QCOMPARE(
            dataOf(adminGet(QStringLiteral("/api/admin/channels?prefix=nothing-like-this"))).size(),
            0);
    }

    // --- users --------------------------------------------------------------------------------

    void usersSearch()
    {
        const QString tag = QStringLiteral("srch%1x").arg(QCoreApplication::applicationPid());
        // `_` and `%` are literal: "Under_Score" matches, "UnderXScore" does not, and likewise
        // "Fifty%Off" against "FiftyXOff".
        const protocol::User underscore = createUser(QStringLiteral("Under_Score %1").arg(tag),
                                                     QStringLiteral("u1.%1@search.test").arg(tag));
        const protocol::User underX = createUser(QStringLiteral("UnderXScore %1").arg(tag),
                                                 QStringLiteral("u2.%1@search.test").arg(tag));
        const protocol::User percent = createUser(QStringLiteral("Fifty%Off %1").arg(tag),
                                                  QStringLiteral("u3.%1@search.test").arg(tag));
        const protocol::User percentX = createUser(QStringLiteral("FiftyXOff %1").arg(tag),
                                                   QStringLiteral("u4.%1@search.test").arg(tag));
        const protocol::User byEmail = createUser(QStringLiteral("Plain Person"),
                                                  QStringLiteral("Mail.%1@Search.test").arg(tag));
        for (const auto &u : {underscore, underX, percent, percentX, byEmail})
            QVERIFY(u.id > 0);

        const auto search = [this](const QString &text) {
            const Reply reply =
                adminGet(QStringLiteral("/api/admin/users?search=%1")
                             .arg(QString::fromLatin1(QUrl::toPercentEncoding(text))));
            if (reply.status != 200)
                qWarning() << "search failed" << describe(reply);
            return idsOf(dataOf(reply));
        };
        QCOMPARE(search(QStringLiteral("under_score ") + tag), QList<qint64>{underscore.id});
        QCOMPARE(search(QStringLiteral("UNDER_SCORE")), QList<qint64>{underscore.id});
        QCOMPARE(search(QStringLiteral("fifty%off")), QList<qint64>{percent.id});
        QCOMPARE(search(QStringLiteral("%")), QList<qint64>{percent.id});
        // An email fragment, any case (emails are stored lower-cased).
        QCOMPARE(search(QStringLiteral("MAIL.") + tag.toUpper()), QList<qint64>{byEmail.id});
        QCOMPARE(search(tag + QStringLiteral("@search")),
                 (QList<qint64>{underscore.id, underX.id, percent.id, percentX.id, byEmail.id}));
        QCOMPARE(search(QStringLiteral("nobody-is-called-this-%1").arg(tag)), QList<qint64>{});

        // Quotes, backslashes and letters beyond ASCII are just text.
        const protocol::User quote = createUser(QStringLiteral("Dan O'Brien %1").arg(tag),
                                                QStringLiteral("u5.%1@search.test").arg(tag));
        const protocol::User backslash = createUser(QStringLiteral("Back\\Slash %1").arg(tag),
                                                    QStringLiteral("u6.%1@search.test").arg(tag));
        const protocol::User accented = createUser(QStringLiteral("Émile Zoëlä %1").arg(tag),
                                                   QStringLiteral("u7.%1@search.test").arg(tag));
        for (const auto &u : {quote, backslash, accented})
            QVERIFY(u.id > 0);
        QCOMPARE(search(QStringLiteral("o'brien ") + tag), QList<qint64>{quote.id});
        QCOMPARE(search(QStringLiteral("k\\s")), QList<qint64>{backslash.id});
        QCOMPARE(search(QStringLiteral("\\")), QList<qint64>{backslash.id});
        QCOMPARE(search(QStringLiteral("Émile Zoëlä")), QList<qint64>{accented.id});
        // Any case: PostgreSQL folds every letter; SQLite's LOWER() folds ASCII only.
        QCOMPARE(search(QStringLiteral("ÉMILE ZOËLÄ ") + tag.toUpper()).size(),
                 server().isPostgres() ? 1 : 0);

        // Each row as documented.
        const Reply one = adminGet(QStringLiteral("/api/admin/users?search=u1.%1").arg(tag));
        QCOMPARE(dataOf(one).size(), 1);
        const QJsonObject row = dataOf(one).first().toObject();
        const QStringList keys = row.keys();
        QCOMPARE(QSet<QString>(keys.cbegin(), keys.cend()),
                 (QSet<QString>{QStringLiteral("id"), QStringLiteral("name"),
                                QStringLiteral("email"), QStringLiteral("role"),
                                QStringLiteral("banned_at"), QStringLiteral("created_at"),
                                QStringLiteral("tokens"), QStringLiteral("connections")}));
        QCOMPARE(row.value(QLatin1String("name")).toString(), underscore.name);
        QCOMPARE(row.value(QLatin1String("role")).toString(), QStringLiteral("user"));
        QVERIFY(row.value(QLatin1String("banned_at")).isNull());
        QVERIFY(isIsoMs(row.value(QLatin1String("created_at"))));
        QCOMPARE(intOf(row, "tokens"), qint64(0));
        QCOMPARE(intOf(row, "connections"), qint64(0));
        QCOMPARE(intOf(objectOf(one, "meta"), "total"), qint64(1));

        // Tokens and connections are live figures.
        QVERIFY(!login(underscore.email).isEmpty());
        QVERIFY(!login(underscore.email).isEmpty());
        const Session session{underscore, login(underscore.email)};
        auto socket = userSocket(session);
        QVERIFY(socket);
        const QJsonObject live = adminUser(underscore);
        QCOMPARE(intOf(live, "tokens"), qint64(3));
        QCOMPARE(intOf(live, "connections"), qint64(1));
    }

    void usersPaging()
    {
        const QString tag = QStringLiteral("page%1y").arg(QCoreApplication::applicationPid());
        QList<qint64> ids;
        for (int i = 0; i < 5; ++i) {
            const protocol::User u =
                createUser(QStringLiteral("Pager %1").arg(i),
                           QStringLiteral("p%1.%2@paging.test").arg(i).arg(tag));
            QVERIFY(u.id > 0);
            ids.append(u.id);
        }
        QList<qint64> seen;
        for (int offset = 0; offset < 6; offset += 2) {
            const Reply page =
                adminGet(QStringLiteral("/api/admin/users?search=%1&limit=2&offset=%2")
                             .arg(tag)
                             .arg(offset));
            QCOMPARE(page.status, 200);
            const QJsonObject meta = objectOf(page, "meta");
            QCOMPARE(intOf(meta, "total"), qint64(5));
            QCOMPARE(intOf(meta, "limit"), qint64(2));
            QCOMPARE(intOf(meta, "offset"), qint64(offset));
            QCOMPARE(dataOf(page).size(), offset < 4 ? 2 : 1);
            seen += idsOf(dataOf(page));
        }
        QCOMPARE(seen, ids);
        const Reply beyond =
            adminGet(QStringLiteral("/api/admin/users?search=%1&offset=10").arg(tag));
        QCOMPARE(beyond.status, 200);
        QCOMPARE(dataOf(beyond).size(), 0);
        QCOMPARE(intOf(objectOf(beyond, "meta"), "total"), qint64(5));
        // The defaults.
        const QJsonObject meta = objectOf(adminGet(QStringLiteral("/api/admin/users")), "meta");
        QCOMPARE(intOf(meta, "limit"), qint64(50));
        QCOMPARE(intOf(meta, "offset"), qint64(0));
        QCOMPARE(intOf(meta, "total"),
                 sqlScalar(db(), QStringLiteral("SELECT COUNT(*) FROM users")));
    }

    void usersBadQuery_data()
    {
        QTest::addColumn<QString>("query");
        QTest::addColumn<QString>("field");
        QTest::addRow("limit 0") << QStringLiteral("limit=0") << QStringLiteral("limit");
        QTest::addRow("limit 501") << QStringLiteral("limit=501") << QStringLiteral("limit");
        QTest::addRow("limit text") << QStringLiteral("limit=ten") << QStringLiteral("limit");
        QTest::addRow("limit fraction") << QStringLiteral("limit=1.5") << QStringLiteral("limit");
        QTest::addRow("offset negative") << QStringLiteral("offset=-1") << QStringLiteral("offset");
        QTest::addRow("offset text") << QStringLiteral("offset=x") << QStringLiteral("offset");
        QTest::addRow("search too long")
            << QStringLiteral("search=") + QString(256, QLatin1Char('a'))
            << QStringLiteral("search");
    }

    void usersBadQuery()
    {
        QFETCH(QString, query);
        QFETCH(QString, field);
        const Reply reply = adminGet(QStringLiteral("/api/admin/users?") + query);
        QVERIFY2(reply.status == 422, qPrintable(describe(reply)));
        QVERIFY2(fieldErrors(reply).contains(field), qPrintable(describe(reply)));
    }

    void banClosesConnectionsAndRefusesLogin()
    {
        const QString email = uniqueEmail(QStringLiteral("victim"));
        const protocol::User victim = createUser(QStringLiteral("Vic Tim"), email);
        QVERIFY(victim.id > 0);
        const Session session{victim, login(email)};
        QVERIFY(!session.token.isEmpty());
        QCOMPARE(meStatus(session.token), 200);
        auto socket = userSocket(session);
        QVERIFY(socket);
        const QString banPath = QStringLiteral("/api/admin/users/%1/ban").arg(victim.id);

        // Nobody but an admin: the user stays as they were.
        QCOMPARE(call("POST", banPath, m_user.token).status, 403);
        QCOMPARE(call("POST", banPath, session.token).status, 403);
        QCOMPARE(meStatus(session.token), 200);
        QVERIFY(!socket->isClosed());

        const qint64 bannedBefore = intOf(stats(), "banned_users");
        const Reply banned = adminPost(banPath);
        QVERIFY2(banned.status == 200, qPrintable(describe(banned)));
        QCOMPARE(intOf(banned.json, "connections_closed"), qint64(1));
        const QJsonObject user = objectOf(banned, "user");
        QCOMPARE(idOf(user), victim.id);
        QVERIFY(isIsoMs(user.value(QLatin1String("banned_at"))));
        QVERIFY(qAbs(msOf(user.value(QLatin1String("banned_at"))) - protocol::nowMs()) < 60000);
        QCOMPARE(intOf(user, "tokens"), qint64(0));

        // The open connection: pusher:error 4009, then closed.
        const auto error = socket->waitFor(QStringLiteral("pusher:error"));
        QVERIFY2(error, "no pusher:error before the close");
        QCOMPARE(intOf(frameData(*error), "code"), qint64(4009));
        QCOMPARE(frameData(*error).value(QLatin1String("message")).toString(),
                 QStringLiteral("This account has been suspended."));
        QVERIFY(socket->waitClosed());
        QCOMPARE(socket->closeCode(), 4009);

        // The token, a new login, new subscriptions: all refused.
        QCOMPARE(meStatus(session.token), 401);
        QVERIFY(login(email).isEmpty());
        const Reply refused =
            server().post(QStringLiteral("/api/login"),
                          {{QLatin1String("email"), email}, {QLatin1String("password"), Password}});
        QCOMPARE(refused.status, 401);
        QVERIFY(!adminUser(victim).value(QLatin1String("banned_at")).isNull());
        QCOMPARE(intOf(stats(), "banned_users"), bannedBefore + 1);

        // Unban: they may log in again; the old token stays revoked.
        const Reply unbanned =
            adminPost(QStringLiteral("/api/admin/users/%1/unban").arg(victim.id));
        QVERIFY2(unbanned.status == 200, qPrintable(describe(unbanned)));
        QCOMPARE(intOf(unbanned.json, "connections_closed"), qint64(0));
        QVERIFY(unbanned.json.value(QLatin1String("connections_closed")).isDouble());
        QVERIFY(objectOf(unbanned, "user").value(QLatin1String("banned_at")).isNull());
        QCOMPARE(meStatus(session.token), 401);
        const QByteArray fresh = login(email);
        QVERIFY(!fresh.isEmpty());
        QCOMPARE(meStatus(fresh), 200);
        QCOMPARE(intOf(stats(), "banned_users"), bannedBefore);
    }

    void banClosesEveryConnectionOfTheUser()
    {
        // One connection on the user's channel, one only present on an auction.
        const Session victim = server().registerUser(QStringLiteral("Twice"));
        auto own = userSocket(victim);
        QVERIFY(own);
        const qint64 auction = createAuction();
        TestSocket watching(server().webSocketUrl());
        QVERIFY(watching.waitConnected());
        QVERIFY(
            watching.subscribeAuthorized(server(), victim, protocol::Channels::auction(auction)));
        TestSocket bystander(server().webSocketUrl());
        QVERIFY(bystander.waitConnected());
        QVERIFY(bystander.subscribeAuthorized(server(), m_watcherB,
                                              protocol::Channels::auction(auction)));
        QCOMPARE(intOf(adminUser(victim.user), "connections"), qint64(2));

        const Reply banned =
            adminPost(QStringLiteral("/api/admin/users/%1/ban").arg(victim.user.id));
        QCOMPARE(banned.status, 200);
        QCOMPARE(intOf(banned.json, "connections_closed"), qint64(2));
        QVERIFY(own->waitClosed());
        QVERIFY(watching.waitClosed());
        QVERIFY(!bystander.receivesWithin(QStringLiteral("pusher:error"), {}, 300));
        QVERIFY(!bystander.isClosed());
        QVERIFY(bystander.waitFor(QStringLiteral("pusher_internal:member_removed"),
                                  protocol::Channels::auction(auction)));
    }

    void adminCannotBeBanned()
    {
        const QString email = uniqueEmail(QStringLiteral("other-admin"));
        const protocol::User other =
            createUser(QStringLiteral("Other Admin"), email, QStringLiteral("admin"));
        QVERIFY(other.id > 0);
        const QByteArray token = login(email);
        QVERIFY(!token.isEmpty());
        for (const qint64 id : {other.id, m_admin.user.id}) {
            const Reply reply = adminPost(QStringLiteral("/api/admin/users/%1/ban").arg(id));
            QVERIFY2(reply.status == 409, qPrintable(describe(reply)));
            QVERIFY(!reply.json.value(QLatin1String("message")).toString().isEmpty());
        }
        QCOMPARE(meStatus(token), 200);
        QCOMPARE(meStatus(m_admin.token), 200);
        QVERIFY(adminUser(other).value(QLatin1String("banned_at")).isNull());
    }

    void revokeTokens()
    {
        const Session session = server().registerUser(QStringLiteral("Revoke"));
        const QByteArray second = login(session.user.email);
        const QByteArray third = login(session.user.email);
        QVERIFY(!second.isEmpty() && !third.isEmpty());
        const Session other = server().registerUser(QStringLiteral("Bystander"));
        const QString path =
            QStringLiteral("/api/admin/users/%1/revoke-tokens").arg(session.user.id);
        const Reply revoked = adminPost(path);
        QVERIFY2(revoked.status == 200, qPrintable(describe(revoked)));
        QCOMPARE(intOf(revoked.json, "revoked"), qint64(3));
        for (const QByteArray &token : {session.token, second, third})
            QCOMPARE(meStatus(token), 401);
        QCOMPARE(meStatus(other.token), 200); // only that user's
        QCOMPARE(intOf(adminPost(path).json, "revoked"), qint64(0));
        // Not a ban: they sign in again.
        const QByteArray again = login(session.user.email);
        QVERIFY(!again.isEmpty());
        QCOMPARE(meStatus(again), 200);
        QVERIFY(adminUser(session.user).value(QLatin1String("banned_at")).isNull());
    }

    void terminateConnections()
    {
        const Session session = server().registerUser(QStringLiteral("Kicked"));
        auto socket = userSocket(session);
        QVERIFY(socket);
        auto bystander = userSocket(m_user);
        QVERIFY(bystander);
        const Reply reply = adminPost(
            QStringLiteral("/api/admin/users/%1/terminate-connections").arg(session.user.id));
        QVERIFY2(reply.status == 200, qPrintable(describe(reply)));
        QCOMPARE(intOf(reply.json, "connections_closed"), qint64(1));
        QVERIFY(socket->waitClosed());
        QVERIFY(!bystander->isClosed());
        // The token still works and the user may reconnect.
        QCOMPARE(meStatus(session.token), 200);
        auto again = userSocket(session);
        QVERIFY(again);
        QCOMPARE(intOf(adminUser(session.user), "connections"), qint64(1));
        QVERIFY(adminUser(session.user).value(QLatin1String("banned_at")).isNull());
        // Nobody connected: 0.
        const Session idle = server().registerUser(QStringLiteral("Idle"));
        QCOMPARE(
            intOf(adminPost(
                      QStringLiteral("/api/admin/users/%1/terminate-connections").arg(idle.user.id))
                      .json,
                  "connections_closed"),
            qint64(0));
    }

    void unknownUsers_data()
    {
        QTest::addColumn<QString>("action");
        QTest::addColumn<QString>("id");
        for (const char *action : {"ban", "unban", "revoke-tokens", "terminate-connections"}) {
            QTest::addRow("%s unknown", action)
                << QString::fromLatin1(action) << QString::number(UnknownId);
            QTest::addRow("%s not a number", action)
                << QString::fromLatin1(action) << QStringLiteral("abc");
            QTest::addRow("%s zero", action) << QString::fromLatin1(action) << QStringLiteral("0");
        }
    }

    void unknownUsers()
    {
        QFETCH(QString, action);
        QFETCH(QString, id);
        const Reply reply = adminPost(QStringLiteral("/api/admin/users/%1/%2").arg(id, action));
        QVERIFY2(reply.status == 404, qPrintable(describe(reply)));
        QVERIFY(!reply.json.value(QLatin1String("message")).toString().isEmpty());
    }

    // --- jobs ---------------------------------------------------------------------------------

    void failedJobsRetryAndDelete()
    {
        const QString type = QStringLiteral("admin-test.orphan-%1").arg(next());
        const qint64 failedId = failedJob(type);
        QVERIFY(failedId > 0);

        Reply failed = adminGet(QStringLiteral("/api/admin/jobs/failed"));
        QCOMPARE(failed.status, 200);
        QJsonObject row = findBy(dataOf(failed), "id", failedId);
        QVERIFY2(!row.isEmpty(), failed.body.constData());
        const QStringList keys = row.keys();
        QCOMPARE(
            QSet<QString>(keys.cbegin(), keys.cend()),
            (QSet<QString>{QStringLiteral("id"), QStringLiteral("job_id"), QStringLiteral("type"),
                           QStringLiteral("payload"), QStringLiteral("attempts"),
                           QStringLiteral("error"), QStringLiteral("failed_at")}));
        QCOMPARE(row.value(QLatin1String("type")).toString(), type);
        QCOMPARE(
            row.value(QLatin1String("payload")).toObject().value(QLatin1String("tag")).toString(),
            type);
        QCOMPARE(intOf(row, "attempts"), qint64(1));
        QVERIFY(intOf(row, "job_id") > 0);
        QVERIFY2(row.value(QLatin1String("error")).toString().contains(type),
                 qPrintable(row.value(QLatin1String("error")).toString()));
        QVERIFY(isIsoMs(row.value(QLatin1String("failed_at"))));
        QVERIFY(intOf(objectOf(adminGet(QStringLiteral("/api/admin/stats")), "queue"), "failed") >=
                1);

        // Retry one: it leaves the failed list and waits in the queue again.
        const Reply retried =
            adminPost(QStringLiteral("/api/admin/jobs/failed/%1/retry").arg(failedId));
        QVERIFY2(retried.status == 200, qPrintable(describe(retried)));
        QCOMPARE(intOf(retried.json, "retried"), qint64(1));
        QVERIFY(findBy(dataOf(adminGet(QStringLiteral("/api/admin/jobs/failed"))), "id", failedId)
                    .isEmpty());
        const Reply pending = adminGet(QStringLiteral("/api/admin/jobs"));
        QCOMPARE(pending.status, 200);
        QJsonObject job;
        for (const QJsonValue &v : dataOf(pending)) {
            if (v.toObject().value(QLatin1String("type")).toString() == type)
                job = v.toObject();
        }
        QVERIFY2(!job.isEmpty(), pending.body.constData());
        const QStringList jobKeys = job.keys();
        QCOMPARE(QSet<QString>(jobKeys.cbegin(), jobKeys.cend()),
                 (QSet<QString>{QStringLiteral("id"), QStringLiteral("type"),
                                QStringLiteral("payload"), QStringLiteral("attempts"),
                                QStringLiteral("max_attempts"), QStringLiteral("state"),
                                QStringLiteral("available_at"), QStringLiteral("reserved_by"),
                                QStringLiteral("last_error"), QStringLiteral("created_at")}));
        QVERIFY2(QStringList({QStringLiteral("ready"), QStringLiteral("delayed")})
                     .contains(job.value(QLatin1String("state")).toString()),
                 qPrintable(frameText(job)));
        QCOMPARE(intOf(job, "max_attempts"), qint64(server::JobQueue::DefaultMaxAttempts));
        QCOMPARE(
            job.value(QLatin1String("payload")).toObject().value(QLatin1String("tag")).toString(),
            type);
        QVERIFY(job.value(QLatin1String("reserved_by")).isNull());
        QVERIFY(isIsoMs(job.value(QLatin1String("available_at"))));
        QVERIFY(isIsoMs(job.value(QLatin1String("created_at"))));

        // Twice: it is no longer failed.
        QCOMPARE(adminPost(QStringLiteral("/api/admin/jobs/failed/%1/retry").arg(failedId)).status,
                 404);
        QCOMPARE(adminPost(QStringLiteral("/api/admin/jobs/failed/%1/retry").arg(UnknownId)).status,
                 404);

        // Retry all.
        const qint64 a = failedJob(QStringLiteral("admin-test.all-a-%1").arg(next()));
        const qint64 b = failedJob(QStringLiteral("admin-test.all-b-%1").arg(next()));
        QVERIFY(a > 0 && b > 0);
        const qint64 failedCount =
            sqlScalar(db(), QStringLiteral("SELECT COUNT(*) FROM failed_jobs"));
        QVERIFY(failedCount >= 2);
        const Reply all = adminPost(QStringLiteral("/api/admin/jobs/failed/retry-all"));
        QVERIFY2(all.status == 200, qPrintable(describe(all)));
        QCOMPARE(intOf(all.json, "retried"), failedCount);
        QCOMPARE(dataOf(adminGet(QStringLiteral("/api/admin/jobs/failed"))).size(), 0);
        QCOMPARE(
            intOf(adminPost(QStringLiteral("/api/admin/jobs/failed/retry-all")).json, "retried"),
            qint64(0));

        // Delete a failed job for good.
        const qint64 doomed = failedJob(QStringLiteral("admin-test.doomed-%1").arg(next()));
        QVERIFY(doomed > 0);
        const QString path = QStringLiteral("/api/admin/jobs/failed/%1").arg(doomed);
        const Reply deleted = call("DELETE", path, m_admin.token);
        QVERIFY2(deleted.status == 200, qPrintable(describe(deleted)));
        QCOMPARE(deleted.json.value(QLatin1String("deleted")), QJsonValue(true));
        QVERIFY(findBy(dataOf(adminGet(QStringLiteral("/api/admin/jobs/failed"))), "id", doomed)
                    .isEmpty());
        QCOMPARE(sqlScalar(db(), QStringLiteral("SELECT COUNT(*) FROM failed_jobs WHERE id = ?"),
                           {doomed}),
                 qint64(0));
        QCOMPARE(call("DELETE", path, m_admin.token).status, 404);
    }

    void pendingJobs()
    {
        // A job waiting for later: delayed, and it can be deleted.
        const QString type = QStringLiteral("admin-test.later-%1").arg(next());
        const qint64 id = enqueueJob(type, HourMs, 3);
        QVERIFY(id > 0);
        QJsonObject job = findBy(dataOf(adminGet(QStringLiteral("/api/admin/jobs"))), "id", id);
        QCOMPARE(job.value(QLatin1String("state")).toString(), QStringLiteral("delayed"));
        QCOMPARE(job.value(QLatin1String("type")).toString(), type);
        QCOMPARE(intOf(job, "attempts"), qint64(0));
        QVERIFY(job.value(QLatin1String("last_error")).isNull());
        QVERIFY(qAbs(msOf(job.value(QLatin1String("available_at"))) -
                     (protocol::nowMs() + HourMs)) < 60000);
        const QString path = QStringLiteral("/api/admin/jobs/%1").arg(id);
        const Reply deleted = call("DELETE", path, m_admin.token);
        QVERIFY2(deleted.status == 200, qPrintable(describe(deleted)));
        QCOMPARE(deleted.json.value(QLatin1String("deleted")), QJsonValue(true));
        QVERIFY(findBy(dataOf(adminGet(QStringLiteral("/api/admin/jobs"))), "id", id).isEmpty());
        QCOMPARE(call("DELETE", path, m_admin.token).status, 404);
        QCOMPARE(call("DELETE", QStringLiteral("/api/admin/jobs/%1").arg(UnknownId), m_admin.token)
                     .status,
                 404);

        // A job another worker is running right now: listed as running, and not deletable.
        const QString runningType = QStringLiteral("admin-test.running-%1").arg(next());
        const qint64 running = enqueueJob(runningType, HourMs, 3);
        QVERIFY(running > 0);
        QVERIFY(sqlExec(db(),
                        QStringLiteral("UPDATE jobs SET reserved_at = ?, reserved_by = ?, "
                                       "attempts = 1 WHERE id = ?"),
                        {protocol::nowMs(), QStringLiteral("other-node:42"), running}));
        job = findBy(dataOf(adminGet(QStringLiteral("/api/admin/jobs"))), "id", running);
        QCOMPARE(job.value(QLatin1String("state")).toString(), QStringLiteral("running"));
        QCOMPARE(job.value(QLatin1String("reserved_by")).toString(),
                 QStringLiteral("other-node:42"));
        QVERIFY(intOf(objectOf(adminGet(QStringLiteral("/api/admin/stats")), "queue"), "running") >=
                1);
        const QString runningPath = QStringLiteral("/api/admin/jobs/%1").arg(running);
        const Reply refused = call("DELETE", runningPath, m_admin.token);
        QVERIFY2(refused.status == 409, qPrintable(describe(refused)));
        QCOMPARE(
            sqlScalar(db(), QStringLiteral("SELECT COUNT(*) FROM jobs WHERE id = ?"), {running}),
            qint64(1));
        // Once the worker is gone for longer than the job timeout, it may be deleted.
        QVERIFY(sqlExec(db(), QStringLiteral("UPDATE jobs SET reserved_at = ? WHERE id = ?"),
                        {protocol::nowMs() - 3600 * 1000, running}));
        QCOMPARE(call("DELETE", runningPath, m_admin.token).status, 200);
    }

    void jobsBadQuery_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addRow("jobs limit 0") << QStringLiteral("/api/admin/jobs?limit=0");
        QTest::addRow("jobs limit 1001") << QStringLiteral("/api/admin/jobs?limit=1001");
        QTest::addRow("failed limit text") << QStringLiteral("/api/admin/jobs/failed?limit=x");
        QTest::addRow("auctions limit 501") << QStringLiteral("/api/admin/auctions?limit=501");
        QTest::addRow("auctions limit -1") << QStringLiteral("/api/admin/auctions?limit=-1");
    }

    void jobsBadQuery()
    {
        QFETCH(QString, path);
        const Reply reply = adminGet(path);
        QVERIFY2(reply.status == 422, qPrintable(describe(reply)));
        QVERIFY(fieldErrors(reply).contains(QLatin1String("limit")));
    }

    // --- escrows ------------------------------------------------------------------------------

    void resolveDisputedEscrow()
    {
        qint64 domainId = 0;
        const qint64 escrowId = escrowIn(QStringLiteral("disputed"), &domainId);
        QVERIFY(escrowId > 0);
        const Reply list = adminGet(QStringLiteral("/api/admin/escrows"));
        QCOMPARE(list.status, 200);
        const QJsonObject listed = findBy(dataOf(list), "id", escrowId);
        QCOMPARE(listed.value(QLatin1String("status")).toString(), QStringLiteral("disputed"));
        QCOMPARE(intOf(listed, "buyer_id"), m_buyer.user.id);
        for (const QJsonValue &e : dataOf(list))
            QCOMPARE(e.toObject().value(QLatin1String("status")).toString(),
                     QStringLiteral("disputed"));
        const qint64 disputedBefore = intOf(stats(), "disputed_escrows");
        QVERIFY(disputedBefore >= 1);

        const QString path = QStringLiteral("/api/admin/escrows/%1/resolve").arg(escrowId);
        const QString reason = QStringLiteral("The seller never transferred the domain.");
        // EscrowUpdated goes to the parties' own channels (the domain's gets none).
        const QString channel = protocol::Channels::user(m_buyer.user.id);
        const qint64 eventsBefore =
            storedEventCount(db(), channel, protocol::EventName::EscrowUpdated);
        const Reply resolved = adminPost(
            path,
            json({{QLatin1String("outcome"), QStringLiteral("refund")},
                  {QLatin1String("reason"), QStringLiteral("  ") + reason + QStringLiteral(" ")}}));
        QVERIFY2(resolved.status == 200, qPrintable(describe(resolved)));
        const QJsonObject escrow = objectOf(resolved, "escrow");
        QCOMPARE(idOf(escrow), escrowId);
        QCOMPARE(escrow.value(QLatin1String("status")).toString(), QStringLiteral("refunded"));
        QCOMPARE(escrowStatus(escrowId), QStringLiteral("refunded"));

        // The audit trail: the decision, the admin and the reason.
        const QStringList audit =
            sqlTexts(db(),
                     QStringLiteral("SELECT from_status || '|' || to_status || '|' || "
                                    "CAST(actor_id AS TEXT) || '|' || reason FROM escrow_events "
                                    "WHERE escrow_id = ? ORDER BY id DESC LIMIT 1"),
                     {escrowId});
        QCOMPARE(audit,
                 QStringList{
                     QStringLiteral("disputed|refunded|%1|%2").arg(m_admin.user.id).arg(reason)});
        // Both parties are told, and the buyer's channel gets EscrowUpdated.
        for (const Session *party : {&m_buyer, &m_seller}) {
            const auto notes =
                notificationData(db(), party->user.id, protocol::NotificationType::EscrowUpdated,
                                 "escrow_id", escrowId);
            QVERIFY(!notes.isEmpty());
            QCOMPARE(notes.last().value(QLatin1String("status")).toString(),
                     QStringLiteral("refunded"));
        }
        QCOMPARE(storedEventCount(db(), channel, protocol::EventName::EscrowUpdated),
                 eventsBefore + 1);
        QCOMPARE(storedEventCount(db(), protocol::Channels::domain(domainId),
                                  protocol::EventName::EscrowUpdated),
                 qint64(0));
        // The refund goes back to the buyer through the payment provider, once.
        QVERIFY2(waitUntil(
                     [&] {
                         return sqlScalar(db(),
                                          QStringLiteral("SELECT COUNT(*) FROM sandbox_refunds "
                                                         "WHERE idempotency_key = ?"),
                                          {QStringLiteral("escrow-%1-refund").arg(escrowId)}) == 1;
                     },
                     15000),
                 "the refund was not made");
        QVERIFY(findBy(dataOf(adminGet(QStringLiteral("/api/admin/escrows"))), "id", escrowId)
                    .isEmpty());
        QCOMPARE(intOf(stats(), "disputed_escrows"), disputedBefore - 1);

        // Not twice.
        const Reply again =
            adminPost(path, json({{QLatin1String("outcome"), QStringLiteral("release")},
                                  {QLatin1String("reason"), reason}}));
        QVERIFY2(again.status == 409, qPrintable(describe(again)));
        QCOMPARE(escrowStatus(escrowId), QStringLiteral("refunded"));
    }

    void releaseDisputedEscrow()
    {
        const qint64 escrowId = escrowIn(QStringLiteral("disputed"));
        QVERIFY(escrowId > 0);
        const Reply released =
            adminPost(QStringLiteral("/api/admin/escrows/%1/resolve").arg(escrowId),
                      json({{QLatin1String("outcome"), QStringLiteral("release")},
                            {QLatin1String("reason"), QStringLiteral("Transfer confirmed.")}}));
        QVERIFY2(released.status == 200, qPrintable(describe(released)));
        QCOMPARE(objectOf(released, "escrow").value(QLatin1String("status")).toString(),
                 QStringLiteral("completed"));
        QCOMPARE(
            sqlTexts(db(),
                     QStringLiteral("SELECT to_status || '|' || CAST(actor_id AS TEXT) FROM "
                                    "escrow_events WHERE escrow_id = ? ORDER BY id DESC LIMIT 1"),
                     {escrowId}),
            QStringList{QStringLiteral("completed|%1").arg(m_admin.user.id)});
        // The seller's payout was queued (and the worker pays it out).
        QTRY_VERIFY_WITH_TIMEOUT(
            !objectOf(server().get(QStringLiteral("/api/escrows/%1").arg(escrowId), m_seller.token),
                      "escrow")
                 .value(QLatin1String("payout_reference"))
                 .isNull(),
            10000);
    }

    void resolveRefusals_data()
    {
        QTest::addColumn<QString>("state"); // of the escrow
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("field"); // the 422's field
        const QString disputed = QStringLiteral("disputed");
        QTest::addRow("bad outcome") << disputed << QByteArray(R"({"outcome":"keep","reason":"x"})")
                                     << 422 << QStringLiteral("outcome");
        QTest::addRow("outcome case")
            << disputed << QByteArray(R"({"outcome":"REFUND","reason":"x"})") << 422
            << QStringLiteral("outcome");
        QTest::addRow("outcome number") << disputed << QByteArray(R"({"outcome":1,"reason":"x"})")
                                        << 422 << QStringLiteral("outcome");
        QTest::addRow("no outcome")
            << disputed << QByteArray(R"({"reason":"x"})") << 422 << QStringLiteral("outcome");
        QTest::addRow("no reason")
            << disputed << QByteArray(R"({"outcome":"refund"})") << 422 << QStringLiteral("reason");
        QTest::addRow("blank reason")
            << disputed << QByteArray(R"({"outcome":"refund","reason":"   "})") << 422
            << QStringLiteral("reason");
        QTest::addRow("reason not text")
            << disputed << QByteArray(R"({"outcome":"refund","reason":["x"]})") << 422
            << QStringLiteral("reason");
        QTest::addRow("reason too long") << disputed
                                         << QByteArray(R"({"outcome":"refund","reason":")") +
                                                QByteArray(1001, 'r') + QByteArray(R"("})")
                                         << 422 << QStringLiteral("reason");
        QTest::addRow("malformed json")
            << disputed << QByteArray(R"({"outcome":"refund",)") << 400 << QString();
        QTest::addRow("array body") << disputed << QByteArray(R"(["refund"])") << 400 << QString();
        QTest::addRow("empty body") << disputed << QByteArray() << 400 << QString();
        QTest::addRow("release while funded")
            << QStringLiteral("funded") << QByteArray(R"({"outcome":"release","reason":"x"})")
            << 409 << QString();
        QTest::addRow("release pending funding")
            << QStringLiteral("pending_funding")
            << QByteArray(R"({"outcome":"release","reason":"x"})") << 409 << QString();
        QTest::addRow("refund pending funding")
            << QStringLiteral("pending_funding")
            << QByteArray(R"({"outcome":"refund","reason":"x"})") << 409 << QString();
        QTest::addRow("unknown escrow")
            << QStringLiteral("unknown") << QByteArray(R"({"outcome":"refund","reason":"x"})")
            << 404 << QString();
    }

    void resolveRefusals()
    {
        QFETCH(QString, state);
        QFETCH(QByteArray, body);
        QFETCH(int, status);
        QFETCH(QString, field);
        const qint64 escrowId = state == QLatin1String("unknown") ? UnknownId : escrowIn(state);
        QVERIFY(escrowId > 0);
        const qint64 auditBefore = sqlScalar(
            db(), QStringLiteral("SELECT COUNT(*) FROM escrow_events WHERE escrow_id = ?"),
            {escrowId});
        const Reply reply =
            adminPost(QStringLiteral("/api/admin/escrows/%1/resolve").arg(escrowId), body);
        QVERIFY2(reply.status == status, qPrintable(describe(reply)));
        QVERIFY(!reply.json.value(QLatin1String("message")).toString().isEmpty());
        if (!field.isEmpty())
            QVERIFY2(fieldErrors(reply).contains(field), qPrintable(describe(reply)));
        if (state != QLatin1String("unknown"))
            QCOMPARE(escrowStatus(escrowId), state);
        QCOMPARE(sqlScalar(db(),
                           QStringLiteral("SELECT COUNT(*) FROM escrow_events WHERE escrow_id = ?"),
                           {escrowId}),
                 auditBefore);
    }

    void refundWhileFunded()
    {
        // The docs: refund is also allowed while the escrow is funded.
        const qint64 escrowId = escrowIn(QStringLiteral("funded"));
        QVERIFY(escrowId > 0);
        const Reply reply =
            adminPost(QStringLiteral("/api/admin/escrows/%1/resolve").arg(escrowId),
                      json({{QLatin1String("outcome"), QStringLiteral("refund")},
                            {QLatin1String("reason"), QStringLiteral("Buyer asked in time.")}}));
        QVERIFY2(reply.status == 200, qPrintable(describe(reply)));
        QCOMPARE(escrowStatus(escrowId), QStringLiteral("refunded"));
    }

    // --- auctions -----------------------------------------------------------------------------

    void liveAuctionsWithWatchers()
    {
        QVERIFY2(m_watchedAuction > 0, "channelsListPresenceMembers runs first");
        const qint64 soon = createAuction(HourMs / 4);
        const qint64 listing = createDomain(m_owner, {{QLatin1String("enable_bidding"), false}});
        QVERIFY(soon > 0 && listing > 0);
        const Reply reply = adminGet(QStringLiteral("/api/admin/auctions"));
        QCOMPARE(reply.status, 200);
        const QJsonArray data = dataOf(reply);
        const QJsonObject watched = findBy(data, "id", m_watchedAuction);
        QVERIFY2(!watched.isEmpty(), reply.body.constData());
        QCOMPARE(intOf(watched, "watchers"), qint64(2));
        QCOMPARE(watched.value(QLatin1String("status")).toString(), QStringLiteral("active"));
        QCOMPARE(intOf(findBy(data, "id", soon), "watchers"), qint64(0));
        QVERIFY(findBy(data, "id", listing).isEmpty());
        // Soonest to end first.
        qint64 previous = 0;
        for (const QJsonValue &v : data) {
            const qint64 endsAt = msOf(v.toObject().value(QLatin1String("ends_at")));
            QVERIFY(endsAt >= previous);
            QVERIFY(endsAt > protocol::nowMs());
            previous = endsAt;
        }
        QCOMPARE(dataOf(adminGet(QStringLiteral("/api/admin/auctions?limit=1"))).size(), 1);
        QCOMPARE(qint64(data.size()), intOf(stats(), "live_auctions"));
        // A watcher leaves.
        m_socketB.reset();
        QTRY_COMPARE_WITH_TIMEOUT(
            intOf(findBy(dataOf(adminGet(QStringLiteral("/api/admin/auctions"))), "id",
                         m_watchedAuction),
                  "watchers"),
            qint64(1), 5000);
    }

    void extendAuction()
    {
        const qint64 id = createAuction();
        QVERIFY(id > 0);
        const qint64 before = msOf(domainOf(id).value(QLatin1String("ends_at")));
        QVERIFY(before > 0);
        TestSocket watcher(server().webSocketUrl());
        QVERIFY(watcher.waitConnected());
        QVERIFY(watcher.subscribeAuthorized(server(), m_watcherA, protocol::Channels::auction(id)));

        const Reply reply = adminPost(QStringLiteral("/api/admin/auctions/%1/extend").arg(id),
                                      json({{QLatin1String("seconds"), 60}}));
        QVERIFY2(reply.status == 200, qPrintable(describe(reply)));
        const QJsonObject domain = objectOf(reply, "domain");
        QCOMPARE(idOf(domain), id);
        QCOMPARE(msOf(domain.value(QLatin1String("ends_at"))), before + 60000);
        QCOMPARE(msOf(domainOf(id).value(QLatin1String("ends_at"))), before + 60000);

        // Live, and in the channel's history.
        const auto live =
            watcher.waitFor(protocol::EventName::AuctionExtended, protocol::Channels::auction(id));
        QVERIFY(live);
        QCOMPARE(msOf(frameData(*live).value(QLatin1String("ends_at"))), before + 60000);
        const Reply history = server().get(
            QStringLiteral("/api/channels/%1/events").arg(protocol::Channels::auction(id)),
            m_watcherA.token);
        QCOMPARE(history.status, 200);
        QJsonObject extended;
        for (const QJsonValue &e : dataOf(history)) {
            if (e.toObject().value(QLatin1String("event")).toString() ==
                protocol::EventName::AuctionExtended)
                extended = e.toObject();
        }
        QVERIFY2(!extended.isEmpty(), history.body.constData());
        const QJsonObject data =
            QJsonDocument::fromJson(extended.value(QLatin1String("data")).toString().toUtf8())
                .object();
        QCOMPARE(intOf(data, "domain_id"), id);
        QCOMPARE(msOf(data.value(QLatin1String("ends_at"))), before + 60000);
        QCOMPARE(storedEventCount(db(), protocol::Channels::domain(id),
                                  protocol::EventName::AuctionExtended),
                 qint64(1));

        // Countdowns follow: the next beat counts down to the new end.
        QVERIFY(sqlExec(
            db(), QStringLiteral("UPDATE domains SET last_countdown_at = 0 WHERE id = ?"), {id}));
        server().app().runSchedulerTick();
        const auto beat =
            watcher.waitFor(protocol::EventName::AuctionCountdown, protocol::Channels::auction(id));
        QVERIFY(beat);
        QCOMPARE(msOf(frameData(*beat).value(QLatin1String("ends_at"))), before + 60000);

        // The bounds: 1 second and 7 days are fine.
        const qint64 longer = createAuction();
        QVERIFY(longer > 0);
        const qint64 longerBefore = msOf(domainOf(longer).value(QLatin1String("ends_at")));
        for (const qint64 seconds : {qint64(1), qint64(604800)}) {
            const Reply bound =
                adminPost(QStringLiteral("/api/admin/auctions/%1/extend").arg(longer),
                          json({{QLatin1String("seconds"), seconds}}));
            QVERIFY2(bound.status == 200, qPrintable(describe(bound)));
        }
        QCOMPARE(msOf(domainOf(longer).value(QLatin1String("ends_at"))),
                 longerBefore + 1000 + 604800 * 1000);
    }

    void extendRefusals_data()
    {
        QTest::addColumn<QString>("target");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<int>("status");
        const QString live = QStringLiteral("live");
        QTest::addRow("zero") << live << QByteArray(R"({"seconds":0})") << 422;
        QTest::addRow("negative") << live << QByteArray(R"({"seconds":-60})") << 422;
        QTest::addRow("over a week") << live << QByteArray(R"({"seconds":604801})") << 422;
        QTest::addRow("fraction") << live << QByteArray(R"({"seconds":1.5})") << 422;
        QTest::addRow("text") << live << QByteArray(R"({"seconds":"soon"})") << 422;
        QTest::addRow("bool") << live << QByteArray(R"({"seconds":true})") << 422;
        QTest::addRow("missing") << live << QByteArray(R"({})") << 422;
        QTest::addRow("malformed json") << live << QByteArray(R"({"seconds":)") << 400;
        QTest::addRow("unknown") << QStringLiteral("unknown") << QByteArray(R"({"seconds":60})")
                                 << 404;
        QTest::addRow("not an auction")
            << QStringLiteral("listing") << QByteArray(R"({"seconds":60})") << 409;
        QTest::addRow("cancelled")
            << QStringLiteral("cancelled") << QByteArray(R"({"seconds":60})") << 409;
    }

    void extendRefusals()
    {
        QFETCH(QString, target);
        QFETCH(QByteArray, body);
        QFETCH(int, status);
        qint64 id = UnknownId;
        if (target == QLatin1String("listing"))
            id = createDomain(m_owner, {{QLatin1String("enable_bidding"), false}});
        else if (target != QLatin1String("unknown"))
            id = createAuction();
        QVERIFY(id > 0);
        if (target == QLatin1String("cancelled"))
            QCOMPARE(adminPost(QStringLiteral("/api/admin/auctions/%1/cancel").arg(id),
                               json({{QLatin1String("reason"), QStringLiteral("gone")}}))
                         .status,
                     200);
        const QJsonValue endsBefore = target == QLatin1String("unknown")
                                          ? QJsonValue()
                                          : domainOf(id).value(QLatin1String("ends_at"));
        const Reply reply =
            adminPost(QStringLiteral("/api/admin/auctions/%1/extend").arg(id), body);
        QVERIFY2(reply.status == status, qPrintable(describe(reply)));
        if (status == 422)
            QVERIFY(fieldErrors(reply).contains(QLatin1String("seconds")));
        if (target != QLatin1String("unknown"))
            QCOMPARE(domainOf(id).value(QLatin1String("ends_at")), endsBefore);
    }

    void cancelAuction()
    {
        const qint64 id = createAuction();
        QVERIFY(id > 0);
        const Session bidder = server().registerUser(QStringLiteral("Bidder"));
        const Reply bid = server().post(QStringLiteral("/api/domains/%1/bids").arg(id),
                                        {{QLatin1String("amount_cents"), 5000}}, bidder.token);
        QVERIFY2(bid.status == 201, qPrintable(describe(bid)));
        const qint64 liveBefore = intOf(stats(), "live_auctions");
        const QString reason = QStringLiteral("Trademark complaint");
        const QString path = QStringLiteral("/api/admin/auctions/%1/cancel").arg(id);

        // No reason: refused, still live.
        for (const QByteArray &body :
             {QByteArray("{}"), QByteArray(R"({"reason":"  "})"), QByteArray(R"({"reason":7})")}) {
            const Reply refused = adminPost(path, body);
            QVERIFY2(refused.status == 422, qPrintable(describe(refused)));
            QVERIFY(fieldErrors(refused).contains(QLatin1String("reason")));
        }
        QCOMPARE(adminPost(path, "{\"reason\":").status, 400);
        QCOMPARE(domainOf(id).value(QLatin1String("status")).toString(), QStringLiteral("active"));

        const Reply cancelled = adminPost(path, json({{QLatin1String("reason"), reason}}));
        QVERIFY2(cancelled.status == 200, qPrintable(describe(cancelled)));
        QCOMPARE(objectOf(cancelled, "domain").value(QLatin1String("status")).toString(),
                 QStringLiteral("cancelled"));
        QCOMPARE(domainOf(id).value(QLatin1String("status")).toString(),
                 QStringLiteral("cancelled"));
        QCOMPARE(intOf(stats(), "live_auctions"), liveBefore - 1);
        QVERIFY(
            findBy(dataOf(adminGet(QStringLiteral("/api/admin/auctions"))), "id", id).isEmpty());

        // AuctionEnded, cancelled, nobody wins: in the history of the domain's channel (which the
        // owner may read) and stored on the auction channel too.
        const Reply history = server().get(
            QStringLiteral("/api/channels/%1/events").arg(protocol::Channels::domain(id)),
            m_owner.token);
        QCOMPARE(history.status, 200);
        QJsonObject ended;
        for (const QJsonValue &e : dataOf(history)) {
            if (e.toObject().value(QLatin1String("event")).toString() ==
                protocol::EventName::AuctionEnded)
                ended = QJsonDocument::fromJson(
                            e.toObject().value(QLatin1String("data")).toString().toUtf8())
                            .object();
        }
        QVERIFY2(!ended.isEmpty(), history.body.constData());
        QCOMPARE(ended.value(QLatin1String("cancelled")), QJsonValue(true));
        QVERIFY(ended.contains(QLatin1String("winner_user_id")));
        QVERIFY(ended.value(QLatin1String("winner_user_id")).isNull());
        QCOMPARE(ended.value(QLatin1String("reason")).toString(), reason);
        QCOMPARE(storedEventCount(db(), protocol::Channels::auction(id),
                                  protocol::EventName::AuctionEnded),
                 qint64(1));
        QCOMPARE(sqlScalar(db(), QStringLiteral("SELECT COUNT(*) FROM escrows WHERE domain_id = ?"),
                           {id}),
                 qint64(0));

        // The owner and the high bidder are told it was cancelled.
        for (const Session *who : std::initializer_list<const Session *>{&m_owner, &bidder}) {
            const Reply notes =
                server().get(QStringLiteral("/api/notifications?limit=100"), who->token);
            QCOMPARE(notes.status, 200);
            QList<QJsonObject> endedNotes;
            for (const QJsonValue &n : dataOf(notes)) {
                const QJsonObject note = n.toObject();
                if (note.value(QLatin1String("type")).toString() ==
                        protocol::NotificationType::AuctionEnded &&
                    intOf(note.value(QLatin1String("data")).toObject(), "domain_id") == id)
                    endedNotes.append(note.value(QLatin1String("data")).toObject());
            }
            QCOMPARE(endedNotes.size(), 1);
            QCOMPARE(endedNotes.first().value(QLatin1String("cancelled")), QJsonValue(true));
            QCOMPARE(endedNotes.first().value(QLatin1String("reason")).toString(), reason);
        }

        // Not twice; and an unknown domain is 404.
        const Reply twice = adminPost(path, json({{QLatin1String("reason"), reason}}));
        QVERIFY2(twice.status == 409, qPrintable(describe(twice)));
        QCOMPARE(adminPost(QStringLiteral("/api/admin/auctions/%1/cancel").arg(UnknownId),
                           json({{QLatin1String("reason"), reason}}))
                     .status,
                 404);
        // Bids are refused from now on, and the scheduler does not close it again.
        QCOMPARE(server()
                     .post(QStringLiteral("/api/domains/%1/bids").arg(id),
                           {{QLatin1String("amount_cents"), 9000}}, bidder.token)
                     .status,
                 422);
        server().app().runSchedulerTick();
        QVERIFY(waitUntil(
            [&] {
                return storedEventCount(db(), protocol::Channels::auction(id),
                                        protocol::EventName::AuctionEnded) == 1;
            },
            5000));
    }

    //! An auction whose time is up belongs to its winner even before the scheduler closes it:
    //! neither cancel nor extend may touch it (409), and it closes normally afterwards.
    void auctionWhoseTimeIsUpIsNotLive()
    {
        const qint64 id = createAuction();
        QVERIFY(id > 0);
        const Session bidder = server().registerUser(QStringLiteral("Winner"));
        QCOMPARE(server()
                     .post(QStringLiteral("/api/domains/%1/bids").arg(id),
                           {{QLatin1String("amount_cents"), 5000}}, bidder.token)
                     .status,
                 201);
        // Called directly, with the scheduler stopped, so that it cannot close it first.
        server().app().stopScheduler();
        QVERIFY(sqlExec(db(), QStringLiteral("UPDATE domains SET ends_at = ? WHERE id = ?"),
                        {protocol::nowMs() - 1000, id}));
        const auto cancelled = server::waitFor(server().app().admin().cancelAuction(
            id, QStringLiteral("too late"), protocol::nowMs()));
        QVERIFY2(!cancelled, "an auction whose time is up was cancelled");
        QCOMPARE(cancelled.error().status, 409);
        const auto extended =
            server::waitFor(server().app().admin().extendAuction(id, 60, protocol::nowMs()));
        QVERIFY(!extended);
        QCOMPARE(extended.error().status, 409);
        QCOMPARE(sqlTexts(db(), QStringLiteral("SELECT status FROM domains WHERE id = ?"), {id}),
                 QStringList{QStringLiteral("active")});
        // The scheduler closes it with its winner.
        server().app().startScheduler();
        QVERIFY(waitUntil(
            [&] {
                return sqlScalar(db(),
                                 QStringLiteral("SELECT COUNT(*) FROM escrows WHERE domain_id = ?"),
                                 {id}) == 1;
            },
            5000));
    }

    // --- announcements ------------------------------------------------------------------------

    void announcementReachesEveryoneButTheBanned()
    {
        const Session banned = server().registerUser(QStringLiteral("Banned"));
        QCOMPARE(adminPost(QStringLiteral("/api/admin/users/%1/ban").arg(banned.user.id)).status,
                 200);
        auto socket = userSocket(m_user);
        QVERIFY(socket);
        const QList<qint64> expected =
            sqlIntegers(db(), QStringLiteral("SELECT id FROM users WHERE banned_at IS NULL "
                                             "ORDER BY id"));
        QVERIFY(expected.size() > 5 && !expected.contains(-1));
        QVERIFY(!expected.contains(banned.user.id));

        const QString title = QStringLiteral("Maintenance %1").arg(next());
        const QString body = QStringLiteral("We restart at 02:00 UTC.");
        const Reply reply =
            adminPost(QStringLiteral("/api/admin/announcements"),
                      json({{QLatin1String("title"), title}, {QLatin1String("body"), body}}));
        QVERIFY2(reply.status == 201, qPrintable(describe(reply)));
        QCOMPARE(intOf(reply.json, "recipients"), qint64(expected.size()));

        // One each, for exactly those users.
        const QList<qint64> reached = sqlIntegers(
            db(),
            QStringLiteral("SELECT user_id FROM notifications WHERE type = ? AND data LIKE ? "
                           "ORDER BY user_id"),
            {protocol::NotificationType::Announcement,
             QStringLiteral("%") + title + QLatin1Char('%')});
        QCOMPARE(reached, expected);

        // As the user sees it, and live on their channel.
        const Reply notes = server().get(QStringLiteral("/api/notifications"), m_user.token);
        QJsonObject announcement;
        for (const QJsonValue &n : dataOf(notes)) {
            if (n.toObject().value(QLatin1String("type")).toString() ==
                protocol::NotificationType::Announcement)
                announcement = n.toObject().value(QLatin1String("data")).toObject();
            if (!announcement.isEmpty())
                break;
        }
        QCOMPARE(announcement,
                 (QJsonObject{{QLatin1String("title"), title}, {QLatin1String("body"), body}}));
        const auto live = socket->waitFor(protocol::EventName::NotificationCreated,
                                          protocol::Channels::user(m_user.user.id));
        QVERIFY(live);
        const QJsonObject notification =
            frameData(*live).value(QLatin1String("notification")).toObject();
        QCOMPARE(notification.value(QLatin1String("type")).toString(),
                 protocol::NotificationType::Announcement);
        QCOMPARE(notification.value(QLatin1String("data"))
                     .toObject()
                     .value(QLatin1String("title"))
                     .toString(),
                 title);

        // The banned user got nothing (and gets it neither after the unban).
        QCOMPARE(sqlScalar(db(),
                           QStringLiteral("SELECT COUNT(*) FROM notifications WHERE user_id = ? "
                                          "AND type = ?"),
                           {banned.user.id, protocol::NotificationType::Announcement}),
                 qint64(0));
        QCOMPARE(adminPost(QStringLiteral("/api/admin/users/%1/unban").arg(banned.user.id)).status,
                 200);
    }

    void announcementRefusals_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("field");
        QTest::addRow("empty title")
            << QByteArray(R"({"title":"","body":"b"})") << 422 << QStringLiteral("title");
        QTest::addRow("blank title")
            << QByteArray(R"({"title":"   ","body":"b"})") << 422 << QStringLiteral("title");
        QTest::addRow("no title") << QByteArray(R"({"body":"b"})") << 422
                                  << QStringLiteral("title");
        QTest::addRow("title number")
            << QByteArray(R"({"title":12,"body":"b"})") << 422 << QStringLiteral("title");
        QTest::addRow("title too long")
            << QByteArray(R"({"title":")") + QByteArray(121, 't') + QByteArray(R"(","body":"b"})")
            << 422 << QStringLiteral("title");
        QTest::addRow("empty body")
            << QByteArray(R"({"title":"t","body":""})") << 422 << QStringLiteral("body");
        QTest::addRow("body object")
            << QByteArray(R"({"title":"t","body":{}})") << 422 << QStringLiteral("body");
        QTest::addRow("body too long")
            << QByteArray(R"({"title":"t","body":")") + QByteArray(2001, 'b') + QByteArray(R"("})")
            << 422 << QStringLiteral("body");
        QTest::addRow("malformed json") << QByteArray(R"({"title":"t")") << 400 << QString();
        QTest::addRow("not an object") << QByteArray(R"("hello")") << 400 << QString();
    }

    void announcementRefusals()
    {
        QFETCH(QByteArray, body);
        QFETCH(int, status);
        QFETCH(QString, field);
        const QString countSql =
            QStringLiteral("SELECT COUNT(*) FROM notifications WHERE type = 'announcement'");
        const qint64 before = sqlScalar(db(), countSql);
        const Reply reply = adminPost(QStringLiteral("/api/admin/announcements"), body);
        QVERIFY2(reply.status == status, qPrintable(describe(reply)));
        if (!field.isEmpty())
            QVERIFY2(fieldErrors(reply).contains(field), qPrintable(describe(reply)));
        QCOMPARE(sqlScalar(db(), countSql), before);
    }

    void longestAnnouncementIsAccepted()
    {
        const Reply reply =
            adminPost(QStringLiteral("/api/admin/announcements"),
                      json({{QLatin1String("title"), QString(120, QLatin1Char('T'))},
                            {QLatin1String("body"), QString(2000, QLatin1Char('B'))}}));
        QVERIFY2(reply.status == 201, qPrintable(describe(reply)));
    }

    // --- bad input ----------------------------------------------------------------------------

    //! Whatever an admin sends to whichever route, the answer is never a 5xx, and always the
    //! JSON error shape when it is not a success.
    void badInputNeverGives500_data()
    {
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QString>("path");
        QTest::addColumn<QByteArray>("body");
        const QList<std::pair<const char *, QByteArray>> bodies{
            {"malformed", QByteArray("{\"reason\":")},
            {"array", QByteArray("[1,2]")},
            {"wrong types",
             QByteArray(R"({"outcome":[],"reason":{},"seconds":"x","title":null,"body":7})")},
            {"huge numbers", QByteArray(R"({"seconds":1e300,"outcome":"refund","reason":"x"})")},
            {"binary", QByteArray("\xff\xfe\x00\x01", 4)},
        };
        for (const AdminRoute &route : adminRoutes()) {
            const QString generic = genericPath(QString::fromLatin1(route.path));
            const QStringList ids =
                generic.contains(QLatin1String("{id}"))
                    ? QStringList{QString::number(UnknownId), QStringLiteral("-1"),
                                  QStringLiteral("99999999999999999999")}
                    : QStringList{QString()};
            for (const auto &[name, body] : bodies) {
                for (const QString &id : ids) {
                    const QString path = QString(generic).replace(QLatin1String("{id}"), id);
                    QTest::addRow("%s %s %s", route.method, qPrintable(path), name)
                        << QByteArray(route.method) << path << body;
                }
            }
        }
        const QStringList queries{
            QStringLiteral("/api/admin/users?limit=1e999"),
            QStringLiteral("/api/admin/users?offset=99999999999999999999"),
            QStringLiteral("/api/admin/users?search=%00%FF"),
            QStringLiteral("/api/admin/users?search=%27%3B%20DROP%20TABLE%20users%3B--"),
            QStringLiteral("/api/admin/channels?prefix=%00"),
            QStringLiteral("/api/admin/jobs?limit=%20"),
            QStringLiteral("/api/admin/auctions?limit=99999999999999999999")};
        for (const QString &query : queries)
            QTest::addRow("GET %s", qPrintable(query))
                << QByteArray("GET") << query << QByteArray();
    }

    void badInputNeverGives500()
    {
        QFETCH(QByteArray, method);
        QFETCH(QString, path);
        QFETCH(QByteArray, body);
        const Reply reply = call(method, path, m_admin.token, body);
        QVERIFY2(reply.status >= 200 && reply.status < 500, qPrintable(describe(reply)));
        QVERIFY2(QJsonDocument::fromJson(reply.body).isObject(), qPrintable(describe(reply)));
        if (reply.status >= 400)
            QVERIFY2(!reply.json.value(QLatin1String("message")).toString().isEmpty(),
                     qPrintable(describe(reply)));
        // Still there afterwards.
        QCOMPARE(meStatus(m_admin.token), 200);
    }

    //! U+0000 cannot be stored in PostgreSQL text: where it would reach a column it is refused
    //! as bad input (422), never a 500, on either database.
    void nulCharacters()
    {
        const Reply search = adminGet(QStringLiteral("/api/admin/users?search=a%00b"));
        QVERIFY2(search.status == 422, qPrintable(describe(search)));
        QVERIFY(fieldErrors(search).contains(QLatin1String("search")));

        const qint64 escrowId = escrowIn(QStringLiteral("disputed"));
        QVERIFY(escrowId > 0);
        const Reply resolve =
            adminPost(QStringLiteral("/api/admin/escrows/%1/resolve").arg(escrowId),
                      R"({"outcome":"refund","reason":"bad\u0000reason"})");
        QVERIFY2(resolve.status == 422, qPrintable(describe(resolve)));
        QVERIFY(fieldErrors(resolve).contains(QLatin1String("reason")));
        QCOMPARE(escrowStatus(escrowId), QStringLiteral("disputed"));

        // Reasons and texts that only travel inside JSON are fine either way, but never a 500.
        const qint64 auction = createAuction();
        QVERIFY(auction > 0);
        const Reply cancel = adminPost(QStringLiteral("/api/admin/auctions/%1/cancel").arg(auction),
                                       R"({"reason":"nul\u0000here"})");
        QVERIFY2(cancel.status == 200 || cancel.status == 422, qPrintable(describe(cancel)));
        const Reply announce = adminPost(QStringLiteral("/api/admin/announcements"),
                                         R"({"title":"nul\u0000title","body":"b\u0000"})");
        QVERIFY2(announce.status == 201 || announce.status == 422, qPrintable(describe(announce)));
    }

    void cleanupTestCase()
    {
        m_socketA.reset();
        m_socketB.reset();
        m_server.reset();
    }
};

QTEST_GUILESS_MAIN(TestAdmin)
#include "tst_admin.moc"
