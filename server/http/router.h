// SPDX-License-Identifier: MIT
#pragma once

#include "http/httptypes.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <functional>

namespace flippdeal::server {

//! \brief Maps method + path pattern (`/api/messages/{id}/read`) to handlers. Answers 404 for
//! unknown paths, 405 for known paths with another method, and 401 on routes that need a
//! signed-in user when the bearer token is missing or not valid.
class Router
{
public:
    enum class Access
    {
        Public,
        User
    };
    using Handler = std::function<HandlerResult(HttpRequest &)>;
    //! The user of a bearer token, or the 401 (or 500) to answer.
    using Authenticator = std::function<Expected<protocol::User>(const QByteArray &token)>;

    void setAuthenticator(Authenticator authenticator)
    {
        m_authenticate = std::move(authenticator);
    }
    void add(const QByteArray &method, const QString &pattern, Access access, Handler handler);

    HandlerResult dispatch(HttpRequest &request) const;

private:
    struct Route
    {
        QByteArray method;
        QString pattern;
        QStringList segments;
        Access access;
        Handler handler;
    };
    static bool match(const Route &route, const QStringList &segments, HttpRequest &request);

    QList<Route> m_routes;
    Authenticator m_authenticate;
};

} // namespace flippdeal::server
