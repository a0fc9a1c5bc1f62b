// SPDX-License-Identifier: MIT
#pragma once

#include "adminconsole.h"

#include <QElapsedTimer>
#include <QMainWindow>
#include <QSet>
#include <QTimer>

#include <functional>

class QLabel;
class QStackedWidget;
class QTabWidget;
class QToolButton;

namespace flippdeal::admin {

class AnnouncePage;
class AuctionsPage;
class ChannelsPage;
class DashboardPage;
class EscrowsPage;
class JobsPage;
class SignInPage;
class UsersPage;

//! \brief The console's window: the sign-in page, then one tab per area (Dashboard, Users,
//! Channels, Jobs, Escrows, Auctions, Announce). Confirms destructive actions with a
//! QMessageBox, shows failures in a message box (actions) or the status bar (refreshes), and
//! keeps the recent errors one click away.
class MainWindow : public QMainWindow
{
    Q_OBJECT

public:
    //! The tabs, in order.
    enum Tab
    {
        DashboardTab,
        UsersTab,
        ChannelsTab,
        JobsTab,
        EscrowsTab,
        AuctionsTab,
        AnnounceTab,
    };
    Q_ENUM(Tab)

    explicit MainWindow(AdminConsole &console, QWidget *parent = nullptr);

    SignInPage *signInPage() const { return m_signIn; }
    QTabWidget *tabs() const { return m_tabs; }
    //! The file name part of a tab's screenshot (`dashboard`, `users`, ...).
    static QString tabKey(Tab tab);

    //! Once signed in and every table has loaded (and the dashboard has `polls` figures), saves
    //! `admin-<tab>.png` of every tab into `folder`, then calls `done` with the exit code. Signed
    //! out, it saves `admin-sign-in.png` instead.
    void takeScreenshots(const QString &folder, int polls, std::function<void(int)> done);

private:
    void createPages();
    void createMenus();
    void createViewMenu();
    void createStatusBar();
    void connectConsole();
    void showActionFailure(const QString &title, const QString &error);
    void showLive();
    void showOffline(const QString &error);
    void showPage();
    void updateTitle();
    void refreshCurrent();
    void showErrorsMenu();
    void updateErrorsButton();
    bool confirm(const QString &title, const QString &question);
    void saveScreenshots();
    bool saveShot(const QString &name);

    AdminConsole &m_console;
    QStackedWidget *m_stack = nullptr;
    SignInPage *m_signIn = nullptr;
    QTabWidget *m_tabs = nullptr;
    DashboardPage *m_dashboard = nullptr;
    UsersPage *m_users = nullptr;
    ChannelsPage *m_channels = nullptr;
    JobsPage *m_jobs = nullptr;
    EscrowsPage *m_escrows = nullptr;
    AuctionsPage *m_auctions = nullptr;
    AnnouncePage *m_announce = nullptr;
    QLabel *m_live = nullptr;
    QToolButton *m_errors = nullptr;
    QAction *m_signOutAction = nullptr;
    QAction *m_refreshAction = nullptr;
    QTimer m_tableRefresh;

    // Screenshot mode
    QString m_shotFolder;
    int m_shotPolls = 0;
    std::function<void(int)> m_shotDone;
    QSet<int> m_shotTables;
    QTimer m_shotTimer;
    QElapsedTimer m_shotSettle;
    QElapsedTimer m_shotDeadline;
};

} // namespace flippdeal::admin
