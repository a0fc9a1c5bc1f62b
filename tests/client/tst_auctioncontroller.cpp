// SPDX-License-Identifier: MIT
// The live auction view's controller against a real server on a real port: the countdown on the
// server's clock (even when the local clock is an hour off), bidding that cannot be sent twice,
// outbid, anti-snipe extension, the end and the winner, and the watchers on the presence channel.
#include "apiclient.h"
#include "auctioncontroller.h"
#include "realtimeclient.h"
#include "testhelpers.h"
#include "testserver.h"

#include "protocol/timeformat.h"
#include "protocol/types.h"

#include <QAbstractItemModelTester>
#include <QJsonArray>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QtTest>

using namespace flippdeal;
using namespace flippdeal::testing;
using client::AuctionController;
using client::RealtimeClient;

namespace {

constexpr qint64 HourMs = 3600 * 1000;

//! One signed-in user's live auction view.
struct Bidder
{
    Bidder(TestServer &server, const Session &who)
        : session(who)
        , realtime(api, server.config().appKey)
        , controller(api, realtime, who.user.id)
        , watchersTester(controller.watchers(),
                         QAbstractItemModelTester::FailureReportingMode::QtTest)
        , bidsTester(controller.bids(), QAbstractItemModelTester::FailureReportingMode::QtTest)
    {
        api.setBaseUrl(server.url(QStringLiteral("/")));
        api.setToken(who.token);
        realtime.setReconnectDelays(50, 200);
        QObject::connect(&realtime, &RealtimeClient::subscribed, &realtime,
                         [this](const QString &channel) { subscribed.insert(channel); });
    }

    QString id() const { return QString::number(session.user.id); }

    Session session;
    client::ApiClient api;
    RealtimeClient realtime;
    AuctionController controller;
    QAbstractItemModelTester watchersTester;
    QAbstractItemModelTester bidsTester;
    QSet<QString> subscribed;
};

} // namespace

class TestAuctionController : public QObject
{
    Q_OBJECT

    std::unique_ptr<TestServer> m_server;
    Session m_owner;
    Session m_bob;
    Session m_carol;
    int m_domainCounter = 0;
    QString m_lastDomainName;
    qint64 m_lastEndsAtMs = 0;

    //! An auction of m_owner's ending `endsInMs` from now; 0 on failure.
    qint64 createAuction(qint64 endsInMs, std::optional<qint64> reserve = std::nullopt,
                         qint64 minIncrement = 100)
    {
        m_lastDomainName = QStringLiteral("lot%1.com").arg(++m_domainCounter);
        m_lastEndsAtMs = protocol::nowMs() + endsInMs;
        QJsonObject fields{{QLatin1String("name"), m_lastDomainName},
                           {QLatin1String("enable_bidding"), true},
                           {QLatin1String("min_increment_cents"), minIncrement},
                           {QLatin1String("ends_at"), protocol::isoUtc(m_lastEndsAtMs)}};
        if (reserve)
            fields.insert(QLatin1String("reserve_cents"), *reserve);
        const Reply reply = m_server->post(QStringLiteral("/api/domains"), fields, m_owner.token);
        if (reply.status != 201) {
            qWarning() << "auction creation failed" << reply.status << reply.body;
            return 0;
        }
        return reply.json.value(QLatin1String("domain"))
            .toObject()
            .value(QLatin1String("id"))
            .toInteger();
    }

    Reply bid(const Session &bidder, qint64 domainId, qint64 amountCents)
    {
        return m_server->post(QStringLiteral("/api/domains/%1/bids").arg(domainId),
                              {{QLatin1String("amount_cents"), amountCents}}, bidder.token);
    }

    int serverBidCount(qint64 domainId)
    {
        const Reply reply =
            m_server->get(QStringLiteral("/api/domains/%1/bids").arg(domainId), m_owner.token);
        return reply.status == 200 ? int(reply.json.value(QLatin1String("data")).toArray().size())
                                   : -1;
    }

