// SPDX-License-Identifier: MIT
// TLS (tls-cert, tls-key): HTTPS and WSS on the one port with self-signed certificates this test
// makes with the openssl command; plain HTTP on that port refused; clients that do not trust
// the certificate get a certificate error; bad certificate files fail the start with exit code
// 2 and one line. (The whole gateway suite also runs over TLS: tst_gateway_tls.)
#include "serverprocess.h"
#include "testhelpers.h"
#include "testserver.h"

#include "gateway/gateway.h"
#include "http/httplistener.h"

#include <QJsonArray>
#include <QNetworkReply>
#include <QProcess>
#include <QSslSocket>
#include <QTcpSocket>
#include <QtTest>

using namespace flippdeal;
using namespace flippdeal::testing;

namespace {

struct Run
{
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

//! TLS settings that trust only the system's authorities (not the test's certificates).
QSslConfiguration systemTrustOnly()
{
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setCaCertificates(QSslConfiguration::systemCaCertificates());
    return configuration;
}

} // namespace

class TestTls : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    TestCertificate m_rsa;       // trusted by this process
    TestCertificate m_ec;        // trusted: an EC key in PKCS#8, as Let's Encrypt issues them
    TestCertificate m_untrusted; // never trusted
    QString m_encryptedKey;      // m_rsa's key protected by a passphrase
    QString m_garbage;           // not PEM at all

    std::unique_ptr<TestServer> tlsServer(const TestCertificate &certificate)
    {
        return std::make_unique<TestServer>([&certificate](server::Config &config) {
            config.tlsCertificateFile = certificate.certificateFile;
            config.tlsKeyFile = certificate.keyFile;
        });
    }

