// SPDX-License-Identifier: MIT
#pragma once

#include "admintablemodels.h"
#include "admintool.h"

namespace flippdeal::admin {

class AdminConsole;
class NameLookup;

//! \brief The Escrows tool: fetches the disputed escrows (GET /api/admin/escrows), looks up the
//! names they show, and resolves one to the seller or the buyer.
class EscrowsToolModel : public EscrowTableModel
{
    Q_OBJECT

public:
    enum class Outcome
    {
        Release, //!< the escrow completes and the seller is paid
        Refund,  //!< the buyer gets the money back
    };
    Q_ENUM(Outcome)

    EscrowsToolModel(AdminConsole &console, NameLookup &lookup, QObject *parent = nullptr);

    Q_INVOKABLE void refresh();
    //! Releases or refunds escrow `escrowId`; `reason` is required (the audit trail keeps it).
    bool resolve(qint64 escrowId, Outcome outcome, const QString &reason, Done done = {});

private:
    QString question(qint64 escrowId, Outcome outcome) const;

    AdminConsole &m_console;
    NameLookup &m_lookup;
};

} // namespace flippdeal::admin
