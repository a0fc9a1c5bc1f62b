// SPDX-License-Identifier: MIT
#include "benchsupport.h"

#include <QDir>
#include <QFile>
#include <QList>

#include <unistd.h>

namespace flippdeal::bench {

qint64 rssKiB(qint64 pid)
{
    QFile status(QStringLiteral("/proc/%1/status").arg(pid));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong();
    }
    return -1;
}

namespace {

//! utime + stime of a /proc `stat` file's text, in microseconds.
qint64 statCpuMicros(const QByteArray &text)
{
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const QList<QByteArray> fields = text.mid(text.lastIndexOf(')') + 2).split(' ');
    const qint64 ticks =
        fields.value(11).toLongLong() + fields.value(12).toLongLong(); // utime, stime
    return ticks * 1'000'000 / sysconf(_SC_CLK_TCK);
}

QByteArray readAll(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

} // namespace

qint64 cpuMicros(qint64 pid)
{
    const QByteArray text = readAll(QStringLiteral("/proc/%1/stat").arg(pid));
    return text.isEmpty() ? -1 : statCpuMicros(text);
}

QHash<QString, qint64> threadCpuMicros(qint64 pid)
{
    QHash<QString, qint64> byName;
    const QString tasks = QStringLiteral("/proc/%1/task").arg(pid);
    const QStringList tids = QDir(tasks).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString &tid : tids) {
        const QByteArray text = readAll(tasks + QLatin1Char('/') + tid + QStringLiteral("/stat"));
        if (text.isEmpty())
            continue; // the thread ended meanwhile
        const qsizetype open = text.indexOf('(');
        const QString name =
            tid.toLongLong() == pid
                ? QStringLiteral("main")
                : QString::fromUtf8(text.mid(open + 1, text.lastIndexOf(')') - open - 1));
        byName[name] += statCpuMicros(text);
    }
    return byName;
}

qint64 openDescriptors(qint64 pid)
{
    return QDir(QStringLiteral("/proc/%1/fd").arg(pid))
        .entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::System)
        .size();
}

QByteArray maskedTextFrame(QByteArrayView payload)
{
    QByteArray frame;
    frame.append(char(0x81));
    if (payload.size() < 126) {
        frame.append(char(0x80 | payload.size()));
    } else {
        frame.append(char(0x80 | 126))
            .append(char(payload.size() >> 8))
            .append(char(payload.size() & 0xFF));
    }
    frame.append(4, '\0'); // a zero mask key leaves the payload as it is
    return frame.append(payload);
}

UpgradeAnswer takeUpgradeAnswer(QByteArray &buffer, QByteArray *statusLine)
{
    const qsizetype end = buffer.indexOf("\r\n\r\n");
    if (end < 0)
        return UpgradeAnswer::Incomplete;
    const bool switched = buffer.startsWith("HTTP/1.1 101");
    if (statusLine)
        *statusLine = buffer.left(buffer.indexOf('\r'));
    buffer.remove(0, end + 4);
    return switched ? UpgradeAnswer::Switched : UpgradeAnswer::Refused;
}

qsizetype readServerFrames(QByteArrayView buffer,
                           const std::function<bool(const ServerFrame &)> &onFrame)
{
    qsizetype offset = 0;
    for (;;) {
        const qsizetype available = buffer.size() - offset;
        if (available < 2)
            break;
        const auto *bytes = reinterpret_cast<const quint8 *>(buffer.data() + offset);
        quint64 length = bytes[1] & 0x7F;
        qsizetype header = 2;
        if (length == 126) {
            if (available < 4)
                break;
            length = (quint64(bytes[2]) << 8) | bytes[3];
            header = 4;
        } else if (length == 127) {
            if (available < 10)
                break;
            length = 0;
            for (int i = 0; i < 8; ++i)
                length = (length << 8) | bytes[2 + i];
            header = 10;
        }
        if (available < header + qsizetype(length))
            break;
        const ServerFrame frame{bytes[0] & 0x0F, buffer.sliced(offset + header, qsizetype(length))};
        offset += header + qsizetype(length);
        if (!onFrame(frame))
            break;
    }
    return offset;
}

} // namespace flippdeal::bench
