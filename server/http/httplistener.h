// SPDX-License-Identifier: MIT
#pragma once

#include "http/httpsocket_p.h"

#include <QTcpServer>
#include <QTimer>

#include <functional>

namespace flippdeal::server {

//! \brief HttpServer's listening socket: hands every accepted descriptor to the server (which
//! decides, before reading a byte, whether the connection fits the budget), and keeps
//! accepting through errors.
//!
//! Qt pauses a QTcpServer on any accept error other than EAGAIN and never resumes it. Out of
//! descriptors (EMFILE, ENFILE) it is paused here for AcceptRetryMs at a time, so the server
//! neither spins on a listening socket that stays readable nor stops accepting for good; other
//! errors (a client that reset before it was accepted) resume at once.
class HttpListener : public QTcpServer
{
    Q_OBJECT

public:
    explicit HttpListener(QObject *parent = nullptr);

    //! Receives each accepted descriptor, which it then owns.
    void setHandler(std::function<void(qintptr)> handler) { m_handler = std::move(handler); }
    //! How often accepting paused because the process ran out of descriptors.
    quint64 resourcePauses() const { return m_resourcePauses; }

    //! Time a new TLS connection has to complete its handshake.
    static constexpr int HandshakeTimeoutMs = HttpSocket::HandshakeTimeoutMs;
    //! Pause after accept() failed for want of descriptors.
    static constexpr int AcceptRetryMs = 250;

protected:
    void incomingConnection(qintptr handle) override;

private:
    void onAcceptError(QAbstractSocket::SocketError error);

    std::function<void(qintptr)> m_handler;
    QTimer m_retry;
    quint64 m_resourcePauses = 0;
    bool m_warned = false;
};

} // namespace flippdeal::server
