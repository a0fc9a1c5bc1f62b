// SPDX-License-Identifier: MIT
#pragma once

#include "http/httplistener.h"
#include "http/httptypes.h"
#include "http/readyset.h"

#include <QHostAddress>
#include <QObject>
#include <QSslConfiguration>

#include <memory>
#include <optional>

class QTcpSocket;

namespace flippdeal::server {

class ConnectionBudget;
class ConnectionSlot;
class Router;

//! \brief HttpServer settings, taken from the server Config.
struct HttpServerOptions
{
    qint64 maxBodyBytes = 256 * 1024; //!< larger bodies get 413
    int idleTimeoutMs = 30'000;       //!< a connection with nothing to do is closed after this
    int maxConnections = 0;           //!< HTTP and WebSocket together; 0: automatic
    int maxConnectionsPerAddress = 0; //!< 0: no per-address cap
};

//! \brief HTTP/1.1 on a QTcpServer, sharing its port with the WebSocket gateway: a request
//! asking to upgrade to WebSocket is handed over through webSocketUpgradeRequested(). With a TLS
//! configuration the connections are QSslSockets (see HttpSocket) and the same code serves
//! HTTPS.
//!
//! Requests are parsed by HttpRequestParser, one at a time per connection. Connections are
//! served in the order their requests arrived (ReadySet), so a client with several requests in
//! flight on several connections has them handled in the order it sent them. A connection
//! reads only when it needs more: while its unsent output is over OutputHighWaterBytes it stops
//! reading (TCP then holds the client back), so a client that never reads costs a bounded
//! amount of memory. Each connection takes a slot of the connection budget when it is accepted;
//! one over a cap is answered 503 (a WebSocket: pusher:error 4100) and closed.
//!
//! Written on QTcpServer rather than QHttpServer because the 6.4 preview buffers bodies of any
//! size before a handler sees them (no early 413), answers wrong methods with 404, and cannot
//! hand a connection to QWebSocketServer before reading it.
class HttpServer : public QObject
{
    Q_OBJECT

public:
    HttpServer(const Router &router, const HttpServerOptions &options, QObject *parent = nullptr);
    ~HttpServer() override;

    //! Serves HTTPS and WSS instead of HTTP and WS (call before listen()); plain connections
    //! are then answered with a 400 and closed.
    void setTlsConfiguration(const QSslConfiguration &configuration) { m_tls = configuration; }
    bool isTls() const { return m_tls.has_value(); }
    bool listen(const QHostAddress &address, quint16 port);
    quint16 serverPort() const { return m_server.serverPort(); }
    QString errorString() const { return m_server.errorString(); }
    //! Stops accepting and closes idle keep-alive connections.
    void close();

    //! Open HTTP connections (those upgraded to WebSocket are the gateway's).
    int connectionCount() const { return m_connections; }
    //! HTTP and WebSocket connections counted against max-connections.
    int budgetedConnections() const;
    //! Connections refused because a cap was reached.
    quint64 refusedConnections() const { return m_refused; }
    //! How often accepting paused because the process ran out of descriptors.
    quint64 acceptPauses() const { return m_server.resourcePauses(); }
    //! The options, with maxConnections resolved.
    const HttpServerOptions &options() const { return m_options; }

    //! Longest request head (request line + headers) accepted.
    static constexpr qsizetype MaxHeadBytes = 16 * 1024;
    //! Unsent output above which a connection stops reading requests.
    static constexpr qint64 OutputHighWaterBytes = 256 * 1024;

Q_SIGNALS:
    //! A GET with `Upgrade: websocket` arrived; its head has been read and parsed into
    //! `request`; `pending` holds what the client sent after it (its first frames). The receiver
    //! takes ownership of `socket` (connect with a direct connection) and keeps `slot` as long as
    //! the WebSocket is open: it is the connection's place in the budget.
    void webSocketUpgradeRequested(QTcpSocket *socket,
                                   const flippdeal::server::HttpRequest &request,
                                   const QByteArray &pending,
                                   const std::shared_ptr<flippdeal::server::ConnectionSlot> &slot);
    //! Every answered request, for logs and metrics.
    void requestServed(const QByteArray &method, const QString &route, int status,
                       qint64 elapsedMicros);

private:
    friend class HttpConnection;
    void accept(qintptr descriptor);
    //! Whether upgrades have a receiver (the metrics listener has none: they get a 404).
    bool acceptsWebSockets() const;

    const Router &m_router;
    HttpServerOptions m_options;
    std::optional<QSslConfiguration> m_tls;
    std::shared_ptr<ConnectionBudget> m_budget;
    HttpListener m_server;
    ReadySet m_readySet; // every plain connection, served in the order their bytes arrived
    int m_connections = 0;
    int m_refusing = 0; // connections being told they are over a cap
    quint64 m_refused = 0;
};

} // namespace flippdeal::server
