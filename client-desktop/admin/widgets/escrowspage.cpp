// SPDX-License-Identifier: MIT
#include "escrowspage.h"

#include "adminconsole.h"
#include "formatting.h"
#include "reasondialog.h"
#include "tableview.h"

#include <QHBoxLayout>
#include <QIcon>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

namespace flippdeal::admin {

EscrowsPage::EscrowsPage(AdminConsole &console, QWidget *parent)
    : QWidget(parent)
    , m_console(console)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(12, 12, 12, 12);
    auto *intro = new QLabel(
        tr("Escrows that the buyer or the seller disputed. Release the money to the seller, or "
           "refund the buyer; the decision and its reason go into the escrow's audit trail and "
           "both parties are told."),
        this);
    intro->setWordWrap(true);
    layout->addWidget(intro);

    m_table = new AdminTableView(console.escrows(), this);
    m_table->setPlaceholderText(tr("No escrow is in dispute."));
    m_table->setStretchColumn(EscrowTableModel::DisputedColumn);
    layout->addWidget(m_table, 1);

    auto *actions = new QHBoxLayout;
    m_release = new QPushButton(QIcon(QStringLiteral(":/icons/check.svg")),
                                tr("Re&lease to seller…"), this);
    m_refund =
        new QPushButton(QIcon(QStringLiteral(":/icons/retry.svg")), tr("Re&fund to buyer…"), this);
    actions->addWidget(m_release);
    actions->addWidget(m_refund);
    actions->addStretch(1);
    layout->addLayout(actions);
    setTabOrder(m_table, m_release);
    setTabOrder(m_release, m_refund);

    connect(m_release, &QPushButton::clicked, this, [this] { resolve(true); });
    connect(m_refund, &QPushButton::clicked, this, [this] { resolve(false); });
    connect(m_table, &AdminTableView::currentObjectChanged, this, &EscrowsPage::updateButtons);
    updateButtons();
}

void EscrowsPage::updateButtons()
{
    const bool selected = m_table->selectedId() > 0;
    m_release->setEnabled(selected);
    m_refund->setEnabled(selected);
}

void EscrowsPage::resolve(bool release)
{
    const QJsonObject escrow = m_table->selectedObject();
    const qint64 id = escrow.value(QLatin1String("id")).toInteger();
    if (id <= 0)
        return;
    const NameDirectory &names = m_console.names();
    const QString domain = names.domainLabel(escrow.value(QLatin1String("domain_id")).toInteger());
    const QString summary =
        release
            ? tr("Release escrow #%1 for %2: %3 goes to the seller %4 (the amount less the fee).")
                  .arg(id)
                  .arg(domain,
                       format::money(escrow.value(QLatin1String("payout_cents")).toInteger()),
                       names.userLabel(escrow.value(QLatin1String("seller_id")).toInteger()))
            : tr("Refund escrow #%1 for %2: %3 goes back to the buyer %4.")
                  .arg(id)
                  .arg(domain,
                       format::money(escrow.value(QLatin1String("amount_cents")).toInteger()),
                       names.userLabel(escrow.value(QLatin1String("buyer_id")).toInteger()));
    const QString reason =
        ReasonDialog::ask(this, release ? tr("Release to seller") : tr("Refund to buyer"), summary,
                          release ? tr("Release") : tr("Refund"));
    if (reason.isEmpty())
        return;
    m_console.escrows()->resolve(
        id, release ? EscrowsToolModel::Outcome::Release : EscrowsToolModel::Outcome::Refund,
        reason);
}

} // namespace flippdeal::admin
