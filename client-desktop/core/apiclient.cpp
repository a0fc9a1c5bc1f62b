// SPDX-License-Identifier: MIT
#include "apiclient.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkReply>
#include <QPointer>
#include <QUrlQuery>

namespace flippdeal::client {

QString ApiResult::reason() const
{
    const QJsonObject errors = json.value(QLatin1String("errors")).toObject();
    for (auto it = errors.begin(); it != errors.end(); ++it) {
        const QJsonArray list = it.value().toArray();
        if (!list.isEmpty())
            return list.first().toString(errorString);
    }
    return errorString;
}

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

void ApiClient::request(const QObject *context, const QByteArray &method,
                        const QString &pathAndQuery, const QJsonObject &body, Callback done)
{
    QUrl url = m_baseUrl.resolved(QUrl(pathAndQuery));
    QNetworkRequest request(url);
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                         QNetworkRequest::NoLessSafeRedirectPolicy);
    request.setRawHeader("Accept", "application/json");
    if (!m_token.isEmpty())
        request.setRawHeader("Authorization", "Bearer " + m_token);
    if (!m_caCertificates.isEmpty())
        request.setSslConfiguration(sslConfiguration());
    QByteArray payload;
    if (!body.isEmpty() || method == "POST" || method == "PATCH") {
        request.setHeader(QNetworkRequest::ContentTypeHeader,
                          QByteArrayLiteral("application/json"));
        payload = QJsonDocument(body).toJson(QJsonDocument::Compact);
    }
    QNetworkReply *reply = m_network.sendCustomRequest(request, method, payload);
    // Not ignored, so the request fails; the reason is kept for a readable error.
    connect(reply, &QNetworkReply::sslErrors, reply, [reply](const QList<QSslError> &errors) {
        reply->setProperty("certificateError", certificateErrorString(errors, reply->url().host()));
    });
    connect(reply, &QNetworkReply::finished, this,
            [this, reply, done = std::move(done), guarded = context != nullptr,
             guard = QPointer<const QObject>(context)] {
                reply->deleteLater();
                ApiResult result;
                result.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
                result.json = QJsonDocument::fromJson(reply->readAll()).object();
                if (result.status == 0) {
                    result.errorString = reply->property("certificateError").toString();
                    if (result.errorString.isEmpty())
                        result.errorString = reply->errorString();
                } else if (!result.ok()) {
                    result.errorString =
                        result.json.value(QLatin1String("message"))
                            .toString(QStringLiteral("The server answered %1.").arg(result.status));
                }
                // The caller's answer first: a 401 signs out, which destroys the user's models.
                if (done && (!guarded || guard))
                    done(result);
                if (result.status == 401)
                    Q_EMIT unauthorized();
            });
}

QSslConfiguration ApiClient::sslConfiguration() const
{
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    if (!m_caCertificates.isEmpty())
        configuration.addCaCertificates(m_caCertificates);
    return configuration;
}

QString ApiClient::certificateErrorString(const QList<QSslError> &errors, const QString &host)
{
    QStringList reasons;
    for (const QSslError &error : errors) {
        QString reason;
        switch (error.error()) {
        case QSslError::SelfSignedCertificate:
        case QSslError::SelfSignedCertificateInChain:
            reason = tr("self-signed certificate");
            break;
        case QSslError::UnableToGetLocalIssuerCertificate:
        case QSslError::UnableToGetIssuerCertificate:
        case QSslError::UnableToVerifyFirstCertificate:
        case QSslError::CertificateUntrusted:
        case QSslError::InvalidCaCertificate:
            reason = tr("issued by an unknown authority");
            break;
        case QSslError::CertificateExpired:
            reason = tr("expired");
            break;
        case QSslError::CertificateNotYetValid:
            reason = tr("not valid yet");
            break;
        case QSslError::HostNameMismatch:
            reason = tr("issued for another host name");
            break;
        case QSslError::CertificateRevoked:
            reason = tr("revoked");
            break;
        default:
            reason = error.errorString();
            break;
        }
        if (!reasons.contains(reason))
            reasons.append(reason);
    }
    if (reasons.isEmpty())
        return {};
    return tr("The server's certificate is not trusted (%1): %2")
        .arg(reasons.join(QStringLiteral(", ")), host);
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
