// SPDX-License-Identifier: MIT
#pragma once

#include "core/enumnames.h"

#include <QJsonObject>
#include <QString>

#include <array>
#include <optional>

namespace flippdeal::server {

//! Where an escrow stands (see EscrowService for the transitions between them).
enum class EscrowStatus
{
    PendingFunding,
    Funded,
    Transferred,
    Completed,
    Disputed,
    Refunded,
    Cancelled
};

constexpr auto names(EscrowStatus)
{
    using enum EscrowStatus;
    return std::array{EnumName{PendingFunding, "pending_funding"_L1},
                      EnumName{Funded, "funded"_L1},
                      EnumName{Transferred, "transferred"_L1},
                      EnumName{Completed, "completed"_L1},
                      EnumName{Disputed, "disputed"_L1},
                      EnumName{Refunded, "refunded"_L1},
                      EnumName{Cancelled, "cancelled"_L1}};
}

//! What a party (or an admin) does to an escrow.
enum class EscrowAction
{
    Fund,
    Transfer,
    Confirm,
    Dispute,
    Cancel,
    Release,
    Refund
};

constexpr auto names(EscrowAction)
{
    using enum EscrowAction;
    return std::array{EnumName{Fund, "fund"_L1},       EnumName{Transfer, "transfer"_L1},
                      EnumName{Confirm, "confirm"_L1}, EnumName{Dispute, "dispute"_L1},
                      EnumName{Cancel, "cancel"_L1},   EnumName{Release, "release"_L1},
                      EnumName{Refund, "refund"_L1}};
}

//! \brief An escrow: the buyer's money held until the domain has changed hands.
struct Escrow
{
    qint64 id = 0;
    qint64 domainId = 0;
    qint64 buyerId = 0;
    qint64 sellerId = 0;
    qint64 amountCents = 0;
    qint64 feeCents = 0; //!< the platform's cut, kept from the seller's payout
    EscrowStatus status = EscrowStatus::PendingFunding;
    QString source; //!< auction or offer
    std::optional<qint64> offerId;
    QString payoutReference;
    QString chargeReference; //!< the provider's charge that funds it (empty: none yet)
    QString chargeStatus;    //!< that charge's status when last seen: pending, settled, failed
    std::optional<qint64> chargedCents;
    int chargeAttempts = 0; //!< declined charges so far: the next one gets a new key
    QString refundReference;
    qint64 createdAt = 0;
    qint64 updatedAt = 0;

    QJsonObject toJson() const;
};

} // namespace flippdeal::server
