// SPDX-License-Identifier: MIT
// Accounts and tokens, channel authorization (/broadcasting/auth) and the HTTP layer's
// error shapes (404, 405, 413, CORS), against a real in-process server.
#include "testhelpers.h"
#include "testserver.h"

#include "auth/accountservice.h"
#include "auth/passwordhasher.h"
#include "core/waitfor.h"
#include "storage/database.h"

#include "protocol/signing.h"
#include "protocol/timeformat.h"
#include "protocol/types.h"

#include <QCryptographicHash>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QSqlError>
#include <QSqlQuery>
#include <QTcpSocket>
#include <QtTest>

#include <algorithm>
#include <memory>
#include <vector>

using namespace flippdeal;
using namespace flippdeal::testing;

namespace {

const QByteArray AppKey = "test-key";
const QByteArray AppSecret = "test-secret-0123456789";
const QString Password = QStringLiteral("correct horse battery");

using Headers = QList<QPair<QByteArray, QByteArray>>;

//! A request with exactly the given headers (TestServer::request always sends "Bearer ").
Reply rawRequest(TestServer &server, const QByteArray &method, const QString &path,
                 const Headers &headers, const QByteArray &body = {},
                 QString *networkError = nullptr)
{
    QNetworkAccessManager network;
    QNetworkRequest request(server.url(path));
    for (const auto &[name, value] : headers)
        request.setRawHeader(name, value);
    QNetworkReply *reply = network.sendCustomRequest(request, method, body);
    waitForFinished(reply, 15000);
    const Reply result = toReply(reply);
    if (networkError)
        *networkError = QStringLiteral("%1 (QNetworkReply::NetworkError %2)")
                            .arg(reply->errorString())
                            .arg(int(reply->error()));
    delete reply;
    return result;
}

//! Whether the answer is the contract's error shape: a JSON object with a string message.
bool isJsonError(const Reply &reply)
{
    const QJsonDocument doc = QJsonDocument::fromJson(reply.body);
    return doc.isObject() && doc.object().value(QLatin1String("message")).isString() &&
           !doc.object().value(QLatin1String("message")).toString().isEmpty();
}

QString uniqueEmail(const QString &stem)
{
    static int counter = 0;
    return QStringLiteral("%1.%2.%3@accounts.flippdeal.test")
        .arg(stem)
        .arg(QCoreApplication::applicationPid())
        .arg(++counter);
}

QJsonObject registration(const QString &name, const QString &email, const QString &password)
{
    return {{QLatin1String("name"), name},
            {QLatin1String("email"), email},
            {QLatin1String("password"), password}};
}

QString isoIn(qint64 ms)
{
    return protocol::isoUtc(protocol::nowMs() + ms);
}

const qint64 DayMs = qint64(24) * 3600 * 1000;

//! \brief HTTP/1.1 POSTs on connections of their own, each from a chosen local address: all
//! of 127.0.0.0/8 is loopback on Linux, so 127.0.0.2 and 127.0.0.3 are other clients to the
//! server than the 127.0.0.1 every other request comes from.
class RawPosts
{
public:
    //! Starts a POST of `body` to `path` from `from`; returns its index.
    int start(const QHostAddress &from, quint16 port, const QString &path, const QByteArray &body)
    {
        auto pending = std::make_unique<Pending>();
        pending->timer.start();
        QTcpSocket *socket = &pending->socket;
        if (!socket->bind(from))
            qWarning() << "cannot bind to" << from << socket->errorString();
        const QByteArray request = "POST " + path.toLatin1() +
                                   " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                   "Content-Type: application/json\r\nContent-Length: " +
                                   QByteArray::number(body.size()) +
                                   "\r\nConnection: close\r\n\r\n" + body;
        Pending *p = pending.get();
        QObject::connect(socket, &QTcpSocket::connected, socket,
                         [socket, request] { socket->write(request); });
        QObject::connect(socket, &QTcpSocket::readyRead, socket, [p] { p->read(); });
        QObject::connect(socket, &QTcpSocket::disconnected, socket, [p] { p->read(true); });
        QObject::connect(socket, &QAbstractSocket::errorOccurred, socket, [p] { p->read(true); });
        socket->connectToHost(QHostAddress::LocalHost, port);
        m_pending.push_back(std::move(pending));
        return int(m_pending.size()) - 1;
    }

    bool waitAll(int timeoutMs)
    {
        return waitUntil(
            [this] {
                return std::all_of(m_pending.cbegin(), m_pending.cend(),
                                   [](const auto &p) { return p->done; });
            },
            timeoutMs);
    }
    bool wait(int index, int timeoutMs)
    {
        return waitUntil([this, index] { return m_pending.at(index)->done; }, timeoutMs);
    }
    int size() const { return int(m_pending.size()); }
    const Reply &reply(int index) const { return m_pending.at(index)->reply; }
    //! From the start of the request to its complete answer (-1 without one).
    qint64 elapsedMs(int index) const { return m_pending.at(index)->elapsedMs; }

private:
    struct Pending
    {
        QTcpSocket socket;
        QByteArray received;
        QElapsedTimer timer;
        Reply reply;
        qint64 elapsedMs = -1;
        bool done = false;

        void read(bool closed = false)
        {
            if (done)
                return;
            received += socket.readAll();
            const qsizetype headEnd = received.indexOf("\r\n\r\n");
            if (headEnd >= 0) {
                const QList<QByteArray> lines = received.left(headEnd).split('\n');
                Reply parsed;
                parsed.status = lines.value(0).split(' ').value(1).toInt();
                qsizetype length = 0;
                for (qsizetype i = 1; i < lines.size(); ++i) {
                    const qsizetype colon = lines.at(i).indexOf(':');
                    if (colon <= 0)
                        continue;
                    const QByteArray name = lines.at(i).left(colon).trimmed();
                    const QByteArray value = lines.at(i).mid(colon + 1).trimmed();
                    parsed.headers.append({name, value});
                    if (name.compare("Content-Length", Qt::CaseInsensitive) == 0)
                        length = value.toLongLong();
                }
                if (received.size() - headEnd - 4 >= length) {
                    parsed.body = received.mid(headEnd + 4, length);
                    parsed.json = QJsonDocument::fromJson(parsed.body).object();
                    reply = parsed;
                    elapsedMs = timer.elapsed();
                    done = true;
                    return;
                }
            }
            if (closed)
                done = true; // no complete answer: status 0
        }
    };
    std::vector<std::unique_ptr<Pending>> m_pending;
};

//! How long a sign-in takes without any load of ours (one password hash on a machine that may
//! be busy with other work), for bounds that hold on a slow machine too.
qint64 quietSignInMs(TestServer &node, const QString &email, const QString &password)
{
    QElapsedTimer timer;
    timer.start();
    const Reply reply =
        node.post(QStringLiteral("/api/login"),
                  {{QLatin1String("email"), email}, {QLatin1String("password"), password}});
    if (reply.status != 200)
        qWarning() << "quiet sign-in failed:" << describe(reply);
    return timer.elapsed();
}

QByteArray loginBody(const QString &email, const QString &password)
{
    return QJsonDocument(
               QJsonObject{{QLatin1String("email"), email}, {QLatin1String("password"), password}})
        .toJson(QJsonDocument::Compact);
}

//! Counts the answers of `posts` by status.
QMap<int, int> statusCounts(const RawPosts &posts, const QList<int> &indexes)
{
    QMap<int, int> counts;
    for (const int i : indexes)
        ++counts[posts.reply(i).status];
    return counts;
}

QString describeCounts(const QMap<int, int> &counts)
{
    QStringList parts;
    for (auto it = counts.cbegin(); it != counts.cend(); ++it)
        parts.append(QStringLiteral("%1×%2").arg(it.value()).arg(it.key()));
    return parts.join(QLatin1String(", "));
}

//! Log messages, captured while a LogCapture lives (in this process: TestServer's server).
QStringList g_log;
QtMessageHandler g_previousHandler = nullptr;

void captureMessage(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    g_log.append(QStringLiteral("%1: %2").arg(QString::fromLatin1(context.category), message));
    if (g_previousHandler)
        g_previousHandler(type, context, message);
}

struct LogCapture
{
    LogCapture()
    {
        g_log.clear();
        g_previousHandler = qInstallMessageHandler(captureMessage);
    }
    ~LogCapture() { qInstallMessageHandler(g_previousHandler); }
};

} // namespace

