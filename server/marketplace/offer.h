// SPDX-License-Identifier: MIT
#pragma once

#include "core/enumnames.h"

#include <QJsonObject>

#include <array>
#include <optional>

namespace flippdeal::server {

//! Where an offer stands: the owner answers a pending one, the maker a countered one.
enum class OfferStatus
{
    Pending,
    Countered,
    Accepted,
    Rejected
};

constexpr auto names(OfferStatus)
{
    using enum OfferStatus;
    return std::array{EnumName{Pending, "pending"_L1}, EnumName{Countered, "countered"_L1},
                      EnumName{Accepted, "accepted"_L1}, EnumName{Rejected, "rejected"_L1}};
}

//! What the party whose turn it is does with an offer.
enum class OfferAction
{
    Accept,
    Reject,
    Counter
};

constexpr auto names(OfferAction)
{
    using enum OfferAction;
    return std::array{EnumName{Accept, "accept"_L1}, EnumName{Reject, "reject"_L1},
                      EnumName{Counter, "counter"_L1}};
}

//! \brief An offer to buy a domain outside of bidding.
struct Offer
{
    qint64 id = 0;
    qint64 domainId = 0;
    qint64 userId = 0; //!< who made it
    qint64 amountCents = 0;
    std::optional<qint64> counterCents; //!< the owner's counter-offer
    OfferStatus status = OfferStatus::Pending;
    std::optional<qint64> escrowId;
    qint64 createdAt = 0;
    qint64 updatedAt = 0;

    QJsonObject toJson() const;
};

} // namespace flippdeal::server
