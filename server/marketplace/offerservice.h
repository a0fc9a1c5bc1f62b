// SPDX-License-Identifier: MIT
#pragma once

#include "core/result.h"
#include "marketplace/offer.h"
#include "marketplace/offertable.h"

#include "protocol/types.h"

#include <optional>

namespace flippdeal::server {

class Database;
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
    OfferService(Database &db, EventStore &events, NotificationService &notifications,
                 EscrowService &escrows, DomainService &domains);

    Expected<Offer> make(const protocol::User &user, qint64 domainId, qint64 amountCents);
    //! `action` by the party whose turn it is; a counter needs `amountCents`.
    Expected<Offer> respond(const protocol::User &user, qint64 offerId, OfferAction action,
                            std::optional<qint64> amountCents);

private:
    //! Inside a transaction: `event` `{offer}` to the maker's and the owner's user channels.
    static void announce(EventBatch &batch, const QString &event, const Offer &offer,
                         qint64 ownerId);

    OfferTable m_offers;
    EventStore &m_events;
    NotificationService &m_notifications;
    EscrowService &m_escrows;
    DomainService &m_domains;
};

} // namespace flippdeal::server