class TestAccounts : public QObject
{
    Q_OBJECT

private:
    TestServer &server() { return *m_server; }

    //! Creates a domain as `owner` and returns its id (0 on failure, with the test failed).
    qint64 createDomain(const Session &owner, const QJsonObject &extra)
    {
        QJsonObject body{
            {QLatin1String("name"), QStringLiteral("listing-%1.com").arg(++m_domainCounter)},
            {QLatin1String("min_increment_cents"), 100}};
        for (auto it = extra.begin(); it != extra.end(); ++it)
            body.insert(it.key(), it.value());
        const Reply reply = server().post(QStringLiteral("/api/domains"), body, owner.token);
        if (reply.status != 201) {
            qWarning() << "domain creation failed" << reply.status << reply.body;
            return 0;
        }
        return reply.json.value(QLatin1String("domain"))
            .toObject()
            .value(QLatin1String("id"))
            .toInteger();
    }

    Reply channelAuth(const Session &session, const QString &channel,
                      const QString &socketId = QStringLiteral("1234.5678"))
    {
        return server().post(
            QStringLiteral("/broadcasting/auth"),
            {{QLatin1String("socket_id"), socketId}, {QLatin1String("channel_name"), channel}},
            session.token);
    }

    static Reply channelAuthOn(TestServer &node, const QByteArray &token, const QString &channel)
    {
        return node.post(QStringLiteral("/broadcasting/auth"),
                         {{QLatin1String("socket_id"), QStringLiteral("1234.5678")},
                          {QLatin1String("channel_name"), channel}},
                         token);
    }

    std::unique_ptr<TestServer> m_server;
    Session m_alice;
    Session m_bob;
    int m_domainCounter = 0;

private Q_SLOTS:
    void initTestCase()
    {
        m_server = std::make_unique<TestServer>();
        QVERIFY2(server().isRunning(), qPrintable(server().errorString()));
        m_alice = server().registerUser(QStringLiteral("Alice"));
        m_bob = server().registerUser(QStringLiteral("Bob"));
        QVERIFY(m_alice.user.id > 0);
        QVERIFY(m_bob.user.id > 0);
    }

    // --- register -------------------------------------------------------------------------

    void registerReturnsUserAndToken()
    {
        const QString email = uniqueEmail(QStringLiteral("carol"));
        const Reply reply = server().post(QStringLiteral("/api/register"),
                                          registration(QStringLiteral("Carol"), email, Password));
        QCOMPARE(reply.status, 201);
        QVERIFY(reply.header("Content-Type").startsWith("application/json"));
        const QJsonObject user = reply.json.value(QLatin1String("user")).toObject();
        QVERIFY2(user.value(QLatin1String("id")).isDouble() &&
                     user.value(QLatin1String("id")).toInteger() > 0,
                 reply.body.constData());
        QCOMPARE(user.value(QLatin1String("name")).toString(), QStringLiteral("Carol"));
        QCOMPARE(user.value(QLatin1String("email")).toString(), email);
        QCOMPARE(user.value(QLatin1String("role")).toString(), QStringLiteral("user"));
        QStringList keys = user.keys();
        keys.sort();
        QCOMPARE(keys, (QStringList{QStringLiteral("email"), QStringLiteral("id"),
                                    QStringLiteral("name"), QStringLiteral("role")}));

        const QString token = reply.json.value(QLatin1String("token")).toString();
        // At least 128 bits: 22 base64url characters carry 132 bits.
        QVERIFY2(token.size() >= 22, qPrintable(token));
        static const QRegularExpression base64url(QStringLiteral("^[A-Za-z0-9_-]+$"));
        QVERIFY2(base64url.match(token).hasMatch(), qPrintable(token));
        const auto decoded = QByteArray::fromBase64Encoding(
            token.toLatin1(), QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
        QVERIFY(decoded);
        QVERIFY2(decoded.decoded.size() >= 16, "the token carries at least 128 bits");

        // The token works right away.
        const Reply me = server().get(QStringLiteral("/api/me"), token.toLatin1());
        QCOMPARE(me.status, 200);
        QCOMPARE(me.json.value(QLatin1String("user")).toObject(), user);
    }

    void tokensAreDistinct()
    {
        const Session one = server().registerUser(QStringLiteral("Dora"));
        const Session two = server().registerUser(QStringLiteral("Dora"));
        QVERIFY(!one.token.isEmpty());
        QVERIFY(!two.token.isEmpty());
        QVERIFY(one.token != two.token);
        QVERIFY(one.user.id != two.user.id);
    }

    void registerDuplicateEmail_data()
    {
        QTest::addColumn<bool>("upperCase");
        QTest::addRow("same spelling") << false;
        QTest::addRow("different case") << true;
    }

    void registerDuplicateEmail()
    {
        QFETCH(bool, upperCase);
        const QString email = uniqueEmail(QStringLiteral("dup"));
        QCOMPARE(server()
                     .post(QStringLiteral("/api/register"),
                           registration(QStringLiteral("First"), email, Password))
                     .status,
                 201);
        const Reply second = server().post(
            QStringLiteral("/api/register"),
            registration(QStringLiteral("Second"), upperCase ? email.toUpper() : email, Password));
        QCOMPARE(second.status, 422);
        QVERIFY(isJsonError(second));
        QVERIFY2(fieldErrors(second).value(QLatin1String("email")).isArray(),
                 second.body.constData());
        QVERIFY(!fieldErrors(second).value(QLatin1String("email")).toArray().isEmpty());
        QVERIFY(!second.json.contains(QLatin1String("token")));
    }

    void registerValidation_data()
    {
        QTest::addColumn<QJsonObject>("body");
        QTest::addColumn<QString>("field");
        const QString email = QStringLiteral("valid.person@example.com");
        QTest::addRow("missing name")
            << QJsonObject{{QLatin1String("email"), email}, {QLatin1String("password"), Password}}
            << QStringLiteral("name");
        QTest::addRow("blank name")
            << registration(QStringLiteral("   "), email, Password) << QStringLiteral("name");
        QTest::addRow("name not a string") << QJsonObject{{QLatin1String("name"), 42},
                                                          {QLatin1String("email"), email},
                                                          {QLatin1String("password"), Password}}
                                           << QStringLiteral("name");
        QTest::addRow("missing email") << QJsonObject{{QLatin1String("name"), QStringLiteral("X")},
                                                      {QLatin1String("password"), Password}}
                                       << QStringLiteral("email");
        QTest::addRow("email without @")
            << registration(QStringLiteral("X"), QStringLiteral("not-an-email"), Password)
            << QStringLiteral("email");
        QTest::addRow("email without domain")
            << registration(QStringLiteral("X"), QStringLiteral("someone@"), Password)
            << QStringLiteral("email");
        QTest::addRow("email with space")
            << registration(QStringLiteral("X"), QStringLiteral("some one@example.com"), Password)
            << QStringLiteral("email");
        QTest::addRow("missing password")
            << QJsonObject{{QLatin1String("name"), QStringLiteral("X")},
                           {QLatin1String("email"), email}}
            << QStringLiteral("password");
        QTest::addRow("short password")
            << registration(QStringLiteral("X"), email, QStringLiteral("1234567"))
            << QStringLiteral("password");
        QTest::addRow("empty password")
            << registration(QStringLiteral("X"), email, QString()) << QStringLiteral("password");
    }

    void registerValidation()
    {
        QFETCH(QJsonObject, body);
        QFETCH(QString, field);
        const Reply reply = server().post(QStringLiteral("/api/register"), body);
        QCOMPARE(reply.status, 422);
        QVERIFY(isJsonError(reply));
        QVERIFY2(fieldErrors(reply).value(field).isArray(), reply.body.constData());
        QVERIFY(!fieldErrors(reply).value(field).toArray().isEmpty());
        QVERIFY(fieldErrors(reply).value(field).toArray().first().isString());
        QVERIFY(!reply.json.contains(QLatin1String("token")));
    }

    void malformedBodies_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<QByteArray>("body");
        for (const QString &path :
             {QStringLiteral("/api/register"), QStringLiteral("/api/login")}) {
            QTest::addRow("%s truncated JSON", qPrintable(path))
                << path << QByteArray(R"({"name": "x", "email": )");
            QTest::addRow("%s not JSON", qPrintable(path)) << path << QByteArray("name=x&email=y");
            QTest::addRow("%s JSON array", qPrintable(path))
                << path << QByteArray(R"(["a@b.c", "password"])");
            QTest::addRow("%s JSON string", qPrintable(path)) << path << QByteArray(R"("hello")");
            QTest::addRow("%s JSON number", qPrintable(path)) << path << QByteArray("42");
            QTest::addRow("%s JSON null", qPrintable(path)) << path << QByteArray("null");
            QTest::addRow("%s empty body", qPrintable(path)) << path << QByteArray();
        }
    }

