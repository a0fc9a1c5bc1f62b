// SPDX-License-Identifier: MIT
#include "gateway/wsengine.h"

#include "core/gatheredwrite.h"
#include "core/logging.h"

#include "protocol/timeformat.h"

#include <QSocketNotifier>
#include <QSslSocket>
#include <QTcpSocket>

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
constexpr int MaxEventsPerWake = 512;
constexpr qsizetype ReadChunk = 64 * 1024;
constexpr qsizetype MaxReadPerWake = 256 * 1024; // fairness between busy clients
constexpr int CloseTimeoutMs = 2000;
} // namespace

WsEngine::WsEngine(Listener &listener, qsizetype maxMessageBytes, bool batchSends, QObject *parent)
    : QObject(parent)
    , m_listener(listener)
    , m_maxMessageBytes(maxMessageBytes)
    , m_sender(batchSends)
{
    if (batchSends && !m_sender.isBatching())
        qCInfo(lcGateway) << "io_uring is not available (" << m_sender.unavailableReason()
                          << "): each WebSocket send is its own system call";
    m_epoll = ::epoll_create1(EPOLL_CLOEXEC);
    if (m_epoll < 0) {
        qCCritical(lcGateway) << "epoll_create1 failed:" << strerror(errno);
        return;
    }
    m_notifier = new QSocketNotifier(m_epoll, QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &WsEngine::onReadable);
    m_deadlineTimer.setInterval(500);
    connect(&m_deadlineTimer, &QTimer::timeout, this, &WsEngine::sweepDeadlines);
}

WsEngine::~WsEngine()
{
    for (WsPeer *peer : m_peers) {
        if (peer->fd >= 0)
            ::close(peer->fd);
        if (peer->tls) {
            peer->tls->disconnect(this);
            delete peer->tls;
        }
        delete peer;
    }
    if (m_epoll >= 0)
        ::close(m_epoll);
}

WsPeer *WsEngine::adopt(QTcpSocket *socket, const QByteArray &greeting, const QByteArray &pending)
{
    if (auto *tls = qobject_cast<QSslSocket *>(socket); tls && tls->isEncrypted())
        return adoptTls(tls, greeting, pending);
    auto *peer = new WsPeer;
    peer->input = pending;
    peer->fd = takeDescriptor(socket, peer->input);
    if (peer->fd < 0) {
        delete peer;
        return nullptr;
    }
    adopt(peer, greeting);
    return peer;
}

int WsEngine::takeDescriptor(QTcpSocket *socket, QByteArray &input)
{
    // A duplicate descriptor keeps the connection open while the QTcpSocket lets go of its own
    // (abort() closes the descriptor without a FIN or RST).
    input += socket->readAll();
    const int fd = ::dup(int(socket->socketDescriptor()));
    socket->abort();
    socket->deleteLater();
    if (fd < 0)
        qCWarning(lcGateway) << "dup() failed; dropping a WebSocket upgrade";
    return fd;
}

WsPeer *WsEngine::adoptTls(QSslSocket *socket, const QByteArray &greeting,
                           const QByteArray &pending)
{
    auto *peer = new WsPeer;
    peer->tls = socket;
    peer->input = pending + socket->readAll();
    socket->setParent(this);
    socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    // All with the engine as context: releaseTls() ends them with one disconnect(this).
    connect(socket, &QIODevice::readyRead, this, [this, peer] { readTls(peer); });
    connect(socket, &QSslSocket::encryptedBytesWritten, this, [this, peer] {
        if (!peer->closed)
            writeTls(peer); // room again: feed more, and count what the socket still holds
    });
    const auto gone = [this, peer] {
        finish(peer, peer->closing ? peer->closeCode : quint16(ws::Abnormal));
    };
    connect(socket, &QAbstractSocket::disconnected, this, gone);
    connect(socket, &QAbstractSocket::errorOccurred, this, gone);
    m_peers.insert(peer);
    queue(peer, greeting);
    if (!peer->input.isEmpty()) // frames sent right behind the upgrade request
        QMetaObject::invokeMethod(
            this, [this, peer] { readTls(peer); }, Qt::QueuedConnection);
    return peer;
}

