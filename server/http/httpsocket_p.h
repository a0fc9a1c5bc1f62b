// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QObject>
#include <QTimer>

#include <deque>

class QSslConfiguration;
class QSslSocket;
class QTcpSocket;

namespace flippdeal::server {

class ReadySet;

//! \brief The byte stream under one HTTP connection, read only when the connection asks for
//! more, so a client that sends faster than it is answered is held back by TCP itself.
//!
//! A plain connection is its non-blocking descriptor in the server's ReadySet (which reports
//! ready connections in the order their bytes arrived), not a QTcpSocket: Qt closes a
//! QTcpSocket as soon as the client shuts down its sending side, and throws away the answers
//! still to be written. Here the end of the input is only a fact to
//! read (atEnd()); answers still go out. A TLS connection is a QSslSocket that first completes
//! its handshake (ready()); plain text sent to the TLS port gets a plain-text 400.
class HttpSocket : public QObject
{
    Q_OBJECT

public:
    //! Takes over the accepted descriptor `fd` of a connection from `peer`, watched through
    //! `readySet` (which must outlive it); with `tls`, as a TLS server connection.
    HttpSocket(qintptr fd, const QHostAddress &peer, ReadySet &readySet,
               const QSslConfiguration *tls, QObject *parent = nullptr);
    ~HttpSocket() override;

    //! Whether the connection carries HTTP (plain at once, TLS after its handshake).
    bool isReady() const { return m_ready; }
    QHostAddress peerAddress() const { return m_peer; }

    //! Up to `max` bytes received. Empty when nothing is there, or atEnd() has become true.
    //! After each read, one readyRead() follows when more is there, in the order connections
    //! became ready; a caller that stops reading gets no more until it reads again.
    QByteArray read(qsizetype max);
    //! The client has finished sending (it closed or half-closed the connection).
    bool atEnd() const { return m_inputEnded; }
    //! Instead of reading on now: readyRead() follows when more is there, behind every other
    //! connection that became ready before it (arrival order). False if the caller should
    //! read now instead (TLS: decrypted input may already be waiting).
    bool waitForInput();

    //! Queues `bytes`; they are written as fast as the client takes them.
    void write(const QByteArray &bytes);
    //! Bytes written but not yet taken by the kernel (TLS: by the QSslSocket's encryption too).
    qint64 bytesToWrite() const;

    //! Sends what is queued, then closes (plain: FIN, then what the client still sends is read
    //! and dropped until it closes too, at most `maxDiscard` bytes, so an unread request does
    //! not turn the answer into a reset). Whatever is not done after `deadlineMs` is aborted.
    void close(int deadlineMs, qint64 maxDiscard);
    //! Drops the connection now (with a reset), unsent output included.
    void abort();
    bool isClosing() const { return m_closing; }

    //! Gives the connection away as a QTcpSocket (the caller owns it; plain: a new QTcpSocket
    //! on the descriptor; TLS: the QSslSocket), for the WebSocket upgrade. Call with nothing
    //! queued. This object is inert afterwards. Null if the descriptor could not be wrapped.
    QTcpSocket *release();

    //! Time a new TLS connection has to complete its handshake.
    static constexpr int HandshakeTimeoutMs = 10'000;

Q_SIGNALS:
    void ready();
    void readyRead();
    //! Some queued output went out.
    void bytesWritten();
    //! The connection is gone (emitted once, from the event loop).
    void closed();

private:
    void onEvents(quint32 events);
    void onReadable();
    void watchRead(bool on);
    void watchWrite(bool on);
    void flush();
    void discardInput();
    void shutdownWrite();
    void finish();
    void closeDescriptor(bool reset);
    void unwatch();
    void fail();
    void setupTls(qintptr fd, const QSslConfiguration &configuration);
    void onTlsFirstBytes();

    int m_fd = -1;
    ReadySet &m_readySet;
    bool m_watchRead = false;
    bool m_watchWrite = false;
    std::deque<QByteArray> m_output; // plain: not yet taken by the kernel
    qsizetype m_outputOffset = 0;
    qint64 m_queued = 0;
    QSslSocket *m_tls = nullptr;
    QHostAddress m_peer;
    QTimer m_deadline; // TLS handshake, then the close
    qint64 m_discardLeft = 0;
    bool m_ready = false;
    bool m_inputEnded = false;
    bool m_closing = false;
    bool m_writeShut = false;
    bool m_finished = false;
};

} // namespace flippdeal::server
