// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>

#include <deque>

#include <sys/socket.h>
#include <sys/uio.h>

namespace flippdeal::server {

//! \brief Buffers queued for one non-blocking socket, written with one `sendmsg` per call: the
//! HTTP sockets and the WebSocket engine share it.
//!
//! The chunks are shared (implicitly shared QByteArrays, such as one frame queued on many
//! connections), so nothing is copied to write them.
struct GatheredOutput
{
    static constexpr int MaxIovecs = 64;

    //! Points `vectors` (MaxIovecs of them) at up to MaxIovecs chunks from `offset` in the
    //! first; returns how many it filled.
    static int fill(iovec *vectors, const std::deque<QByteArray> &chunks, qsizetype offset)
    {
        int count = 0;
        for (auto it = chunks.begin(); it != chunks.end() && count < MaxIovecs; ++it) {
            vectors[count].iov_base = const_cast<char *>(it->constData()) + offset;
            vectors[count].iov_len = size_t(it->size() - offset);
            offset = 0;
            ++count;
        }
        return count;
    }

    //! One `sendmsg` of up to MaxIovecs chunks from `offset` in the first: what it returns.
    static ssize_t send(int fd, const std::deque<QByteArray> &chunks, qsizetype offset)
    {
        iovec vectors[MaxIovecs];
        msghdr message{};
        message.msg_iov = vectors;
        message.msg_iovlen = size_t(fill(vectors, chunks, offset));
        return ::sendmsg(fd, &message, MSG_NOSIGNAL);
    }

    //! Drops the `written` bytes the kernel took from the front of `chunks`.
    static void consume(std::deque<QByteArray> &chunks, qsizetype &offset, qsizetype written)
    {
        while (written > 0) {
            const qsizetype left = chunks.front().size() - offset;
            if (written < left) {
                offset += written;
                return;
            }
            written -= left;
            chunks.pop_front();
            offset = 0;
        }
    }
};

} // namespace flippdeal::server
