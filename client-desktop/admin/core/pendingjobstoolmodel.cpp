// SPDX-License-Identifier: MIT
#include "pendingjobstoolmodel.h"

#include "adminconsole.h"
#include "admintool_p.h"

#include "apiclient.h"

namespace flippdeal::admin {

using client::ApiResult;
using Table = AdminConsole::Table;

PendingJobsToolModel::PendingJobsToolModel(AdminConsole &console, QObject *parent)
    : PendingJobTableModel(parent)
    , m_console(console)
{}

void PendingJobsToolModel::refresh()
{
    if (!m_console.isSignedIn())
        return;
    m_console.load(*this, QStringLiteral("/api/admin/jobs?limit=500"),
                   [this](const ApiResult &result) {
                       setRows(result.json.value(QLatin1String("data")).toArray());
                   });
}

bool PendingJobsToolModel::remove(qint64 jobId, Done done)
{
    const QJsonObject job = objectWithId(jobId);
    return m_console.perform(
        {tr("Delete job"),
         tr("Delete job #%1 (%2) before it runs?\n\nIts work will not be done.")
             .arg(jobId)
             .arg(tool::string(job, "type")),
         "DELETE",
         QStringLiteral("/api/admin/jobs/%1").arg(jobId),
         {},
         [this, jobId](const ApiResult &) {
             removeId(jobId);
             return tr("Deleted job #%1.").arg(jobId);
         },
         {Table::Jobs, Table::Stats},
         std::move(done)});
}

} // namespace flippdeal::admin
