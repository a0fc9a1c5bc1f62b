// SPDX-License-Identifier: MIT
#include "mainwindow.h"

#include "announcepage.h"
#include "auctionspage.h"
#include "channelspage.h"
#include "dashboardpage.h"
#include "escrowspage.h"
#include "jobspage.h"
#include "signinpage.h"
#include "tableview.h"
#include "userspage.h"

#include "session.h"

#include <QAction>
#include <QApplication>
#include <QDir>
#include <QIcon>
#include <QKeySequence>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTabWidget>
#include <QTime>
#include <QToolButton>
#include <QUrl>

namespace flippdeal::admin {

namespace {

//! How often the visible table is reloaded while the window is active.
constexpr int TableRefreshMs = 10000;
constexpr int StatusMessageMs = 8000;

const QColor LiveColor(0x1a, 0x7f, 0x37);
const QColor OfflineColor(0xcf, 0x22, 0x2e);

AdminConsole::Table tableOf(int tab)
{
    switch (tab) {
    case MainWindow::UsersTab:
        return AdminConsole::Table::Users;
    case MainWindow::ChannelsTab:
        return AdminConsole::Table::Channels;
    case MainWindow::JobsTab:
        return AdminConsole::Table::Jobs;
    case MainWindow::EscrowsTab:
        return AdminConsole::Table::Escrows;
    case MainWindow::AuctionsTab:
        return AdminConsole::Table::Auctions;
    default:
        return AdminConsole::Table::Stats;
    }
}

} // namespace

MainWindow::MainWindow(AdminConsole &console, QWidget *parent)
    : QMainWindow(parent)
    , m_console(console)
{
    createPages();
    createMenus();
    createStatusBar();
    connectConsole();
    m_tableRefresh.setInterval(TableRefreshMs);
    connect(&m_tableRefresh, &QTimer::timeout, this, [this] {
        const AdminConsole::Table table = tableOf(m_tabs->currentIndex());
        if (isActiveWindow() && table != AdminConsole::Table::Stats)
            m_console.refresh(table);
    });
    resize(1280, 720);
    setMinimumSize(800, 520);
    showPage();
    updateTitle();
}

void MainWindow::createPages()
{
    m_stack = new QStackedWidget(this);
    m_signIn = new SignInPage(m_console, m_stack);
    m_tabs = new QTabWidget(m_stack);
    m_tabs->setDocumentMode(true);
    m_dashboard = new DashboardPage(m_console, m_tabs);
    m_users = new UsersPage(m_console, m_tabs);
    m_channels = new ChannelsPage(m_console, m_tabs);
    m_jobs = new JobsPage(m_console, m_tabs);
    m_escrows = new EscrowsPage(m_console, m_tabs);
    m_auctions = new AuctionsPage(m_console, m_tabs);
    m_announce = new AnnouncePage(m_console, m_tabs);
    m_tabs->addTab(m_dashboard, QIcon(QStringLiteral(":/icons/activity.svg")), tr("Dashboard"));
    m_tabs->addTab(m_users, QIcon(QStringLiteral(":/icons/users.svg")), tr("Users"));
    m_tabs->addTab(m_channels, QIcon(QStringLiteral(":/icons/chat.svg")), tr("Channels"));
    m_tabs->addTab(m_jobs, QIcon(QStringLiteral(":/icons/clock.svg")), tr("Jobs"));
    m_tabs->addTab(m_escrows, QIcon(QStringLiteral(":/icons/escrow.svg")), tr("Escrows"));
    m_tabs->addTab(m_auctions, QIcon(QStringLiteral(":/icons/gavel.svg")), tr("Auctions"));
    m_tabs->addTab(m_announce, QIcon(QStringLiteral(":/icons/megaphone.svg")), tr("Announce"));
    m_stack->addWidget(m_signIn);
    m_stack->addWidget(m_tabs);
    setCentralWidget(m_stack);
    connect(m_tabs, &QTabWidget::currentChanged, this, [this](int tab) {
        if (tableOf(tab) != AdminConsole::Table::Stats)
            m_console.refresh(tableOf(tab));
    });
}

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    m_refreshAction = file->addAction(QIcon(QStringLiteral(":/icons/retry.svg")), tr("&Refresh"));
    m_refreshAction->setShortcut(QKeySequence::Refresh); // F5
    connect(m_refreshAction, &QAction::triggered, this, &MainWindow::refreshCurrent);
    m_signOutAction = file->addAction(QIcon(QStringLiteral(":/icons/logout.svg")), tr("Sign &out"));
    connect(m_signOutAction, &QAction::triggered, &m_console, &AdminConsole::signOut);
    file->addSeparator();
    QAction *quit = file->addAction(tr("&Quit"));
    quit->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Q));
    quit->setShortcutContext(Qt::ApplicationShortcut);
    connect(quit, &QAction::triggered, qApp, &QApplication::closeAllWindows);
    createViewMenu();
    QMenu *help = menuBar()->addMenu(tr("&Help"));
    connect(help->addAction(tr("&About")), &QAction::triggered, this, [this] {
        QMessageBox::about(
            this, tr("About FlippDeal Live Admin"),
            tr("<b>FlippDeal Live Admin</b> %1<br>The operations console of FlippDeal Live: live "
               "figures, users, channels, jobs, disputed escrows, auctions and announcements.")
                .arg(QApplication::applicationVersion()));
    });
}

