// SPDX-License-Identifier: MIT
// The desktop client's session against a real server and the real system keychain (a throwaway
// gnome-keyring started by with-keyring.sh): sign in, register, restore at start-up, sign out,
// revoked tokens and offline start-up. The token must live in the keychain and nowhere else.
#include "apiclient.h"
#include "session.h"
#include "support/keychainwait.h"
#include "testserver.h"
#include "tokenstore.h"

#include <QDirIterator>
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

using testing::KeychainAnswer;
using testing::readEntry;
using testing::removeEntry;
using testing::writeEntry;
using Status = client::Session::Status;

//! One desktop client as it is at start-up: its own REST client, keychain access and settings
//! object (on a settings file that may already exist), and a session.
struct Client
{
    Client(const QString &settingsFile, const QString &service)
        : settings(settingsFile, QSettings::IniFormat)
        , tokens(service)
        , session(api, tokens, settings)
    {
        QObject::connect(&session, &client::Session::statusChanged, &session,
                         [this] { statuses.append(session.status()); });
    }

    client::ApiClient api;
    QSettings settings;
    client::TokenStore tokens;
    client::Session session;
    QList<Status> statuses; //!< every status it went through
};

} // namespace

class TestSession : public QObject
{
    Q_OBJECT

    QString m_service;
    std::unique_ptr<client::TokenStore> m_keychain; // reads behind the session's back
    std::unique_ptr<testing::TestServer> m_server;
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_settingsFile;
    QStringList m_accounts; // keychain entries a test may have left

    QString serverAddress() const
    {
        return QStringLiteral("http://127.0.0.1:%1").arg(m_server->port());
    }

    QString accountOf(const QString &serverUrl, const QString &email)
    {
        const QString account = client::TokenStore::accountKey(serverUrl, email);
        m_accounts.append(account);
        return account;
    }

    //! Signs `user` in on `c` and waits until the token is in the keychain.
    void signIn(Client &c, const testing::Session &user, const QString &address)
    {
        c.session.signIn(address, user.user.email, Password);
        QTRY_COMPARE_WITH_TIMEOUT(c.session.status(), Status::SignedIn, AuthTimeoutMs);
        QVERIFY(!c.api.token().isEmpty());
        const QString account = accountOf(c.session.serverUrl(), user.user.email);
        QTRY_COMPARE(readEntry(*m_keychain, account).token, c.api.token());
    }

