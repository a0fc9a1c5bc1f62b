// SPDX-License-Identifier: MIT
#pragma once

#include "core/result.h"
#include "marketplace/domain.h"
#include "marketplace/offer.h"

#include "protocol/types.h"

#include <QFuture>

#include <optional>

namespace flippdeal::server {

class DomainService;
class EscrowService;
class EventBatch;
class EventStore;
class NotificationService;

//! \brief Offers: make, then the owner accepts, rejects or counters; the maker answers a
//! counter by accepting or rejecting it. Accepting opens an escrow. Every step is broadcast to
//! the maker's and the owner's `private-user.{id}` (OfferMade, OfferUpdated) and notified
//! (`offer.*`); the domain's channel only hears `DomainUpdated` when an accepted offer ends it.
class OfferService
{
public:
    OfferService(EventStore &events, NotificationService &notifications, EscrowService &escrows,
                 DomainService &domains);

    // Both run on the writer thread (EventStore::transactionLater()); the future finishes on
    // this thread after the commit and the broadcasts.
    QFuture<Expected<Offer>> make(const protocol::User &user, qint64 domainId, qint64 amountCents);
    //! `action` by the party whose turn it is; a counter needs `amountCents`.
    QFuture<Expected<Offer>> respond(const protocol::User &user, qint64 offerId, OfferAction action,
                                     std::optional<qint64> amountCents);

private:
    //! Inside a transaction: `event` `{offer}` to the maker's and the owner's user channels.
    static void announce(EventBatch &batch, const QString &event, const Offer &offer,
                         qint64 ownerId);
    // The transactions' work, on the batch's connection (any thread).
    Expected<Offer> record(EventBatch &batch, const protocol::User &user, qint64 domainId,
                           qint64 amountCents) const;
    Expected<Offer> answer(EventBatch &batch, const protocol::User &user, qint64 offerId,
                           OfferAction action, std::optional<qint64> amountCents) const;
    //! Inside the answer's transaction: the escrow of an accepted offer, the domain's end.
    void closeSale(EventBatch &batch, Offer &offer, OfferStatus from, const Domain &domain) const;

    EventStore &m_events;
    NotificationService &m_notifications;
    EscrowService &m_escrows;
    DomainService &m_domains;
};

} // namespace flippdeal::server
