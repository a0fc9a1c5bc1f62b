// SPDX-License-Identifier: MIT
#pragma once

#include "app/serverapp.h"
#include "core/config.h"

#include "protocol/types.h"

#include <QJsonObject>
#include <QList>
#include <QNetworkAccessManager>
#include <QSslCertificate>
#include <QTemporaryDir>
#include <QUrl>
#include <QWebSocket>

#include <functional>
#include <memory>
#include <optional>

namespace flippdeal::testing {

//! \brief An HTTP answer as tests see it.
struct Reply
{
    int status = 0;
    QByteArray body;
    QJsonObject json;
    QList<QPair<QByteArray, QByteArray>> headers;
    QByteArray header(const QByteArray &name) const;
};

//! \brief A signed-in test user.
struct Session
{
    protocol::User user;
    QByteArray token;
};

//! \brief A real flippdeal-server node in this process: a fresh SQLite file in a temporary
//! folder, listening on 127.0.0.1 port 0. `tweak` adjusts the configuration first; with
//! `tlsCertificateFile`/`tlsKeyFile` set, url() and webSocketUrl() are https:// and wss://
//! (the test process must trust the certificate, e.g. through
//! QSslConfiguration::setDefaultConfiguration).
class TestServer
{
public:
    explicit TestServer(const std::function<void(server::Config &)> &tweak = {});
    ~TestServer();

    bool isRunning() const { return m_app != nullptr; }
    QString errorString() const { return m_error; }
    quint16 port() const;
    QUrl url(const QString &pathAndQuery) const;
    QUrl webSocketUrl(const QString &key = {}) const;
    server::ServerApp &app() { return *m_app; }
    const server::Config &config() const { return m_config; }

    //! Sends a request and waits (event loop running) for the answer.
    Reply request(const QByteArray &method, const QString &path, const QByteArray &token = {},
                  const QByteArray &body = {}, const QByteArray &contentType = "application/json");
    Reply get(const QString &path, const QByteArray &token = {})
    {
        return request("GET", path, token);
    }
    Reply post(const QString &path, const QJsonObject &body, const QByteArray &token = {});
    Reply patch(const QString &path, const QByteArray &token);

    //! Registers `name` (email derived from it); fails the calling test on error.
    Session registerUser(const QString &name);

    //! Stops and starts the node on the same database file and port (as after a restart).
    bool restart();
    //! Shuts the node down (WebSockets closed, port released); the database is kept.
    bool stop();
    //! Starts the node again after stop(), on the same database and port.
    bool start();

    //! Whether the tests run against PostgreSQL (FLIPPDEAL_TEST_DATABASE) rather than SQLite.
    bool isPostgres() const { return !m_postgresDatabase.isEmpty(); }

private:
    QString createPostgresDatabase(const QString &adminUrl);
    bool adminExec(const QString &sql);

    server::DatabaseUrl m_postgresAdmin;
    QString m_postgresDatabase;

    std::unique_ptr<QTemporaryDir> m_dir;
    server::Config m_config;
    std::unique_ptr<server::ServerApp> m_app;
    QNetworkAccessManager m_network;
    QString m_error;
    int m_userCounter = 0;
};

//! \brief A database of its own for tests that run `flippdeal-server` as a child process: a
//! SQLite file in a temporary folder, or, when FLIPPDEAL_TEST_DATABASE names a PostgreSQL admin
//! URL, a new PostgreSQL database that is dropped again (WITH FORCE) on destruction.
class FreshDatabase
{
public:
    FreshDatabase();
    ~FreshDatabase();
    FreshDatabase(const FreshDatabase &) = delete;
    FreshDatabase &operator=(const FreshDatabase &) = delete;

    bool isValid() const { return !m_url.isEmpty(); }
    //! `sqlite:PATH` or `postgres://user@host:port/name`, as `--database` takes it.
    QString url() const { return m_url; }
    bool isPostgres() const { return !m_postgresDatabase.isEmpty(); }
    //! A temporary folder that lives as long as this object (for `--data-dir` and the like).
    QString folder() const { return m_dir.path(); }

private:
    QTemporaryDir m_dir;
    server::DatabaseUrl m_postgresAdmin;
    QString m_postgresDatabase;
    QString m_url;
};

//! \brief A Pusher protocol client on QWebSocket that records every frame it receives.
class TestSocket : public QObject
{
    Q_OBJECT

public:
    explicit TestSocket(const QUrl &url);
    ~TestSocket() override;

    //! Waits for pusher:connection_established; false on timeout.
    bool waitConnected(int timeoutMs = 5000);
    QString socketId() const { return m_socketId; }
    QWebSocket &socket() { return m_socket; }

    void send(const QJsonObject &frame);
    void sendText(const QString &text);

    //! The first frame received after `fromIndex` matching event (and channel if given).
    std::optional<QJsonObject> waitFor(const QString &event, const QString &channel = {},
                                       int timeoutMs = 5000);
    //! Whether such a frame arrives within `ms` (for checking that something does NOT arrive).
    bool receivesWithin(const QString &event, const QString &channel, int ms);
    //! Subscribes and waits for subscription_succeeded (or an error frame).
    std::optional<QJsonObject> subscribe(const QString &channel, const QString &auth = {},
                                         const QString &channelData = {});
    //! Asks the server's /broadcasting/auth as `session`, then subscribes.
    std::optional<QJsonObject> subscribeAuthorized(TestServer &server, const Session &session,
                                                   const QString &channel);
    //! Forgets frames received so far.
    void clearFrames() { m_frames.clear(); }
    const QList<QJsonObject> &frames() const { return m_frames; }
    bool isClosed() const { return m_closed; }
    int closeCode() const { return m_closeCode; }
    bool waitClosed(int timeoutMs = 5000);

private:
    QWebSocket m_socket;
    QList<QJsonObject> m_frames;
    qsizetype m_consumed = 0;
    QString m_socketId;
    bool m_closed = false;
    int m_closeCode = 0;
};

//! \brief A self-signed certificate and its key, as PEM files.
struct TestCertificate
{
    QString certificateFile;
    QString keyFile;
    QSslCertificate certificate;
    bool isValid() const { return !certificate.isNull(); }
};

//! Makes a self-signed certificate for `commonName` (also its subjectAltName, as an IP address
//! when it is one) with the `openssl` command, as `<name>-cert.pem` and `<name>-key.pem` in
//! `folder`; `keyType` is what `openssl req -newkey` takes (`rsa:2048`, `ec`). Invalid (and a
//! warning) on failure.
TestCertificate makeSelfSignedCertificate(const QString &folder, const QString &name,
                                          const QString &commonName = QStringLiteral("127.0.0.1"),
                                          const QString &keyType = QStringLiteral("rsa:2048"));

//! Adds `certificate` to the CA certificates of this process's default QSslConfiguration, which
//! QNetworkAccessManager and QWebSocket use unless told otherwise.
void trustInThisProcess(const QSslCertificate &certificate);

//! With FLIPPDEAL_TEST_TLS set, every TestServer serves HTTPS and WSS with one self-signed
//! certificate that the process trusts (so a suite can run a second time over TLS).
bool testsRunOverTls();

//! Runs the event loop until `condition` holds; false after `timeoutMs`.
bool waitUntil(const std::function<bool()> &condition, int timeoutMs);

//! Decodes a frame's `data` (a JSON string) into an object.
QJsonObject frameData(const QJsonObject &frame);

} // namespace flippdeal::testing
