// SPDX-License-Identifier: MIT
// The desktop client's composition root against a real server and the real (throwaway) system
// keychain: a sign-in creates the user's models and connects the realtime client, a sign-out
// destroys them, disconnects and clears the auction list; the live auctions list; preferences.
#include "apiclient.h"
#include "appcontext.h"
#include "auctioncontroller.h"
#include "conversationmodel.h"
#include "messagemodel.h"
#include "notificationmodel.h"
#include "outbox.h"
#include "realtimeclient.h"
#include "recordlistmodel.h"
#include "session.h"
#include "support/keychainwait.h"
#include "testserver.h"
#include "tokenstore.h"

#include "protocol/types.h"

#include <QPointer>
#include <QRandomGenerator>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <memory>

using namespace flippdeal;

namespace {

const QString Password = QStringLiteral("correct horse battery"); // TestServer::registerUser's
constexpr int AuthTimeoutMs = 15000;                              // Argon2id on two shared cores
const char *const UserObjects[] = {"notifications", "conversations", "messages", "outbox",
                                   "auction"};

using testing::KeychainAnswer;
using testing::readEntry;
using testing::removeEntry;
using testing::writeEntry;
using Scheme = client::AppContext::ColorScheme;

QObject *objectProperty(const QObject &object, const char *name)
{
    return object.property(name).value<QObject *>();
}

} // namespace

class TestAppContext : public QObject
{
    Q_OBJECT

    QString m_service;
    std::unique_ptr<client::TokenStore> m_keychain;
    std::unique_ptr<testing::TestServer> m_server;
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_settingsFile;
    QStringList m_accounts;

    QString serverAddress() const
    {
        return QStringLiteral("http://127.0.0.1:%1").arg(m_server->port());
    }

    std::unique_ptr<client::AppContext> makeContext(QSettings &settings)
    {
        // As the app makes it (default reconnect delays included).
        return std::make_unique<client::AppContext>(settings, m_server->config().appKey, m_service);
    }

    //! Signs `user` in through the context's session; waits for the keychain to hold the token.
    void signIn(client::AppContext &context, const testing::Session &user)
    {
        context.session()->signIn(serverAddress(), user.user.email, Password);
        QTRY_COMPARE_WITH_TIMEOUT(context.session()->status(), client::Session::Status::SignedIn,
                                  AuthTimeoutMs);
        const QString account = client::TokenStore::accountKey(serverAddress(), user.user.email);
        m_accounts.append(account);
        QTRY_COMPARE(readEntry(*m_keychain, account).token, context.api().token());
    }

    void sendMessage(const testing::Session &from, const testing::Session &to, const QString &body)
    {
        const testing::Reply reply = m_server->post(
            QStringLiteral("/api/messages"),
            {{QLatin1String("to_user_id"), to.user.id}, {QLatin1String("body"), body}}, from.token);
        QCOMPARE(reply.status, 201);
    }

    //! A domain of `owner`; a live auction when `endsAt` is valid. Its id, or -1.
    qint64 createDomain(const testing::Session &owner, const QString &name,
                        const QDateTime &endsAt = {}, const QString &status = {})
    {
        QJsonObject body{{QLatin1String("name"), name}};
        if (endsAt.isValid()) {
            body.insert(QLatin1String("enable_bidding"), true);
            body.insert(QLatin1String("ends_at"), endsAt.toString(Qt::ISODateWithMs));
        }
        if (!status.isEmpty())
            body.insert(QLatin1String("status"), status);
        const testing::Reply reply =
            m_server->post(QStringLiteral("/api/domains"), body, owner.token);
        if (reply.status != 201) {
            qWarning() << "POST /api/domains:" << reply.status << reply.body;
            return -1;
        }
        return reply.json.value(QLatin1String("domain"))
            .toObject()
            .value(QLatin1String("id"))
            .toInteger();
    }

