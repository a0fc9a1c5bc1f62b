// SPDX-License-Identifier: MIT
#include "http/httplistener.h"

#include "core/logging.h"

#include <QSocketNotifier>

#include <cerrno>
#include <cstring>
#include <sys/socket.h>
#include <unistd.h>

namespace flippdeal::server {

namespace {
// Accepted per wake-up, so a connection storm does not starve the connections already open.
constexpr int MaxAcceptsPerWake = 64;
} // namespace

HttpListener::HttpListener(QObject *parent)
    : QObject(parent)
{
    m_retry.setSingleShot(true);
    connect(&m_retry, &QTimer::timeout, this, [this] {
        if (m_notifier)
            m_notifier->setEnabled(true);
    });
}

HttpListener::~HttpListener()
{
    close();
}

bool HttpListener::listen(const QHostAddress &address, quint16 port, int backlog)
{
    m_server.setListenBacklogSize(backlog);
    if (!m_server.listen(address, port))
        return false;
    m_server.pauseAccepting(); // its notifier stays off: ours accepts
    m_notifier = new QSocketNotifier(m_server.socketDescriptor(), QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &HttpListener::acceptPending);
    return true;
}

void HttpListener::close()
{
    m_retry.stop();
    delete std::exchange(m_notifier, nullptr); // before the descriptor goes
    m_server.close();
}

void HttpListener::acceptPending()
{
    const int listening = int(m_server.socketDescriptor());
    for (int i = 0; i < MaxAcceptsPerWake && m_notifier; ++i) {
        const int fd = ::accept4(listening, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd >= 0) {
            if (m_warned) {
                qCInfo(lcHttp) << "accepting connections again";
                m_warned = false;
            }
            if (m_handler)
                m_handler(fd);
            else
                ::close(fd);
            continue;
        }
        switch (errno) {
        case EINTR:
        case ECONNABORTED: // the client gave up before it was accepted
        case EPROTO:
            continue;
        case EAGAIN:
#if EWOULDBLOCK != EAGAIN
        case EWOULDBLOCK:
#endif
            return;
        case EMFILE:
        case ENFILE:
        case ENOBUFS:
        case ENOMEM:
            ++m_resourcePauses;
            if (!m_warned) {
                qCWarning(lcHttp).noquote()
                    << "cannot accept connections:" << QString::fromLocal8Bit(strerror(errno))
                    << "(out of file descriptors or memory); retrying every" << AcceptRetryMs
                    << "ms";
                m_warned = true;
            }
            break;
        default: // unexpected: pause all the same rather than risk a busy loop
            qCWarning(lcHttp).noquote()
                << "accept failed:" << QString::fromLocal8Bit(strerror(errno));
            break;
        }
        m_notifier->setEnabled(false);
        m_retry.start(AcceptRetryMs);
        return;
    }
}

} // namespace flippdeal::server
