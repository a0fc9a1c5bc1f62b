// SPDX-License-Identifier: MIT
// The marketplace with real `flippdeal-server serve` processes sharing one database (SQLite, or
// PostgreSQL when FLIPPDEAL_TEST_DATABASE is set): an auction closes exactly once however many
// schedulers see it due, equal bids sent to different processes at once let exactly one win,
// countdowns keep their cadence with two schedulers, and a worker killed right after paying a
// seller does not pay again when the job is retried.
#include "serverprocess.h"
#include "testhelpers.h"
#include "testserver.h"

#include "storage/database.h"

#include "protocol/timeformat.h"
#include "protocol/types.h"

#include <QJsonDocument>
#include <QProcessEnvironment>
#include <QSet>
#include <QtTest>

#include <algorithm>
#include <memory>
#include <vector>

#ifndef FLIPPDEAL_SERVER_BINARY
#error "FLIPPDEAL_SERVER_BINARY must name the flippdeal-server executable"
#endif

using namespace flippdeal;
using namespace flippdeal::testing;

namespace {

constexpr qint64 HourMs = 3600 * 1000;
const QString CrashVariable = QStringLiteral("FLIPPDEAL_SANDBOX_CRASH_AFTER_PAYOUT");
const QString ServerBinary = QString::fromUtf8(FLIPPDEAL_SERVER_BINARY);

QProcessEnvironment cleanEnvironment()
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove(CrashVariable);
    return environment;
}

QByteArray json(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

//! Registers every name (alternating between the nodes), all at once.
QList<Session> registerUsers(const QList<const ServerProcess *> &nodes, const QStringList &names)
{
    QList<Call> calls;
    for (qsizetype i = 0; i < names.size(); ++i)
        calls.append(registerCall(*nodes.at(i % nodes.size()), names.at(i)));
    QList<Session> sessions;
    for (const Reply &reply : runAtOnce(calls))
        sessions.append(sessionOf(reply));
    return sessions;
}

Call postCall(const ServerProcess &node, const QString &path, const Session &who,
              const QJsonObject &body)
{
    return {"POST", node.url(path), who.token, json(body)};
}

Reply post(const ServerProcess &node, const QString &path, const Session &who,
           const QJsonObject &body)
{
    return send(postCall(node, path, who, body));
}

qint64 createDomain(const ServerProcess &node, const Session &owner, const QJsonObject &extra)
{
    static int counter = 0;
    QJsonObject body = extra;
    body.insert(
        QLatin1String("name"),
        QStringLiteral("proc-%1-%2.com").arg(QCoreApplication::applicationPid()).arg(++counter));
    const Reply reply = post(node, QStringLiteral("/api/domains"), owner, body);
    if (reply.status != 201) {
        qWarning() << "domain creation failed" << describe(reply);
        return 0;
    }
    return intOf(objectOf(reply, "domain"), "id");
}

//! An auction ending at `endsAtMs` (ms since the epoch).
qint64 createAuctionEndingAt(const ServerProcess &node, const Session &owner, qint64 endsAtMs,
                             qint64 reserve)
{
    return createDomain(node, owner,
                        {{QLatin1String("enable_bidding"), true},
                         {QLatin1String("min_increment_cents"), 100},
                         {QLatin1String("reserve_cents"), reserve},
                         {QLatin1String("ends_at"), protocol::isoUtc(endsAtMs)}});
}

qint64 createAuction(const ServerProcess &node, const Session &owner, qint64 endsInMs,
                     qint64 reserve)
{
    return createAuctionEndingAt(node, owner, protocol::nowMs() + endsInMs, reserve);
}

Call bidCall(const ServerProcess &node, const Session &bidder, qint64 domainId, qint64 amount)
{
    return postCall(node, QStringLiteral("/api/domains/%1/bids").arg(domainId), bidder,
                    {{QLatin1String("amount_cents"), amount}});
}

QString statusOf(server::Database &db, qint64 domainId)
{
    return sqlTexts(db, QStringLiteral("SELECT status FROM domains WHERE id = ?"), {domainId})
        .value(0);
}

} // namespace