    //! In UTC, so that it is written with a Z.
    static QDateTime inAnHour() { return QDateTime::currentDateTimeUtc().addSecs(3600); }

private Q_SLOTS:
    void initTestCase()
    {
        m_service =
            QStringLiteral("FlippDeal Live test %1").arg(QCoreApplication::applicationPid());
        m_keychain = std::make_unique<client::TokenStore>(m_service);
        // A broken keychain must fail this suite loudly, not skip it.
        const QString probe = QStringLiteral("probe@keychain-check");
        const QByteArray secret =
            "probe-" + QByteArray::number(QRandomGenerator::global()->generate());
        const KeychainAnswer written = writeEntry(*m_keychain, probe, secret);
        QVERIFY2(written.done && written.error.isEmpty(),
                 qPrintable(
                     QStringLiteral("The system keychain is not usable (%1). Run this test "
                                    "through tests/client/with-keyring.sh, which starts a "
                                    "D-Bus session with an unlocked gnome-keyring.")
                         .arg(written.done ? written.error : QStringLiteral("no answer in 10 s"))));
        const KeychainAnswer read = readEntry(*m_keychain, probe);
        QVERIFY2(read.done && read.error.isEmpty() && read.token == secret,
                 qPrintable(QStringLiteral("The system keychain did not give back what was "
                                           "stored: %1")
                                .arg(read.error)));
        QVERIFY(removeEntry(*m_keychain, probe).error.isEmpty());
    }

    void init()
    {
        m_server = std::make_unique<testing::TestServer>(
            [](server::Config &config) { config.messagesPerSecond = 1000; });
        QVERIFY2(m_server->isRunning(), qPrintable(m_server->errorString()));
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        m_settingsFile = m_dir->filePath(QStringLiteral("settings.ini"));
    }

    void cleanup()
    {
        for (const QString &account : std::as_const(m_accounts))
            removeEntry(*m_keychain, account);
        m_accounts.clear();
        m_server.reset();
        m_dir.reset();
    }

