// SPDX-License-Identifier: MIT
#pragma once

#include "http/httptypes.h"

#include <QElapsedTimer>
#include <QFutureWatcher>
#include <QObject>
#include <QPointer>
#include <QTcpSocket>
#include <QTimer>

namespace flippdeal::server {

class HttpServer;

//! One client connection: parses requests one at a time (keep-alive, no pipelining in
//! parallel), runs the router, writes responses.
class HttpConnection : public QObject
{
    Q_OBJECT

public:
    HttpConnection(QTcpSocket *socket, HttpServer *server);

private:
    void onReadyRead();
    bool parseHead(const QByteArray &head, HttpRequest &request, QString *error);
    void respond(HttpResponse response, bool closeAfter);
    void finishRequest(const HttpResponse &response);
    void handOverToWebSocket(const HttpRequest &request);
    void rejectBody(const HttpResponse &response, qint64 bodyLength);
    void drain();

    QPointer<QTcpSocket> m_socket;
    HttpServer *m_server;
    QTimer m_idleTimer;
    QElapsedTimer m_requestTimer;
    HttpRequest m_current;
    bool m_busy = false; //!< waiting for an async handler
    bool m_keepAlive = true;
    qint64 m_discardRemaining = 0; //!< body bytes still to swallow after an early 413
    bool m_draining = false;
    std::unique_ptr<QFutureWatcher<HttpResponse>> m_watcher;
};

} // namespace flippdeal::server
