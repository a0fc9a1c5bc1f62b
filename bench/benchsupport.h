// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QHash>
#include <QString>

#include <functional>

namespace flippdeal::bench {

//! Resident memory of process `pid` in KiB (VmRSS), or -1.
qint64 rssKiB(qint64 pid);
//! User + system CPU time of process `pid` in microseconds, or -1.
qint64 cpuMicros(qint64 pid);
//! User + system CPU time of each thread of process `pid` in microseconds, summed by thread
//! name (the main thread is named `main`; pool threads share their pool's name).
QHash<QString, qint64> threadCpuMicros(qint64 pid);
//! Open file descriptors of process `pid`.
qint64 openDescriptors(qint64 pid);

//! How far the server's answer to a WebSocket upgrade request has come.
enum class UpgradeAnswer
{
    Incomplete, //!< its head has not all arrived yet
    Switched,   //!< 101 Switching Protocols: frames follow
    Refused,    //!< any other status
};

//! Reads the answer to a WebSocket upgrade at the start of `buffer`. Once its head is complete,
//! removes it from `buffer` and, with `statusLine`, puts its first line there.
UpgradeAnswer takeUpgradeAnswer(QByteArray &buffer, QByteArray *statusLine = nullptr);

//! One WebSocket frame from the server (unmasked): its opcode and payload.
struct ServerFrame
{
    int opcode = 0;
    QByteArrayView payload;
};

//! A client's text frame carrying `payload` (under 64 KiB), masked with a zero key so the
//! payload goes on the wire as it is.
QByteArray maskedTextFrame(QByteArrayView payload);

//! Passes each whole frame at the start of `buffer` to `onFrame`, until one is incomplete or
//! `onFrame` returns false. Returns the bytes of the frames it passed.
qsizetype readServerFrames(QByteArrayView buffer,
                           const std::function<bool(const ServerFrame &)> &onFrame);

} // namespace flippdeal::bench