    void signInCreatesTheUserModelsAndSignOutDestroysThem()
    {
        const testing::Session alice = m_server->registerUser(QStringLiteral("Alice"));
        const testing::Session bob = m_server->registerUser(QStringLiteral("Bob"));
        sendMessage(bob, alice, QStringLiteral("hi Alice"));
        QVERIFY(createDomain(bob, QStringLiteral("live-auction.com"), inAnHour()) > 0);

        QSettings settings(m_settingsFile, QSettings::IniFormat);
        auto context = makeContext(settings);
        client::AppContext &ctx = *context;
        for (const char *name : UserObjects)
            QVERIFY2(!objectProperty(ctx, name), name);
        auto *auctions = qobject_cast<client::RecordListModel *>(objectProperty(ctx, "auctions"));
        QVERIFY(auctions);
        QCOMPARE(auctions, ctx.auctions());
        QCOMPARE(auctions->count(), 0);
        QCOMPARE(objectProperty(ctx, "session"), static_cast<QObject *>(ctx.session()));
        QCOMPARE(objectProperty(ctx, "realtime"), static_cast<QObject *>(ctx.realtime()));
        QCOMPARE(ctx.realtime()->state(), client::RealtimeClient::State::Initialized);

        QSignalSpy userChanged(&ctx, &client::AppContext::userChanged);
        QSignalSpy subscribed(ctx.realtime(), &client::RealtimeClient::subscribed);
        signIn(ctx, alice);
        if (QTest::currentTestFailed())
            return;
        QCOMPARE(userChanged.size(), 1);

        // Each user object exists, behind its QML property and its C++ accessor alike.
        QVERIFY(qobject_cast<client::NotificationModel *>(objectProperty(ctx, "notifications")));
        QCOMPARE(objectProperty(ctx, "notifications"), static_cast<QObject *>(ctx.notifications()));
        QVERIFY(qobject_cast<client::ConversationModel *>(objectProperty(ctx, "conversations")));
        QCOMPARE(objectProperty(ctx, "conversations"), static_cast<QObject *>(ctx.conversations()));
        QVERIFY(qobject_cast<client::MessageModel *>(objectProperty(ctx, "messages")));
        QCOMPARE(objectProperty(ctx, "messages"), static_cast<QObject *>(ctx.messages()));
        QVERIFY(qobject_cast<client::Outbox *>(objectProperty(ctx, "outbox")));
        QCOMPARE(objectProperty(ctx, "outbox"), static_cast<QObject *>(ctx.outbox()));
        QVERIFY(qobject_cast<client::AuctionController *>(objectProperty(ctx, "auction")));
        QCOMPARE(objectProperty(ctx, "auction"), static_cast<QObject *>(ctx.auction()));

        // Loaded, connected, and live on the user's channel.
        QTRY_COMPARE(ctx.realtime()->state(), client::RealtimeClient::State::Connected);
        QTRY_COMPARE(ctx.notifications()->rowCount(), 1);
        QTRY_COMPARE(ctx.conversations()->rowCount(), 1);
        QTRY_COMPARE(auctions->count(), 1);
        QTRY_VERIFY(subscribed.contains({protocol::Channels::user(alice.user.id)}));
        sendMessage(bob, alice, QStringLiteral("are you there?"));
        QTRY_COMPARE(ctx.notifications()->rowCount(), 2);
        QTRY_COMPARE(ctx.conversations()->totalUnread(), 2);

        QList<QPointer<QObject>> objects;
        for (const char *name : UserObjects)
            objects.append(objectProperty(ctx, name));
        QSignalSpy auctionsCount(auctions, &client::RecordListModel::countChanged);
        userChanged.clear();

        ctx.session()->signOut();
        QCOMPARE(ctx.session()->status(), client::Session::Status::SignedOut);
        QCOMPARE(userChanged.size(), 1);
        for (int i = 0; i < objects.size(); ++i) {
            QVERIFY2(objects.at(i).isNull(), UserObjects[i]); // destroyed, not just hidden
            QVERIFY2(!objectProperty(ctx, UserObjects[i]), UserObjects[i]);
        }
        QVERIFY(!ctx.notifications() && !ctx.conversations() && !ctx.messages() && !ctx.outbox() &&
                !ctx.auction());
        QCOMPARE(ctx.realtime()->state(), client::RealtimeClient::State::Disconnected);
        QCOMPARE(auctions->count(), 0);
        QCOMPARE(auctionsCount.size(), 1);

        // Nothing comes back while signed out: no reconnect, no late answer refilling a list.
        sendMessage(bob, alice, QStringLiteral("still there?"));
        ctx.refreshAuctions();
        QTest::qWait(500);
        QCOMPARE(ctx.realtime()->state(), client::RealtimeClient::State::Disconnected);
        QCOMPARE(auctions->count(), 0);
        QCOMPARE(userChanged.size(), 1);
    }

    void theNextAccountStartsClean()
    {
        const testing::Session alice = m_server->registerUser(QStringLiteral("Alice"));
        const testing::Session bob = m_server->registerUser(QStringLiteral("Bob"));
        sendMessage(bob, alice, QStringLiteral("for Alice only"));

        QSettings settings(m_settingsFile, QSettings::IniFormat);
        auto context = makeContext(settings);
        client::AppContext &ctx = *context;
        QSignalSpy subscribed(ctx.realtime(), &client::RealtimeClient::subscribed);
        QSignalSpy failed(ctx.realtime(), &client::RealtimeClient::subscriptionFailed);
        signIn(ctx, alice);
        if (QTest::currentTestFailed())
            return;
        QTRY_VERIFY(subscribed.contains({protocol::Channels::user(alice.user.id)}));
        QTRY_COMPARE(ctx.notifications()->rowCount(), 1);
        ctx.session()->signOut();

        subscribed.clear();
        signIn(ctx, bob);
        if (QTest::currentTestFailed())
            return;
        QTRY_COMPARE(ctx.realtime()->state(), client::RealtimeClient::State::Connected);
        QTRY_VERIFY(subscribed.contains({protocol::Channels::user(bob.user.id)}));
        QTRY_VERIFY(!ctx.conversations()->isLoading());
        QTRY_VERIFY(!ctx.notifications()->isLoading());
        QCOMPARE(ctx.notifications()->rowCount(), 0); // Alice's are gone with her models
        QCOMPARE(ctx.conversations()->rowCount(), 1); // Bob's own: his message to Alice
        QCOMPARE(ctx.conversations()->index(0).data(client::ConversationModel::LastFromMeRole),
                 QVariant(true));
        // Bob's client does not try to follow Alice's channel.
        QTest::qWait(300);
        QVERIFY2(!subscribed.contains({protocol::Channels::user(alice.user.id)}),
                 "subscribed to the previous user's channel");
        QVERIFY2(failed.isEmpty(),
                 qPrintable(failed.isEmpty()
                                ? QString()
                                : failed.first().at(0).toString() + QStringLiteral(": ") +
                                      failed.first().at(1).toString()));
        // And Bob's channel is live.
        sendMessage(alice, bob, QStringLiteral("hi Bob"));
        QTRY_COMPARE(ctx.notifications()->rowCount(), 1);
    }

