// SPDX-License-Identifier: MIT
#include "gateway/wstransport.h"

#include "core/logging.h"

#include <QSslSocket>
#include <QThread>

#include <condition_variable>
#include <mutex>
#include <unordered_set>

#include <unistd.h>

namespace flippdeal::server {

//! \brief The part of an I/O thread that lives in it: its WsEngine, and the listener that turns
//! the engine's calls into events for the event loop.
class WsIoWorker : public QObject, private WsEngine::Listener
{
    Q_OBJECT

public:
    WsIoWorker(WsIoThread &thread, qsizetype maxMessageBytes, bool batchSends);
    ~WsIoWorker() override;

    const WsEngine &engine() const { return m_engine; }
    //! Runs what the event loop queued (invoked by name from the event loop).
    Q_INVOKABLE void takeCommands();
    //! The event loop has taken the events: read again (invoked by name).
    Q_INVOKABLE void resumeReading() { m_engine.pauseReading(false); }

private:
    void textReceived(WsPeer *peer, const QByteArray &payload) override;
    void binaryReceived(WsPeer *peer) override;
    void pingReceived(WsPeer *peer, const QByteArray &payload) override;
    void pongReceived(WsPeer *peer) override;
    void peerClosed(WsPeer *peer, quint16 code) override;
    void run(WsCommand &command);
    void report(WsEvent event);

    WsIoThread &m_thread;
    WsEngine m_engine;
    std::vector<WsCommand> m_commands;       //!< reused between takeCommands() calls
    std::unordered_set<WsPeer *> m_released; //!< closed, and not yet let go of by the event loop
};

//! \brief One I/O thread and the two queues between it and the event loop.
class WsIoThread final : public QThread
{
public:
    WsIoThread(WsTransport &transport, int index, qsizetype maxMessageBytes, bool batchSends)
        : m_transport(transport)
        , m_maxMessageBytes(maxMessageBytes)
        , m_batchSends(batchSends)
    {
        setObjectName(QStringLiteral("ws-io-%1").arg(index));
        start();
        std::unique_lock lock(m_mutex);
        m_changed.wait(lock, [this] { return m_worker != nullptr; });
    }

    ~WsIoThread() override
    {
        {
            // Everything the event loop did with this thread's peers happens before the
            // thread deletes them: seen through a lock ThreadSanitizer knows about (quit() and
            // wait() synchronize inside Qt, where it cannot see).
            const std::lock_guard lock(m_mutex);
            m_stopping = true;
        }
        quit();
        wait();
        // The thread's last writes, seen through a lock ThreadSanitizer knows about.
        const std::lock_guard lock(m_mutex);
    }

    //! Event loop: appends `commands` (left empty) to the thread's queue.
    void post(std::vector<WsCommand> &commands)
    {
        bool wake = false;
        {
            const std::lock_guard lock(m_mutex);
            if (m_commands.empty())
                m_commands.swap(commands);
            else
                std::move(commands.begin(), commands.end(), std::back_inserter(m_commands));
            wake = !std::exchange(m_commandsWakePosted, true);
        }
        commands.clear();
        if (wake) // by name: the call is made entirely by Qt, with nothing of ours in it
            QMetaObject::invokeMethod(m_worker, "takeCommands", Qt::QueuedConnection);
    }

    //! I/O thread: swaps the queued commands into `commands`.
    void takeCommands(std::vector<WsCommand> &commands)
    {
        const std::lock_guard lock(m_mutex);
        commands.swap(m_commands);
        m_commandsWakePosted = false;
    }

    //! I/O thread: queues an event for the event loop. False when the events waiting reach
    //! MaxEventBytes: the thread must stop reading until the event loop has taken them.
    bool report(WsEvent event)
    {
        bool wake = false;
        bool full = false;
        {
            const std::lock_guard lock(m_mutex);
            m_eventBytes += event.payload.size() + qint64(sizeof(WsEvent));
            m_events.push_back(std::move(event));
            wake = !std::exchange(m_eventsWakePosted, true);
            if (m_eventBytes >= WsTransport::MaxEventBytes && !m_readingPaused) {
                m_readingPaused = true;
                ++m_readPauses;
                full = true;
            }
        }
        if (wake)
            QMetaObject::invokeMethod(&m_transport, "takeEvents", Qt::QueuedConnection);
        return !full;
    }

