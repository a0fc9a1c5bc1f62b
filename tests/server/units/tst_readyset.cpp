// SPDX-License-Identifier: MIT
// ReadySet: descriptors reported in the order they became ready, one-shot until watched again,
// and safe against a handler that removes descriptors (its own or another's) mid-batch.
#include "http/readyset.h"

#include <QTest>

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <memory>
#include <utility>
#include <vector>

using namespace flippdeal::server;

namespace {

//! A connected pair of stream sockets: `inner` is watched, `outer` is the "client".
struct Pair
{
    Pair()
    {
        std::array<int, 2> fds{-1, -1};
        QVERIFY(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds.data()) ==
                0);
        inner = fds[0];
        outer = fds[1];
    }
    ~Pair()
    {
        closeInner();
        if (outer >= 0)
            ::close(outer);
    }
    Pair(const Pair &) = delete;
    Pair &operator=(const Pair &) = delete;

    void send(char byte = 'x') const { QCOMPARE(::write(outer, &byte, 1), ssize_t(1)); }
    void drain() const
    {
        char buffer[64];
        while (::read(inner, buffer, sizeof buffer) > 0) {
        }
    }
    void closeInner()
    {
        if (inner >= 0)
            ::close(std::exchange(inner, -1));
    }

    int inner = -1;
    int outer = -1;
};

} // namespace

class TestReadySet : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    //! The kernel's order, not the descriptors' order: the last-numbered socket that became
    //! ready first is handed over first.
    void reportsInTheOrderDescriptorsBecameReady()
    {
        ReadySet set;
        QVERIFY(set.isValid());
        std::vector<std::unique_ptr<Pair>> pairs;
        std::vector<int> order;
        for (int i = 0; i < 6; ++i) {
            pairs.push_back(std::make_unique<Pair>());
            const int fd = pairs.back()->inner;
            QVERIFY(set.add(fd, [&set, &order, i, fd](quint32 events) {
                QVERIFY(events & EPOLLIN);
                order.push_back(i);
                set.watch(fd, 0); // taken: nothing more until asked
            }));
            set.watch(fd, EPOLLIN);
        }
        for (int i : {5, 2, 4, 0, 3, 1})
            pairs[size_t(i)]->send();
        QTRY_COMPARE(order.size(), size_t(6));
        QCOMPARE(order, (std::vector<int>{5, 2, 4, 0, 3, 1}));
    }

    //! A handler that stops watching hears nothing more, though the data is still unread,
    //! until it watches again (what HttpSocket does between a request and the next read).
    void quietOnceUnwatched()
    {
        ReadySet set;
        Pair pair;
        int calls = 0;
        QVERIFY(set.add(pair.inner, [&](quint32) {
            ++calls;
            set.watch(pair.inner, 0);
        }));
        set.watch(pair.inner, EPOLLIN);
        pair.send();
        QTRY_COMPARE(calls, 1);
        // Still readable, but not watched: nothing more.
        QTest::qWait(50);
        QCOMPARE(calls, 1);
        set.watch(pair.inner, EPOLLIN); // already readable: reported at once
        QTRY_COMPARE(calls, 2);
    }

    //! A handler that keeps wanting events (calls nothing) is re-armed: reported again while
    //! the data is unread, like level-triggered epoll, and quiet once it is read.
    void stillWantedIsRearmed()
    {
        ReadySet set;
        Pair pair;
        int calls = 0;
        QVERIFY(set.add(pair.inner, [&](quint32) {
            if (++calls >= 3)
                pair.drain();
        }));
        set.watch(pair.inner, EPOLLIN);
        pair.send();
        QTRY_COMPARE(calls, 3);
        QTest::qWait(50);
        QCOMPARE(calls, 3); // drained: quiet, though still watched
        pair.send();
        QTRY_COMPARE(calls, 4);
    }

    //! An event the watcher no longer wants (it stopped watching after the kernel was armed) is
    //! dropped, and reading is not required to stop it repeating.
    void unwantedEventsAreDropped()
    {
        ReadySet set;
        Pair pair;
        int calls = 0;
        QVERIFY(set.add(pair.inner, [&](quint32) { ++calls; }));
        set.watch(pair.inner, EPOLLIN);
        set.watch(pair.inner, 0); // armed in the kernel, but no longer wanted
        pair.send();
        QTest::qWait(50);
        QCOMPARE(calls, 0);
    }

    //! Writable: EPOLLOUT while the peer's buffer has room.
    void writableEvents()
    {
        ReadySet set;
        Pair pair;
        quint32 seen = 0;
        QVERIFY(set.add(pair.inner, [&](quint32 events) {
            seen |= events;
            set.watch(pair.inner, 0);
        }));
        set.watch(pair.inner, ReadySet::eventsFor(false, true));
        QTRY_VERIFY(seen & EPOLLOUT);
        QVERIFY(!(seen & EPOLLIN));
    }

    //! The first handler of a batch removes and closes the others; their events, already taken
    //! from the kernel, are not delivered (to a dangling handler or a reused number).
    void removalInsideABatch()
    {
        ReadySet set;
        Pair a, b, c;
        std::vector<char> order;
        QVERIFY(set.add(a.inner, [&](quint32) {
            order.push_back('a');
            set.remove(b.inner);
            b.closeInner();
            set.remove(c.inner);
            set.remove(a.inner); // itself too
        }));
        QVERIFY(set.add(b.inner, [&](quint32) { order.push_back('b'); }));
        QVERIFY(set.add(c.inner, [&](quint32) { order.push_back('c'); }));
        for (int fd : {a.inner, b.inner, c.inner})
            set.watch(fd, EPOLLIN);
        a.send();
        b.send();
        c.send();
        QTRY_COMPARE(order.size(), size_t(1));
        QTest::qWait(50);
        QCOMPARE(order, std::vector<char>{'a'});
        QCOMPARE(set.size(), 0);
    }

    //! A descriptor number removed and added again (a new connection on a reused number) gets
    //! only its own events.
    void reusedDescriptorNumber()
    {
        ReadySet set;
        Pair first;
        int firstCalls = 0, secondCalls = 0;
        QVERIFY(set.add(first.inner, [&](quint32) { ++firstCalls; }));
        set.remove(first.inner);
        QVERIFY(set.add(first.inner, [&](quint32) {
            ++secondCalls;
            set.watch(first.inner, 0);
        }));
        set.watch(first.inner, EPOLLIN);
        first.send();
        QTRY_COMPARE(secondCalls, 1);
        QCOMPARE(firstCalls, 0);
    }

    //! The peer hanging up is reported to a reader.
    void hangUpReachesAReader()
    {
        ReadySet set;
        Pair pair;
        quint32 seen = 0;
        QVERIFY(set.add(pair.inner, [&](quint32 events) { seen |= events; }));
        set.watch(pair.inner, EPOLLIN);
        ::close(std::exchange(pair.outer, -1));
        QTRY_VERIFY(seen != 0);
        char byte = 0;
        QCOMPARE(::read(pair.inner, &byte, 1), ssize_t(0)); // end of input
    }

    void refusesBadDescriptors()
    {
        ReadySet set;
        QVERIFY(!set.add(-1, [](quint32) {}));
        QVERIFY(!set.add(9999, [](quint32) {}));
        QCOMPARE(set.size(), 0);
        set.watch(9999, EPOLLIN); // unknown: ignored
        set.remove(9999);
    }
};

QTEST_GUILESS_MAIN(TestReadySet)
#include "tst_readyset.moc"