class TestMarketplaceProcesses : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFileInfo(QString::fromUtf8(FLIPPDEAL_SERVER_BINARY)).isExecutable(),
                 FLIPPDEAL_SERVER_BINARY);
        if (qEnvironmentVariableIsSet("FLIPPDEAL_TEST_DATABASE"))
            qInfo("running against PostgreSQL");
    }

    // Two schedulers see the same auctions due at the same moment: each closes exactly once.
    void auctionClosesOnceAcrossProcesses()
    {
        FreshDatabase database;
        QVERIFY(database.isValid());
        ServerProcess first(ServerBinary);
        ServerProcess second(ServerBinary);
        // Without anti-sniping, so that bids just before the end leave the end where it is.
        const QStringList options{QStringLiteral("--anti-snipe-seconds"), QStringLiteral("0")};
        first.start(database.folder(), database.url(), options, cleanEnvironment());
        QVERIFY2(first.waitListening(), first.output().constData());
        second.start(database.folder(), database.url(), options, cleanEnvironment());
        QVERIFY2(second.waitListening(), second.output().constData());
        auto db = openDirect(database.url());
        QVERIFY(db);

        const QList<Session> users =
            registerUsers({&first, &second}, {QStringLiteral("Owner"), QStringLiteral("Early"),
                                              QStringLiteral("Late")});
        QCOMPARE(users.size(), 3);
        const Session &owner = users.at(0);
        const Session &early = users.at(1);
        const Session &late = users.at(2);
        QVERIFY(owner.user.id > 0 && early.user.id > 0 && late.user.id > 0);

        // Several auctions ending at the same moment, so the two schedulers really race.
        constexpr int Auctions = 4;
        const qint64 endsAt = protocol::nowMs() + 3500;
        QList<qint64> ids;
        for (int i = 0; i < Auctions; ++i) {
            const qint64 id = createAuctionEndingAt(i % 2 ? second : first, owner, endsAt, 1000);
            QVERIFY(id > 0);
            ids.append(id);
            const Reply a = send(bidCall(second, early, id, 1000));
            QVERIFY2(a.status == 201, qPrintable(describe(a)));
            const Reply b = send(bidCall(first, late, id, 1100));
            QVERIFY2(b.status == 201, qPrintable(describe(b)));
            QCOMPARE(objectOf(b, "auction").value(QLatin1String("ends_at")).toString(),
                     protocol::isoUtc(endsAt));
        }
        QVERIFY2(protocol::nowMs() < endsAt, "the set-up took longer than the auctions");
        for (const qint64 id : std::as_const(ids))
            QCOMPARE(statusOf(*db, id), QStringLiteral("active"));

        QVERIFY2(waitUntil(
                     [&] {
                         return std::all_of(ids.cbegin(), ids.cend(), [&](qint64 id) {
                             return statusOf(*db, id) == QLatin1String("ended");
                         });
                     },
                     10000),
                 "the auctions did not end");
        QTest::qWait(1500); // time for a second close, if there were one
        QVERIFY2(first.isRunning(), first.output().constData());
        QVERIFY2(second.isRunning(), second.output().constData());

        for (const qint64 id : std::as_const(ids)) {
            const QString label = QStringLiteral("domain %1").arg(id);
            QVERIFY2(protocol::nowMs() >= endsAt, qPrintable(label));
            QCOMPARE(sqlScalar(*db,
                               QStringLiteral("SELECT COUNT(*) FROM escrows WHERE domain_id = ?"),
                               {id}),
                     qint64(1));
            QCOMPARE(sqlScalar(*db,
                               QStringLiteral("SELECT buyer_id FROM escrows WHERE domain_id = ?"),
                               {id}),
                     late.user.id);
            QCOMPARE(sqlTexts(*db, QStringLiteral("SELECT status FROM escrows WHERE domain_id = ?"),
                              {id}),
                     QStringList{QStringLiteral("pending_funding")});
            QCOMPARE(storedEventCount(*db, protocol::Channels::auction(id),
                                      protocol::EventName::AuctionEnded),
                     qint64(1));
            QCOMPARE(storedEventCount(*db, protocol::Channels::domain(id),
                                      protocol::EventName::AuctionEnded),
                     qint64(1));
            const auto won = notificationData(
                *db, late.user.id, protocol::NotificationType::AuctionWon, "domain_id", id);
            QCOMPARE(won.size(), 1);
            QCOMPARE(intOf(won.first(), "final_bid_cents"), qint64(1100));
            QCOMPARE(
                intOf(won.first(), "escrow_id"),
                sqlScalar(*db, QStringLiteral("SELECT id FROM escrows WHERE domain_id = ?"), {id}));
            QCOMPARE(notificationData(*db, early.user.id, protocol::NotificationType::AuctionWon,
                                      "domain_id", id)
                         .size(),
                     0);
            QCOMPARE(notificationData(*db, owner.user.id, protocol::NotificationType::AuctionEnded,
                                      "domain_id", id)
                         .size(),
                     1);
        }
        QCOMPARE(first.terminate(), 0);
        QCOMPARE(second.terminate(), 0);
    }

    // With two schedulers the last minute still counts down once a second, not twice.
    // Countdowns are transient (not stored), so the beats are collected live from a client on
    // each node: each scheduler broadcasts the beats it claimed to its own clients.
    void countdownCadenceAcrossProcesses()
    {
        FreshDatabase database;
        QVERIFY(database.isValid());
        ServerProcess first(ServerBinary);
        ServerProcess second(ServerBinary);
        first.start(database.folder(), database.url(), {}, cleanEnvironment());
        QVERIFY2(first.waitListening(), first.output().constData());
        second.start(database.folder(), database.url(), {}, cleanEnvironment());
        QVERIFY2(second.waitListening(), second.output().constData());
        auto db = openDirect(database.url());
        QVERIFY(db);
        const QList<Session> users =
            registerUsers({&first, &second}, {QStringLiteral("Owner"), QStringLiteral("Viewer")});
        const Session &owner = users.value(0);
        const Session &viewer = users.value(1);
        QVERIFY(owner.user.id > 0 && viewer.user.id > 0);

        const qint64 id = createAuction(first, owner, 4000, 1000);
        QVERIFY(id > 0);
        const QString channel = protocol::Channels::auction(id);
        std::vector<std::unique_ptr<TestSocket>> sockets;
        for (const ServerProcess *node : {&first, &second}) {
            auto socket = std::make_unique<TestSocket>(
                QUrl(QStringLiteral("ws://127.0.0.1:%1/app/test-key?protocol=7&client=qt-test&"
                                    "version=1.0")
                         .arg(node->port())));
            QVERIFY(socket->waitConnected());
            const Reply auth = post(*node, QStringLiteral("/broadcasting/auth"), viewer,
                                    {{QLatin1String("socket_id"), socket->socketId()},
                                     {QLatin1String("channel_name"), channel}});
            QVERIFY2(auth.status == 200, qPrintable(describe(auth)));
            QVERIFY(socket->subscribe(channel, auth.json.value(QLatin1String("auth")).toString(),
                                      auth.json.value(QLatin1String("channel_data")).toString()));
            sockets.push_back(std::move(socket));
        }
        QVERIFY2(waitUntil([&] { return statusOf(*db, id) == QLatin1String("ended"); }, 8000),
                 "the auction did not end");
        QTest::qWait(300);
        QList<qint64> times;
        for (const auto &socket : sockets) {
            for (const QJsonObject &frame : socket->frames()) {
                if (frame.value(QLatin1String("event")).toString() !=
                        protocol::EventName::AuctionCountdown ||
                    frame.value(QLatin1String("channel")).toString() != channel)
                    continue;
                QVERIFY2(!frame.contains(QLatin1String("seq")), qPrintable(frameText(frame)));
                const auto time = protocol::parseIsoUtc(
                    frameData(frame).value(QLatin1String("server_time")).toString());
                QVERIFY2(time, qPrintable(frameText(frame)));
                times.append(*time);
            }
        }
        std::sort(times.begin(), times.end());
        QVERIFY2(times.size() >= 3, qPrintable(QString::number(times.size())));
        QStringList gaps;
        bool tooClose = false;
        for (qsizetype i = 1; i < times.size(); ++i) {
            gaps.append(QString::number(times.at(i) - times.at(i - 1)));
            tooClose = tooClose || times.at(i) - times.at(i - 1) < 800;
        }
        QVERIFY2(!tooClose, qPrintable(QStringLiteral("%1 countdowns in ~4 s, gaps (ms): %2")
                                           .arg(times.size())
                                           .arg(gaps.join(QLatin1String(", ")))));
        // Nothing of them is stored.
        QCOMPARE(storedEventCount(*db, channel, protocol::EventName::AuctionCountdown), qint64(0));
        QCOMPARE(first.terminate(), 0);
        QCOMPARE(second.terminate(), 0);
    }

    // Equal bids sent at the same moment to two processes: exactly one per amount is accepted.
    void concurrentEqualBidsAcrossProcesses()
    {
        FreshDatabase database;
        QVERIFY(database.isValid());
        ServerProcess first(ServerBinary);
        ServerProcess second(ServerBinary);
        first.start(database.folder(), database.url(), {}, cleanEnvironment());
        QVERIFY2(first.waitListening(), first.output().constData());
        second.start(database.folder(), database.url(), {}, cleanEnvironment());
        QVERIFY2(second.waitListening(), second.output().constData());
        auto db = openDirect(database.url());
        QVERIFY(db);

        const QList<Session> users =
            registerUsers({&first, &second},
                          {QStringLiteral("Owner"), QStringLiteral("Ann"), QStringLiteral("Bea"),
                           QStringLiteral("Cid"), QStringLiteral("Dot"), QStringLiteral("Eli"),
                           QStringLiteral("Fox"), QStringLiteral("Gil"), QStringLiteral("Hal")});
        for (const Session &s : users)
            QVERIFY(s.user.id > 0);
        const Session &owner = users.first();
        const QList<Session> bidders = users.mid(1);
        const qint64 id = createAuction(first, owner, HourMs, 1000);
        QVERIFY(id > 0);

        const QList<qint64> levels{1000, 1100, 1200, 1300, 1400};
        QSet<qint64> bidIds;
        for (const qint64 amount : levels) {
            QList<Call> calls;
            for (qsizetype i = 0; i < bidders.size(); ++i)
                calls.append(bidCall(i % 2 ? second : first, bidders.at(i), id, amount));
            const QList<Reply> replies = runAtOnce(calls);
            int created = 0;
            for (const Reply &reply : replies) {
                if (reply.status == 201) {
                    ++created;
                    QCOMPARE(intOf(objectOf(reply, "bid"), "amount_cents"), amount);
                    bidIds.insert(intOf(objectOf(reply, "bid"), "id"));
                } else {
                    QVERIFY2(reply.status == 422, qPrintable(describe(reply)));
                }
            }
            QVERIFY2(created == 1,
                     qPrintable(QStringLiteral("%1 bids of %2 accepted").arg(created).arg(amount)));
        }
        QCOMPARE(bidIds.size(), levels.size());
        QCOMPARE(sqlTexts(*db,
                          QStringLiteral("SELECT amount_cents FROM bids WHERE domain_id = ? GROUP "
                                         "BY amount_cents HAVING COUNT(*) > 1"),
                          {id}),
                 QStringList{});
        QCOMPARE(
            sqlScalar(*db, QStringLiteral("SELECT COUNT(*) FROM bids WHERE domain_id = ?"), {id}),
            qint64(levels.size()));
        QCOMPARE(sqlScalar(*db, QStringLiteral("SELECT bid_count FROM domains WHERE id = ?"), {id}),
                 qint64(levels.size()));
        QCOMPARE(sqlScalar(*db,
                           QStringLiteral("SELECT current_bid_cents FROM domains WHERE id = ?"),
                           {id}),
                 levels.last());
        QCOMPARE(
            storedEventCount(*db, protocol::Channels::auction(id), protocol::EventName::BidPlaced),
            qint64(levels.size()));
        QCOMPARE(first.terminate(), 0);
        QCOMPARE(second.terminate(), 0);
    }

    // The worker dies right after the provider recorded the payout (before the job is marked
    // done); after a restart the retried job finds the payout by its idempotency key.
    void payoutExactlyOnceAfterCrash()
    {
        FreshDatabase database;
        QVERIFY(database.isValid());
        const QStringList options{QStringLiteral("--job-timeout"), QStringLiteral("2"),
                                  QStringLiteral("--platform-fee-bps"), QStringLiteral("250")};
        QProcessEnvironment crashing = cleanEnvironment();
        crashing.insert(CrashVariable, QStringLiteral("1"));
        ServerProcess node(ServerBinary);
        node.start(database.folder(), database.url(), options, crashing);
        QVERIFY2(node.waitListening(),
                 qPrintable(QStringLiteral("serve %1 did not start (exit code %2): %3")
                                .arg(options.join(QLatin1Char(' ')))
                                .arg(node.waitExit(1000))
                                .arg(QString::fromUtf8(node.output()))));
        auto db = openDirect(database.url());
        QVERIFY(db);

        const QList<Session> users =
            registerUsers({&node}, {QStringLiteral("Seller"), QStringLiteral("Buyer")});
        const Session &seller = users.value(0);
        const Session &buyer = users.value(1);
        QVERIFY(seller.user.id > 0 && buyer.user.id > 0);

        constexpr qint64 Amount = 20030;
        const qint64 domainId =
            createDomain(node, seller, {{QLatin1String("enable_bidding"), false}});
        QVERIFY(domainId > 0);
        const Reply offer = post(node, QStringLiteral("/api/domains/%1/offers").arg(domainId),
                                 buyer, {{QLatin1String("amount_cents"), Amount}});
        QVERIFY2(offer.status == 201, qPrintable(describe(offer)));
        const Reply accepted = send(
            {"PATCH",
             node.url(QStringLiteral("/api/offers/%1").arg(intOf(objectOf(offer, "offer"), "id"))),
             seller.token, json({{QLatin1String("action"), QStringLiteral("accept")}})});
        QVERIFY2(accepted.status == 200, qPrintable(describe(accepted)));
        const qint64 escrowId = intOf(objectOf(accepted, "offer"), "escrow_id");
        QVERIFY(escrowId > 0);
        const QString escrowPath = QStringLiteral("/api/escrows/%1").arg(escrowId);
        const std::pair<const Session *, const char *> steps[] = {
            {&buyer, "fund"}, {&seller, "transfer"}, {&buyer, "confirm"}};
        for (const auto &[who, action] : steps) {
            const Reply r =
                post(node, escrowPath + QLatin1Char('/') + QLatin1String(action), *who, {});
            QVERIFY2(r.status == 200,
                     qPrintable(QLatin1String(action) + QLatin1Char(' ') + describe(r)));
        }
        const qint64 fee = sqlScalar(
            *db, QStringLiteral("SELECT fee_cents FROM escrows WHERE id = ?"), {escrowId});
        QCOMPARE(fee, qint64(501)); // 2.5 % of 200.30 is 5.0075: 5.01 once rounded

        // The worker picks up the payout, records it with the provider and dies.
        QCOMPARE(node.waitExit(10000), 99);
        const QString key = QStringLiteral("escrow-%1-payout").arg(escrowId);
        const QString payoutCount =
            QStringLiteral("SELECT COUNT(*) FROM sandbox_payouts WHERE idempotency_key = ?");
        QCOMPARE(sqlScalar(*db, payoutCount, {key}), qint64(1));
        QCOMPARE(sqlTexts(*db, QStringLiteral("SELECT payout_reference FROM escrows WHERE id = ?"),
                          {escrowId}),
                 QStringList{QStringLiteral("<null>")});
        QCOMPARE(sqlScalar(*db, QStringLiteral("SELECT COUNT(*) FROM jobs")), qint64(1));

        // Restarted without the crash switch, the worker retries the job once it times out.
        ServerProcess restarted(ServerBinary);
        restarted.start(database.folder(), database.url(), options, cleanEnvironment());
        QVERIFY2(restarted.waitListening(), restarted.output().constData());
        QVERIFY2(waitUntil(
                     [&] {
                         return sqlTexts(*db,
                                         QStringLiteral("SELECT payout_reference FROM escrows "
                                                        "WHERE id = ?"),
                                         {escrowId})
                                    .value(0) != QLatin1String("<null>");
                     },
                     15000),
                 "the payout was never recorded on the escrow");
        QVERIFY2(
            waitUntil(
                [&] { return sqlScalar(*db, QStringLiteral("SELECT COUNT(*) FROM jobs")) == 0; },
                5000),
            "the payout job stayed in the queue");
        QTest::qWait(600); // one more poll of the worker: nothing else may happen

        QCOMPARE(sqlScalar(*db, payoutCount, {key}), qint64(1));
        QCOMPARE(sqlScalar(*db, QStringLiteral("SELECT COUNT(*) FROM sandbox_payouts")), qint64(1));
        QCOMPARE(sqlScalar(*db,
                           QStringLiteral("SELECT amount_cents FROM sandbox_payouts WHERE "
                                          "idempotency_key = ?"),
                           {key}),
                 Amount - fee);
        QCOMPARE(sqlScalar(*db, QStringLiteral("SELECT COUNT(*) FROM jobs")), qint64(0));
        QCOMPARE(sqlScalar(*db, QStringLiteral("SELECT COUNT(*) FROM failed_jobs")), qint64(0));
        const QString reference =
            sqlTexts(*db, QStringLiteral("SELECT payout_reference FROM escrows WHERE id = ?"),
                     {escrowId})
                .value(0);
        const auto paid =
            notificationData(*db, seller.user.id, protocol::NotificationType::PayoutCompleted,
                             "escrow_id", escrowId);
        QCOMPARE(paid.size(), 1);
        QCOMPARE(intOf(paid.first(), "amount_cents"), Amount - fee);
        QCOMPARE(paid.first().value(QLatin1String("reference")).toString(), reference);
        const Reply escrow = send({"GET", restarted.url(escrowPath), seller.token, {}});
        QCOMPARE(escrow.status, 200);
        QCOMPARE(objectOf(escrow, "escrow").value(QLatin1String("payout_reference")).toString(),
                 reference);
        QCOMPARE(objectOf(escrow, "escrow").value(QLatin1String("status")).toString(),
                 QStringLiteral("completed"));
        QCOMPARE(restarted.terminate(), 0);
    }

    // The buyer asks two processes to fund the same escrow at the same moment, several times:
    // the idempotency key derived from the escrow makes it one charge, and one transition.
    void fundAtOnceOnTwoProcessesChargesOnce()
    {
        FreshDatabase database;
        QVERIFY(database.isValid());
        ServerProcess first(ServerBinary);
        ServerProcess second(ServerBinary);
        first.start(database.folder(), database.url(), {}, cleanEnvironment());
        QVERIFY2(first.waitListening(), first.output().constData());
        second.start(database.folder(), database.url(), {}, cleanEnvironment());
        QVERIFY2(second.waitListening(), second.output().constData());
        auto db = openDirect(database.url());
        QVERIFY(db);
        const QList<Session> users =
            registerUsers({&first, &second}, {QStringLiteral("Seller"), QStringLiteral("Buyer")});
        const Session &seller = users.value(0);
        const Session &buyer = users.value(1);
        QVERIFY(seller.user.id > 0 && buyer.user.id > 0);

        constexpr qint64 Amount = 31415;
        const qint64 domainId =
            createDomain(first, seller, {{QLatin1String("enable_bidding"), false}});
        QVERIFY(domainId > 0);
        const Reply offer = post(first, QStringLiteral("/api/domains/%1/offers").arg(domainId),
                                 buyer, {{QLatin1String("amount_cents"), Amount}});
        QVERIFY2(offer.status == 201, qPrintable(describe(offer)));
        const Reply accepted = send(
            {"PATCH",
             first.url(QStringLiteral("/api/offers/%1").arg(intOf(objectOf(offer, "offer"), "id"))),
             seller.token, json({{QLatin1String("action"), QStringLiteral("accept")}})});
        QVERIFY2(accepted.status == 200, qPrintable(describe(accepted)));
        const qint64 escrowId = intOf(objectOf(accepted, "offer"), "escrow_id");
        QVERIFY(escrowId > 0);

        const QString path = QStringLiteral("/api/escrows/%1/fund").arg(escrowId);
        QList<Call> calls;
        for (int i = 0; i < 6; ++i)
            calls.append(postCall(i % 2 ? second : first, path, buyer, {}));
        int funded = 0;
        for (const Reply &reply : runAtOnce(calls)) {
            if (reply.status == 200)
                ++funded;
            else
                QVERIFY2(reply.status == 409, qPrintable(describe(reply)));
        }
        QCOMPARE(funded, 1);
        QCOMPARE(sqlScalar(*db,
                           QStringLiteral("SELECT COUNT(*) FROM sandbox_charges WHERE "
                                          "idempotency_key LIKE ?"),
                           {QStringLiteral("escrow-%1-charge-%").arg(escrowId)}),
                 qint64(1));
        QCOMPARE(sqlScalar(*db, QStringLiteral("SELECT SUM(amount_cents) FROM sandbox_charges")),
                 Amount);
        QCOMPARE(
            sqlTexts(*db, QStringLiteral("SELECT status FROM escrows WHERE id = ?"), {escrowId}),
            QStringList{QStringLiteral("funded")});
        QCOMPARE(sqlScalar(*db,
                           QStringLiteral("SELECT COUNT(*) FROM escrow_events WHERE escrow_id = ? "
                                          "AND to_status = 'funded'"),
                           {escrowId}),
                 qint64(1));
        QCOMPARE(first.terminate(), 0);
        QCOMPARE(second.terminate(), 0);
    }
};

QTEST_GUILESS_MAIN(TestMarketplaceProcesses)
#include "tst_marketplace_processes.moc"
