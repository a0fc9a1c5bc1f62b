// SPDX-License-Identifier: MIT
// POST /api/register, /api/login, /api/logout, GET /api/me, POST /broadcasting/auth and
// POST /broadcasting/user-auth.
#include "app/routes.h"
#include "auth/accountservice.h"
#include "auth/channelauthorizer.h"
#include "http/router.h"

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

} // namespace

void registerAccountRoutes(Router &router, AccountService &accounts, ChannelAuthorizer &channels)
{
    router.add("POST", QStringLiteral("/api/register"), Router::Access::Public,
               [&accounts](HttpRequest &request) -> HandlerResult {
                   const auto body = request.bodyObject();
                   if (!body)
                       return HttpResponse::error(body.error());
                   return sessionResponse(accounts.registerUser(stringField(*body, "name"),
                                                                stringField(*body, "email"),
                                                                stringField(*body, "password"),
                                                                request.peer),
                                          201);
               });
    router.add("POST", QStringLiteral("/api/login"), Router::Access::Public,
               [&accounts](HttpRequest &request) -> HandlerResult {
                   const auto body = request.bodyObject();
                   if (!body)
                       return HttpResponse::error(body.error());
                   const QString email = stringField(*body, "email");
                   const QString password = stringField(*body, "password");
                   if (email.isEmpty() || password.isEmpty()) {
                       ApiError error{422,
                                      QStringLiteral("The email and password fields are required."),
                                      {},
                                      0};
                       if (email.isEmpty())
                           error.errors[QStringLiteral("email")] = {
                               QStringLiteral("The email field is required.")};
                       if (password.isEmpty())
                           error.errors[QStringLiteral("password")] = {
                               QStringLiteral("The password field is required.")};
                       return HttpResponse::error(error);
                   }
                   return sessionResponse(accounts.login(email, password, request.peer), 200);
               });
    router.add("POST", QStringLiteral("/api/logout"), Router::Access::User,
               [&accounts](HttpRequest &request) -> HandlerResult {
                   accounts.logout(request.bearerToken());
                   return HttpResponse::noContent();
               });
    router.add(
        "GET", QStringLiteral("/api/me"), Router::Access::User,
        [](HttpRequest &request) -> HandlerResult {
            return HttpResponse::json(200, {{QLatin1String("user"), request.user->toJson()}});
        });
    router.add("POST", QStringLiteral("/broadcasting/auth"), Router::Access::User,
               [&channels](HttpRequest &request) -> HandlerResult {
                   const auto body = request.bodyObject();
                   if (!body)
                       return HttpResponse::error(body.error());
                   const QString socketId = stringField(*body, "socket_id");
                   const QString channel = stringField(*body, "channel_name");
                   const auto result =
                       channels.authorize(*request.user, socketId, channel, protocol::nowMs());
                   if (!result)
                       return HttpResponse::error(result.error());
                   channels.noteGrant(socketId, channel, *request.user, request.bearerToken());
                   return HttpResponse::json(200, *result);
               });
    // pusher-js `signin()`: the user's identity for `pusher:signin`.
    router.add("POST", QStringLiteral("/broadcasting/user-auth"), Router::Access::User,
               [&channels](HttpRequest &request) -> HandlerResult {
                   const auto body = request.bodyObject();
                   if (!body)
                       return HttpResponse::error(body.error());
                   const QString socketId = stringField(*body, "socket_id");
                   const auto result = channels.authenticateUser(*request.user, socketId);
                   if (!result)
                       return HttpResponse::error(result.error());
                   channels.noteGrant(socketId, {}, *request.user, request.bearerToken());
                   return HttpResponse::json(200, *result);
               });
}

} // namespace flippdeal::server
