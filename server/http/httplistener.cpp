// SPDX-License-Identifier: MIT
#include "http/httplistener.h"

#include "core/logging.h"

#include <unistd.h>

namespace flippdeal::server {

HttpListener::HttpListener(QObject *parent)
    : QTcpServer(parent)
{
    m_retry.setSingleShot(true);
    connect(&m_retry, &QTimer::timeout, this, [this] {
        if (isListening())
            resumeAccepting();
    });
    connect(this, &QTcpServer::acceptError, this, &HttpListener::onAcceptError);
}

void HttpListener::incomingConnection(qintptr handle)
{
    if (m_warned) {
        qCInfo(lcHttp) << "accepting connections again";
        m_warned = false;
    }
    if (m_handler)
        m_handler(handle);
    else
        ::close(int(handle));
}

void HttpListener::onAcceptError(QAbstractSocket::SocketError error)
{
    // Qt has paused accepting (the listening socket's notifier is off).
    if (error == QAbstractSocket::SocketResourceError) {
        ++m_resourcePauses;
        if (!m_warned) {
            qCWarning(lcHttp).noquote()
                << "cannot accept connections:" << errorString()
                << "(out of file descriptors?); retrying every" << AcceptRetryMs << "ms";
            m_warned = true;
        }
        m_retry.start(AcceptRetryMs);
        return;
    }
    m_retry.start(0);
}

} // namespace flippdeal::server
