// SPDX-License-Identifier: MIT
#include "userspage.h"

#include "adminconsole.h"
#include "formatting.h"
#include "tableview.h"

#include <QHBoxLayout>
#include <QIcon>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace flippdeal::admin {

UsersPage::UsersPage(AdminConsole &console, QWidget *parent)
    : QWidget(parent)
    , m_console(console)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(12, 12, 12, 12);

    auto *searchRow = new QHBoxLayout;
    m_search = new QLineEdit(this);
    m_search->setPlaceholderText(tr("Search by name or email, then press Enter"));
    m_search->setClearButtonEnabled(true);
    m_search->setMaxLength(255);
    auto *searchButton = new QPushButton(tr("&Search"), this);
    m_total = new QLabel(this);
    m_total->setForegroundRole(QPalette::PlaceholderText);
    searchRow->addWidget(m_search, 1);
    searchRow->addWidget(searchButton);
    searchRow->addSpacing(12);
    searchRow->addWidget(m_total);
    layout->addLayout(searchRow);

    m_table = new AdminTableView(console.users(), this);
    m_table->setPlaceholderText(tr("No users match the search."));
    layout->addWidget(m_table, 1);

    layout->addLayout(createActions());

    setTabOrder(m_search, searchButton);
    setTabOrder(searchButton, m_table);
    setTabOrder(m_table, m_ban);
    setTabOrder(m_ban, m_unban);
    setTabOrder(m_unban, m_revoke);
    setTabOrder(m_revoke, m_terminate);

    const auto search = [this] { m_console.users()->setSearch(m_search->text()); };
    connect(m_search, &QLineEdit::returnPressed, this, search);
    connect(searchButton, &QPushButton::clicked, this, search);
    connect(m_table, &AdminTableView::currentObjectChanged, this, &UsersPage::updateButtons);
    connect(console.users(), &UsersToolModel::totalChanged, this, &UsersPage::updateTotal);
    connect(console.users(), &JsonTableModel::countChanged, this, &UsersPage::updateTotal);
    connect(m_ban, &QPushButton::clicked, this,
            [this] { m_console.users()->ban(m_table->selectedId()); });
    connect(m_unban, &QPushButton::clicked, this,
            [this] { m_console.users()->unban(m_table->selectedId()); });
    connect(m_revoke, &QPushButton::clicked, this,
            [this] { m_console.users()->revokeTokens(m_table->selectedId()); });
    connect(m_terminate, &QPushButton::clicked, this,
            [this] { m_console.users()->terminateConnections(m_table->selectedId()); });
    updateButtons();
    updateTotal();
}

QHBoxLayout *UsersPage::createActions()
{
    auto *actions = new QHBoxLayout;
    m_ban = new QPushButton(QIcon(QStringLiteral(":/icons/alert.svg")), tr("&Ban…"), this);
    m_ban->setToolTip(tr("Revoke every token, close the live connections, refuse sign-in"));
    m_unban = new QPushButton(QIcon(QStringLiteral(":/icons/check.svg")), tr("&Unban"), this);
    m_revoke =
        new QPushButton(QIcon(QStringLiteral(":/icons/logout.svg")), tr("&Revoke tokens…"), this);
    m_revoke->setToolTip(tr("Sign the user out on every device"));
    m_terminate = new QPushButton(QIcon(QStringLiteral(":/icons/wifi-off.svg")),
                                  tr("&Terminate connections…"), this);
    m_terminate->setToolTip(tr("Close the user's live connections; their apps may reconnect"));
    actions->addWidget(m_ban);
    actions->addWidget(m_unban);
    actions->addWidget(m_revoke);
    actions->addWidget(m_terminate);
    actions->addStretch(1);
    return actions;
}

void UsersPage::updateButtons()
{
    const QJsonObject user = m_table->selectedObject();
    const bool selected = !user.isEmpty();
    const bool banned = UserTableModel::isBanned(user);
    const bool admin = UserTableModel::isAdmin(user);
    m_ban->setEnabled(selected && !banned && !admin);
    m_ban->setToolTip(admin ? tr("Administrators cannot be banned")
                            : tr("Revoke every token, close the live connections, refuse "
                                 "sign-in"));
    m_unban->setEnabled(selected && banned);
    m_revoke->setEnabled(selected && user.value(QLatin1String("tokens")).toInteger() > 0);
    m_terminate->setEnabled(selected && user.value(QLatin1String("connections")).toInteger() > 0);
}

void UsersPage::updateTotal()
{
    const qint64 total = m_console.users()->total();
    const int shown = m_console.users()->count();
    if (total > shown)
        m_total->setText(
            tr("%1 of %2 users shown").arg(format::count(shown), format::count(total)));
    else if (m_console.users()->search().isEmpty())
        m_total->setText(total == 1 ? tr("1 user") : tr("%1 users").arg(format::count(total)));
    else
        m_total->setText(total == 1 ? tr("1 user matches")
                                    : tr("%1 users match").arg(format::count(total)));
}

} // namespace flippdeal::admin
