// SPDX-License-Identifier: MIT
#include "statstoolmodel.h"

#include "adminconsole.h"

#include "apiclient.h"

namespace flippdeal::admin {

StatsToolModel::StatsToolModel(AdminConsole &console, QObject *parent)
    : StatsModel(parent)
    , m_console(console)
{}

void StatsToolModel::refresh()
{
    if (!m_console.isSignedIn())
        return;
    m_console.load(*this, QStringLiteral("/api/admin/stats"),
                   [this](const client::ApiResult &result) { update(result.json); });
}

} // namespace flippdeal::admin
