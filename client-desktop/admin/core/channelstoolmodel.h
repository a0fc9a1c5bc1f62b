// SPDX-License-Identifier: MIT
#pragma once

#include "admintablemodels.h"

namespace flippdeal::admin {

class AdminConsole;

//! \brief The Channels tool: fetches the channels with subscribers on the node
//! (GET /api/admin/channels) and shows the presence members of one of them in members().
class ChannelsToolModel : public ChannelTableModel
{
    Q_OBJECT
    Q_PROPERTY(
        QString memberChannel READ memberChannel WRITE setMemberChannel NOTIFY memberChannelChanged)

public:
    explicit ChannelsToolModel(AdminConsole &console, QObject *parent = nullptr);

    Q_INVOKABLE void refresh();
    //! The presence members of memberChannel().
    MemberTableModel *members() { return &m_members; }
    QString memberChannel() const { return m_memberChannel; }
    //! Shows the presence members of `channel` in members() (empty: none).
    void setMemberChannel(const QString &channel);
    //! Empties the channels and the members (on sign-out).
    void reset();

Q_SIGNALS:
    void memberChannelChanged();

private:
    void updateMembers();

    AdminConsole &m_console;
    MemberTableModel m_members;
    QString m_memberChannel;
};

} // namespace flippdeal::admin
