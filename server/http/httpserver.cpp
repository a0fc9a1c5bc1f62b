// SPDX-License-Identifier: MIT
#include "http/httpserver.h"

#include "core/logging.h"
#include "http/httpconnection_p.h"
#include "http/router.h"

#include <QUrl>

namespace flippdeal::server {

namespace {

constexpr int IdleTimeoutMs = 30'000;
// A rejected upload is read and thrown away up to this much (or this long) before closing, so
// the client sees the 413 instead of a connection reset.
constexpr qint64 MaxDiscardBytes = 16 * 1024 * 1024;
constexpr int DiscardTimeoutMs = 5'000;
// Room for thousands of clients reconnecting at once (Qt's default backlog is 50).
constexpr int ListenBacklog = 1024;

QString decodeComponent(QByteArray text)
{
    return QUrl::fromPercentEncoding(text.replace('+', ' '));
}

} // namespace

HttpServer::HttpServer(const Router &router, qint64 maxBodyBytes, QObject *parent)
    : QObject(parent)
    , m_router(router)
    , m_maxBodyBytes(maxBodyBytes)
{
    connect(&m_server, &QTcpServer::newConnection, this, &HttpServer::onNewConnection);
}

HttpServer::~HttpServer() = default;

bool HttpServer::listen(const QHostAddress &address, quint16 port)
{
    m_server.setListenBacklogSize(ListenBacklog);
    return m_server.listen(address, port);
}

void HttpServer::close()
{
    m_server.close();
}

void HttpServer::onNewConnection()
{
    while (QTcpSocket *socket = m_server.nextPendingConnection())
        new HttpConnection(socket, this);
}

HttpConnection::HttpConnection(QTcpSocket *socket, HttpServer *server)
    : QObject(server)
    , m_socket(socket)
    , m_server(server)
{
    socket->setParent(this);
    m_idleTimer.setSingleShot(true);
    m_idleTimer.setInterval(IdleTimeoutMs);
    connect(&m_idleTimer, &QTimer::timeout, this, [this] {
        if (m_socket && !m_busy)
            m_socket->disconnectFromHost();
    });
    connect(socket, &QTcpSocket::readyRead, this, &HttpConnection::onReadyRead);
    connect(socket, &QTcpSocket::disconnected, this, &QObject::deleteLater);
    m_idleTimer.start();
    // A TLS connection may already hold a request decrypted along with the end of its handshake.
    if (socket->bytesAvailable() > 0)
        QMetaObject::invokeMethod(this, &HttpConnection::onReadyRead, Qt::QueuedConnection);
}

void HttpConnection::onReadyRead()
{
    if (m_draining) {
        drain();
        return;
    }
    while (m_socket && !m_busy && m_socket->bytesAvailable() > 0) {
        const QByteArray peeked = m_socket->peek(HttpServer::MaxHeadBytes + 4);
        const qsizetype headEnd = peeked.indexOf("\r\n\r\n");
        if (headEnd < 0) {
            if (peeked.size() > HttpServer::MaxHeadBytes) {
                m_keepAlive = false;
                respond(HttpResponse::error(
                            ApiError{431, QStringLiteral("Request head too large."), {}, 0}),
                        true);
            }
            return;
        }
        HttpRequest request;
        request.peer = m_socket->peerAddress();
        QString error;
        if (!parseHead(peeked.first(headEnd), request, &error)) {
            m_socket->read(headEnd + 4);
            respond(HttpResponse::error(ApiError::badRequest(error)), true);
            return;
        }
        if (request.method == "GET" && request.header("upgrade").toLower().contains("websocket")) {
            m_socket->read(headEnd + 4);
            handOverToWebSocket(request);
            return;
        }
        if (!request.header("transfer-encoding").isEmpty()) {
            m_socket->read(headEnd + 4);
            respond(HttpResponse::error(ApiError{
                        411,
                        QStringLiteral(
                            "Send a Content-Length; chunked request bodies are not accepted."),
                        {},
                        0}),
                    true);
            return;
        }
        qint64 length = 0;
        const QByteArray lengthHeader = request.header("content-length");
        if (!lengthHeader.isEmpty()) {
            bool ok = false;
            length = lengthHeader.toLongLong(&ok);
            if (!ok || length < 0) {
                m_socket->read(headEnd + 4);
                respond(HttpResponse::error(
                            ApiError::badRequest(QStringLiteral("Invalid Content-Length."))),
                        true);
                return;
            }
        }
        if (length > m_server->m_maxBodyBytes) {
            m_socket->read(headEnd + 4);
            m_current = std::move(request);
            m_current.route = QStringLiteral("(body too large)");
            rejectBody(
                HttpResponse::error(ApiError{413,
                                             QStringLiteral("The request body exceeds %1 bytes.")
                                                 .arg(m_server->m_maxBodyBytes),
                                             {},
                                             0}),
                length);
            return;
        }
        if (m_socket->bytesAvailable() < headEnd + 4 + length)
            return; // wait for the rest of the body
        m_socket->read(headEnd + 4);
        request.body = m_socket->read(length);

        const QByteArray connectionHeader = request.header("connection").toLower();
        m_keepAlive = !connectionHeader.contains("close");
        m_requestTimer.start();
        m_idleTimer.stop();

        if (request.method == "OPTIONS") { // CORS preflight for browser clients
            HttpResponse preflight = HttpResponse::noContent();
            preflight.headers.emplace_back("Access-Control-Allow-Methods",
                                           "GET, POST, PATCH, PUT, DELETE, OPTIONS");
            preflight.headers.emplace_back(
                "Access-Control-Allow-Headers",
                "Authorization, Content-Type, X-Socket-Id, X-CSRF-TOKEN, X-Requested-With, Accept");
            preflight.headers.emplace_back("Access-Control-Max-Age", "600");
            m_current = std::move(request);
            m_current.route = QStringLiteral("(preflight)");
            respond(preflight, !m_keepAlive);
            continue;
        }

        m_current = std::move(request);
        const bool head = m_current.method == "HEAD";
        if (head)
            m_current.method = "GET";
        HandlerResult result = m_server->m_router.dispatch(m_current);
        if (head) {
            m_current.method = "HEAD";
            if (auto *response = std::get_if<HttpResponse>(&result)) {
                response->headers.emplace_back("Content-Length",
                                               QByteArray::number(response->body.size()));
                response->body.clear();
                response->contentType.clear();
                respond(std::move(*response), !m_keepAlive);
                continue;
            }
        }
        if (auto *response = std::get_if<HttpResponse>(&result)) {
            respond(std::move(*response), !m_keepAlive);
            continue;
        }
        m_busy = true;
        m_watcher = std::make_unique<QFutureWatcher<HttpResponse>>();
        connect(m_watcher.get(), &QFutureWatcherBase::finished, this, [this] {
            m_busy = false;
            HttpResponse response =
                m_watcher->future().isValid() && m_watcher->future().resultCount() > 0
                    ? m_watcher->result()
                    : HttpResponse::error(ApiError::internal());
            m_watcher.release()->deleteLater();
            respond(std::move(response), !m_keepAlive);
            if (m_socket && m_socket->bytesAvailable() > 0)
                QMetaObject::invokeMethod(this, &HttpConnection::onReadyRead, Qt::QueuedConnection);
        });
        m_watcher->setFuture(std::get<QFuture<HttpResponse>>(result));
        return;
    }
}

bool HttpConnection::parseHead(const QByteArray &head, HttpRequest &request, QString *error)
{
    const QList<QByteArray> lines = head.split('\n');
    const QList<QByteArray> requestLine = lines.value(0).trimmed().split(' ');
    if (requestLine.size() != 3 || !requestLine.at(2).startsWith("HTTP/1.")) {
        *error = QStringLiteral("Malformed request line.");
        return false;
    }
    request.method = requestLine.at(0).toUpper();
    const QByteArray target = requestLine.at(1);
    if (!target.startsWith('/')) {
        *error = QStringLiteral("The request target must be a path.");
        return false;
    }
    const qsizetype question = target.indexOf('?');
    const QByteArray rawPath = question < 0 ? target : target.left(question);
    request.rawPath = QString::fromLatin1(rawPath);
    request.path = QUrl::fromPercentEncoding(rawPath);
    if (question >= 0) {
        for (const QByteArray &pair : target.mid(question + 1).split('&')) {
            if (pair.isEmpty())
                continue;
            const qsizetype eq = pair.indexOf('=');
            request.query.append({decodeComponent(eq < 0 ? pair : pair.left(eq)),
                                  eq < 0 ? QString() : decodeComponent(pair.mid(eq + 1))});
        }
    }
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines.at(i).trimmed();
        if (line.isEmpty())
            continue;
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0) {
            *error = QStringLiteral("Malformed header line.");
            return false;
        }
        request.headers.emplace_back(line.left(colon).trimmed().toLower(),
                                     line.mid(colon + 1).trimmed());
    }
    if (requestLine.at(2) == "HTTP/1.0" && request.header("connection").toLower() != "keep-alive")
        request.headers.emplace_back("connection", "close");
    return true;
}

