// SPDX-License-Identifier: MIT
#pragma once

#include "http/httpsocket_p.h"

#include <QHostAddress>
#include <QObject>
#include <QTcpServer>
#include <QTimer>

#include <functional>

class QSocketNotifier;

namespace flippdeal::server {

//! \brief HttpServer's listening socket: accepts connections and hands each descriptor to the
//! server, which decides, before reading a byte, whether the connection fits the budget.
//!
//! QTcpServer binds and listens; accepting is done here, because Qt 6.4's accept loop treats
//! running out of descriptors (EMFILE, ENFILE) as a passing condition and polls the listening
//! socket, which stays readable, at full speed. Here accepting pauses for AcceptRetryMs at a
//! time instead, while connections wait in the backlog, and resumes by itself.
class HttpListener : public QObject
{
    Q_OBJECT

public:
    explicit HttpListener(QObject *parent = nullptr);
    ~HttpListener() override;

    //! Receives each accepted descriptor (non-blocking), which it then owns.
    void setHandler(std::function<void(qintptr)> handler) { m_handler = std::move(handler); }
    bool listen(const QHostAddress &address, quint16 port, int backlog);
    void close();
    quint16 serverPort() const { return m_server.serverPort(); }
    QString errorString() const { return m_server.errorString(); }
    //! How often accepting paused because the process ran out of descriptors.
    quint64 resourcePauses() const { return m_resourcePauses; }

    //! Time a new TLS connection has to complete its handshake.
    static constexpr int HandshakeTimeoutMs = HttpSocket::HandshakeTimeoutMs;
    //! Pause after accept() failed for want of descriptors or memory.
    static constexpr int AcceptRetryMs = 250;

private:
    void acceptPending();

    QTcpServer m_server;
    QSocketNotifier *m_notifier = nullptr;
    std::function<void(qintptr)> m_handler;
    QTimer m_retry;
    quint64 m_resourcePauses = 0;
    bool m_warned = false;
};

} // namespace flippdeal::server