void WsEngine::adopt(WsPeer *peer, const QByteArray &greeting)
{
    const int fd = peer->fd;
    const int flags = ::fcntl(fd, F_GETFL);
    ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

    m_peers.insert(peer);
    epoll_event event{};
    event.events = EPOLLIN | EPOLLRDHUP;
    event.data.ptr = peer;
    if (::epoll_ctl(m_epoll, EPOLL_CTL_ADD, fd, &event) != 0) {
        qCWarning(lcGateway) << "epoll_ctl ADD failed:" << strerror(errno);
        ::close(fd);
        peer->fd = -1;
        peer->closed = true;
        reportClosed(peer, ws::Abnormal);
        return;
    }
    queue(peer, greeting);
    // Frames sent right behind the upgrade request: epoll will not report them again. Decoded
    // from the event loop, once the listener has set the peer up.
    if (!peer->input.isEmpty())
        QMetaObject::invokeMethod(
            this,
            [this, peer] {
                if (!peer->closed)
                    decode(peer);
            },
            Qt::QueuedConnection);
}

void WsEngine::send(WsPeer *peer, const QByteArray &frame, bool counted)
{
    if (peer->closed)
        return; // its count no longer matters: the listener hears of the close next
    if (peer->closing) {
        if (counted)
            peer->queuedBytes -= frame.size();
        return;
    }
    queue(peer, frame, counted);
}

void WsEngine::queue(WsPeer *peer, const QByteArray &bytes, bool counted)
{
    peer->output.push_back(bytes); // shares the buffer, no copy
    if (!counted)
        peer->queuedBytes += bytes.size();
    if (!peer->dirty) {
        peer->dirty = true;
        m_dirty.push_back(peer);
        scheduleFlush();
    }
}

void WsEngine::close(WsPeer *peer, quint16 code, QByteArrayView reason)
{
    if (peer->closing || peer->closed)
        return;
    queue(peer, ws::encodeClose(code, reason));
    peer->closing = true;
    peer->closeCode = code;
    peer->closeDeadlineMs = protocol::nowMs() + CloseTimeoutMs;
    if (!m_deadlineTimer.isActive())
        m_deadlineTimer.start();
}

void WsEngine::scheduleFlush()
{
    if (m_flushScheduled)
        return;
    m_flushScheduled = true;
    QMetaObject::invokeMethod(this, &WsEngine::flush, Qt::QueuedConnection);
}

void WsEngine::flush()
{
    m_flushScheduled = false;
    std::vector<WsPeer *> dirty;
    dirty.swap(m_dirty);
    // The plain connections' sends go to the kernel together (one system call with io_uring).
    std::vector<BatchSender::Send> sends;
    std::vector<WsPeer *> senders;
    sends.reserve(dirty.size());
    senders.reserve(dirty.size());
    for (WsPeer *peer : dirty) {
        peer->dirty = false;
        if (peer->closed || peer->wantWrite)
            continue;
        if (peer->tls) {
            writeTls(peer);
            continue;
        }
        sends.push_back({peer->fd, &peer->output, peer->outputOffset});
        senders.push_back(peer);
    }
    m_sender.sendAll(sends);
    for (size_t i = 0; i < sends.size(); ++i) {
        if (wrote(senders[i], sends[i].written, sends[i].error))
            writeOut(senders[i]); // the rest, if the kernel took only part (or closing)
    }
}

bool WsEngine::wrote(WsPeer *peer, ssize_t written, int error)
{
    if (written < 0) {
        if (error == EINTR)
            return true;
        if (error == EAGAIN || error == EWOULDBLOCK)
            setWantWrite(peer, true);
        else
            finish(peer, ws::Abnormal); // the client is gone
        return false;
    }
    peer->queuedBytes -= written;
    GatheredOutput::consume(peer->output, peer->outputOffset, written);
    return true;
}

void WsEngine::writeOut(WsPeer *peer)
{
    while (!peer->output.empty()) {
        const ssize_t written = GatheredOutput::send(peer->fd, peer->output, peer->outputOffset);
        if (!wrote(peer, written, written < 0 ? errno : 0))
            return;
    }
    setWantWrite(peer, false);
    if (peer->closing)
        ::shutdown(peer->fd, SHUT_WR); // close frame is out; wait for the client's answer or EOF
}

void WsEngine::setWantWrite(WsPeer *peer, bool want)
{
    if (peer->wantWrite == want || peer->closed)
        return;
    peer->wantWrite = want;
    epoll_event event{};
    event.events = EPOLLIN | EPOLLRDHUP | (want ? uint32_t(EPOLLOUT) : 0u);
    event.data.ptr = peer;
    ::epoll_ctl(m_epoll, EPOLL_CTL_MOD, peer->fd, &event);
}

