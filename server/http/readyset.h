// SPDX-License-Identifier: MIT
#pragma once

#include <QHash>
#include <QObject>

#include <functional>

class QSocketNotifier;

namespace flippdeal::server {

//! \brief Many descriptors watched through one epoll set and one QSocketNotifier, reported in
//! the order they became ready.
//!
//! Qt's event dispatcher polls every QSocketNotifier on each pass and activates the ready ones
//! in its own (descriptor) order, so with several connections ready at once a request that
//! arrived later can be served first. The kernel's epoll ready list is first come, first
//! served: ReadySet hands the events over in that order, which is the order the requests
//! arrived in. The loop also polls one descriptor however many connections there are.
//!
//! Each descriptor is armed one-shot for the events it is watched for: after an event it stays
//! quiet until watch() asks again, which costs one epoll_ctl when it is needed and none when a
//! watcher stops wanting events (a stale event is simply not delivered). A watcher may remove
//! itself, or any other descriptor, from inside its handler.
class ReadySet : public QObject
{
    Q_OBJECT

public:
    //! Called with the epoll events (EPOLLIN, EPOLLOUT, EPOLLHUP, ...) that were watched for.
    using Handler = std::function<void(quint32 events)>;

    explicit ReadySet(QObject *parent = nullptr);
    ~ReadySet() override;

    bool isValid() const { return m_epoll >= 0; }

    //! Adds `fd`, watched for nothing yet. False (with errno set) if epoll refuses it.
    bool add(int fd, Handler handler);
    //! Watches `fd` for `events` (EPOLLIN and/or EPOLLOUT; 0 for nothing).
    void watch(int fd, quint32 events);
    //! Forgets `fd` (before it is closed or handed to someone else). Events already taken from
    //! the kernel for it are dropped.
    void remove(int fd);

    qsizetype size() const { return m_entries.size(); }

    //! The epoll events for reading and/or writing.
    static quint32 eventsFor(bool read, bool write);

    //! Events taken from the kernel per wake of the event loop.
    static constexpr int MaxEventsPerWake = 256;

private:
    struct Entry
    {
        Handler handler;
        quint32 wanted = 0;
        quint32 armed = 0; // what the kernel will report next (one-shot)
        quint32 generation = 0;
    };

    void arm(int fd, Entry &entry);
    void dispatch();

    int m_epoll = -1;
    QSocketNotifier *m_notifier = nullptr;
    QHash<int, Entry> m_entries;
    quint32 m_generation = 0;
};

} // namespace flippdeal::server