void MainWindow::createViewMenu()
{
    QMenu *view = menuBar()->addMenu(tr("&View"));
    for (int tab = 0; tab < m_tabs->count(); ++tab) {
        QAction *action = view->addAction(m_tabs->tabIcon(tab), m_tabs->tabText(tab));
        action->setShortcut(QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + tab)));
        connect(action, &QAction::triggered, this, [this, tab] {
            if (m_console.isSignedIn())
                m_tabs->setCurrentIndex(tab);
        });
    }
    view->addSeparator();
    QAction *find = view->addAction(tr("&Find user"));
    find->setShortcut(QKeySequence::Find);
    connect(find, &QAction::triggered, this, [this] {
        if (!m_console.isSignedIn())
            return;
        m_tabs->setCurrentIndex(UsersTab);
        m_users->searchField()->setFocus();
        m_users->searchField()->selectAll();
    });
}

void MainWindow::createStatusBar()
{
    // The live indicator and the recent errors.
    m_live = new QLabel(this);
    m_errors = new QToolButton(this);
    m_errors->setIcon(QIcon(QStringLiteral(":/icons/alert.svg")));
    m_errors->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_errors->setAutoRaise(true);
    m_errors->setToolTip(tr("Recent errors"));
    statusBar()->addPermanentWidget(m_errors);
    statusBar()->addPermanentWidget(m_live);
    connect(m_errors, &QToolButton::clicked, this, &MainWindow::showErrorsMenu);
    connect(&m_console, &AdminConsole::recentErrorsChanged, this, &MainWindow::updateErrorsButton);
    connect(m_console.stats(), &StatsModel::updated, this, &MainWindow::showLive);
    updateErrorsButton();
}

void MainWindow::connectConsole()
{
    m_console.setConfirmer(
        [this](const QString &title, const QString &question) { return confirm(title, question); });
    connect(&m_console, &AdminConsole::statusChanged, this, &MainWindow::showPage);
    connect(&m_console, &AdminConsole::accountChanged, this, &MainWindow::updateTitle);
    connect(&m_console, &AdminConsole::actionSucceeded, this,
            [this](const QString &message) { statusBar()->showMessage(message, StatusMessageMs); });
    connect(&m_console, &AdminConsole::actionFailed, this, &MainWindow::showActionFailure);
    connect(&m_console, &AdminConsole::refreshFailed, this,
            [this](AdminConsole::Table table, const QString &error) {
                if (table == AdminConsole::Table::Stats)
                    showOffline(error);
                statusBar()->showMessage(tr("Could not load: %1").arg(error), StatusMessageMs);
            });
    connect(&m_console, &AdminConsole::keychainWarningChanged, this, [this] {
        if (!m_console.keychainWarning().isEmpty())
            statusBar()->showMessage(m_console.keychainWarning(), StatusMessageMs * 2);
    });
}

