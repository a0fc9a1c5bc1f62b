// SPDX-License-Identifier: MIT
#pragma once

#include <QWidget>

class QGroupBox;
class QPushButton;

namespace flippdeal::admin {

class AdminConsole;
class AdminTableView;

//! \brief The Jobs tab: jobs waiting or running (Delete), and failed jobs (Retry, Delete,
//! Retry all).
class JobsPage : public QWidget
{
    Q_OBJECT

public:
    explicit JobsPage(AdminConsole &console, QWidget *parent = nullptr);

    AdminTableView *pendingTable() const { return m_pending; }
    AdminTableView *failedTable() const { return m_failed; }

private:
    //! The pending jobs and their Delete button.
    void createPendingBox(QWidget *parent);
    //! The failed jobs and their Retry, Delete and Retry all buttons.
    void createFailedBox(QWidget *parent);
    void updateButtons();

    AdminConsole &m_console;
    QGroupBox *m_pendingBox = nullptr;
    QGroupBox *m_failedBox = nullptr;
    AdminTableView *m_pending = nullptr;
    AdminTableView *m_failed = nullptr;
    QPushButton *m_deletePending = nullptr;
    QPushButton *m_retry = nullptr;
    QPushButton *m_deleteFailed = nullptr;
    QPushButton *m_retryAll = nullptr;
};

} // namespace flippdeal::admin
