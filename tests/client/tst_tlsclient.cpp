// SPDX-License-Identifier: MIT
// The desktop client core against an https:// server with a self-signed certificate: with the
// certificate given to ApiClient::setCaCertificates, REST and the realtime connection (wss://,
// derived from https://) work; without it, both fail with "The server's certificate is not
// trusted (…): HOST" and never connect. This process's default TLS settings never trust the
// test's certificates, so "without" really is without.
#include "apiclient.h"
#include "realtimeclient.h"
#include "testserver.h"

#include "gateway/gateway.h"

#include <QSignalSpy>
#include <QtTest>

#include <optional>

using namespace flippdeal;
using namespace flippdeal::testing;

class TestTlsClient : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    TestCertificate m_certificate; // CN and subjectAltName 127.0.0.1
    TestCertificate m_otherHost;   // for example.invalid
    std::unique_ptr<TestServer> m_server;

    static std::unique_ptr<TestServer> serverWith(const TestCertificate &certificate)
    {
        return std::make_unique<TestServer>([&certificate](server::Config &config) {
            config.tlsCertificateFile = certificate.certificateFile;
            config.tlsKeyFile = certificate.keyFile;
            config.messagesPerSecond = 1000;
        });
    }

    std::unique_ptr<client::ApiClient> makeApi(const QList<QSslCertificate> &trusted = {})
    {
        auto api = std::make_unique<client::ApiClient>();
        api->setBaseUrl(m_server->url(QStringLiteral("/")));
        api->setCaCertificates(trusted);
        return api;
    }

    //! Sends a request and waits for its answer.
    static client::ApiResult call(client::ApiClient &api, const QByteArray &method,
                                  const QString &path, const QJsonObject &body = {})
    {
        std::optional<client::ApiResult> result;
        api.request(method, path, body, [&result](const client::ApiResult &r) { result = r; });
        waitUntil([&result] { return result.has_value(); }, 15000);
        return result.value_or(client::ApiResult{});
    }

    //! Registers `name` through `api` (which must trust the server) and signs it in.
    static qint64 signUp(client::ApiClient &api, const QString &name)
    {
        const client::ApiResult result =
            call(api, "POST", QStringLiteral("/api/register"),
                 {{QLatin1String("name"), name},
                  {QLatin1String("email"), name.toLower() + QStringLiteral("@tls.flippdeal.test")},
                  {QLatin1String("password"), QStringLiteral("correct horse battery")}});
        if (result.status != 201)
            return -1;
        api.setToken(result.json.value(QLatin1String("token")).toString().toUtf8());
        return result.json.value(QLatin1String("user"))
            .toObject()
            .value(QLatin1String("id"))
            .toInteger();
    }

    QString untrustedMessage(const QString &reason) const
    {
        return QStringLiteral("The server's certificate is not trusted (%1): 127.0.0.1")
            .arg(reason);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_certificate = makeSelfSignedCertificate(m_dir.path(), QStringLiteral("server"));
        m_otherHost = makeSelfSignedCertificate(m_dir.path(), QStringLiteral("other"),
                                                QStringLiteral("example.invalid"));
        QVERIFY2(m_certificate.isValid() && m_otherHost.isValid(),
                 "openssl must be installed (scripts/bootstrap.sh)");
        QVERIFY2(!testsRunOverTls(), "this suite manages its own trust");
    }

    void init()
    {
        m_server = serverWith(m_certificate);
        QVERIFY2(m_server->isRunning(), qPrintable(m_server->errorString()));
        QCOMPARE(m_server->url(QStringLiteral("/")).scheme(), QStringLiteral("https"));
    }

    void cleanup() { m_server.reset(); }

    void connectsWithTheCaCertificate()
    {
        auto alice = makeApi({m_certificate.certificate});
        auto bob = makeApi({m_certificate.certificate});
        const qint64 aliceId = signUp(*alice, QStringLiteral("Alice"));
        const qint64 bobId = signUp(*bob, QStringLiteral("Bob"));
        QVERIFY(aliceId > 0 && bobId > 0);

        client::RealtimeClient realtime(*bob, m_server->config().appKey);
        QSignalSpy subscribed(&realtime, &client::RealtimeClient::subscribed);
        QSignalSpy events(&realtime, &client::RealtimeClient::eventReceived);
        const QString channel = QStringLiteral("private-user.%1").arg(bobId);
        realtime.subscribe(channel); // authorized over HTTPS
        realtime.connectToServer();  // wss:// from the https:// base URL
        QTRY_COMPARE(realtime.state(), client::RealtimeClient::State::Connected);
        QTRY_COMPARE(subscribed.size(), 1);
        QCOMPARE(m_server->app().gateway().connectionCount(), 1);
        QVERIFY(realtime.errorString().isEmpty());

        const client::ApiResult sent = call(
            *alice, "POST", QStringLiteral("/api/messages"),
            {{QLatin1String("to_user_id"), bobId}, {QLatin1String("body"), QStringLiteral("hi")}});
        QCOMPARE(sent.status, 201);
        QTRY_VERIFY(!events.isEmpty());
        QCOMPARE(events.first().at(1).toString(), QStringLiteral("MessageSent"));
        QCOMPARE(events.first().at(3).toLongLong(), 1);
    }

    void withoutItTheCertificateIsNotTrusted()
    {
        auto api = makeApi(); // the system's authorities only
        const client::ApiResult health = call(*api, "GET", QStringLiteral("/health"));
        QCOMPARE(health.status, 0);
        QCOMPARE(health.errorString, untrustedMessage(QStringLiteral("self-signed certificate")));

        client::RealtimeClient realtime(*api, m_server->config().appKey);
        realtime.setReconnectDelays(60000, 60000); // one attempt is enough here
        realtime.connectToServer();
        QTRY_COMPARE(realtime.errorString(),
                     untrustedMessage(QStringLiteral("self-signed certificate")));
        QTRY_VERIFY(realtime.state() != client::RealtimeClient::State::Connecting);
        QVERIFY(realtime.state() != client::RealtimeClient::State::Connected);
        QCOMPARE(m_server->app().gateway().connectionCount(), 0);

        // Trusting another certificate does not help.
        api->setCaCertificates({m_otherHost.certificate});
        QCOMPARE(call(*api, "GET", QStringLiteral("/health")).errorString,
                 untrustedMessage(QStringLiteral("self-signed certificate")));
    }

    void aTrustedCertificateForAnotherHostIsRefused()
    {
        m_server = serverWith(m_otherHost);
        QVERIFY(m_server->isRunning());
        auto api = makeApi({m_otherHost.certificate});
        const client::ApiResult health = call(*api, "GET", QStringLiteral("/health"));
        QCOMPARE(health.status, 0);
        QCOMPARE(health.errorString,
                 untrustedMessage(QStringLiteral("issued for another host name")));
    }

    void anHttpUrlForTheTlsServerSaysSo()
    {
        auto api = makeApi({m_certificate.certificate});
        QUrl url = m_server->url(QStringLiteral("/"));
        url.setScheme(QStringLiteral("http"));
        api->setBaseUrl(url);
        const client::ApiResult health = call(*api, "GET", QStringLiteral("/health"));
        QCOMPARE(health.status, 400);
        QVERIFY2(health.errorString.contains(QLatin1String("use https://")),
                 qPrintable(health.errorString));
    }
};

QTEST_MAIN(TestTlsClient)
#include "tst_tlsclient.moc"
