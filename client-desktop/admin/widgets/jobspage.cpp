// SPDX-License-Identifier: MIT
#include "jobspage.h"

#include "adminconsole.h"
#include "tableview.h"

#include <QGroupBox>
#include <QHBoxLayout>
#include <QIcon>
#include <QPushButton>
#include <QSplitter>
#include <QVBoxLayout>

namespace flippdeal::admin {

JobsPage::JobsPage(AdminConsole &console, QWidget *parent)
    : QWidget(parent)
    , m_console(console)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(12, 12, 12, 12);
    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->setChildrenCollapsible(false);

    createPendingBox(splitter);
    createFailedBox(splitter);
    splitter->addWidget(m_pendingBox);
    splitter->addWidget(m_failedBox);
    layout->addWidget(splitter);

    setTabOrder(m_pending, m_deletePending);
    setTabOrder(m_deletePending, m_failed);
    setTabOrder(m_failed, m_retry);
    setTabOrder(m_retry, m_deleteFailed);
    setTabOrder(m_deleteFailed, m_retryAll);

    connect(m_deletePending, &QPushButton::clicked, this,
            [this] { m_console.pendingJobs()->remove(m_pending->selectedId()); });
    connect(m_retry, &QPushButton::clicked, this,
            [this] { m_console.failedJobs()->retry(m_failed->selectedId()); });
    connect(m_deleteFailed, &QPushButton::clicked, this,
            [this] { m_console.failedJobs()->remove(m_failed->selectedId()); });
    connect(m_retryAll, &QPushButton::clicked, this,
            [this] { m_console.failedJobs()->retryAll(); });
    connect(m_pending, &AdminTableView::currentObjectChanged, this, &JobsPage::updateButtons);
    connect(m_failed, &AdminTableView::currentObjectChanged, this, &JobsPage::updateButtons);
    updateButtons();
}

void JobsPage::createPendingBox(QWidget *parent)
{
    m_pendingBox = new QGroupBox(parent);
    auto *pendingLayout = new QVBoxLayout(m_pendingBox);
    m_pending = new AdminTableView(m_console.pendingJobs(), m_pendingBox);
    m_pending->setPlaceholderText(tr("The queue is empty: every job has run."));
    m_pending->setStretchColumn(PendingJobTableModel::PayloadColumn);
    pendingLayout->addWidget(m_pending);
    auto *pendingActions = new QHBoxLayout;
    m_deletePending = new QPushButton(QIcon(QStringLiteral(":/icons/alert.svg")),
                                      tr("&Delete job…"), m_pendingBox);
    m_deletePending->setToolTip(tr("Remove the job before a worker runs it"));
    pendingActions->addWidget(m_deletePending);
    pendingActions->addStretch(1);
    pendingLayout->addLayout(pendingActions);
}

void JobsPage::createFailedBox(QWidget *parent)
{
    m_failedBox = new QGroupBox(parent);
    auto *failedLayout = new QVBoxLayout(m_failedBox);
    m_failed = new AdminTableView(m_console.failedJobs(), m_failedBox);
    m_failed->setPlaceholderText(tr("No failed jobs."));
    m_failed->setStretchColumn(FailedJobTableModel::ErrorColumn);
    m_failed->sortByColumn(FailedJobTableModel::IdColumn, Qt::DescendingOrder);
    failedLayout->addWidget(m_failed);
    auto *failedActions = new QHBoxLayout;
    m_retry =
        new QPushButton(QIcon(QStringLiteral(":/icons/retry.svg")), tr("&Retry"), m_failedBox);
    m_retry->setToolTip(tr("Queue the job again with fresh attempts"));
    m_deleteFailed = new QPushButton(QIcon(QStringLiteral(":/icons/alert.svg")),
                                     tr("D&elete failed job…"), m_failedBox);
    m_retryAll = new QPushButton(QIcon(QStringLiteral(":/icons/retry.svg")),
                                 tr("Retry &all failed"), m_failedBox);
    failedActions->addWidget(m_retry);
    failedActions->addWidget(m_deleteFailed);
    failedActions->addStretch(1);
    failedActions->addWidget(m_retryAll);
    failedLayout->addLayout(failedActions);
}

void JobsPage::updateButtons()
{
    const QJsonObject pending = m_pending->selectedObject();
    m_deletePending->setEnabled(!pending.isEmpty() &&
                                pending.value(QLatin1String("state")).toString() !=
                                    QLatin1String("running"));
    const bool failedSelected = m_failed->selectedId() > 0;
    m_retry->setEnabled(failedSelected);
    m_deleteFailed->setEnabled(failedSelected);
    const int failed = m_console.failedJobs()->count();
    m_retryAll->setEnabled(failed > 0);
    const int pendingCount = m_console.pendingJobs()->count();
    m_pendingBox->setTitle(tr("Pending jobs (%1)").arg(pendingCount));
    m_failedBox->setTitle(tr("Failed jobs (%1)").arg(failed));
}

} // namespace flippdeal::admin
