// SPDX-License-Identifier: MIT
#pragma once

#include "admintablemodels.h"
#include "admintool.h"

namespace flippdeal::admin {

class AdminConsole;

//! \brief The pending half of the Jobs tool: fetches the jobs waiting or running
//! (GET /api/admin/jobs) and deletes one before it runs.
class PendingJobsToolModel : public PendingJobTableModel
{
    Q_OBJECT

public:
    explicit PendingJobsToolModel(AdminConsole &console, QObject *parent = nullptr);

    Q_INVOKABLE void refresh();
    //! Deletes job `jobId` before a worker runs it (asks first).
    bool remove(qint64 jobId, Done done = {});

private:
    AdminConsole &m_console;
};

} // namespace flippdeal::admin
