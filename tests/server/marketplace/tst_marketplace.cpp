// SPDX-License-Identifier: MIT
// The marketplace in one process: bids (validation, minimum next bid, notifications, BidPlaced on
// both channels), anti-sniping, countdowns, closing auctions exactly once with an escrow for the
// winner, offers with counter-offers, the escrow state machine action by action and state by
// state, the payout job, and simultaneous equal bids.
#include "testhelpers.h"
#include "testserver.h"

#include "escrow/escrowservice.h"
#include "events/eventstore.h"
#include "jobs/jobqueue.h"
#include "marketplace/auctionservice.h"
#include "storage/database.h"

#include "protocol/timeformat.h"
#include "protocol/types.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>

using namespace flippdeal;
using namespace flippdeal::testing;

namespace {

constexpr int FeeBps = 250; // not the default, so the configured value is what is checked
constexpr qint64 HourMs = 3600 * 1000;

QString isoAfter(qint64 ms)
{
    return protocol::isoUtc(protocol::nowMs() + ms);
}

//! Milliseconds of an ISO time, or -1 when it does not parse.
qint64 msOf(const QJsonValue &value)
{
    const auto parsed = protocol::parseIsoUtc(value.toString());
    return parsed ? *parsed : -1;
}

qint64 idOf(const QJsonObject &object)
{
    return object.value(QLatin1String("id")).toInteger(-1);
}

QList<QJsonObject> framesOf(const TestSocket &socket, const QString &event, const QString &channel)
{
    QList<QJsonObject> result;
    for (const QJsonObject &frame : socket.frames()) {
        if (frame.value(QLatin1String("event")).toString() == event &&
            frame.value(QLatin1String("channel")).toString() == channel)
            result.append(frame);
    }
    return result;
}

//! The escrow state machine as the issue states it: action → (from states, to, who).
struct Rule
{
    QStringList from;
    QString to;
    QStringList who; // buyer, seller, admin
};

const QHash<QString, Rule> &escrowRules()
{
    static const QHash<QString, Rule> rules{
        {QStringLiteral("fund"),
         {{QStringLiteral("pending_funding")},
          QStringLiteral("funded"),
          {QStringLiteral("buyer")}}},
        {QStringLiteral("transfer"),
         {{QStringLiteral("funded")}, QStringLiteral("transferred"), {QStringLiteral("seller")}}},
        {QStringLiteral("confirm"),
         {{QStringLiteral("transferred")}, QStringLiteral("completed"), {QStringLiteral("buyer")}}},
        {QStringLiteral("dispute"),
         {{QStringLiteral("funded"), QStringLiteral("transferred")},
          QStringLiteral("disputed"),
          {QStringLiteral("buyer"), QStringLiteral("seller")}}},
        {QStringLiteral("cancel"),
         {{QStringLiteral("pending_funding")},
          QStringLiteral("cancelled"),
          {QStringLiteral("buyer"), QStringLiteral("seller")}}},
        {QStringLiteral("release"),
         {{QStringLiteral("disputed")}, QStringLiteral("completed"), {QStringLiteral("admin")}}},
        {QStringLiteral("refund"),
         {{QStringLiteral("disputed"), QStringLiteral("funded")},
          QStringLiteral("refunded"),
          {QStringLiteral("admin")}}},
    };
    return rules;
}

//! How to reach each state from pending_funding: (action, actor) steps.
const QList<std::pair<QString, QList<std::pair<QString, QString>>>> &escrowPaths()
{
    static const QList<std::pair<QString, QList<std::pair<QString, QString>>>> paths{
        {QStringLiteral("pending_funding"), {}},
        {QStringLiteral("funded"), {{QStringLiteral("fund"), QStringLiteral("buyer")}}},
        {QStringLiteral("transferred"),
         {{QStringLiteral("fund"), QStringLiteral("buyer")},
          {QStringLiteral("transfer"), QStringLiteral("seller")}}},
        {QStringLiteral("completed"),
         {{QStringLiteral("fund"), QStringLiteral("buyer")},
          {QStringLiteral("transfer"), QStringLiteral("seller")},
          {QStringLiteral("confirm"), QStringLiteral("buyer")}}},
        {QStringLiteral("disputed"),
         {{QStringLiteral("fund"), QStringLiteral("buyer")},
          {QStringLiteral("dispute"), QStringLiteral("buyer")}}},
        {QStringLiteral("refunded"),
         {{QStringLiteral("fund"), QStringLiteral("buyer")},
          {QStringLiteral("refund"), QStringLiteral("admin")}}},
        {QStringLiteral("cancelled"), {{QStringLiteral("cancel"), QStringLiteral("seller")}}},
    };
    return paths;
}

} // namespace

class TestMarketplace : public QObject
{
    Q_OBJECT

private:
    TestServer &server() { return *m_server; }
    server::Database &db() { return m_server->app().database(); }

    std::unique_ptr<TestServer> m_server;
    Session m_owner;
    Session m_bob;
    Session m_carl;
    Session m_dana;
    Session m_eve;
    Session m_finn;
    Session m_watcher;
    Session m_stranger;
    Session m_admin;
    Session m_seller;
    Session m_buyer;
    std::unique_ptr<TestSocket> m_sellerSocket; // the escrow table's seller on private-domain.*
    int m_names = 0;

    QString nextName()
    {
        return QStringLiteral("lot-%1-%2.com")
            .arg(++m_names)
            .arg(qint64(QCoreApplication::applicationPid()));
    }

    Reply createDomain(TestServer &target, const Session &owner, QJsonObject fields)
    {
        if (!fields.contains(QLatin1String("name")))
            fields.insert(QLatin1String("name"), nextName());
        return target.post(QStringLiteral("/api/domains"), fields, owner.token);
    }

    //! Creates an auction ending in `endsInMs`; 0 on failure (with a warning).
    qint64 createAuction(TestServer &target, const Session &owner, qint64 endsInMs,
                         std::optional<qint64> reserve = std::nullopt, qint64 minIncrement = 100)
    {
        QJsonObject fields{{QLatin1String("enable_bidding"), true},
                           {QLatin1String("min_increment_cents"), minIncrement},
                           {QLatin1String("ends_at"), isoAfter(endsInMs)}};
        if (reserve)
            fields.insert(QLatin1String("reserve_cents"), *reserve);
        const Reply reply = createDomain(target, owner, fields);
        if (reply.status != 201) {
            qWarning() << "auction creation failed" << reply.status << reply.body;
            return 0;
        }
        return idOf(objectOf(reply, "domain"));
    }

    qint64 createAuction(const Session &owner, qint64 endsInMs,
                         std::optional<qint64> reserve = std::nullopt, qint64 minIncrement = 100)
    {
        return createAuction(server(), owner, endsInMs, reserve, minIncrement);
    }

    //! A domain for sale without bidding; 0 on failure.
    qint64 createListing(const Session &owner)
    {
        const Reply reply =
            createDomain(server(), owner, {{QLatin1String("enable_bidding"), false}});
        if (reply.status != 201) {
            qWarning() << "listing creation failed" << reply.status << reply.body;
            return 0;
        }
        return idOf(objectOf(reply, "domain"));
    }

    Reply bid(TestServer &target, const Session &bidder, qint64 domainId, const QJsonValue &amount)
    {
        return target.post(QStringLiteral("/api/domains/%1/bids").arg(domainId),
                           {{QLatin1String("amount_cents"), amount}}, bidder.token);
    }

    Reply bid(const Session &bidder, qint64 domainId, const QJsonValue &amount)
    {
        return bid(server(), bidder, domainId, amount);
    }

    QJsonObject domainOf(TestServer &target, qint64 domainId, const Session &viewer)
    {
        const Reply reply =
            target.get(QStringLiteral("/api/domains/%1").arg(domainId), viewer.token);
        if (reply.status != 200)
            qWarning() << "GET domain failed" << reply.status << reply.body;
        return objectOf(reply, "domain");
    }

    QJsonObject domainOf(qint64 domainId) { return domainOf(server(), domainId, m_owner); }

    Reply makeOffer(const Session &maker, qint64 domainId, const QJsonValue &amount)
    {
        return server().post(QStringLiteral("/api/domains/%1/offers").arg(domainId),
                             {{QLatin1String("amount_cents"), amount}}, maker.token);
    }

    Reply respond(const Session &who, qint64 offerId, const QString &action,
                  std::optional<qint64> amount = std::nullopt)
    {
        QJsonObject body{{QLatin1String("action"), action}};
        if (amount)
            body.insert(QLatin1String("amount_cents"), *amount);
        return server().request("PATCH", QStringLiteral("/api/offers/%1").arg(offerId), who.token,
                                QJsonDocument(body).toJson(QJsonDocument::Compact));
    }

    Reply escrowAction(const Session &who, qint64 escrowId, const QString &action)
    {
        return server().post(QStringLiteral("/api/escrows/%1/%2").arg(escrowId).arg(action), {},
                             who.token);
    }

