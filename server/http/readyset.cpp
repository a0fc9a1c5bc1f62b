// SPDX-License-Identifier: MIT
#include "http/readyset.h"

#include "core/logging.h"

#include <QSocketNotifier>

#include <cerrno>
#include <cstring>
#include <sys/epoll.h>
#include <unistd.h>

namespace flippdeal::server {

namespace {
constexpr quint32 Errors = EPOLLHUP | EPOLLERR;

epoll_event eventFor(int fd, quint32 generation, quint32 events)
{
    epoll_event event{};
    event.events = events | EPOLLONESHOT;
    // The descriptor and its registration's generation: a descriptor removed and reused while
    // an event for its old registration is still being handed out is told apart.
    event.data.u64 = (quint64(generation) << 32) | quint32(fd);
    return event;
}
} // namespace

ReadySet::ReadySet(QObject *parent)
    : QObject(parent)
{
    m_epoll = ::epoll_create1(EPOLL_CLOEXEC);
    if (m_epoll < 0) {
        qCCritical(lcHttp) << "epoll_create1 failed:" << strerror(errno);
        return;
    }
    m_notifier = new QSocketNotifier(m_epoll, QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &ReadySet::dispatch);
}

ReadySet::~ReadySet()
{
    delete m_notifier;
    if (m_epoll >= 0)
        ::close(m_epoll);
}

quint32 ReadySet::eventsFor(bool read, bool write)
{
    return (read ? quint32(EPOLLIN) : 0u) | (write ? quint32(EPOLLOUT) : 0u);
}

bool ReadySet::add(int fd, Handler handler)
{
    if (m_epoll < 0 || fd < 0) {
        errno = EBADF;
        return false;
    }
    Entry entry{std::move(handler), 0, 0, ++m_generation};
    epoll_event event = eventFor(fd, entry.generation, 0);
    if (::epoll_ctl(m_epoll, EPOLL_CTL_ADD, fd, &event) != 0)
        return false;
    m_entries.insert(fd, std::move(entry));
    return true;
}

void ReadySet::watch(int fd, quint32 events)
{
    const auto it = m_entries.find(fd);
    if (it == m_entries.end())
        return;
    it->wanted = events;
    // A watcher that stops wanting an event leaves the kernel armed: one stale report later is
    // cheaper than a system call now.
    if (events != 0 && events != it->armed)
        arm(fd, *it);
}

void ReadySet::arm(int fd, Entry &entry)
{
    epoll_event event = eventFor(fd, entry.generation, entry.wanted);
    if (::epoll_ctl(m_epoll, EPOLL_CTL_MOD, fd, &event) != 0) {
        qCWarning(lcHttp) << "epoll_ctl MOD failed:" << strerror(errno);
        return;
    }
    entry.armed = entry.wanted;
}

void ReadySet::remove(int fd)
{
    if (m_entries.remove(fd))
        ::epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, nullptr);
}

void ReadySet::dispatch()
{
    epoll_event events[MaxEventsPerWake];
    const int ready = ::epoll_wait(m_epoll, events, MaxEventsPerWake, 0);
    for (int i = 0; i < ready; ++i) {
        const int fd = int(quint32(events[i].data.u64));
        const quint32 generation = quint32(events[i].data.u64 >> 32);
        auto it = m_entries.find(fd);
        if (it == m_entries.end() || it->generation != generation)
            continue;  // removed by an earlier handler of this batch
        it->armed = 0; // one-shot: the kernel reports nothing more until re-armed
        const quint32 deliver = events[i].events & (it->wanted | Errors);
        if (it->wanted != 0 && deliver != 0) {
            const Handler handler = it->handler; // the entry may go away inside the call
            handler(deliver);
            it = m_entries.find(fd);
            if (it == m_entries.end() || it->generation != generation)
                continue;
        }
        if (it->wanted != 0 && it->armed == 0)
            arm(fd, *it); // still wanted (a write still blocked, a read not yet taken)
    }
}

} // namespace flippdeal::server
