// SPDX-License-Identifier: MIT
// Every WebSocket remembers the user it authenticated as (through /broadcasting/auth,
// /broadcasting/user-auth with pusher:signin, or presence channel_data), so a ban, a token
// revocation or a logout closes it whatever channels it is on: here, sockets that hold only
// private-domain.* and private-conversation.* subscriptions, against a real server.
#include "testhelpers.h"
#include "testserver.h"

#include "app/serverapp.h"
#include "auth/accountservice.h"
#include "gateway/gateway.h"

#include "protocol/types.h"

#include <QJsonDocument>
#include <QtTest>

using namespace flippdeal;
using namespace flippdeal::testing;

namespace {

const QString Password = QStringLiteral("correct horse battery");

} // namespace

class TestSocketUsers : public QObject
{
    Q_OBJECT

    std::unique_ptr<TestServer> m_server;
    Session m_admin;
    Session m_alice;
    Session m_bob;
    qint64 m_domain = 0; // Alice's

    QByteArray login(const QString &email)
    {
        const Reply reply =
            m_server->post(QStringLiteral("/api/login"), {{QLatin1String("email"), email},
                                                          {QLatin1String("password"), Password}});
        return reply.status == 200 ? reply.json.value(QLatin1String("token")).toString().toLatin1()
                                   : QByteArray();
    }

    //! A socket of `session` subscribed only to Alice's domain channel (when `domain`) and to
    //! the conversation channel of Alice and Bob, both authorized by /broadcasting/auth.
    std::unique_ptr<TestSocket> privateOnly(const Session &session, bool domain = true)
    {
        auto socket = std::make_unique<TestSocket>(m_server->webSocketUrl());
        if (!socket->waitConnected())
            return {};
        if (domain &&
            !socket->subscribeAuthorized(*m_server, session, protocol::Channels::domain(m_domain)))
            return {};
        if (!socket->subscribeAuthorized(
                *m_server, session,
                protocol::Channels::conversation(m_alice.user.id, m_bob.user.id)))
            return {};
        return socket;
    }

    Reply adminPost(const QString &path) { return m_server->post(path, {}, m_admin.token); }

    static int closeCodeOf(TestSocket &socket)
    {
        return socket.waitClosed() ? socket.closeCode() : -1;
    }

private Q_SLOTS:
    void init()
    {
        m_server = std::make_unique<TestServer>();
        QVERIFY2(m_server->isRunning(), qPrintable(m_server->errorString()));
        const QString adminEmail = QStringLiteral("admin@socketusers.test");
        const auto admin = m_server->app().accounts().createUserBlocking(
            QStringLiteral("Ada Admin"), adminEmail, Password, QStringLiteral("admin"));
        QVERIFY(admin);
        m_admin = {*admin, login(adminEmail)};
        QVERIFY(!m_admin.token.isEmpty());
        m_alice = m_server->registerUser(QStringLiteral("Alice"));
        m_bob = m_server->registerUser(QStringLiteral("Bob"));
        const Reply domain =
            m_server->post(QStringLiteral("/api/domains"),
                           {{QLatin1String("name"), QStringLiteral("alice.com")}}, m_alice.token);
        QVERIFY2(domain.status == 201, qPrintable(describe(domain)));
        m_domain = intOf(objectOf(domain, "domain"), "id");
        QVERIFY(m_domain > 0);
    }

    void cleanup() { m_server.reset(); }

    void banClosesSocketsOnAnyChannel()
    {
        auto socket = privateOnly(m_alice);
        QVERIFY(socket);
        auto bystander = privateOnly(m_bob, false);
        QVERIFY(bystander);
        QCOMPARE(m_server->app().gateway().userConnectionCount(m_alice.user.id), 1);

        const Reply banned =
            adminPost(QStringLiteral("/api/admin/users/%1/ban").arg(m_alice.user.id));
        QVERIFY2(banned.status == 200, qPrintable(describe(banned)));
        QCOMPARE(intOf(banned.json, "connections_closed"), qint64(1));
        const auto error = socket->waitFor(QStringLiteral("pusher:error"));
        QVERIFY(error);
        QCOMPARE(frameData(*error).value(QLatin1String("code")).toInt(), 4009);
        QCOMPARE(closeCodeOf(*socket), 4009);
        QVERIFY2(!bystander->receivesWithin(QStringLiteral("pusher:error"), {}, 300),
                 "the other user's socket on the same channel stays");
        QVERIFY(!bystander->isClosed());
    }