    static QByteArray readFile(const QString &path)
    {
        QFile file(path);
        return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
    }

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
        const KeychainAnswer removed = removeEntry(*m_keychain, probe);
        QVERIFY2(removed.done && removed.error.isEmpty(), qPrintable(removed.error));
        const KeychainAnswer gone = readEntry(*m_keychain, probe);
        QVERIFY2(gone.done && gone.error.isEmpty() && gone.token.isEmpty(),
                 "The system keychain still has a deleted entry.");
    }

    void init()
    {
        m_server = std::make_unique<testing::TestServer>();
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

    void signInKeepsTheTokenInTheKeychainOnly()
    {
        const testing::Session alice = m_server->registerUser(QStringLiteral("Alice"));
        Client c(m_settingsFile, m_service);
        QSignalSpy signedIn(&c.session, &client::Session::signedIn);

        // Without a scheme and with a trailing slash: the address is normalized.
        c.session.signIn(QStringLiteral("127.0.0.1:%1/").arg(m_server->port()), alice.user.email,
                         Password);
        QCOMPARE(c.session.status(), Status::SigningIn);
        QVERIFY(c.session.isBusy());
        QTRY_COMPARE_WITH_TIMEOUT(c.session.status(), Status::SignedIn, AuthTimeoutMs);
        QCOMPARE(c.statuses, QList<Status>({Status::SigningIn, Status::SignedIn}));
        QCOMPARE(signedIn.size(), 1);
        QVERIFY(!c.session.isBusy());
        QCOMPARE(c.session.serverUrl(), serverAddress());
        QCOMPARE(c.session.email(), alice.user.email);
        QCOMPARE(c.session.userId(), alice.user.id);
        QCOMPARE(c.session.userName(), QStringLiteral("Alice"));
        QCOMPARE(c.session.role(), QStringLiteral("user"));
        QCOMPARE(c.session.errorString(), QString());

        // The token the session uses is one the server accepts (a new one: each login issues
        // its own).
        const QByteArray token = c.api.token();
        QVERIFY(!token.isEmpty());
        QVERIFY(token != alice.token);
        const testing::Reply me = m_server->get(QStringLiteral("/api/me"), token);
        QCOMPARE(me.status, 200);
        QCOMPARE(me.json.value(QLatin1String("user")).toObject().value(QLatin1String("id")),
                 QJsonValue(alice.user.id));

        // It is in the keychain, under the account's key...
        const QString account = accountOf(serverAddress(), alice.user.email);
        QTRY_COMPARE(readEntry(*m_keychain, account).token, token);
        QCOMPARE(c.session.keychainWarning(), QString());

        // ...and in no file of the settings folder, although the account is.
        c.settings.sync();
        const QByteArray settings = readFile(m_settingsFile);
        QVERIFY2(settings.contains(alice.user.email.toUtf8()), settings.constData());
        QVERIFY2(settings.contains(serverAddress().toUtf8()), settings.constData());
        QVERIFY2(!settings.contains(token), "the token is in the settings file");
        QDirIterator files(m_dir->path(), QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
        while (files.hasNext()) {
            const QString path = files.next();
            QVERIFY2(!readFile(path).contains(token), qPrintable(path));
        }
    }

    void aSecondSessionRestoresByItself()
    {
        const testing::Session alice = m_server->registerUser(QStringLiteral("Alice"));
        QByteArray token;
        {
            Client first(m_settingsFile, m_service);
            signIn(first, alice, serverAddress());
            if (QTest::currentTestFailed())
                return;
            token = first.api.token();
        }
        // What the settings remember of the user is only a cache for offline start-ups: an
        // online restore takes the user from the server.
        {
            QSettings settings(m_settingsFile, QSettings::IniFormat);
            QCOMPARE(settings.value(QStringLiteral("session/user_name")).toString(),
                     QStringLiteral("Alice"));
            settings.setValue(QStringLiteral("session/user_name"), QStringLiteral("Stale"));
        }

        // The next start of the app: nothing but the settings file and the keychain.
        Client second(m_settingsFile, m_service);
        QSignalSpy signedIn(&second.session, &client::Session::signedIn);
        QCOMPARE(second.session.status(), Status::SignedOut);
        QCOMPARE(second.session.serverUrl(), serverAddress());
        QCOMPARE(second.session.email(), alice.user.email);
        second.session.restore();
        QCOMPARE(second.session.status(), Status::Restoring);
        QVERIFY(second.session.isBusy());
        QTRY_COMPARE(second.session.status(), Status::SignedIn);
        QCOMPARE(second.statuses, QList<Status>({Status::Restoring, Status::SignedIn}));
        QCOMPARE(signedIn.size(), 1);
        QCOMPARE(second.session.userId(), alice.user.id);
        QCOMPARE(second.session.userName(), QStringLiteral("Alice"));
        QCOMPARE(second.session.role(), QStringLiteral("user"));
        QCOMPARE(second.session.errorString(), QString());
        QCOMPARE(second.api.token(), token);
        QCOMPARE(second.api.baseUrl(), QUrl(serverAddress() + QLatin1Char('/')));
        QCOMPARE(second.settings.value(QStringLiteral("session/user_name")).toString(),
                 QStringLiteral("Alice"));

        // Restoring twice does nothing.
        second.session.restore();
        QCOMPARE(second.session.status(), Status::SignedIn);
        QCOMPARE(signedIn.size(), 1);
    }

    void aWrongPasswordIsRefused()
    {
        const testing::Session alice = m_server->registerUser(QStringLiteral("Alice"));
        Client c(m_settingsFile, m_service);
        QSignalSpy signedIn(&c.session, &client::Session::signedIn);
        c.session.signIn(serverAddress(), alice.user.email, QStringLiteral("wrong password"));
        QCOMPARE(c.session.status(), Status::SigningIn);
        QTRY_COMPARE_WITH_TIMEOUT(c.session.status(), Status::SignedOut, AuthTimeoutMs);
        QCOMPARE(c.statuses, QList<Status>({Status::SigningIn, Status::SignedOut}));
        QCOMPARE(c.session.errorString(),
                 QStringLiteral("These credentials do not match our records."));
        QCOMPARE(signedIn.size(), 0);
        QCOMPARE(c.session.userId(), 0);
        QCOMPARE(c.session.userName(), QString());
        QVERIFY(c.api.token().isEmpty());
        const KeychainAnswer entry =
            readEntry(*m_keychain, accountOf(serverAddress(), alice.user.email));
        QVERIFY(entry.done);
        QCOMPARE(entry.error, QString());
        QVERIFY(entry.token.isEmpty());

        // The right password afterwards works, and clears the error.
        c.session.signIn(serverAddress(), alice.user.email, Password);
        QTRY_COMPARE_WITH_TIMEOUT(c.session.status(), Status::SignedIn, AuthTimeoutMs);
        QCOMPARE(c.session.errorString(), QString());
        QCOMPARE(c.session.userId(), alice.user.id);
    }

    void inputIsCheckedBeforeAnyRequest()
    {
        Client c(m_settingsFile, m_service);
        c.session.signIn(serverAddress(), QStringLiteral("a@b.test"), QString());
        QCOMPARE(c.session.errorString(), QStringLiteral("Enter your email and password."));
        c.session.registerAccount(serverAddress(), QStringLiteral("  "), QStringLiteral("a@b.test"),
                                  Password);
        QCOMPARE(c.session.errorString(), QStringLiteral("Enter your name, email and a password."));
        c.session.signIn(QStringLiteral("ftp://127.0.0.1"), QStringLiteral("a@b.test"), Password);
        QCOMPARE(c.session.errorString(),
                 QStringLiteral("Enter the server's address, for example http://127.0.0.1:6001."));
        QVERIFY(c.statuses.isEmpty()); // never left signedOut
        QCOMPARE(c.session.status(), Status::SignedOut);
    }

    void anUnreachableServerIsReported()
    {
        const quint16 port = m_server->port();
        m_server.reset(); // nothing listens there any more
        Client c(m_settingsFile, m_service);
        c.session.signIn(QStringLiteral("http://127.0.0.1:%1").arg(port),
                         QStringLiteral("a@b.test"), Password);
        QTRY_COMPARE(c.session.status(), Status::SignedOut);
        QVERIFY2(c.session.errorString().startsWith(
                     QStringLiteral("Cannot reach http://127.0.0.1:%1: ").arg(port)),
                 qPrintable(c.session.errorString()));
        m_server = std::make_unique<testing::TestServer>(); // for cleanup()
    }

    void registerCreatesAnAccount()
    {
        Client c(m_settingsFile, m_service);
        QSignalSpy signedIn(&c.session, &client::Session::signedIn);
        c.session.registerAccount(serverAddress(), QStringLiteral("  Dana  "),
                                  QStringLiteral("Dana@Example.test"),
                                  QStringLiteral("a long enough password"));
        QCOMPARE(c.session.status(), Status::SigningIn);
        QTRY_COMPARE_WITH_TIMEOUT(c.session.status(), Status::SignedIn, AuthTimeoutMs);
        QCOMPARE(signedIn.size(), 1);
        QCOMPARE(c.session.userName(), QStringLiteral("Dana"));
        QCOMPARE(c.session.email(), QStringLiteral("dana@example.test")); // as the server keeps it
        QVERIFY(c.session.userId() > 0);
        const QByteArray token = c.api.token();
        const testing::Reply me = m_server->get(QStringLiteral("/api/me"), token);
        QCOMPARE(me.status, 200);
        QCOMPARE(me.json.value(QLatin1String("user")).toObject().value(QLatin1String("id")),
                 QJsonValue(c.session.userId()));
        QTRY_COMPARE(
            readEntry(*m_keychain, accountOf(serverAddress(), QStringLiteral("dana@example.test")))
                .token,
            token);
        // The account exists: its password logs in.
        const testing::Reply login =
            m_server->post(QStringLiteral("/api/login"),
                           {{QLatin1String("email"), QStringLiteral("dana@example.test")},
                            {QLatin1String("password"), QStringLiteral("a long enough password")}});
        QCOMPARE(login.status, 200);

        // The same email again, from another client: the server's 422 message is shown.
        QTemporaryDir otherDir;
        Client other(otherDir.filePath(QStringLiteral("settings.ini")), m_service);
        QSignalSpy otherSignedIn(&other.session, &client::Session::signedIn);
        other.session.registerAccount(serverAddress(), QStringLiteral("Dana Two"),
                                      QStringLiteral("dana@example.test"),
                                      QStringLiteral("another long password"));
        QTRY_COMPARE_WITH_TIMEOUT(other.session.status(), Status::SignedOut, AuthTimeoutMs);
        QCOMPARE(other.statuses, QList<Status>({Status::SigningIn, Status::SignedOut}));
        QCOMPARE(other.session.errorString(), QStringLiteral("The email has already been taken."));
        QCOMPARE(otherSignedIn.size(), 0);
        QCOMPARE(other.session.userId(), 0);
        // The first client's keychain entry was not touched.
        QCOMPARE(
            readEntry(*m_keychain, accountOf(serverAddress(), QStringLiteral("dana@example.test")))
                .token,
            token);
    }

    void signOutRevokesAndForgets()
    {
        const testing::Session alice = m_server->registerUser(QStringLiteral("Alice"));
        Client c(m_settingsFile, m_service);
        signIn(c, alice, serverAddress());
        if (QTest::currentTestFailed())
            return;
        const QByteArray token = c.api.token();
        const QString account = accountOf(serverAddress(), alice.user.email);
        QSignalSpy signedOut(&c.session, &client::Session::signedOut);
        QSignalSpy accountChanged(&c.session, &client::Session::accountChanged);

        c.session.signOut();
        QCOMPARE(c.session.status(), Status::SignedOut);
        QCOMPARE(signedOut.size(), 1);
        QVERIFY(accountChanged.size() >= 1);
        QCOMPARE(c.session.userId(), 0);
        QCOMPARE(c.session.userName(), QString());
        QCOMPARE(c.session.role(), QString());
        QCOMPARE(c.session.errorString(), QString());
        QVERIFY(c.api.token().isEmpty());
        // The server and email stay, to fill in the sign-in form; the user does not.
        QCOMPARE(c.session.email(), alice.user.email);
        QVERIFY(!c.settings.contains(QStringLiteral("session/user_id")));
        QVERIFY(!c.settings.contains(QStringLiteral("session/user_name")));

        // Revoked on the server...
        QTRY_COMPARE(m_server->get(QStringLiteral("/api/me"), token).status, 401);
        // ...and deleted from the keychain.
        QTRY_VERIFY(readEntry(*m_keychain, account).token.isEmpty());
        const KeychainAnswer entry = readEntry(*m_keychain, account);
        QVERIFY(entry.done);
        QCOMPARE(entry.error, QString());

        // So the next start stays signed out, quietly.
        c.settings.sync();
        Client next(m_settingsFile, m_service);
        QSignalSpy signedIn(&next.session, &client::Session::signedIn);
        next.session.restore();
        QTRY_COMPARE(next.statuses, QList<Status>({Status::Restoring, Status::SignedOut}));
        QCOMPARE(next.session.errorString(), QString());
        QCOMPARE(signedIn.size(), 0);

        // Signing out twice does nothing.
        c.session.signOut();
        QCOMPARE(signedOut.size(), 1);
    }

    void aTokenRevokedMeanwhileEndsTheRestore()
    {
        const testing::Session alice = m_server->registerUser(QStringLiteral("Alice"));
        QByteArray token;
        {
            Client first(m_settingsFile, m_service);
            signIn(first, alice, serverAddress());
            if (QTest::currentTestFailed())
                return;
            token = first.api.token();
        }
        // Revoked elsewhere (signed out on another device, or by an admin) while the app was
        // closed.
        QCOMPARE(m_server->post(QStringLiteral("/api/logout"), {}, token).status, 204);

        Client c(m_settingsFile, m_service);
        QSignalSpy signedIn(&c.session, &client::Session::signedIn);
        QSignalSpy signedOut(&c.session, &client::Session::signedOut);
        c.session.restore();
        QTRY_COMPARE(c.statuses, QList<Status>({Status::Restoring, Status::SignedOut}));
        QCOMPARE(c.session.errorString(),
                 QStringLiteral("Your session has ended. Please sign in again."));
        QCOMPARE(signedIn.size(), 0);
        QCOMPARE(signedOut.size(), 0); // it was never signed in
        QCOMPARE(c.session.userId(), 0);
        QVERIFY(c.api.token().isEmpty());
        QVERIFY(!c.settings.contains(QStringLiteral("session/user_id")));
        QTRY_VERIFY(
            readEntry(*m_keychain, accountOf(serverAddress(), alice.user.email)).token.isEmpty());
    }

    void aRejectedTokenWhileSignedInEndsTheSession()
    {
        const testing::Session alice = m_server->registerUser(QStringLiteral("Alice"));
        Client c(m_settingsFile, m_service);
        signIn(c, alice, serverAddress());
        if (QTest::currentTestFailed())
            return;
        QCOMPARE(m_server->post(QStringLiteral("/api/logout"), {}, c.api.token()).status, 204);
        QSignalSpy signedOut(&c.session, &client::Session::signedOut);
        c.api.get(QStringLiteral("/api/me"), nullptr); // any call that comes back 401
        QTRY_COMPARE(c.session.status(), Status::SignedOut);
        QCOMPARE(signedOut.size(), 1);
        QCOMPARE(c.session.errorString(),
                 QStringLiteral("Your session has ended. Please sign in again."));
        QCOMPARE(c.session.userId(), 0);
        QTRY_VERIFY(
            readEntry(*m_keychain, accountOf(serverAddress(), alice.user.email)).token.isEmpty());
    }

    void restoreOfflineKeepsTheRememberedUser()
    {
        // A server that goes away after the sign-in (the app closes, the network drops).
        auto away = std::make_unique<testing::TestServer>();
        QVERIFY2(away->isRunning(), qPrintable(away->errorString()));
        const testing::Session olivia = away->registerUser(QStringLiteral("Olivia"));
        const QString address = QStringLiteral("http://127.0.0.1:%1").arg(away->port());
        QByteArray token;
        {
            Client first(m_settingsFile, m_service);
            signIn(first, olivia, address);
            if (QTest::currentTestFailed())
                return;
            token = first.api.token();
        }
        away.reset();

        Client c(m_settingsFile, m_service);
        QSignalSpy signedIn(&c.session, &client::Session::signedIn);
        c.session.restore();
        QTRY_COMPARE(c.session.status(), Status::SignedIn);
        QCOMPARE(c.statuses, QList<Status>({Status::Restoring, Status::SignedIn}));
        QCOMPARE(signedIn.size(), 1);
        QCOMPARE(c.session.userId(), olivia.user.id);
        QCOMPARE(c.session.userName(), QStringLiteral("Olivia"));
        QCOMPARE(c.session.role(), QStringLiteral("user"));
        QCOMPARE(c.session.email(), olivia.user.email);
        QCOMPARE(c.session.serverUrl(), address);
        QCOMPARE(c.session.errorString(), QString());
        // It keeps the token for when the server is back, and the keychain keeps it too.
        QCOMPARE(c.api.token(), token);
        QCOMPARE(readEntry(*m_keychain, accountOf(address, olivia.user.email)).token, token);
    }

    void aStoreGoneBeforeItsJobEndsIsHarmless()
    {
        // A session (and its store) destroyed right after signing in, with the keychain write
        // still running: the write completes, its callback is not called, and nothing crashes
        // when the keychain answers later.
        const QString account =
            accountOf(QStringLiteral("http://127.0.0.1:1"), QStringLiteral("gone@example.test"));
        auto called = std::make_shared<bool>(false);
        {
            client::TokenStore store(m_service);
            store.write(account, "written-after-its-store-went",
                        [called](const QString &) { *called = true; });
        }
        QTRY_COMPARE(readEntry(*m_keychain, account).token,
                     QByteArray("written-after-its-store-went"));
        QVERIFY(!*called);
        // And the keychain keeps working.
        QCOMPARE(removeEntry(*m_keychain, account).error, QString());
        QVERIFY(readEntry(*m_keychain, account).token.isEmpty());
    }

    void normalizeServerUrl_data()
    {
        QTest::addColumn<QString>("input");
        QTest::addColumn<QString>("expected");
        QTest::addRow("no scheme")
            << QStringLiteral("127.0.0.1:6001") << QStringLiteral("http://127.0.0.1:6001");
        QTest::addRow("trailing slash")
            << QStringLiteral("https://x.example/") << QStringLiteral("https://x.example");
        QTest::addRow("other scheme") << QStringLiteral("ftp://x") << QString();
        QTest::addRow("empty") << QString() << QString();
        QTest::addRow("no host") << QStringLiteral("http://") << QString();
        QTest::addRow("spaces around") << QStringLiteral("  http://127.0.0.1:6001/  ")
                                       << QStringLiteral("http://127.0.0.1:6001");
        QTest::addRow("query and fragment") << QStringLiteral("https://x.example/base/?a=1#top")
                                            << QStringLiteral("https://x.example/base");
        QTest::addRow("host name only")
            << QStringLiteral("localhost") << QStringLiteral("http://localhost");
        QTest::addRow("blank") << QStringLiteral("   ") << QString();
    }

    void normalizeServerUrl()
    {
        QFETCH(QString, input);
        QFETCH(QString, expected);
        QCOMPARE(client::Session::normalizeServerUrl(input), expected);
    }

    void accountKeysNameServerAndEmail()
    {
        QCOMPARE(client::TokenStore::accountKey(QStringLiteral("http://127.0.0.1:6001"),
                                                QStringLiteral(" Alice@Example.test ")),
                 QStringLiteral("alice@example.test@http://127.0.0.1:6001"));
        // Another port is another server, so another entry.
        QVERIFY(client::TokenStore::accountKey(QStringLiteral("http://127.0.0.1:6001"),
                                               QStringLiteral("a@b.test")) !=
                client::TokenStore::accountKey(QStringLiteral("http://127.0.0.1:6002"),
                                               QStringLiteral("a@b.test")));
    }
};

QTEST_GUILESS_MAIN(TestSession)
#include "tst_session.moc"
