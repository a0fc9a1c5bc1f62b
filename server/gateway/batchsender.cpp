// SPDX-License-Identifier: MIT
#include "gateway/batchsender.h"

#include "core/gatheredwrite.h"

#include <liburing.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace flippdeal::server {

//! The ring and the message headers of one batch (kept until its completions are reaped).
struct BatchSender::Ring
{
    io_uring ring{};
    std::vector<msghdr> headers;
    std::vector<iovec> vectors;
};

BatchSender::BatchSender(bool batching)
{
    if (!batching)
        return;
    auto ring = std::make_unique<Ring>();
    // A single issuer (the I/O thread), whose submissions run inline: no kernel thread, no
    // polling, nothing that outlives the call.
    io_uring_params params{};
    params.flags = IORING_SETUP_CLAMP;
#ifdef IORING_SETUP_SINGLE_ISSUER
    params.flags |= IORING_SETUP_SINGLE_ISSUER;
#endif
    int result = io_uring_queue_init_params(RingEntries, &ring->ring, &params);
    if (result == -EINVAL) { // an older kernel without SINGLE_ISSUER
        params = {};
        params.flags = IORING_SETUP_CLAMP;
        result = io_uring_queue_init_params(RingEntries, &ring->ring, &params);
    }
    if (result < 0) {
        m_reason = strerror(-result);
        return;
    }
    ring->headers.resize(RingEntries);
    ring->vectors.resize(size_t(RingEntries) * GatheredOutput::MaxIovecs);
    m_ring = std::move(ring);
}

BatchSender::~BatchSender()
{
    if (m_ring)
        io_uring_queue_exit(&m_ring->ring);
}

void BatchSender::sendAll(std::span<Send> sends)
{
    m_sends.fetch_add(sends.size(), std::memory_order_relaxed);
    if (!m_ring || sends.size() == 1) { // one send: sendmsg() is the cheaper single call
        sendEach(sends);
        return;
    }
    while (!sends.empty()) {
        const size_t count = std::min<size_t>(sends.size(), RingEntries);
        sendBatch(sends.first(count));
        sends = sends.subspan(count);
    }
}

void BatchSender::sendEach(std::span<Send> sends)
{
    for (Send &send : sends) {
        m_systemCalls.fetch_add(1, std::memory_order_relaxed);
        do {
            send.written = GatheredOutput::send(send.fd, *send.chunks, send.offset);
        } while (send.written < 0 && errno == EINTR);
        send.error = send.written < 0 ? errno : 0;
        send.completed = true;
    }
}

void BatchSender::sendBatch(std::span<Send> sends)
{
    prepare(sends);
    int failure = 0;
    const size_t submitted = submitAndReap(sends, failure);
    if (failure == 0)
        return;
    // The ring failed as a whole (it should not). A send submitted but not reaped may or may
    // not have gone out: its connection cannot continue (EIO). The ring is dropped, so nothing
    // prepared is ever submitted twice, and the rest is sent the plain way.
    for (Send &send : sends.first(submitted)) {
        if (!send.completed) {
            send.written = -1;
            send.error = EIO;
        }
    }
    io_uring_queue_exit(&m_ring->ring);
    m_ring.reset();
    m_reason = "io_uring failed";
    sendEach(sends.subspan(submitted));
}

void BatchSender::prepare(std::span<Send> sends)
{
    for (size_t i = 0; i < sends.size(); ++i) {
        Send &send = sends[i];
        send.completed = false;
        iovec *vectors = &m_ring->vectors[i * GatheredOutput::MaxIovecs];
        msghdr &header = m_ring->headers[i];
        header = msghdr{};
        header.msg_iov = vectors;
        header.msg_iovlen = size_t(GatheredOutput::fill(vectors, *send.chunks, send.offset));
        // Never null: at most RingEntries are prepared, and all are reaped before the next.
        io_uring_sqe *sqe = io_uring_get_sqe(&m_ring->ring);
        // MSG_DONTWAIT: a full socket buffer completes with EAGAIN now (the engine then waits
        // for EPOLLOUT), instead of the kernel holding the send and finishing it later.
        io_uring_prep_sendmsg(sqe, send.fd, &header, MSG_NOSIGNAL | MSG_DONTWAIT);
        io_uring_sqe_set_data64(sqe, i);
    }
}

size_t BatchSender::submitAndReap(std::span<Send> sends, int &failure)
{
    io_uring *ring = &m_ring->ring;
    size_t submitted = 0;
    while (submitted < sends.size()) {
        m_systemCalls.fetch_add(1, std::memory_order_relaxed);
        const int result = io_uring_submit_and_wait(ring, unsigned(sends.size() - submitted));
        if (result >= 0) {
            submitted += size_t(result);
        } else if (result != -EINTR) {
            failure = -result;
            break;
        }
    }
    for (size_t reaped = 0; reaped < submitted;) {
        io_uring_cqe *cqe = nullptr;
        const int result = io_uring_wait_cqe(ring, &cqe);
        if (result == -EINTR)
            continue;
        if (result < 0) {
            failure = -result;
            break;
        }
        Send &send = sends[size_t(io_uring_cqe_get_data64(cqe))];
        send.written = cqe->res >= 0 ? cqe->res : -1;
        send.error = cqe->res >= 0 ? 0 : -cqe->res;
        send.completed = true;
        io_uring_cqe_seen(ring, cqe);
        ++reaped;
    }
    return submitted;
}

} // namespace flippdeal::server
