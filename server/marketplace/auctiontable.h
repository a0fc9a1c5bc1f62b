// SPDX-License-Identifier: MIT
#pragma once

#include "marketplace/domain.h"

#include <QJsonObject>
#include <QList>

#include <optional>

namespace flippdeal::server {

class Database;

//! \brief One accepted bid.
struct Bid
{
    qint64 id = 0;
    qint64 domainId = 0;
    qint64 userId = 0;
    qint64 amountCents = 0;
    qint64 createdAt = 0;

    QJsonObject toJson() const;
};

//! \brief The auction side of `domains` (bidding state, end, countdown claims) and the `bids`
//! table. Each state change is a conditional UPDATE that tells whether it won: that is what
//! makes a bid, a close or a countdown beat happen once however many nodes race for it.
//! Every call throws DbError when a statement fails.
class AuctionTable
{
public:
    explicit AuctionTable(Database &db)
        : m_db(db)
    {}

    //! Records `bid` on `auction` (as read, with its bid count) and moves the end to `endsAt`.
    //! Returns the bid's id, or nothing when another bid got in first.
    std::optional<qint64> placeBid(const Domain &auction, const Bid &bid, qint64 endsAt);
    //! The newest bids on `domainId` first.
    QList<Bid> bids(qint64 domainId, int limit);
    //! Cancels the auction if it is live at `nowMs`.
    bool cancelIfLive(qint64 domainId, qint64 nowMs);
    //! Moves a live auction's end from `endsAt` to `newEndsAt`, if it still ends at `endsAt`.
    bool extend(qint64 domainId, qint64 endsAt, qint64 newEndsAt, qint64 nowMs);
    //! Auctions still active whose end has passed, the earliest first.
    QList<qint64> dueToClose(qint64 nowMs);
    //! Ends the auction if it is active and due: true for the one caller that did it.
    bool endIfDue(qint64 domainId, qint64 nowMs);
    //! Live auctions whose next countdown beat is due: every 10 s, every second in the last
    //! minute.
    QList<qint64> countdownsDue(qint64 nowMs);
    //! Claims the beat at `nowMs` for the one scheduler whose UPDATE matches.
    bool claimCountdown(qint64 domainId, qint64 nowMs, qint64 intervalMs);

    //! The interval between countdown beats with `remainingMs` to go.
    static qint64 countdownInterval(qint64 remainingMs)
    {
        return remainingMs <= 60'000 ? 1000 : 10'000;
    }
    //! How early a beat may come, so that a late timer does not skip one.
    static constexpr qint64 CountdownSlackMs = 150;

private:
    Database &m_db;
};

} // namespace flippdeal::server
