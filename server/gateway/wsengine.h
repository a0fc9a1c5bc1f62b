// SPDX-License-Identifier: MIT
#pragma once

#include "gateway/batchsender.h"
#include "gateway/wsframe.h"

#include <QByteArray>
#include <QObject>
#include <QTimer>

#include <atomic>
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
    int ioThread = -1;  //!< WsTransport: the I/O thread it lives on (-1: the event loop's engine)
    QByteArray input;   //!< received bytes not yet decoded
    QByteArray message; //!< fragments of a message being assembled
    ws::Opcode messageOpcode = ws::Opcode::Text;
    bool messageOpen = false;      //!< a fragmented message has started
    std::deque<QByteArray> output; //!< frames not yet accepted by the kernel (shared buffers)
    qsizetype outputOffset = 0;    //!< bytes of output.front() already written
    //! Unsent bytes in `output` (and in the QSslSocket), and on its way to an I/O thread: the
    //! gateway reads it on the event loop while the I/O thread writes.
    std::atomic<qint64> queuedBytes = 0;
    bool dirty = false;         //!< has output waiting for the next flush
    bool wantWrite = false;     //!< registered for EPOLLOUT
    bool closing = false;       //!< a close frame is queued; nothing else is sent
    bool closeReceived = false; //!< the client sent its close frame first
    bool closed = false;        //!< the socket is closed; the peer is deleted soon
    bool halted = false;        //!< input left undecoded by a pause (WsEngine::pauseReading)
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
    //! Takes over a plain connection's `peer` (its `fd` connected, its `input` what the client
    //! sent after the handshake) and queues `greeting`. If the descriptor cannot join the epoll
    //! set, the peer is closed (reported through peerClosed) like any other.
    void adopt(WsPeer *peer, const QByteArray &greeting);
    //! Takes a plain socket's descriptor away from Qt (a duplicate; the QTcpSocket lets go of
    //! its own and is deleted) and appends what Qt had already read to `input`. -1 on failure.
    static int takeDescriptor(QTcpSocket *socket, QByteArray &input);
    //! Queues a complete frame (see ws::encode); dropped once the peer is closing. `counted`:
    //! the bytes are already in queuedBytes (added by WsTransport when it forwarded the send).
    void send(WsPeer *peer, const QByteArray &frame, bool counted = false);
    //! Sends a close frame, then closes the socket once it is out (or after a deadline). A code
    //! that must not go on the wire (1005, 1006) is sent as a close frame without a payload.
    void close(WsPeer *peer, quint16 code, QByteArrayView reason);
    int peerCount() const { return static_cast<int>(m_peers.size()); }
    //! The sends' system calls and sends so far (fewer calls than sends: batching works).
    const BatchSender &sender() const { return m_sender; }
    //! Closed peers are no longer deleted after peerClosed(): the listener owns them from then
    //! on (an I/O thread's peers are deleted once the event loop has let go of them).
    void handOverClosedPeers() { m_deletesClosedPeers = false; }
    //! Stops reading (and writing out of turn) on every connection until called with false:
    //! an I/O thread whose events the event loop has not caught up with takes no more input.
    void pauseReading(bool paused);

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
    void queue(WsPeer *peer, const QByteArray &bytes, bool counted = false);
    void scheduleFlush();
    void flush();
    void writeOut(WsPeer *peer);
    //! Applies one send's result to the peer's queue: false when nothing more can be sent now
    //! (a full buffer: EPOLLOUT is watched; an error: the peer is finished).
    bool wrote(WsPeer *peer, ssize_t written, int error);
    void setWantWrite(WsPeer *peer, bool want);
    void finish(WsPeer *peer, quint16 code);
    //! Tells the listener, from the event loop, that `peer` is closed.
    void reportClosed(WsPeer *peer, quint16 code);
    void sweepDeadlines();

    Listener &m_listener;
    qsizetype m_maxMessageBytes;
    int m_epoll = -1;
    QSocketNotifier *m_notifier = nullptr;
    std::unordered_set<WsPeer *> m_peers;
    std::vector<WsPeer *> m_dirty;
    BatchSender m_sender;
    bool m_flushScheduled = false;
    bool m_deletesClosedPeers = true;
    bool m_readingPaused = false;
    std::vector<WsPeer *> m_halted; //!< peers with input left undecoded by the pause
    QTimer m_deadlineTimer;
};

} // namespace flippdeal::server