    void malformedBodies()
    {
        QFETCH(QString, path);
        QFETCH(QByteArray, body);
        const Reply reply = server().request("POST", path, {}, body, "application/json");
        QCOMPARE(reply.status, 400);
        QVERIFY2(isJsonError(reply), reply.body.constData());
        QVERIFY2(!reply.json.contains(QLatin1String("errors")), "errors only on 422");
    }

    // --- login / me / logout ----------------------------------------------------------------

    void loginSucceeds()
    {
        const Reply reply = server().post(
            QStringLiteral("/api/login"),
            {{QLatin1String("email"), m_alice.user.email}, {QLatin1String("password"), Password}});
        QCOMPARE(reply.status, 200);
        const QJsonObject user = reply.json.value(QLatin1String("user")).toObject();
        QCOMPARE(user.value(QLatin1String("id")).toInteger(), m_alice.user.id);
        QCOMPARE(user.value(QLatin1String("email")).toString(), m_alice.user.email);
        QCOMPARE(user.value(QLatin1String("role")).toString(), QStringLiteral("user"));
        const QByteArray token = reply.json.value(QLatin1String("token")).toString().toLatin1();
        QVERIFY(token.size() >= 22);
        QVERIFY2(token != m_alice.token, "each login issues a new token");
        QCOMPARE(server().get(QStringLiteral("/api/me"), token).status, 200);
    }

    void loginEmailIsCaseInsensitive()
    {
        const Reply reply = server().post(QStringLiteral("/api/login"),
                                          {{QLatin1String("email"), m_alice.user.email.toUpper()},
                                           {QLatin1String("password"), Password}});
        QCOMPARE(reply.status, 200);
        QCOMPARE(reply.json.value(QLatin1String("user"))
                     .toObject()
                     .value(QLatin1String("id"))
                     .toInteger(),
                 m_alice.user.id);
    }

    void loginRefused_data()
    {
        QTest::addColumn<QString>("email");
        QTest::addColumn<QString>("password");
        QTest::addRow("wrong password") << QString() << QStringLiteral("correct horse battery!");
        QTest::addRow("password of another case")
            << QString() << QStringLiteral("Correct Horse Battery");
        QTest::addRow("unknown email") << QStringLiteral("nobody.here@example.com") << Password;
    }

    void loginRefused()
    {
        QFETCH(QString, email);
        QFETCH(QString, password);
        const Reply reply =
            server().post(QStringLiteral("/api/login"),
                          {{QLatin1String("email"), email.isEmpty() ? m_alice.user.email : email},
                           {QLatin1String("password"), password}});
        QCOMPARE(reply.status, 401);
        QVERIFY(isJsonError(reply));
        QVERIFY(!reply.json.contains(QLatin1String("token")));
        QVERIFY(!reply.json.contains(QLatin1String("user")));
    }

    void meReturnsTheUser()
    {
        const Reply reply = server().get(QStringLiteral("/api/me"), m_bob.token);
        QCOMPARE(reply.status, 200);
        const QJsonObject user = reply.json.value(QLatin1String("user")).toObject();
        QCOMPARE(user.value(QLatin1String("id")).toInteger(), m_bob.user.id);
        QCOMPARE(user.value(QLatin1String("name")).toString(), QStringLiteral("Bob"));
        QCOMPARE(user.value(QLatin1String("email")).toString(), m_bob.user.email);
        QCOMPARE(user.value(QLatin1String("role")).toString(), QStringLiteral("user"));
    }

    void meUnauthenticated_data()
    {
        QTest::addColumn<QByteArray>("authorization");
        QTest::addRow("no header") << QByteArray();
        QTest::addRow("garbage token") << QByteArray("Bearer not-a-real-token-at-all-0000000000");
        QTest::addRow("empty bearer") << QByteArray("Bearer ");
        QTest::addRow("very long token") << (QByteArray("Bearer ") + QByteArray(4000, 'a'));
        QTest::addRow("basic scheme") << QByteArray("Basic YWxpY2U6c2VjcmV0");
    }

    void meUnauthenticated()
    {
        QFETCH(QByteArray, authorization);
        Headers headers;
        if (!authorization.isEmpty())
            headers.append({"Authorization", authorization});
        const Reply reply = rawRequest(server(), "GET", QStringLiteral("/api/me"), headers);
        QCOMPARE(reply.status, 401);
        QVERIFY2(isJsonError(reply), reply.body.constData());
    }

    void bearerSchemeIsCaseInsensitive()
    {
        const Reply reply = rawRequest(server(), "GET", QStringLiteral("/api/me"),
                                       {{"Authorization", "bearer " + m_bob.token}});
        QCOMPARE(reply.status, 200);
    }

    void logoutRevokesOnlyThatToken()
    {
        const Session carol = server().registerUser(QStringLiteral("Carol"));
        const Reply login =
            server().post(QStringLiteral("/api/login"), {{QLatin1String("email"), carol.user.email},
                                                         {QLatin1String("password"), Password}});
        QCOMPARE(login.status, 200);
        const QByteArray second = login.json.value(QLatin1String("token")).toString().toLatin1();
        QVERIFY(!second.isEmpty());

        QCOMPARE(server().get(QStringLiteral("/api/me"), carol.token).status, 200);
        const Reply logout = server().request("POST", QStringLiteral("/api/logout"), carol.token);
        QCOMPARE(logout.status, 204);
        QVERIFY(logout.body.isEmpty());

        // The revoked token stops working at once, everywhere.
        QCOMPARE(server().get(QStringLiteral("/api/me"), carol.token).status, 401);
        QCOMPARE(server().get(QStringLiteral("/api/messages/unread-count"), carol.token).status,
                 401);
        QCOMPARE(server().request("POST", QStringLiteral("/api/logout"), carol.token).status, 401);
        QCOMPARE(channelAuth(carol, QStringLiteral("private-user.%1").arg(carol.user.id)).status,
                 401);
        // The other session of the same user is untouched.
        const Reply me = server().get(QStringLiteral("/api/me"), second);
        QCOMPARE(me.status, 200);
        QCOMPARE(
            me.json.value(QLatin1String("user")).toObject().value(QLatin1String("id")).toInteger(),
            carol.user.id);
        // Logging in again still works after a logout.
        QCOMPARE(
            server()
                .post(QStringLiteral("/api/login"), {{QLatin1String("email"), carol.user.email},
                                                     {QLatin1String("password"), Password}})
                .status,
            200);
    }

    void logoutWithoutToken()
    {
        const Reply reply = server().request("POST", QStringLiteral("/api/logout"));
        QCOMPARE(reply.status, 401);
        QVERIFY(isJsonError(reply));
    }

