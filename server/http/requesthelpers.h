// SPDX-License-Identifier: MIT
#pragma once

//! \file The steps route handlers share: reading a request (an id or 404, paging) and turning
//! a service's Expected result into the response. The JSON body is HttpRequest::bodyObject().

#include "http/httptypes.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QLatin1String>
#include <QList>
#include <QString>

namespace flippdeal::server {

//! The route parameter `param` as a positive id, or a 404 "`what` not found.".
Expected<qint64> idOr404(const HttpRequest &request, const QString &what,
                         const QString &param = QStringLiteral("id"));

//! What a handler for `PATCH /things/{id}` reads first.
struct IdAndBody
{
    qint64 id = 0;
    QJsonObject body;
};

//! The `{id}` (or a 404 "`what` not found.") and the JSON object body (or a 400), in that order.
Expected<IdAndBody> idAndBody(const HttpRequest &request, const QString &what);

//! `?limit=` from 1 to `max`, `fallback` when absent, or a 422 naming the range.
Expected<int> limitParam(const HttpRequest &request, int fallback, int max);

//! The object with `status`, or the error.
HttpResponse respond(const Expected<QJsonObject> &result, int status = 200);

//! respond() once `result` is ready, on the thread that makes it ready: a ReadPool's answer is
//! encoded there too, not on the event loop.
QFuture<HttpResponse> respondLater(QFuture<Expected<QJsonObject>> result, int status = 200);

//! `{key: value.toJson()}` with `status`, or the error.
template <typename T>
HttpResponse respond(int status, QLatin1String key, const Expected<T> &result)
{
    if (!result)
        return HttpResponse::error(result.error());
    return HttpResponse::json(status, {{key, result->toJson()}});
}

//! respond() once `result` is ready, on the thread that makes it ready (a writer's answer: the
//! event loop's, after the commit).
template <typename T>
QFuture<HttpResponse> respondLater(int status, QLatin1String key, QFuture<Expected<T>> result)
{
    return result.then(
        [status, key](const Expected<T> &value) { return respond(status, key, value); });
}

//! `{key: value}` for a count or a flag, with `status`, or the error.
template <typename T>
HttpResponse respondValue(QLatin1String key, const Expected<T> &result, int status = 200)
{
    if (!result)
        return HttpResponse::error(result.error());
    return HttpResponse::json(status, {{key, *result}});
}

//! respondValue() once `result` is ready, on the thread that makes it ready.
template <typename T>
QFuture<HttpResponse> respondValueLater(QLatin1String key, QFuture<Expected<T>> result,
                                        int status = 200)
{
    return result.then(
        [key, status](const Expected<T> &value) { return respondValue(key, value, status); });
}

//! `{data: array}`, or the error.
HttpResponse respondList(const Expected<QJsonArray> &result);

//! `{data: [item.toJson(), …]}`, or the error.
template <typename T>
HttpResponse respondList(const Expected<QList<T>> &result)
{
    if (!result)
        return HttpResponse::error(result.error());
    QJsonArray data;
    for (const T &item : *result)
        data.append(item.toJson());
    return HttpResponse::json(200, {{QLatin1String("data"), data}});
}

//! respondList() once `result` is ready, on the thread that makes it ready (as respondLater()).
template <typename T>
QFuture<HttpResponse> respondListLater(QFuture<Expected<QList<T>>> result)
{
    return result.then([](const Expected<QList<T>> &list) { return respondList(list); });
}

} // namespace flippdeal::server
