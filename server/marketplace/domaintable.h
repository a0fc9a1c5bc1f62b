// SPDX-License-Identifier: MIT
#pragma once

#include "marketplace/domain.h"

#include <QList>

#include <optional>

namespace flippdeal::server {

class Database;

//! \brief The `domains` table and its `watchers`: columns, rows as Domain values, statements.
//! Every call throws DbError when a statement fails.
class DomainTable
{
public:
    explicit DomainTable(Database &db)
        : m_db(db)
    {}

    std::optional<Domain> find(qint64 domainId);
    //! Inserts `domain` and returns its new id.
    qint64 insert(const Domain &domain);
    //! Writes `domain`'s status and terms, if it still has `domain.bidCount` bids.
    bool updateTerms(const Domain &domain);
    //! Sets the status of domain `domainId`.
    void setStatus(qint64 domainId, DomainStatus status, qint64 nowMs);
    //! Auctions open for bids at `nowMs`, the soonest to end first.
    QList<Domain> liveAuctions(qint64 nowMs, int limit);
    //! How many auctions `ownerId` has live at `nowMs`.
    qint64 liveAuctionCount(qint64 ownerId, qint64 nowMs);
    //! How many auctions are live at `nowMs`, whoever owns them.
    qint64 liveAuctionTotal(qint64 nowMs);
    void watch(qint64 domainId, qint64 userId, qint64 nowMs);
    void unwatch(qint64 domainId, qint64 userId);
    //! Owner, watcher, bidder or offer maker of the domain.
    bool isParticipant(qint64 userId, qint64 domainId);

    //! The connection its statements run on.
    Database &database() const { return m_db; }
    //! The columns of a Domain, for statements that join or filter in their own way.
    static const QString &selectDomains();
    static Domain fromRow(const class SqlQuery &row);

private:
    Database &m_db;
};

} // namespace flippdeal::server
