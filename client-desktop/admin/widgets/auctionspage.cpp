// SPDX-License-Identifier: MIT
#include "auctionspage.h"

#include "adminconsole.h"
#include "reasondialog.h"
#include "tableview.h"

#include <QHBoxLayout>
#include <QIcon>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace flippdeal::admin {

AuctionsPage::AuctionsPage(AdminConsole &console, QWidget *parent)
    : QWidget(parent)
    , m_console(console)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(12, 12, 12, 12);
    m_table = new AdminTableView(console.auctions(), this);
    m_table->setPlaceholderText(tr("No auction is live."));
    m_table->sortByColumn(AuctionTableModel::EndsColumn, Qt::AscendingOrder);
    layout->addWidget(m_table, 1);

    auto *actions = new QHBoxLayout;
    auto *extendLabel = new QLabel(tr("E&xtend by"), this);
    m_minutes = new QSpinBox(this);
    m_minutes->setRange(1, 7 * 24 * 60);
    m_minutes->setValue(10);
    m_minutes->setSuffix(tr(" min"));
    m_minutes->setAccelerated(true);
    extendLabel->setBuddy(m_minutes);
    m_extend = new QPushButton(QIcon(QStringLiteral(":/icons/clock.svg")), tr("&Extend"), this);
    m_extend->setToolTip(tr("Move the end of the auction; countdowns follow"));
    m_cancel =
        new QPushButton(QIcon(QStringLiteral(":/icons/alert.svg")), tr("&Cancel auction…"), this);
    m_cancel->setToolTip(tr("End the auction without a winner"));
    actions->addWidget(extendLabel);
    actions->addWidget(m_minutes);
    actions->addWidget(m_extend);
    actions->addSpacing(24);
    actions->addWidget(m_cancel);
    actions->addStretch(1);
    layout->addLayout(actions);
    setTabOrder(m_table, m_minutes);
    setTabOrder(m_minutes, m_extend);
    setTabOrder(m_extend, m_cancel);

    connect(m_extend, &QPushButton::clicked, this, [this] {
        m_console.auctions()->extend(m_table->selectedId(), qint64(m_minutes->value()) * 60);
    });
    connect(m_cancel, &QPushButton::clicked, this, &AuctionsPage::cancel);
    connect(m_table, &AdminTableView::currentObjectChanged, this, &AuctionsPage::updateButtons);
    updateButtons();
}

void AuctionsPage::updateButtons()
{
    const bool selected = m_table->selectedId() > 0;
    m_extend->setEnabled(selected);
    m_cancel->setEnabled(selected);
}

void AuctionsPage::cancel()
{
    const QJsonObject auction = m_table->selectedObject();
    const qint64 id = auction.value(QLatin1String("id")).toInteger();
    if (id <= 0)
        return;
    const QString name = auction.value(QLatin1String("name")).toString();
    const QString reason = ReasonDialog::ask(
        this, tr("Cancel auction"),
        tr("Cancel the auction of %1 (%2 bids). Nobody wins and no escrow opens; the owner and "
           "the high bidder get the reason.")
            .arg(name)
            .arg(auction.value(QLatin1String("bid_count")).toInteger()),
        tr("Cancel auction"));
    if (reason.isEmpty())
        return;
    m_console.auctions()->cancel(id, reason);
}

} // namespace flippdeal::admin