void WsEngine::pauseReading(bool paused)
{
    m_readingPaused = paused;
    // Level-triggered: what is ready now is reported again once the notifier is back.
    m_notifier->setEnabled(!paused);
    if (paused)
        return;
    // Frames already read when the pause came: decoded now, since epoll will not say so.
    std::vector<WsPeer *> halted;
    halted.swap(m_halted);
    for (WsPeer *peer : halted) {
        peer->halted = false;
        if (!peer->closed && !m_readingPaused)
            decode(peer);
    }
}

void WsEngine::onReadable()
{
    epoll_event events[MaxEventsPerWake];
    const int ready = ::epoll_wait(m_epoll, events, MaxEventsPerWake, 0);
    for (int i = 0; i < ready && !m_readingPaused; ++i) {
        auto *peer = static_cast<WsPeer *>(events[i].data.ptr);
        if (peer->closed)
            continue;
        if (events[i].events & EPOLLOUT)
            writeOut(peer);
        if (!peer->closed && (events[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
            readFrom(peer);
    }
}

void WsEngine::readFrom(WsPeer *peer)
{
    // Read into one buffer shared by all peers and keep only what is received: an idle
    // connection then holds no read buffer at all.
    static thread_local QByteArray buffer(ReadChunk, Qt::Uninitialized);
    qsizetype total = 0;
    bool eof = false;
    while (total < MaxReadPerWake) {
        const ssize_t got = ::read(peer->fd, buffer.data(), size_t(ReadChunk));
        if (got <= 0) {
            if (got == 0) {
                eof = true;
            } else if (errno == EINTR) {
                continue;
            } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
                eof = true;
            }
            break;
        }
        peer->input.append(buffer.constData(), got);
        total += got;
    }
    decode(peer);
    if (eof && !peer->closed)
        finish(peer, peer->closing ? peer->closeCode : quint16(ws::Abnormal));
}

void WsEngine::decode(WsPeer *peer)
{
    qsizetype offset = 0;
    while (!peer->closed) {
        if (m_readingPaused) { // the listener is full: the rest waits for pauseReading(false)
            if (!std::exchange(peer->halted, true))
                m_halted.push_back(peer);
            break;
        }
        ws::ParseResult parsed =
            ws::parse(QByteArrayView(peer->input).sliced(offset), m_maxMessageBytes);
        if (parsed.status == ws::ParseResult::Status::NeedMore)
            break;
        if (parsed.status == ws::ParseResult::Status::Error) {
            peer->input.clear();
            offset = 0;
            close(peer, parsed.errorCode, parsed.errorReason);
            break;
        }
        offset += parsed.frame.consumed;
        handleFrame(peer, parsed.frame);
    }
    if (offset >= peer->input.size())
        peer->input = QByteArray(); // release the capacity too
    else if (offset > 0)
        peer->input.remove(0, offset);
}

void WsEngine::readTls(WsPeer *peer)
{
    if (peer->closed)
        return;
    peer->input.append(peer->tls->readAll()); // already decrypted
    decode(peer);
}

void WsEngine::writeTls(WsPeer *peer)
{
    QSslSocket *socket = peer->tls;
    const auto buffered = [socket] {
        return socket->bytesToWrite() + socket->encryptedBytesToWrite();
    };
    // Feed the socket only while it holds little, so the rest of the output stays as shared
    // frames in the queue (and a client that stops reading shows in queuedBytes).
    while (!peer->output.empty() && buffered() < TlsBufferBytes) {
        const QByteArray &front = peer->output.front();
        const qint64 size = front.size() - peer->outputOffset;
        if (socket->write(front.constData() + peer->outputOffset, size) != size) {
            finish(peer, ws::Abnormal);
            return;
        }
        peer->queuedBytes -= size;
        peer->output.pop_front();
        peer->outputOffset = 0;
    }
    const qint64 now = buffered();
    peer->queuedBytes += now - peer->tlsBuffered;
    peer->tlsBuffered = now;
    // Our answer to the client's close frame is in the socket: close it, as the server
    // should. (A close we started waits for the client's answer, or the deadline.)
    if (peer->closing && peer->closeReceived && peer->output.empty())
        finish(peer, peer->closeCode);
}

void WsEngine::releaseTls(WsPeer *peer)
{
    QSslSocket *socket = std::exchange(peer->tls, nullptr);
    socket->disconnect(this);
    if (socket->state() == QAbstractSocket::UnconnectedState) {
        socket->deleteLater();
        return;
    }
    if (!peer->output.empty()) { // given up on (slow consumer, deadline): drop what is unsent
        socket->abort();
        socket->deleteLater();
        return;
    }
    // Everything is in the socket: let it go out, followed by the TLS close_notify.
    connect(socket, &QAbstractSocket::disconnected, socket, &QObject::deleteLater);
    QTimer::singleShot(CloseTimeoutMs, socket, [socket] {
        socket->abort();
        socket->deleteLater();
    });
    socket->disconnectFromHost();
}

void WsEngine::handleFrame(WsPeer *peer, ws::Frame &frame)
{
    if (peer->closing && frame.opcode != ws::Opcode::Close)
        return; // after our close frame, only the answer matters
    switch (frame.opcode) {
    case ws::Opcode::Ping:
        m_listener.pingReceived(peer, frame.payload);
        return;
    case ws::Opcode::Pong:
        m_listener.pongReceived(peer);
        return;
    case ws::Opcode::Close:
        handleClose(peer, frame);
        return;
    case ws::Opcode::Text:
    case ws::Opcode::Binary:
        if (peer->messageOpen) {
            close(peer, ws::ProtocolError, "expected a continuation frame");
            return;
        }
        if (frame.fin) {
            deliver(peer, frame.opcode, frame.payload);
            return;
        }
        peer->messageOpen = true;
        peer->messageOpcode = frame.opcode;
        peer->message = std::move(frame.payload);
        return;
    case ws::Opcode::Continuation:
        handleContinuation(peer, frame);
        return;
    }
}

void WsEngine::handleClose(WsPeer *peer, const ws::Frame &frame)
{
    if (peer->closing) { // the answer to ours
        finish(peer, peer->closeCode);
        return;
    }
    const ws::ClosePayload received = ws::parseClosePayload(frame.payload);
    peer->closeReceived = true;
    if (!received.valid) {
        close(peer, ws::ProtocolError, received.error);
        return;
    }
    // Echo the code (an empty close gets an empty one: 1005 never goes on the wire), then the
    // socket goes once it is out.
    close(peer, received.code, {});
}

void WsEngine::handleContinuation(WsPeer *peer, const ws::Frame &frame)
{
    if (!peer->messageOpen) {
        close(peer, ws::ProtocolError, "continuation without a message");
        return;
    }
    if (peer->message.size() + frame.payload.size() > m_maxMessageBytes) {
        close(peer, ws::TooBig, "message too big");
        return;
    }
    peer->message += frame.payload;
    if (!frame.fin)
        return;
    peer->messageOpen = false;
    deliver(peer, peer->messageOpcode, std::exchange(peer->message, QByteArray()));
}

void WsEngine::deliver(WsPeer *peer, ws::Opcode opcode, const QByteArray &message)
{
    if (opcode == ws::Opcode::Binary)
        m_listener.binaryReceived(peer);
    else if (!ws::isValidUtf8(message))
        close(peer, ws::InvalidPayload, "text message is not UTF-8");
    else
        m_listener.textReceived(peer, message);
}

void WsEngine::finish(WsPeer *peer, quint16 code)
{
    if (peer->closed)
        return;
    peer->closed = true;
    if (peer->tls) {
        releaseTls(peer);
    } else {
        ::epoll_ctl(m_epoll, EPOLL_CTL_DEL, peer->fd, nullptr);
        ::close(peer->fd);
        peer->fd = -1;
    }
    peer->output.clear();
    peer->queuedBytes = 0;
    reportClosed(peer, code);
}

void WsEngine::reportClosed(WsPeer *peer, quint16 code)
{
    // Reported from the event loop, never from inside send()/close(), so the gateway can
    // iterate its subscriber sets while closing connections.
    QMetaObject::invokeMethod(
        this,
        [this, peer, code] {
            m_peers.erase(peer);
            if (peer->halted)
                std::erase(m_halted, peer);
            m_listener.peerClosed(peer, code);
            if (m_deletesClosedPeers)
                delete peer;
        },
        Qt::QueuedConnection);
}

void WsEngine::sweepDeadlines()
{
    const qint64 now = protocol::nowMs();
    bool anyClosing = false;
    const std::vector<WsPeer *> peers(m_peers.begin(), m_peers.end());
    for (WsPeer *peer : peers) {
        if (!peer->closing || peer->closed)
            continue;
        if (now >= peer->closeDeadlineMs)
            finish(peer, peer->closeCode);
        else
            anyClosing = true;
    }
    if (!anyClosing)
        m_deadlineTimer.stop();
}

} // namespace flippdeal::server
