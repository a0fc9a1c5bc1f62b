// SPDX-License-Identifier: MIT
#pragma once

#include <QWidget>

class QPushButton;
class QSpinBox;

namespace flippdeal::admin {

class AdminConsole;
class AdminTableView;

//! \brief The Auctions tab: live auctions, soonest to end first; cancel one (with a reason)
//! or extend it by some minutes.
class AuctionsPage : public QWidget
{
    Q_OBJECT

public:
    explicit AuctionsPage(AdminConsole &console, QWidget *parent = nullptr);

    AdminTableView *table() const { return m_table; }

private:
    void cancel();
    void updateButtons();

    AdminConsole &m_console;
    AdminTableView *m_table = nullptr;
    QSpinBox *m_minutes = nullptr;
    QPushButton *m_extend = nullptr;
    QPushButton *m_cancel = nullptr;
};

} // namespace flippdeal::admin
