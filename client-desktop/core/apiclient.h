// SPDX-License-Identifier: MIT
#pragma once

#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QObject>
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

    //! A request relative to the base URL; `body` is sent as JSON when not empty.
    void request(const QByteArray &method, const QString &pathAndQuery, const QJsonObject &body,
                 Callback done);
    void get(const QString &pathAndQuery, Callback done)
    {
        request("GET", pathAndQuery, {}, std::move(done));
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
};

} // namespace flippdeal::client