void MainWindow::showActionFailure(const QString &title, const QString &error)
{
    statusBar()->showMessage(tr("%1 failed: %2").arg(title, error), StatusMessageMs);
    if (m_shotDone)
        return; // never block a screenshot run on a dialog
    QMessageBox box(QMessageBox::Warning, tr("%1 failed").arg(title), tr("%1 failed.").arg(title),
                    QMessageBox::Ok, this);
    box.setInformativeText(error);
    box.exec();
}

void MainWindow::showLive()
{
    if (!m_console.stats()->isLoaded()) {
        m_live->clear();
        return;
    }
    m_live->setText(
        tr("● Live · %1").arg(m_console.stats()->updatedAt().toString(QStringLiteral("HH:mm:ss"))));
    m_live->setToolTip(tr("The dashboard is refreshed every %1 ms.").arg(m_console.pollInterval()));
    QPalette pal = m_live->palette();
    pal.setColor(QPalette::WindowText, LiveColor);
    m_live->setPalette(pal);
}

void MainWindow::showOffline(const QString &error)
{
    m_live->setText(tr("● Offline"));
    m_live->setToolTip(error);
    QPalette pal = m_live->palette();
    pal.setColor(QPalette::WindowText, OfflineColor);
    m_live->setPalette(pal);
}

QString MainWindow::tabKey(Tab tab)
{
    switch (tab) {
    case DashboardTab:
        return QStringLiteral("dashboard");
    case UsersTab:
        return QStringLiteral("users");
    case ChannelsTab:
        return QStringLiteral("channels");
    case JobsTab:
        return QStringLiteral("jobs");
    case EscrowsTab:
        return QStringLiteral("escrows");
    case AuctionsTab:
        return QStringLiteral("auctions");
    case AnnounceTab:
        return QStringLiteral("announce");
    }
    return {};
}

void MainWindow::showPage()
{
    const bool signedIn = m_console.isSignedIn();
    m_stack->setCurrentWidget(signedIn ? static_cast<QWidget *>(m_tabs) : m_signIn);
    m_signOutAction->setEnabled(signedIn);
    m_refreshAction->setEnabled(signedIn);
    if (signedIn) {
        m_tableRefresh.start();
        m_tabs->setCurrentIndex(DashboardTab);
        m_tabs->currentWidget()->setFocus();
    } else {
        m_tableRefresh.stop();
        m_live->clear();
        if (m_console.status() == AdminConsole::Status::SignedOut) {
            if (!m_console.serverUrl().isEmpty())
                m_signIn->setServer(m_console.serverUrl());
            if (!m_console.email().isEmpty())
                m_signIn->setEmail(m_console.email());
            m_signIn->focusFirstEmpty();
        }
    }
    updateTitle();
}

void MainWindow::updateTitle()
{
    if (!m_console.isSignedIn()) {
        setWindowTitle(tr("Sign in"));
        return;
    }
    const QUrl server(m_console.serverUrl());
    const QString where = server.port() > 0
                              ? QStringLiteral("%1:%2").arg(server.host()).arg(server.port())
                              : server.host();
    setWindowTitle(tr("%1 on %2").arg(m_console.adminName(), where));
}

void MainWindow::refreshCurrent()
{
    if (!m_console.isSignedIn())
        return;
    m_console.refresh(AdminConsole::Table::Stats);
    const AdminConsole::Table table = tableOf(m_tabs->currentIndex());
    if (table != AdminConsole::Table::Stats)
        m_console.refresh(table);
    statusBar()->showMessage(tr("Refreshing…"), 2000);
}

