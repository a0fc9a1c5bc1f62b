// SPDX-License-Identifier: MIT
#pragma once

#include "core/result.h"

#include "protocol/types.h"

#include <QByteArray>
#include <QFuture>
#include <QHash>
#include <QHostAddress>
#include <QJsonObject>
#include <QList>
#include <QPair>
#include <QString>
#include <QUrlQuery>

#include <optional>
#include <variant>

namespace flippdeal::server {

//! \brief One parsed HTTP/1.1 request.
struct HttpRequest
{
    QByteArray method;                            //!< upper case
    QString path;                                 //!< percent-decoded, without the query
    QString rawPath;                              //!< as sent, for signature checks
    QList<QPair<QString, QString>> query;         //!< decoded, in order
    QList<QPair<QByteArray, QByteArray>> headers; //!< names lower-cased
    QByteArray body;
    QHostAddress peer;

    QHash<QString, QString> params;     //!< route parameters, e.g. {id}
    std::optional<protocol::User> user; //!< set by the router on authenticated routes
    QString route;                      //!< the matched pattern, for metrics and logs

    QByteArray header(const QByteArray &lowerCaseName) const;
    QString queryValue(const QString &key, const QString &fallback = {}) const;
    bool hasQuery(const QString &key) const;
    //! The bearer token from `Authorization`, empty when absent.
    QByteArray bearerToken() const;
    //! The body as a JSON object, or form fields as strings when form-encoded.
    Expected<QJsonObject> bodyObject() const;
    //! A positive integer route parameter, or std::nullopt (see idOr404()).
    std::optional<qint64> idParam(const QString &name) const;
};

//! \brief A complete response; the server adds Content-Length, Connection and CORS headers.
struct HttpResponse
{
    int status = 200;
    QByteArray contentType = "application/json";
    QByteArray body;
    QList<QPair<QByteArray, QByteArray>> headers;

    static HttpResponse json(int status, const QJsonObject &object);
    static HttpResponse error(const ApiError &error);
    static HttpResponse noContent();
    static HttpResponse text(int status, const QByteArray &contentType, const QByteArray &body);
};

//! A handler answers now, or later through a future (slow work such as password hashing).
using HandlerResult = std::variant<HttpResponse, QFuture<HttpResponse>>;

//! \brief Standard reason phrase of a status code.
QByteArray reasonPhrase(int status);

} // namespace flippdeal::server
