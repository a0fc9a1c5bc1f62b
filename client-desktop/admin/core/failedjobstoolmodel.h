// SPDX-License-Identifier: MIT
#pragma once

#include "admintablemodels.h"
#include "admintool.h"

namespace flippdeal::admin {

class AdminConsole;

//! \brief The failed half of the Jobs tool: fetches the jobs that used up their attempts
//! (GET /api/admin/jobs/failed), queues one or all of them again, or deletes one.
class FailedJobsToolModel : public FailedJobTableModel
{
    Q_OBJECT

public:
    explicit FailedJobsToolModel(AdminConsole &console, QObject *parent = nullptr);

    Q_INVOKABLE void refresh();
    //! Queues failed job `failedJobId` again with fresh attempts.
    bool retry(qint64 failedJobId, Done done = {});
    bool retryAll(Done done = {});
    //! Deletes failed job `failedJobId` for good (asks first).
    bool remove(qint64 failedJobId, Done done = {});

private:
    AdminConsole &m_console;
};

} // namespace flippdeal::admin
