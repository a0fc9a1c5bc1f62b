// SPDX-License-Identifier: MIT
#pragma once

#include "core/result.h"

#include "protocol/types.h"

#include <QJsonObject>

#include <optional>

namespace flippdeal::server {

class Database;
class DomainService;
class EscrowService;
class EventBatch;
class EventStore;
class NotificationService;

//! \brief An offer to buy a domain outside of bidding.
struct Offer
{
    qint64 id = 0;
    qint64 domainId = 0;
    qint64 userId = 0; //!< who made it
    qint64 amountCents = 0;
    std::optional<qint64> counterCents; //!< the owner's counter-offer
    QString status;                     //!< pending, countered, accepted, rejected
    std::optional<qint64> escrowId;
    qint64 createdAt = 0;
    qint64 updatedAt = 0;

    QJsonObject toJson() const;
};

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
    Expected<Offer> respond(const protocol::User &user, qint64 offerId, const QString &action,
                            std::optional<qint64> amountCents);

private:
    std::optional<Offer> load(qint64 offerId);
    //! Inside a transaction: `event` `{offer}` to the maker's and the owner's user channels.
    static void announce(EventBatch &batch, const QString &event, const Offer &offer,
                         qint64 ownerId);

    Database &m_db;
    EventStore &m_events;
    NotificationService &m_notifications;
    EscrowService &m_escrows;
    DomainService &m_domains;
};

} // namespace flippdeal::server
