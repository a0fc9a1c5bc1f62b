// SPDX-License-Identifier: MIT
#include "traycontroller.h"

#include "appcontext.h"
#include "notificationmodel.h"

#include <QApplication>
#include <QTimer>

namespace flippdeal::desktop {

TrayController::TrayController(client::AppContext &app, QObject *parent)
    : QObject(parent)
    , m_app(app)
{
    QAction *open = m_menu.addAction(tr("Open FlippDeal Live"));
    connect(open, &QAction::triggered, this, &TrayController::showWindowRequested);
    m_muteAction = m_menu.addAction(tr("Mute notifications"));
    m_muteAction->setCheckable(true);
    m_muteAction->setChecked(m_app.isMuted());
    connect(m_muteAction, &QAction::toggled, &m_app, &client::AppContext::setMuted);
    connect(&m_app, &client::AppContext::mutedChanged, this,
            [this] { m_muteAction->setChecked(m_app.isMuted()); });
    m_menu.addSeparator();
    QAction *quit = m_menu.addAction(tr("Quit"));
    connect(quit, &QAction::triggered, qApp, &QCoreApplication::quit);
    m_tray.setContextMenu(&m_menu);
    connect(&m_tray, &QSystemTrayIcon::activated, this,
            [this](QSystemTrayIcon::ActivationReason reason) {
                if (reason == QSystemTrayIcon::Trigger || reason == QSystemTrayIcon::DoubleClick)
                    Q_EMIT showWindowRequested();
            });
    connect(&m_tray, &QSystemTrayIcon::messageClicked, this, &TrayController::showWindowRequested);
    connect(&m_app, &client::AppContext::userChanged, this, &TrayController::bindModel);
    bindModel();

    // The tray host may appear after the app (a desktop session still starting): keep asking.
    auto *probe = new QTimer(this);
    probe->setInterval(2000);
    connect(probe, &QTimer::timeout, this, [this, probe] {
        if (!QSystemTrayIcon::isSystemTrayAvailable())
            return;
        probe->stop();
        m_tray.show();
        QApplication::setQuitOnLastWindowClosed(false);
        Q_EMIT availableChanged();
    });
    if (QSystemTrayIcon::isSystemTrayAvailable()) {
        m_tray.show();
        QApplication::setQuitOnLastWindowClosed(false);
    } else {
        probe->start();
    }
}

void TrayController::bindModel()
{
    disconnect(m_unreadConnection);
    disconnect(m_arrivedConnection);
    client::NotificationModel *model = m_app.notifications();
    m_model = model;
    if (model) {
        m_unreadConnection = connect(model, &client::NotificationModel::unreadCountChanged, this,
                                     &TrayController::updateIcon);
        m_arrivedConnection = connect(model, &client::NotificationModel::notificationArrived, this,
                                      &TrayController::onNotification);
    }
    updateIcon();
}

void TrayController::updateIcon()
{
    const auto *model = qobject_cast<client::NotificationModel *>(m_model.data());
    const int unread = model ? model->unreadCount() : 0;
    m_tray.setIcon(QIcon(unread > 0 ? QStringLiteral(":/icons/tray-unread.svg")
                                    : QStringLiteral(":/icons/tray.svg")));
    m_tray.setToolTip(unread > 0 ? tr("FlippDeal Live: %n unread", nullptr, unread)
                                 : tr("FlippDeal Live"));
}

void TrayController::onNotification(const QString &title, const QString &type)
{
    Q_UNUSED(type)
    if (m_app.isMuted() || !m_tray.isVisible())
        return;
    ++m_shownMessages;
    m_tray.showMessage(tr("FlippDeal Live"), title, QIcon(QStringLiteral(":/icons/flippdeal.svg")),
                       6000);
}

} // namespace flippdeal::desktop