    void noPlaintextSecretsStored()
    {
        const Session erin = server().registerUser(QStringLiteral("Erin"));
        QVERIFY(!erin.token.isEmpty());

        QSqlQuery users(server().app().database().handle());
        QVERIFY(users.prepare(QStringLiteral("SELECT password_hash FROM users WHERE id = ?")));
        users.addBindValue(erin.user.id);
        QVERIFY2(users.exec(), qPrintable(users.lastError().text()));
        QVERIFY(users.next());
        const QString hash = users.value(0).toString();
        QVERIFY2(hash.startsWith(QLatin1String("$argon2id$")), qPrintable(hash));
        QVERIFY(!hash.contains(Password));

        QSqlQuery tokens(server().app().database().handle());
        QVERIFY(
            tokens.prepare(QStringLiteral("SELECT token_hash FROM api_tokens WHERE user_id = ?")));
        tokens.addBindValue(erin.user.id);
        QVERIFY(tokens.exec());
        int rows = 0;
        while (tokens.next()) {
            ++rows;
            const QString stored = tokens.value(0).toString();
            QVERIFY(!stored.isEmpty());
            QVERIFY2(stored != QString::fromLatin1(erin.token), "the token itself is not stored");
            QVERIFY(!stored.contains(QString::fromLatin1(erin.token)));
        }
        QCOMPARE(rows, 1);
        QSqlQuery exact(server().app().database().handle());
        QVERIFY(
            exact.prepare(QStringLiteral("SELECT COUNT(*) FROM api_tokens WHERE token_hash = ?")));
        exact.addBindValue(QString::fromLatin1(erin.token));
        QVERIFY(exact.exec());
        QVERIFY(exact.next());
        QCOMPARE(exact.value(0).toInt(), 0);

        // Nor anywhere else in the files: the database and its write-ahead log (SQLite only).
        if (server().isPostgres())
            return;
        const QString path = server().config().database.mid(int(qstrlen("sqlite:")));
        QByteArray bytes;
        for (const QString &file : {path, path + QStringLiteral("-wal")}) {
            QFile f(file);
            if (f.open(QIODevice::ReadOnly))
                bytes += f.readAll();
        }
        QVERIFY2(!bytes.isEmpty(), qPrintable(path));
        QVERIFY2(bytes.contains(erin.user.email.toUtf8()), "sanity: the scan sees the user's row");
        QVERIFY2(!bytes.contains(erin.token), "the plaintext token is in the database file");
        QVERIFY2(!bytes.contains(Password.toUtf8()),
                 "the plaintext password is in the database file");
    }

    // --- token expiry --------------------------------------------------------------------

    void tokenUseIsNotedOnceAMinute()
    {
        const Session gus = server().registerUser(QStringLiteral("Gus"));
        server::Database &db = server().app().database();
        const QString digest = QString::fromLatin1(server::passwords::tokenDigest(gus.token));
        const QString lastUsed =
            QStringLiteral("SELECT last_used_at FROM api_tokens WHERE token_hash = ?");
        const QString setLastUsed =
            QStringLiteral("UPDATE api_tokens SET last_used_at = ? WHERE token_hash = ?");
        // Set when the token is issued.
        QVERIFY2(sqlTexts(db, lastUsed, {digest}) != QStringList{QStringLiteral("<null>")},
                 "last_used_at is set when the token is issued");
        QVERIFY(std::abs(protocol::nowMs() - sqlScalar(db, lastUsed, {digest})) < 60 * 1000);

        // Used again within the minute: no write per request.
        const qint64 recent = protocol::nowMs() - 30 * 1000;
        QVERIFY(sqlExec(db, setLastUsed, {recent, digest}));
        for (int i = 0; i < 5; ++i)
            QCOMPARE(server().get(QStringLiteral("/api/me"), gus.token).status, 200);
        QCOMPARE(sqlScalar(db, lastUsed, {digest}), recent);

        // Last noted over a minute ago: the next request notes it.
        QVERIFY(sqlExec(db, setLastUsed, {protocol::nowMs() - 5 * 60 * 1000, digest}));
        const qint64 before = protocol::nowMs();
        QCOMPARE(server().get(QStringLiteral("/api/messages/unread-count"), gus.token).status, 200);
        // Noted on the writer thread, which the answer does not wait for.
        QVERIFY(waitUntil([&] { return sqlScalar(db, lastUsed, {digest}) >= before; }, 5000));
    }

    void idleTokenExpires_data()
    {
        QTest::addColumn<qint64>("idleMs"); // 0: the default
        QTest::addRow("default: 30 days") << qint64(0);
        QTest::addRow("2 days") << 2 * DayMs;
    }

    void idleTokenExpires()
    {
        QFETCH(qint64, idleMs);
        std::unique_ptr<TestServer> own;
        if (idleMs > 0) {
            own = std::make_unique<TestServer>(
                [idleMs](server::Config &config) { config.tokenIdleSeconds = idleMs / 1000; });
            QVERIFY2(own->isRunning(), qPrintable(own->errorString()));
        }
        TestServer &node = own ? *own : server();
        const qint64 period = idleMs > 0 ? idleMs : 30 * DayMs;
        const Session hal = node.registerUser(QStringLiteral("Hal"));
        const Reply login =
            node.post(QStringLiteral("/api/login"), {{QLatin1String("email"), hal.user.email},
                                                     {QLatin1String("password"), Password}});
        QCOMPARE(login.status, 200);
        const QByteArray second = login.json.value(QLatin1String("token")).toString().toLatin1();

        // The clock is not waited for: the tokens' last use is moved back instead.
        server::Database &db = node.app().database();
        const QString setLastUsed =
            QStringLiteral("UPDATE api_tokens SET last_used_at = ? WHERE token_hash = ?");
        const qint64 now = protocol::nowMs();
        QVERIFY(sqlExec(db, setLastUsed,
                        {now - period - 60 * 1000,
                         QString::fromLatin1(server::passwords::tokenDigest(hal.token))}));
        QVERIFY(sqlExec(db, setLastUsed,
                        {now - period + 3600 * 1000,
                         QString::fromLatin1(server::passwords::tokenDigest(second))}));

        const Reply expired = node.get(QStringLiteral("/api/me"), hal.token);
        QCOMPARE(expired.status, 401);
        QVERIFY2(isJsonError(expired), expired.body.constData());
        const QString message = expired.json.value(QLatin1String("message")).toString();
        QVERIFY2(message.contains(QLatin1String("expired")), qPrintable(message));
        QVERIFY2(message.contains(QString::number(period / DayMs) + QLatin1String(" day")),
                 qPrintable(message));
        // The expired token is gone (deleted on the writer thread), on every route.
        QVERIFY(waitUntil(
            [&] {
                return sqlScalar(
                           db,
                           QStringLiteral("SELECT COUNT(*) FROM api_tokens WHERE token_hash = ?"),
                           {QString::fromLatin1(server::passwords::tokenDigest(hal.token))}) == 0;
            },
            5000));
        QCOMPARE(node.get(QStringLiteral("/api/messages/unread-count"), hal.token).status, 401);
        QCOMPARE(channelAuthOn(node, hal.token, QStringLiteral("private-user.%1").arg(hal.user.id))
                     .status,
                 401);

        // The other token, used within the period, still works.
        const Reply me = node.get(QStringLiteral("/api/me"), second);
        QCOMPARE(me.status, 200);
        QCOMPARE(intOf(objectOf(me, "user"), "id"), hal.user.id);
    }

    void untrackedTokensGetAFullPeriod()
    {
        // A token from before last_used_at was kept (NULL there) counts from the first start
        // after the upgrade, however old it is.
        TestServer node;
        QVERIFY2(node.isRunning(), qPrintable(node.errorString()));
        const Session ida = node.registerUser(QStringLiteral("Ida"));
        const QString digest = QString::fromLatin1(server::passwords::tokenDigest(ida.token));
        QVERIFY(sqlExec(node.app().database(),
                        QStringLiteral("UPDATE api_tokens SET last_used_at = NULL, created_at = ? "
                                       "WHERE token_hash = ?"),
                        {protocol::nowMs() - 90 * DayMs, digest}));
        const qint64 before = protocol::nowMs();
        QVERIFY(node.restart());
        QVERIFY(
            sqlScalar(node.app().database(),
                      QStringLiteral("SELECT last_used_at FROM api_tokens WHERE token_hash = ?"),
                      {digest}) >= before);
        QCOMPARE(node.get(QStringLiteral("/api/me"), ida.token).status, 200);
    }

    void idleTokensArePurged()
    {
        TestServer node;
        QVERIFY2(node.isRunning(), qPrintable(node.errorString()));
        const Session jo = node.registerUser(QStringLiteral("Jo"));
        const Session kay = node.registerUser(QStringLiteral("Kay"));
        server::Database &db = node.app().database();
        QVERIFY(sqlExec(db,
                        QStringLiteral("UPDATE api_tokens SET last_used_at = ? WHERE user_id = ?"),
                        {protocol::nowMs() - 31 * DayMs, jo.user.id}));
        QCOMPARE(server::waitFor(node.app().accounts().purgeIdleTokens(protocol::nowMs())), 1);
        const QString tokensOf =
            QStringLiteral("SELECT COUNT(*) FROM api_tokens WHERE user_id = ?");
        QCOMPARE(sqlScalar(db, tokensOf, {jo.user.id}), 0);
        QCOMPARE(sqlScalar(db, tokensOf, {kay.user.id}), 1);
    }

