// SPDX-License-Identifier: MIT
#include "auth/accountroutes.h"

#include "auth/accountservice.h"
#include "auth/channelauthorizer.h"

#include "protocol/timeformat.h"

namespace flippdeal::server {

namespace {

QFuture<HttpResponse> sessionResponse(QFuture<Expected<AuthSession>> future, int status)
{
    return future.then([status](const Expected<AuthSession> &session) {
        if (!session)
            return HttpResponse::error(session.error());
        return HttpResponse::json(status,
                                  {{QLatin1String("user"), session->user.toJson()},
                                   {QLatin1String("token"), QString::fromLatin1(session->token)}});
    });
}

QString stringField(const QJsonObject &body, const char *name)
{
    const QJsonValue value = body.value(QLatin1String(name));
    return value.isString() ? value.toString() : QString();
}

HandlerResult registerUser(const HttpRequest &request, AccountService &accounts)
{
    const auto body = request.bodyObject();
    if (!body)
        return HttpResponse::error(body.error());
    return sessionResponse(accounts.registerUser(stringField(*body, "name"),
                                                 stringField(*body, "email"),
                                                 stringField(*body, "password"), request.peer),
                           201);
}

HandlerResult login(const HttpRequest &request, AccountService &accounts)
{
    const auto body = request.bodyObject();
    if (!body)
        return HttpResponse::error(body.error());
    const QString email = stringField(*body, "email");
    const QString password = stringField(*body, "password");
    if (email.isEmpty() || password.isEmpty()) {
        ApiError error =
            ApiError::unprocessable(QStringLiteral("The email and password fields are required."));
        if (email.isEmpty())
            error.addFieldError(QStringLiteral("email"),
                                QStringLiteral("The email field is required."));
        if (password.isEmpty())
            error.addFieldError(QStringLiteral("password"),
                                QStringLiteral("The password field is required."));
        return HttpResponse::error(error);
    }
    return sessionResponse(accounts.login(email, password, request.peer), 200);
}

HandlerResult logout(const HttpRequest &request, AccountService &accounts)
{
    return accounts.logout(request.bearerToken()).then([](const Expected<bool> &revoked) {
        return revoked ? HttpResponse::noContent() : HttpResponse::error(revoked.error());
    });
}

HandlerResult me(const HttpRequest &request)
{
    return HttpResponse::json(200, {{QLatin1String("user"), request.user->toJson()}});
}

HandlerResult authorizeChannel(const HttpRequest &request, ChannelAuthorizer &channels)
{
    const auto body = request.bodyObject();
    if (!body)
        return HttpResponse::error(body.error());
    const QString socketId = stringField(*body, "socket_id");
    const QString channel = stringField(*body, "channel_name");
    const auto result = channels.authorize(*request.user, socketId, channel, protocol::nowMs());
    if (!result)
        return HttpResponse::error(result.error());
    channels.noteGrant(socketId, channel, *request.user, request.bearerToken());
    return HttpResponse::json(200, *result);
}

//! pusher-js `signin()`: the user's identity for `pusher:signin`.
HandlerResult authenticateUser(const HttpRequest &request, ChannelAuthorizer &channels)
{
    const auto body = request.bodyObject();
    if (!body)
        return HttpResponse::error(body.error());
    const QString socketId = stringField(*body, "socket_id");
    const auto result = channels.authenticateUser(*request.user, socketId);
    if (!result)
        return HttpResponse::error(result.error());
    channels.noteGrant(socketId, {}, *request.user, request.bearerToken());
    return HttpResponse::json(200, *result);
}

} // namespace

QList<Route> accountRoutes(AccountService &accounts, ChannelAuthorizer &channels)
{
    using enum Router::Access;
    return {
        {"POST", QStringLiteral("/api/register"), Public, bindRoute(registerUser, accounts)},
        {"POST", QStringLiteral("/api/login"), Public, bindRoute(login, accounts)},
        {"POST", QStringLiteral("/api/logout"), User, bindRoute(logout, accounts)},
        {"GET", QStringLiteral("/api/me"), User, bindRoute(me)},
        {"POST", QStringLiteral("/broadcasting/auth"), User, bindRoute(authorizeChannel, channels)},
        {"POST", QStringLiteral("/broadcasting/user-auth"), User,
         bindRoute(authenticateUser, channels)},
    };
}

} // namespace flippdeal::server
