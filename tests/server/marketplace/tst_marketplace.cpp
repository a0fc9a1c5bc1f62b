// SPDX-License-Identifier: MIT
// The marketplace in one process: bids (validation, minimum next bid, notifications, BidPlaced on
// both channels), anti-sniping, countdowns, closing auctions exactly once with an escrow for the
// winner, offers with counter-offers, the escrow state machine action by action and state by
// state, the payout job, and simultaneous equal bids.
#include "testhelpers.h"
#include "testserver.h"

#include "core/waitfor.h"
#include "escrow/escrowservice.h"
#include "events/eventstore.h"
#include "jobs/jobqueue.h"
#include "marketplace/auctionservice.h"
#include "payments/paymentprovider.h"
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

//! How many `event`s stored for `channel` are about the `key` object (`offer`, `escrow`) `id`.
qint64 storedEventsAbout(server::Database &db, const QString &channel, const QString &event,
                         const char *key, qint64 id)
{
    qint64 count = 0;
    for (const QString &data : sqlTexts(
             db, QStringLiteral("SELECT data FROM channel_events WHERE channel = ? AND event = ?"),
             {channel, event})) {
        const QJsonObject object =
            QJsonDocument::fromJson(data.toUtf8()).object().value(QLatin1String(key)).toObject();
        count += object.value(QLatin1String("id")).toInteger(-1) == id ? 1 : 0;
    }
    return count;
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
    std::unique_ptr<TestSocket> m_sellerSocket; // the escrow table's seller on private-user.*
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

    //! The sandbox charges of escrow `escrowId` (every attempt's key).
    qint64 chargesOf(qint64 escrowId)
    {
        return sqlScalar(db(),
                         QStringLiteral("SELECT COUNT(*) FROM sandbox_charges WHERE "
                                        "idempotency_key LIKE ?"),
                         {QStringLiteral("escrow-%1-charge-%").arg(escrowId)});
    }

    QString escrowStatus(qint64 escrowId)
    {
        return sqlTexts(db(), QStringLiteral("SELECT status FROM escrows WHERE id = ?"), {escrowId})
            .value(0);
    }

    //! Adds a job as a retried or duplicated delivery would.
    void enqueueJob(const QString &type, qint64 escrowId)
    {
        QVERIFY(db().transaction([&] {
            server::JobQueue::enqueue(db(), type, {{QLatin1String("escrow_id"), escrowId}},
                                      protocol::nowMs());
            return true;
        }));
    }

    //! Jobs of `type` about `escrowId` still queued (or running).
    qint64 queuedJobs(const QString &type, qint64 escrowId)
    {
        return sqlScalar(db(),
                         QStringLiteral("SELECT COUNT(*) FROM jobs WHERE type = ? AND payload = ?"),
                         {type, QStringLiteral("{\"escrow_id\":%1}").arg(escrowId)});
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_server = std::make_unique<TestServer>([](server::Config &config) {
            config.antiSnipeSeconds = 0; // auctions here end when they say (see antiSniping)
            config.platformFeeBps = FeeBps;
            config.jobBackoffMs = 200;
            // Olivia runs far more auctions here than one seller may by default (see
            // liveAuctionsPerSellerAreCapped).
            config.maxLiveAuctionsPerSeller = 1000;
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
        QVERIFY(m_sellerSocket->subscribeAuthorized(server(), m_seller,
                                                    protocol::Channels::user(m_seller.user.id)));
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
        // Another user's draft does not exist for the bidder.
        QTest::newRow("draft") << QStringLiteral("draft") << bob
                               << QByteArray(R"({"amount_cents": 6000})") << 404 << false;
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
            // Transient: a beat the next one supersedes has no seq and is not stored.
            QVERIFY2(!frame.contains(QLatin1String("seq")), qPrintable(frameText(frame)));
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
        QCOMPARE(storedEventCount(db(), farChannel, protocol::EventName::AuctionCountdown),
                 qint64(0));
        QCOMPARE(storedEventCount(db(), channel, protocol::EventName::AuctionCountdown), qint64(0));

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
        const QString ownerChannel = protocol::Channels::user(m_owner.user.id);
        QVERIFY(owner->subscribeAuthorized(server(), m_owner, ownerChannel));

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
        // The escrow is the parties' business: the seller hears of it on their own channel, and
        // the domain's channel, which any watcher may follow, carries nothing of it.
        // (It came before AuctionEnded, in the same transaction.)
        const auto opened = framesOf(*owner, protocol::EventName::EscrowUpdated, ownerChannel);
        QCOMPARE(opened.size(), 1);
        QCOMPARE(framesOf(*owner, protocol::EventName::EscrowUpdated, domainChannel).size(), 0);
        QCOMPARE(storedEventCount(db(), domainChannel, protocol::EventName::EscrowUpdated),
                 qint64(0));
        QCOMPARE(storedEventsAbout(db(), protocol::Channels::user(m_carl.user.id),
                                   protocol::EventName::EscrowUpdated, "escrow", escrowId),
                 qint64(1));
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
        // Offers are the owner's and the maker's business: their own channels carry them.
        const QString channel = protocol::Channels::user(m_owner.user.id);
        const QString domainChannel = protocol::Channels::domain(id);
        auto owner = connectSocket(server());
        QVERIFY(owner);
        QVERIFY(owner->subscribeAuthorized(server(), m_owner, channel));
        QVERIFY(owner->subscribeAuthorized(server(), m_owner, domainChannel));

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
        // (It came before the OfferUpdated that announced the acceptance.)
        const auto escrowFrames = framesOf(*owner, protocol::EventName::EscrowUpdated, channel);
        QCOMPARE(escrowFrames.size(), 1);
        QCOMPARE(idOf(frameData(escrowFrames.first()).value(QLatin1String("escrow")).toObject()),
                 escrowId);
        QCOMPARE(domainOf(id).value(QLatin1String("status")).toString(), QStringLiteral("ended"));
        // The domain's channel heard only that the domain ended: no offer, no escrow.
        const auto ended = owner->waitFor(protocol::EventName::DomainUpdated, domainChannel);
        QVERIFY(ended);
        QCOMPARE(frameData(*ended)
                     .value(QLatin1String("domain"))
                     .toObject()
                     .value(QLatin1String("status"))
                     .toString(),
                 QStringLiteral("ended"));
        for (const QString &event :
             {protocol::EventName::OfferMade, protocol::EventName::OfferUpdated,
              protocol::EventName::EscrowUpdated}) {
            QCOMPARE(framesOf(*owner, event, domainChannel).size(), 0);
            QCOMPARE(storedEventCount(db(), domainChannel, event), qint64(0));
        }
        // The maker got each step on their own channel too.
        const QString bobChannel = protocol::Channels::user(m_bob.user.id);
        QCOMPARE(
            storedEventsAbout(db(), bobChannel, protocol::EventName::OfferMade, "offer", offerId),
            qint64(1));
        QCOMPARE(storedEventsAbout(db(), bobChannel, protocol::EventName::OfferUpdated, "offer",
                                   offerId),
                 qint64(2));
        QCOMPARE(storedEventsAbout(db(), bobChannel, protocol::EventName::EscrowUpdated, "escrow",
                                   escrowId),
                 qint64(1));

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
        // EscrowUpdated goes to the parties' own channels, never to the domain's.
        const QString channel = protocol::Channels::user(m_buyer.user.id);
        const QString sellerChannel = protocol::Channels::user(m_seller.user.id);
        const QString domainChannel = protocol::Channels::domain(domainId);

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
        const auto escrowEvents = [&](const QString &on) {
            return storedEventsAbout(db(), on, protocol::EventName::EscrowUpdated, "escrow",
                                     escrowId);
        };
        const qint64 eventsBefore = escrowEvents(channel);
        QCOMPARE(eventsBefore, qint64(1 + path.size()));
        QCOMPARE(escrowEvents(sellerChannel), eventsBefore);
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
        QCOMPARE(escrowEvents(channel), eventsBefore + (succeeds ? 1 : 0));
        QCOMPARE(escrowEvents(sellerChannel), eventsBefore + (succeeds ? 1 : 0));
        QCOMPARE(storedEventCount(db(), domainChannel, protocol::EventName::EscrowUpdated),
                 qint64(0));
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
            // Live, on the seller's own channel (frames of earlier rows are skipped).
            std::optional<QJsonObject> frame;
            while (!frame) {
                const auto next = m_sellerSocket->waitFor(protocol::EventName::EscrowUpdated,
                                                          sellerChannel, 3000);
                QVERIFY(next);
                const QJsonObject e = frameData(*next).value(QLatin1String("escrow")).toObject();
                if (idOf(e) == escrowId && e.value(QLatin1String("status")).toString() == result)
                    frame = next;
            }
            QVERIFY(seqOf(*frame) > 0);
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

    // ------------------------------------------------------------------------------------------
    // Money moves only through the payment provider

    // The sandbox is idempotent by key for each kind of operation: the same key gives the same
    // answer and records (moves) nothing a second time.
    void sandboxIsIdempotentByKey()
    {
        server::PaymentProvider &provider = server().app().payments();
        QVERIFY(provider.isSandbox());
        const QString prefix = QStringLiteral("idem-%1-").arg(protocol::nowMs());
        const auto first =
            server::waitFor(provider.charge(prefix + QStringLiteral("c"), m_buyer.user.id, 1234));
        QVERIFY(first);
        QCOMPARE(first->status, QStringLiteral("settled"));
        QCOMPARE(first->amountCents, qint64(1234));
        const auto again =
            server::waitFor(provider.charge(prefix + QStringLiteral("c"), m_buyer.user.id, 9999));
        QVERIFY(again);
        QCOMPARE(again->reference, first->reference);
        QCOMPARE(again->amountCents, qint64(1234)); // the first answer, not a second charge
        const auto seen = server::waitFor(provider.chargeStatus(first->reference));
        QVERIFY(seen);
        QCOMPARE(seen->status, QStringLiteral("settled"));
        QCOMPARE(server::waitFor(provider.chargeStatus(QStringLiteral("sandbox-charge-987654321")))
                     .hasValue(),
                 false);

        const auto refund =
            server::waitFor(provider.refund(prefix + QStringLiteral("r"), first->reference, 1234));
        QVERIFY(refund);
        const auto refundAgain =
            server::waitFor(provider.refund(prefix + QStringLiteral("r"), first->reference, 1234));
        QVERIFY(refundAgain);
        QCOMPARE(*refundAgain, *refund);
        QCOMPARE(server::waitFor(provider.chargeStatus(first->reference))->status,
                 QStringLiteral("refunded"));
        // A refunded charge cannot be refunded again under another key.
        QVERIFY(!server::waitFor(
            provider.refund(prefix + QStringLiteral("r2"), first->reference, 1234)));

        const auto payout =
            server::waitFor(provider.payout(prefix + QStringLiteral("p"), m_seller.user.id, 500));
        const auto payoutAgain =
            server::waitFor(provider.payout(prefix + QStringLiteral("p"), m_seller.user.id, 500));
        QVERIFY(payout && payoutAgain);
        QCOMPARE(*payoutAgain, *payout);

        const QVariantList like{prefix + QLatin1Char('%')};
        QCOMPARE(sqlScalar(db(),
                           QStringLiteral(
                               "SELECT COUNT(*) FROM sandbox_charges WHERE idempotency_key LIKE ?"),
                           like),
                 qint64(1));
        QCOMPARE(sqlScalar(db(),
                           QStringLiteral(
                               "SELECT COUNT(*) FROM sandbox_refunds WHERE idempotency_key LIKE ?"),
                           like),
                 qint64(1));
        QCOMPARE(sqlScalar(db(),
                           QStringLiteral(
                               "SELECT COUNT(*) FROM sandbox_payouts WHERE idempotency_key LIKE ?"),
                           like),
                 qint64(1));
    }

    // Funding charges the buyer exactly the escrow's amount, once, however often fund is asked.
    void doubleFundChargesOnce()
    {
        constexpr qint64 Amount = 7777;
        const qint64 escrowId = openEscrowViaOffer(m_seller, m_buyer, Amount, nullptr);
        QVERIFY(escrowId > 0);
        QCOMPARE(chargesOf(escrowId), qint64(0));
        QList<Call> calls;
        for (int i = 0; i < 4; ++i)
            calls.append({"POST",
                          server().url(QStringLiteral("/api/escrows/%1/fund").arg(escrowId)),
                          m_buyer.token, QByteArray("{}")});
        int funded = 0;
        for (const Reply &reply : runAtOnce(calls, 15000, 2)) {
            if (reply.status == 200) {
                ++funded;
                QCOMPARE(objectOf(reply, "escrow").value(QLatin1String("status")).toString(),
                         QStringLiteral("funded"));
            } else {
                QVERIFY2(reply.status == 409, qPrintable(describe(reply)));
                QVERIFY(!reply.json.value(QLatin1String("message")).toString().isEmpty());
            }
        }
        QCOMPARE(funded, 1);
        QCOMPARE(escrowAction(m_buyer, escrowId, QStringLiteral("fund")).status, 409);

        QCOMPARE(chargesOf(escrowId), qint64(1));
        const QString key = QStringLiteral("escrow-%1-charge-1").arg(escrowId);
        QCOMPARE(sqlScalar(db(),
                           QStringLiteral("SELECT amount_cents FROM sandbox_charges WHERE "
                                          "idempotency_key = ?"),
                           {key}),
                 Amount);
        QCOMPARE(sqlScalar(db(),
                           QStringLiteral("SELECT buyer_id FROM sandbox_charges WHERE "
                                          "idempotency_key = ?"),
                           {key}),
                 m_buyer.user.id);
        const QJsonObject e = objectOf(getEscrow(m_buyer, escrowId), "escrow");
        QCOMPARE(e.value(QLatin1String("status")).toString(), QStringLiteral("funded"));
        QCOMPARE(e.value(QLatin1String("charge_status")).toString(), QStringLiteral("settled"));
        QCOMPARE(intOf(e, "charged_cents"), Amount);
        QVERIFY(e.value(QLatin1String("charge_reference"))
                    .toString()
                    .startsWith(QLatin1String("sandbox-charge-")));
        QCOMPARE(sqlScalar(db(),
                           QStringLiteral("SELECT COUNT(*) FROM escrow_events WHERE escrow_id = ? "
                                          "AND to_status = 'funded'"),
                           {escrowId}),
                 qint64(1));
    }

    // The provider's answer under the escrow's key is not a settled charge of exactly the
    // escrow's amount: the escrow stays unfunded, nothing downstream can start, and the buyer is
    // charged at most once more (never again for a wrong amount).
    void fundNeedsASettledChargeOfTheAmount_data()
    {
        QTest::addColumn<QString>("providerStatus");
        QTest::addColumn<qint64>("delta");
        QTest::addRow("declined") << QStringLiteral("failed") << qint64(0);
        QTest::addRow("already refunded") << QStringLiteral("refunded") << qint64(0);
        QTest::addRow("settled for less") << QStringLiteral("settled") << qint64(-1);
        QTest::addRow("settled for more") << QStringLiteral("settled") << qint64(1);
    }

    void fundNeedsASettledChargeOfTheAmount()
    {
        QFETCH(QString, providerStatus);
        QFETCH(qint64, delta);
        constexpr qint64 Amount = 6400;
        const qint64 escrowId = openEscrowViaOffer(m_seller, m_buyer, Amount, nullptr);
        QVERIFY(escrowId > 0);
        QVERIFY(sqlExec(db(),
                        QStringLiteral("INSERT INTO sandbox_charges (idempotency_key, buyer_id, "
                                       "amount_cents, status, created_at) VALUES (?, ?, ?, ?, ?)"),
                        {QStringLiteral("escrow-%1-charge-1").arg(escrowId), m_buyer.user.id,
                         Amount + delta, providerStatus, protocol::nowMs()}));

        const Reply refused = escrowAction(m_buyer, escrowId, QStringLiteral("fund"));
        QVERIFY2(refused.status == 409, qPrintable(describe(refused)));
        QVERIFY(!refused.json.value(QLatin1String("message")).toString().isEmpty());
        QCOMPARE(escrowStatus(escrowId), QStringLiteral("pending_funding"));
        const QJsonObject e = objectOf(getEscrow(m_buyer, escrowId), "escrow");
        QCOMPARE(e.value(QLatin1String("charge_status")).toString(), providerStatus);
        QCOMPARE(intOf(e, "charged_cents"), Amount + delta);
        // Nothing that needs the money can happen.
        QCOMPARE(escrowAction(m_seller, escrowId, QStringLiteral("transfer")).status, 409);
        QCOMPARE(escrowAction(m_buyer, escrowId, QStringLiteral("dispute")).status, 409);
        QCOMPARE(sqlScalar(db(),
                           QStringLiteral("SELECT COUNT(*) FROM escrow_events WHERE escrow_id = ? "
                                          "AND to_status = 'funded'"),
                           {escrowId}),
                 qint64(0));
        QCOMPARE(notificationData(db(), m_seller.user.id, protocol::NotificationType::EscrowUpdated,
                                  "escrow_id", escrowId)
                     .size(),
                 0);

        const Reply retry = escrowAction(m_buyer, escrowId, QStringLiteral("fund"));
        if (providerStatus == QLatin1String("settled")) {
            // Money was taken for the wrong amount: no second charge, an operator sorts it out.
            QVERIFY2(retry.status == 409, qPrintable(describe(retry)));
            QCOMPARE(chargesOf(escrowId), qint64(1));
            QCOMPARE(escrowStatus(escrowId), QStringLiteral("pending_funding"));
        } else {
            // Nothing was taken: the next attempt is a new charge, which the sandbox settles.
            QVERIFY2(retry.status == 200, qPrintable(describe(retry)));
            QCOMPARE(escrowStatus(escrowId), QStringLiteral("funded"));
            QCOMPARE(chargesOf(escrowId), qint64(2));
            QCOMPARE(sqlScalar(db(),
                               QStringLiteral("SELECT amount_cents FROM sandbox_charges WHERE "
                                              "idempotency_key = ?"),
                               {QStringLiteral("escrow-%1-charge-2").arg(escrowId)}),
                     Amount);
        }
    }

    // A provider that settles later: 202, nothing funded until the charge settles, then the
    // settle job funds the escrow once.
    void pendingChargeFundsWhenSettled()
    {
        constexpr qint64 Amount = 8100;
        const qint64 escrowId = openEscrowViaOffer(m_seller, m_buyer, Amount, nullptr);
        QVERIFY(escrowId > 0);
        const QString key = QStringLiteral("escrow-%1-charge-1").arg(escrowId);
        QVERIFY(sqlExec(db(),
                        QStringLiteral("INSERT INTO sandbox_charges (idempotency_key, buyer_id, "
                                       "amount_cents, status, created_at) VALUES (?, ?, ?, "
                                       "'pending', ?)"),
                        {key, m_buyer.user.id, Amount, protocol::nowMs()}));
        const Reply accepted = escrowAction(m_buyer, escrowId, QStringLiteral("fund"));
        QVERIFY2(accepted.status == 202, qPrintable(describe(accepted)));
        QCOMPARE(objectOf(accepted, "escrow").value(QLatin1String("status")).toString(),
                 QStringLiteral("pending_funding"));
        QCOMPARE(objectOf(accepted, "escrow").value(QLatin1String("charge_status")).toString(),
                 QStringLiteral("pending"));
        QCOMPARE(escrowAction(m_seller, escrowId, QStringLiteral("transfer")).status, 409);
        QCOMPARE(escrowAction(m_buyer, escrowId, QStringLiteral("cancel")).status, 409);
        QCOMPARE(escrowAction(m_buyer, escrowId, QStringLiteral("fund")).status, 202);
        QCOMPARE(queuedJobs(server::EscrowService::SettleChargeJob, escrowId), qint64(1));
        QCOMPARE(escrowStatus(escrowId), QStringLiteral("pending_funding"));

        QVERIFY(sqlExec(db(),
                        QStringLiteral("UPDATE sandbox_charges SET status = 'settled' WHERE "
                                       "idempotency_key = ?"),
                        {key}));
        QVERIFY2(
            waitUntil([&] { return escrowStatus(escrowId) == QLatin1String("funded"); }, 20000),
            "the settled charge did not fund the escrow");
        QVERIFY(waitUntil(
            [&] { return queuedJobs(server::EscrowService::SettleChargeJob, escrowId) == 0; },
            5000));
        QCOMPARE(chargesOf(escrowId), qint64(1));
        const QStringList audit =
            sqlTexts(db(),
                     QStringLiteral("SELECT from_status || ' ' || to_status || ' ' || "
                                    "COALESCE(CAST(actor_id AS TEXT), 'nobody') FROM escrow_events "
                                    "WHERE escrow_id = ? ORDER BY id"),
                     {escrowId});
        QCOMPARE(audit, (QStringList{QStringLiteral("none pending_funding nobody"),
                                     QStringLiteral("pending_funding funded nobody")}));
        // Both parties are told, as nobody of them acted.
        for (const Session *party : {&m_buyer, &m_seller})
            QCOMPARE(notificationData(db(), party->user.id,
                                      protocol::NotificationType::EscrowUpdated, "escrow_id",
                                      escrowId)
                         .size(),
                     1);
        QCOMPARE(escrowAction(m_seller, escrowId, QStringLiteral("transfer")).status, 200);
    }

    // A refund returns exactly what was charged to the buyer, once, through the provider.
    void refundReturnsTheChargeOnce()
    {
        constexpr qint64 Amount = 5300;
        const qint64 escrowId = openEscrowViaOffer(m_seller, m_buyer, Amount, nullptr);
        QVERIFY(escrowId > 0);
        QCOMPARE(escrowAction(m_buyer, escrowId, QStringLiteral("fund")).status, 200);
        const Reply refunded = escrowAction(m_admin, escrowId, QStringLiteral("refund"));
        QVERIFY2(refunded.status == 200, qPrintable(describe(refunded)));
        QCOMPARE(objectOf(refunded, "escrow").value(QLatin1String("status")).toString(),
                 QStringLiteral("refunded"));

        const QString key = QStringLiteral("escrow-%1-refund").arg(escrowId);
        const QString count =
            QStringLiteral("SELECT COUNT(*) FROM sandbox_refunds WHERE idempotency_key = ?");
        QVERIFY2(waitUntil([&] { return sqlScalar(db(), count, {key}) == 1; }, 10000), "no refund");
        QCOMPARE(sqlScalar(db(),
                           QStringLiteral("SELECT r.amount_cents FROM sandbox_refunds r JOIN "
                                          "sandbox_charges c ON c.id = r.charge_id WHERE "
                                          "r.idempotency_key = ? AND c.idempotency_key = ?"),
                           {key, QStringLiteral("escrow-%1-charge-1").arg(escrowId)}),
                 Amount);
        QVERIFY(waitUntil(
            [&] { return queuedJobs(server::EscrowService::RefundJob, escrowId) == 0; }, 5000));
        const QJsonObject e = objectOf(getEscrow(m_buyer, escrowId), "escrow");
        QVERIFY(e.value(QLatin1String("refund_reference"))
                    .toString()
                    .startsWith(QLatin1String("sandbox-refund-")));
        QCOMPARE(e.value(QLatin1String("charge_status")).toString(), QStringLiteral("refunded"));

        // The same job again (a retry after a lost acknowledgement) refunds nothing more; the
        // escrow cannot be refunded twice either.
        enqueueJob(server::EscrowService::RefundJob, escrowId);
        QVERIFY(waitUntil(
            [&] { return queuedJobs(server::EscrowService::RefundJob, escrowId) == 0; }, 5000));
        QCOMPARE(sqlScalar(db(), count, {key}), qint64(1));
        QCOMPARE(escrowAction(m_admin, escrowId, QStringLiteral("refund")).status, 409);
        QCOMPARE(sqlScalar(db(),
                           QStringLiteral("SELECT COUNT(*) FROM sandbox_refunds r JOIN "
                                          "sandbox_charges c ON c.id = r.charge_id WHERE "
                                          "c.idempotency_key LIKE ?"),
                           {QStringLiteral("escrow-%1-charge-%").arg(escrowId)}),
                 qint64(1));
        // Nor can what went back to the buyer be paid out to the seller.
        enqueueJob(server::EscrowService::PayoutJob, escrowId);
        QVERIFY(waitUntil(
            [&] { return queuedJobs(server::EscrowService::PayoutJob, escrowId) == 0; }, 10000));
        QCOMPARE(sqlScalar(db(),
                           QStringLiteral("SELECT COUNT(*) FROM sandbox_payouts WHERE "
                                          "idempotency_key = ?"),
                           {QStringLiteral("escrow-%1-payout").arg(escrowId)}),
                 qint64(0));
    }

    // The payout job pays only from a charge the provider reports settled for the amount.
    void payoutRefusedWithoutSettledCharge_data()
    {
        QTest::addColumn<QString>("how");
        // Completed on the buyer's word, as before funding went through the provider.
        QTest::addRow("never charged") << QStringLiteral("never charged");
        // The provider returned the money meanwhile (a chargeback).
        QTest::addRow("charge refunded") << QStringLiteral("charge refunded");
    }

    void payoutRefusedWithoutSettledCharge()
    {
        QFETCH(QString, how);
        constexpr qint64 Amount = 4200;
        const qint64 escrowId = openEscrowViaOffer(m_seller, m_buyer, Amount, nullptr);
        QVERIFY(escrowId > 0);
        if (how == QLatin1String("never charged")) {
            QVERIFY(sqlExec(db(),
                            QStringLiteral("UPDATE escrows SET status = 'completed' WHERE id = ?"),
                            {escrowId}));
            enqueueJob(server::EscrowService::PayoutJob, escrowId);
        } else {
            QCOMPARE(escrowAction(m_buyer, escrowId, QStringLiteral("fund")).status, 200);
            QCOMPARE(escrowAction(m_seller, escrowId, QStringLiteral("transfer")).status, 200);
            QVERIFY(sqlExec(db(),
                            QStringLiteral("UPDATE sandbox_charges SET status = 'refunded' WHERE "
                                           "idempotency_key = ?"),
                            {QStringLiteral("escrow-%1-charge-1").arg(escrowId)}));
            QCOMPARE(escrowAction(m_buyer, escrowId, QStringLiteral("confirm")).status, 200);
        }
        const QString failed =
            QStringLiteral("SELECT error FROM failed_jobs WHERE type = ? AND payload = ?");
        const QVariantList binds{server::EscrowService::PayoutJob,
                                 QStringLiteral("{\"escrow_id\":%1}").arg(escrowId)};
        QVERIFY2(waitUntil([&] { return !sqlTexts(db(), failed, binds).isEmpty(); }, 20000),
                 "the payout job did not give up");
        const QString error = sqlTexts(db(), failed, binds).value(0);
        QVERIFY2(error.contains(QLatin1String("charge")), qPrintable(error));
        QCOMPARE(sqlScalar(db(),
                           QStringLiteral("SELECT COUNT(*) FROM sandbox_payouts WHERE "
                                          "idempotency_key = ?"),
                           {QStringLiteral("escrow-%1-payout").arg(escrowId)}),
                 qint64(0));
        QVERIFY(objectOf(getEscrow(m_seller, escrowId), "escrow")
                    .value(QLatin1String("payout_reference"))
                    .isNull());
        QCOMPARE(notificationData(db(), m_seller.user.id,
                                  protocol::NotificationType::PayoutCompleted, "escrow_id",
                                  escrowId)
                     .size(),
                 0);
    }

    // ------------------------------------------------------------------------------------------
    // What watchers of a domain may see

    // A third user who watches a domain follows its channel live and reads its history: no
    // escrow events, no offer amounts or makers, at any step of an offer that becomes a sale.
    void watcherSeesNoEscrowOrOfferDetails()
    {
        const Session watcher = server().registerUser(QStringLiteral("Nosy"));
        const qint64 id = createListing(m_seller);
        QVERIFY(id > 0);
        const QString channel = protocol::Channels::domain(id);
        QCOMPARE(server()
                     .post(QStringLiteral("/api/domains/%1/watch").arg(id), {}, watcher.token)
                     .status,
                 200);
        auto nosy = connectSocket(server());
        auto parties = connectSocket(server());
        QVERIFY(nosy && parties);
        QVERIFY(nosy->subscribeAuthorized(server(), watcher, channel));
        const QString buyerChannel = protocol::Channels::user(m_buyer.user.id);
        const QString sellerChannel = protocol::Channels::user(m_seller.user.id);
        QVERIFY(parties->subscribeAuthorized(server(), m_buyer, buyerChannel));
        QVERIFY(parties->subscribeAuthorized(server(), m_seller, sellerChannel));

        // Offer 91 113, counter 97 331, accept, fund, transfer, confirm.
        const Reply made = makeOffer(m_buyer, id, 91113);
        QCOMPARE(made.status, 201);
        const qint64 offerId = idOf(objectOf(made, "offer"));
        QCOMPARE(respond(m_seller, offerId, QStringLiteral("counter"), 97331).status, 200);
        const Reply accepted = respond(m_buyer, offerId, QStringLiteral("accept"));
        QCOMPARE(accepted.status, 200);
        const qint64 escrowId = intOf(objectOf(accepted, "offer"), "escrow_id");
        QVERIFY(escrowId > 0);
        QCOMPARE(escrowAction(m_buyer, escrowId, QStringLiteral("fund")).status, 200);
        QCOMPARE(escrowAction(m_seller, escrowId, QStringLiteral("transfer")).status, 200);
        QCOMPARE(escrowAction(m_buyer, escrowId, QStringLiteral("confirm")).status, 200);

        // The parties heard every step on their own channels, with the amounts.
        for (const QString &own : {buyerChannel, sellerChannel}) {
            const auto offerMade = parties->waitFor(protocol::EventName::OfferMade, own);
            QVERIFY2(offerMade, qPrintable(own));
            const QJsonObject offer =
                frameData(*offerMade).value(QLatin1String("offer")).toObject();
            QCOMPARE(intOf(offer, "amount_cents"), qint64(91113));
            QCOMPARE(intOf(offer, "user_id"), m_buyer.user.id);
            QVERIFY(seqOf(*offerMade) > 0);
        }
        QVERIFY(waitUntil(
            [&] {
                return framesOf(*parties, protocol::EventName::EscrowUpdated, buyerChannel)
                               .size() >= 4 &&
                       framesOf(*parties, protocol::EventName::EscrowUpdated, sellerChannel)
                               .size() >= 4;
            },
            5000));
        QCOMPARE(framesOf(*parties, protocol::EventName::OfferUpdated, sellerChannel).size(), 2);

        // The watcher: that the domain ended, nothing of who or how much.
        QVERIFY(nosy->waitFor(protocol::EventName::DomainUpdated, channel));
        QTest::qWait(300);
        const QList<QByteArray> secrets{":91113", ":97331", "escrow", "offer"};
        const auto leaks = [&](const QString &event, const QByteArray &data) {
            QStringList found;
            if (event == protocol::EventName::EscrowUpdated ||
                event == protocol::EventName::OfferMade ||
                event == protocol::EventName::OfferUpdated)
                found.append(event);
            for (const QByteArray &secret : secrets) {
                if (data.contains(secret))
                    found.append(QString::fromLatin1(secret));
            }
            if (data.contains("\"user_id\":" + QByteArray::number(m_buyer.user.id)))
                found.append(QStringLiteral("the buyer"));
            return found;
        };
        for (const QJsonObject &frame : nosy->frames()) {
            if (frame.value(QLatin1String("channel")).toString() != channel)
                continue;
            const QStringList found = leaks(frame.value(QLatin1String("event")).toString(),
                                            frame.value(QLatin1String("data")).toString().toUtf8());
            QVERIFY2(found.isEmpty(), qPrintable(found.join(QLatin1String(", ")) +
                                                 QLatin1String(": ") + frameText(frame)));
        }
        const Reply history =
            server().get(QStringLiteral("/api/channels/%1/events?after=0&limit=1000").arg(channel),
                         watcher.token);
        QCOMPARE(history.status, 200);
        const QJsonArray events = history.json.value(QLatin1String("data")).toArray();
        QVERIFY(!events.isEmpty());
        for (const QJsonValue &value : events) {
            const QJsonObject event = value.toObject();
            const QStringList found = leaks(event.value(QLatin1String("event")).toString(),
                                            event.value(QLatin1String("data")).toString().toUtf8());
            QVERIFY2(found.isEmpty(),
                     qPrintable(found.join(QLatin1String(", ")) + QLatin1String(": ") +
                                QString::fromUtf8(QJsonDocument(event).toJson())));
        }
        // The parties' notifications are still there.
        QCOMPARE(notificationData(db(), m_seller.user.id, protocol::NotificationType::EscrowUpdated,
                                  "escrow_id", escrowId)
                     .size(),
                 2); // funded, completed
        QCOMPARE(notificationData(db(), m_buyer.user.id, protocol::NotificationType::EscrowUpdated,
                                  "escrow_id", escrowId)
                     .size(),
                 1); // transferred
    }

    // A draft, with its reserve price, is its owner's alone: to everyone else every route answers
    // as for a domain that does not exist.
    void draftsAreNotFoundToOthers()
    {
        constexpr qint64 Reserve = 777331;
        const Reply created = createDomain(server(), m_owner,
                                           {{QLatin1String("enable_bidding"), true},
                                            {QLatin1String("reserve_cents"), Reserve},
                                            {QLatin1String("ends_at"), isoAfter(HourMs)},
                                            {QLatin1String("status"), QStringLiteral("draft")}});
        QCOMPARE(created.status, 201);
        const qint64 draft = idOf(objectOf(created, "domain"));
        QVERIFY(draft > 0);
        const qint64 unknown = draft + 100000;

        struct Probe
        {
            QByteArray method;
            QString path; // %1 is the domain id
            QByteArray body;
        };
        const QList<Probe> probes{
            {"GET", QStringLiteral("/api/domains/%1"), {}},
            {"PATCH", QStringLiteral("/api/domains/%1"), R"({"status":"active"})"},
            {"POST", QStringLiteral("/api/domains/%1/watch"), "{}"},
            {"DELETE", QStringLiteral("/api/domains/%1/watch"), {}},
            {"GET", QStringLiteral("/api/domains/%1/bids"), {}},
            {"POST", QStringLiteral("/api/domains/%1/bids"), R"({"amount_cents":800000})"},
            {"POST", QStringLiteral("/api/domains/%1/offers"), R"({"amount_cents":800000})"},
            {"GET", QStringLiteral("/api/channels/private-domain.%1/events?after=0"), {}},
            {"GET", QStringLiteral("/api/channels/presence-auction.%1/events?after=0"), {}},
        };
        for (const Probe &probe : probes) {
            const Reply other =
                server().request(probe.method, probe.path.arg(draft), m_stranger.token, probe.body);
            const Reply absent = server().request(probe.method, probe.path.arg(unknown),
                                                  m_stranger.token, probe.body);
            const QString what = QString::fromLatin1(probe.method) + QLatin1Char(' ') +
                                 probe.path.arg(draft) + QLatin1String(": ") + describe(other);
            QVERIFY2(other.status == 404, qPrintable(what));
            QCOMPARE(other.status, absent.status);
            QCOMPARE(other.json, absent.json);
            QVERIFY2(!other.body.contains(QByteArray::number(Reserve)), qPrintable(what));
        }
        for (const QString &channel :
             {protocol::Channels::domain(draft), protocol::Channels::auction(draft)}) {
            const Reply auth =
                server().post(QStringLiteral("/broadcasting/auth"),
                              {{QLatin1String("socket_id"), QStringLiteral("123.456")},
                               {QLatin1String("channel_name"), channel}},
                              m_stranger.token);
            QVERIFY2(auth.status == 404, qPrintable(channel + describe(auth)));
        }
        const Reply list =
            server().get(QStringLiteral("/api/auctions?limit=200"), m_stranger.token);
        QCOMPARE(list.status, 200);
        QVERIFY(!list.body.contains(QByteArray::number(Reserve)));
        QCOMPARE(sqlScalar(db(),
                           QStringLiteral("SELECT COUNT(*) FROM watchers WHERE domain_id = ?"),
                           {draft}),
                 qint64(0));
        QCOMPARE(sqlTexts(db(), QStringLiteral("SELECT status FROM domains WHERE id = ?"), {draft}),
                 QStringList{QStringLiteral("draft")});

        // The owner sees and follows it.
        QCOMPARE(intOf(domainOf(draft), "reserve_cents"), Reserve);
        QCOMPARE(server()
                     .post(QStringLiteral("/api/domains/%1/watch").arg(draft), {}, m_owner.token)
                     .status,
                 200);
        auto owner = connectSocket(server());
        QVERIFY(owner);
        QVERIFY(owner->subscribeAuthorized(server(), m_owner, protocol::Channels::domain(draft)));
        QCOMPARE(server()
                     .get(QStringLiteral("/api/channels/private-domain.%1/events").arg(draft),
                          m_owner.token)
                     .status,
                 200);

        // Once published, it is everybody's.
        const Reply published =
            server().request("PATCH", QStringLiteral("/api/domains/%1").arg(draft), m_owner.token,
                             QByteArray(R"({"status":"active"})"));
        QVERIFY2(published.status == 200, qPrintable(describe(published)));
        QCOMPARE(
            server().get(QStringLiteral("/api/domains/%1").arg(draft), m_stranger.token).status,
            200);
    }

    // ------------------------------------------------------------------------------------------
    // Countdowns are transient; live auctions per seller are capped

    // Beats go out live, without seq, and leave nothing in the history.
    void countdownsAreNotStored()
    {
        const qint64 id = createAuction(m_owner, HourMs);
        QVERIFY(id > 0);
        const QString channel = protocol::Channels::auction(id);
        auto socket = connectSocket(server());
        QVERIFY(socket);
        QVERIFY(socket->subscribeAuthorized(server(), m_stranger, channel));
        const qint64 lastSeq = sqlScalar(
            db(),
            QStringLiteral("SELECT COALESCE(MAX(last_seq), 0) FROM channel_sequences WHERE "
                           "channel = ?"),
            {channel});
        constexpr int Beats = 5;
        for (int i = 0; i < Beats; ++i) {
            // Make the next beat due now rather than in 10 s.
            QVERIFY(sqlExec(db(),
                            QStringLiteral("UPDATE domains SET last_countdown_at = 0 WHERE id = ?"),
                            {id}));
            server().app().runSchedulerTick();
            const auto beat = socket->waitFor(protocol::EventName::AuctionCountdown, channel);
            QVERIFY2(beat, "the countdown did not arrive");
            QVERIFY2(!beat->contains(QLatin1String("seq")), qPrintable(frameText(*beat)));
            QCOMPARE(intOf(frameData(*beat), "domain_id"), id);
        }
        QCOMPARE(storedEventCount(db(), channel, protocol::EventName::AuctionCountdown), qint64(0));
        QCOMPARE(sqlScalar(db(),
                           QStringLiteral("SELECT COALESCE(MAX(last_seq), 0) FROM "
                                          "channel_sequences WHERE channel = ?"),
                           {channel}),
                 lastSeq);
        const Reply history = server().get(
            QStringLiteral("/api/channels/%1/events?after=0").arg(channel), m_stranger.token);
        QCOMPARE(history.status, 200);
        QVERIFY2(!history.body.contains("AuctionCountdown"), history.body.constData());
        // A bid still gets its seq and its history row.
        QCOMPARE(bid(m_bob, id, 100).status, 201);
        const auto placed = socket->waitFor(protocol::EventName::BidPlaced, channel);
        QVERIFY(placed);
        QCOMPARE(seqOf(*placed), lastSeq + 1);
    }

    // A scheduler process without a gateway (auctions:broadcast-countdowns) hands its beats to
    // the serve node through the relay table; they reach clients without seq and do not stay.
    void countdownsOfASchedulerProcessAreRelayed()
    {
        const qint64 id = createAuction(m_owner, HourMs);
        QVERIFY(id > 0);
        const QString channel = protocol::Channels::auction(id);
        auto socket = connectSocket(server());
        QVERIFY(socket);
        QVERIFY(socket->subscribeAuthorized(server(), m_stranger, channel));
        // This node's own first beat of the auction goes first (it may come after the
        // subscription); the next one is 10 s away.
        const QString claimed =
            QStringLiteral("SELECT COUNT(*) FROM domains WHERE id = ? AND last_countdown_at > 0");
        QVERIFY(waitUntil([&] { return sqlScalar(db(), claimed, {id}) == 1; }, 5000));
        QTest::qWait(100);
        const qsizetype earlier =
            framesOf(*socket, protocol::EventName::AuctionCountdown, channel).size();
        server::ServerApp scheduler(server().config());
        QVERIFY2(scheduler.open(), qPrintable(scheduler.errorString()));
        QVERIFY(!scheduler.events().isPublishing());
        // A beat left over from long ago is superseded: nobody gets it.
        QVERIFY(sqlExec(db(),
                        QStringLiteral("INSERT INTO transient_events (channel, event, data, "
                                       "created_at) VALUES (?, ?, ?, ?)"),
                        {channel, protocol::EventName::AuctionCountdown,
                         QStringLiteral("{\"stale\":true}"), protocol::nowMs() - 10000}));
        // Nothing runs on this thread in between: the scheduler process claims this beat.
        QVERIFY(sqlExec(
            db(), QStringLiteral("UPDATE domains SET last_countdown_at = 0 WHERE id = ?"), {id}));
        const qint64 before = protocol::nowMs();
        scheduler.runSchedulerTick();
        QVERIFY2(waitUntil(
                     [&] {
                         return framesOf(*socket, protocol::EventName::AuctionCountdown, channel)
                                    .size() > earlier;
                     },
                     5000),
                 "the relayed countdown did not arrive");
        const auto beat = std::optional<QJsonObject>(
            framesOf(*socket, protocol::EventName::AuctionCountdown, channel).value(earlier));
        QVERIFY2(!beat->contains(QLatin1String("seq")), qPrintable(frameText(*beat)));
        QVERIFY(msOf(frameData(*beat).value(QLatin1String("server_time"))) >= before);
        QVERIFY(waitUntil(
            [&] {
                return sqlScalar(db(), QStringLiteral("SELECT COUNT(*) FROM transient_events")) ==
                       0;
            },
            3000));
        QCOMPARE(storedEventCount(db(), channel, protocol::EventName::AuctionCountdown), qint64(0));
        QTest::qWait(600); // one more poll of the relay
        QCOMPARE(framesOf(*socket, protocol::EventName::AuctionCountdown, channel).size(),
                 earlier + 1);
        QVERIFY(!frameData(*beat).contains(QLatin1String("stale")));
    }

    void liveAuctionsPerSellerAreCapped()
    {
        QCOMPARE(server::Config{}.maxLiveAuctionsPerSeller, 20);
        constexpr int Cap = 3;
        TestServer capped([](server::Config &config) { config.maxLiveAuctionsPerSeller = Cap; });
        QVERIFY2(capped.isRunning(), qPrintable(capped.errorString()));
        const Session seller = capped.registerUser(QStringLiteral("Prolific"));
        const Session other = capped.registerUser(QStringLiteral("Modest"));

        // Several at once: exactly the cap gets through.
        QList<Call> calls;
        for (int i = 0; i < Cap + 2; ++i) {
            const QJsonObject body{{QLatin1String("name"), nextName()},
                                   {QLatin1String("enable_bidding"), true},
                                   {QLatin1String("ends_at"), isoAfter(HourMs)}};
            calls.append({"POST", capped.url(QStringLiteral("/api/domains")), seller.token,
                          QJsonDocument(body).toJson(QJsonDocument::Compact)});
        }
        QList<qint64> live;
        for (const Reply &reply : runAtOnce(calls, 15000, 2)) {
            if (reply.status == 201) {
                live.append(idOf(objectOf(reply, "domain")));
                continue;
            }
            QVERIFY2(reply.status == 409, qPrintable(describe(reply)));
            const QString message = reply.json.value(QLatin1String("message")).toString();
            QVERIFY2(message.contains(QString::number(Cap)) &&
                         message.contains(QLatin1String("max-live-auctions-per-seller")),
                     qPrintable(message));
        }
        QCOMPARE(live.size(), Cap);
        QCOMPARE(sqlScalar(capped.app().database(),
                           QStringLiteral("SELECT COUNT(*) FROM domains WHERE owner_id = ?"),
                           {seller.user.id}),
                 qint64(Cap));

        // What is not a live auction is not counted: a listing, a draft. Publishing the draft
        // would make one more live auction.
        QCOMPARE(createDomain(capped, seller, {{QLatin1String("enable_bidding"), false}}).status,
                 201);
        const Reply draft = createDomain(capped, seller,
                                         {{QLatin1String("enable_bidding"), true},
                                          {QLatin1String("ends_at"), isoAfter(HourMs)},
                                          {QLatin1String("status"), QStringLiteral("draft")}});
        QCOMPARE(draft.status, 201);
        const QString draftPath =
            QStringLiteral("/api/domains/%1").arg(idOf(objectOf(draft, "domain")));
        QCOMPARE(
            capped.request("PATCH", draftPath, seller.token, QByteArray(R"({"status":"active"})"))
                .status,
            409);
        // Other sellers are not affected.
        QVERIFY(createAuction(capped, other, HourMs) > 0);
        // Once one ends (here: cancelled), there is room again.
        QCOMPARE(capped
                     .request("PATCH", QStringLiteral("/api/domains/%1").arg(live.first()),
                              seller.token, QByteArray(R"({"status":"cancelled"})"))
                     .status,
                 200);
        const Reply again =
            capped.request("PATCH", draftPath, seller.token, QByteArray(R"({"status":"active"})"));
        QVERIFY2(again.status == 200, qPrintable(describe(again)));
        QCOMPARE(createDomain(capped, seller,
                              {{QLatin1String("enable_bidding"), true},
                               {QLatin1String("ends_at"), isoAfter(HourMs)}})
                     .status,
                 409);
    }
};

QTEST_GUILESS_MAIN(TestMarketplace)
#include "tst_marketplace.moc"