    //! Event loop: swaps the reported events into `events`, and lets the thread read again.
    void takeEvents(std::vector<WsEvent> &events)
    {
        bool resume = false;
        {
            const std::lock_guard lock(m_mutex);
            events.swap(m_events);
            m_eventsWakePosted = false;
            m_eventBytes = 0;
            resume = std::exchange(m_readingPaused, false);
        }
        // Queued behind the pause, which the thread made before it reported being full.
        if (resume)
            QMetaObject::invokeMethod(m_worker, "resumeReading", Qt::QueuedConnection);
    }

    qint64 eventBytes()
    {
        const std::lock_guard lock(m_mutex);
        return m_eventBytes;
    }

    quint64 readPauses()
    {
        const std::lock_guard lock(m_mutex);
        return m_readPauses;
    }

    quint64 sends() const { return m_worker->engine().sender().sends(); }
    quint64 systemCalls() const { return m_worker->engine().sender().systemCalls(); }

protected:
    void run() override
    {
        {
            auto worker = std::make_unique<WsIoWorker>(*this, m_maxMessageBytes, m_batchSends);
            {
                const std::lock_guard lock(m_mutex);
                m_worker = worker.get();
            }
            m_changed.notify_all();
            exec();
            {
                const std::lock_guard lock(m_mutex);
                Q_ASSERT(m_stopping);
            }
            worker->takeCommands(); // releases and adoptions queued while stopping
        }                           // the engine closes what is still open
        const std::lock_guard lock(m_mutex);
    }

private:
    WsTransport &m_transport;
    qsizetype m_maxMessageBytes;
    bool m_batchSends;
    std::mutex m_mutex;
    std::condition_variable m_changed;
    WsIoWorker *m_worker = nullptr; // set once, before the constructor returns
    std::vector<WsCommand> m_commands;
    std::vector<WsEvent> m_events;
    bool m_commandsWakePosted = false;
    bool m_eventsWakePosted = false;
    bool m_stopping = false;
    qint64 m_eventBytes = 0; //!< in m_events
    bool m_readingPaused = false;
    quint64 m_readPauses = 0;
};

WsIoWorker::WsIoWorker(WsIoThread &thread, qsizetype maxMessageBytes, bool batchSends)
    : m_thread(thread)
    , m_engine(*this, maxMessageBytes, batchSends)
{
    m_engine.handOverClosedPeers();
}

WsIoWorker::~WsIoWorker()
{
    for (WsPeer *peer : m_released)
        delete peer;
}

void WsIoWorker::takeCommands()
{
    m_thread.takeCommands(m_commands);
    for (WsCommand &command : m_commands)
        run(command);
    m_commands.clear();
}

void WsIoWorker::run(WsCommand &command)
{
    WsPeer *peer = command.peer;
    switch (command.kind) {
    case WsCommand::Kind::Adopt:
        m_engine.adopt(peer, command.bytes);
        return;
    case WsCommand::Kind::Send:
        m_engine.send(peer, command.bytes, true);
        return;
    case WsCommand::Kind::Close:
        m_engine.close(peer, command.code, command.bytes);
        return;
    case WsCommand::Kind::Release:
        m_released.erase(peer);
        delete peer;
        return;
    }
}

void WsIoWorker::report(WsEvent event)
{
    if (!m_thread.report(std::move(event)))
        m_engine.pauseReading(true);
}

void WsIoWorker::textReceived(WsPeer *peer, const QByteArray &payload)
{
    report({WsEvent::Kind::Text, peer, payload, 0});
}

void WsIoWorker::binaryReceived(WsPeer *peer)
{
    report({WsEvent::Kind::Binary, peer, {}, 0});
}

void WsIoWorker::pingReceived(WsPeer *peer, const QByteArray &payload)
{
    report({WsEvent::Kind::Ping, peer, payload, 0});
}

void WsIoWorker::pongReceived(WsPeer *peer)
{
    report({WsEvent::Kind::Pong, peer, {}, 0});
}

void WsIoWorker::peerClosed(WsPeer *peer, quint16 code)
{
    m_released.insert(peer); // deleted when the event loop releases it
    report({WsEvent::Kind::Closed, peer, {}, code});
}

WsTransport::WsTransport(WsEngine::Listener &listener, qsizetype maxMessageBytes, bool batchSends,
                         int ioThreads, QObject *parent)
    : QObject(parent)
    , m_listener(listener)
    , m_local(listener, maxMessageBytes, batchSends)
{
    if (ioThreads <= 1)
        return;
    for (int i = 0; i < ioThreads; ++i)
        m_threads.push_back(std::make_unique<WsIoThread>(*this, i, maxMessageBytes, batchSends));
    m_pending.resize(m_threads.size());
    m_peerCounts.resize(m_threads.size());
    qCInfo(lcGateway) << "WebSocket I/O on" << ioThreads << "threads";
}

WsTransport::~WsTransport()
{
    handOff();
    m_threads.clear(); // stops and joins each (its engine closes its connections)
}

int WsTransport::ioThreadCount() const
{
    return m_threads.empty() ? 1 : int(m_threads.size());
}

WsPeer *WsTransport::adopt(QTcpSocket *socket, const QByteArray &greeting,
                           const QByteArray &pending)
{
    const auto *tls = qobject_cast<QSslSocket *>(socket);
    if (m_threads.empty() || (tls && tls->isEncrypted()))
        return m_local.adopt(socket, greeting, pending);
    auto *peer = new WsPeer;
    peer->input = pending;
    peer->fd = WsEngine::takeDescriptor(socket, peer->input);
    if (peer->fd < 0) {
        delete peer;
        return nullptr;
    }
    const auto fewest = std::min_element(m_peerCounts.begin(), m_peerCounts.end());
    peer->ioThread = int(fewest - m_peerCounts.begin());
    ++*fewest;
    queueCommand(size_t(peer->ioThread), {WsCommand::Kind::Adopt, peer, greeting, 0});
    return peer;
}

void WsTransport::send(WsPeer *peer, const QByteArray &frame)
{
    if (peer->ioThread < 0) {
        m_local.send(peer, frame);
        return;
    }
    peer->queuedBytes += frame.size(); // counted at once, so max-outbound sees it
    queueCommand(size_t(peer->ioThread), {WsCommand::Kind::Send, peer, frame, 0});
}

void WsTransport::close(WsPeer *peer, quint16 code, QByteArrayView reason)
{
    if (peer->ioThread < 0) {
        m_local.close(peer, code, reason);
        return;
    }
    queueCommand(size_t(peer->ioThread),
                 {WsCommand::Kind::Close, peer, reason.toByteArray(), code});
}

void WsTransport::queueCommand(size_t thread, WsCommand command)
{
    m_pending[thread].push_back(std::move(command));
    if (m_handOffScheduled)
        return;
    m_handOffScheduled = true;
    QMetaObject::invokeMethod(this, &WsTransport::handOff, Qt::QueuedConnection);
}

void WsTransport::handOff()
{
    m_handOffScheduled = false;
    for (size_t i = 0; i < m_threads.size(); ++i) {
        if (!m_pending[i].empty())
            m_threads[i]->post(m_pending[i]);
    }
}

void WsTransport::takeEvents()
{
    for (size_t i = 0; i < m_threads.size(); ++i) {
        m_threads[i]->takeEvents(m_events);
        for (const WsEvent &event : m_events)
            deliver(i, event);
        m_events.clear();
    }
}

void WsTransport::deliver(size_t thread, const WsEvent &event)
{
    WsPeer *peer = event.peer;
    switch (event.kind) {
    case WsEvent::Kind::Text:
        m_listener.textReceived(peer, event.payload);
        return;
    case WsEvent::Kind::Binary:
        m_listener.binaryReceived(peer);
        return;
    case WsEvent::Kind::Ping:
        m_listener.pingReceived(peer, event.payload);
        return;
    case WsEvent::Kind::Pong:
        m_listener.pongReceived(peer);
        return;
    case WsEvent::Kind::Closed:
        m_listener.peerClosed(peer, event.code);
        --m_peerCounts[thread];
        queueCommand(thread, {WsCommand::Kind::Release, peer, {}, 0});
        return;
    }
}

quint64 WsTransport::readPauses() const
{
    quint64 total = 0;
    for (const auto &thread : m_threads)
        total += thread->readPauses();
    return total;
}

qint64 WsTransport::eventBacklogBytes() const
{
    qint64 total = 0;
    for (const auto &thread : m_threads)
        total += thread->eventBytes();
    return total;
}

quint64 WsTransport::sends() const
{
    quint64 total = m_local.sender().sends();
    for (const auto &thread : m_threads)
        total += thread->sends();
    return total;
}

quint64 WsTransport::systemCalls() const
{
    quint64 total = m_local.sender().systemCalls();
    for (const auto &thread : m_threads)
        total += thread->systemCalls();
    return total;
}

} // namespace flippdeal::server

#include "wstransport.moc"
