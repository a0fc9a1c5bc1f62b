// SPDX-License-Identifier: MIT
#include "http/requesthelpers.h"

#include "http/jsonfields.h"

namespace flippdeal::server {

Expected<qint64> idOr404(const HttpRequest &request, const QString &what, const QString &param)
{
    const auto id = request.idParam(param);
    if (!id)
        return ApiError::notFound(QStringLiteral("%1 not found.").arg(what));
    return *id;
}

Expected<IdAndBody> idAndBody(const HttpRequest &request, const QString &what)
{
    const auto id = idOr404(request, what);
    if (!id)
        return id.error();
    const auto body = request.bodyObject();
    if (!body)
        return body.error();
    return IdAndBody{*id, *body};
}

Expected<int> limitParam(const HttpRequest &request, int fallback, int max)
{
    const auto limit =
        fields::queryInt(request.queryValue(QStringLiteral("limit")), fallback, 1, max);
    if (!limit)
        return ApiError::validation(QStringLiteral("limit"),
                                    QStringLiteral("The limit must be from 1 to %1.").arg(max));
    return int(*limit);
}

HttpResponse respond(const Expected<QJsonObject> &result, int status)
{
    if (!result)
        return HttpResponse::error(result.error());
    return HttpResponse::json(status, *result);
}

QFuture<HttpResponse> respondLater(QFuture<Expected<QJsonObject>> result, int status)
{
    return result.then(
        [status](const Expected<QJsonObject> &object) { return respond(object, status); });
}

HttpResponse respondList(const Expected<QJsonArray> &result)
{
    if (!result)
        return HttpResponse::error(result.error());
    return HttpResponse::json(200, {{QLatin1String("data"), *result}});
}

} // namespace flippdeal::server
