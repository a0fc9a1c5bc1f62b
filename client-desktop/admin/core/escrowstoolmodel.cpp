// SPDX-License-Identifier: MIT
#include "escrowstoolmodel.h"

#include "adminconsole.h"
#include "admintool_p.h"
#include "namelookup.h"

#include "apiclient.h"

namespace flippdeal::admin {

using client::ApiResult;
using Table = AdminConsole::Table;
using namespace tool;

EscrowsToolModel::EscrowsToolModel(AdminConsole &console, NameLookup &lookup, QObject *parent)
    : EscrowTableModel(lookup.names(), parent)
    , m_console(console)
    , m_lookup(lookup)
{}

void EscrowsToolModel::refresh()
{
    if (!m_console.isSignedIn())
        return;
    m_console.load(*this, QStringLiteral("/api/admin/escrows"), [this](const ApiResult &result) {
        setRows(result.json.value(QLatin1String("data")).toArray());
        m_lookup.learn(rows(), {"buyer_id", "seller_id"}, "domain_id");
    });
}

QString EscrowsToolModel::question(qint64 escrowId, Outcome outcome) const
{
    const NameDirectory &names = m_lookup.names();
    const QJsonObject escrow = objectWithId(escrowId);
    const QString domain = names.domainLabel(integer(escrow, "domain_id"));
    if (outcome == Outcome::Release)
        return tr("Release escrow #%1 (%2) to the seller %3?\n\nThe escrow completes and %4 is "
                  "paid out to the seller.")
            .arg(escrowId)
            .arg(domain, names.userLabel(integer(escrow, "seller_id")),
                 format::money(integer(escrow, "payout_cents")));
    return tr("Refund escrow #%1 (%2) to the buyer %3?\n\n%4 goes back to the buyer.")
        .arg(escrowId)
        .arg(domain, names.userLabel(integer(escrow, "buyer_id")),
             format::money(integer(escrow, "amount_cents")));
}

bool EscrowsToolModel::resolve(qint64 escrowId, Outcome outcome, const QString &reason, Done done)
{
    const bool release = outcome == Outcome::Release;
    const QString title = release ? tr("Release escrow") : tr("Refund escrow");
    if (reason.trimmed().isEmpty())
        return m_console.refuse(
            title, tr("Give a reason: it is recorded in the escrow's audit trail."), done);
    return m_console.perform(
        {title,
         question(escrowId, outcome),
         "POST",
         QStringLiteral("/api/admin/escrows/%1/resolve").arg(escrowId),
         {{QLatin1String("outcome"),
           release ? QStringLiteral("release") : QStringLiteral("refund")},
          {QLatin1String("reason"), reason.trimmed()}},
         [this, escrowId, release](const ApiResult &) {
             removeId(escrowId);
             return release ? tr("Escrow #%1 released to the seller.").arg(escrowId)
                            : tr("Escrow #%1 refunded to the buyer.").arg(escrowId);
         },
         {Table::Escrows, Table::Stats},
         std::move(done)});
}

} // namespace flippdeal::admin
