// SPDX-License-Identifier: MIT
#include "testserver.h"

#include "testhelpers.h"

#include "auth/passwordhasher.h"
#include "protocol/clientframes.h"

#include <QCoreApplication>
#include <QDir>
#include <QHostAddress>
#include <QJsonDocument>
#include <QNetworkReply>
#include <QProcess>
#include <QRandomGenerator>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QSslConfiguration>
#include <QStandardPaths>
#include <QtTest>

namespace flippdeal::testing {

namespace {

bool postgresAdminExec(const server::DatabaseUrl &admin, const QString &sql)
{
    const QString name = QStringLiteral("flippdeal-test-admin");
    bool ok = false;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), name);
        db.setHostName(admin.host);
        db.setPort(admin.port);
        db.setUserName(admin.user);
        db.setPassword(admin.password);
        db.setDatabaseName(admin.name);
        if (db.open()) {
            QSqlQuery query(db);
            ok = query.exec(sql);
            if (!ok)
                qWarning() << "postgres admin:" << query.lastError().text();
        } else {
            qWarning() << "postgres admin connection failed:" << db.lastError().text();
        }
    }
    QSqlDatabase::removeDatabase(name);
    return ok;
}

QString newPostgresDatabaseName()
{
    return QStringLiteral("fd_test_%1_%2")
        .arg(QCoreApplication::applicationPid())
        .arg(QRandomGenerator::global()->bounded(1u << 30));
}

QString postgresUrl(const server::DatabaseUrl &admin, const QString &database)
{
    const QString credentials =
        admin.password.isEmpty() ? admin.user : admin.user + QLatin1Char(':') + admin.password;
    return QStringLiteral("postgres://%1@%2:%3/%4")
        .arg(credentials, admin.host)
        .arg(admin.port)
        .arg(database);
}

} // namespace

TestCertificate makeSelfSignedCertificate(const QString &folder, const QString &name,
                                          const QString &commonName, const QString &keyType)
{
    TestCertificate result;
    const QString openssl = QStandardPaths::findExecutable(QStringLiteral("openssl"));
    if (openssl.isEmpty()) {
        qWarning("the openssl command is not installed (scripts/bootstrap.sh installs it)");
        return result;
    }
    const QString certificateFile = QDir(folder).filePath(name + QStringLiteral("-cert.pem"));
    const QString keyFile = QDir(folder).filePath(name + QStringLiteral("-key.pem"));
    const bool isAddress = !QHostAddress(commonName).isNull();
    QStringList arguments{
        QStringLiteral("req"),
        QStringLiteral("-x509"),
        QStringLiteral("-nodes"),
        QStringLiteral("-newkey"),
        keyType,
        QStringLiteral("-subj"),
        QStringLiteral("/CN=") + commonName,
        QStringLiteral("-addext"),
        QStringLiteral("subjectAltName=%1:%2")
            .arg(isAddress ? QLatin1String("IP") : QLatin1String("DNS"), commonName),
        QStringLiteral("-days"),
        QStringLiteral("1"),
        QStringLiteral("-keyout"),
        keyFile,
        QStringLiteral("-out"),
        certificateFile};
    if (keyType == QLatin1String("ec"))
        arguments << QStringLiteral("-pkeyopt") << QStringLiteral("ec_paramgen_curve:prime256v1");
    QProcess process;
    process.start(openssl, arguments);
    if (!process.waitForFinished(30000) || process.exitStatus() != QProcess::NormalExit ||
        process.exitCode() != 0) {
        qWarning() << "openssl req failed:" << process.readAllStandardError();
        return result;
    }
    const QList<QSslCertificate> certificates = QSslCertificate::fromPath(certificateFile);
    if (certificates.isEmpty())
        return result;
    result.certificateFile = certificateFile;
    result.keyFile = keyFile;
    result.certificate = certificates.first();
    return result;
}

