// SPDX-License-Identifier: MIT
#pragma once

#include <QMenu>
#include <QObject>
#include <QPointer>
#include <QSystemTrayIcon>
#include <QtQmlIntegration/qqmlintegration.h>

namespace flippdeal::client {
class AppContext;
}

namespace flippdeal::desktop {

//! \brief The system-tray presence of flippdeal-desktop: an icon that shows whether anything is
//! unread, a native pop-up for each new notification (unless muted), and a menu to open the
//! window, mute, or quit. While the tray exists, closing the window keeps the app running.
class TrayController : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("flippdeal-desktop creates the one TrayController")
    Q_PROPERTY(bool available READ isAvailable NOTIFY availableChanged)

public:
    explicit TrayController(client::AppContext &app, QObject *parent = nullptr);

    bool isAvailable() const { return m_tray.isVisible(); }
    int shownMessages() const { return m_shownMessages; }

Q_SIGNALS:
    void availableChanged();
    //! The user asked for the window (tray click, menu, or a pop-up clicked).
    void showWindowRequested();

private:
    void bindModel();
    void updateIcon();
    void onNotification(const QString &title, const QString &type);

    client::AppContext &m_app;
    QSystemTrayIcon m_tray;
    QMenu m_menu;
    QAction *m_muteAction = nullptr;
    QPointer<QObject> m_model;
    QMetaObject::Connection m_unreadConnection;
    QMetaObject::Connection m_arrivedConnection;
    int m_shownMessages = 0;
};

} // namespace flippdeal::desktop
