// SPDX-License-Identifier: MIT
#pragma once

#include <QSslConfiguration>
#include <QTcpServer>

#include <optional>

class QSslSocket;

namespace flippdeal::server {

//! \brief HttpServer's listening socket. Without a TLS configuration it is a plain QTcpServer
//! (pending connections are QTcpSockets, exactly as before). With one, every accepted
//! connection becomes a QSslSocket that must finish its server handshake before it is added to
//! the pending connections (Qt 6.4 has no QSslServer):
//!
//! - the first byte decides: a TLS record (0x16) starts the handshake; anything else (plain
//!   HTTP sent to the HTTPS port) gets a plain-text 400 naming the problem, then the close;
//! - a failed handshake (untrusted certificate on the client's side, wrong protocol) closes the
//!   connection; so does silence beyond HandshakeTimeoutMs.
class HttpListener : public QTcpServer
{
    Q_OBJECT

public:
    using QTcpServer::QTcpServer;

    //! Serve TLS with `configuration` (certificate chain and private key set).
    void setTlsConfiguration(const QSslConfiguration &configuration);
    bool isTls() const { return m_tls.has_value(); }

    //! Time a new TLS connection has to complete its handshake.
    static constexpr int HandshakeTimeoutMs = 10'000;

protected:
    void incomingConnection(qintptr handle) override;

private:
    void onFirstBytes(QSslSocket *socket);

    std::optional<QSslConfiguration> m_tls;
};

} // namespace flippdeal::server
