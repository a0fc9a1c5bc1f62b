// SPDX-License-Identifier: MIT
#pragma once

#include <QWidget>

class QGroupBox;
class QLineEdit;

namespace flippdeal::admin {

class AdminConsole;
class AdminTableView;

//! \brief The Channels tab: the channels with subscribers on this node (filterable), and the
//! presence members of the selected presence channel.
class ChannelsPage : public QWidget
{
    Q_OBJECT

public:
    explicit ChannelsPage(AdminConsole &console, QWidget *parent = nullptr);

    AdminTableView *table() const { return m_channels; }
    //! Selects the first presence channel, or the first channel (for screenshots).
    void selectPresenceChannel();

private:
    void showSelected();

    AdminConsole &m_console;
    QLineEdit *m_filter = nullptr;
    AdminTableView *m_channels = nullptr;
    AdminTableView *m_members = nullptr;
    QGroupBox *m_membersBox = nullptr;
};

} // namespace flippdeal::admin
