// SPDX-License-Identifier: MIT
#pragma once

#include <QJsonObject>
#include <QList>
#include <QNetworkAccessManager>
#include <QObject>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslError>
#include <QUrl>

#include <functional>

namespace flippdeal::client {

//! \brief The outcome of one REST call: the HTTP status (0 when the server was unreachable),
//! the JSON body, and a readable error for anything that is not 2xx.
struct ApiResult
{
    int status = 0;
    QJsonObject json;
    QString errorString;

    bool ok() const { return status >= 200 && status < 300; }
    //! What to tell the user: the first field error of a 422 (`errors`), else errorString.
    QString reason() const;
};

//! \brief The REST API of the contract (docs/api.md) for the desktop client and the admin
//! console: one base URL, one bearer token, asynchronous calls with a callback.
class ApiClient : public QObject
{
    Q_OBJECT
    Q_PROPERTY(QUrl baseUrl READ baseUrl WRITE setBaseUrl NOTIFY baseUrlChanged)

public:
    using Callback = std::function<void(const ApiResult &)>;

    explicit ApiClient(QObject *parent = nullptr);

    QUrl baseUrl() const { return m_baseUrl; }
    void setBaseUrl(const QUrl &url);
    QByteArray token() const { return m_token; }
    void setToken(const QByteArray &token) { m_token = token; }

    //! Certificate authorities to trust besides the system's, for an `https://` server with a
    //! self-signed or private-CA certificate (and for tests). They apply to the REST calls and
    //! to the RealtimeClient's socket. Certificate errors are never ignored.
    void setCaCertificates(const QList<QSslCertificate> &certificates)
    {
        m_caCertificates = certificates;
    }
    QList<QSslCertificate> caCertificates() const { return m_caCertificates; }
    //! The TLS settings of every connection: Qt's default plus caCertificates().
    QSslConfiguration sslConfiguration() const;
    //! "The server's certificate is not trusted (self-signed certificate): HOST" for the
    //! certificate errors of a TLS handshake; empty when there are none.
    static QString certificateErrorString(const QList<QSslError> &errors, const QString &host);

    //! A request relative to the base URL; `body` is sent as JSON when not empty.
    void request(const QByteArray &method, const QString &pathAndQuery, const QJsonObject &body,
                 Callback done)
    {
        request(nullptr, method, pathAndQuery, body, std::move(done));
    }
    void get(const QString &pathAndQuery, Callback done)
    {
        request(nullptr, "GET", pathAndQuery, {}, std::move(done));
    }
    //! The same for a caller that may be gone before the answer (a user's model, destroyed at
    //! sign-out): `done` is not called once `context` is destroyed.
    void request(const QObject *context, const QByteArray &method, const QString &pathAndQuery,
                 const QJsonObject &body, Callback done);
    void get(const QObject *context, const QString &pathAndQuery, Callback done)
    {
        request(context, "GET", pathAndQuery, {}, std::move(done));
    }

    //! POST /broadcasting/auth for a private or presence channel.
    void authorizeChannel(const QString &socketId, const QString &channel, Callback done);
    //! GET /api/channels/{channel}/events?after=&limit=
    void history(const QString &channel, qint64 afterSeq, int limit, Callback done);

Q_SIGNALS:
    void baseUrlChanged();
    //! A call came back 401: the token is no longer valid.
    void unauthorized();

private:
    QNetworkAccessManager m_network;
    QUrl m_baseUrl;
    QByteArray m_token;
    QList<QSslCertificate> m_caCertificates;
};

} // namespace flippdeal::client