    Reply getEscrow(const Session &who, qint64 escrowId)
    {
        return server().get(QStringLiteral("/api/escrows/%1").arg(escrowId), who.token);
    }

    //! Lists a domain as `seller`, has `buyer` offer `amount` and the seller accept: the escrow's
    //! id (and the domain's in `domainId`), or 0.
    qint64 openEscrowViaOffer(const Session &seller, const Session &buyer, qint64 amount,
                              qint64 *domainId)
    {
        const qint64 domain = createListing(seller);
        if (domainId)
            *domainId = domain;
        const Reply offer = makeOffer(buyer, domain, amount);
        if (offer.status != 201) {
            qWarning() << "offer failed" << describe(offer);
            return 0;
        }
        const Reply accepted =
            respond(seller, idOf(objectOf(offer, "offer")), QStringLiteral("accept"));
        if (accepted.status != 200) {
            qWarning() << "accept failed" << describe(accepted);
            return 0;
        }
        return intOf(objectOf(accepted, "offer"), "escrow_id");
    }

    //! The user's notifications through the API (newest first), only `type` on `domainId`.
    QList<QJsonObject> apiNotifications(const Session &user, const QString &type, qint64 domainId)
    {
        const Reply reply =
            server().get(QStringLiteral("/api/notifications?limit=100"), user.token);
        if (reply.status != 200)
            qWarning() << "GET notifications failed" << describe(reply);
        QList<QJsonObject> result;
        for (const QJsonValue &value : reply.json.value(QLatin1String("data")).toArray()) {
            const QJsonObject n = value.toObject();
            if (n.value(QLatin1String("type")).toString() == type &&
                intOf(n.value(QLatin1String("data")).toObject(), "domain_id") == domainId)
                result.append(n);
        }
        return result;
    }

    //! Opens a connection and waits for connection_established; nullptr on failure.
    std::unique_ptr<TestSocket> connectSocket(TestServer &target)
    {
        auto socket = std::make_unique<TestSocket>(target.webSocketUrl());
        if (!socket->waitConnected())
            return nullptr;
        return socket;
    }

    //! POSTs the same bid for every bidder at once and waits for all answers.
    QList<Reply> bidConcurrently(qint64 domainId, const QList<Session> &bidders, qint64 amount)
    {
        const QByteArray body = QJsonDocument(QJsonObject{{QLatin1String("amount_cents"), amount}})
                                    .toJson(QJsonDocument::Compact);
        QList<Call> calls;
        for (const Session &bidder : bidders)
            calls.append({"POST",
                          server().url(QStringLiteral("/api/domains/%1/bids").arg(domainId)),
                          bidder.token, body});
        return runAtOnce(calls, 15000, 3);
    }

    const Session &actor(const QString &name)
    {
        if (name == QLatin1String("buyer"))
            return m_buyer;
        if (name == QLatin1String("seller"))
            return m_seller;
        if (name == QLatin1String("admin"))
            return m_admin;
        return m_stranger;
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_server = std::make_unique<TestServer>([](server::Config &config) {
            config.antiSnipeSeconds = 0; // auctions here end when they say (see antiSniping)
            config.platformFeeBps = FeeBps;
            config.jobBackoffMs = 200;
        });
        QVERIFY2(server().isRunning(), qPrintable(server().errorString()));
        m_owner = server().registerUser(QStringLiteral("Olivia"));
        m_bob = server().registerUser(QStringLiteral("Bob"));
        m_carl = server().registerUser(QStringLiteral("Carl"));
        m_dana = server().registerUser(QStringLiteral("Dana"));
        m_eve = server().registerUser(QStringLiteral("Eve"));
        m_finn = server().registerUser(QStringLiteral("Finn"));
        m_watcher = server().registerUser(QStringLiteral("Wendy"));
        m_stranger = server().registerUser(QStringLiteral("Sam"));
        m_admin = server().registerUser(QStringLiteral("Ada"));
        m_seller = server().registerUser(QStringLiteral("Sally"));
        m_buyer = server().registerUser(QStringLiteral("Ben"));
        for (const Session *s : {&m_owner, &m_bob, &m_carl, &m_dana, &m_eve, &m_finn, &m_watcher,
                                 &m_stranger, &m_admin, &m_seller, &m_buyer})
            QVERIFY(s->user.id > 0 && !s->token.isEmpty());
        QVERIFY(sqlExec(db(), QStringLiteral("UPDATE users SET role = 'admin' WHERE id = ?"),
                        {m_admin.user.id}));
        const Reply me = server().get(QStringLiteral("/api/me"), m_admin.token);
        QCOMPARE(objectOf(me, "user").value(QLatin1String("role")).toString(),
                 QStringLiteral("admin"));
        m_sellerSocket = connectSocket(server());
        QVERIFY(m_sellerSocket);
    }

    // ------------------------------------------------------------------------------------------
    // Bids

    void bidValidation_data()
    {
        QTest::addColumn<QString>("target");  // which domain the bid goes to
        QTest::addColumn<QString>("bidder");  // bob or owner
        QTest::addColumn<QByteArray>("body"); // raw JSON
        QTest::addColumn<int>("status");
        QTest::addColumn<bool>("amountError"); // 422 with errors.amount_cents

        const QString live = QStringLiteral("live");
        const QString bob = QStringLiteral("bob");
        QTest::newRow("negative") << live << bob << QByteArray(R"({"amount_cents": -500})") << 422
                                  << true;
        QTest::newRow("zero") << live << bob << QByteArray(R"({"amount_cents": 0})") << 422 << true;
        QTest::newRow("fraction") << live << bob << QByteArray(R"({"amount_cents": 1.5})") << 422
                                  << true;
        QTest::newRow("fraction above minimum")
            << live << bob << QByteArray(R"({"amount_cents": 6000.5})") << 422 << true;
        QTest::newRow("text") << live << bob << QByteArray(R"({"amount_cents": "abc"})") << 422
                              << true;
        QTest::newRow("huge") << live << bob << QByteArray(R"({"amount_cents": 1e13})") << 422
                              << true;
        QTest::newRow("missing") << live << bob << QByteArray(R"({"amount": 6000})") << 422 << true;
        QTest::newRow("null") << live << bob << QByteArray(R"({"amount_cents": null})") << 422
                              << true;
        QTest::newRow("bool") << live << bob << QByteArray(R"({"amount_cents": true})") << 422
                              << true;
        QTest::newRow("malformed json")
            << live << bob << QByteArray("{\"amount_cents\": ") << 400 << false;
        QTest::newRow("array body") << live << bob << QByteArray("[6000]") << 400 << false;
        QTest::newRow("unknown domain") << QStringLiteral("unknown") << bob
                                        << QByteArray(R"({"amount_cents": 6000})") << 404 << false;
        QTest::newRow("own domain") << live << QStringLiteral("owner")
                                    << QByteArray(R"({"amount_cents": 6000})") << 422 << true;
        QTest::newRow("below reserve")
            << live << bob << QByteArray(R"({"amount_cents": 4999})") << 422 << true;
        QTest::newRow("below increment") << QStringLiteral("no reserve") << bob
                                         << QByteArray(R"({"amount_cents": 99})") << 422 << true;
        QTest::newRow("ended") << QStringLiteral("ended") << bob
                               << QByteArray(R"({"amount_cents": 6000})") << 422 << true;
        QTest::newRow("draft") << QStringLiteral("draft") << bob
                               << QByteArray(R"({"amount_cents": 6000})") << 422 << true;
        QTest::newRow("cancelled") << QStringLiteral("cancelled") << bob
                                   << QByteArray(R"({"amount_cents": 6000})") << 422 << true;
        QTest::newRow("not bidding") << QStringLiteral("not bidding") << bob
                                     << QByteArray(R"({"amount_cents": 6000})") << 422 << true;
    }