    //! Connects `bidder` and opens `domainId`; true once the auction is loaded and its presence
    //! channel subscribed.
    bool open(Bidder &bidder, qint64 domainId)
    {
        const QString channel = protocol::Channels::auction(domainId);
        bidder.subscribed.remove(channel);
        bidder.realtime.connectToServer();
        bidder.controller.open(domainId);
        const bool ready = waitUntil(
            [&] {
                return bidder.subscribed.contains(channel) && !bidder.controller.isLoading() &&
                       !bidder.controller.domainName().isEmpty();
            },
            10000);
        QTest::qWait(150); // the bid list and the channel's baseline come back meanwhile
        return ready && bidder.controller.errorString().isEmpty();
    }

private Q_SLOTS:
    void init()
    {
        // Anti-snipe is 20 s, except where a test needs an auction to end in a few seconds.
        const QByteArray test = QTest::currentTestFunction();
        const int antiSnipe = test.startsWith("ended") || test.startsWith("unsold") ? 0 : 20;
        m_server = std::make_unique<TestServer>(
            [antiSnipe](server::Config &config) { config.antiSnipeSeconds = antiSnipe; });
        QVERIFY2(m_server->isRunning(), qPrintable(m_server->errorString()));
        m_owner = m_server->registerUser(QStringLiteral("Olivia"));
        m_bob = m_server->registerUser(QStringLiteral("Bob"));
        m_carol = m_server->registerUser(QStringLiteral("Carol"));
        QVERIFY(m_owner.user.id > 0 && m_bob.user.id > 0 && m_carol.user.id > 0);
    }

    void cleanup() { m_server.reset(); }

    void serverClockTakesTheLargestRecentSample()
    {
        client::ServerClock clock;
        QCOMPARE(clock.offsetMs(), 0);
        clock.addSample(10'000, 9'900); // +100
        QCOMPARE(clock.offsetMs(), 100);
        clock.addSample(20'000, 19'700); // +300: the least delayed so far
        clock.addSample(30'000, 29'800); // +200: arrived later, not earlier
        QCOMPARE(clock.offsetMs(), 300);
        clock.addSample(40'000, 39'950); // +50
        QCOMPARE(clock.offsetMs(), 300);
        // Only recent samples count: after many more, the old best one is forgotten (the
        // server's clock may have been stepped since).
        for (int i = 0; i < 20; ++i)
            clock.addSample(50'000 + i * 1000, 50'000 + i * 1000 - 40); // +40
        QCOMPARE(clock.offsetMs(), 40);
        clock.clear();
        QCOMPARE(clock.offsetMs(), 0);
        // A server clock behind the local one: negative offsets, still the largest.
        clock.addSample(1'000, 3'000);
        clock.addSample(2'000, 3'500);
        QCOMPARE(clock.offsetMs(), -1500);
    }

