// SPDX-License-Identifier: MIT
#pragma once

#include "gateway/wsengine.h"

#include <QByteArray>
#include <QObject>

#include <memory>
#include <vector>

class QTcpSocket;

namespace flippdeal::server {

class WsIoThread;

//! What the event loop asks of an I/O thread, in order.
struct WsCommand
{
    enum class Kind : quint8
    {
        Adopt,
        Send,
        Close,
        Release
    };
    Kind kind = Kind::Send;
    WsPeer *peer = nullptr;
    QByteArray bytes; //!< Adopt: the greeting; Send: the frame; Close: the reason
    quint16 code = 0; //!< Close
};

//! What an I/O thread reports to the event loop, in the order it happened.
struct WsEvent
{
    enum class Kind : quint8
    {
        Text,
        Binary,
        Ping,
        Pong,
        Closed
    };
    Kind kind = Kind::Text;
    WsPeer *peer = nullptr;
    QByteArray payload; //!< Text, Ping
    quint16 code = 0;   //!< Closed
};

//! \brief The gateway's WebSocket transport: on the event loop, or on I/O threads of its own.
//!
//! With one I/O thread, the event loop's own WsEngine does everything, as it always did. With
//! N ≥ 2, each plain connection is handed to one of N threads (the one with the fewest), each a
//! WsEngine with its own epoll set and io_uring ring. Reading, frame decoding, writing and the
//! close handshake of its connections run there. The protocol (subscriptions, presence,
//! authorization, rate limits) stays on the event loop, which sees the same Listener calls in
//! the same order per connection. A broadcast is framed once: the same implicitly shared
//! QByteArray is queued for every subscriber on every thread.
//!
//! Commands (adopt, send, close, release) and events (text, ping, pong, closed) cross in
//! batches through one mutex-guarded queue per direction and thread. The event loop hands a
//! thread its pass's commands once, at the end of the pass, and wakes it only when its queue was
//! empty; an I/O thread does the same for its events. No lock is held across a system call.
//! TLS connections stay on the event loop's engine (their QSslSocket lives there).
//!
//! Lifetime: a peer on an I/O thread is created by the event loop, owned by its thread while
//! open, and deleted by that thread when the event loop releases it after the Closed event, so
//! a pointer the event loop holds stays valid until it lets go.
class WsTransport : public QObject
{
    Q_OBJECT

public:
    //! `ioThreads` ≤ 1: everything on the event loop.
    WsTransport(WsEngine::Listener &listener, qsizetype maxMessageBytes, bool batchSends,
                int ioThreads, QObject *parent = nullptr);
    ~WsTransport() override;

    bool isValid() const { return m_local.isValid(); }
    //! As WsEngine::adopt: the connection moves to an I/O thread (plain) or to the event loop's
    //! engine (TLS, or no I/O threads).
    WsPeer *adopt(QTcpSocket *socket, const QByteArray &greeting, const QByteArray &pending = {});
    void send(WsPeer *peer, const QByteArray &frame);
    void close(WsPeer *peer, quint16 code, QByteArrayView reason);

    //! 1 when the event loop does the WebSocket I/O itself.
    int ioThreadCount() const;
    //! Sends and their system calls, on every thread (see BatchSender).
    quint64 sends() const;
    quint64 systemCalls() const;
    bool isBatching() const { return m_local.sender().isBatching(); }
    //! Times an I/O thread stopped reading because the event loop had not yet handled
    //! MaxEventBytes of what it had read.
    quint64 readPauses() const;
    //! What the I/O threads hold for the event loop right now (at most about MaxEventBytes
    //! each, plus the message that crossed it).
    qint64 eventBacklogBytes() const;

    //! Received messages (and pings) an I/O thread holds for the event loop before it stops
    //! reading: the bound on what a flood of input costs while the event loop is busy.
    static constexpr qint64 MaxEventBytes = 4 * 1024 * 1024;

private:
    Q_INVOKABLE void takeEvents();
    void deliver(size_t thread, const WsEvent &event);
    void queueCommand(size_t thread, WsCommand command);
    void handOff();

    WsEngine::Listener &m_listener;
    WsEngine m_local;
    std::vector<std::unique_ptr<WsIoThread>> m_threads;
    std::vector<std::vector<WsCommand>> m_pending; //!< per thread, this pass's commands
    std::vector<int> m_peerCounts;                 //!< per thread, its open peers
    std::vector<WsEvent> m_events;                 //!< reused between takeEvents() calls
    bool m_handOffScheduled = false;
};

} // namespace flippdeal::server
