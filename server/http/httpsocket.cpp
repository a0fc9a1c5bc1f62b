// SPDX-License-Identifier: MIT
#include "http/httpsocket_p.h"

#include "core/gatheredwrite.h"
#include "core/logging.h"
#include "http/readyset.h"

#include <QSslSocket>

#include <cerrno>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

namespace flippdeal::server {

namespace {
constexpr qsizetype ScratchBytes = 64 * 1024;
// Decrypted input a TLS connection may hold before its QSslSocket stops reading.
constexpr qint64 TlsReadBufferBytes = 64 * 1024;

char *scratch()
{
    static thread_local char buffer[ScratchBytes];
    return buffer;
}
} // namespace

HttpSocket::HttpSocket(qintptr fd, const QHostAddress &peer, ReadySet &readySet,
                       const QSslConfiguration *tls, QObject *parent)
    : QObject(parent)
    , m_readySet(readySet)
    , m_peer(peer)
{
    m_deadline.setSingleShot(true);
    connect(&m_deadline, &QTimer::timeout, this, [this] {
        if (!m_ready && m_tls)
            qCDebug(lcHttp).noquote() << "TLS handshake timed out for" << m_peer.toString();
        abort();
    });
    if (tls) {
        setupTls(fd, *tls);
        return;
    }
    m_fd = int(fd);
    ::fcntl(m_fd, F_SETFL, ::fcntl(m_fd, F_GETFL) | O_NONBLOCK);
    const int one = 1; // answers are written whole: no reason to wait for more
    ::setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (!m_readySet.add(m_fd, [this](quint32 events) { onEvents(events); })) {
        qCWarning(lcHttp) << "cannot watch an accepted connection:" << strerror(errno);
        fail();
        return;
    }
    watchRead(true);
    m_ready = true;
}

HttpSocket::~HttpSocket()
{
    closeDescriptor(false);
}

void HttpSocket::setupTls(qintptr fd, const QSslConfiguration &configuration)
{
    m_tls = new QSslSocket(this);
    if (!m_tls->setSocketDescriptor(fd)) {
        qCWarning(lcHttp) << "cannot take over an accepted connection:" << m_tls->errorString();
        ::close(int(fd));
        fail();
        return;
    }
    m_tls->setSslConfiguration(configuration);
    m_tls->setReadBufferSize(TlsReadBufferBytes);
    m_deadline.start(HandshakeTimeoutMs);
    connect(m_tls, &QIODevice::readyRead, this, [this] {
        if (m_closing)
            discardInput();
        else if (!m_ready)
            onTlsFirstBytes();
        else
            Q_EMIT readyRead();
    });
    connect(m_tls, &QSslSocket::encrypted, this, [this] {
        m_deadline.stop();
        m_ready = true;
        Q_EMIT ready();
        if (m_tls && m_tls->bytesAvailable() > 0) // decrypted along with the handshake's end
            Q_EMIT readyRead();
    });
    connect(m_tls, &QSslSocket::encryptedBytesWritten, this, [this] { Q_EMIT bytesWritten(); });
    connect(m_tls, &QAbstractSocket::disconnected, this, [this] {
        m_inputEnded = true;
        finish();
    });
    connect(m_tls, &QAbstractSocket::errorOccurred, this, [this](QAbstractSocket::SocketError e) {
        if (!m_ready) // typically a client refusing our certificate, or not speaking TLS
            qCDebug(lcHttp).noquote()
                << "TLS handshake with" << m_peer.toString() << "failed:" << m_tls->errorString();
        if (e == QAbstractSocket::RemoteHostClosedError)
            m_inputEnded = true; // (Qt closes a TLS connection the client half-closes)
        else
            abort();
    });
}

void HttpSocket::onTlsFirstBytes()
{
    if (m_tls->mode() != QSslSocket::UnencryptedMode)
        return; // the handshake is under way
    char first = 0;
    if (m_tls->peek(&first, 1) != 1)
        return;
    if (first == 0x16) { // a TLS handshake record: the ClientHello
        m_tls->startServerEncryption();
        return;
    }
    // Plain text on the TLS port (an http:// or ws:// URL for an https:// server): answer in
    // plain text, so the mistake shows as a readable error instead of a reset connection.
    static const QByteArray body =
        R"({"message":"This port serves HTTPS and WSS only: use https:// or wss://."})";
    m_tls->write("HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n"
                 "Content-Length: " +
                 QByteArray::number(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
    close(HandshakeTimeoutMs, 64 * 1024);
}

QByteArray HttpSocket::read(qsizetype max)
{
    if (!m_ready || m_closing || m_inputEnded)
        return {};
    if (m_tls)
        return m_tls->read(max);
    if (m_fd < 0)
        return {};
    max = std::min(max, ScratchBytes);
    for (;;) {
        const ssize_t got = ::read(m_fd, scratch(), size_t(max));
        if (got > 0) {
            // Watched again at once: what the client sends next is queued behind what other
            // connections sent before it, and not behind what they send while this is served.
            watchRead(true);
            return QByteArray(scratch(), got);
        }
        if (got == 0) {
            m_inputEnded = true;
            return {};
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            watchRead(true);
            return {};
        }
        m_inputEnded = true; // reset by the client
        fail();
        return {};
    }
}

bool HttpSocket::waitForInput()
{
    if (m_tls || m_fd < 0 || m_closing || m_inputEnded)
        return false;
    watchRead(true);
    return true;
}

void HttpSocket::watchRead(bool on)
{
    m_watchRead = on;
    m_readySet.watch(m_fd, ReadySet::eventsFor(m_watchRead, m_watchWrite));
}

void HttpSocket::watchWrite(bool on)
{
    m_watchWrite = on;
    m_readySet.watch(m_fd, ReadySet::eventsFor(m_watchRead, m_watchWrite));
}

void HttpSocket::onEvents(quint32 events)
{
    const bool failed = events & (EPOLLHUP | EPOLLERR);
    if (m_watchWrite && (events & EPOLLOUT || failed))
        flush();
    if (m_fd >= 0 && m_watchRead && (events & EPOLLIN || failed))
        onReadable();
}

void HttpSocket::onReadable()
{
    // Quiet until the reader has taken what is there (read() watches again on EAGAIN).
    watchRead(false);
    if (m_closing)
        discardInput();
    else
        Q_EMIT readyRead();
}

void HttpSocket::write(const QByteArray &bytes)
{
    if (bytes.isEmpty() || m_writeShut)
        return;
    if (m_tls) {
        m_tls->write(bytes);
        return;
    }
    if (m_fd < 0)
        return;
    m_output.push_back(bytes);
    m_queued += bytes.size();
    if (!m_watchWrite)
        flush();
}

qint64 HttpSocket::bytesToWrite() const
{
    if (m_tls)
        return m_tls->bytesToWrite() + m_tls->encryptedBytesToWrite();
    return m_queued;
}

void HttpSocket::flush()
{
    const bool fromReadySet = m_watchWrite; // else from write()
    qint64 progress = 0;
    while (!m_output.empty()) {
        const ssize_t written = GatheredOutput::send(m_fd, m_output, m_outputOffset);
        if (written < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                watchWrite(true);
                if (fromReadySet && progress > 0)
                    Q_EMIT bytesWritten();
                return;
            }
            fail(); // the client is gone
            return;
        }
        progress += written;
        m_queued -= written;
        GatheredOutput::consume(m_output, m_outputOffset, written);
    }
    if (m_fd >= 0 && m_watchWrite)
        watchWrite(false);
    if (m_closing)
        shutdownWrite();
    // Only from the ready set: write() never calls back into its caller.
    if (fromReadySet && !m_finished)
        Q_EMIT bytesWritten();
}

void HttpSocket::close(int deadlineMs, qint64 maxDiscard)
{
    if (m_closing || m_finished)
        return;
    m_closing = true;
    m_discardLeft = maxDiscard;
    m_deadline.start(deadlineMs);
    if (m_tls) {
        m_tls->disconnectFromHost(); // after what is queued; a TLS close_notify, then FIN
        if (m_tls && m_tls->bytesAvailable() > 0)
            discardInput();
        return;
    }
    if (m_fd < 0)
        return;
    if (m_output.empty())
        shutdownWrite();
    if (!m_inputEnded && m_fd >= 0)
        watchRead(true); // read and drop until the client closes too
}

void HttpSocket::discardInput()
{
    if (m_tls) {
        while (m_tls->bytesAvailable() > 0 && m_discardLeft > 0) {
            const qint64 got = m_tls->read(scratch(), std::min(m_discardLeft, ScratchBytes));
            if (got <= 0)
                break;
            m_discardLeft -= got;
        }
        if (m_discardLeft <= 0)
            abort();
        return;
    }
    while (m_fd >= 0) {
        const ssize_t got =
            ::read(m_fd, scratch(), size_t(std::min<qint64>(ScratchBytes, m_discardLeft + 1)));
        if (got > 0) {
            m_discardLeft -= got;
            if (m_discardLeft < 0) { // more than we are willing to swallow
                abort();
                return;
            }
            continue;
        }
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            watchRead(true);
            return;
        }
        m_inputEnded = true; // EOF (or an error): the client is done
        if (m_writeShut || got < 0)
            finish();
        return;
    }
}

void HttpSocket::shutdownWrite()
{
    if (m_writeShut || m_fd < 0)
        return;
    m_writeShut = true;
    ::shutdown(m_fd, SHUT_WR);
    if (m_inputEnded)
        finish();
}

void HttpSocket::abort()
{
    if (m_finished)
        return;
    if (m_tls) {
        m_tls->abort();
        finish();
        return;
    }
    closeDescriptor(true);
    finish();
}

void HttpSocket::fail()
{
    closeDescriptor(true);
    finish();
}

void HttpSocket::finish()
{
    if (m_finished)
        return;
    m_finished = true;
    m_closing = true;
    m_deadline.stop();
    closeDescriptor(false);
    m_output.clear();
    m_queued = 0;
    QMetaObject::invokeMethod(this, &HttpSocket::closed, Qt::QueuedConnection);
}

void HttpSocket::closeDescriptor(bool reset)
{
    if (m_fd < 0)
        return;
    unwatch();   // first: the set must not outlive the descriptor's number
    if (reset) { // discard unsent data and answer with RST instead of lingering
        const linger immediately{1, 0};
        ::setsockopt(m_fd, SOL_SOCKET, SO_LINGER, &immediately, sizeof immediately);
    }
    ::close(std::exchange(m_fd, -1));
}

void HttpSocket::unwatch()
{
    m_readySet.remove(m_fd); // (safe inside its own handler)
    m_watchRead = m_watchWrite = false;
}

QTcpSocket *HttpSocket::release()
{
    m_deadline.stop();
    m_finished = true; // inert from here on: no closed()
    if (m_tls) {
        QSslSocket *socket = std::exchange(m_tls, nullptr);
        socket->disconnect(this);
        socket->setParent(nullptr);
        return socket;
    }
    if (m_fd < 0)
        return nullptr;
    unwatch();
    auto *socket = new QTcpSocket;
    if (!socket->setSocketDescriptor(m_fd)) {
        qCWarning(lcHttp) << "cannot wrap a connection for its upgrade:" << socket->errorString();
        delete socket;
        closeDescriptor(true);
        return nullptr;
    }
    m_fd = -1;
    return socket;
}

} // namespace flippdeal::server
