// SPDX-License-Identifier: MIT
#include "app/demoseed.h"

#include "app/serverapp.h"
#include "auth/accountservice.h"
#include "auth/usertable.h"
#include "core/waitfor.h"
#include "escrow/escrowservice.h"
#include "marketplace/auctionservice.h"
#include "marketplace/domainservice.h"
#include "marketplace/offerservice.h"
#include "messaging/messageservice.h"
#include "storage/database.h"

#include "protocol/timeformat.h"

namespace flippdeal::server {

namespace {

struct DemoUser
{
    const char *name;
    const char *email;
};

constexpr DemoUser demoUsers[] = {
    {"Alice Seller", "alice@demo.flippdeal.test"},
    {"Bob Buyer", "bob@demo.flippdeal.test"},
    {"Carol Collector", "carol@demo.flippdeal.test"},
};

//! alice, bob and carol, found or created (`created` when any was missing).
bool seedUsers(ServerApp &app, const QString &password, QList<protocol::User> *users, bool *created,
               QString *report)
{
    for (const DemoUser &demo : demoUsers) {
        const QString email = QString::fromLatin1(demo.email);
        const auto existing =
            app.database().attempt([&]() -> Expected<std::optional<protocol::User>> {
                return UserTable(app.database()).findByEmail(email);
            });
        if (!existing) {
            *report = existing.error().message;
            return false;
        }
        if (*existing) {
            users->append(**existing);
            continue;
        }
        const auto user = app.accounts().createUserBlocking(QString::fromLatin1(demo.name), email,
                                                            password, QStringLiteral("user"));
        if (!user) {
            *report = user.error().message;
            return false;
        }
        users->append(*user);
        *created = true;
    }
    return true;
}

//! Bob asks Alice about the auction of `domainId`.
bool seedConversation(ServerApp &app, const protocol::User &alice, const protocol::User &bob,
                      qint64 domainId, qint64 now, QString *report)
{
    const struct
    {
        const protocol::User &from;
        const protocol::User &to;
        const char *body;
    } conversation[] = {
        {bob, alice, "Hi Alice, is sunrise.com still available?"},
        {alice, bob, "Hi Bob! Yes, the auction runs for a few more minutes."},
        {bob, alice, "Great, I'll place a bid. Is escrow included?"},
    };
    qint64 at = now;
    for (const auto &line : conversation) {
        at += 1000; // one second apart, inside the per-user rate limit
        const auto sent = app.messages().send(line.from, line.to.id, domainId,
                                              QString::fromLatin1(line.body), at);
        if (!sent) {
            *report = sent.error().message;
            return false;
        }
    }
    return true;
}

//! The live auction has bids from bob and carol; quietpine.io has a pending offer; and
//! oldmaple.net was sold to carol through an accepted offer, with its escrow funded.
bool seedDeals(ServerApp &app, const QList<protocol::User> &users, qint64 auctionId,
               qint64 fixedPriceId, qint64 now, QString *report)
{
    const protocol::User &alice = users[0];
    const protocol::User &bob = users[1];
    const protocol::User &carol = users[2];
    const auto firstBid = waitFor(app.auctions().placeBid(bob, auctionId, 150000, now));
    const auto secondBid = waitFor(app.auctions().placeBid(carol, auctionId, 155000, now + 1));
    const auto pending = waitFor(app.offers().make(bob, fixedPriceId, 75000));
    const auto sold =
        waitFor(app.domains().create(alice,
                                     {{QLatin1String("name"), QStringLiteral("oldmaple.net")},
                                      {QLatin1String("buy_now_cents"), 250000}},
                                     now));
    if (!firstBid || !secondBid || !pending || !sold) {
        *report = QStringLiteral("could not seed the marketplace");
        return false;
    }
    const auto offer = waitFor(app.offers().make(carol, sold->id, 240000));
    const auto accepted =
        offer ? waitFor(app.offers().respond(alice, offer->id, OfferAction::Accept, std::nullopt))
              : Expected<Offer>(offer.error());
    if (!accepted || !accepted->escrowId ||
        !waitFor(app.escrows().transition(carol, *accepted->escrowId, EscrowAction::Fund))) {
        *report = QStringLiteral("could not seed the escrow");
        return false;
    }
    return true;
}

//! sunrise.com on auction, quietpine.io at a fixed price, and what the users did with them.
bool seedMarketplace(ServerApp &app, const QList<protocol::User> &users, QString *report)
{
    const protocol::User &alice = users[0];
    const protocol::User &bob = users[1];
    const qint64 now = protocol::nowMs();
    const auto auction = waitFor(
        app.domains().create(alice,
                             {{QLatin1String("name"), QStringLiteral("sunrise.com")},
                              {QLatin1String("enable_bidding"), true},
                              {QLatin1String("min_increment_cents"), 500},
                              {QLatin1String("reserve_cents"), 150000},
                              {QLatin1String("ends_at"), protocol::isoUtc(now + 5 * 60 * 1000)}},
                             now));
    const auto fixedPrice =
        waitFor(app.domains().create(alice,
                                     {{QLatin1String("name"), QStringLiteral("quietpine.io")},
                                      {QLatin1String("buy_now_cents"), 89900}},
                                     now));
    if (!auction || !fixedPrice) {
        *report = (!auction ? auction.error() : fixedPrice.error()).message;
        return false;
    }
    const protocol::User &carol = users[2];
    waitFor(app.domains().watch(bob, auction->id, true));
    waitFor(app.domains().watch(carol, auction->id, true));
    return seedConversation(app, alice, bob, auction->id, now, report) &&
           seedDeals(app, users, auction->id, fixedPrice->id, now, report);
}

QString loginReport(bool created, const QList<protocol::User> &users, const QString &password)
{
    QString text =
        created ? QStringLiteral(
                      "Demo data created: a live auction of sunrise.com ending in 5 minutes with "
                      "two bids, an offer on quietpine.io, and a funded escrow for oldmaple.net.\n")
                : QStringLiteral("Demo data already present.\n");
    text += QStringLiteral("Log in with any of these (password '%1'):\n").arg(password);
    for (const protocol::User &user : users)
        text += QStringLiteral("  %1  <%2>  id %3\n").arg(user.name, user.email).arg(user.id);
    text += QStringLiteral("Example: curl -s -X POST -H 'Content-Type: application/json' "
                           "-d '{\"email\":\"bob@demo.flippdeal.test\",\"password\":\"%1\"}' "
                           "http://HOST:PORT/api/login")
                .arg(password);
    return text;
}

} // namespace

bool seedDemoData(ServerApp &app, const QString &password, QString *report)
{
    QList<protocol::User> users;
    bool created = false;
    if (!seedUsers(app, password, &users, &created, report))
        return false;
    if (created && !seedMarketplace(app, users, report))
        return false;
    *report = loginReport(created, users, password);
    return true;
}

} // namespace flippdeal::server