    // --- sign-in throttles --------------------------------------------------------------------

    //! 100 wrong passwords at once from 127.0.0.2 (the "attacker"), and a genuine sign-in from
    //! 127.0.0.3 meanwhile. Only the per-address throttle is on here.
    void signInFloodFromOneAddressIsThrottled()
    {
        TestServer node([](server::Config &config) {
            config.authAttemptsPerIp = 10;
            config.authFailuresPerAccount = 0;
        });
        QVERIFY2(node.isRunning(), qPrintable(node.errorString()));
        const Session genuine = node.registerUser(QStringLiteral("Genuine"));
        QVERIFY(genuine.user.id > 0);
        const qint64 quietMs = quietSignInMs(node, genuine.user.email, Password);

        LogCapture log;
        RawPosts posts;
        QList<int> flood;
        for (int i = 0; i < 100; ++i)
            flood.append(
                posts.start(QHostAddress(QStringLiteral("127.0.0.2")), node.port(),
                            QStringLiteral("/api/login"),
                            loginBody(QStringLiteral("flood.%1@accounts.flippdeal.test").arg(i),
                                      QStringLiteral("wrong password %1").arg(i))));
        const int real =
            posts.start(QHostAddress(QStringLiteral("127.0.0.3")), node.port(),
                        QStringLiteral("/api/login"), loginBody(genuine.user.email, Password));
        QVERIFY(posts.waitAll(60000));

        qInfo() << "flood:" << describeCounts(statusCounts(posts, flood)) << "; genuine sign-in"
                << posts.elapsedMs(real) << "ms, alone" << quietMs << "ms";
        QCOMPARE(posts.reply(real).status, 200);
        // Hashes start in turns by address: it waits for about one flood hash, not for all ten
        // (2 to 5x a quiet sign-in here; first come, first served would be 6 rounds of two).
        QVERIFY2(posts.elapsedMs(real) < std::max<qint64>(8000, 6 * quietMs),
                 qPrintable(QStringLiteral("the genuine sign-in took %1 ms, %2 ms alone")
                                .arg(posts.elapsedMs(real))
                                .arg(quietMs)));
        // The burst of 10 (and at most one more refilled, one per 6 s) reached a password
        // check; every other attempt was refused before any hashing.
        const QMap<int, int> counts = statusCounts(posts, flood);
        QVERIFY2(counts.value(401) >= 1 && counts.value(401) <= 11,
                 qPrintable(describeCounts(counts)));
        QVERIFY2(counts.value(401) + counts.value(429) == 100, qPrintable(describeCounts(counts)));
        for (const int i : std::as_const(flood)) {
            const Reply &reply = posts.reply(i);
            if (reply.status != 429)
                continue;
            QVERIFY2(isJsonError(reply), reply.body.constData());
            QVERIFY2(reply.json.value(QLatin1String("message"))
                         .toString()
                         .contains(QLatin1String("address")),
                     reply.body.constData());
            QVERIFY2(reply.header("Retry-After").toInt() >= 1, reply.header("Retry-After"));
        }
        // The log names the failures and the throttle once, not every refused attempt.
        const QStringList failed =
            g_log.filter(QStringLiteral("flippdeal.server.auth: failed sign-in"));
        QCOMPARE(failed.size(), counts.value(401));
        QVERIFY2(failed.first().contains(QLatin1String("127.0.0.2")), qPrintable(failed.first()));
        QCOMPARE(g_log.filter(QStringLiteral("throttling sign-ins from \"127.0.0.2\"")).size(), 1);
    }

    //! 100 wrong passwords at once for one account (from 127.0.0.2); another account signs in
    //! meanwhile (from 127.0.0.3). Only the per-account throttle is on here.
    void signInFailuresPerAccountAreThrottled()
    {
        TestServer node([](server::Config &config) {
            config.authAttemptsPerIp = 0;
            config.authFailuresPerAccount = 5;
        });
        QVERIFY2(node.isRunning(), qPrintable(node.errorString()));
        const Session victim = node.registerUser(QStringLiteral("Victim"));
        const Session other = node.registerUser(QStringLiteral("Other"));
        QVERIFY(victim.user.id > 0 && other.user.id > 0);
        const qint64 quietMs = quietSignInMs(node, other.user.email, Password);

        RawPosts posts;
        QList<int> flood;
        for (int i = 0; i < 100; ++i)
            flood.append(posts.start(
                QHostAddress(QStringLiteral("127.0.0.2")), node.port(),
                QStringLiteral("/api/login"),
                loginBody(victim.user.email, QStringLiteral("guess number %1").arg(i))));
        const int real =
            posts.start(QHostAddress(QStringLiteral("127.0.0.3")), node.port(),
                        QStringLiteral("/api/login"), loginBody(other.user.email, Password));
        QVERIFY(posts.waitAll(60000));

        qInfo() << "guesses:" << describeCounts(statusCounts(posts, flood))
                << "; the other account's sign-in" << posts.elapsedMs(real) << "ms, alone"
                << quietMs << "ms";
        QCOMPARE(posts.reply(real).status, 200);
        QVERIFY2(posts.elapsedMs(real) < std::max<qint64>(8000, 6 * quietMs),
                 qPrintable(QStringLiteral("the other account's sign-in took %1 ms, %2 ms alone")
                                .arg(posts.elapsedMs(real))
                                .arg(quietMs)));
        // 5 guesses (and at most one refilled, one per 12 s) were checked, no more.
        const QMap<int, int> counts = statusCounts(posts, flood);
        QVERIFY2(counts.value(401) >= 1 && counts.value(401) <= 6,
                 qPrintable(describeCounts(counts)));
        QVERIFY2(counts.value(401) + counts.value(429) == 100, qPrintable(describeCounts(counts)));
        for (const int i : std::as_const(flood)) {
            const Reply &reply = posts.reply(i);
            if (reply.status != 429)
                continue;
            QVERIFY2(reply.json.value(QLatin1String("message"))
                         .toString()
                         .contains(QLatin1String("email address")),
                     reply.body.constData());
            QVERIFY2(reply.header("Retry-After").toInt() >= 1, reply.header("Retry-After"));
        }
        // Only failures count: the other account signs in again and again.
        for (int i = 0; i < 10; ++i)
            QCOMPARE(
                node.post(QStringLiteral("/api/login"), {{QLatin1String("email"), other.user.email},
                                                         {QLatin1String("password"), Password}})
                    .status,
                200);
    }

    //! One hashing worker and two places in the queue: 100 sign-ins at once (throttles off)
    //! are answered at once, 503 for those that find no place, instead of queueing.
    void passwordHashingIsBounded()
    {
        TestServer node([](server::Config &config) {
            config.authAttemptsPerIp = 0;
            config.authFailuresPerAccount = 0;
            config.hashWorkers = 1;
            config.hashQueue = 2;
        });
        QVERIFY2(node.isRunning(), qPrintable(node.errorString()));
        RawPosts posts;
        QList<int> all;
        for (int i = 0; i < 100; ++i)
            all.append(
                posts.start(QHostAddress::LocalHost, node.port(), QStringLiteral("/api/login"),
                            loginBody(QStringLiteral("busy.%1@accounts.flippdeal.test").arg(i),
                                      QStringLiteral("wrong password"))));
        QVERIFY(posts.waitAll(60000));
        const QMap<int, int> counts = statusCounts(posts, all);
        qInfo() << "sign-ins:" << describeCounts(counts);
        QVERIFY2(counts.value(401) + counts.value(503) == 100, qPrintable(describeCounts(counts)));
        QVERIFY2(counts.value(401) >= 1 && counts.value(503) >= 50,
                 qPrintable(describeCounts(counts)));
        for (const int i : std::as_const(all)) {
            const Reply &reply = posts.reply(i);
            if (reply.status != 503)
                continue;
            QVERIFY2(isJsonError(reply), reply.body.constData());
            QVERIFY2(reply.header("Retry-After").toInt() >= 1, reply.header("Retry-After"));
            // Refused at once, not after waiting behind the others' hashes.
            QVERIFY2(posts.elapsedMs(i) < 5000, qPrintable(QString::number(posts.elapsedMs(i))));
        }
        // The flood is over: the next sign-up goes through.
        QVERIFY(node.registerUser(QStringLiteral("After")).user.id > 0);
    }