    void bidValidation()
    {
        QFETCH(QString, target);
        QFETCH(QString, bidder);
        QFETCH(QByteArray, body);
        QFETCH(int, status);
        QFETCH(bool, amountError);

        qint64 domainId = 0;
        if (target == QLatin1String("live")) {
            domainId = createAuction(m_owner, HourMs, 5000);
        } else if (target == QLatin1String("no reserve")) {
            domainId = createAuction(m_owner, HourMs);
        } else if (target == QLatin1String("unknown")) {
            domainId = 987654321;
        } else if (target == QLatin1String("ended")) {
            domainId = createAuction(m_owner, 300);
            QVERIFY(domainId > 0);
            QVERIFY2(waitUntil(
                         [&] {
                             return domainOf(domainId).value(QLatin1String("status")).toString() ==
                                    QLatin1String("ended");
                         },
                         3000),
                     "the auction did not end");
        } else if (target == QLatin1String("draft")) {
            const Reply reply = createDomain(server(), m_owner,
                                             {{QLatin1String("enable_bidding"), true},
                                              {QLatin1String("min_increment_cents"), 100},
                                              {QLatin1String("ends_at"), isoAfter(HourMs)},
                                              {QLatin1String("status"), QStringLiteral("draft")}});
            QCOMPARE(reply.status, 201);
            domainId = idOf(objectOf(reply, "domain"));
            QCOMPARE(objectOf(reply, "domain").value(QLatin1String("status")).toString(),
                     QStringLiteral("draft"));
        } else if (target == QLatin1String("cancelled")) {
            domainId = createAuction(m_owner, HourMs);
            const Reply cancel =
                server().request("PATCH", QStringLiteral("/api/domains/%1").arg(domainId),
                                 m_owner.token, QByteArray(R"({"status": "cancelled"})"));
            QCOMPARE(cancel.status, 200);
        } else if (target == QLatin1String("not bidding")) {
            domainId = createListing(m_owner);
        }
        QVERIFY(domainId > 0);

        const Session &who = bidder == QLatin1String("owner") ? m_owner : m_bob;
        const Reply reply = server().request(
            "POST", QStringLiteral("/api/domains/%1/bids").arg(domainId), who.token, body);
        QVERIFY2(reply.status == status, qPrintable(describe(reply)));
        QVERIFY2(!reply.json.value(QLatin1String("message")).toString().isEmpty(),
                 qPrintable(describe(reply)));
        if (amountError) {
            const QJsonArray errors = reply.json.value(QLatin1String("errors"))
                                          .toObject()
                                          .value(QLatin1String("amount_cents"))
                                          .toArray();
            QVERIFY2(!errors.isEmpty(), qPrintable(describe(reply)));
        }
        if (target != QLatin1String("unknown")) {
            // Nothing changed.
            QCOMPARE(sqlScalar(db(),
                               QStringLiteral("SELECT COUNT(*) FROM bids WHERE domain_id = ?"),
                               {domainId}),
                     qint64(0));
            const QJsonObject domain = domainOf(domainId);
            QCOMPARE(intOf(domain, "bid_count"), qint64(0));
            QCOMPARE(intOf(domain, "current_bid_cents"), qint64(0));
            QVERIFY(domain.value(QLatin1String("high_bidder_id")).isNull());
        }
    }

    void bidTooLowNamesTheMinimum()
    {
        const qint64 id = createAuction(m_owner, HourMs, 5000);
        QVERIFY(id > 0);
        const Reply low = bid(m_bob, id, 4999);
        QCOMPARE(low.status, 422);
        const QString message = low.json.value(QLatin1String("errors"))
                                    .toObject()
                                    .value(QLatin1String("amount_cents"))
                                    .toArray()
                                    .first()
                                    .toString();
        QVERIFY2(message.contains(QLatin1String("5000")), qPrintable(message));
    }

    void liveAuctionsList()
    {
        const qint64 later = createAuction(m_owner, 3 * HourMs);
        const qint64 sooner = createAuction(m_owner, 2 * HourMs);
        const qint64 listing = createListing(m_owner);
        QVERIFY(later > 0 && sooner > 0 && listing > 0);
        const Reply reply = server().get(QStringLiteral("/api/auctions?limit=200"), m_bob.token);
        QCOMPARE(reply.status, 200);
        QList<qint64> ids;
        qint64 previousEnd = 0;
        for (const QJsonValue &value : reply.json.value(QLatin1String("data")).toArray()) {
            const QJsonObject domain = value.toObject();
            ids.append(idOf(domain));
            QCOMPARE(domain.value(QLatin1String("status")).toString(), QStringLiteral("active"));
            QVERIFY(domain.value(QLatin1String("enable_bidding")).toBool());
            const qint64 end =
                protocol::parseIsoUtc(domain.value(QLatin1String("ends_at")).toString())
                    .value_or(0);
            QVERIFY2(end >= previousEnd, "soonest to end first");
            previousEnd = end;
        }
        QVERIFY(ids.contains(later) && ids.contains(sooner) && !ids.contains(listing));
        QVERIFY(ids.indexOf(sooner) < ids.indexOf(later));

        QCOMPARE(server().get(QStringLiteral("/api/auctions?limit=0"), m_bob.token).status, 422);
        QCOMPARE(server().get(QStringLiteral("/api/auctions"), QByteArray()).status, 401);
    }

    void bidPlacedOnBothChannels()
    {
        const qint64 id = createAuction(m_owner, HourMs, 5000, 250);
        QVERIFY(id > 0);
        const QJsonObject created = domainOf(id);
        const QString auctionChannel = protocol::Channels::auction(id);
        const QString domainChannel = protocol::Channels::domain(id);

        auto owner = connectSocket(server());
        auto watcher = connectSocket(server());
        auto stranger = connectSocket(server());
        QVERIFY(owner && watcher && stranger);
        QVERIFY(owner->subscribeAuthorized(server(), m_owner, domainChannel));
        // Watchers may follow the domain, but only once they watch it; anyone may join the
        // auction while it runs.
        QVERIFY(!watcher->subscribeAuthorized(server(), m_watcher, domainChannel));
        const Reply watch =
            server().post(QStringLiteral("/api/domains/%1/watch").arg(id), {}, m_watcher.token);
        QCOMPARE(watch.status, 200);
        QVERIFY(watcher->subscribeAuthorized(server(), m_watcher, domainChannel));
        QVERIFY(!stranger->subscribeAuthorized(server(), m_stranger, domainChannel));
        QVERIFY(stranger->subscribeAuthorized(server(), m_stranger, auctionChannel));

        const qint64 before = protocol::nowMs();
        const Reply placed = bid(m_bob, id, 5000);
        const qint64 after = protocol::nowMs();
        QVERIFY2(placed.status == 201, qPrintable(describe(placed)));
        const QJsonObject bidJson = objectOf(placed, "bid");
        const QJsonObject auction = objectOf(placed, "auction");
        QVERIFY(idOf(bidJson) > 0);
        QCOMPARE(intOf(bidJson, "domain_id"), id);
        QCOMPARE(intOf(bidJson, "user_id"), m_bob.user.id);
        QCOMPARE(intOf(bidJson, "amount_cents"), qint64(5000));
        QVERIFY(msOf(bidJson.value(QLatin1String("created_at"))) >= before - 1);
        QCOMPARE(intOf(auction, "domain_id"), id);
        QCOMPARE(intOf(auction, "current_bid_cents"), qint64(5000));
        QCOMPARE(intOf(auction, "bid_count"), qint64(1));
        QCOMPARE(intOf(auction, "minimum_next_bid_cents"), qint64(5250));
        QCOMPARE(auction.value(QLatin1String("ends_at")), created.value(QLatin1String("ends_at")));
        const qint64 serverTime = msOf(auction.value(QLatin1String("server_time")));
        QVERIFY2(serverTime >= before - 1 && serverTime <= after + 1,
                 qPrintable(auction.value(QLatin1String("server_time")).toString()));
        QCOMPARE(placed.json.value(QLatin1String("extended")), QJsonValue(false));

        struct Expectation
        {
            TestSocket *socket;
            QString channel;
        };
        for (const Expectation &e :
             {Expectation{stranger.get(), auctionChannel}, Expectation{owner.get(), domainChannel},
              Expectation{watcher.get(), domainChannel}}) {
            const auto frame = e.socket->waitFor(protocol::EventName::BidPlaced, e.channel);
            QVERIFY2(frame, qPrintable(e.channel));
            QVERIFY2(seqOf(*frame) > 0, QJsonDocument(*frame).toJson().constData());
            const QJsonObject data = frameData(*frame);
            QCOMPARE(data.value(QLatin1String("bid")).toObject(), bidJson);
            const QJsonObject state = data.value(QLatin1String("auction")).toObject();
            QCOMPARE(intOf(state, "domain_id"), id);
            QCOMPARE(intOf(state, "current_bid_cents"), qint64(5000));
            QCOMPARE(intOf(state, "bid_count"), qint64(1));
            QCOMPARE(state.value(QLatin1String("ends_at")),
                     created.value(QLatin1String("ends_at")));
            QVERIFY(msOf(state.value(QLatin1String("server_time"))) > 0);
        }
        QTest::qWait(200);
        QCOMPARE(framesOf(*stranger, protocol::EventName::BidPlaced, auctionChannel).size(), 1);
        QCOMPARE(framesOf(*owner, protocol::EventName::BidPlaced, domainChannel).size(), 1);
        QCOMPARE(storedEventCount(db(), auctionChannel, protocol::EventName::BidPlaced), qint64(1));
        QCOMPARE(storedEventCount(db(), domainChannel, protocol::EventName::BidPlaced), qint64(1));
        // The stranger is not on the domain channel, so it got nothing from there.
        QCOMPARE(framesOf(*stranger, protocol::EventName::BidPlaced, domainChannel).size(), 0);

        // A bidder becomes a participant of the domain channel.
        auto bidder = connectSocket(server());
        QVERIFY(bidder);
        QVERIFY(bidder->subscribeAuthorized(server(), m_bob, domainChannel));

        const QJsonObject after1 = domainOf(id);
        QCOMPARE(intOf(after1, "current_bid_cents"), qint64(5000));
        QCOMPARE(intOf(after1, "bid_count"), qint64(1));
        QCOMPARE(intOf(after1, "high_bidder_id"), m_bob.user.id);

        // No presence channel for a draft.
        const Reply draft = createDomain(server(), m_owner,
                                         {{QLatin1String("enable_bidding"), true},
                                          {QLatin1String("ends_at"), isoAfter(HourMs)},
                                          {QLatin1String("status"), QStringLiteral("draft")}});
        QCOMPARE(draft.status, 201);
        QVERIFY(!stranger->subscribeAuthorized(
            server(), m_stranger, protocol::Channels::auction(idOf(objectOf(draft, "domain")))));
    }

