// SPDX-License-Identifier: MIT
#pragma once

#include "statsmodel.h"

namespace flippdeal::admin {

class AdminConsole;

//! \brief The Dashboard tool: fetches the live figures (GET /api/admin/stats) into the
//! StatsModel each time refresh() is called (the console's poll does, while signed in).
class StatsToolModel : public StatsModel
{
    Q_OBJECT

public:
    explicit StatsToolModel(AdminConsole &console, QObject *parent = nullptr);

    Q_INVOKABLE void refresh();

private:
    AdminConsole &m_console;
};

} // namespace flippdeal::admin