    void registrationIsThrottledPerAddress()
    {
        TestServer node([](server::Config &config) { config.authAttemptsPerIp = 3; });
        QVERIFY2(node.isRunning(), qPrintable(node.errorString()));
        for (int i = 0; i < 3; ++i)
            QVERIFY(node.registerUser(QStringLiteral("Early")).user.id > 0);
        const QString email = uniqueEmail(QStringLiteral("late"));
        const Reply late = node.post(QStringLiteral("/api/register"),
                                     registration(QStringLiteral("Late"), email, Password));
        QCOMPARE(late.status, 429);
        QVERIFY2(isJsonError(late), late.body.constData());
        QVERIFY2(late.header("Retry-After").toInt() >= 1, late.header("Retry-After"));
        QCOMPARE(sqlScalar(node.app().database(),
                           QStringLiteral("SELECT COUNT(*) FROM users WHERE email = ?"), {email}),
                 0);
    }

    void failedSignInIsLoggedWithoutThePassword()
    {
        const Session lou = server().registerUser(QStringLiteral("Lou"));
        const QString attempt = QStringLiteral("Tr0ub4dor&3-is-not-it");
        const QString unknown = uniqueEmail(QStringLiteral("unknown"));
        QLoggingCategory::setFilterRules(QStringLiteral("flippdeal.*.debug=true"));
        {
            LogCapture log;
            for (const QString &email : {lou.user.email, unknown})
                QCOMPARE(
                    server()
                        .post(QStringLiteral("/api/login"), {{QLatin1String("email"), email},
                                                             {QLatin1String("password"), attempt}})
                        .status,
                    401);
        }
        QLoggingCategory::setFilterRules(QString());
        const QString text = g_log.join(QLatin1Char('\n'));
        for (const QString &email : {lou.user.email, unknown}) {
            const QStringList lines = g_log.filter(email);
            QVERIFY2(lines.size() == 1, qPrintable(text));
            QVERIFY2(lines.first().startsWith(QLatin1String("flippdeal.server.auth: ")),
                     qPrintable(lines.first()));
            QVERIFY2(lines.first().contains(QLatin1String("127.0.0.1")), qPrintable(lines.first()));
        }
        QVERIFY2(!text.contains(attempt), "the password is in the log (even at debug level)");
    }

    // --- /broadcasting/auth ---------------------------------------------------------------

    void authOwnUserChannel_data()
    {
        QTest::addColumn<bool>("formEncoded");
        QTest::addRow("form-encoded (pusher-js)") << true;
        QTest::addRow("JSON") << false;
    }

    void authOwnUserChannel()
    {
        QFETCH(bool, formEncoded);
        const QString channel = QStringLiteral("private-user.%1").arg(m_alice.user.id);
        const QString socketId = QStringLiteral("1.2");
        Reply reply;
        if (formEncoded) {
            reply = server().request("POST", QStringLiteral("/broadcasting/auth"), m_alice.token,
                                     "socket_id=1.2&channel_name=" + channel.toLatin1(),
                                     "application/x-www-form-urlencoded");
        } else {
            reply = channelAuth(m_alice, channel, socketId);
        }
        QCOMPARE(reply.status, 200);
        const QString auth = reply.json.value(QLatin1String("auth")).toString();
        static const QRegularExpression shape(QStringLiteral("^test-key:[0-9a-f]{64}$"));
        QVERIFY2(shape.match(auth).hasMatch(), qPrintable(auth));
        QCOMPARE(auth.toLatin1(), protocol::channelAuth(AppKey, AppSecret, socketId, channel));
        QVERIFY(!reply.json.contains(QLatin1String("channel_data")));
    }

    void authFormEncodedPercentEscapes()
    {
        // pusher-js percent-encodes the fields; "%2E" is a dot.
        const QString channel = QStringLiteral("private-user.%1").arg(m_alice.user.id);
        const Reply reply =
            server().request("POST", QStringLiteral("/broadcasting/auth"), m_alice.token,
                             "socket_id=123%2E456&channel_name=private-user%2E" +
                                 QByteArray::number(m_alice.user.id),
                             "application/x-www-form-urlencoded");
        QCOMPARE(reply.status, 200);
        QCOMPARE(reply.json.value(QLatin1String("auth")).toString().toLatin1(),
                 protocol::channelAuth(AppKey, AppSecret, QStringLiteral("123.456"), channel));
    }

    void authSignatureIsAcceptedByGateway()
    {
        TestSocket socket(server().webSocketUrl());
        QVERIFY(socket.waitConnected());
        const auto ok = socket.subscribeAuthorized(
            server(), m_alice, QStringLiteral("private-user.%1").arg(m_alice.user.id));
        QVERIFY2(ok.has_value(), "the gateway accepts the signature /broadcasting/auth made");
    }

    void authConversationChannel()
    {
        // Both users of a conversation may join its typing channel, written smaller id first.
        const QString channel = protocol::Channels::conversation(m_alice.user.id, m_bob.user.id);
        QCOMPARE(channelAuth(m_alice, channel).status, 200);
        QCOMPARE(channelAuth(m_bob, channel).status, 200);
    }

    void encryptedChannelGetsSharedSecret()
    {
        // As the Pusher server libraries derive it: base64(SHA-256(channel name + master key)).
        const QByteArray masterKey(32, '\x07');
        TestServer encrypted(
            [&masterKey](server::Config &config) { config.encryptionMasterKey = masterKey; });
        QVERIFY(encrypted.isRunning());
        const Session dana = encrypted.registerUser(QStringLiteral("Dana"));
        const Session eve = encrypted.registerUser(QStringLiteral("Eve"));
        const QString channel = QStringLiteral("private-encrypted-user.%1").arg(dana.user.id);
        const Reply reply = encrypted.post(QStringLiteral("/broadcasting/auth"),
                                           {{QLatin1String("socket_id"), QStringLiteral("1.2")},
                                            {QLatin1String("channel_name"), channel}},
                                           dana.token);
        QCOMPARE(reply.status, 200);
        const QByteArray expected =
            QCryptographicHash::hash(channel.toUtf8() + masterKey, QCryptographicHash::Sha256)
                .toBase64();
        QCOMPARE(reply.json.value(QLatin1String("shared_secret")).toString().toLatin1(), expected);
        QCOMPARE(reply.json.value(QLatin1String("auth")).toString().toLatin1(),
                 protocol::channelAuth(AppKey, encrypted.config().appSecret, QStringLiteral("1.2"),
                                       channel));
        // The known vector (computed with Node's crypto) for user 1's channel.
        QCOMPARE(QCryptographicHash::hash(QByteArray("private-encrypted-user.1") + masterKey,
                                          QCryptographicHash::Sha256)
                     .toBase64(),
                 QByteArray("zSMr2EQhuD8zkJWtEWbvTCNV438GNnYaXDca4yWthlA="));
        // Another user's encrypted channel is refused like the plain one.
        QCOMPARE(encrypted
                     .post(QStringLiteral("/broadcasting/auth"),
                           {{QLatin1String("socket_id"), QStringLiteral("1.2")},
                            {QLatin1String("channel_name"), channel}},
                           eve.token)
                     .status,
                 403);
    }