    void aTokenRevokedWhileSignedInSignsOutCleanly()
    {
        // The model whose request comes back 401 is destroyed by the sign-out that answer
        // causes: its callback must have run before, not on a deleted object.
        const testing::Session alice = m_server->registerUser(QStringLiteral("Alice"));
        QSettings settings(m_settingsFile, QSettings::IniFormat);
        auto context = makeContext(settings);
        client::AppContext &ctx = *context;
        signIn(ctx, alice);
        if (QTest::currentTestFailed())
            return;
        QTRY_COMPARE(ctx.realtime()->state(), client::RealtimeClient::State::Connected);
        QTRY_VERIFY(!ctx.notifications()->isLoading() && !ctx.conversations()->isLoading());
        QCOMPARE(m_server->post(QStringLiteral("/api/logout"), {}, ctx.api().token()).status, 204);

        QSignalSpy userChanged(&ctx, &client::AppContext::userChanged);
        QPointer<QObject> notifications = ctx.notifications();
        QPointer<QObject> conversations = ctx.conversations();
        ctx.notifications()->reload();
        ctx.conversations()->reload();
        QTRY_COMPARE(ctx.session()->status(), client::Session::Status::SignedOut);
        QCOMPARE(ctx.session()->errorString(),
                 QStringLiteral("Your session has ended. Please sign in again."));
        QCOMPARE(userChanged.size(), 1);
        QVERIFY(notifications.isNull() && conversations.isNull());
        QCOMPARE(ctx.realtime()->state(), client::RealtimeClient::State::Disconnected);
        QTest::qWait(300); // the second 401 arrives after the sign-out
        QCOMPARE(userChanged.size(), 1);
        QTRY_VERIFY(readEntry(*m_keychain,
                              client::TokenStore::accountKey(serverAddress(), alice.user.email))
                        .token.isEmpty());
    }

    void signingOutWithRequestsInFlightIsSafe()
    {
        // Every user object has a request on its way when the sign-out destroys it; the answers
        // that come later must not reach them.
        const testing::Session alice = m_server->registerUser(QStringLiteral("Alice"));
        const testing::Session bob = m_server->registerUser(QStringLiteral("Bob"));
        const qint64 domain = createDomain(bob, QStringLiteral("in-flight.com"), inAnHour());
        QVERIFY(domain > 0);
        QSettings settings(m_settingsFile, QSettings::IniFormat);
        auto context = makeContext(settings);
        client::AppContext &ctx = *context;
        signIn(ctx, alice);
        if (QTest::currentTestFailed())
            return;
        QTRY_COMPARE(ctx.realtime()->state(), client::RealtimeClient::State::Connected);
        QTRY_VERIFY(!ctx.notifications()->isLoading() && !ctx.conversations()->isLoading());

        ctx.notifications()->reload();
        ctx.notifications()->markAllRead();
        ctx.conversations()->reload();
        ctx.messages()->open(bob.user.id, QStringLiteral("Bob"));
        QVERIFY(ctx.messages()->send(QStringLiteral("sent just before signing out")));
        ctx.auction()->open(domain);
        QVERIFY(ctx.auction()->placeBid(500));
        ctx.session()->signOut();
        QVERIFY(!ctx.notifications() && !ctx.messages() && !ctx.auction());
        QTest::qWait(500); // every answer arrives meanwhile

        // The requests themselves went through (the message was already on its way).
        const testing::Reply sent = m_server->get(
            QStringLiteral("/api/messages/conversations/%1").arg(alice.user.id), bob.token);
        QCOMPARE(sent.status, 200);
        QCOMPARE(sent.json.value(QLatin1String("data")).toArray().size(), 1);

        // And the context still works for the next sign-in.
        signIn(ctx, alice);
        if (QTest::currentTestFailed())
            return;
        QTRY_COMPARE(ctx.conversations()->rowCount(), 1);
    }

