// SPDX-License-Identifier: MIT
#pragma once

#include "gateway/batchsender.h"
#include "gateway/wsframe.h"

#include <QByteArray>
#include <QObject>
#include <QTimer>

#include <deque>
#include <unordered_set>

class QSocketNotifier;
class QSslSocket;
class QTcpSocket;

namespace flippdeal::server {

//! \brief One WebSocket connection, owned by the WsEngine: a raw non-blocking socket in the
//! epoll set (plain connections), or a QSslSocket (TLS connections; `fd` is then -1).
struct WsPeer
{
    int fd = -1;
    QSslSocket *tls = nullptr; //!< TLS connections: the socket that encrypts; null once closed
    qint64 tlsBuffered = 0;    //!< bytes the QSslSocket still holds (counted in queuedBytes)
    void *owner = nullptr;     //!< the gateway's record for this connection
    QByteArray input;          //!< received bytes not yet decoded
    QByteArray message;        //!< fragments of a message being assembled
    ws::Opcode messageOpcode = ws::Opcode::Text;
    bool messageOpen = false;      //!< a fragmented message has started
    std::deque<QByteArray> output; //!< frames not yet accepted by the kernel (shared buffers)
    qsizetype outputOffset = 0;    //!< bytes of output.front() already written
    qint64 queuedBytes = 0;        //!< unsent bytes in `output` (and in the QSslSocket)
    bool dirty = false;            //!< has output waiting for the next flush
    bool wantWrite = false;        //!< registered for EPOLLOUT
    bool closing = false;          //!< a close frame is queued; nothing else is sent
    bool closeReceived = false;    //!< the client sent its close frame first
    bool closed = false;           //!< the socket is closed; the peer is deleted soon
    qint64 closeDeadlineMs = 0;
    quint16 closeCode = ws::Abnormal;
};

//! \brief The gateway's WebSocket transport: every connection's socket in one epoll set,
//! watched by a single QSocketNotifier, so the event loop polls one descriptor however many
//! clients are connected.
//!
//! A frame is encoded once and the same implicitly shared QByteArray is queued on every
//! subscriber. Writes are deferred to the end of the current event-loop pass and then made
//! with one sendmsg() per connection, so a burst of events costs one send per client; with
//! io_uring (BatchSender) the pass's sends to every client are one system call.
//!
//! TLS connections cannot be driven through their descriptor (the bytes must go through the
//! encryption), so they stay on their QSslSocket: readyRead feeds the same frame decoder, and
//! the same output queue is written into the socket, at most TlsBufferBytes ahead of what the
//! kernel took. Everything above the transport (frames, close handshake, deadlines, the
//! queuedBytes the gateway checks against max-outbound) is shared, so the Listener cannot tell
//! the two kinds apart.
class WsEngine : public QObject
{
    Q_OBJECT

public:
    //! What the engine reports; calls never happen from inside send() or close().
    class Listener
    {
    public:
        virtual ~Listener() = default;
        virtual void textReceived(WsPeer *peer, const QByteArray &payload) = 0;
        virtual void binaryReceived(WsPeer *peer) = 0;
        //! A ping control frame: the listener answers it (a Pong frame through send()), so that
        //! pongs count against its output limits and pings against its rate limits.
        virtual void pingReceived(WsPeer *peer, const QByteArray &payload) = 0;
        virtual void pongReceived(WsPeer *peer) = 0;
        //! The connection is gone; `peer` is deleted right after this returns.
        virtual void peerClosed(WsPeer *peer, quint16 code) = 0;
    };

    //! `batchSends`: hand each loop pass's sends to the kernel at once through io_uring where
    //! the kernel allows it (see BatchSender).
    WsEngine(Listener &listener, qsizetype maxMessageBytes, bool batchSends,
             QObject *parent = nullptr);
    ~WsEngine() override;

    bool isValid() const { return m_epoll >= 0; }

    //! Takes over the connection of an upgrade request whose head has been read and queues
    //! `greeting` (the 101 response). A QTcpSocket gives up its descriptor to the epoll set (and
    //! is deleted); an encrypted QSslSocket is kept as the connection's transport. `pending`
    //! (bytes that came after the head) is decoded from the event loop, before anything else.
    WsPeer *adopt(QTcpSocket *socket, const QByteArray &greeting, const QByteArray &pending = {});
    //! Takes over `fd` (non-blocking, connected) and queues `greeting` (the 101 response).
    //! `initialInput` is anything the client sent after its handshake.
    WsPeer *adopt(int fd, const QByteArray &greeting, const QByteArray &initialInput);
    //! Queues a complete frame (see ws::encode); dropped once the peer is closing.
    void send(WsPeer *peer, const QByteArray &frame);
    //! Sends a close frame, then closes the socket once it is out (or after a deadline). A code
    //! that must not go on the wire (1005, 1006) is sent as a close frame without a payload.
    void close(WsPeer *peer, quint16 code, QByteArrayView reason);
    int peerCount() const { return static_cast<int>(m_peers.size()); }
    //! The sends' system calls and sends so far (fewer calls than sends: batching works).
    const BatchSender &sender() const { return m_sender; }

    //! Output a TLS connection's QSslSocket may hold before the engine stops feeding it.
    static constexpr qint64 TlsBufferBytes = 256 * 1024;

private:
    void onReadable();
    void readFrom(WsPeer *peer);
    void decode(WsPeer *peer);
    WsPeer *adoptTls(QSslSocket *socket, const QByteArray &greeting, const QByteArray &pending);
    void readTls(WsPeer *peer);
    void writeTls(WsPeer *peer);
    void releaseTls(WsPeer *peer);
    void handleFrame(WsPeer *peer, ws::Frame &frame);
    void handleClose(WsPeer *peer, const ws::Frame &frame);
    void handleContinuation(WsPeer *peer, const ws::Frame &frame);
    //! A whole message: text goes to the listener if it is UTF-8 (1007 otherwise).
    void deliver(WsPeer *peer, ws::Opcode opcode, const QByteArray &message);
    void queue(WsPeer *peer, const QByteArray &bytes);
    void scheduleFlush();
    void flush();
    void writeOut(WsPeer *peer);
    //! Applies one send's result to the peer's queue: false when nothing more can be sent now
    //! (a full buffer: EPOLLOUT is watched; an error: the peer is finished).
    bool wrote(WsPeer *peer, ssize_t written, int error);
    void setWantWrite(WsPeer *peer, bool want);
    void finish(WsPeer *peer, quint16 code);
    void sweepDeadlines();

    Listener &m_listener;
    qsizetype m_maxMessageBytes;
    int m_epoll = -1;
    QSocketNotifier *m_notifier = nullptr;
    std::unordered_set<WsPeer *> m_peers;
    std::vector<WsPeer *> m_dirty;
    BatchSender m_sender;
    bool m_flushScheduled = false;
    QTimer m_deadlineTimer;
};

} // namespace flippdeal::server
