// SPDX-License-Identifier: MIT
#pragma once

#include "core/enumnames.h"

#include <QJsonObject>
#include <QString>

#include <array>
#include <optional>

namespace flippdeal::server {

//! The highest price, reserve or increment a listing may name: one billion dollars.
constexpr qint64 MaxListingCents = Q_INT64_C(100'000'000'000);

//! Where a listing stands. Drafts are their owner's alone; only active ones are for sale.
enum class DomainStatus
{
    Draft,
    Active,
    Ended,
    Sold,
    Cancelled
};

constexpr auto names(DomainStatus)
{
    using enum DomainStatus;
    return std::array{EnumName{Draft, "draft"_L1}, EnumName{Active, "active"_L1},
                      EnumName{Ended, "ended"_L1}, EnumName{Sold, "sold"_L1},
                      EnumName{Cancelled, "cancelled"_L1}};
}

//! \brief A domain listing; money in cents, times in ms since the epoch (UTC).
struct Domain
{
    qint64 id = 0;
    qint64 ownerId = 0;
    QString name;
    DomainStatus status = DomainStatus::Draft;
    bool enableBidding = false;
    qint64 minIncrementCents = 100;
    std::optional<qint64> reserveCents;
    std::optional<qint64> buyNowCents;
    qint64 currentBidCents = 0;
    int bidCount = 0;
    std::optional<qint64> highBidderId;
    std::optional<qint64> endsAt;
    qint64 createdAt = 0;
    qint64 updatedAt = 0;

    //! An auction is live while it is active, takes bids and has not reached its end.
    bool isLiveAuction(qint64 nowMs) const;
    //! A draft is its owner's alone; every other domain anyone signed in may see.
    bool isVisibleTo(qint64 userId) const
    {
        return status != DomainStatus::Draft || ownerId == userId;
    }
    //! The lowest acceptable next bid: the reserve (or one increment) for the first bid, then
    //! the current bid plus the minimum increment.
    qint64 minimumNextBidCents() const;
    QJsonObject toJson() const;
};

} // namespace flippdeal::server
