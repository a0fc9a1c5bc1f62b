// SPDX-License-Identifier: MIT
#pragma once

#include <QWidget>

class QPushButton;

namespace flippdeal::admin {

class AdminConsole;
class AdminTableView;

//! \brief The Escrows tab: escrows in dispute, settled by releasing the money to the seller or
//! refunding the buyer, with a reason for the audit trail.
class EscrowsPage : public QWidget
{
    Q_OBJECT

public:
    explicit EscrowsPage(AdminConsole &console, QWidget *parent = nullptr);

    AdminTableView *table() const { return m_table; }

private:
    void resolve(bool release);
    void updateButtons();

    AdminConsole &m_console;
    AdminTableView *m_table = nullptr;
    QPushButton *m_release = nullptr;
    QPushButton *m_refund = nullptr;
};

} // namespace flippdeal::admin
