// SPDX-License-Identifier: MIT
#include "failedjobstoolmodel.h"

#include "adminconsole.h"
#include "admintool_p.h"

#include "apiclient.h"

namespace flippdeal::admin {

using client::ApiResult;
using Table = AdminConsole::Table;

FailedJobsToolModel::FailedJobsToolModel(AdminConsole &console, QObject *parent)
    : FailedJobTableModel(parent)
    , m_console(console)
{}

void FailedJobsToolModel::refresh()
{
    if (!m_console.isSignedIn())
        return;
    m_console.load(*this, QStringLiteral("/api/admin/jobs/failed?limit=500"),
                   [this](const ApiResult &result) {
                       setRows(result.json.value(QLatin1String("data")).toArray());
                   });
}

bool FailedJobsToolModel::retry(qint64 failedJobId, Done done)
{
    return m_console.perform({tr("Retry job"),
                              {},
                              "POST",
                              QStringLiteral("/api/admin/jobs/failed/%1/retry").arg(failedJobId),
                              {},
                              [this, failedJobId](const ApiResult &) {
                                  removeId(failedJobId);
                                  return tr("Failed job #%1 is queued again.").arg(failedJobId);
                              },
                              {Table::Jobs, Table::Stats},
                              std::move(done)});
}

bool FailedJobsToolModel::retryAll(Done done)
{
    return m_console.perform({tr("Retry all failed jobs"),
                              {},
                              "POST",
                              QStringLiteral("/api/admin/jobs/failed/retry-all"),
                              {},
                              [](const ApiResult &result) {
                                  return tr("%1 queued again.")
                                      .arg(tool::quantity(tool::integer(result.json, "retried"),
                                                          tr("1 failed job"),
                                                          tr("%1 failed jobs")));
                              },
                              {Table::Jobs, Table::Stats},
                              std::move(done)});
}

bool FailedJobsToolModel::remove(qint64 failedJobId, Done done)
{
    const QJsonObject job = objectWithId(failedJobId);
    return m_console.perform({tr("Delete failed job"),
                              tr("Delete failed job #%1 (%2) for good?\n\nIt will not run again.")
                                  .arg(failedJobId)
                                  .arg(tool::string(job, "type")),
                              "DELETE",
                              QStringLiteral("/api/admin/jobs/failed/%1").arg(failedJobId),
                              {},
                              [this, failedJobId](const ApiResult &) {
                                  removeId(failedJobId);
                                  return tr("Deleted failed job #%1.").arg(failedJobId);
                              },
                              {Table::Jobs, Table::Stats},
                              std::move(done)});
}

} // namespace flippdeal::admin
