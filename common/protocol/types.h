// SPDX-License-Identifier: MIT
#pragma once

#include <QJsonObject>
#include <QString>

#include <algorithm>
#include <optional>

//! \file The JSON value types of the external contract (docs/api.md), shared by the server,
//! which writes them, and the clients, which read them. Times are milliseconds since the
//! epoch in memory and ISO-8601 UTC with milliseconds on the wire; money is integer cents.

namespace flippdeal::protocol {

//! \brief `user`: `{id, name, email, role}`.
struct User
{
    qint64 id = 0;
    QString name;
    QString email;
    QString role = QStringLiteral("user"); //!< `user` or `admin`

    QJsonObject toJson() const;
    //! `{id, name}`: all that other users may see of a user (no email, no role).
    QJsonObject toPublicJson() const;
    static std::optional<User> fromJson(const QJsonObject &json);
};

//! \brief `message`: `{id, from_user_id, to_user_id, domain_id, body, created_at, read_at}`.
struct Message
{
    qint64 id = 0;
    qint64 fromUserId = 0;
    qint64 toUserId = 0;
    std::optional<qint64> domainId;
    QString body;
    qint64 createdAt = 0;
    std::optional<qint64> readAt;

    QJsonObject toJson() const;
    static std::optional<Message> fromJson(const QJsonObject &json);
};

//! \brief `notification`: `{id, type, data, read_at, created_at}`.
struct Notification
{
    qint64 id = 0;
    QString type; //!< one of the types in NotificationType
    QJsonObject data;
    qint64 createdAt = 0;
    std::optional<qint64> readAt;

    QJsonObject toJson() const;
    static std::optional<Notification> fromJson(const QJsonObject &json);
};

//! The notification types of the contract.
namespace NotificationType {
inline const QString MessageReceived = QStringLiteral("message.received");
inline const QString BidPlaced = QStringLiteral("bid.placed");
inline const QString BidOutbid = QStringLiteral("bid.outbid");
inline const QString OfferReceived = QStringLiteral("offer.received");
inline const QString OfferAccepted = QStringLiteral("offer.accepted");
inline const QString OfferRejected = QStringLiteral("offer.rejected");
inline const QString OfferCountered = QStringLiteral("offer.countered");
inline const QString AuctionWon = QStringLiteral("auction.won");
inline const QString AuctionEnded = QStringLiteral("auction.ended");
inline const QString EscrowUpdated = QStringLiteral("escrow.updated");
inline const QString PayoutCompleted = QStringLiteral("payout.completed");
inline const QString Announcement = QStringLiteral("announcement");
} // namespace NotificationType

//! The broadcast event names of the contract.
namespace EventName {
inline const QString MessageSent = QStringLiteral("MessageSent");
inline const QString MessageRead = QStringLiteral("MessageRead");
inline const QString NotificationCreated = QStringLiteral("NotificationCreated");
inline const QString BidPlaced = QStringLiteral("BidPlaced");
inline const QString AuctionCountdown = QStringLiteral("AuctionCountdown");
inline const QString AuctionExtended = QStringLiteral("AuctionExtended");
inline const QString AuctionEnded = QStringLiteral("AuctionEnded");
inline const QString OfferMade = QStringLiteral("OfferMade");
inline const QString OfferUpdated = QStringLiteral("OfferUpdated");
inline const QString EscrowUpdated = QStringLiteral("EscrowUpdated");
inline const QString DomainUpdated = QStringLiteral("DomainUpdated");
} // namespace EventName

//! Channel names of the contract.
namespace Channels {
inline QString user(qint64 id)
{
    return QStringLiteral("private-user.%1").arg(id);
}
inline QString domain(qint64 id)
{
    return QStringLiteral("private-domain.%1").arg(id);
}
inline QString auction(qint64 id)
{
    return QStringLiteral("presence-auction.%1").arg(id);
}
//! The two users' private channel for typing indicators (client events only): the smaller id
//! first, so both sides name it alike. Beyond the contract.
inline QString conversation(qint64 a, qint64 b)
{
    return QStringLiteral("private-conversation.%1.%2").arg(std::min(a, b)).arg(std::max(a, b));
}
} // namespace Channels

} // namespace flippdeal::protocol
