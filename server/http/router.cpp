// SPDX-License-Identifier: MIT
#include "http/router.h"

#include "auth/user.h"

#include <memory>

namespace flippdeal::server {

void Router::add(const QByteArray &method, const QString &pattern, Access access, Handler handler)
{
    m_routes.append(Entry{method, pattern, pattern.split(QLatin1Char('/'), Qt::SkipEmptyParts),
                          access, std::move(handler)});
}

void Router::add(const QList<Route> &routes)
{
    for (const Route &route : routes)
        add(route.method, route.path, route.access, route.handler);
}

bool Router::match(const Entry &entry, const QStringList &segments, HttpRequest &request)
{
    if (entry.segments.size() != segments.size())
        return false;
    QHash<QString, QString> params;
    for (qsizetype i = 0; i < segments.size(); ++i) {
        const QString &expected = entry.segments.at(i);
        if (expected.startsWith(QLatin1Char('{')) && expected.endsWith(QLatin1Char('}')))
            params.insert(expected.mid(1, expected.size() - 2), segments.at(i));
        else if (expected != segments.at(i))
            return false;
    }
    request.params = std::move(params);
    return true;
}

std::optional<HttpResponse> Router::admit(Access access, HttpRequest &request) const
{
    if (access == Access::Public)
        return std::nullopt;
    const QByteArray token = request.bearerToken();
    if (token.isEmpty() || !m_authenticate)
        return HttpResponse::error(ApiError::unauthenticated());
    return admitAs(access, m_authenticate(token), request);
}

std::optional<HttpResponse> Router::admitAs(Access access, const Expected<protocol::User> &user,
                                            HttpRequest &request)
{
    if (!user)
        return HttpResponse::error(user.error());
    request.user = *user;
    if (access == Access::Admin && !isAdmin(*user))
        return HttpResponse::error(
            ApiError::forbidden(QStringLiteral("Only administrators may do this.")));
    return std::nullopt;
}

QFuture<HttpResponse> Router::dispatchLater(const Entry &route, const HttpRequest &request) const
{
    const QByteArray token = request.bearerToken();
    if (token.isEmpty())
        return QtFuture::makeReadyFuture(HttpResponse::error(ApiError::unauthenticated()));
    // The request is copied: the handler runs after this call has returned.
    return m_authenticateLater(token)
        .then([access = route.access, handler = route.handler,
               request = std::make_shared<HttpRequest>(request)](
                  const Expected<protocol::User> &user) -> QFuture<HttpResponse> {
            if (auto refusal = admitAs(access, user, *request))
                return QtFuture::makeReadyFuture(std::move(*refusal));
            HandlerResult result = handler(*request);
            if (auto *response = std::get_if<HttpResponse>(&result))
                return QtFuture::makeReadyFuture(std::move(*response));
            return std::get<QFuture<HttpResponse>>(std::move(result));
        })
        .unwrap();
}

HandlerResult Router::dispatch(HttpRequest &request) const
{
    const QStringList segments = request.path.split(QLatin1Char('/'), Qt::SkipEmptyParts);
    QList<QByteArray> allowed;
    for (const Entry &route : m_routes) {
        if (!match(route, segments, request))
            continue;
        if (route.method != request.method) {
            allowed.append(route.method);
            continue;
        }
        request.route = route.pattern;
        if (route.access != Access::Public && m_authenticateLater)
            return dispatchLater(route, request);
        if (auto refusal = admit(route.access, request))
            return *refusal;
        return route.handler(request);
    }
    if (!allowed.isEmpty()) {
        request.route = QStringLiteral("(method not allowed)");
        HttpResponse response =
            HttpResponse::error(ApiError{405,
                                         QStringLiteral("Method %1 is not allowed here.")
                                             .arg(QString::fromLatin1(request.method)),
                                         {},
                                         0});
        response.headers.emplace_back("Allow", allowed.join(", "));
        return response;
    }
    request.route = QStringLiteral("(not found)");
    return HttpResponse::error(
        ApiError::notFound(QStringLiteral("No route for %1.").arg(request.path)));
}

} // namespace flippdeal::server
