// SPDX-License-Identifier: MIT
#include "channelspage.h"

#include "adminconsole.h"
#include "tableview.h"

#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QSplitter>
#include <QVBoxLayout>

namespace flippdeal::admin {

ChannelsPage::ChannelsPage(AdminConsole &console, QWidget *parent)
    : QWidget(parent)
    , m_console(console)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(12, 12, 12, 12);

    auto *filterRow = new QHBoxLayout;
    m_filter = new QLineEdit(this);
    m_filter->setPlaceholderText(tr("Filter channels, e.g. presence-auction"));
    m_filter->setClearButtonEnabled(true);
    auto *hint = new QLabel(tr("Channels with subscribers on this node"), this);
    hint->setForegroundRole(QPalette::PlaceholderText);
    filterRow->addWidget(m_filter, 1);
    filterRow->addSpacing(12);
    filterRow->addWidget(hint);
    layout->addLayout(filterRow);

    auto *splitter = new QSplitter(Qt::Horizontal, this);
    splitter->setChildrenCollapsible(false);
    m_channels = new AdminTableView(console.channels(), splitter);
    m_channels->setPlaceholderText(tr("No channel has subscribers on this node right now."));
    m_channels->setStretchColumn(ChannelTableModel::NameColumn);

    m_membersBox = new QGroupBox(tr("Presence members"), splitter);
    auto *membersLayout = new QVBoxLayout(m_membersBox);
    m_members = new AdminTableView(console.members(), m_membersBox);
    m_members->setPlaceholderText(tr("Select a presence channel to see who is in it."));
    m_members->setStretchColumn(MemberTableModel::InfoColumn);
    membersLayout->addWidget(m_members);
    splitter->addWidget(m_channels);
    splitter->addWidget(m_membersBox);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    layout->addWidget(splitter, 1);

    setTabOrder(m_filter, m_channels);
    setTabOrder(m_channels, m_members);

    connect(m_filter, &QLineEdit::textChanged, m_channels->proxy(),
            &QSortFilterProxyModel::setFilterFixedString);
    m_channels->proxy()->setFilterKeyColumn(ChannelTableModel::NameColumn);
    connect(m_channels, &AdminTableView::currentObjectChanged, this, &ChannelsPage::showSelected);
}

void ChannelsPage::showSelected()
{
    const QString name = m_channels->selectedObject().value(QLatin1String("name")).toString();
    if (name != m_console.channels()->memberChannel())
        m_console.channels()->setMemberChannel(name);
    if (ChannelTableModel::channelType(name) == QLatin1String("presence"))
        m_membersBox->setTitle(tr("Members of %1").arg(name));
    else
        m_membersBox->setTitle(tr("Presence members"));
    m_members->setPlaceholderText(name.isEmpty() || ChannelTableModel::channelType(name) !=
                                                        QLatin1String("presence")
                                      ? tr("Select a presence channel to see who is in it.")
                                      : tr("Nobody is in this channel."));
}

void ChannelsPage::selectPresenceChannel()
{
    QSortFilterProxyModel *proxy = m_channels->proxy();
    for (int row = 0; row < proxy->rowCount(); ++row) {
        const QString name = proxy->index(row, ChannelTableModel::NameColumn).data().toString();
        if (ChannelTableModel::channelType(name) == QLatin1String("presence")) {
            m_channels->selectRow(row);
            return;
        }
    }
    m_channels->selectFirstRow();
}

} // namespace flippdeal::admin
