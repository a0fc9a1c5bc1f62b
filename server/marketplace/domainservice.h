// SPDX-License-Identifier: MIT
#pragma once

#include "auth/domainaccesspolicy.h"
#include "core/result.h"
#include "marketplace/domain.h"

#include "protocol/types.h"

#include <QFuture>
#include <QJsonObject>
#include <QString>

#include <memory>
#include <optional>

namespace flippdeal::server {

class Database;
class EventBatch;
class EventStore;
class DomainTable;

//! \brief Domain listings and watchers, and the membership questions channel authorization
//! asks (who may follow `private-domain.{id}`, whether `presence-auction.{id}` is open).
class DomainService : public DomainAccessPolicy
{
public:
    DomainService(Database &db, EventStore &events);
    ~DomainService() override;

    //! create(), watch() and update() run on the writer thread (EventStore::transactionLater());
    //! the future finishes on this thread after the commit and the broadcast.
    QFuture<Expected<Domain>> create(const protocol::User &owner, const QJsonObject &body,
                                     qint64 nowMs);
    std::optional<Domain> find(qint64 id);
    //! The domain if `viewerId` may see it: a draft (with its reserve) is its owner's alone,
    //! and to everyone else it does not exist.
    std::optional<Domain> findVisible(qint64 id, qint64 viewerId);
    Expected<Domain> get(qint64 id);
    //! As get(), but 404 for another user's draft.
    Expected<Domain> get(const protocol::User &viewer, qint64 id);
    //! Auctions open for bids at `nowMs`, the soonest to end first.
    Expected<QList<Domain>> liveAuctions(qint64 nowMs, int limit);
    //! 404 for another user's draft.
    QFuture<Expected<Domain>> watch(const protocol::User &user, qint64 domainId, bool watching);
    //! The owner's edits: `status` (draft → active, draft or active → cancelled while there
    //! are no bids) and, while there are no bids, `min_increment_cents`, `reserve_cents`,
    //! `buy_now_cents` and `ends_at`. Broadcasts DomainUpdated on `private-domain.{id}`.
    QFuture<Expected<Domain>> update(const protocol::User &user, qint64 domainId,
                                     const QJsonObject &body, qint64 nowMs);

    std::optional<DomainView> visibleDomain(qint64 domainId, qint64 viewerId,
                                            qint64 nowMs) override;
    //! Owner, bidder, offer maker or watcher of the domain.
    bool isParticipant(qint64 userId, qint64 domainId) override;
    //! How many auctions `ownerId` has live (active, bidding, not yet ended) at `nowMs`.
    qint64 liveAuctionCount(qint64 ownerId, qint64 nowMs);

    //! Sets the most live auctions one seller may run at once (`max-live-auctions-per-seller`).
    void setMaxLiveAuctionsPerSeller(int limit) { m_maxLiveAuctionsPerSeller = limit; }

    static bool isValidDomainName(const QString &name);

    //! Inside a transaction: `domain` is sold by an accepted offer. Ends the listing and tells
    //! its watchers (DomainUpdated), without the price or the buyer.
    void endSale(EventBatch &batch, const Domain &domain, qint64 nowMs);

private:
    //! A new listing from a `POST /api/domains` body: 422 with every failing field.
    static Expected<Domain> readNewDomain(const QJsonObject &body, qint64 nowMs);
    //! Applies the owner's edits in `body` to `domain`: 422 for bad fields, 409 for a change
    //! its state does not allow.
    static std::optional<ApiError> applyEdits(Domain &domain, const QJsonObject &body,
                                              qint64 nowMs);
    //! Inside `batch`'s transaction, on its connection (any thread): the rules, then the edit.
    Expected<Domain> edit(EventBatch &batch, qint64 userId, qint64 domainId,
                          const QJsonObject &body, qint64 nowMs) const;
    //! Inside a transaction on `domains`' connection: 409 when `ownerId` may not start one more
    //! live auction.
    std::optional<ApiError> liveAuctionCapRefusal(DomainTable &domains, qint64 ownerId,
                                                  qint64 nowMs) const;

    Database &m_db;
    std::unique_ptr<DomainTable> m_domains;
    EventStore &m_events;
    int m_maxLiveAuctionsPerSeller = 20;
};

} // namespace flippdeal::server
