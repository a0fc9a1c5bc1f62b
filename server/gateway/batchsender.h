// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>

#include <atomic>
#include <deque>
#include <memory>
#include <span>

#include <sys/types.h>

namespace flippdeal::server {

//! \brief The sends of one event-loop pass, to many sockets, in one system call.
//!
//! A fan-out to N subscribers is N sendmsg() calls, and on a virtual machine the call itself
//! costs about as much as the kernel's work for a small frame. With io_uring the pass's sends
//! are queued as N submissions and handed to the kernel with one io_uring_enter(), which runs
//! each at once: the same non-blocking sends (MSG_DONTWAIT: a full socket buffer completes with
//! EAGAIN instead of being retried by the kernel later), the same results, one system call.
//!
//! Where io_uring is unavailable (an old kernel, a sandbox or a container that forbids it) or
//! turned off, each send is its own sendmsg(), as before.
class BatchSender
{
public:
    //! One socket's part of a batch: its queued chunks from `offset` in the first.
    struct Send
    {
        int fd = -1;
        const std::deque<QByteArray> *chunks = nullptr;
        qsizetype offset = 0;
        //! Out: bytes the kernel took (may be short), or -1 with `error` (an errno value).
        ssize_t written = 0;
        int error = 0;
        bool completed = false;
    };

    //! `batching`: try io_uring; without it, or if the kernel refuses, every send is a
    //! sendmsg().
    explicit BatchSender(bool batching);
    ~BatchSender();
    BatchSender(const BatchSender &) = delete;
    BatchSender &operator=(const BatchSender &) = delete;

    //! Whether sends go through io_uring.
    bool isBatching() const { return m_ring != nullptr; }
    //! Why io_uring is not used (empty when it is, or when it was not asked for).
    const char *unavailableReason() const { return m_reason; }

    //! Sends each entry's chunks (up to GatheredOutput::MaxIovecs of them) and fills in its
    //! result. Returns after every send has completed.
    void sendAll(std::span<Send> sends);

    //! Sends handed to the kernel per io_uring_enter() at most.
    static constexpr unsigned RingEntries = 256;

    //! System calls made (io_uring_enter or sendmsg) and sends made, since start: the bench
    //! and the metrics read them, from any thread.
    quint64 systemCalls() const { return m_systemCalls.load(std::memory_order_relaxed); }
    quint64 sends() const { return m_sends.load(std::memory_order_relaxed); }

private:
    struct Ring;
    void sendEach(std::span<Send> sends);
    void sendBatch(std::span<Send> sends);
    //! Queues one submission per send (at most RingEntries).
    void prepare(std::span<Send> sends);
    //! Submits what prepare() queued and collects every result; returns how many were
    //! submitted. `failure` is set (an errno value) if the ring itself failed.
    size_t submitAndReap(std::span<Send> sends, int &failure);

    std::unique_ptr<Ring> m_ring;
    const char *m_reason = "";
    std::atomic<quint64> m_systemCalls = 0;
    std::atomic<quint64> m_sends = 0;
};

} // namespace flippdeal::server
