// SPDX-License-Identifier: MIT
#include "http/httplistener.h"

#include "core/logging.h"

#include <QSslSocket>
#include <QTimer>

namespace flippdeal::server {

void HttpListener::setTlsConfiguration(const QSslConfiguration &configuration)
{
    m_tls = configuration;
}

void HttpListener::incomingConnection(qintptr handle)
{
    if (!m_tls) {
        QTcpServer::incomingConnection(handle); // plain: a QTcpSocket, as always
        return;
    }
    auto *socket = new QSslSocket(this);
    if (!socket->setSocketDescriptor(handle)) {
        qCWarning(lcHttp) << "cannot take over an accepted connection:" << socket->errorString();
        delete socket;
        return;
    }
    socket->setSslConfiguration(*m_tls);

    auto *deadline = new QTimer(socket);
    deadline->setSingleShot(true);
    connect(deadline, &QTimer::timeout, socket, [socket] {
        qCDebug(lcHttp).noquote() << "TLS handshake timed out for"
                                  << socket->peerAddress().toString();
        socket->abort();
        socket->deleteLater();
    });
    deadline->start(HandshakeTimeoutMs);

    // Every handshake-time connection has this listener as its context, so that a single
    // disconnect(this) hands a finished socket over clean.
    connect(socket, &QIODevice::readyRead, this, [this, socket] { onFirstBytes(socket); });
    connect(socket, &QSslSocket::encrypted, this, [this, socket, deadline] {
        delete deadline;
        socket->disconnect(this);
        addPendingConnection(socket);
        Q_EMIT newConnection(); // (a second call to the receiver finds nothing pending)
    });
    connect(socket, &QAbstractSocket::errorOccurred, this, [socket] {
        // Typically the client refusing our certificate, or a client that is not speaking TLS.
        qCDebug(lcHttp).noquote() << "TLS handshake with" << socket->peerAddress().toString()
                                  << "failed:" << socket->errorString();
        socket->abort();
        socket->deleteLater();
    });
    connect(socket, &QAbstractSocket::disconnected, this, [socket] { socket->deleteLater(); });
}

void HttpListener::onFirstBytes(QSslSocket *socket)
{
    if (socket->mode() != QSslSocket::UnencryptedMode)
        return; // the handshake is under way
    char first = 0;
    if (socket->peek(&first, 1) != 1)
        return;
    if (first == 0x16) { // a TLS handshake record: the ClientHello
        socket->startServerEncryption();
        return;
    }
    // Plain text on the TLS port (an http:// or ws:// URL for an https:// server): answer in
    // plain text, so the mistake shows as a readable error instead of a reset connection.
    socket->disconnect(this);
    connect(socket, &QAbstractSocket::disconnected, socket, &QObject::deleteLater);
    socket->readAll();
    static const QByteArray body =
        R"({"message":"This port serves HTTPS and WSS only: use https:// or wss://."})";
    socket->write("HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n"
                  "Content-Length: " +
                  QByteArray::number(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
    socket->disconnectFromHost();
}

} // namespace flippdeal::server