void trustInThisProcess(const QSslCertificate &certificate)
{
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.addCaCertificate(certificate);
    QSslConfiguration::setDefaultConfiguration(configuration);
}

bool testsRunOverTls()
{
    return qEnvironmentVariableIsSet("FLIPPDEAL_TEST_TLS");
}

namespace {

//! The certificate of every TestServer when the suite runs over TLS: made once per process.
const TestCertificate &processCertificate()
{
    static QTemporaryDir folder;
    static const TestCertificate certificate = [] {
        TestCertificate made = makeSelfSignedCertificate(folder.path(), QStringLiteral("server"));
        if (!made.isValid())
            qFatal("FLIPPDEAL_TEST_TLS: cannot make a self-signed certificate");
        trustInThisProcess(made.certificate);
        return made;
    }();
    return certificate;
}

} // namespace

bool waitUntil(const std::function<bool()> &condition, int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    while (!condition()) {
        if (timer.elapsed() > timeoutMs)
            return false;
        QTest::qWait(10);
    }
    return true;
}

QByteArray Reply::header(const QByteArray &name) const
{
    for (const auto &[key, value] : headers) {
        if (key.compare(name, Qt::CaseInsensitive) == 0)
            return value;
    }
    return {};
}

TestServer::TestServer(const std::function<void(server::Config &)> &tweak)
    : m_dir(std::make_unique<QTemporaryDir>())
{
    server::passwords::initialize();
    m_config.listenAddress = QHostAddress::LocalHost;
    m_config.listenPort = 0;
    m_config.dataDir = m_dir->path();
    m_config.database =
        QStringLiteral("sqlite:") + m_dir->filePath(QStringLiteral("flippdeal.sqlite"));
    if (qEnvironmentVariableIsSet("FLIPPDEAL_TEST_DATABASE"))
        m_config.database = createPostgresDatabase(qEnvironmentVariable("FLIPPDEAL_TEST_DATABASE"));
    m_config.appId = QStringLiteral("test-app");
    m_config.appKey = QStringLiteral("test-key");
    m_config.appSecret = "test-secret-0123456789";
    // Every test connects from 127.0.0.1, and suites register more users a minute than one
    // client address may; the tests of the throttle set it (tst_accounts).
    m_config.authAttemptsPerIp = 100000;
    // WebSocket I/O on two threads of its own, whatever the machine has; tst_gateway_inloop
    // runs the gateway suite again with the I/O on the event loop (FLIPPDEAL_TEST_IO_THREADS=1).
    m_config.ioThreads = qEnvironmentVariableIsSet("FLIPPDEAL_TEST_IO_THREADS")
                             ? qEnvironmentVariableIntValue("FLIPPDEAL_TEST_IO_THREADS")
                             : 2;
    if (testsRunOverTls()) {
        m_config.tlsCertificateFile = processCertificate().certificateFile;
        m_config.tlsKeyFile = processCertificate().keyFile;
    }
    if (tweak)
        tweak(m_config);
    start();
}

TestServer::~TestServer()
{
    m_app.reset();
    if (!m_postgresDatabase.isEmpty())
        adminExec(
            QStringLiteral("DROP DATABASE IF EXISTS %1 WITH (FORCE)").arg(m_postgresDatabase));
}

bool TestServer::adminExec(const QString &sql)
{
    return postgresAdminExec(m_postgresAdmin, sql);
}

QString TestServer::createPostgresDatabase(const QString &adminUrl)
{
    // Each TestServer gets a database of its own, so tests never see each other's rows.
    const auto parsed = server::DatabaseUrl::parse(adminUrl);
    if (!parsed || parsed->driver != server::DatabaseUrl::Driver::Postgres)
        return adminUrl;
    m_postgresAdmin = *parsed;
    m_postgresDatabase = newPostgresDatabaseName();
    if (!adminExec(QStringLiteral("CREATE DATABASE %1").arg(m_postgresDatabase)))
        qFatal("cannot create the test database on %s", qPrintable(parsed->host));
    return QStringLiteral("postgres://%1@%2:%3/%4")
        .arg(parsed->user, parsed->host)
        .arg(parsed->port)
        .arg(m_postgresDatabase);
}