bool MainWindow::confirm(const QString &title, const QString &question)
{
    QMessageBox box(QMessageBox::Question, title, question, QMessageBox::NoButton, this);
    const QStringList lines = question.split(QStringLiteral("\n\n"));
    box.setText(lines.first());
    if (lines.size() > 1)
        box.setInformativeText(lines.mid(1).join(QStringLiteral("\n\n")));
    QPushButton *yes = box.addButton(title, QMessageBox::AcceptRole);
    QPushButton *no = box.addButton(QMessageBox::Cancel);
    box.setDefaultButton(no);
    box.setEscapeButton(no);
    box.exec();
    return box.clickedButton() == yes;
}

void MainWindow::updateErrorsButton()
{
    const int count = int(m_console.recentErrors().size());
    m_errors->setVisible(count > 0);
    m_errors->setText(count == 1 ? tr("1 error") : tr("%1 errors").arg(count));
}

void MainWindow::showErrorsMenu()
{
    QMenu menu(this);
    for (const QString &error : m_console.recentErrors())
        menu.addAction(error)->setEnabled(false);
    menu.exec(m_errors->mapToGlobal(QPoint(0, 0)) - QPoint(0, menu.sizeHint().height()));
}

// ---- Screenshots -----------------------------------------------------------------------------

void MainWindow::takeScreenshots(const QString &folder, int polls, std::function<void(int)> done)
{
    m_shotFolder = folder;
    m_shotPolls = polls;
    m_shotDone = std::move(done);
    QDir().mkpath(folder);
    connect(&m_console, &AdminConsole::refreshed, this,
            [this](AdminConsole::Table table) { m_shotTables.insert(int(table)); });
    connect(&m_console, &AdminConsole::statusChanged, this, [this] { m_shotSettle.restart(); });
    m_shotSettle.start();
    m_shotDeadline.start();
    connect(&m_shotTimer, &QTimer::timeout, this, [this] {
        const AdminConsole::Status status = m_console.status();
        const bool timedOut = m_shotDeadline.elapsed() > 60000;
        int exitCode = 0;
        if (status == AdminConsole::Status::SignedIn) {
            const bool loaded =
                m_shotTables.size() >= 6 &&
                m_console.stats()->history(StatsModel::Connections).size() >= m_shotPolls;
            if (!loaded && !timedOut)
                return;
            saveScreenshots();
            exitCode = loaded ? 0 : 1;
        } else if (timedOut ||
                   (status == AdminConsole::Status::SignedOut && m_shotSettle.elapsed() > 2000)) {
            // Signed out for good (nothing kept, or the sign-in failed): the sign-in page.
            const bool saved = saveShot(QStringLiteral("sign-in"));
            exitCode = !saved || timedOut || !m_console.errorString().isEmpty() ? 1 : 0;
        } else {
            return;
        }
        m_shotTimer.stop();
        m_shotDone(exitCode);
    });
    m_shotTimer.start(250);
}

bool MainWindow::saveShot(const QString &name)
{
    for (int i = 0; i < 3; ++i)
        QApplication::processEvents();
    const QString path = QDir(m_shotFolder).filePath(QStringLiteral("admin-%1.png").arg(name));
    const bool ok = grab().save(path);
    if (!ok)
        qWarning("flippdeal-admin: cannot write %s", qPrintable(path));
    return ok;
}

void MainWindow::saveScreenshots()
{
    m_users->table()->selectFirstRow();
    m_channels->selectPresenceChannel();
    m_jobs->failedTable()->selectFirstRow();
    m_escrows->table()->selectFirstRow();
    m_auctions->table()->selectFirstRow();
    m_announce->titleField()->setText(tr("Scheduled maintenance on Sunday"));
    m_announce->bodyField()->setPlainText(
        tr("FlippDeal Live will be read-only on Sunday from 02:00 to 02:30 UTC while we upgrade "
           "the database. Auctions ending in that window are extended by one hour."));
    for (int tab = 0; tab < m_tabs->count(); ++tab) {
        m_tabs->setCurrentIndex(tab);
        saveShot(tabKey(Tab(tab)));
    }
    m_announce->titleField()->clear();
    m_announce->bodyField()->clear();
    m_tabs->setCurrentIndex(DashboardTab);
}

} // namespace flippdeal::admin
