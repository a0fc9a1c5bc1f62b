// SPDX-License-Identifier: MIT
#pragma once

#include "http/httpparser.h"
#include "http/httptypes.h"

#include <QElapsedTimer>
#include <QFutureWatcher>
#include <QObject>
#include <QTimer>

#include <memory>
#include <optional>

namespace flippdeal::server {

class ConnectionSlot;
class HttpServer;
class HttpSocket;

//! One client connection: takes requests from its HttpRequestParser one at a time (keep-alive,
//! pipelined requests answered in order), runs the router, writes responses. It reads from the
//! socket only when the parser needs more and its unsent output is below the high-water mark.
//! A connection without a budget slot (over a cap) only learns what the client wanted, to
//! refuse it in the right form.
class HttpConnection : public QObject
{
    Q_OBJECT

public:
    //! `refusal` non-empty: the connection is over a cap (it has no slot); why, for the client.
    HttpConnection(HttpSocket *socket, HttpServer *server, std::shared_ptr<ConnectionSlot> slot,
                   QString refusal);
    ~HttpConnection() override;

private:
    void pump();
    void handle(HttpRequestParser::Result result);
    void route(bool closeAfter);
    //! Answers with `future` once it completes, holding the connection's next request back.
    void awaitAnswer(const QFuture<HttpResponse> &future);
    void respond(HttpResponse response, bool closeAfter, qint64 discard = 0);
    void finishRequest(const HttpResponse &response);
    void handOverToWebSocket(const HttpRequest &request);
    void refuseWebSocket(const HttpRequest &request);
    void closeConnection(qint64 discard);
    void onBytesWritten();
    void onIdle();

    HttpSocket *m_socket;
    HttpServer *m_server;
    HttpRequestParser m_parser;
    std::shared_ptr<ConnectionSlot> m_slot;
    QString m_refusal;
    QTimer m_idleTimer;
    QElapsedTimer m_requestTimer;
    HttpRequest m_current;
    std::optional<HttpRequest> m_upgrade; //!< waiting for earlier answers to go out
    std::unique_ptr<QFutureWatcher<HttpResponse>> m_watcher;
    bool m_busy = false;       //!< waiting for an async handler
    bool m_closeAfter = false; //!< the request being handled is the last
    bool m_closing = false;    //!< the last answer is written; the socket is closing
    bool m_readPaused = false; //!< too much unsent output
    bool m_pumpQueued = false;
    bool m_resumedAfterAnswer = false; //!< the next pump follows an async answer
};

} // namespace flippdeal::server
