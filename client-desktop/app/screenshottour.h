// SPDX-License-Identifier: MIT
#pragma once

#include <QObject>
#include <QString>
#include <QTimer>
#include <QVariant>

#include <functional>

class QQuickWindow;

namespace flippdeal::client {
class AppContext;
}

namespace flippdeal::desktop {

//! \brief `--screenshots DIR`: walks through the screens (sign-in when signed out; otherwise
//! chat, the bell's dropdown, the live auction, and the auction in the dark palette), saves
//! each as a PNG of the real window, and quits. Used by scripts/screenshots.sh under Xvfb.
class ScreenshotTour : public QObject
{
    Q_OBJECT

public:
    ScreenshotTour(client::AppContext &app, QQuickWindow &window, QString directory);

private:
    using Step = std::function<void()>;
    //! One step per StepMs: each prepares a screen or takes its picture.
    QList<Step> steps();
    void waitUntilSettled();
    void openChat();
    void openEscrowNotification();
    void openFirstAuction();
    void next();
    void shoot(const QString &name);
    void call(const char *function, const QVariant &argument = {});

    client::AppContext &m_app;
    QQuickWindow &m_window;
    QString m_directory;
    QList<Step> m_steps;
    QTimer m_timer;
    int m_waited = 0;
};

} // namespace flippdeal::desktop
