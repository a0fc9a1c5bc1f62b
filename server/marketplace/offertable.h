// SPDX-License-Identifier: MIT
#pragma once

#include "marketplace/offer.h"

#include <optional>

namespace flippdeal::server {

class Database;

//! \brief The `offers` table: its columns, its rows as Offer values, and its statements.
//! Every call throws DbError when a statement fails; callers run inside a transaction.
class OfferTable
{
public:
    explicit OfferTable(Database &db)
        : m_db(db)
    {}

    std::optional<Offer> find(qint64 offerId);
    //! Inserts a pending offer and returns it with its id.
    Offer insert(qint64 domainId, qint64 userId, qint64 amountCents, qint64 now);
    //! Writes `offer`'s status, counter and time, if its status is still `from` (false when
    //! another request changed it first).
    bool update(const Offer &offer, OfferStatus from);

private:
    Database &m_db;
};

} // namespace flippdeal::server
