// SPDX-License-Identifier: MIT
#include "channelstoolmodel.h"

#include "adminconsole.h"

#include "apiclient.h"

namespace flippdeal::admin {

ChannelsToolModel::ChannelsToolModel(AdminConsole &console, QObject *parent)
    : ChannelTableModel(parent)
    , m_console(console)
{
    connect(this, &JsonTableModel::dataChanged, this, &ChannelsToolModel::updateMembers);
    connect(this, &JsonTableModel::rowsRemoved, this, &ChannelsToolModel::updateMembers);
    connect(this, &JsonTableModel::rowsInserted, this, &ChannelsToolModel::updateMembers);
}

void ChannelsToolModel::refresh()
{
    if (!m_console.isSignedIn())
        return;
    m_console.load(*this, QStringLiteral("/api/admin/channels"),
                   [this](const client::ApiResult &result) {
                       setRows(result.json.value(QLatin1String("data")).toArray());
                       updateMembers();
                   });
}

void ChannelsToolModel::setMemberChannel(const QString &channel)
{
    const bool changed = channel != m_memberChannel;
    m_memberChannel = channel;
    updateMembers();
    if (changed)
        Q_EMIT memberChannelChanged();
}

void ChannelsToolModel::reset()
{
    clear();
    m_members.clear();
    if (!m_memberChannel.isEmpty()) {
        m_memberChannel.clear();
        Q_EMIT memberChannelChanged();
    }
}

void ChannelsToolModel::updateMembers()
{
    const QJsonObject channel = objectWithId(m_memberChannel);
    m_members.setRows(channel.value(QLatin1String("members")).toArray());
}

} // namespace flippdeal::admin
