// SPDX-License-Identifier: MIT
#include "http/requesthelpers.h"
#include "http/router.h"

#include <QJsonDocument>
#include <QtTest>

using namespace flippdeal::server;
namespace protocol = flippdeal::protocol;

namespace {

HttpResponse echoId(const HttpRequest &request, int &calls)
{
    ++calls;
    const auto id = idOr404(request, QStringLiteral("Widget"));
    if (!id)
        return HttpResponse::error(id.error());
    return HttpResponse::json(200, {{QLatin1String("id"), *id}});
}

HttpResponse limited(const HttpRequest &request)
{
    const auto limit = limitParam(request, 20, 100);
    if (!limit)
        return HttpResponse::error(limit.error());
    return HttpResponse::json(200, {{QLatin1String("limit"), *limit}});
}

HttpRequest request(const QByteArray &method, const QString &path, const QByteArray &token = {})
{
    HttpRequest r;
    r.method = method;
    r.path = path;
    if (!token.isEmpty())
        r.headers.append({"authorization", "Bearer " + token});
    return r;
}

HttpResponse dispatch(const Router &router, HttpRequest r)
{
    return std::get<HttpResponse>(router.dispatch(r));
}

QJsonObject bodyOf(const HttpResponse &response)
{
    return QJsonDocument::fromJson(response.body).object();
}

} // namespace

class TestRouter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init()
    {
        m_calls = 0;
        m_router = std::make_unique<Router>();
        m_router->setAuthenticator([](const QByteArray &token) -> Expected<protocol::User> {
            if (token == "admin")
                return protocol::User{1, {}, {}, QStringLiteral("admin")};
            if (token == "user")
                return protocol::User{2, {}, {}, QStringLiteral("user")};
            return ApiError::unauthenticated();
        });
        using enum Router::Access;
        m_router->add(QList<Route>{
            {"GET", QStringLiteral("/widgets/{id}"), Public, bindRoute(echoId, m_calls)},
            {"DELETE", QStringLiteral("/widgets/{id}"), Admin, bindRoute(echoId, m_calls)},
            {"GET", QStringLiteral("/widgets"), User, bindRoute(limited)},
        });
    }

    void tableRoutesAndIds()
    {
        const HttpResponse ok = dispatch(*m_router, request("GET", QStringLiteral("/widgets/7")));
        QCOMPARE(ok.status, 200);
        QCOMPARE(bodyOf(ok).value(QLatin1String("id")).toInteger(), 7);
        const HttpResponse bad = dispatch(*m_router, request("GET", QStringLiteral("/widgets/x")));
        QCOMPARE(bad.status, 404);
        QCOMPARE(bodyOf(bad).value(QLatin1String("message")).toString(),
                 QStringLiteral("Widget not found."));
        QCOMPARE(m_calls, 2);
    }

    void accessLevels()
    {
        const QString path = QStringLiteral("/widgets/7");
        QCOMPARE(dispatch(*m_router, request("DELETE", path)).status, 401);
        const HttpResponse user = dispatch(*m_router, request("DELETE", path, "user"));
        QCOMPARE(user.status, 403);
        QCOMPARE(bodyOf(user).value(QLatin1String("message")).toString(),
                 QStringLiteral("Only administrators may do this."));
        QCOMPARE(m_calls, 0);
        QCOMPARE(dispatch(*m_router, request("DELETE", path, "admin")).status, 200);
        QCOMPARE(m_calls, 1);
    }

    void allowFollowsTableOrder()
    {
        const HttpResponse response =
            dispatch(*m_router, request("PUT", QStringLiteral("/widgets/7")));
        QCOMPARE(response.status, 405);
        QCOMPARE(response.headers.value(0).second, QByteArray("GET, DELETE"));
    }

    void limitParamRange()
    {
        HttpRequest r = request("GET", QStringLiteral("/widgets"), "user");
        QCOMPARE(bodyOf(dispatch(*m_router, r)).value(QLatin1String("limit")).toInt(), 20);
        r.query = {{QStringLiteral("limit"), QStringLiteral("101")}};
        const HttpResponse invalid = dispatch(*m_router, r);
        QCOMPARE(invalid.status, 422);
        QCOMPARE(invalid.body,
                 QByteArray(R"({"errors":{"limit":["The limit must be from 1 to )"
                            R"(100."]},"message":"The limit must be from 1 to 100."})"));
    }

private:
    int m_calls = 0;
    std::unique_ptr<Router> m_router;
};

QTEST_GUILESS_MAIN(TestRouter)
#include "tst_router.moc"