bool TestServer::start()
{
    if (m_app)
        return true; // already running
    m_app = std::make_unique<server::ServerApp>(m_config);
    if (!m_app->open() || !m_app->listen()) {
        m_error = m_app->errorString();
        m_app.reset();
        return false;
    }
    m_config.listenPort = m_app->port(); // a restart comes back on the same port
    return true;
}

bool TestServer::stop()
{
    if (m_app) {
        QSignalSpy stopped(m_app.get(), &server::ServerApp::stopped);
        m_app->shutdown();
        if (stopped.isEmpty() && !stopped.wait(5000))
            return false;
        m_app.reset();
    }
    return true;
}

bool TestServer::restart()
{
    return stop() && start();
}

quint16 TestServer::port() const
{
    return m_app ? m_app->port() : 0;
}

QUrl TestServer::url(const QString &pathAndQuery) const
{
    return QUrl(QStringLiteral("%1://127.0.0.1:%2%3")
                    .arg(m_config.tlsEnabled() ? QLatin1String("https") : QLatin1String("http"))
                    .arg(m_config.listenPort)
                    .arg(pathAndQuery));
}

QUrl TestServer::webSocketUrl(const QString &key) const
{
    return QUrl(QStringLiteral("%1://127.0.0.1:%2/app/%3?protocol=7&client=qt-test&version=1.0")
                    .arg(m_config.tlsEnabled() ? QLatin1String("wss") : QLatin1String("ws"))
                    .arg(m_config.listenPort)
                    .arg(key.isEmpty() ? m_config.appKey : key));
}

Reply TestServer::request(const QByteArray &method, const QString &path, const QByteArray &token,
                          const QByteArray &body, const QByteArray &contentType)
{
    QNetworkRequest request(url(path));
    if (!token.isEmpty())
        request.setRawHeader("Authorization", "Bearer " + token);
    if (!body.isEmpty() || method == "POST" || method == "PATCH")
        request.setHeader(QNetworkRequest::ContentTypeHeader, contentType);
    QNetworkReply *reply = m_network.sendCustomRequest(request, method, body);
    waitForFinished(reply, 15000);
    const Reply result = toReply(reply);
    reply->deleteLater();
    return result;
}

Reply TestServer::post(const QString &path, const QJsonObject &body, const QByteArray &token)
{
    return request("POST", path, token, QJsonDocument(body).toJson(QJsonDocument::Compact));
}

Reply TestServer::patch(const QString &path, const QByteArray &token)
{
    return request("PATCH", path, token);
}

Session TestServer::registerUser(const QString &name)
{
    const QString email =
        QStringLiteral("%1.%2@test.flippdeal.test").arg(name.toLower()).arg(++m_userCounter);
    const Reply reply =
        post(QStringLiteral("/api/register"),
             {{QLatin1String("name"), name},
              {QLatin1String("email"), email},
              {QLatin1String("password"), QStringLiteral("correct horse battery")}});
    return sessionOf(reply);
}

FreshDatabase::FreshDatabase()
{
    if (!m_dir.isValid())
        return;
    if (!qEnvironmentVariableIsSet("FLIPPDEAL_TEST_DATABASE")) {
        m_url = QStringLiteral("sqlite:") + m_dir.filePath(QStringLiteral("flippdeal.sqlite"));
        return;
    }
    const auto parsed = server::DatabaseUrl::parse(qEnvironmentVariable("FLIPPDEAL_TEST_DATABASE"));
    if (!parsed || parsed->driver != server::DatabaseUrl::Driver::Postgres) {
        qWarning() << "FLIPPDEAL_TEST_DATABASE is not a postgres:// URL";
        return;
    }
    m_postgresAdmin = *parsed;
    const QString name = newPostgresDatabaseName();
    if (!postgresAdminExec(m_postgresAdmin, QStringLiteral("CREATE DATABASE %1").arg(name)))
        return;
    m_postgresDatabase = name;
    m_url = postgresUrl(m_postgresAdmin, name);
}

