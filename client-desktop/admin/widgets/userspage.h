// SPDX-License-Identifier: MIT
#pragma once

#include <QWidget>

class QHBoxLayout;
class QLabel;
class QLineEdit;
class QPushButton;

namespace flippdeal::admin {

class AdminConsole;
class AdminTableView;

//! \brief The Users tab: search by name or email (Enter searches), the matching users, and
//! Ban / Unban / Revoke tokens / Terminate connections for the selected one.
class UsersPage : public QWidget
{
    Q_OBJECT

public:
    explicit UsersPage(AdminConsole &console, QWidget *parent = nullptr);

    AdminTableView *table() const { return m_table; }
    QLineEdit *searchField() const { return m_search; }

private:
    //! Ban, Unban, Revoke tokens and Terminate connections.
    QHBoxLayout *createActions();
    void updateButtons();
    void updateTotal();

    AdminConsole &m_console;
    QLineEdit *m_search = nullptr;
    QLabel *m_total = nullptr;
    AdminTableView *m_table = nullptr;
    QPushButton *m_ban = nullptr;
    QPushButton *m_unban = nullptr;
    QPushButton *m_revoke = nullptr;
    QPushButton *m_terminate = nullptr;
};

} // namespace flippdeal::admin