    void userAuthenticationAndSignin()
    {
        TestSocket socket(server().webSocketUrl());
        QVERIFY(socket.waitConnected());
        const Reply reply =
            server().post(QStringLiteral("/broadcasting/user-auth"),
                          {{QLatin1String("socket_id"), socket.socketId()}}, m_alice.token);
        QCOMPARE(reply.status, 200);
        const QString userData = reply.json.value(QLatin1String("user_data")).toString();
        const QJsonObject user = QJsonDocument::fromJson(userData.toUtf8()).object();
        QCOMPARE(user.value(QLatin1String("id")).toString(), QString::number(m_alice.user.id));
        QCOMPARE(user.value(QLatin1String("user_info")).toObject().value(QLatin1String("name")),
                 QJsonValue(m_alice.user.name));
        QCOMPARE(reply.json.value(QLatin1String("auth")).toString().toLatin1(),
                 protocol::userAuth(AppKey, AppSecret, socket.socketId(), userData));

        // Before signing in, the user's #server-to-user channel is refused.
        const QString toUser = QStringLiteral("#server-to-user-%1").arg(m_alice.user.id);
        const auto refused = [&socket](const QString &channel) {
            socket.send(
                {{QLatin1String("event"), QStringLiteral("pusher:subscribe")},
                 {QLatin1String("data"), QJsonObject{{QLatin1String("channel"), channel}}}});
            return socket.waitFor(QStringLiteral("pusher:subscription_error"), channel, 3000)
                .has_value();
        };
        QVERIFY(refused(toUser));

        socket.send({{QLatin1String("event"), QStringLiteral("pusher:signin")},
                     {QLatin1String("data"),
                      QJsonObject{{QLatin1String("auth"), reply.json.value(QLatin1String("auth"))},
                                  {QLatin1String("user_data"), userData}}}});
        QVERIFY(socket.waitFor(QStringLiteral("pusher:signin_success")));
        const auto joined = socket.subscribe(toUser);
        QVERIFY(joined && joined->value(QLatin1String("event")).toString() ==
                              QLatin1String("pusher_internal:subscription_succeeded"));
        // Someone else's #server-to-user channel stays closed.
        QVERIFY(refused(QStringLiteral("#server-to-user-%1").arg(m_bob.user.id)));

        // A forged signin is an error and closes the connection.
        TestSocket forger(server().webSocketUrl());
        QVERIFY(forger.waitConnected());
        forger.send({{QLatin1String("event"), QStringLiteral("pusher:signin")},
                     {QLatin1String("data"),
                      QJsonObject{{QLatin1String("auth"), reply.json.value(QLatin1String("auth"))},
                                  {QLatin1String("user_data"), userData}}}});
        const auto error = forger.waitFor(QStringLiteral("pusher:error"));
        QVERIFY(error);
        QVERIFY(forger.waitClosed());
        QCOMPARE(forger.closeCode(), 4009);

        // Bad socket ids and missing tokens are refused.
        QCOMPARE(server()
                     .post(QStringLiteral("/broadcasting/user-auth"),
                           {{QLatin1String("socket_id"), QStringLiteral("x")}}, m_alice.token)
                     .status,
                 422);
        QCOMPARE(server()
                     .post(QStringLiteral("/broadcasting/user-auth"),
                           {{QLatin1String("socket_id"), QStringLiteral("1.2")}})
                     .status,
                 401);
    }

    void authRefused_data()
    {
        QTest::addColumn<QString>("channel");
        QTest::addColumn<int>("status");
        QTest::addRow("other user's channel") << QStringLiteral("private-user.{bob}") << 403;
        QTest::addRow("unknown user's channel") << QStringLiteral("private-user.987654") << 403;
        QTest::addRow("leading zero") << QStringLiteral("private-user.0{alice}") << 403;
        QTest::addRow("user zero") << QStringLiteral("private-user.0") << 403;
        QTest::addRow("unknown private prefix") << QStringLiteral("private-foo") << 403;
        QTest::addRow("unknown private prefix with id")
            << QStringLiteral("private-foo.{alice}") << 403;
        QTest::addRow("unknown presence prefix") << QStringLiteral("presence-room.1") << 403;
        QTest::addRow("encrypted channel")
            << QStringLiteral("private-encrypted-user.{alice}") << 403;
        // As another user's draft: the domain does not exist for the caller.
        QTest::addRow("unknown domain") << QStringLiteral("private-domain.987654") << 404;
        QTest::addRow("unknown auction") << QStringLiteral("presence-auction.987654") << 404;
        QTest::addRow("conversation in the wrong order")
            << QStringLiteral("private-conversation.{bob}.{alice}") << 403;
        QTest::addRow("conversation with oneself")
            << QStringLiteral("private-conversation.{alice}.{alice}") << 403;
        QTest::addRow("conversation of others")
            << QStringLiteral("private-conversation.{bob}.987654") << 403;
        QTest::addRow("conversation with three ids")
            << QStringLiteral("private-conversation.{alice}.{bob}.1") << 403;
        QTest::addRow("invalid characters") << QStringLiteral("private-user.1 2") << 422;
        QTest::addRow("public channel") << QStringLiteral("news") << 422;
        QTest::addRow("empty channel") << QString() << 422;
    }

    void authRefused()
    {
        QFETCH(QString, channel);
        QFETCH(int, status);
        channel.replace(QLatin1String("{alice}"), QString::number(m_alice.user.id));
        channel.replace(QLatin1String("{bob}"), QString::number(m_bob.user.id));
        const Reply reply = channelAuth(m_alice, channel);
        QCOMPARE(reply.status, status);
        QVERIFY2(isJsonError(reply), reply.body.constData());
        QVERIFY(!reply.json.contains(QLatin1String("auth")));
        if (status == 422)
            QVERIFY2(fieldErrors(reply).contains(QLatin1String("channel_name")),
                     reply.body.constData());
    }

    void authWithoutToken_data()
    {
        QTest::addColumn<bool>("formEncoded");
        QTest::addRow("form-encoded") << true;
        QTest::addRow("JSON") << false;
    }

    void authWithoutToken()
    {
        QFETCH(bool, formEncoded);
        const QByteArray channel = "private-user." + QByteArray::number(m_alice.user.id);
        const Reply reply =
            formEncoded
                ? server().request("POST", QStringLiteral("/broadcasting/auth"), {},
                                   "socket_id=1.2&channel_name=" + channel,
                                   "application/x-www-form-urlencoded")
                : server().post(QStringLiteral("/broadcasting/auth"),
                                {{QLatin1String("socket_id"), QStringLiteral("1.2")},
                                 {QLatin1String("channel_name"), QString::fromLatin1(channel)}});
        QCOMPARE(reply.status, 401);
        QVERIFY(isJsonError(reply));
        QVERIFY(!reply.json.contains(QLatin1String("auth")));
    }

    void authBadSocketId_data()
    {
        QTest::addColumn<QString>("socketId");
        QTest::addRow("letters") << QStringLiteral("abc");
        QTest::addRow("empty") << QString();
        QTest::addRow("three parts") << QStringLiteral("1.2.3");
        QTest::addRow("missing second part") << QStringLiteral("1.");
        QTest::addRow("no dot") << QStringLiteral("12345");
        QTest::addRow("signature injection") << QStringLiteral("1.2:private-user.1");
        QTest::addRow("negative") << QStringLiteral("-1.2");
    }

    void authBadSocketId()
    {
        QFETCH(QString, socketId);
        const Reply reply =
            channelAuth(m_alice, QStringLiteral("private-user.%1").arg(m_alice.user.id), socketId);
        QCOMPARE(reply.status, 422);
        QVERIFY(isJsonError(reply));
        QVERIFY2(fieldErrors(reply).contains(QLatin1String("socket_id")), reply.body.constData());
    }

    void authMalformedBody()
    {
        const Reply reply = server().request("POST", QStringLiteral("/broadcasting/auth"),
                                             m_alice.token, "{not json", "application/json");
        QCOMPARE(reply.status, 400);
        QVERIFY(isJsonError(reply));
    }

    void authDomainChannel()
    {
        const qint64 domainId = createDomain(m_alice, {{QLatin1String("enable_bidding"), false}});
        QVERIFY(domainId > 0);
        const QString channel = QStringLiteral("private-domain.%1").arg(domainId);

        const Reply owner = channelAuth(m_alice, channel);
        QCOMPARE(owner.status, 200);
        QCOMPARE(owner.json.value(QLatin1String("auth")).toString().toLatin1(),
                 protocol::channelAuth(AppKey, AppSecret, QStringLiteral("1234.5678"), channel));

        QCOMPARE(channelAuth(m_bob, channel).status, 403);

        const Reply watch =
            server().post(QStringLiteral("/api/domains/%1/watch").arg(domainId), {}, m_bob.token);
        QCOMPARE(watch.status, 200);
        const Reply watcher = channelAuth(m_bob, channel);
        QCOMPARE(watcher.status, 200);
        QCOMPARE(watcher.json.value(QLatin1String("auth")).toString().toLatin1(),
                 protocol::channelAuth(AppKey, AppSecret, QStringLiteral("1234.5678"), channel));

        // Unwatching takes the right away again.
        QCOMPARE(server()
                     .request("DELETE", QStringLiteral("/api/domains/%1/watch").arg(domainId),
                              m_bob.token)
                     .status,
                 200);
        QCOMPARE(channelAuth(m_bob, channel).status, 403);
    }

