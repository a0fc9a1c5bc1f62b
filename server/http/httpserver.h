// SPDX-License-Identifier: MIT
#pragma once

#include "http/httplistener.h"
#include "http/httptypes.h"

#include <QHostAddress>
#include <QObject>
#include <QSslConfiguration>

class QTcpSocket;

namespace flippdeal::server {

class Router;

//! \brief HTTP/1.1 on a QTcpServer, sharing its port with the WebSocket gateway: a request
//! asking to upgrade to WebSocket is handed over through webSocketUpgradeRequested(). With a TLS
//! configuration the connections are QSslSockets (see HttpListener) and the same code serves
//! HTTPS, since it uses only QTcpSocket/QIODevice calls.
//!
//! Written on QTcpServer rather than QHttpServer because the 6.4 preview buffers bodies of any
//! size before a handler sees them (no early 413), answers wrong methods with 404, and cannot
//! hand a connection to QWebSocketServer before reading it.
class HttpServer : public QObject
{
    Q_OBJECT

public:
    HttpServer(const Router &router, qint64 maxBodyBytes, QObject *parent = nullptr);
    ~HttpServer() override;

    //! Serves HTTPS and WSS instead of HTTP and WS (call before listen()); plain connections
    //! are then answered with a 400 and closed.
    void setTlsConfiguration(const QSslConfiguration &configuration)
    {
        m_server.setTlsConfiguration(configuration);
    }
    bool isTls() const { return m_server.isTls(); }
    bool listen(const QHostAddress &address, quint16 port);
    quint16 serverPort() const { return m_server.serverPort(); }
    QString errorString() const { return m_server.errorString(); }
    //! Stops accepting and closes idle keep-alive connections.
    void close();

    //! Longest request head (request line + headers) accepted.
    static constexpr qsizetype MaxHeadBytes = 16 * 1024;

Q_SIGNALS:
    //! A GET with `Upgrade: websocket` arrived; its head has been read and parsed into
    //! `request`. The receiver takes ownership of `socket` (connect with a direct connection).
    void webSocketUpgradeRequested(QTcpSocket *socket,
                                   const flippdeal::server::HttpRequest &request);
    //! Every answered request, for logs and metrics.
    void requestServed(const QByteArray &method, const QString &route, int status,
                       qint64 elapsedMicros);

private:
    friend class HttpConnection;
    void onNewConnection();

    const Router &m_router;
    qint64 m_maxBodyBytes;
    HttpListener m_server;
};

} // namespace flippdeal::server
