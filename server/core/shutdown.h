// SPDX-License-Identifier: MIT
#pragma once

#include <QObject>

class QSocketNotifier;

namespace flippdeal::server {

//! \brief Turns SIGTERM and SIGINT into a Qt signal through a self-pipe, so the shutdown runs
//! on the event loop and not inside a signal handler.
class ShutdownSignals : public QObject
{
    Q_OBJECT

public:
    explicit ShutdownSignals(QObject *parent = nullptr);
    ~ShutdownSignals() override;

Q_SIGNALS:
    void shutdownRequested();

private:
    QSocketNotifier *m_notifier = nullptr;
};

} // namespace flippdeal::server
