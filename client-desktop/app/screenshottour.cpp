// SPDX-License-Identifier: MIT
#include "screenshottour.h"

#include "appcontext.h"
#include "conversationmodel.h"
#include "notificationmodel.h"
#include "recordlistmodel.h"

#include <QCoreApplication>
#include <QDir>
#include <QImage>
#include <QQuickWindow>
#include <QSystemTrayIcon>

#include <cstdio>

namespace flippdeal::desktop {

namespace {
constexpr int StepMs = 1500;
constexpr int SignInWaitSteps = 20;
} // namespace

ScreenshotTour::ScreenshotTour(client::AppContext &app, QQuickWindow &window, QString directory)
    : m_app(app)
    , m_window(window)
    , m_directory(std::move(directory))
{
    QDir().mkpath(m_directory);
    m_timer.setSingleShot(true);
    m_timer.setInterval(StepMs);
    connect(&m_timer, &QTimer::timeout, this, &ScreenshotTour::next);
    m_steps = steps();
    m_timer.start();
}

QList<ScreenshotTour::Step> ScreenshotTour::steps()
{
    return {
        [this] { waitUntilSettled(); },
        [this] { openChat(); },
        [this] {
            call("setDraft", QStringLiteral("Sounds good, I'll bid again before it closes."));
        },
        [this] { shoot(QStringLiteral("chat")); },
        [this] { call("openBell"); },
        [this] { shoot(QStringLiteral("notifications")); },
        [this] {
            call("closeBell");
            openEscrowNotification();
        },
        [] {}, // let the dialog's transition and the escrow's answer finish
        [this] {
            shoot(QStringLiteral("escrow"));
            call("closeDialogs");
        },
        [this] { openFirstAuction(); },
        [] {}, // let the presence list and the bids arrive
        [this] { shoot(QStringLiteral("auction")); },
        [this] { m_app.setColorScheme(client::AppContext::ColorScheme::Dark); },
        [this] { shoot(QStringLiteral("auction-dark")); },
        [this] { call("showPage", QStringLiteral("chat")); },
        [this] {
            shoot(QStringLiteral("chat-dark"));
            m_app.setColorScheme(client::AppContext::ColorScheme::System);
            std::printf("tray: %s\n",
                        QSystemTrayIcon::isSystemTrayAvailable() ? "available" : "unavailable");
            std::fflush(stdout);
        },
    };
}

void ScreenshotTour::waitUntilSettled()
{
    // Signed in and connected, or on the sign-in page.
    const client::Session::Status status = m_app.session()->status();
    const bool settled = (status == client::Session::Status::SignedIn &&
                          m_app.realtime()->state() == client::RealtimeClient::State::Connected) ||
                         status == client::Session::Status::SignedOut;
    if (!settled && ++m_waited < SignInWaitSteps)
        m_steps.prepend(m_steps.first()); // wait one more step
}

void ScreenshotTour::openChat()
{
    if (!m_app.session()->isSignedIn()) {
        shoot(QStringLiteral("sign-in"));
        m_steps.clear();
        return;
    }
    call("showPage", QStringLiteral("chat"));
    call("openConversationAt", 0);
}

void ScreenshotTour::openEscrowNotification()
{
    // The first notification about an escrow, as a click in the dropdown would open it.
    const client::NotificationModel *model = m_app.notifications();
    for (int row = 0; model && row < model->rowCount(); ++row) {
        const QModelIndex index = model->index(row);
        const QVariantMap payload = index.data(client::NotificationModel::DataRole).toMap();
        if (payload.contains(QStringLiteral("escrow_id"))) {
            QMetaObject::invokeMethod(
                &m_window, "openNotification",
                Q_ARG(QVariant, index.data(client::NotificationModel::TypeRole)),
                Q_ARG(QVariant, payload));
            return;
        }
    }
}

void ScreenshotTour::openFirstAuction()
{
    call("showPage", QStringLiteral("auctions"));
    const auto *auctions = m_app.auctions();
    if (auctions->count() > 0)
        call("openAuction", auctions->get(0).value(QStringLiteral("domainId")));
}

void ScreenshotTour::call(const char *function, const QVariant &argument)
{
    if (argument.isValid())
        QMetaObject::invokeMethod(&m_window, function, Q_ARG(QVariant, argument));
    else
        QMetaObject::invokeMethod(&m_window, function);
}

void ScreenshotTour::shoot(const QString &name)
{
    const QString path = QDir(m_directory).filePath(name + QStringLiteral(".png"));
    const QImage image = m_window.grabWindow();
    if (image.isNull() || !image.save(path))
        std::fprintf(stderr, "flippdeal-desktop: could not save %s\n", qPrintable(path));
    else
        std::printf("saved %s\n", qPrintable(path));
    std::fflush(stdout);
}

void ScreenshotTour::next()
{
    if (m_steps.isEmpty()) {
        QCoreApplication::quit();
        return;
    }
    const Step step = m_steps.takeFirst();
    step();
    m_timer.start();
}

} // namespace flippdeal::desktop
