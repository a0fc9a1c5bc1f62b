// SPDX-License-Identifier: MIT
#pragma once

#include "escrow/escrow.h"

#include <QList>
#include <QString>

#include <optional>

namespace flippdeal::server {

class Database;

//! \brief The `escrows` table and its audit trail `escrow_events`: columns, rows as Escrow
//! values, statements. Every call throws DbError when a statement fails.
class EscrowTable
{
public:
    explicit EscrowTable(Database &db)
        : m_db(db)
    {}

    std::optional<Escrow> find(qint64 escrowId);
    //! Escrows in dispute, oldest first.
    QList<Escrow> disputed();
    //! Inserts `escrow` and returns its new id.
    qint64 insert(const Escrow &escrow);
    //! Writes `escrow`'s status and time, if its status is still `from` (false when another
    //! request moved it first).
    bool updateStatus(const Escrow &escrow, EscrowStatus from);
    //! Writes `escrow`'s status, charge and time, if it is still pending funding.
    bool updateCharge(const Escrow &escrow);
    //! Records the payout's reference, unless one is recorded already (then false).
    bool setPayoutReference(qint64 escrowId, const QString &reference);
    //! Records the refund's reference (and the charge as refunded), unless one is recorded.
    void setRefundReference(qint64 escrowId, const QString &reference, qint64 nowMs);
    //! The audit row of a change from `from` (nothing: the escrow was just opened) to `to`.
    void addEvent(qint64 escrowId, std::optional<EscrowStatus> from, EscrowStatus to,
                  std::optional<qint64> actorId, const QString &reason, qint64 nowMs);

private:
    Database &m_db;
};

} // namespace flippdeal::server