    void restoreAtStartUpBuildsTheModels()
    {
        const testing::Session alice = m_server->registerUser(QStringLiteral("Alice"));
        {
            QSettings settings(m_settingsFile, QSettings::IniFormat);
            auto first = makeContext(settings);
            signIn(*first, alice);
            if (QTest::currentTestFailed())
                return;
        } // the app quits without signing out

        QSettings settings(m_settingsFile, QSettings::IniFormat);
        auto context = makeContext(settings);
        QSignalSpy userChanged(context.get(), &client::AppContext::userChanged);
        QVERIFY(!context->notifications());
        context->session()->restore();
        QTRY_COMPARE(context->session()->status(), client::Session::Status::SignedIn);
        QCOMPARE(context->session()->userId(), alice.user.id);
        QCOMPARE(userChanged.size(), 1);
        QVERIFY(context->notifications() && context->conversations() && context->messages() &&
                context->outbox() && context->auction());
        QTRY_COMPARE(context->realtime()->state(), client::RealtimeClient::State::Connected);
    }

    void refreshAuctionsListsTheLiveAuctions()
    {
        const testing::Session alice = m_server->registerUser(QStringLiteral("Alice"));
        const testing::Session bob = m_server->registerUser(QStringLiteral("Bob"));
        QSettings settings(m_settingsFile, QSettings::IniFormat);
        auto context = makeContext(settings);
        client::AppContext &ctx = *context;
        client::RecordListModel *auctions = ctx.auctions();
        QSignalSpy resets(auctions, &QAbstractItemModel::modelReset);
        signIn(ctx, alice);
        if (QTest::currentTestFailed())
            return;
        // The sign-in's own refresh (and the one on connecting): nothing live yet.
        QTRY_COMPARE(ctx.realtime()->state(), client::RealtimeClient::State::Connected);
        QTRY_VERIFY(!resets.isEmpty());
        QTest::qWait(200);
        QCOMPARE(auctions->count(), 0);

        const QDateTime endsAt = inAnHour();
        QVERIFY(endsAt.toString(Qt::ISODateWithMs).endsWith(QLatin1Char('Z')));
        const qint64 live = createDomain(bob, QStringLiteral("live-auction.com"), endsAt);
        QVERIFY(live > 0);
        // Neither a plain sale nor a draft auction is live.
        QVERIFY(createDomain(bob, QStringLiteral("plain-sale.com")) > 0);
        QVERIFY(createDomain(bob, QStringLiteral("draft-auction.com"), inAnHour(),
                             QStringLiteral("draft")) > 0);

        ctx.refreshAuctions();
        QTRY_COMPARE(auctions->count(), 1);
        QVariantMap row = auctions->get(0);
        QCOMPARE(row.value(QStringLiteral("domainId")).toLongLong(), live);
        QCOMPARE(row.value(QStringLiteral("name")).toString(), QStringLiteral("live-auction.com"));
        QCOMPARE(row.value(QStringLiteral("currentBidCents")).toLongLong(), 0);
        QCOMPARE(row.value(QStringLiteral("bidCount")).toInt(), 0);
        QCOMPARE(row.value(QStringLiteral("endsAt")).toDateTime(), endsAt);
        QCOMPARE(auctions->indexOfKey(live), 0);
        QCOMPARE(auctions->index(0).data(Qt::DisplayRole).toLongLong(), live);

        // A bid shows at the next refresh.
        const testing::Reply bid =
            m_server->post(QStringLiteral("/api/domains/%1/bids").arg(live),
                           {{QLatin1String("amount_cents"), 2500}}, alice.token);
        QCOMPARE(bid.status, 201);
        ctx.refreshAuctions();
        QTRY_COMPARE(auctions->get(0).value(QStringLiteral("bidCount")).toInt(), 1);
        row = auctions->get(0);
        QCOMPARE(row.value(QStringLiteral("currentBidCents")).toLongLong(), 2500);

        // The list is the server's: what the server stops listing leaves the list.
        QCOMPARE(m_server
                     ->request("PATCH", QStringLiteral("/api/domains/%1").arg(live), bob.token,
                               R"({"status":"cancelled"})")
                     .status,
                 409); // not with a bid on it; a second auction then
        const qint64 second = createDomain(bob, QStringLiteral("second-auction.com"), inAnHour());
        QVERIFY(second > 0);
        ctx.refreshAuctions();
        QTRY_COMPARE(auctions->count(), 2);
        QCOMPARE(m_server
                     ->request("PATCH", QStringLiteral("/api/domains/%1").arg(second), bob.token,
                               R"({"status":"cancelled"})")
                     .status,
                 200);
        ctx.refreshAuctions();
        QTRY_COMPARE(auctions->count(), 1);
        QCOMPARE(auctions->indexOfKey(second), -1);
    }

