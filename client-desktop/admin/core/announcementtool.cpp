// SPDX-License-Identifier: MIT
#include "announcementtool.h"

#include "adminconsole.h"
#include "admintool_p.h"

#include "apiclient.h"

namespace flippdeal::admin {

using client::ApiResult;

AnnouncementTool::AnnouncementTool(AdminConsole &console, QObject *parent)
    : QObject(parent)
    , m_console(console)
{}

bool AnnouncementTool::send(const QString &title, const QString &body, Done done)
{
    const QString name = tr("Send announcement");
    if (title.trimmed().isEmpty() || body.trimmed().isEmpty())
        return m_console.refuse(name, tr("Give the announcement a title and a text."), done);
    const bool started = m_console.perform(
        {name,
         tr("Send “%1” to every user who is not banned?\n\nIt is stored as a "
            "notification and shown live to everyone online.")
             .arg(title.trimmed()),
         "POST",
         QStringLiteral("/api/admin/announcements"),
         {{QLatin1String("title"), title.trimmed()}, {QLatin1String("body"), body.trimmed()}},
         [this](const ApiResult &result) {
             const int recipients = int(tool::integer(result.json, "recipients"));
             Q_EMIT sent(recipients);
             return tr("The announcement reached %1.")
                 .arg(tool::quantity(recipients, tr("1 user"), tr("%1 users")));
         },
         {},
         [this, done = std::move(done)](bool ok, const QString &message) {
             finish(ok, message);
             if (done)
                 done(ok, message);
         }});
    if (started && !m_loading) {
        m_loading = true;
        Q_EMIT loadingChanged();
    }
    return started;
}

void AnnouncementTool::finish(bool ok, const QString &message)
{
    if (m_loading) {
        m_loading = false;
        Q_EMIT loadingChanged();
    }
    const QString error = ok ? QString() : message;
    if (error != m_errorString) {
        m_errorString = error;
        Q_EMIT errorStringChanged();
    }
}

void AnnouncementTool::reset()
{
    finish(true, {});
}

} // namespace flippdeal::admin
