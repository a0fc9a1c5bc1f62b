// SPDX-License-Identifier: MIT
#include "http/httptypes.h"

#include "protocol/frame.h"

#include <QJsonDocument>
#include <QJsonParseError>

namespace flippdeal::server {

QByteArray HttpRequest::header(const QByteArray &lowerCaseName) const
{
    for (const auto &[name, value] : headers) {
        if (name == lowerCaseName)
            return value;
    }
    return {};
}

QString HttpRequest::queryValue(const QString &key, const QString &fallback) const
{
    for (const auto &[name, value] : query) {
        if (name == key)
            return value;
    }
    return fallback;
}

bool HttpRequest::hasQuery(const QString &key) const
{
    for (const auto &pair : query) {
        if (pair.first == key)
            return true;
    }
    return false;
}

QByteArray HttpRequest::bearerToken() const
{
    const QByteArray value = header("authorization").trimmed();
    if (value.size() > 7 && value.first(7).compare("bearer ", Qt::CaseInsensitive) == 0)
        return value.mid(7).trimmed();
    return {};
}

Expected<QJsonObject> HttpRequest::bodyObject() const
{
    const QByteArray type = header("content-type").toLower();
    if (type.startsWith("application/x-www-form-urlencoded")) {
        QJsonObject fields;
        const QUrlQuery form(QString::fromUtf8(QByteArray(body).replace('+', ' ')));
        for (const auto &[key, value] : form.queryItems(QUrl::FullyDecoded))
            fields.insert(key, value);
        return fields;
    }
    if (body.trimmed().isEmpty())
        return ApiError::badRequest(QStringLiteral("The request body must be a JSON object."));
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(body, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return ApiError::badRequest(
            QStringLiteral("Malformed JSON body: %1.").arg(parseError.errorString()));
    if (!doc.isObject())
        return ApiError::badRequest(QStringLiteral("The request body must be a JSON object."));
    return doc.object();
}

std::optional<qint64> HttpRequest::idParam(const QString &name) const
{
    bool ok = false;
    const qint64 id = params.value(name).toLongLong(&ok);
    if (!ok || id <= 0)
        return std::nullopt;
    return id;
}

HttpResponse HttpResponse::json(int status, const QJsonObject &object)
{
    return HttpResponse{status, "application/json", protocol::toJson(object), {}};
}

HttpResponse HttpResponse::error(const ApiError &error)
{
    HttpResponse response = json(error.status, error.toJson());
    if (error.retryAfterSeconds > 0)
        response.headers.emplace_back("Retry-After", QByteArray::number(error.retryAfterSeconds));
    return response;
}

HttpResponse HttpResponse::noContent()
{
    return HttpResponse{204, {}, {}, {}};
}

HttpResponse HttpResponse::text(int status, const QByteArray &contentType, const QByteArray &body)
{
    return HttpResponse{status, contentType, body, {}};
}

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 101:
        return "Switching Protocols";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 204:
        return "No Content";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 411:
        return "Length Required";
    case 413:
        return "Payload Too Large";
    case 422:
        return "Unprocessable Entity";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Unknown";
    }
}

} // namespace flippdeal::server