    void preferencesPersist()
    {
        {
            QSettings settings(m_settingsFile, QSettings::IniFormat);
            auto context = makeContext(settings);
            client::AppContext &ctx = *context;
            QCOMPARE(ctx.isMuted(), false);
            QCOMPARE(ctx.colorScheme(), Scheme::System);
            QSignalSpy mutedChanged(&ctx, &client::AppContext::mutedChanged);
            QSignalSpy schemeChanged(&ctx, &client::AppContext::colorSchemeChanged);

            ctx.setMuted(true);
            QCOMPARE(ctx.isMuted(), true);
            QCOMPARE(ctx.property("muted"), QVariant(true));
            QCOMPARE(mutedChanged.size(), 1);
            ctx.setMuted(true); // no change, no signal
            QCOMPARE(mutedChanged.size(), 1);

            ctx.setColorScheme(Scheme::Dark);
            QCOMPARE(ctx.colorScheme(), Scheme::Dark);
            QCOMPARE(schemeChanged.size(), 1);
            QCOMPARE(settings.value(QStringLiteral("appearance/scheme")).toString(),
                     QStringLiteral("dark"));
            QVERIFY(ctx.setProperty("colorScheme", int(Scheme::Light))); // as QML sets it
            QCOMPARE(ctx.colorScheme(), Scheme::Light);
            QCOMPARE(schemeChanged.size(), 2);
            ctx.setColorScheme(Scheme::Light);
            QCOMPARE(schemeChanged.size(), 2);
        }
        // The settings file and --color-scheme name the scheme; anything else is refused.
        QCOMPARE(client::AppContext::colorSchemeFromName(u"dark"), Scheme::Dark);
        for (const QString &invalid : {QStringLiteral("purple"), QStringLiteral("Dark"),
                                       QStringLiteral(" light"), QString()})
            QCOMPARE(client::AppContext::colorSchemeFromName(invalid), std::nullopt);
        // The next start of the app sees them.
        QSettings settings(m_settingsFile, QSettings::IniFormat);
        QCOMPARE(settings.value(QStringLiteral("notifications/muted")).toBool(), true);
        QCOMPARE(settings.value(QStringLiteral("appearance/scheme")).toString(),
                 QStringLiteral("light"));
        auto context = makeContext(settings);
        QCOMPARE(context->isMuted(), true);
        QCOMPARE(context->colorScheme(), Scheme::Light);
        context->setMuted(false);
        QCOMPARE(context->isMuted(), false);
        QCOMPARE(settings.value(QStringLiteral("notifications/muted")).toBool(), false);
    }
};

QTEST_GUILESS_MAIN(TestAppContext)
#include "tst_appcontext.moc"