    QString writeFile(const QString &name, const QByteArray &content)
    {
        const QString path = m_dir.filePath(name);
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly) || file.write(content) != content.size())
            qWarning() << "cannot write" << path;
        return path;
    }

    //! `flippdeal-server serve` with `arguments` and `environment` added; the run must end.
    Run serve(const QStringList &arguments, const QMap<QString, QString> &environment = {})
    {
        QProcess process;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        for (const QString &key : env.keys()) {
            if (key.startsWith(QLatin1String("FLIPPDEAL_")))
                env.remove(key);
        }
        env.insert(QStringLiteral("FLIPPDEAL_DATA_DIR"), m_dir.filePath(QStringLiteral("data")));
        env.insert(QStringLiteral("FLIPPDEAL_LISTEN"), QStringLiteral("127.0.0.1:0"));
        for (auto it = environment.cbegin(); it != environment.cend(); ++it)
            env.insert(it.key(), it.value());
        process.setProcessEnvironment(env);
        process.start(QStringLiteral(FLIPPDEAL_SERVER_BINARY),
                      QStringList{QStringLiteral("serve")} + arguments);
        if (!process.waitForFinished(20000)) {
            process.kill();
            process.waitForFinished();
            return {};
        }
        return {process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1,
                process.readAllStandardOutput(), process.readAllStandardError()};
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QSslSocket::supportsSsl(), "Qt has no TLS backend");
        qRegisterMetaType<QList<QSslError>>();
        QVERIFY(m_dir.isValid());
        m_rsa = makeSelfSignedCertificate(m_dir.path(), QStringLiteral("rsa"));
        m_ec = makeSelfSignedCertificate(m_dir.path(), QStringLiteral("ec"),
                                         QStringLiteral("127.0.0.1"), QStringLiteral("ec"));
        m_untrusted = makeSelfSignedCertificate(m_dir.path(), QStringLiteral("untrusted"));
        QVERIFY2(m_rsa.isValid() && m_ec.isValid() && m_untrusted.isValid(),
                 "openssl must be installed (scripts/bootstrap.sh)");
        trustInThisProcess(m_rsa.certificate);
        trustInThisProcess(m_ec.certificate);

        m_encryptedKey = m_dir.filePath(QStringLiteral("encrypted-key.pem"));
        QCOMPARE(QProcess::execute(QStringLiteral("openssl"),
                                   {QStringLiteral("pkey"), QStringLiteral("-in"), m_rsa.keyFile,
                                    QStringLiteral("-aes256"), QStringLiteral("-passout"),
                                    QStringLiteral("pass:secret"), QStringLiteral("-out"),
                                    m_encryptedKey}),
                 0);
        m_garbage = writeFile(QStringLiteral("garbage.pem"),
                              "-----BEGIN CERTIFICATE-----\nnot base64 at all\n"
                              "-----END CERTIFICATE-----\n");
    }

    void httpsServesTheApi_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addRow("RSA key") << QStringLiteral("rsa");
        QTest::addRow("EC key (PKCS#8)") << QStringLiteral("ec");
    }

    void httpsServesTheApi()
    {
        QFETCH(QString, kind);
        const TestCertificate &certificate = kind == QLatin1String("rsa") ? m_rsa : m_ec;
        auto server = tlsServer(certificate);
        QVERIFY2(server->isRunning(), qPrintable(server->errorString()));
        QCOMPARE(server->url(QStringLiteral("/")).scheme(), QStringLiteral("https"));

        QNetworkAccessManager network;
        QNetworkReply *reply = network.get(QNetworkRequest(server->url(QStringLiteral("/health"))));
        waitForFinished(reply);
        const Reply health = toReply(reply);
        QCOMPARE(health.status, 200);
        QCOMPARE(health.json.value(QLatin1String("status")).toString(), QStringLiteral("ok"));
        QVERIFY(reply->sslConfiguration().sessionProtocol() >= QSsl::TlsV1_2);
        QCOMPARE(reply->sslConfiguration().peerCertificate(), certificate.certificate);
        reply->deleteLater();

        // A write, keep-alive and bodies through the TLS connection.
        const Session alice = server->registerUser(QStringLiteral("Alice"));
        QVERIFY(!alice.token.isEmpty());
        QCOMPARE(server->get(QStringLiteral("/api/me"), alice.token).status, 200);
    }

    void plainHttpIsNotServed()
    {
        auto server = tlsServer(m_rsa);
        QVERIFY(server->isRunning());

        QTcpSocket plain;
        plain.connectToHost(QHostAddress::LocalHost, server->port());
        QVERIFY(plain.waitForConnected(3000));
        plain.write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        QByteArray answer;
        QVERIFY(waitUntil(
            [&] {
                answer += plain.readAll();
                return plain.state() == QAbstractSocket::UnconnectedState;
            },
            5000));
        answer += plain.readAll();
        QVERIFY2(answer.startsWith("HTTP/1.1 400 "), answer.constData());
        QVERIFY2(answer.contains("use https:// or wss://"), answer.constData());
        QVERIFY2(!answer.contains("\"status\":\"ok\""), "the API is not served in plain text");

        // The same through an http:// URL: an error that says what to do, never the API.
        QUrl url = server->url(QStringLiteral("/health"));
        url.setScheme(QStringLiteral("http"));
        const Reply reply = send({"GET", url, {}, {}});
        QCOMPARE(reply.status, 400);
        QVERIFY(reply.json.value(QLatin1String("message"))
                    .toString()
                    .contains(QLatin1String("https://")));

        // And ws:// is not upgraded.
        QUrl wsUrl = server->webSocketUrl();
        wsUrl.setScheme(QStringLiteral("ws"));
        TestSocket ws(wsUrl);
        QVERIFY(!ws.waitConnected(3000));
        QCOMPARE(server->app().gateway().connectionCount(), 0);
    }

    void wssCarriesThePusherProtocol()
    {
        auto server = tlsServer(m_rsa);
        QVERIFY(server->isRunning());
        QCOMPARE(server->webSocketUrl().scheme(), QStringLiteral("wss"));
        const Session alice = server->registerUser(QStringLiteral("Alice"));
        const Session bob = server->registerUser(QStringLiteral("Bob"));

        TestSocket socket(server->webSocketUrl());
        QVERIFY(socket.waitConnected());
        QCOMPARE(server->app().gateway().connectionCount(), 1);
        const QString channel = QStringLiteral("private-user.%1").arg(bob.user.id);
        QVERIFY(socket.subscribeAuthorized(*server, bob, channel));

        const Reply sent = server->post(QStringLiteral("/api/messages"),
                                        {{QLatin1String("to_user_id"), bob.user.id},
                                         {QLatin1String("body"), QStringLiteral("over TLS")}},
                                        alice.token);
        QCOMPARE(sent.status, 201);
        const auto event = socket.waitFor(QStringLiteral("MessageSent"), channel);
        QVERIFY(event);
        QCOMPARE(seqOf(*event), qint64(1));
        QCOMPARE(frameData(*event)
                     .value(QLatin1String("message"))
                     .toObject()
                     .value(QLatin1String("body"))
                     .toString(),
                 QStringLiteral("over TLS"));

        socket.send({{QLatin1String("event"), QStringLiteral("pusher:ping")},
                     {QLatin1String("data"), QJsonObject()}});
        QVERIFY(socket.waitFor(QStringLiteral("pusher:pong")));

        // A large message (fragmented by the client) and the close handshake.
        socket.socket().setOutgoingFrameSize(1000);
        QVERIFY(socket.subscribe(QStringLiteral("public-") + QString(150, QLatin1Char('x'))));
        socket.socket().close(QWebSocketProtocol::CloseCodeNormal);
        QVERIFY(socket.waitClosed());
        QCOMPARE(socket.closeCode(), 1000);
        QTRY_COMPARE(server->app().gateway().connectionCount(), 0);
    }

    void shutdownClosesTlsConnectionsWithGoingAway()
    {
        auto server = tlsServer(m_rsa);
        TestSocket socket(server->webSocketUrl());
        QVERIFY(socket.waitConnected());
        QSignalSpy stopped(&server->app(), &server::ServerApp::stopped);
        server->app().shutdown();
        QVERIFY(socket.waitClosed());
        QCOMPARE(socket.closeCode(), 1001);
        QTRY_COMPARE(stopped.size(), 1);
    }

    void untrustedCertificateIsRefusedByClients()
    {
        auto server = tlsServer(m_untrusted);
        QVERIFY(server->isRunning());

        QNetworkAccessManager network;
        QNetworkRequest request(server->url(QStringLiteral("/health")));
        request.setSslConfiguration(systemTrustOnly());
        QNetworkReply *reply = network.get(request);
        QSignalSpy sslErrors(reply, &QNetworkReply::sslErrors);
        waitForFinished(reply);
        QCOMPARE(reply->error(), QNetworkReply::SslHandshakeFailedError);
        QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 0);
        QCOMPARE(sslErrors.size(), 1);
        const auto errors = sslErrors.first().first().value<QList<QSslError>>();
        QVERIFY(std::any_of(errors.cbegin(), errors.cend(), [](const QSslError &e) {
            return e.error() == QSslError::SelfSignedCertificate;
        }));
        reply->deleteLater();

        QWebSocket ws;
        ws.setSslConfiguration(systemTrustOnly());
        QSignalSpy wsErrors(&ws, &QWebSocket::sslErrors);
        QSignalSpy connected(&ws, &QWebSocket::connected);
        ws.open(server->webSocketUrl());
        QTRY_COMPARE(wsErrors.size(), 1);
        QTRY_COMPARE(ws.state(), QAbstractSocket::UnconnectedState);
        QCOMPARE(connected.size(), 0);
        QCOMPARE(server->app().gateway().connectionCount(), 0);

        // The refused handshakes leave the server serving clients that do trust it.
        trustInThisProcess(m_untrusted.certificate);
        QCOMPARE(server->get(QStringLiteral("/health")).status, 200);
    }

    void brokenHandshakesDoNotBlockOthers()
    {
        auto server = tlsServer(m_rsa);
        QTcpSocket silent; // connects and says nothing (dropped after HandshakeTimeoutMs)
        silent.connectToHost(QHostAddress::LocalHost, server->port());
        QVERIFY(silent.waitForConnected(3000));
        QTcpSocket garbage; // a TLS record type, then nonsense
        garbage.connectToHost(QHostAddress::LocalHost, server->port());
        QVERIFY(garbage.waitForConnected(3000));
        garbage.write(QByteArray("\x16\x03\x01\x00\x05hello", 10) + QByteArray(64, '\xff'));
        QTRY_COMPARE_WITH_TIMEOUT(garbage.state(), QAbstractSocket::UnconnectedState, 5000);
        QCOMPARE(server->get(QStringLiteral("/health")).status, 200);
        TestSocket socket(server->webSocketUrl());
        QVERIFY(socket.waitConnected());
        QCOMPARE(silent.state(), QAbstractSocket::ConnectedState);
        // The silent one is dropped once its handshake time is up.
        QTRY_COMPARE_WITH_TIMEOUT(silent.state(), QAbstractSocket::UnconnectedState,
                                  server::HttpListener::HandshakeTimeoutMs + 3000);
    }

    void badCertificateFilesFailTheStart_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QStringList>("environment"); // NAME=VALUE
        QTest::addColumn<QString>("mentions");
        const QString cert = m_rsa.certificateFile;
        const QString key = m_rsa.keyFile;
        const QString missing = m_dir.filePath(QStringLiteral("missing.pem"));
        QTest::addRow("missing certificate")
            << QStringList{QStringLiteral("--tls-cert"), missing, QStringLiteral("--tls-key"), key}
            << QStringList{} << QStringLiteral("tls-cert '%1' cannot be read").arg(missing);
        QTest::addRow("missing key (environment)")
            << QStringList{}
            << QStringList{QStringLiteral("FLIPPDEAL_TLS_CERT=") + cert,
                           QStringLiteral("FLIPPDEAL_TLS_KEY=") + missing}
            << QStringLiteral("tls-key '%1' cannot be read").arg(missing);
        QTest::addRow("garbage certificate")
            << QStringList{QStringLiteral("--tls-cert"), m_garbage, QStringLiteral("--tls-key"),
                           key}
            << QStringList{} << QStringLiteral("holds no PEM certificate");
        QTest::addRow("certificate given as the key")
            << QStringList{QStringLiteral("--tls-cert"), cert, QStringLiteral("--tls-key"), cert}
            << QStringList{} << QStringLiteral("holds no PEM private key");
        QTest::addRow("key of another certificate")
            << QStringList{QStringLiteral("--tls-cert"), cert, QStringLiteral("--tls-key"),
                           m_untrusted.keyFile}
            << QStringList{} << QStringLiteral("does not match the certificate");
        QTest::addRow("key with a passphrase")
            << QStringList{QStringLiteral("--tls-cert"), cert, QStringLiteral("--tls-key"),
                           m_encryptedKey}
            << QStringList{} << QStringLiteral("protected by a passphrase");
        QTest::addRow("certificate without key")
            << QStringList{QStringLiteral("--tls-cert"), cert} << QStringList{}
            << QStringLiteral("tls-cert is set but tls-key is not");
        const QString ini =
            writeFile(QStringLiteral("mismatch.ini"),
                      "tls-cert=" + cert.toUtf8() + "\ntls-key=" + m_ec.keyFile.toUtf8() + "\n");
        QTest::addRow("mismatch in the config file")
            << QStringList{QStringLiteral("--config"), ini} << QStringList{}
            << QStringLiteral("does not match the certificate");
    }

    void badCertificateFilesFailTheStart()
    {
        QFETCH(QStringList, arguments);
        QFETCH(QStringList, environment);
        QFETCH(QString, mentions);
        QMap<QString, QString> env;
        for (const QString &pair : environment)
            env.insert(pair.section(QLatin1Char('='), 0, 0), pair.section(QLatin1Char('='), 1));
        const Run result = serve(arguments, env);
        QCOMPARE(result.exitCode, 2);
        QVERIFY2(!result.out.contains("listening"), result.out.constData());
        QVERIFY2(result.err.startsWith("flippdeal-server: ") && result.err.endsWith('\n') &&
                     result.err.count('\n') == 1,
                 result.err.constData());
        QVERIFY2(QString::fromUtf8(result.err).contains(mentions), result.err.constData());
    }

    void theBinaryServesHttpsFromItsSettings()
    {
        FreshDatabase database;
        QVERIFY(database.isValid());
        ServerProcess node(QStringLiteral(FLIPPDEAL_SERVER_BINARY));
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("FLIPPDEAL_TLS_CERT"), m_ec.certificateFile);
        env.insert(QStringLiteral("FLIPPDEAL_TLS_KEY"), m_ec.keyFile);
        node.start(database.folder(), database.url(), {}, env);
        QVERIFY2(node.waitListening(), node.output().constData());
        QUrl url = node.url(QStringLiteral("/health"));
        url.setScheme(QStringLiteral("https"));
        const Reply reply = send({"GET", url, {}, {}});
        QCOMPARE(reply.status, 200);
        url.setScheme(QStringLiteral("http"));
        QCOMPARE(send({"GET", url, {}, {}}).status, 400);
        QCOMPARE(node.terminate(), 0);
    }
};

QTEST_MAIN(TestTls)
#include "tst_tls.moc"
