// SPDX-License-Identifier: MIT
#include "http/httpserver.h"

#include "core/logging.h"
#include "gateway/wsframe.h"
#include "http/connectionbudget.h"
#include "http/httpconnection_p.h"
#include "http/httpsocket_p.h"
#include "http/router.h"

#include "protocol/frame.h"

#include <QMetaMethod>

#include <sys/socket.h>
#include <unistd.h>

namespace flippdeal::server {

namespace {

// What a connection reads at a time, and at most per event-loop pass (fairness).
constexpr qsizetype ReadChunk = 16 * 1024;
constexpr qsizetype MaxReadPerPass = 256 * 1024;
constexpr int MaxRequestsPerPass = 32;
// Reading resumes once the unsent output is down to this (OutputHighWaterBytes stops it).
constexpr qint64 OutputLowWaterBytes = 128 * 1024;
// A closing connection gets this long to take its last answer; then it is cut off.
constexpr int CloseDeadlineMs = 5'000;
// What a closing connection may still send (read and dropped, so that unread input does not
// turn the answer into a reset): a rejected upload up to this much, anything else up to 1 MiB.
constexpr qint64 MaxDiscardBytes = 16 * 1024 * 1024;
constexpr qint64 CloseDiscardBytes = 1024 * 1024;
// A connection over a cap has this long to say what it wants before it is dropped, and only
// this many are answered at once; beyond that they are closed unread.
constexpr int RefusalTimeoutMs = 5'000;
constexpr int MaxRefusing = 64;
constexpr int RefusalRetryAfterSeconds = 10;
// Room for thousands of clients reconnecting at once (Qt's default backlog is 50).
constexpr int ListenBacklog = 1024;

QString errorRoute(int status)
{
    switch (status) {
    case 413:
        return QStringLiteral("(body too large)");
    case 431:
        return QStringLiteral("(head too large)");
    case 501:
        return QStringLiteral("(not implemented)");
    default:
        return QStringLiteral("(bad request)");
    }
}

} // namespace

HttpServer::HttpServer(const Router &router, const HttpServerOptions &options, QObject *parent)
    : QObject(parent)
    , m_router(router)
    , m_options(options)
    , m_budget(std::make_shared<ConnectionBudget>(options.maxConnections > 0
                                                      ? options.maxConnections
                                                      : ConnectionBudget::automaticMaxTotal(),
                                                  options.maxConnectionsPerAddress))
{
    m_options.maxConnections = m_budget->maxTotal(); // resolved
    m_server.setHandler([this](qintptr descriptor) { accept(descriptor); });
}

HttpServer::~HttpServer()
{
    // The connections go before the members they count in.
    qDeleteAll(findChildren<HttpConnection *>(Qt::FindDirectChildrenOnly));
}

bool HttpServer::acceptsWebSockets() const
{
    return isSignalConnected(QMetaMethod::fromSignal(&HttpServer::webSocketUpgradeRequested));
}

bool HttpServer::listen(const QHostAddress &address, quint16 port)
{
    return m_server.listen(address, port, ListenBacklog);
}

void HttpServer::close()
{
    m_server.close();
}

int HttpServer::budgetedConnections() const
{
    return m_budget->total();
}

void HttpServer::accept(qintptr descriptor)
{
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    QHostAddress peer;
    if (::getpeername(int(descriptor), reinterpret_cast<sockaddr *>(&address), &length) == 0)
        peer = QHostAddress(reinterpret_cast<const sockaddr *>(&address));
    std::shared_ptr<ConnectionSlot> slot = m_budget->acquire(peer);
    QString refusal;
    if (!slot) {
        ++m_refused;
        if (m_refusing >= MaxRefusing) { // a flood: not even an answer
            ::close(int(descriptor));
            return;
        }
        refusal = m_budget->total() >= m_budget->maxTotal()
                      ? QStringLiteral("The server is at its connection limit; try again later.")
                      : QStringLiteral("Too many connections from your address; close some or "
                                       "try again later.");
    }
    auto *socket = new HttpSocket(descriptor, peer, m_readySet, m_tls ? &*m_tls : nullptr);
    new HttpConnection(socket, this, std::move(slot), refusal);
}

HttpConnection::HttpConnection(HttpSocket *socket, HttpServer *server,
                               std::shared_ptr<ConnectionSlot> slot, QString refusal)
    : QObject(server)
    , m_socket(socket)
    , m_server(server)
    , m_parser({HttpServer::MaxHeadBytes, server->m_options.maxBodyBytes, 100})
    , m_slot(std::move(slot))
    , m_refusal(std::move(refusal))
{
    socket->setParent(this);
    ++m_server->m_connections;
    if (!m_refusal.isEmpty())
        ++m_server->m_refusing;
    m_idleTimer.setSingleShot(true);
    m_idleTimer.setInterval(m_refusal.isEmpty()
                                ? server->m_options.idleTimeoutMs
                                : std::min(server->m_options.idleTimeoutMs, RefusalTimeoutMs));
    connect(&m_idleTimer, &QTimer::timeout, this, &HttpConnection::onIdle);
    connect(socket, &HttpSocket::ready, this, &HttpConnection::pump);
    connect(socket, &HttpSocket::readyRead, this, [this] {
        m_resumedAfterAnswer = false; // the ready set says it is this connection's turn: read
        pump();
    });
    connect(socket, &HttpSocket::bytesWritten, this, &HttpConnection::onBytesWritten);
    connect(socket, &HttpSocket::closed, this, &QObject::deleteLater);
    m_idleTimer.start(); // also the time the client has to send its first request
}

HttpConnection::~HttpConnection()
{
    --m_server->m_connections;
    if (!m_refusal.isEmpty())
        --m_server->m_refusing;
}

void HttpConnection::pump()
{
    m_pumpQueued = false;
    const bool resumed = std::exchange(m_resumedAfterAnswer, false);
    qsizetype readThisPass = 0;
    int requestsThisPass = 0;
    while (!m_closing && !m_busy && m_socket->isReady()) {
        if (m_upgrade) { // the handover waits for earlier answers to be out
            if (m_socket->bytesToWrite() == 0)
                handOverToWebSocket(*m_upgrade);
            return;
        }
        if (m_socket->bytesToWrite() > HttpServer::OutputHighWaterBytes) {
            m_readPaused = true; // onBytesWritten() resumes
            return;
        }
        if (requestsThisPass >= MaxRequestsPerPass || readThisPass >= MaxReadPerPass) {
            // A long pipeline must not keep the other connections waiting.
            if (!std::exchange(m_pumpQueued, true))
                QMetaObject::invokeMethod(this, &HttpConnection::pump, Qt::QueuedConnection);
            return;
        }
        HttpRequestParser::Result result = m_parser.next();
        switch (result.status) {
        case HttpRequestParser::Status::Request:
            ++requestsThisPass;
            handle(std::move(result));
            continue;
        case HttpRequestParser::Status::Error:
            m_current = HttpRequest{};
            m_current.method = result.request.method;
            m_current.route = errorRoute(result.errorStatus);
            m_requestTimer.start();
            respond(HttpResponse::error(ApiError{result.errorStatus, result.errorMessage, {}, 0}),
                    true, std::min(result.discardBytes, MaxDiscardBytes) + CloseDiscardBytes);
            return;
        case HttpRequestParser::Status::Closed:
            return;
        case HttpRequestParser::Status::NeedMore:
            break;
        }
        // Served one: whatever this client sent since waits behind what other connections sent
        // before it (one system call, where reading on would often be one more for EAGAIN).
        if ((requestsThisPass > 0 || resumed) && m_socket->waitForInput())
            return;
        const QByteArray chunk = m_socket->read(ReadChunk);
        if (chunk.isEmpty()) {
            // The client has finished sending (perhaps only half-closed): all it asked for is
            // answered by now, so the connection ends.
            if (m_socket->atEnd())
                closeConnection(CloseDiscardBytes);
            return;
        }
        readThisPass += chunk.size();
        m_parser.feed(chunk);
    }
}

void HttpConnection::handle(HttpRequestParser::Result result)
{
    HttpRequest request = std::move(result.request);
    request.peer = m_socket->peerAddress();
    m_requestTimer.start();
    m_idleTimer.stop();
    if (result.upgrade && m_server->acceptsWebSockets()) {
        if (!m_refusal.isEmpty())
            refuseWebSocket(request);
        else
            m_upgrade = std::move(request); // pump() hands it over
        return;
    }
    m_current = std::move(request);
    if (!m_refusal.isEmpty()) {
        m_current.route = QStringLiteral("(over capacity)");
        respond(HttpResponse::error(ApiError{503, m_refusal, {}, RefusalRetryAfterSeconds}), true);
        return;
    }
    route(result.closeAfter);
}

void HttpConnection::route(bool closeAfter)
{
    m_closeAfter = closeAfter;
    if (m_current.method == "OPTIONS") { // CORS preflight for browser clients
        HttpResponse preflight = HttpResponse::noContent();
        preflight.headers.emplace_back("Access-Control-Allow-Methods",
                                       "GET, POST, PATCH, PUT, DELETE, OPTIONS");
        preflight.headers.emplace_back(
            "Access-Control-Allow-Headers",
            "Authorization, Content-Type, X-Socket-Id, X-CSRF-TOKEN, X-Requested-With, Accept");
        preflight.headers.emplace_back("Access-Control-Max-Age", "600");
        m_current.route = QStringLiteral("(preflight)");
        respond(preflight, closeAfter);
        return;
    }

    const bool head = m_current.method == "HEAD";
    if (head)
        m_current.method = "GET";
    HandlerResult result = m_server->m_router.dispatch(m_current);
    if (head)
        m_current.method = "HEAD"; // respond() sends the headers only, now or later
    if (auto *response = std::get_if<HttpResponse>(&result)) {
        respond(std::move(*response), closeAfter);
        return;
    }
    if (const auto &future = std::get<QFuture<HttpResponse>>(result);
        future.isFinished() && future.resultCount() > 0) {
        respond(future.result(), closeAfter); // answered at once (a refusal, a public publish)
        return;
    }
    awaitAnswer(std::get<QFuture<HttpResponse>>(result));
}

void HttpConnection::awaitAnswer(const QFuture<HttpResponse> &future)
{
    m_busy = true;
    m_watcher = std::make_unique<QFutureWatcher<HttpResponse>>();
    connect(m_watcher.get(), &QFutureWatcherBase::finished, this, [this] {
        m_busy = false;
        HttpResponse response =
            m_watcher->future().isValid() && m_watcher->future().resultCount() > 0
                ? m_watcher->result()
                : HttpResponse::error(ApiError::internal());
        m_watcher.release()->deleteLater();
        // Watched before the answer goes out, so the client's next request joins the ready set
        // when it arrives: watching only from the queued pump put it behind requests that
        // other connections sent after it (1 in 3,000 events of a private channel swapped).
        m_socket->waitForInput();
        respond(std::move(response), m_closeAfter);
        // What the client sent meanwhile takes its turn behind what others sent before it: the
        // pump serves what is buffered, then waits for the ready set instead of reading.
        m_resumedAfterAnswer = true;
        if (!std::exchange(m_pumpQueued, true))
            QMetaObject::invokeMethod(this, &HttpConnection::pump, Qt::QueuedConnection);
    });
    m_watcher->setFuture(future);
}

void HttpConnection::respond(HttpResponse response, bool closeAfter, qint64 discard)
{
    if (m_closing)
        return;
    QByteArray out;
    out.reserve(256 + response.body.size());
    out += "HTTP/1.1 " + QByteArray::number(response.status) + ' ' + reasonPhrase(response.status) +
           "\r\n";
    // A HEAD gets the headers a GET would, with the GET's length, and no body.
    const bool head = m_current.method == "HEAD";
    if (!response.contentType.isEmpty() && response.status != 204)
        out += "Content-Type: " + response.contentType + "\r\n";
    if (response.status != 204)
        out += "Content-Length: " + QByteArray::number(response.body.size()) + "\r\n";
    out += "Access-Control-Allow-Origin: *\r\n";
    for (const auto &[name, value] : response.headers)
        out += name + ": " + value + "\r\n";
    out += closeAfter ? "Connection: close\r\n\r\n" : "Connection: keep-alive\r\n\r\n";
    if (response.status != 204 && !head)
        out += response.body;
    m_socket->write(out);
    finishRequest(response);
    if (closeAfter)
        closeConnection(discard > 0 ? discard : CloseDiscardBytes);
    else
        m_idleTimer.start();
}

void HttpConnection::finishRequest(const HttpResponse &response)
{
    const qint64 micros = m_requestTimer.isValid() ? m_requestTimer.nsecsElapsed() / 1000 : 0;
    Q_EMIT m_server->requestServed(m_current.method, m_current.route, response.status, micros);
    qCDebug(lcHttp).noquote() << (HttpRequestParser::isKnownMethod(m_current.method)
                                      ? m_current.method
                                      : QByteArray("(unknown method)"))
                              << m_current.path << response.status;
    m_requestTimer.invalidate();
}

void HttpConnection::closeConnection(qint64 discard)
{
    m_closing = true;
    m_idleTimer.stop();
    m_socket->close(CloseDeadlineMs, discard);
}

void HttpConnection::onBytesWritten()
{
    if (m_closing)
        return;
    if (!m_busy)
        m_idleTimer.start(); // the client is reading: not idle
    const qint64 unsent = m_socket->bytesToWrite();
    if ((m_readPaused && unsent <= OutputLowWaterBytes) || (m_upgrade && unsent == 0)) {
        m_readPaused = false;
        pump();
    }
}

void HttpConnection::onIdle()
{
    if (m_busy || m_closing)
        return;
    // A client that does not read its answers does not get a graceful close either: waiting
    // for it to take them is what it wants.
    if (m_socket->bytesToWrite() > 0 || m_upgrade) {
        m_closing = true;
        m_socket->abort();
        return;
    }
    closeConnection(CloseDiscardBytes);
}

void HttpConnection::handOverToWebSocket(const HttpRequest &request)
{
    m_closing = true; // this object is done either way
    m_idleTimer.stop();
    const HttpRequest upgrade = request; // `request` is m_upgrade's
    m_upgrade.reset();
    const QByteArray pending = m_parser.takeRemaining();
    if (QTcpSocket *socket = m_socket->release())
        Q_EMIT m_server->webSocketUpgradeRequested(socket, upgrade, pending, m_slot);
    m_slot.reset(); // the gateway holds it now (or it is free again)
    deleteLater();
}

void HttpConnection::refuseWebSocket(const HttpRequest &request)
{
    m_current = request;
    m_current.route = QStringLiteral("(over capacity)");
    const QByteArray key = request.header("sec-websocket-key");
    if (key.isEmpty() || request.header("sec-websocket-version") != "13") {
        respond(HttpResponse::error(ApiError{503, m_refusal, {}, RefusalRetryAfterSeconds}), true);
        return;
    }
    // Pusher's way to say "over capacity": the handshake completes, then pusher:error 4100 and
    // a close with 4100, which makes pusher-js back off and reconnect later.
    constexpr int OverCapacity = 4100;
    m_socket->write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                    "Connection: Upgrade\r\nSec-WebSocket-Accept: " +
                    ws::acceptKey(key) + "\r\n\r\n" +
                    ws::encode(ws::Opcode::Text, protocol::encodeError(OverCapacity, m_refusal)) +
                    ws::encodeClose(OverCapacity, "Over capacity"));
    closeConnection(CloseDiscardBytes);
}

} // namespace flippdeal::server
