// SPDX-License-Identifier: MIT
#pragma once

#include "http/httptypes.h"

#include <QFuture>
#include <QList>
#include <QString>
#include <QStringList>

#include <functional>
#include <optional>
#include <type_traits>

namespace flippdeal::server {

struct Route;

//! \brief Maps method + path pattern (`/api/messages/{id}/read`) to handlers. Answers 404 for
//! unknown paths, 405 for known paths with another method, 401 on routes that need a
//! signed-in user when the bearer token is missing or not valid, and 403 on admin routes for
//! everyone but administrators.
class Router
{
public:
    enum class Access
    {
        Public,
        User,
        Admin //!< a signed-in user with the role `admin`
    };
    using Handler = std::function<HandlerResult(HttpRequest &)>;
    //! The user of a bearer token, or the 401 (or 500) to answer.
    using Authenticator = std::function<Expected<protocol::User>(const QByteArray &token)>;
    //! The same, answered later, on the thread that dispatches (a lookup on a read pool).
    using AsyncAuthenticator =
        std::function<QFuture<Expected<protocol::User>>(const QByteArray &token)>;

    void setAuthenticator(Authenticator authenticator)
    {
        m_authenticate = std::move(authenticator);
    }
    //! Authenticates through `authenticator` instead: a route that needs a user is then
    //! answered by a future, and runs once the user is known.
    void setAsyncAuthenticator(AsyncAuthenticator authenticator)
    {
        m_authenticateLater = std::move(authenticator);
    }
    void add(const QByteArray &method, const QString &pattern, Access access, Handler handler);
    //! Adds a feature's route table, in its order: for a path several routes match, the order
    //! decides which one answers and the order of the methods in a 405's `Allow`.
    void add(const QList<Route> &routes);

    HandlerResult dispatch(HttpRequest &request) const;

private:
    struct Entry
    {
        QByteArray method;
        QString pattern;
        QStringList segments;
        Access access;
        Handler handler;
    };
    static bool match(const Entry &entry, const QStringList &segments, HttpRequest &request);
    //! Sets `request.user` for a route that needs one; the error response otherwise.
    std::optional<HttpResponse> admit(Access access, HttpRequest &request) const;
    //! admit() for `user`, the outcome of a lookup.
    static std::optional<HttpResponse> admitAs(Access access, const Expected<protocol::User> &user,
                                               HttpRequest &request);
    //! `route` for `request` once the asynchronous authenticator has answered.
    QFuture<HttpResponse> dispatchLater(const Entry &route, const HttpRequest &request) const;

    QList<Entry> m_routes;
    Authenticator m_authenticate;
    AsyncAuthenticator m_authenticateLater;
};

//! \brief One row of a feature's route table: `{method, path, access, handler}`.
struct Route
{
    QByteArray method;
    QString path;
    Router::Access access;
    Router::Handler handler;
};

//! The handler of a table row: calls `handler(request, services...)`. The services must
//! outlive the router.
template <typename Result, typename... Services>
Router::Handler bindRoute(Result (*handler)(const HttpRequest &, Services &...),
                          std::type_identity_t<Services> &...services)
{
    return [handler, &services...](HttpRequest &request) -> HandlerResult {
        return handler(request, services...);
    };
}

} // namespace flippdeal::server