void HttpConnection::rejectBody(const HttpResponse &response, qint64 bodyLength)
{
    m_keepAlive = false;
    m_draining = true;
    m_discardRemaining = std::min(bodyLength, MaxDiscardBytes);
    respond(response, false);
    m_idleTimer.stop();
    QTimer::singleShot(DiscardTimeoutMs, this, [this] {
        if (m_socket)
            m_socket->disconnectFromHost();
    });
    drain();
}

void HttpConnection::drain()
{
    while (m_socket && m_discardRemaining > 0 && m_socket->bytesAvailable() > 0) {
        const QByteArray discarded =
            m_socket->read(std::min<qint64>(m_discardRemaining, 64 * 1024));
        m_discardRemaining -= discarded.size();
    }
    if (m_socket && m_discardRemaining <= 0)
        m_socket->disconnectFromHost();
}

void HttpConnection::respond(HttpResponse response, bool closeAfter)
{
    if (!m_socket)
        return;
    QByteArray out;
    out.reserve(256 + response.body.size());
    out += "HTTP/1.1 " + QByteArray::number(response.status) + ' ' + reasonPhrase(response.status) +
           "\r\n";
    if (!response.contentType.isEmpty() && response.status != 204)
        out += "Content-Type: " + response.contentType + "\r\n";
    if (response.status != 204 && m_current.method != "HEAD")
        out += "Content-Length: " + QByteArray::number(response.body.size()) + "\r\n";
    out += "Access-Control-Allow-Origin: *\r\n";
    for (const auto &[name, value] : response.headers)
        out += name + ": " + value + "\r\n";
    out +=
        closeAfter || m_draining ? "Connection: close\r\n\r\n" : "Connection: keep-alive\r\n\r\n";
    if (response.status != 204)
        out += response.body;
    m_socket->write(out);
    finishRequest(response);
    if (closeAfter) {
        m_socket->disconnectFromHost();
    } else {
        m_idleTimer.start();
    }
}

void HttpConnection::finishRequest(const HttpResponse &response)
{
    const qint64 micros = m_requestTimer.isValid() ? m_requestTimer.nsecsElapsed() / 1000 : 0;
    Q_EMIT m_server->requestServed(m_current.method, m_current.route, response.status, micros);
    qCDebug(lcHttp).noquote() << m_current.method << m_current.path << response.status;
    m_requestTimer.invalidate();
}

void HttpConnection::handOverToWebSocket(const HttpRequest &request)
{
    QTcpSocket *socket = m_socket;
    socket->disconnect(this);
    m_idleTimer.stop();
    socket->setParent(nullptr);
    m_socket = nullptr;
    Q_EMIT m_server->webSocketUpgradeRequested(socket, request);
    deleteLater();
}

} // namespace flippdeal::server