    void countdownUsesTheServersClock()
    {
        const qint64 domainId = createAuction(90'000);
        QVERIFY(domainId > 0);
        Bidder bob(*m_server, m_bob);
        // Bob's machine runs an hour behind.
        bob.controller.setClock([] { return QDateTime::currentMSecsSinceEpoch() - HourMs; });
        QVERIFY(open(bob, domainId));
        QCOMPARE(bob.controller.domainName(), m_lastDomainName);
        QCOMPARE(bob.controller.domainId(), domainId);
        QCOMPARE(bob.controller.ownerId(), m_owner.user.id);
        QVERIFY(!bob.controller.isOwner());
        QCOMPARE(bob.controller.endsAt().toMSecsSinceEpoch(), m_lastEndsAtMs);
        QCOMPARE(bob.controller.endsAt().timeSpec(), Qt::UTC);
        if (bob.controller.serverOffsetMs() == 0) // no server_time seen yet: an hour off
            QVERIFY(bob.controller.remainingMs() > HourMs);

        // A bid from someone else brings `auction.server_time` on BidPlaced.
        // The domain's own answer may already have carried `server_time`, so wait for the
        // event itself, not for the offset.
        QCOMPARE(bid(m_carol, domainId, 100).status, 201);
        QTRY_COMPARE(bob.controller.highBidderId(), m_carol.user.id);
        QVERIFY(bob.controller.serverOffsetMs() > HourMs - 10'000);
        QVERIFY(bob.controller.serverOffsetMs() < HourMs + 10'000);

        const qint64 trueRemaining =
            bob.controller.endsAt().toMSecsSinceEpoch() - QDateTime::currentMSecsSinceEpoch();
        const qint64 remaining = bob.controller.remainingMs();
        QVERIFY2(qAbs(remaining - trueRemaining) < 3000,
                 qPrintable(QStringLiteral("%1 vs %2").arg(remaining).arg(trueRemaining)));
        QVERIFY(remaining > 60'000 && remaining <= 90'000);

        const QString text = bob.controller.countdownText();
        static const QRegularExpression mss(QStringLiteral("^(\\d{1,2}):(\\d\\d)$"));
        const QRegularExpressionMatch match = mss.match(text);
        QVERIFY2(match.hasMatch(), qPrintable(text));
        const int shown = match.captured(1).toInt() * 60 + match.captured(2).toInt();
        QVERIFY2(qAbs(shown - trueRemaining / 1000) <= 2, qPrintable(text));
        QVERIFY(match.captured(2).toInt() < 60);

        // The countdown ticks.
        QSignalSpy tick(&bob.controller, &AuctionController::tick);
        QVERIFY(tick.wait(2000));
        QTest::qWait(1100);
        QVERIFY(bob.controller.remainingMs() < remaining - 500);
    }

    // AuctionCountdown is transient on the wire (no seq, not in the history): the controller
    // still takes the end and the server's clock from it.
    void countdownWithoutSeqUpdatesTheView()
    {
        const qint64 domainId = createAuction(HourMs);
        QVERIFY(domainId > 0);
        Bidder bob(*m_server, m_bob);
        bob.controller.setClock([] { return QDateTime::currentMSecsSinceEpoch() - HourMs; });
        QVERIFY(open(bob, domainId));
        QCOMPARE(bob.controller.endsAt().toMSecsSinceEpoch(), m_lastEndsAtMs);
        QSignalSpy events(&bob.realtime, &RealtimeClient::eventReceived);

        // Only a countdown can tell Bob about this end: it is moved behind the API's back.
        const qint64 newEnd = m_lastEndsAtMs + 5 * 60 * 1000;
        QVERIFY(sqlExec(m_server->app().database(),
                        QStringLiteral("UPDATE domains SET ends_at = ?, last_countdown_at = 0 "
                                       "WHERE id = ?"),
                        {newEnd, domainId}));
        m_server->app().runSchedulerTick();
        QTRY_COMPARE(bob.controller.endsAt().toMSecsSinceEpoch(), newEnd);
        QVERIFY(bob.controller.serverOffsetMs() > HourMs - 10'000);
        bool sawCountdown = false;
        for (const QList<QVariant> &args : std::as_const(events)) {
            if (args.at(1).toString() == protocol::EventName::AuctionCountdown) {
                sawCountdown = true;
                QCOMPARE(args.at(3).toLongLong(), qint64(0)); // no seq
            }
        }
        QVERIFY(sawCountdown);
    }

    void bidIsSentOnceAndTooLowIsRefusedLocally()
    {
        const qint64 domainId = createAuction(HourMs);
        QVERIFY(domainId > 0);
        Bidder bob(*m_server, m_bob);
        QVERIFY(open(bob, domainId));
        QCOMPARE(bob.controller.minimumNextBidCents(), 100);
        QCOMPARE(bob.controller.bidCount(), 0);
        QVERIFY(!bob.controller.isLeading());
        QVERIFY(!bob.controller.isOutbid());

        QSignalSpy accepted(&bob.controller, &AuctionController::bidAccepted);
        QSignalSpy bidding(&bob.controller, &AuctionController::biddingChanged);
        QVERIFY(bob.controller.placeBid(500));
        QVERIFY(bob.controller.isBidding());
        QVERIFY(!bob.controller.placeBid(500)); // a double click
        QVERIFY(!bob.controller.placeBid(1000));
        QTRY_VERIFY(!bob.controller.isBidding());
        QCOMPARE(accepted.size(), 1);
        QCOMPARE(accepted.first().at(0).toLongLong(), 500);
        QCOMPARE(bidding.size(), 2);
        QVERIFY(bob.controller.errorString().isEmpty());
        QCOMPARE(serverBidCount(domainId), 1);
        QCOMPARE(bob.controller.currentBidCents(), 500);
        QCOMPARE(bob.controller.bidCount(), 1);
        QCOMPARE(bob.controller.highBidderId(), m_bob.user.id);
        QCOMPARE(bob.controller.minimumNextBidCents(), 600);
        QVERIFY(bob.controller.isLeading());
        QVERIFY(!bob.controller.isOutbid());
        // The answer and the BidPlaced event are the same bid: one row.
        QTRY_COMPARE(bob.controller.bids()->count(), 1);
        QTest::qWait(300);
        QCOMPARE(bob.controller.bids()->count(), 1);
        QCOMPARE(bob.controller.bids()->get(0).value(QStringLiteral("amountCents")).toLongLong(),
                 500);
        QCOMPARE(bob.controller.bids()->get(0).value(QStringLiteral("mine")).toBool(), true);

        // Too low: an error at once, and no request (bidding never starts).
        bidding.clear();
        QSignalSpy error(&bob.controller, &AuctionController::errorStringChanged);
        QVERIFY(!bob.controller.placeBid(599));
        QVERIFY(!bob.controller.errorString().isEmpty());
        QCOMPARE(error.size(), 1);
        QVERIFY(!bob.controller.isBidding());
        QCOMPARE(bidding.size(), 0);
        QTest::qWait(200);
        QCOMPARE(serverBidCount(domainId), 1);
        QCOMPARE(accepted.size(), 1);

        // The next valid bid clears the error.
        QVERIFY(bob.controller.placeBid(600));
        QVERIFY(bob.controller.errorString().isEmpty());
        QTRY_VERIFY(!bob.controller.isBidding());
        QCOMPARE(accepted.size(), 2);
        QCOMPARE(serverBidCount(domainId), 2);
        QCOMPARE(bob.controller.currentBidCents(), 600);
        QTRY_COMPARE(bob.controller.bids()->count(), 2);
        QCOMPARE(bob.controller.bids()->get(0).value(QStringLiteral("amountCents")).toLongLong(),
                 600); // newest first
    }

    void refusedBidShowsTheServersReason()
    {
        const qint64 domainId = createAuction(HourMs);
        QVERIFY(domainId > 0);
        const Reply direct = bid(m_owner, domainId, 100);
        QCOMPARE(direct.status, 422);
        const QString reason = direct.json.value(QLatin1String("errors"))
                                   .toObject()
                                   .value(QLatin1String("amount_cents"))
                                   .toArray()
                                   .first()
                                   .toString();
        QVERIFY(!reason.isEmpty());

        Bidder owner(*m_server, m_owner);
        QVERIFY(open(owner, domainId));
        QVERIFY(owner.controller.isOwner());
        QSignalSpy accepted(&owner.controller, &AuctionController::bidAccepted);
        QVERIFY(owner.controller.placeBid(100)); // sent: only the server knows the rule
        QTRY_VERIFY(!owner.controller.isBidding());
        QCOMPARE(owner.controller.errorString(), reason);
        QVERIFY(accepted.isEmpty());
        QCOMPARE(owner.controller.bidCount(), 0);
        QCOMPARE(owner.controller.bids()->count(), 0);
    }

    void outbidIsNoticedLive()
    {
        const qint64 domainId = createAuction(HourMs);
        QVERIFY(domainId > 0);
        Bidder bob(*m_server, m_bob);
        Bidder carol(*m_server, m_carol);
        QVERIFY(open(bob, domainId));
        QVERIFY(open(carol, domainId));
        QSignalSpy bobOutbid(&bob.controller, &AuctionController::outbidNow);
        QSignalSpy carolOutbid(&carol.controller, &AuctionController::outbidNow);

        QVERIFY(bob.controller.placeBid(100));
        QTRY_VERIFY(!bob.controller.isBidding());
        QVERIFY(bob.controller.isLeading());
        QTRY_COMPARE(carol.controller.highBidderId(), m_bob.user.id);
        QVERIFY(!carol.controller.isLeading());
        QVERIFY(!carol.controller.isOutbid()); // she has not bid
        QCOMPARE(carol.controller.minimumNextBidCents(), 200);

        QVERIFY(carol.controller.placeBid(250));
        QTRY_VERIFY(bob.controller.isOutbid());
        QCOMPARE(bobOutbid.size(), 1);
        QCOMPARE(bobOutbid.first().at(0).toLongLong(), 250);
        QVERIFY(!bob.controller.isLeading());
        QCOMPARE(bob.controller.highBidderId(), m_carol.user.id);
        QCOMPARE(bob.controller.currentBidCents(), 250);
        QCOMPARE(bob.controller.minimumNextBidCents(), 350);
        QTRY_COMPARE(bob.controller.bids()->count(), 2);
        QCOMPARE(bob.controller.bids()->get(0).value(QStringLiteral("userId")).toLongLong(),
                 m_carol.user.id);
        QCOMPARE(bob.controller.bids()->get(0).value(QStringLiteral("mine")).toBool(), false);
        QCOMPARE(bob.controller.bids()->get(1).value(QStringLiteral("mine")).toBool(), true);
        QTRY_VERIFY(!carol.controller.isBidding());
        QVERIFY(carol.controller.isLeading());
        QVERIFY(!carol.controller.isOutbid());
        QVERIFY(carolOutbid.isEmpty());

        // Bob answers: now Carol is the one outbid.
        QVERIFY(bob.controller.placeBid(bob.controller.minimumNextBidCents()));
        QTRY_VERIFY(carol.controller.isOutbid());
        QCOMPARE(carolOutbid.size(), 1);
        QTRY_VERIFY(bob.controller.isLeading());
        QVERIFY(!bob.controller.isOutbid());
        QCOMPARE(bobOutbid.size(), 1);
    }

    void extendedWhenABidComesLate()
    {
        const qint64 domainId = createAuction(8000); // anti-snipe window: 20 s
        QVERIFY(domainId > 0);
        Bidder bob(*m_server, m_bob);
        Bidder carol(*m_server, m_carol);
        QVERIFY(open(bob, domainId));
        QVERIFY(open(carol, domainId));
        const QDateTime before = carol.controller.endsAt();
        QCOMPARE(before.toMSecsSinceEpoch(), m_lastEndsAtMs);
        QSignalSpy bobExtended(&bob.controller, &AuctionController::extended);
        QSignalSpy carolExtended(&carol.controller, &AuctionController::extended);

        QVERIFY(bob.controller.placeBid(100));
        QTRY_COMPARE(carolExtended.size(), 1);
        QTRY_COMPARE(bobExtended.size(), 1);
        const QDateTime after = carol.controller.endsAt();
        QCOMPARE(carolExtended.first().at(0).toDateTime(), after);
        QCOMPARE(bob.controller.endsAt(), after);
        QVERIFY2(after.toMSecsSinceEpoch() - before.toMSecsSinceEpoch() > 10'000,
                 qPrintable(after.toString(Qt::ISODateWithMs)));
        // About 20 s from the bid.
        const qint64 remaining = carol.controller.remainingMs();
        QVERIFY2(remaining > 15'000 && remaining <= 20'500, qPrintable(QString::number(remaining)));
        QVERIFY(!carol.controller.hasEnded());
    }

    void endedAuctionIsWonByTheHighBidder()
    {
        const qint64 domainId = createAuction(4000, 500); // no anti-snipe in this test
        QVERIFY(domainId > 0);
        Bidder bob(*m_server, m_bob);
        Bidder carol(*m_server, m_carol);
        QVERIFY(open(bob, domainId));
        QVERIFY(open(carol, domainId));
        QCOMPARE(bob.controller.minimumNextBidCents(), 500); // the reserve
        QSignalSpy bobEnded(&bob.controller, &AuctionController::endedNow);
        QSignalSpy carolEnded(&carol.controller, &AuctionController::endedNow);

        QVERIFY(bob.controller.placeBid(1000));
        QTRY_VERIFY(!bob.controller.isBidding());
        QVERIFY(bob.controller.errorString().isEmpty());
        QVERIFY(!bob.controller.hasEnded());

        QTRY_VERIFY_WITH_TIMEOUT(bob.controller.hasEnded(), 10'000);
        QCOMPARE(bobEnded.size(), 1);
        QCOMPARE(bobEnded.first().at(0).toLongLong(), m_bob.user.id);
        QCOMPARE(bobEnded.first().at(1).toLongLong(), 1000);
        QVERIFY(bob.controller.hasWon());
        QCOMPARE(bob.controller.winnerUserId(), m_bob.user.id);
        QCOMPARE(bob.controller.currentBidCents(), 1000);
        QCOMPARE(bob.controller.remainingMs(), 0);
        QCOMPARE(bob.controller.countdownText(), QStringLiteral("Ended"));
        QCOMPARE(bob.controller.endsAt().toMSecsSinceEpoch(), m_lastEndsAtMs); // not extended
        QVERIFY(!bob.controller.placeBid(2000));

        QTRY_VERIFY(carol.controller.hasEnded());
        QCOMPARE(carolEnded.size(), 1);
        QVERIFY(!carol.controller.hasWon());
        QCOMPARE(carol.controller.winnerUserId(), m_bob.user.id);
    }

    void endedWhileAwayIsStillLearned()
    {
        // The connection is lost before the end and comes back after it: AuctionEnded went to
        // nobody, and the presence channel of an ended auction cannot be joined again.
        const qint64 domainId = createAuction(3000);
        QVERIFY(domainId > 0);
        Bidder bob(*m_server, m_bob);
        QVERIFY(open(bob, domainId));
        QVERIFY(bob.controller.placeBid(100));
        QTRY_VERIFY(!bob.controller.isBidding());
        QVERIFY(bob.controller.isLeading());

        QVERIFY(m_server->stop());
        QTRY_VERIFY(bob.realtime.state() != RealtimeClient::State::Connected);
        QVERIFY(waitUntil([&] { return protocol::nowMs() > m_lastEndsAtMs + 300; }, 10'000));
        QVERIFY(!bob.controller.hasEnded());
        QVERIFY2(m_server->start(), qPrintable(m_server->errorString()));
        QTRY_COMPARE_WITH_TIMEOUT(bob.realtime.state(), RealtimeClient::State::Connected, 10'000);
        QTRY_VERIFY_WITH_TIMEOUT(bob.controller.hasEnded(), 10'000);
        QVERIFY(bob.controller.hasWon());
        QCOMPARE(bob.controller.winnerUserId(), m_bob.user.id);
        QCOMPARE(bob.controller.countdownText(), QStringLiteral("Ended"));
        QVERIFY2(bob.controller.errorString().isEmpty(), qPrintable(bob.controller.errorString()));

        // Opening an auction that has ended shows how it ended, and no error about watching.
        Bidder carol(*m_server, m_carol);
        carol.realtime.connectToServer();
        QTRY_COMPARE(carol.realtime.state(), RealtimeClient::State::Connected);
        QSignalSpy refused(&carol.realtime, &RealtimeClient::subscriptionFailed);
        carol.controller.open(domainId);
        QTRY_VERIFY(carol.controller.hasEnded());
        QTRY_COMPARE(refused.size(), 1);
        QTest::qWait(300);
        QVERIFY(!carol.controller.hasWon());
        QCOMPARE(carol.controller.winnerUserId(), m_bob.user.id);
        QVERIFY2(carol.controller.errorString().isEmpty(),
                 qPrintable(carol.controller.errorString()));
    }

    void unsoldAuctionEndsWithoutAWinner()
    {
        const qint64 domainId = createAuction(2500);
        QVERIFY(domainId > 0);
        Bidder bob(*m_server, m_bob);
        QVERIFY(open(bob, domainId));
        QSignalSpy ended(&bob.controller, &AuctionController::endedNow);
        QTRY_VERIFY_WITH_TIMEOUT(bob.controller.hasEnded(), 10'000);
        QCOMPARE(ended.size(), 1);
        QCOMPARE(ended.first().at(0).toLongLong(), 0);
        QVERIFY(!bob.controller.hasWon());
        QCOMPARE(bob.controller.winnerUserId(), 0);
        QCOMPARE(bob.controller.countdownText(), QStringLiteral("Ended"));
    }

    void watchersListEveryoneOnTheAuction()
    {
        const qint64 domainId = createAuction(HourMs);
        QVERIFY(domainId > 0);
        Bidder bob(*m_server, m_bob);
        Bidder carol(*m_server, m_carol);
        client::RecordListModel *bobList = bob.controller.watchers();
        client::RecordListModel *carolList = carol.controller.watchers();

        QVERIFY(open(bob, domainId));
        QTRY_COMPARE(bobList->count(), 1);
        QCOMPARE(bobList->get(0).value(QStringLiteral("userId")).toString(), bob.id());
        QCOMPARE(bobList->get(0).value(QStringLiteral("name")).toString(), m_bob.user.name);
        QCOMPARE(bobList->get(0).value(QStringLiteral("isMe")).toBool(), true);

        QVERIFY(open(carol, domainId));
        QTRY_COMPARE(carolList->count(), 2);
        QTRY_COMPARE(bobList->count(), 2);
        for (client::RecordListModel *list : {bobList, carolList}) {
            const int b = list->indexOfKey(bob.id());
            const int c = list->indexOfKey(carol.id());
            QVERIFY(b >= 0 && c >= 0);
            QCOMPARE(list->get(b).value(QStringLiteral("name")).toString(), m_bob.user.name);
            QCOMPARE(list->get(c).value(QStringLiteral("name")).toString(), m_carol.user.name);
            QCOMPARE(list->get(b).value(QStringLiteral("isMe")).toBool(), list == bobList);
            QCOMPARE(list->get(c).value(QStringLiteral("isMe")).toBool(), list == carolList);
        }

        carol.controller.close();
        QCOMPARE(carolList->count(), 0);
        QCOMPARE(carol.controller.domainId(), 0);
        QTRY_COMPARE(bobList->count(), 1);
        QCOMPARE(bobList->indexOfKey(carol.id()), -1);
        QVERIFY(bobList->indexOfKey(bob.id()) >= 0);

        // Back again.
        QVERIFY(open(carol, domainId));
        QTRY_COMPARE(bobList->count(), 2);
        QTRY_COMPARE(carolList->count(), 2);
    }
};

QTEST_GUILESS_MAIN(TestAuctionController)
#include "tst_auctioncontroller.moc"
