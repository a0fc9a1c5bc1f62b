// SPDX-License-Identifier: MIT
#pragma once

#include <QtGlobal>

#include <optional>

namespace flippdeal::server {

//! \brief What the channel policies of ChannelAuthorizer ask about domains
//! (`private-domain.{id}`, `presence-auction.{id}`); the marketplace answers.
class DomainAccessPolicy
{
public:
    //! A domain as one user sees it.
    struct DomainView
    {
        bool liveAuction = false; //!< open for bids now
    };

    virtual ~DomainAccessPolicy() = default;

    //! The domain if `viewerId` may see it; std::nullopt for a domain that does not exist or
    //! is another user's draft.
    virtual std::optional<DomainView> visibleDomain(qint64 domainId, qint64 viewerId,
                                                    qint64 nowMs) = 0;
    //! Owner, bidder, offer maker or watcher of the domain.
    virtual bool isParticipant(qint64 userId, qint64 domainId) = 0;
};

} // namespace flippdeal::server