FreshDatabase::~FreshDatabase()
{
    if (!m_postgresDatabase.isEmpty())
        postgresAdminExec(
            m_postgresAdmin,
            QStringLiteral("DROP DATABASE IF EXISTS %1 WITH (FORCE)").arg(m_postgresDatabase));
}

TestSocket::TestSocket(const QUrl &url)
{
    connect(&m_socket, &QWebSocket::textMessageReceived, this, [this](const QString &text) {
        const QJsonObject frame = QJsonDocument::fromJson(text.toUtf8()).object();
        if (frame.value(QLatin1String("event")).toString() ==
            QLatin1String("pusher:connection_established"))
            m_socketId = frameData(frame).value(QLatin1String("socket_id")).toString();
        m_frames.append(frame);
    });
    connect(&m_socket, &QWebSocket::disconnected, this, [this] {
        m_closed = true;
        m_closeCode = m_socket.closeCode();
    });
    m_socket.open(url);
}

TestSocket::~TestSocket()
{
    m_socket.abort();
}

bool TestSocket::waitConnected(int timeoutMs)
{
    return waitUntil([this] { return !m_socketId.isEmpty() || m_closed; }, timeoutMs) &&
           !m_socketId.isEmpty();
}

bool TestSocket::waitClosed(int timeoutMs)
{
    return waitUntil([this] { return m_closed; }, timeoutMs);
}

void TestSocket::send(const QJsonObject &frame)
{
    sendText(QString::fromUtf8(QJsonDocument(frame).toJson(QJsonDocument::Compact)));
}

void TestSocket::sendText(const QString &text)
{
    m_socket.sendTextMessage(text);
}

std::optional<QJsonObject> TestSocket::waitFor(const QString &event, const QString &channel,
                                               int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    for (;;) {
        for (qsizetype i = m_consumed; i < m_frames.size(); ++i) {
            const QJsonObject &frame = m_frames.at(i);
            if (frame.value(QLatin1String("event")).toString() == event &&
                (channel.isEmpty() ||
                 frame.value(QLatin1String("channel")).toString() == channel)) {
                m_consumed = i + 1;
                return frame;
            }
        }
        if (timer.elapsed() > timeoutMs || m_closed)
            return std::nullopt;
        QTest::qWait(10);
    }
}

bool TestSocket::receivesWithin(const QString &event, const QString &channel, int ms)
{
    return waitFor(event, channel, ms).has_value();
}

std::optional<QJsonObject> TestSocket::subscribe(const QString &channel, const QString &auth,
                                                 const QString &channelData)
{
    send(protocol::subscribeFrame(channel, auth, channelData));
    return waitFor(QStringLiteral("pusher_internal:subscription_succeeded"), channel, 3000);
}

std::optional<QJsonObject>
TestSocket::subscribeAuthorized(TestServer &server, const Session &session, const QString &channel)
{
    const Reply auth = server.post(
        QStringLiteral("/broadcasting/auth"),
        {{QLatin1String("socket_id"), m_socketId}, {QLatin1String("channel_name"), channel}},
        session.token);
    if (auth.status != 200)
        return std::nullopt;
    return subscribe(channel, auth.json.value(QLatin1String("auth")).toString(),
                     auth.json.value(QLatin1String("channel_data")).toString());
}

QJsonObject frameData(const QJsonObject &frame)
{
    const QJsonValue data = frame.value(QLatin1String("data"));
    if (data.isObject())
        return data.toObject();
    return QJsonDocument::fromJson(data.toString().toUtf8()).object();
}

} // namespace flippdeal::testing
