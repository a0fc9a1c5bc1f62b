// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArrayView>

#include <functional>

namespace flippdeal::bench {

//! Resident memory of process `pid` in KiB (VmRSS), or -1.
qint64 rssKiB(qint64 pid);
//! User + system CPU time of process `pid` in microseconds, or -1.
qint64 cpuMicros(qint64 pid);
//! Open file descriptors of process `pid`.
qint64 openDescriptors(qint64 pid);

//! One WebSocket frame from the server (unmasked): its opcode and payload.
struct ServerFrame
{
    int opcode = 0;
    QByteArrayView payload;
};

//! Passes each whole frame at the start of `buffer` to `onFrame`, until one is incomplete or
//! `onFrame` returns false. Returns the bytes of the frames it passed.
qsizetype readServerFrames(QByteArrayView buffer,
                           const std::function<bool(const ServerFrame &)> &onFrame);

} // namespace flippdeal::bench
