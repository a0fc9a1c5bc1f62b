// SPDX-License-Identifier: MIT
#include "apiclient.h"

#include <QJsonDocument>
#include <QNetworkReply>
#include <QUrlQuery>

namespace flippdeal::client {

ApiClient::ApiClient(QObject *parent)
    : QObject(parent)
{}

void ApiClient::setBaseUrl(const QUrl &url)
{
    if (url == m_baseUrl)
        return;
    m_baseUrl = url;
    Q_EMIT baseUrlChanged();
}

void ApiClient::request(const QByteArray &method, const QString &pathAndQuery,
                        const QJsonObject &body, Callback done)
{
    QUrl url = m_baseUrl.resolved(QUrl(pathAndQuery));
    QNetworkRequest request(url);
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                         QNetworkRequest::NoLessSafeRedirectPolicy);
    request.setRawHeader("Accept", "application/json");
    if (!m_token.isEmpty())
        request.setRawHeader("Authorization", "Bearer " + m_token);
    QByteArray payload;
    if (!body.isEmpty() || method == "POST" || method == "PATCH") {
        request.setHeader(QNetworkRequest::ContentTypeHeader,
                          QByteArrayLiteral("application/json"));
        payload = QJsonDocument(body).toJson(QJsonDocument::Compact);
    }
    QNetworkReply *reply = m_network.sendCustomRequest(request, method, payload);
    connect(reply, &QNetworkReply::finished, this, [this, reply, done = std::move(done)] {
        reply->deleteLater();
        ApiResult result;
        result.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        result.json = QJsonDocument::fromJson(reply->readAll()).object();
        if (result.status == 0)
            result.errorString = reply->errorString();
        else if (!result.ok())
            result.errorString =
                result.json.value(QLatin1String("message"))
                    .toString(QStringLiteral("The server answered %1.").arg(result.status));
        if (result.status == 401)
            Q_EMIT unauthorized();
        if (done)
            done(result);
    });
}

void ApiClient::authorizeChannel(const QString &socketId, const QString &channel, Callback done)
{
    request("POST", QStringLiteral("/broadcasting/auth"),
            {{QLatin1String("socket_id"), socketId}, {QLatin1String("channel_name"), channel}},
            std::move(done));
}

void ApiClient::history(const QString &channel, qint64 afterSeq, int limit, Callback done)
{
    QUrlQuery query;
    query.addQueryItem(QStringLiteral("after"), QString::number(afterSeq));
    query.addQueryItem(QStringLiteral("limit"), QString::number(limit));
    get(QStringLiteral("/api/channels/%1/events?%2")
            .arg(channel, query.toString(QUrl::FullyEncoded)),
        std::move(done));
}

} // namespace flippdeal::client