    void minimumNextBidAndNotifications()
    {
        const qint64 id = createAuction(m_owner, HourMs, 2000, 250);
        QVERIFY(id > 0);
        QCOMPARE(bid(m_bob, id, 1999).status, 422);
        Reply r = bid(m_bob, id, 2000);
        QVERIFY2(r.status == 201, qPrintable(describe(r)));
        QCOMPARE(intOf(objectOf(r, "auction"), "minimum_next_bid_cents"), qint64(2250));
        QCOMPARE(bid(m_carl, id, 2249).status, 422);
        r = bid(m_carl, id, 2250);
        QVERIFY2(r.status == 201, qPrintable(describe(r)));
        QCOMPARE(intOf(objectOf(r, "auction"), "minimum_next_bid_cents"), qint64(2500));
        QCOMPARE(intOf(objectOf(r, "auction"), "high_bidder_id"), m_carl.user.id);
        // Raising one's own bid outbids nobody.
        r = bid(m_carl, id, 2600);
        QVERIFY2(r.status == 201, qPrintable(describe(r)));
        QCOMPARE(intOf(objectOf(r, "auction"), "minimum_next_bid_cents"), qint64(2850));
        QCOMPARE(bid(m_dana, id, 2849).status, 422);
        r = bid(m_dana, id, 3000); // more than the minimum is fine
        QVERIFY2(r.status == 201, qPrintable(describe(r)));
        QCOMPARE(intOf(objectOf(r, "auction"), "minimum_next_bid_cents"), qint64(3250));

        const QJsonObject domain = domainOf(id);
        QCOMPARE(intOf(domain, "current_bid_cents"), qint64(3000));
        QCOMPARE(intOf(domain, "bid_count"), qint64(4));
        QCOMPARE(intOf(domain, "high_bidder_id"), m_dana.user.id);

        // bid.outbid: Bob once (by Carl), Carl once (by Dana, not by himself).
        const auto bobOutbid = apiNotifications(m_bob, protocol::NotificationType::BidOutbid, id);
        QCOMPARE(bobOutbid.size(), 1);
        const QJsonObject bobData = bobOutbid.first().value(QLatin1String("data")).toObject();
        QCOMPARE(intOf(bobData, "your_bid_cents"), qint64(2000));
        QCOMPARE(intOf(bobData, "current_bid_cents"), qint64(2250));
        QCOMPARE(intOf(bobData, "minimum_next_bid_cents"), qint64(2500));
        const auto carlOutbid = apiNotifications(m_carl, protocol::NotificationType::BidOutbid, id);
        QCOMPARE(carlOutbid.size(), 1);
        QCOMPARE(
            intOf(carlOutbid.first().value(QLatin1String("data")).toObject(), "current_bid_cents"),
            qint64(3000));
        QCOMPARE(apiNotifications(m_dana, protocol::NotificationType::BidOutbid, id).size(), 0);
        // bid.placed to the owner for each of the four bids, newest first.
        const auto placed = apiNotifications(m_owner, protocol::NotificationType::BidPlaced, id);
        QCOMPARE(placed.size(), 4);
        QList<qint64> amounts;
        for (const QJsonObject &n : placed)
            amounts.append(intOf(n.value(QLatin1String("data")).toObject(), "amount_cents"));
        QCOMPARE(amounts, (QList<qint64>{3000, 2600, 2250, 2000}));
        QCOMPARE(intOf(placed.first().value(QLatin1String("data")).toObject(), "bidder_id"),
                 m_dana.user.id);
        QCOMPARE(apiNotifications(m_bob, protocol::NotificationType::BidPlaced, id).size(), 0);

        // Without a reserve the first bid must reach one increment; with a reserve below the
        // increment, the increment still applies.
        const qint64 plain = createAuction(m_owner, HourMs, std::nullopt, 300);
        QCOMPARE(bid(m_bob, plain, 299).status, 422);
        r = bid(m_bob, plain, 300);
        QVERIFY2(r.status == 201, qPrintable(describe(r)));
        QCOMPARE(intOf(objectOf(r, "auction"), "minimum_next_bid_cents"), qint64(600));
        const qint64 lowReserve = createAuction(m_owner, HourMs, 50, 100);
        QCOMPARE(bid(m_bob, lowReserve, 99).status, 422);
        QCOMPARE(bid(m_bob, lowReserve, 100).status, 201);
    }

    void concurrentEqualBidsOneWins()
    {
        const qint64 id = createAuction(m_owner, HourMs, 1000, 100);
        QVERIFY(id > 0);
        const QList<Session> bidders{m_bob, m_carl, m_dana, m_eve, m_finn, m_watcher};
        const QList<qint64> levels{1000, 1100, 1200};
        for (const qint64 amount : levels) {
            const QList<Reply> replies = bidConcurrently(id, bidders, amount);
            int created = 0;
            for (const Reply &reply : replies) {
                if (reply.status == 201) {
                    ++created;
                    QCOMPARE(intOf(objectOf(reply, "bid"), "amount_cents"), amount);
                } else {
                    QVERIFY2(reply.status == 422, qPrintable(describe(reply)));
                    QVERIFY(reply.json.value(QLatin1String("errors"))
                                .toObject()
                                .contains(QLatin1String("amount_cents")));
                }
            }
            QCOMPARE(created, 1);
            QCOMPARE(sqlScalar(db(),
                               QStringLiteral("SELECT COUNT(*) FROM bids WHERE domain_id = ? AND "
                                              "amount_cents = ?"),
                               {id, amount}),
                     qint64(1));
        }
        const QJsonObject domain = domainOf(id);
        QCOMPARE(intOf(domain, "bid_count"), qint64(levels.size()));
        QCOMPARE(intOf(domain, "current_bid_cents"), levels.last());
    }

    // ------------------------------------------------------------------------------------------
    // Anti-sniping and countdowns

