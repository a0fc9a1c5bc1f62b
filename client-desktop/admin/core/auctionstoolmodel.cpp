// SPDX-License-Identifier: MIT
#include "auctionstoolmodel.h"

#include "adminconsole.h"
#include "admintool_p.h"
#include "namelookup.h"

#include "apiclient.h"

namespace flippdeal::admin {

using client::ApiResult;
using Table = AdminConsole::Table;
using namespace tool;

AuctionsToolModel::AuctionsToolModel(AdminConsole &console, NameLookup &lookup, QObject *parent)
    : AuctionTableModel(lookup.names(), parent)
    , m_console(console)
    , m_lookup(lookup)
{}

void AuctionsToolModel::refresh()
{
    if (!m_console.isSignedIn())
        return;
    m_console.load(*this, QStringLiteral("/api/admin/auctions?limit=500"),
                   [this](const ApiResult &result) {
                       const QJsonArray data = result.json.value(QLatin1String("data")).toArray();
                       m_lookup.names().addDomains(data);
                       setNow(QDateTime::currentDateTimeUtc());
                       setRows(data);
                       m_lookup.learn(rows(), {"owner_id", "high_bidder_id"});
                   });
}

bool AuctionsToolModel::cancel(qint64 domainId, const QString &reason, Done done)
{
    if (reason.trimmed().isEmpty())
        return m_console.refuse(tr("Cancel auction"),
                                tr("Give a reason: bidders and the owner are told."), done);
    const QString domain = m_lookup.names().domainLabel(domainId);
    return m_console.perform({tr("Cancel auction"),
                              tr("Cancel the auction of %1?\n\nNobody wins, no escrow opens, and "
                                 "the owner and the high bidder are told why.")
                                  .arg(domain),
                              "POST",
                              QStringLiteral("/api/admin/auctions/%1/cancel").arg(domainId),
                              {{QLatin1String("reason"), reason.trimmed()}},
                              [this, domainId, domain](const ApiResult &) {
                                  removeId(domainId);
                                  return tr("The auction of %1 is cancelled.").arg(domain);
                              },
                              {Table::Auctions, Table::Stats},
                              std::move(done)});
}

bool AuctionsToolModel::extend(qint64 domainId, qint64 seconds, Done done)
{
    if (seconds < 1 || seconds > 7 * 24 * 3600)
        return m_console.refuse(tr("Extend auction"), tr("Extend by 1 second to 7 days."), done);
    const QString domain = m_lookup.names().domainLabel(domainId);
    return m_console.perform(
        {tr("Extend auction"),
         {},
         "POST",
         QStringLiteral("/api/admin/auctions/%1/extend").arg(domainId),
         {{QLatin1String("seconds"), seconds}},
         [this, domainId, domain, seconds](const ApiResult &result) {
             const QJsonObject updated = result.json.value(QLatin1String("domain")).toObject();
             if (rowOfId(domainId) >= 0)
                 upsert(merged(objectWithId(domainId), updated));
             return tr("The auction of %1 is extended by %2; it now ends at %3.")
                 .arg(domain, format::duration(seconds),
                      format::localTime(updated.value(QLatin1String("ends_at"))));
         },
         {Table::Auctions},
         std::move(done)});
}

} // namespace flippdeal::admin
