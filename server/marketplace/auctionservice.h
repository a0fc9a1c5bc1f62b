// SPDX-License-Identifier: MIT
#pragma once

#include "core/result.h"
#include "gateway/broadcaster.h"
#include "marketplace/auctiontable.h"
#include "marketplace/domainservice.h"

#include "protocol/types.h"

#include <QFuture>
#include <QHash>
#include <QJsonObject>
#include <QSet>

namespace flippdeal::server {

class Database;
class EscrowService;
class EventBatch;
class EventStore;
class NotificationService;

//! \brief Live auctions: bidding (serialized by the database so exactly one of several equal
//! bids wins), anti-sniping extensions, the countdown broadcasts and closing each auction
//! exactly once, however many schedulers run.
class AuctionService
{
public:
    AuctionService(Database &db, EventStore &events, NotificationService &notifications,
                   EscrowService &escrows, qint64 antiSnipeMs);

    struct BidResult
    {
        Bid bid;
        Domain auction;
        bool extended = false;
    };

    //! On the writer thread (EventStore::transactionLater()): the future finishes on this thread
    //! after the commit and the broadcast.
    QFuture<Expected<BidResult>> placeBid(const protocol::User &bidder, qint64 domainId,
                                          qint64 amountCents, qint64 nowMs);
    //! Hands the close of every auction whose end has passed to the writer (one at a time per
    //! auction). Returns how many it handed over; each closes exactly once, on whichever node
    //! or process flips its status first.
    int closeDueAuctions(qint64 nowMs);
    //! Broadcasts AuctionCountdown for live auctions that are due one: every 10 s, every second
    //! in the last minute. Returns how many claims were handed to the writer.
    int broadcastCountdowns(qint64 nowMs);
    Expected<QList<Bid>> bids(qint64 domainId, int limit);

    //! An operator stops a live auction: the domain becomes `cancelled`, nobody wins, no escrow
    //! is opened. `AuctionEnded` (with `cancelled: true` and the reason) goes to both auction
    //! channels, and the owner and the high bidder are notified.
    //! On the writer thread, like placeBid().
    QFuture<Expected<Domain>> cancelAuction(qint64 domainId, const QString &reason, qint64 nowMs);
    //! An operator moves a live auction's end `seconds` later; `AuctionExtended` goes out. On the
    //! writer thread.
    QFuture<Expected<Domain>> extendAuction(qint64 domainId, qint64 seconds, qint64 nowMs);

    //! The `auction` object of BidPlaced: `{domain_id, current_bid_cents, bid_count, ends_at,
    //! server_time}`.
    static QJsonObject auctionState(const Domain &domain, qint64 nowMs);

private:
    //! Inside `batch`'s transaction, on its connection (any thread): the rules, then the bid.
    Expected<BidResult> bid(EventBatch &batch, const protocol::User &bidder, qint64 domainId,
                            qint64 amountCents, qint64 nowMs) const;
    //! Inside a transaction: records a bid that passed the rules and announces it. Nothing
    //! when another bid got in first.
    std::optional<BidResult> recordBid(EventBatch &batch, const Domain &before,
                                       const protocol::User &bidder, qint64 amountCents,
                                       qint64 nowMs) const;
    //! Hands one auction's close to the writer; false while an earlier one is still there.
    bool closeOne(qint64 domainId, qint64 nowMs);
    //! Inside the closing transaction: the winner's escrow, the notifications, AuctionEnded.
    void announceClose(EventBatch &batch, const Domain &domain, qint64 nowMs) const;
    //! Inside `batch`'s transaction, on its connection: cancelAuction()'s work.
    Expected<Domain> cancelLive(EventBatch &batch, qint64 domainId, const QString &reason,
                                qint64 nowMs) const;
    //! Hands the claim of one beat to the writer; false while an earlier one is still there.
    bool sendCountdown(qint64 domainId, qint64 nowMs);
    //! Inside `batch`'s transaction, on its connection: claims the beat, returns it.
    Expected<BroadcastEvent> claimCountdown(EventBatch &batch, qint64 domainId, qint64 nowMs) const;

    Database &m_db;
    AuctionTable m_auctions;
    EventStore &m_events;
    NotificationService &m_notifications;
    EscrowService &m_escrows;
    qint64 m_antiSnipeMs;
    QSet<qint64> m_beatsInFlight;  // countdown claims handed to the writer, not yet ended
    QSet<qint64> m_closesInFlight; // closes handed to the writer, not yet ended
};

} // namespace flippdeal::server