    void antiSniping()
    {
        TestServer snipe([](server::Config &config) { config.antiSnipeSeconds = 5; });
        QVERIFY2(snipe.isRunning(), qPrintable(snipe.errorString()));
        const Session owner = snipe.registerUser(QStringLiteral("Owen"));
        const Session first = snipe.registerUser(QStringLiteral("Fay"));
        const Session second = snipe.registerUser(QStringLiteral("Gus"));
        QVERIFY(owner.user.id > 0 && first.user.id > 0 && second.user.id > 0);

        const qint64 id = createAuction(snipe, owner, 3000);
        const qint64 relaxed = createAuction(snipe, owner, 60'000);
        QVERIFY(id > 0 && relaxed > 0);
        const qint64 originalEnd = msOf(domainOf(snipe, id, owner).value(QLatin1String("ends_at")));
        const QString channel = protocol::Channels::auction(id);
        auto watcher = connectSocket(snipe);
        QVERIFY(watcher);
        QVERIFY(watcher->subscribeAuthorized(snipe, second, channel));

        qint64 before = protocol::nowMs();
        Reply r = bid(snipe, first, id, 100);
        qint64 after = protocol::nowMs();
        QVERIFY2(r.status == 201, qPrintable(describe(r)));
        QCOMPARE(r.json.value(QLatin1String("extended")), QJsonValue(true));
        const QJsonValue extendedTo = objectOf(r, "auction").value(QLatin1String("ends_at"));
        const qint64 endsAt = msOf(extendedTo);
        QVERIFY2(endsAt >= before + 5000 && endsAt <= after + 5000,
                 qPrintable(extendedTo.toString()));
        QVERIFY(endsAt > originalEnd);
        QCOMPARE(domainOf(snipe, id, owner).value(QLatin1String("ends_at")), extendedTo);

        const auto extended = watcher->waitFor(protocol::EventName::AuctionExtended, channel);
        QVERIFY(extended);
        QVERIFY(seqOf(*extended) > 0);
        const QJsonObject data = frameData(*extended);
        QCOMPARE(intOf(data, "domain_id"), id);
        QCOMPARE(data.value(QLatin1String("ends_at")), extendedTo);
        QVERIFY(msOf(data.value(QLatin1String("server_time"))) >= before - 1);
        const auto placed = framesOf(*watcher, protocol::EventName::BidPlaced, channel);
        QCOMPARE(placed.size(), 1);
        QCOMPARE(frameData(placed.first())
                     .value(QLatin1String("auction"))
                     .toObject()
                     .value(QLatin1String("ends_at")),
                 extendedTo);

        // Far from the end nothing moves.
        const QJsonValue relaxedEnd =
            domainOf(snipe, relaxed, owner).value(QLatin1String("ends_at"));
        r = bid(snipe, first, relaxed, 100);
        QVERIFY2(r.status == 201, qPrintable(describe(r)));
        QCOMPARE(r.json.value(QLatin1String("extended")), QJsonValue(false));
        QCOMPARE(objectOf(r, "auction").value(QLatin1String("ends_at")), relaxedEnd);
        QCOMPARE(storedEventCount(snipe.app().database(), protocol::Channels::auction(relaxed),
                                  protocol::EventName::AuctionExtended),
                 qint64(0));

        // The original end passes and the auction is still running; a bid now extends it again.
        QTest::qWait(int(std::max<qint64>(0, originalEnd + 700 - protocol::nowMs())));
        const QJsonObject running = domainOf(snipe, id, owner);
        QCOMPARE(running.value(QLatin1String("status")).toString(), QStringLiteral("active"));
        QVERIFY(framesOf(*watcher, protocol::EventName::AuctionEnded, channel).isEmpty());
        before = protocol::nowMs();
        r = bid(snipe, second, id, 200);
        after = protocol::nowMs();
        QVERIFY2(r.status == 201, qPrintable(describe(r)));
        QCOMPARE(r.json.value(QLatin1String("extended")), QJsonValue(true));
        const qint64 again = msOf(objectOf(r, "auction").value(QLatin1String("ends_at")));
        QVERIFY2(again >= before + 5000 && again <= after + 5000, qPrintable(describe(r)));
        QVERIFY(watcher->waitFor(protocol::EventName::AuctionExtended, channel));
        QCOMPARE(
            storedEventCount(snipe.app().database(), channel, protocol::EventName::AuctionExtended),
            qint64(2));
    }

    // An auction without bids counts down every second in its last minute and ends unsold; one
    // an hour away counts down only every ten seconds.
    void countdownAndUnsoldEnd()
    {
        const qint64 id = createAuction(m_owner, 3300, 5000);
        const qint64 far = createAuction(m_owner, HourMs);
        QVERIFY(id > 0 && far > 0);
        const QJsonValue endsAt = domainOf(id).value(QLatin1String("ends_at"));
        const QString channel = protocol::Channels::auction(id);
        const QString farChannel = protocol::Channels::auction(far);
        auto socket = connectSocket(server());
        auto owner = connectSocket(server());
        QVERIFY(socket && owner);
        QVERIFY(socket->subscribeAuthorized(server(), m_stranger, channel));
        QVERIFY(socket->subscribeAuthorized(server(), m_stranger, farChannel));
        QVERIFY(owner->subscribeAuthorized(server(), m_owner, protocol::Channels::domain(id)));

        const auto ended = socket->waitFor(protocol::EventName::AuctionEnded, channel, 6000);
        QVERIFY2(ended, "AuctionEnded did not arrive");
        QTest::qWait(300);

        const QList<QJsonObject> countdowns =
            framesOf(*socket, protocol::EventName::AuctionCountdown, channel);
        QVERIFY2(countdowns.size() >= 2, qPrintable(QString::number(countdowns.size())));
        qint64 previousSeconds = std::numeric_limits<qint64>::max();
        qint64 previousTime = 0;
        for (const QJsonObject &frame : countdowns) {
            const QJsonObject data = frameData(frame);
            const QString text =
                QString::fromUtf8(QJsonDocument(data).toJson(QJsonDocument::Compact));
            QVERIFY2(seqOf(frame) > 0, qPrintable(text));
            QCOMPARE(intOf(data, "domain_id"), id);
            QCOMPARE(data.value(QLatin1String("ends_at")), endsAt);
            const qint64 serverTime = msOf(data.value(QLatin1String("server_time")));
            QVERIFY2(serverTime > 0, qPrintable(text));
            QVERIFY2(serverTime < msOf(endsAt), qPrintable(text));
            const qint64 seconds = intOf(data, "seconds_remaining");
            QCOMPARE(seconds, qint64(std::ceil((msOf(endsAt) - serverTime) / 1000.0)));
            QVERIFY2(seconds >= 1 && seconds <= 4, qPrintable(text));
            QVERIFY2(seconds < previousSeconds, qPrintable(text));
            if (previousTime > 0) {
                const qint64 gap = serverTime - previousTime;
                QVERIFY2(gap >= 800 && gap <= 1600, qPrintable(QStringLiteral("gap %1").arg(gap)));
            }
            previousSeconds = seconds;
            previousTime = serverTime;
        }
        // seq counts up by one on the channel.
        QList<qint64> seqs;
        for (const QJsonObject &frame : socket->frames()) {
            if (frame.value(QLatin1String("channel")).toString() == channel &&
                frame.contains(QLatin1String("seq")))
                seqs.append(seqOf(frame));
        }
        for (qsizetype i = 1; i < seqs.size(); ++i)
            QCOMPARE(seqs.at(i), seqs.at(i - 1) + 1);
        // The far auction: at most the one countdown of its first tick, not one a second.
        QVERIFY(framesOf(*socket, protocol::EventName::AuctionCountdown, farChannel).size() <= 1);
        QVERIFY(storedEventCount(db(), farChannel, protocol::EventName::AuctionCountdown) <= 1);

        // Unsold: no winner, no escrow, the owner is told, nobody wins.
        const QJsonObject data = frameData(*ended);
        QCOMPARE(intOf(data, "domain_id"), id);
        QVERIFY(data.value(QLatin1String("winner_user_id")).isNull());
        QVERIFY(data.value(QLatin1String("final_bid_cents")).isNull());
        QVERIFY(data.value(QLatin1String("escrow_id")).isNull());
        QVERIFY(msOf(data.value(QLatin1String("server_time"))) >= msOf(endsAt));
        QVERIFY(owner->waitFor(protocol::EventName::AuctionEnded, protocol::Channels::domain(id)));
        QCOMPARE(domainOf(id).value(QLatin1String("status")).toString(), QStringLiteral("ended"));
        QCOMPARE(sqlScalar(db(), QStringLiteral("SELECT COUNT(*) FROM escrows WHERE domain_id = ?"),
                           {id}),
                 qint64(0));
        const auto endedNotes = notificationData(
            db(), m_owner.user.id, protocol::NotificationType::AuctionEnded, "domain_id", id);
        QCOMPARE(endedNotes.size(), 1);
        QVERIFY(endedNotes.first().value(QLatin1String("winner_user_id")).isNull());
        QCOMPARE(endedNotes.first().value(QLatin1String("reserve_met")), QJsonValue(false));
        for (const Session *s : {&m_bob, &m_carl, &m_stranger})
            QCOMPARE(notificationData(db(), s->user.id, protocol::NotificationType::AuctionWon,
                                      "domain_id", id)
                         .size(),
                     0);
        // No countdown after the end, and no second end.
        QVERIFY(!socket->receivesWithin(protocol::EventName::AuctionCountdown, channel, 1000));
        QCOMPARE(framesOf(*socket, protocol::EventName::AuctionEnded, channel).size(), 1);
        QCOMPARE(storedEventCount(db(), channel, protocol::EventName::AuctionEnded), qint64(1));
    }

    // ------------------------------------------------------------------------------------------
    // The end of an auction

    void auctionEndsExactlyOnce()
    {
        const qint64 id = createAuction(m_owner, 2500, 3000);
        // Its reserve is raised behind the API's back after the bid: the close must compare.
        const qint64 missed = createAuction(m_owner, 2500, 1000);
        QVERIFY(id > 0 && missed > 0);
        const QString auctionChannel = protocol::Channels::auction(id);
        const QString domainChannel = protocol::Channels::domain(id);
        auto stranger = connectSocket(server());
        auto owner = connectSocket(server());
        QVERIFY(stranger && owner);
        QVERIFY(stranger->subscribeAuthorized(server(), m_stranger, auctionChannel));
        QVERIFY(stranger->subscribeAuthorized(server(), m_stranger,
                                              protocol::Channels::auction(missed)));
        QVERIFY(owner->subscribeAuthorized(server(), m_owner, domainChannel));

        QCOMPARE(bid(m_bob, id, 3000).status, 201);
        QCOMPARE(bid(m_carl, id, 3100).status, 201);
        QCOMPARE(bid(m_bob, missed, 1000).status, 201);
        QVERIFY(sqlExec(db(),
                        QStringLiteral("UPDATE domains SET reserve_cents = 999999 WHERE id = ?"),
                        {missed}));
        const qint64 endsAt = msOf(domainOf(id).value(QLatin1String("ends_at")));

        const auto ended =
            stranger->waitFor(protocol::EventName::AuctionEnded, auctionChannel, 6000);
        QVERIFY2(ended, "AuctionEnded did not arrive");
        // Later ticks, and an extra explicit pass, must not close it again.
        QCOMPARE(server().app().auctions().closeDueAuctions(protocol::nowMs()), 0);
        server().app().runSchedulerTick();
        QTest::qWait(1500);
        QCOMPARE(framesOf(*stranger, protocol::EventName::AuctionEnded, auctionChannel).size(), 1);
        QCOMPARE(framesOf(*owner, protocol::EventName::AuctionEnded, domainChannel).size(), 1);
        QCOMPARE(storedEventCount(db(), auctionChannel, protocol::EventName::AuctionEnded),
                 qint64(1));
        QCOMPARE(storedEventCount(db(), domainChannel, protocol::EventName::AuctionEnded),
                 qint64(1));

        const QJsonObject data = frameData(*ended);
        QVERIFY(seqOf(*ended) > 0);
        QCOMPARE(intOf(data, "domain_id"), id);
        QCOMPARE(intOf(data, "winner_user_id"), m_carl.user.id);
        QCOMPARE(intOf(data, "final_bid_cents"), qint64(3100));
        const qint64 escrowId = intOf(data, "escrow_id");
        QVERIFY(escrowId > 0);
        QVERIFY(msOf(data.value(QLatin1String("server_time"))) >= endsAt);
        const auto onDomain = owner->waitFor(protocol::EventName::AuctionEnded, domainChannel);
        QVERIFY(onDomain);
        QCOMPARE(frameData(*onDomain), data);

        QCOMPARE(domainOf(id).value(QLatin1String("status")).toString(), QStringLiteral("ended"));
        QCOMPARE(bid(m_dana, id, 5000).status, 422);
        QVERIFY(!stranger->subscribeAuthorized(server(), m_dana, auctionChannel));

        // Notifications: the winner with the escrow, the owner, and nobody else.
        const auto won = notificationData(db(), m_carl.user.id,
                                          protocol::NotificationType::AuctionWon, "domain_id", id);
        QCOMPARE(won.size(), 1);
        QCOMPARE(intOf(won.first(), "escrow_id"), escrowId);
        QCOMPARE(intOf(won.first(), "final_bid_cents"), qint64(3100));
        QCOMPARE(notificationData(db(), m_bob.user.id, protocol::NotificationType::AuctionWon,
                                  "domain_id", id)
                     .size(),
                 0);
        const auto endedNote = notificationData(
            db(), m_owner.user.id, protocol::NotificationType::AuctionEnded, "domain_id", id);
        QCOMPARE(endedNote.size(), 1);
        QCOMPARE(intOf(endedNote.first(), "winner_user_id"), m_carl.user.id);
        QCOMPARE(intOf(endedNote.first(), "escrow_id"), escrowId);
        QCOMPARE(apiNotifications(m_carl, protocol::NotificationType::AuctionWon, id).size(), 1);

        // The escrow: opened once, pending funding, the fee from the configured basis points.
        QCOMPARE(sqlScalar(db(), QStringLiteral("SELECT COUNT(*) FROM escrows WHERE domain_id = ?"),
                           {id}),
                 qint64(1));
        const Reply escrow = getEscrow(m_carl, escrowId);
        QVERIFY2(escrow.status == 200, qPrintable(describe(escrow)));
        const QJsonObject e = objectOf(escrow, "escrow");
        QCOMPARE(idOf(e), escrowId);
        QCOMPARE(intOf(e, "domain_id"), id);
        QCOMPARE(intOf(e, "buyer_id"), m_carl.user.id);
        QCOMPARE(intOf(e, "seller_id"), m_owner.user.id);
        QCOMPARE(intOf(e, "amount_cents"), qint64(3100));
        QCOMPARE(intOf(e, "fee_cents"),
                 qint64(std::llround(3100.0 * FeeBps / 10000.0))); // 77.5 → 78
        QCOMPARE(e.value(QLatin1String("status")).toString(), QStringLiteral("pending_funding"));
        QCOMPARE(getEscrow(m_owner, escrowId).status, 200);
        QCOMPARE(getEscrow(m_admin, escrowId).status, 200);
        QCOMPARE(getEscrow(m_bob, escrowId).status, 403);
        QCOMPARE(getEscrow(m_stranger, escrowId).status, 403);
        QCOMPARE(getEscrow(m_carl, 987654321).status, 404);
        const auto opened = framesOf(*owner, protocol::EventName::EscrowUpdated, domainChannel);
        QCOMPARE(opened.size(), 1);
        QCOMPARE(frameData(opened.first())
                     .value(QLatin1String("escrow"))
                     .toObject()
                     .value(QLatin1String("status"))
                     .toString(),
                 QStringLiteral("pending_funding"));

        // The reserve that was not met: ended, no winner, no escrow.
        const auto missedEnd = stranger->waitFor(protocol::EventName::AuctionEnded,
                                                 protocol::Channels::auction(missed), 1000);
        QVERIFY(missedEnd);
        QVERIFY(frameData(*missedEnd).value(QLatin1String("winner_user_id")).isNull());
        QVERIFY(frameData(*missedEnd).value(QLatin1String("escrow_id")).isNull());
        QCOMPARE(sqlScalar(db(), QStringLiteral("SELECT COUNT(*) FROM escrows WHERE domain_id = ?"),
                           {missed}),
                 qint64(0));
        QCOMPARE(notificationData(db(), m_bob.user.id, protocol::NotificationType::AuctionWon,
                                  "domain_id", missed)
                     .size(),
                 0);
        QCOMPARE(domainOf(missed).value(QLatin1String("status")).toString(),
                 QStringLiteral("ended"));
        QCOMPARE(storedEventCount(db(), protocol::Channels::auction(missed),
                                  protocol::EventName::AuctionEnded),
                 qint64(1));
    }

    // ------------------------------------------------------------------------------------------
    // Offers

    void offerCounterAndMakerAccept()
    {
        const qint64 id = createListing(m_owner);
        QVERIFY(id > 0);
        const QString channel = protocol::Channels::domain(id);
        auto owner = connectSocket(server());
        QVERIFY(owner);
        QVERIFY(owner->subscribeAuthorized(server(), m_owner, channel));

        QCOMPARE(makeOffer(m_bob, id, 0).status, 422);
        QCOMPARE(makeOffer(m_bob, id, QStringLiteral("lots")).status, 422);
        QCOMPARE(makeOffer(m_owner, id, 1000).status, 422);
        QCOMPARE(makeOffer(m_bob, 987654321, 1000).status, 404);

        const Reply made = makeOffer(m_bob, id, 40000);
        QVERIFY2(made.status == 201, qPrintable(describe(made)));
        const QJsonObject offer = objectOf(made, "offer");
        const qint64 offerId = idOf(offer);
        QVERIFY(offerId > 0);
        QCOMPARE(intOf(offer, "domain_id"), id);
        QCOMPARE(intOf(offer, "user_id"), m_bob.user.id);
        QCOMPARE(intOf(offer, "amount_cents"), qint64(40000));
        QCOMPARE(offer.value(QLatin1String("status")).toString(), QStringLiteral("pending"));
        const auto madeFrame = owner->waitFor(protocol::EventName::OfferMade, channel);
        QVERIFY(madeFrame);
        QVERIFY(seqOf(*madeFrame) > 0);
        QCOMPARE(idOf(frameData(*madeFrame).value(QLatin1String("offer")).toObject()), offerId);
        const auto received = notificationData(
            db(), m_owner.user.id, protocol::NotificationType::OfferReceived, "offer_id", offerId);
        QCOMPARE(received.size(), 1);
        QCOMPARE(intOf(received.first(), "amount_cents"), qint64(40000));

        // Whose turn it is.
        QCOMPARE(respond(m_carl, offerId, QStringLiteral("accept")).status, 403);
        QCOMPARE(respond(m_bob, offerId, QStringLiteral("accept")).status, 403);
        QCOMPARE(respond(m_owner, offerId, QStringLiteral("haggle")).status, 422);
        QCOMPARE(respond(m_owner, offerId, QStringLiteral("counter")).status, 422);
        QCOMPARE(respond(m_owner, 987654321, QStringLiteral("accept")).status, 404);

        Reply r = respond(m_owner, offerId, QStringLiteral("counter"), 45000);
        QVERIFY2(r.status == 200, qPrintable(describe(r)));
        QCOMPARE(objectOf(r, "offer").value(QLatin1String("status")).toString(),
                 QStringLiteral("countered"));
        QCOMPARE(intOf(objectOf(r, "offer"), "counter_cents"), qint64(45000));
        auto updated = owner->waitFor(protocol::EventName::OfferUpdated, channel);
        QVERIFY(updated);
        QCOMPARE(frameData(*updated)
                     .value(QLatin1String("offer"))
                     .toObject()
                     .value(QLatin1String("status"))
                     .toString(),
                 QStringLiteral("countered"));
        const auto countered = notificationData(
            db(), m_bob.user.id, protocol::NotificationType::OfferCountered, "offer_id", offerId);
        QCOMPARE(countered.size(), 1);
        QCOMPARE(intOf(countered.first(), "counter_cents"), qint64(45000));

        QCOMPARE(respond(m_owner, offerId, QStringLiteral("accept")).status, 403);
        QCOMPARE(respond(m_carl, offerId, QStringLiteral("accept")).status, 403);
        QCOMPARE(respond(m_bob, offerId, QStringLiteral("counter"), 42000).status, 422);

        r = respond(m_bob, offerId, QStringLiteral("accept"));
        QVERIFY2(r.status == 200, qPrintable(describe(r)));
        const QJsonObject accepted = objectOf(r, "offer");
        QCOMPARE(accepted.value(QLatin1String("status")).toString(), QStringLiteral("accepted"));
        const qint64 escrowId = intOf(accepted, "escrow_id");
        QVERIFY(escrowId > 0);
        updated = owner->waitFor(protocol::EventName::OfferUpdated, channel);
        QVERIFY(updated);
        QCOMPARE(intOf(frameData(*updated).value(QLatin1String("offer")).toObject(), "escrow_id"),
                 escrowId);
        const auto acceptedNote = notificationData(
            db(), m_owner.user.id, protocol::NotificationType::OfferAccepted, "offer_id", offerId);
        QCOMPARE(acceptedNote.size(), 1);
        QCOMPARE(intOf(acceptedNote.first(), "escrow_id"), escrowId);
        QCOMPARE(notificationData(db(), m_bob.user.id, protocol::NotificationType::OfferAccepted,
                                  "offer_id", offerId)
                     .size(),
                 0);

        // The escrow is at the counter price.
        const Reply escrow = getEscrow(m_bob, escrowId);
        QVERIFY2(escrow.status == 200, qPrintable(describe(escrow)));
        const QJsonObject e = objectOf(escrow, "escrow");
        QCOMPARE(intOf(e, "amount_cents"), qint64(45000));
        QCOMPARE(intOf(e, "fee_cents"), qint64(std::llround(45000.0 * FeeBps / 10000.0)));
        QCOMPARE(intOf(e, "buyer_id"), m_bob.user.id);
        QCOMPARE(intOf(e, "seller_id"), m_owner.user.id);
        QCOMPARE(intOf(e, "domain_id"), id);
        QCOMPARE(e.value(QLatin1String("status")).toString(), QStringLiteral("pending_funding"));
        const auto escrowFrames = framesOf(*owner, protocol::EventName::EscrowUpdated, channel);
        QCOMPARE(escrowFrames.size(), 1);
        QCOMPARE(idOf(frameData(escrowFrames.first()).value(QLatin1String("escrow")).toObject()),
                 escrowId);
        QCOMPARE(domainOf(id).value(QLatin1String("status")).toString(), QStringLiteral("ended"));

        // Done is done.
        QCOMPARE(respond(m_bob, offerId, QStringLiteral("accept")).status, 409);
        QCOMPARE(respond(m_owner, offerId, QStringLiteral("reject")).status, 409);
        QCOMPARE(makeOffer(m_carl, id, 90000).status, 422);
        QCOMPARE(sqlScalar(db(), QStringLiteral("SELECT COUNT(*) FROM escrows WHERE domain_id = ?"),
                           {id}),
                 qint64(1));
    }

    void offerRejectAndDirectAccept()
    {
        const qint64 id = createListing(m_owner);
        QVERIFY(id > 0);
        const Reply first = makeOffer(m_bob, id, 1000);
        QCOMPARE(first.status, 201);
        const qint64 firstId = idOf(objectOf(first, "offer"));
        Reply r = respond(m_owner, firstId, QStringLiteral("reject"));
        QVERIFY2(r.status == 200, qPrintable(describe(r)));
        QCOMPARE(objectOf(r, "offer").value(QLatin1String("status")).toString(),
                 QStringLiteral("rejected"));
        QVERIFY(objectOf(r, "offer").value(QLatin1String("escrow_id")).isNull());
        QCOMPARE(notificationData(db(), m_bob.user.id, protocol::NotificationType::OfferRejected,
                                  "offer_id", firstId)
                     .size(),
                 1);
        QCOMPARE(respond(m_bob, firstId, QStringLiteral("accept")).status, 409);
        QCOMPARE(respond(m_owner, firstId, QStringLiteral("accept")).status, 409);
        QCOMPARE(sqlScalar(db(), QStringLiteral("SELECT COUNT(*) FROM escrows WHERE domain_id = ?"),
                           {id}),
                 qint64(0));

        const Reply second = makeOffer(m_carl, id, 2000);
        QCOMPARE(second.status, 201);
        const qint64 secondId = idOf(objectOf(second, "offer"));
        r = respond(m_owner, secondId, QStringLiteral("accept"));
        QVERIFY2(r.status == 200, qPrintable(describe(r)));
        const qint64 escrowId = intOf(objectOf(r, "offer"), "escrow_id");
        QVERIFY(escrowId > 0);
        QCOMPARE(intOf(objectOf(getEscrow(m_carl, escrowId), "escrow"), "amount_cents"),
                 qint64(2000));
        QCOMPARE(notificationData(db(), m_carl.user.id, protocol::NotificationType::OfferAccepted,
                                  "offer_id", secondId)
                     .size(),
                 1);

        // An auction that has bids cannot sell by offer.
        const qint64 auction = createAuction(m_owner, HourMs);
        QCOMPARE(bid(m_bob, auction, 100).status, 201);
        const Reply offer = makeOffer(m_carl, auction, 50000);
        QCOMPARE(offer.status, 201);
        QCOMPARE(respond(m_owner, idOf(objectOf(offer, "offer")), QStringLiteral("accept")).status,
                 409);
        QCOMPARE(sqlScalar(db(), QStringLiteral("SELECT COUNT(*) FROM escrows WHERE domain_id = ?"),
                           {auction}),
                 qint64(0));
    }

    // ------------------------------------------------------------------------------------------
    // Escrow

    void escrowStateMachine_data()
    {
        QTest::addColumn<QString>("state");
        QTest::addColumn<QString>("action");
        QTest::addColumn<QString>("who");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("result");

        const QStringList actions{QStringLiteral("fund"),    QStringLiteral("transfer"),
                                  QStringLiteral("confirm"), QStringLiteral("dispute"),
                                  QStringLiteral("cancel"),  QStringLiteral("release"),
                                  QStringLiteral("refund")};
        const QStringList actors{QStringLiteral("buyer"), QStringLiteral("seller"),
                                 QStringLiteral("admin"), QStringLiteral("stranger")};
        for (const auto &[state, path] : escrowPaths()) {
            Q_UNUSED(path);
            for (const QString &action : actions) {
                const Rule &rule = escrowRules().value(action);
                for (const QString &who : actors) {
                    int status = 200;
                    QString result = rule.to;
                    if (!rule.who.contains(who)) {
                        status = 403;
                        result = state;
                    } else if (!rule.from.contains(state)) {
                        status = 409;
                        result = state;
                    }
                    QTest::addRow("%s %s by %s", qPrintable(state), qPrintable(action),
                                  qPrintable(who))
                        << state << action << who << status << result;
                }
            }
            QTest::addRow("%s unknown action", qPrintable(state))
                << state << QStringLiteral("explode") << QStringLiteral("buyer") << 404 << state;
        }
    }

    void escrowStateMachine()
    {
        QFETCH(QString, state);
        QFETCH(QString, action);
        QFETCH(QString, who);
        QFETCH(int, status);
        QFETCH(QString, result);

        qint64 domainId = 0;
        const qint64 escrowId = openEscrowViaOffer(m_seller, m_buyer, 5000, &domainId);
        QVERIFY(escrowId > 0);
        const QString channel = protocol::Channels::domain(domainId);

        // Drive it into `state` by allowed transitions.
        QList<std::pair<QString, QString>> path;
        for (const auto &[name, steps] : escrowPaths()) {
            if (name == state)
                path = steps;
        }
        for (const auto &[step, by] : std::as_const(path)) {
            const Reply r = escrowAction(actor(by), escrowId, step);
            QVERIFY2(r.status == 200, qPrintable(step + QLatin1Char(' ') + describe(r)));
        }
        QCOMPARE(objectOf(getEscrow(m_buyer, escrowId), "escrow")
                     .value(QLatin1String("status"))
                     .toString(),
                 state);

        const QString auditSql =
            QStringLiteral("SELECT COUNT(*) FROM escrow_events WHERE escrow_id = ?");
        const qint64 auditBefore = sqlScalar(db(), auditSql, {escrowId});
        QCOMPARE(auditBefore, qint64(1 + path.size())); // opening plus one per step
        const qint64 eventsBefore =
            storedEventCount(db(), channel, protocol::EventName::EscrowUpdated);
        QCOMPARE(eventsBefore, qint64(1 + path.size()));
        const auto buyerNotes = [&] {
            return notificationData(db(), m_buyer.user.id,
                                    protocol::NotificationType::EscrowUpdated, "escrow_id",
                                    escrowId);
        };
        const auto sellerNotes = [&] {
            return notificationData(db(), m_seller.user.id,
                                    protocol::NotificationType::EscrowUpdated, "escrow_id",
                                    escrowId);
        };
        const qsizetype buyerBefore = buyerNotes().size();
        const qsizetype sellerBefore = sellerNotes().size();

        const bool succeeds = status == 200;
        if (succeeds)
            QVERIFY(m_sellerSocket->subscribeAuthorized(server(), m_seller, channel));

        const Session &by = actor(who);
        const Reply reply = escrowAction(by, escrowId, action);
        QVERIFY2(reply.status == status, qPrintable(describe(reply)));
        if (succeeds) {
            const QJsonObject e = objectOf(reply, "escrow");
            QCOMPARE(idOf(e), escrowId);
            QCOMPARE(e.value(QLatin1String("status")).toString(), result);
        } else {
            QVERIFY2(!reply.json.value(QLatin1String("message")).toString().isEmpty(),
                     qPrintable(describe(reply)));
        }

        // Who may look at it, and what it is now.
        const Reply seen = getEscrow(m_buyer, escrowId);
        QCOMPARE(seen.status, 200);
        QCOMPARE(objectOf(seen, "escrow").value(QLatin1String("status")).toString(), result);
        QCOMPARE(getEscrow(m_seller, escrowId).status, 200);
        QCOMPARE(getEscrow(m_admin, escrowId).status, 200);
        QCOMPARE(getEscrow(m_stranger, escrowId).status, 403);

        // The audit trail, the broadcast and the other party's notification: one each on
        // success, none on refusal.
        QCOMPARE(sqlScalar(db(), auditSql, {escrowId}), auditBefore + (succeeds ? 1 : 0));
        QCOMPARE(storedEventCount(db(), channel, protocol::EventName::EscrowUpdated),
                 eventsBefore + (succeeds ? 1 : 0));
        const bool buyerTold = succeeds && who != QLatin1String("buyer");
        const bool sellerTold = succeeds && who != QLatin1String("seller");
        const auto buyerAfter = buyerNotes();
        const auto sellerAfter = sellerNotes();
        QCOMPARE(buyerAfter.size(), buyerBefore + (buyerTold ? 1 : 0));
        QCOMPARE(sellerAfter.size(), sellerBefore + (sellerTold ? 1 : 0));
        if (succeeds) {
            const QStringList last = sqlTexts(
                db(),
                QStringLiteral("SELECT from_status || ' ' || to_status || ' ' || "
                               "CAST(actor_id AS TEXT) FROM escrow_events WHERE escrow_id = ? "
                               "ORDER BY id DESC LIMIT 1"),
                {escrowId});
            QCOMPARE(last,
                     QStringList{QStringLiteral("%1 %2 %3").arg(state, result).arg(by.user.id)});
            const QJsonObject note = buyerTold ? buyerAfter.last() : sellerAfter.last();
            QCOMPARE(note.value(QLatin1String("status")).toString(), result);
            QCOMPARE(note.value(QLatin1String("previous_status")).toString(), state);
            QCOMPARE(note.value(QLatin1String("action")).toString(), action);
            const auto frame =
                m_sellerSocket->waitFor(protocol::EventName::EscrowUpdated, channel, 3000);
            QVERIFY(frame);
            QVERIFY(seqOf(*frame) > 0);
            const QJsonObject e = frameData(*frame).value(QLatin1String("escrow")).toObject();
            QCOMPARE(idOf(e), escrowId);
            QCOMPARE(e.value(QLatin1String("status")).toString(), result);
        }
        const QString domainStatus = domainOf(domainId).value(QLatin1String("status")).toString();
        QCOMPARE(domainStatus, result == QLatin1String("completed") ? QStringLiteral("sold")
                                                                    : QStringLiteral("ended"));
    }

    void confirmPaysOutOnce()
    {
        constexpr qint64 Amount = 12345;
        const qint64 fee = std::llround(Amount * double(FeeBps) / 10000.0); // 308.625 → 309
        qint64 domainId = 0;
        const qint64 escrowId = openEscrowViaOffer(m_seller, m_buyer, Amount, &domainId);
        QVERIFY(escrowId > 0);
        QCOMPARE(intOf(objectOf(getEscrow(m_buyer, escrowId), "escrow"), "fee_cents"), fee);
        QCOMPARE(escrowAction(m_buyer, escrowId, QStringLiteral("fund")).status, 200);
        QCOMPARE(escrowAction(m_seller, escrowId, QStringLiteral("transfer")).status, 200);
        const QString key = QStringLiteral("escrow-%1-payout").arg(escrowId);
        QCOMPARE(sqlScalar(db(),
                           QStringLiteral("SELECT COUNT(*) FROM sandbox_payouts WHERE "
                                          "idempotency_key = ?"),
                           {key}),
                 qint64(0));
        const Reply confirmed = escrowAction(m_buyer, escrowId, QStringLiteral("confirm"));
        QVERIFY2(confirmed.status == 200, qPrintable(describe(confirmed)));
        QCOMPARE(objectOf(confirmed, "escrow").value(QLatin1String("status")).toString(),
                 QStringLiteral("completed"));
        QCOMPARE(domainOf(domainId).value(QLatin1String("status")).toString(),
                 QStringLiteral("sold"));

        const QString payoutCount =
            QStringLiteral("SELECT COUNT(*) FROM sandbox_payouts WHERE idempotency_key = ?");
        QVERIFY2(waitUntil([&] { return sqlScalar(db(), payoutCount, {key}) >= 1; }, 3000),
                 "no payout within 3 s");
        QVERIFY(waitUntil(
            [&] {
                return !objectOf(getEscrow(m_seller, escrowId), "escrow")
                            .value(QLatin1String("payout_reference"))
                            .isNull();
            },
            2000));
        QTest::qWait(700);
        QCOMPARE(sqlScalar(db(), payoutCount, {key}), qint64(1));
        QCOMPARE(sqlScalar(db(),
                           QStringLiteral("SELECT amount_cents FROM sandbox_payouts WHERE "
                                          "idempotency_key = ?"),
                           {key}),
                 Amount - fee);
        QCOMPARE(sqlScalar(db(),
                           QStringLiteral("SELECT seller_id FROM sandbox_payouts WHERE "
                                          "idempotency_key = ?"),
                           {key}),
                 m_seller.user.id);
        const QString reference = objectOf(getEscrow(m_seller, escrowId), "escrow")
                                      .value(QLatin1String("payout_reference"))
                                      .toString();
        QVERIFY(!reference.isEmpty());
        const auto paid =
            notificationData(db(), m_seller.user.id, protocol::NotificationType::PayoutCompleted,
                             "escrow_id", escrowId);
        QCOMPARE(paid.size(), 1);
        QCOMPARE(intOf(paid.first(), "amount_cents"), Amount - fee);
        QCOMPARE(intOf(paid.first(), "fee_cents"), fee);
        QCOMPARE(paid.first().value(QLatin1String("reference")).toString(), reference);
        QCOMPARE(notificationData(db(), m_buyer.user.id,
                                  protocol::NotificationType::PayoutCompleted, "escrow_id",
                                  escrowId)
                     .size(),
                 0);
        QVERIFY(waitUntil(
            [&] { return sqlScalar(db(), QStringLiteral("SELECT COUNT(*) FROM jobs")) == 0; },
            3000));
        QCOMPARE(sqlScalar(db(), QStringLiteral("SELECT COUNT(*) FROM failed_jobs")), qint64(0));

        // The same job again (a retry after a lost acknowledgement) moves no more money.
        QVERIFY(db().transaction([&] {
            server::JobQueue::enqueue(db(), server::EscrowService::PayoutJob,
                                      {{QLatin1String("escrow_id"), escrowId}}, protocol::nowMs());
            return true;
        }));
        QVERIFY(waitUntil(
            [&] { return sqlScalar(db(), QStringLiteral("SELECT COUNT(*) FROM jobs")) == 0; },
            3000));
        QCOMPARE(sqlScalar(db(), payoutCount, {key}), qint64(1));
        QCOMPARE(notificationData(db(), m_seller.user.id,
                                  protocol::NotificationType::PayoutCompleted, "escrow_id",
                                  escrowId)
                     .size(),
                 1);
        QCOMPARE(sqlScalar(db(), QStringLiteral("SELECT COUNT(*) FROM failed_jobs")), qint64(0));
    }
};

QTEST_GUILESS_MAIN(TestMarketplace)
#include "tst_marketplace.moc"
