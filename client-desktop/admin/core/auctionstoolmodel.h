// SPDX-License-Identifier: MIT
#pragma once

#include "admintablemodels.h"
#include "admintool.h"

namespace flippdeal::admin {

class AdminConsole;
class NameLookup;

//! \brief The Auctions tool: fetches the live auctions (GET /api/admin/auctions), looks up the
//! names they show, and extends or cancels one.
class AuctionsToolModel : public AuctionTableModel
{
    Q_OBJECT

public:
    AuctionsToolModel(AdminConsole &console, NameLookup &lookup, QObject *parent = nullptr);

    Q_INVOKABLE void refresh();
    //! Cancels the auction of `domainId`; `reason` is required (bidders and the owner get it).
    bool cancel(qint64 domainId, const QString &reason, Done done = {});
    //! Moves the end of the auction by 1 second to 7 days.
    bool extend(qint64 domainId, qint64 seconds, Done done = {});

private:
    AdminConsole &m_console;
    NameLookup &m_lookup;
};

} // namespace flippdeal::admin