    void authAuctionPresenceChannel()
    {
        const qint64 domainId =
            createDomain(m_alice, {{QLatin1String("enable_bidding"), true},
                                   {QLatin1String("ends_at"), isoIn(3600 * 1000)}});
        QVERIFY(domainId > 0);
        const QString channel = QStringLiteral("presence-auction.%1").arg(domainId);
        const QString socketId = QStringLiteral("42.4242");
        for (const Session &session : {m_alice, m_bob}) {
            const Reply reply = channelAuth(session, channel, socketId);
            QCOMPARE(reply.status, 200);
            const QJsonValue channelDataValue = reply.json.value(QLatin1String("channel_data"));
            QVERIFY2(channelDataValue.isString(), reply.body.constData());
            const QString channelData = channelDataValue.toString();
            const QJsonObject member = QJsonDocument::fromJson(channelData.toUtf8()).object();
            QVERIFY2(member.value(QLatin1String("user_id")).isString(),
                     "user_id is a string, as in Pusher");
            QCOMPARE(member.value(QLatin1String("user_id")).toString(),
                     QString::number(session.user.id));
            QCOMPARE(member.value(QLatin1String("user_info"))
                         .toObject()
                         .value(QLatin1String("name"))
                         .toString(),
                     session.user.name);
            QCOMPARE(reply.json.value(QLatin1String("auth")).toString().toLatin1(),
                     protocol::channelAuth(AppKey, AppSecret, socketId, channel, channelData));
        }

        // And the gateway takes it: the member list names the user.
        TestSocket socket(server().webSocketUrl());
        QVERIFY(socket.waitConnected());
        const auto subscribed = socket.subscribeAuthorized(server(), m_bob, channel);
        QVERIFY(subscribed.has_value());
        const QJsonObject presence =
            testing::frameData(*subscribed).value(QLatin1String("presence")).toObject();
        QVERIFY2(
            presence.value(QLatin1String("ids")).toArray().contains(QString::number(m_bob.user.id)),
            qPrintable(
                QString::fromUtf8(QJsonDocument(*subscribed).toJson(QJsonDocument::Compact))));
    }

    void authAuctionRefused_data()
    {
        QTest::addColumn<QJsonObject>("domain");
        QTest::addRow("not a bidding listing")
            << QJsonObject{{QLatin1String("enable_bidding"), false}};
        QTest::addRow("draft auction")
            << QJsonObject{{QLatin1String("enable_bidding"), true},
                           {QLatin1String("ends_at"), isoIn(3600 * 1000)},
                           {QLatin1String("status"), QStringLiteral("draft")}};
    }

    void authAuctionRefused()
    {
        QFETCH(QJsonObject, domain);
        const qint64 domainId = createDomain(m_alice, domain);
        QVERIFY(domainId > 0);
        const QString channel = QStringLiteral("presence-auction.%1").arg(domainId);
        // Another user's draft does not exist for Bob; its owner is refused while it is no
        // live auction.
        const bool draft =
            domain.value(QLatin1String("status")).toString() == QLatin1String("draft");
        QCOMPARE(channelAuth(m_bob, channel).status, draft ? 404 : 403);
        QCOMPARE(channelAuth(m_alice, channel).status, 403);
    }

    // --- HTTP layer -----------------------------------------------------------------------

    void wrongMethod_data()
    {
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QString>("path");
        QTest::addColumn<QByteArray>("allowed");
        QTest::addRow("GET register")
            << QByteArray("GET") << QStringLiteral("/api/register") << QByteArray("POST");
        QTest::addRow("DELETE me")
            << QByteArray("DELETE") << QStringLiteral("/api/me") << QByteArray("GET");
        QTest::addRow("GET broadcasting auth")
            << QByteArray("GET") << QStringLiteral("/broadcasting/auth") << QByteArray("POST");
        QTest::addRow("PUT messages")
            << QByteArray("PUT") << QStringLiteral("/api/messages") << QByteArray("POST");
        QTest::addRow("GET message read")
            << QByteArray("GET") << QStringLiteral("/api/messages/1/read") << QByteArray("PATCH");
    }

    void wrongMethod()
    {
        QFETCH(QByteArray, method);
        QFETCH(QString, path);
        QFETCH(QByteArray, allowed);
        const Reply reply = server().request(method, path, m_alice.token);
        QCOMPARE(reply.status, 405);
        QVERIFY2(isJsonError(reply), reply.body.constData());
        QVERIFY(reply.header("Content-Type").startsWith("application/json"));
        QVERIFY2(reply.header("Allow").contains(allowed), reply.header("Allow").constData());
    }

    void unknownRoute_data()
    {
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QString>("path");
        QTest::addRow("unknown api path")
            << QByteArray("GET") << QStringLiteral("/api/nothing-here");
        QTest::addRow("unknown root path")
            << QByteArray("GET") << QStringLiteral("/definitely/not/a/route");
        QTest::addRow("POST to unknown path")
            << QByteArray("POST") << QStringLiteral("/api/unknown");
        QTest::addRow("extra segment") << QByteArray("GET") << QStringLiteral("/api/me/extra");
        QTest::addRow("non-numeric id") << QByteArray("GET") << QStringLiteral("/api/domains/abc");
    }

    void unknownRoute()
    {
        QFETCH(QByteArray, method);
        QFETCH(QString, path);
        const Reply reply = server().request(method, path, m_alice.token,
                                             method == "POST" ? QByteArray("{}") : QByteArray());
        QCOMPARE(reply.status, 404);
        QVERIFY2(isJsonError(reply), reply.body.constData());
        QVERIFY(reply.header("Content-Type").startsWith("application/json"));
    }

    void bodyTooLarge_data()
    {
        QTest::addColumn<int>("size");
        QTest::addRow("twice the limit") << 4096;
        QTest::addRow("a megabyte") << 1024 * 1024;
    }

    void bodyTooLarge()
    {
        QFETCH(int, size);
        TestServer small([](server::Config &config) { config.maxBodyBytes = 2048; });
        QVERIFY2(small.isRunning(), qPrintable(small.errorString()));

        // Exactly at the limit is read and parsed (and is no valid JSON here).
        const Reply atLimit =
            small.request("POST", QStringLiteral("/api/register"), {}, QByteArray(2048, 'x'));
        QCOMPARE(atLimit.status, 400);

        // Sent the way the desktop client sends (QNetworkAccessManager). The answer must arrive
        // even though the server does not read the body: a reset connection is no 413.
        QString networkError;
        const Reply tooLarge = rawRequest(small, "POST", QStringLiteral("/api/register"),
                                          {{"Content-Type", "application/json"}},
                                          QByteArray(size, 'x'), &networkError);
        QVERIFY2(tooLarge.status != 0,
                 qPrintable(QStringLiteral("no HTTP answer at all: ") + networkError));
        QCOMPARE(tooLarge.status, 413);
        QVERIFY2(isJsonError(tooLarge), tooLarge.body.constData());

        // The server is still there for the next request.
        const Reply health = small.get(QStringLiteral("/health"));
        QCOMPARE(health.status, 200);
        QCOMPARE(health.json.value(QLatin1String("status")).toString(), QStringLiteral("ok"));
        const Session someone = small.registerUser(QStringLiteral("Fay"));
        QVERIFY(someone.user.id > 0);
    }

    void corsPreflight()
    {
        const Reply reply =
            rawRequest(server(), "OPTIONS", QStringLiteral("/api/messages"),
                       {{"Origin", "https://app.flippdeal.test"},
                        {"Access-Control-Request-Method", "POST"},
                        {"Access-Control-Request-Headers", "authorization, content-type"}});
        QCOMPARE(reply.status, 204);
        QVERIFY2(!reply.header("Access-Control-Allow-Origin").isEmpty(),
                 "preflight names the allowed origin");
        QVERIFY(reply.header("Access-Control-Allow-Methods").contains("POST"));
        QVERIFY(reply.header("Access-Control-Allow-Headers").toLower().contains("authorization"));
        QVERIFY(reply.body.isEmpty());
    }

    void corsOnOrdinaryResponses()
    {
        const Reply ok = server().get(QStringLiteral("/api/me"), m_alice.token);
        QCOMPARE(ok.status, 200);
        QVERIFY(!ok.header("Access-Control-Allow-Origin").isEmpty());
        const Reply error = server().get(QStringLiteral("/api/me"));
        QCOMPARE(error.status, 401);
        QVERIFY(!error.header("Access-Control-Allow-Origin").isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestAccounts)
#include "tst_accounts.moc"