    void revokeTokensClosesSocketsOnAnyChannel()
    {
        auto socket = privateOnly(m_alice);
        QVERIFY(socket);
        // Signed in a second time, on another device: that socket goes too.
        const Session laptop{m_alice.user, login(m_alice.user.email)};
        auto other = privateOnly(laptop);
        QVERIFY(other);
        auto bystander = privateOnly(m_bob, false);
        QVERIFY(bystander);

        const Reply revoked =
            adminPost(QStringLiteral("/api/admin/users/%1/revoke-tokens").arg(m_alice.user.id));
        QVERIFY2(revoked.status == 200, qPrintable(describe(revoked)));
        QCOMPARE(intOf(revoked.json, "revoked"), qint64(2));
        QCOMPARE(intOf(revoked.json, "connections_closed"), qint64(2));
        QCOMPARE(closeCodeOf(*socket), 4009);
        QCOMPARE(closeCodeOf(*other), 4009);
        QVERIFY(!bystander->receivesWithin(QStringLiteral("pusher:error"), {}, 300));
        QVERIFY(!bystander->isClosed());
    }

    void logoutClosesTheSocketsOfThatToken()
    {
        auto socket = privateOnly(m_alice);
        QVERIFY(socket);
        const Session phone{m_alice.user, login(m_alice.user.email)};
        auto stays = privateOnly(phone);
        QVERIFY(stays);

        const Reply out = m_server->post(QStringLiteral("/api/logout"), {}, m_alice.token);
        QCOMPARE(out.status, 204);
        const auto error = socket->waitFor(QStringLiteral("pusher:error"));
        QVERIFY(error);
        QCOMPARE(frameData(*error).value(QLatin1String("code")).toInt(), 4009);
        QCOMPARE(closeCodeOf(*socket), 4009);
        QVERIFY2(!stays->receivesWithin(QStringLiteral("pusher:error"), {}, 300),
                 "the socket of the user's other, still signed-in, device stays");
        QVERIFY(!stays->isClosed());
    }

    void revocationElsewhereReachesTheSocketsHere()
    {
        // Another node (or process) deleted the token: the periodic watch closes the socket.
        auto socket = privateOnly(m_alice);
        QVERIFY(socket);
        auto bystander = privateOnly(m_bob, false);
        QVERIFY(bystander);
        QVERIFY(sqlExec(m_server->app().database(),
                        QStringLiteral("DELETE FROM api_tokens WHERE user_id = ?"),
                        {m_alice.user.id}));
        QVERIFY(socket->waitClosed(8000)); // the watch looks every 2 s
        QCOMPARE(socket->closeCode(), 4009);
        QVERIFY(!bystander->isClosed());
    }

    void signinAloneBindsTheUser()
    {
        // pusher:signin with /broadcasting/user-auth, and nothing else.
        TestSocket socket(m_server->webSocketUrl());
        QVERIFY(socket.waitConnected());
        const Reply auth =
            m_server->post(QStringLiteral("/broadcasting/user-auth"),
                           {{QLatin1String("socket_id"), socket.socketId()}}, m_alice.token);
        QCOMPARE(auth.status, 200);
        socket.send({{QLatin1String("event"), QStringLiteral("pusher:signin")},
                     {QLatin1String("data"),
                      QJsonObject{{QLatin1String("auth"), auth.json.value(QLatin1String("auth"))},
                                  {QLatin1String("user_data"),
                                   auth.json.value(QLatin1String("user_data"))}}}});
        QVERIFY(socket.waitFor(QStringLiteral("pusher:signin_success")));
        const Reply out = m_server->post(QStringLiteral("/api/logout"), {}, m_alice.token);
        QCOMPARE(out.status, 204);
        QVERIFY(socket.waitClosed());
        QCOMPARE(socket.closeCode(), 4009);
    }

    void anUnusedSignatureBindsNobody()
    {
        // Bob asks for a signature for Alice's socket but Alice never uses it: banning Bob
        // must not close Alice's socket.
        auto socket = privateOnly(m_alice);
        QVERIFY(socket);
        const Reply auth = m_server->post(
            QStringLiteral("/broadcasting/auth"),
            {{QLatin1String("socket_id"), socket->socketId()},
             {QLatin1String("channel_name"), protocol::Channels::user(m_bob.user.id)}},
            m_bob.token);
        QCOMPARE(auth.status, 200);
        const Reply banned =
            adminPost(QStringLiteral("/api/admin/users/%1/ban").arg(m_bob.user.id));
        QCOMPARE(banned.status, 200);
        QCOMPARE(intOf(banned.json, "connections_closed"), qint64(0));
        QVERIFY(!socket->receivesWithin(QStringLiteral("pusher:error"), {}, 300));
        QVERIFY(!socket->isClosed());
    }
};

QTEST_GUILESS_MAIN(TestSocketUsers)
#include "tst_socketusers.moc"
