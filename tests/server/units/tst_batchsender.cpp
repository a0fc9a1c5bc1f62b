// SPDX-License-Identifier: MIT
// BatchSender on real sockets, with io_uring and with plain sendmsg(): the same bytes arrive,
// a full socket answers EAGAIN with nothing lost or sent twice, a closed one an error (no
// SIGPIPE), batches larger than the ring are split, and with io_uring a batch is one call.
#include "gateway/batchsender.h"

#include <QTest>

#include <cerrno>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <deque>
#include <memory>
#include <utility>
#include <vector>

using namespace flippdeal::server;

namespace {

struct Pair
{
    Pair()
    {
        std::array<int, 2> fds{-1, -1};
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds.data()) == 0) {
            writer = fds[0];
            reader = fds[1];
        }
    }
    ~Pair()
    {
        for (int fd : {writer, reader})
            if (fd >= 0)
                ::close(fd);
    }
    Pair(const Pair &) = delete;
    Pair &operator=(const Pair &) = delete;

    QByteArray readAll() const
    {
        QByteArray all;
        char buffer[65536];
        for (;;) {
            const ssize_t got = ::read(reader, buffer, sizeof buffer);
            if (got <= 0)
                return all;
            all.append(buffer, got);
        }
    }

    int writer = -1;
    int reader = -1;
};

//! A send of `chunks` (from `offset`) on `fd`.
BatchSender::Send sendOf(int fd, const std::deque<QByteArray> &chunks, qsizetype offset = 0)
{
    BatchSender::Send send;
    send.fd = fd;
    send.chunks = &chunks;
    send.offset = offset;
    return send;
}

} // namespace

class TestBatchSender : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        const BatchSender probe(true);
        // The machines this project runs on have io_uring; if one does not, the batched rows
        // would silently test sendmsg() twice: say so.
        if (!probe.isBatching())
            qWarning("io_uring is not available here (%s): the batched rows run unbatched",
                     probe.unavailableReason());
    }

    void manySocketsOneCall_data()
    {
        QTest::addColumn<bool>("batching");
        QTest::addColumn<int>("sockets");
        QTest::newRow("io_uring, 3 sockets") << true << 3;
        QTest::newRow("io_uring, 300 sockets (two ring-fulls)") << true << 300;
        QTest::newRow("sendmsg, 3 sockets") << false << 3;
    }

    //! Every socket gets its chunks, in order, from its offset.
    void manySocketsOneCall()
    {
        QFETCH(bool, batching);
        QFETCH(int, sockets);
        BatchSender sender(batching);
        std::vector<std::unique_ptr<Pair>> pairs;
        std::vector<std::deque<QByteArray>> queues;
        std::vector<BatchSender::Send> sends;
        const QByteArray shared = QByteArrayLiteral("shared-frame;"); // one buffer, many sockets
        for (int i = 0; i < sockets; ++i) {
            pairs.push_back(std::make_unique<Pair>());
            QVERIFY(pairs.back()->writer >= 0);
            queues.push_back({QByteArray("head-") + QByteArray::number(i) + ';', shared,
                              QByteArray("tail-") + QByteArray::number(i)});
        }
        for (int i = 0; i < sockets; ++i)
            sends.push_back(sendOf(pairs[size_t(i)]->writer, queues[size_t(i)], 2));
        sender.sendAll(sends);
        for (int i = 0; i < sockets; ++i) {
            const QByteArray expected = QByteArray("ad-") + QByteArray::number(i) + ';' + shared +
                                        "tail-" + QByteArray::number(i);
            QVERIFY(sends[size_t(i)].completed);
            QCOMPARE(sends[size_t(i)].written, ssize_t(expected.size()));
            QCOMPARE(pairs[size_t(i)]->readAll(), expected);
        }
        QCOMPARE(sender.sends(), quint64(sockets));
        if (batching && sender.isBatching()) {
            const quint64 rings =
                (quint64(sockets) + BatchSender::RingEntries - 1) / BatchSender::RingEntries;
            QCOMPARE(sender.systemCalls(), rings);
        } else {
            QCOMPARE(sender.systemCalls(), quint64(sockets));
        }
    }

    void fullSocketIsEagain_data()
    {
        QTest::addColumn<bool>("batching");
        QTest::newRow("io_uring") << true;
        QTest::newRow("sendmsg") << false;
    }

    //! A socket whose buffer is full: EAGAIN at once (not sent later behind the engine's back),
    //! while the others in the same batch go out; what a short write took is exactly counted.
    void fullSocketIsEagain()
    {
        QFETCH(bool, batching);
        BatchSender sender(batching);
        Pair full, open;
        const QByteArray big(64 * 1024, 'x');
        // Fill `full` until the kernel takes nothing more.
        while (::write(full.writer, big.constData(), size_t(big.size())) > 0) {
        }
        QCOMPARE(errno, EAGAIN);
        const std::deque<QByteArray> more{QByteArrayLiteral("more")};
        const std::deque<QByteArray> hello{QByteArrayLiteral("hello")};
        std::array<BatchSender::Send, 2> sends{sendOf(full.writer, more),
                                               sendOf(open.writer, hello)};
        sender.sendAll(sends);
        QCOMPARE(sends[0].written, ssize_t(-1));
        QVERIFY2(sends[0].error == EAGAIN || sends[0].error == EWOULDBLOCK,
                 strerror(sends[0].error));
        QCOMPARE(sends[1].written, ssize_t(5));
        QCOMPARE(open.readAll(), QByteArrayLiteral("hello"));
        // Nothing of "more" turns up later: the kernel did not keep the send for itself.
        QByteArray drained = full.readAll();
        QTest::qWait(50);
        drained += full.readAll();
        QVERIFY(!drained.isEmpty());
        QVERIFY(!drained.contains("more"));
    }

    void closedPeerIsAnError_data() { fullSocketIsEagain_data(); }

    //! The other end is gone: an error for that send (EPIPE, not a SIGPIPE that kills us).
    void closedPeerIsAnError()
    {
        QFETCH(bool, batching);
        BatchSender sender(batching);
        Pair gone, open;
        ::close(std::exchange(gone.reader, -1));
        const std::deque<QByteArray> frame{QByteArrayLiteral("frame")};
        std::array<BatchSender::Send, 2> sends{sendOf(gone.writer, frame),
                                               sendOf(open.writer, frame)};
        sender.sendAll(sends);
        QCOMPARE(sends[0].written, ssize_t(-1));
        QVERIFY2(sends[0].error == EPIPE || sends[0].error == ECONNRESET, strerror(sends[0].error));
        QCOMPARE(sends[1].written, ssize_t(5));
    }

    //! A single send is a plain sendmsg() even with io_uring (the cheaper single call).
    void oneSendIsPlain()
    {
        BatchSender sender(true);
        Pair pair;
        const std::deque<QByteArray> frame{QByteArrayLiteral("x")};
        std::array<BatchSender::Send, 1> sends{sendOf(pair.writer, frame)};
        sender.sendAll(sends);
        QCOMPARE(sends[0].written, ssize_t(1));
        QCOMPARE(sender.systemCalls(), quint64(1));
    }

    void turnedOff()
    {
        const BatchSender sender(false);
        QVERIFY(!sender.isBatching());
        QCOMPARE(QByteArray(sender.unavailableReason()), QByteArray());
    }
};

QTEST_GUILESS_MAIN(TestBatchSender)
#include "tst_batchsender.moc"
