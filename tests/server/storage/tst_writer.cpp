// SPDX-License-Identifier: MIT
// Writer: jobs run on a thread of their own, several in one transaction (group commit), each in
// a savepoint; they finish on the caller's thread after the commit, in commit order, and the
// broadcasts of commits made on another connection keep that order too. A full writer answers
// 503 at once. On the database the tests run against (SQLite file, or PostgreSQL with
// FLIPPDEAL_TEST_DATABASE).
#include "testhelpers.h"
#include "testserver.h"

#include "auth/accountservice.h"
#include "auth/passwordhasher.h"
#include "escrow/escrowservice.h"
#include "events/eventstore.h"
#include "jobs/jobqueue.h"
#include "marketplace/auctionservice.h"
#include "messaging/messageservice.h"
#include "storage/writer.h"
#include "webhooks/webhookdispatcher.h"

#include "protocol/timeformat.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSemaphore>
#include <QSqlQuery>
#include <QThread>
#include <QtTest>

using namespace flippdeal;
using namespace flippdeal::server;
using namespace flippdeal::testing;
using namespace Qt::StringLiterals;

namespace {

//! A job that runs `work` on the writer thread and records how it finished.
class RecordingJob : public WriteJob
{
public:
    struct Log
    {
        QList<int> finished;   // job numbers, in the order they finished
        QList<bool> committed; // the same order
        QSet<QThread *> threads;
    };

    RecordingJob(int number, Log &log, std::function<void(Database &)> work = {})
        : m_number(number)
        , m_log(log)
        , m_work(std::move(work))
    {}
    bool run(Database &db) override
    {
        m_log.threads.insert(QThread::currentThread());
        if (m_work)
            m_work(db);
        return true;
    }
    void finish(bool committed) override
    {
        m_log.finished.append(m_number);
        m_log.committed.append(committed);
    }

private:
    int m_number;
    Log &m_log;
    std::function<void(Database &)> m_work;
};

//! Keeps the writer thread busy in a job of its own until release(), so that later jobs queue.
class Gate
{
public:
    //! A test that fails while the gate is shut opens it on the way out, so that the writer
    //! can stop; the job keeps the semaphores alive.
    ~Gate() { m_open->release(1000); }
    std::unique_ptr<WriteJob> job(RecordingJob::Log &log)
    {
        return std::make_unique<RecordingJob>(0, log,
                                              [entered = m_entered, open = m_open](Database &) {
                                                  entered->release();
                                                  open->acquire();
                                              });
    }
    bool waitEntered() { return m_entered->tryAcquire(1, 10000); }
    //! Submits the gate's job to `writer` and waits until the writer thread is inside it.
    bool hold(Writer &writer, RecordingJob::Log &log)
    {
        return writer.submit(job(log)) && waitEntered();
    }
    void release() { m_open->release(); }

private:
    std::shared_ptr<QSemaphore> m_entered = std::make_shared<QSemaphore>();
    std::shared_ptr<QSemaphore> m_open = std::make_shared<QSemaphore>();
};

//! Fills `writer` to its capacity behind `gate`'s job (which keeps the thread busy), once the
//! work the server started with (its first purge and prune) is done.
bool fillWriter(Writer &writer, Gate &gate, RecordingJob::Log &log)
{
    if (!waitUntil([&] { return writer.size() == 0; }, 5000))
        return false;
    if (!writer.submit(gate.job(log)) || !gate.waitEntered())
        return false;
    while (writer.size() < writer.capacity()) {
        if (!writer.submit(std::make_unique<RecordingJob>(1, log)))
            return false;
    }
    return true;
}

//! A broadcaster that remembers what it was given, in order.
class RecordingBroadcaster : public Broadcaster
{
public:
    void broadcast(const BroadcastEvent &event) override { events.append(event); }
    QList<BroadcastEvent> events;
};

//! An event store of its own on `url`, with a writer of its own and a recording broadcaster, as
//! a `serve` node wires them.
struct StoreWithWriter
{
    explicit StoreWithWriter(const QString &url)
        : writer(url)
    {
        ok = db.open(url) && writer.start();
        store.setPublishing(true);
        store.setWriter(&writer);
    }
    ~StoreWithWriter() { store.flush(); }

    Database db;
    RecordingBroadcaster broadcaster;
    EventStore store{db, broadcaster};
    Writer writer;
    bool ok = false;
};

qint64 countSequences(Database &db)
{
    SqlQuery query(db, QStringLiteral("SELECT COUNT(*) FROM channel_sequences"));
    return query.scalar();
}

void insertSequence(Database &db, const QString &channel)
{
    SqlQuery(db, QStringLiteral("INSERT INTO channel_sequences (channel, last_seq) VALUES (?, 1)"))
        .bind(channel)
        .exec();
}

//! Waits for `done` without running the event loop (which would finish the writer's jobs).
bool spinUntil(const std::function<bool()> &done)
{
    QElapsedTimer timer;
    timer.start();
    while (!done()) {
        if (timer.elapsed() > 10000)
            return false;
        QThread::msleep(1);
    }
    return true;
}

//! The value, or `fallback` for an error.
qint64 valueOr(const Expected<qint64> &result, qint64 fallback)
{
    return result ? *result : fallback;
}

template <typename T>
Expected<T> resultOf(QFuture<Expected<T>> future)
{
    // The future finishes on this thread: run the event loop until it does.
    if (!QTest::qWaitFor([&] { return future.isFinished(); }, 10000))
        return ApiError::internal();
    return future.result();
}

//! One write request of a user.
struct WriteCall
{
    QByteArray method;
    QString path;
    QJsonObject body;
    QByteArray token;
    int okStatus = 200;
};

//! `call` on `server`.
Reply send(TestServer &server, const WriteCall &call)
{
    return server.request(call.method, call.path, call.token,
                          QJsonDocument(call.body).toJson(QJsonDocument::Compact));
}

//! A 201's `key`.`id`, or 0.
qint64 createdId(const Reply &reply, const char *key)
{
    return reply.status == 201 ? intOf(objectOf(reply, key), "id") : 0;
}

} // namespace

class TestWriter : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<TestServer> m_server;

    Database &db() { return m_server->app().database(); }
    QString url() const { return m_server->config().database; }

    //! An escrow of `amount` cents: `buyer`'s offer on `seller`'s new listing, accepted. 0 on
    //! failure.
    qint64 openEscrow(const Session &seller, const Session &buyer, const QString &name,
                      qint64 amount)
    {
        const qint64 domain = createdId(
            m_server->post(u"/api/domains"_s, {{"name"_L1, name}}, seller.token), "domain");
        const qint64 offer = createdId(m_server->post(u"/api/domains/%1/offers"_s.arg(domain),
                                                      {{"amount_cents"_L1, amount}}, buyer.token),
                                       "offer");
        const Reply accepted = send(
            *m_server,
            {"PATCH", u"/api/offers/%1"_s.arg(offer), {{"action"_L1, u"accept"_s}}, seller.token});
        return accepted.status == 200 ? intOf(objectOf(accepted, "offer"), "escrow_id") : 0;
    }

    //! `steps` on `escrow`, handed to the escrow service in order while `gate` holds the
    //! writer (empty if the gate could not shut).
    QList<QFuture<Expected<Escrow>>>
    stepsBehind(Gate &gate, RecordingJob::Log &log, qint64 escrow,
                const QList<std::pair<protocol::User, EscrowAction>> &steps)
    {
        QList<QFuture<Expected<Escrow>>> futures;
        if (!gate.hold(m_server->app().writer(), log))
            return futures;
        for (const auto &[user, action] : steps)
            futures.append(m_server->app().escrows().transition(user, escrow, action));
        return futures;
    }

    //! Each of `calls` answers 503 with a Retry-After at once while the writer is full, and
    //! `unchanged()` (when given) still holds once it has room; then each succeeds.
    void refusedWhileFullThenDone(const QList<WriteCall> &calls,
                                  const std::function<bool()> &unchanged = {})
    {
        RecordingJob::Log log;
        Gate gate;
        Writer &writer = m_server->app().writer();
        QVERIFY(fillWriter(writer, gate, log));
        for (const WriteCall &call : calls) {
            const Reply busy = send(*m_server, call);
            QVERIFY2(busy.status == 503, qPrintable(call.path + u": "_s + describe(busy)));
            QCOMPARE(busy.header("Retry-After"), QByteArray("1"));
        }
        gate.release();
        QTRY_COMPARE(writer.size(), 0);
        if (unchanged)
            QVERIFY(unchanged());
        for (const WriteCall &call : calls) {
            const Reply done = send(*m_server, call);
            QVERIFY2(done.status == call.okStatus,
                     qPrintable(call.path + u": "_s + describe(done)));
        }
    }

private Q_SLOTS:
    void init()
    {
        m_server = std::make_unique<TestServer>();
        QVERIFY2(m_server->isRunning(), qPrintable(m_server->errorString()));
    }

    void cleanup() { m_server.reset(); }

    void jobsQueuedTogetherCommitTogetherAndFinishInOrder()
    {
        Writer writer(url());
        QVERIFY2(writer.start(), qPrintable(writer.errorString()));
        RecordingJob::Log log;
        Gate gate;
        QVERIFY(gate.hold(writer, log));
        constexpr int Jobs = 20;
        for (int i = 1; i <= Jobs; ++i)
            QVERIFY(writer.submit(std::make_unique<RecordingJob>(
                i, log, [i](Database &db) { insertSequence(db, QStringLiteral("c%1").arg(i)); })));
        QCOMPARE(writer.size(), Jobs + 1);
        gate.release();
        QTRY_COMPARE(log.finished.size(), Jobs + 1);
        // The gate's batch, then one batch (one commit) for the twenty that waited behind it.
        QCOMPARE(writer.batchCount(), quint64(2));
        QCOMPARE(writer.committedJobCount(), quint64(Jobs + 1));
        QList<int> expected;
        for (int i = 0; i <= Jobs; ++i)
            expected.append(i);
        QCOMPARE(log.finished, expected);
        QVERIFY(!log.committed.contains(false));
        QCOMPARE(log.threads.size(), 1);
        QVERIFY(!log.threads.contains(QThread::currentThread()));
        QCOMPARE(countSequences(db()), Jobs);
        QCOMPARE(writer.size(), 0);
    }

    //! In one batch, a refusal and a failed statement undo only their own job's writes.
    void oneJobsFailureUndoesOnlyItsOwnWrites()
    {
        RecordingJob::Log log;
        Gate gate;
        Writer &writer = m_server->app().writer();
        EventStore &events = m_server->app().events();
        QVERIFY(gate.hold(writer, log));
        const quint64 batchesBefore = writer.batchCount();
        auto kept = events.transactionLater([](EventBatch &batch) -> Expected<qint64> {
            insertSequence(batch.db(), QStringLiteral("kept"));
            return 1;
        });
        auto refused = events.transactionLater([](EventBatch &batch) -> Expected<qint64> {
            insertSequence(batch.db(), QStringLiteral("refused"));
            return ApiError::conflict(QStringLiteral("No."));
        });
        auto failed = events.transactionLater([](EventBatch &batch) -> Expected<qint64> {
            insertSequence(batch.db(), QStringLiteral("failed"));
            insertSequence(batch.db(), QStringLiteral("kept")); // a duplicate key: DbError
            return 1;
        });
        auto alsoKept = events.transactionLater([](EventBatch &batch) -> Expected<qint64> {
            insertSequence(batch.db(), QStringLiteral("also-kept"));
            return 2;
        });
        gate.release();
        QCOMPARE(valueOr(resultOf(kept), 0), 1);
        QCOMPARE(resultOf(refused).error().status, 409);
        QCOMPARE(resultOf(failed).error().status, 500);
        QCOMPARE(valueOr(resultOf(alsoKept), 0), 2);
        QCOMPARE(writer.batchCount(), batchesBefore + 2);
        SqlQuery names(db(), QStringLiteral("SELECT channel FROM channel_sequences ORDER BY 1"));
        names.exec();
        QStringList channels;
        while (names.next())
            channels.append(names.text(0));
        QCOMPARE(channels, (QStringList{QStringLiteral("also-kept"), QStringLiteral("kept")}));
    }

    //! The answer comes after the commit and after the broadcast: when the future finishes, the
    //! row is on disk for every connection and the event has gone out.
    void finishesAfterCommitAndBroadcast()
    {
        EventStore &events = m_server->app().events();
        const quint64 publishedBefore = events.publishedCount();
        Database &mainDb = db();
        std::optional<qint64> seenRows;
        quint64 publishedWhenAnswered = 0;
        auto answered =
            events
                .transactionLater([](EventBatch &batch) -> Expected<qint64> {
                    batch.add(QStringLiteral("private-user.77"), QStringLiteral("Ping"), {});
                    return batch.events().first().seq;
                })
                .then([&](const Expected<qint64> &seq) {
                    seenRows = SqlQuery(mainDb, QStringLiteral("SELECT COUNT(*) FROM "
                                                               "channel_events WHERE channel = "
                                                               "'private-user.77'"))
                                   .scalar();
                    publishedWhenAnswered = events.publishedCount();
                    return seq;
                });
        const auto seq = resultOf(answered);
        QVERIFY(seq);
        QCOMPARE(*seq, 1);
        QCOMPARE(seenRows.value_or(-1), 1);
        QCOMPARE(publishedWhenAnswered, publishedBefore + 1);
    }

    //! A writer batch that committed before a transaction on the event loop's connection is
    //! broadcast before it, even when the event loop has not yet run the batch's finish: a
    //! channel's events go out in `seq` order.
    void broadcastsKeepCommitOrderAcrossConnections()
    {
        StoreWithWriter node(url());
        QVERIFY(node.ok);
        EventStore &store = node.store;
        Writer &writer = node.writer;
        RecordingBroadcaster &broadcaster = node.broadcaster;
        const QString channel = QStringLiteral("private-user.5");
        auto first = store.transactionLater([&](EventBatch &batch) -> Expected<qint64> {
            batch.add(channel, QStringLiteral("First"), {});
            return 1;
        });
        QVERIFY(spinUntil([&] { return writer.committedJobCount() == 1; }));
        QVERIFY(!first.isFinished());
        const auto second = store.transaction([&](EventBatch &batch) -> Expected<qint64> {
            batch.add(channel, QStringLiteral("Second"), {});
            return 2;
        });
        QVERIFY(second);
        QVERIFY(first.isFinished());
        QCOMPARE(broadcaster.events.size(), 2);
        QCOMPARE(broadcaster.events.at(0).event, QStringLiteral("First"));
        QCOMPARE(broadcaster.events.at(0).seq, 1);
        QCOMPARE(broadcaster.events.at(1).event, QStringLiteral("Second"));
        QCOMPARE(broadcaster.events.at(1).seq, 2);
    }

    //! The outbox poll does not publish a second time what a writer job, committed but not yet
    //! finished, will publish itself.
    void outboxPollLeavesTheWritersEventsToIt()
    {
        StoreWithWriter node(url());
        QVERIFY(node.ok);
        EventStore &store = node.store;
        Writer &writer = node.writer;
        RecordingBroadcaster &broadcaster = node.broadcaster;
        auto written = store.transactionLater([](EventBatch &batch) -> Expected<qint64> {
            batch.add(QStringLiteral("private-user.6"), QStringLiteral("Once"), {});
            return 1;
        });
        QVERIFY(spinUntil([&] { return writer.committedJobCount() == 1; }));
        QCOMPARE(store.publishBacklog(0), 0);
        QVERIFY(written.isFinished());
        QCOMPARE(broadcaster.events.size(), 1);
        QCOMPARE(store.publishBacklog(0), 0);
        QCOMPARE(broadcaster.events.size(), 1);
        QTRY_COMPARE(store.backlog(), 0); // the marks go through the writer too
    }

    void fullWriterAnswers503AtOnce()
    {
        RecordingJob::Log log;
        Gate gate;
        Writer &writer = m_server->app().writer();
        QVERIFY(fillWriter(writer, gate, log));
        const quint64 refusedBefore = writer.refusedCount();
        auto refused = m_server->app().events().transactionLater(
            [](EventBatch &) -> Expected<qint64> { return 1; });
        QVERIFY(refused.isFinished());
        QCOMPARE(refused.result().error().status, 503);
        QCOMPARE(refused.result().error().retryAfterSeconds, 1);
        QCOMPARE(writer.refusedCount(), refusedBefore + 1);
        // Work that finishes admitted work (a charge's record) is never refused for capacity.
        auto follows = m_server->app().events().transactionLater(
            [](EventBatch &) -> Expected<qint64> { return 3; }, Writer::Admission::Follows);
        QVERIFY(!follows.isFinished());
        QCOMPARE(writer.size(), writer.capacity() + 1);
        gate.release();
        QTRY_COMPARE(log.finished.size(), writer.capacity());
        QCOMPARE(valueOr(resultOf(follows), 0), 3);
        QCOMPARE(valueOr(resultOf(m_server->app().events().transactionLater(
                             [](EventBatch &) -> Expected<qint64> { return 7; })),
                         0),
                 7);
        QTRY_COMPARE(writer.size(), 0);
    }

    //! A token's use mark is written on the writer, once at a time: requests that come while
    //! one is queued add none (a flood of requests must not become the writer's load).
    void tokenUseMarksAreQueuedOnceAtATime()
    {
        const Session gus = m_server->registerUser(QStringLiteral("gus"));
        const QVariantList digest{QString::fromLatin1(passwords::tokenDigest(gus.token))};
        const qint64 stale = protocol::nowMs() - 5 * 60 * 1000;
        QVERIFY(db().transaction([&] {
            SqlQuery(db(), u"UPDATE api_tokens SET last_used_at = ? WHERE token_hash = ?"_s)
                .bind(stale)
                .bind(digest.first())
                .exec();
            return true;
        }));
        RecordingJob::Log log;
        Gate gate;
        Writer &writer = m_server->app().writer();
        QVERIFY(gate.hold(writer, log));
        for (int i = 0; i < 5; ++i)
            QCOMPARE(m_server->get(u"/api/me"_s, gus.token).status, 200);
        QCOMPARE(writer.size(), 2); // the gate and one use mark
        gate.release();
        QTRY_VERIFY(sqlScalar(db(), u"SELECT last_used_at FROM api_tokens WHERE token_hash = ?"_s,
                              digest) > stale);
        QTRY_COMPARE(log.finished.size(), 1); // the gate's job has ended before `log` goes
    }

    //! POST /api/messages answers its 503 (JSON, Retry-After) while the writer is full, and
    //! its 201 once the writer has room again.
    void messageRouteAnswers503WhileTheWriterIsFull()
    {
        const Session alice = m_server->registerUser(QStringLiteral("alice"));
        const Session bob = m_server->registerUser(QStringLiteral("bob"));
        const QJsonObject body{{QLatin1String("to_user_id"), bob.user.id},
                               {QLatin1String("body"), QStringLiteral("hi")}};
        RecordingJob::Log log;
        Gate gate;
        Writer &writer = m_server->app().writer();
        QVERIFY(fillWriter(writer, gate, log));
        const Reply busy = m_server->post(QStringLiteral("/api/messages"), body, alice.token);
        QCOMPARE(busy.status, 503);
        QCOMPARE(busy.header("Retry-After"), QByteArray("1"));
        QVERIFY(!busy.json.value(QLatin1String("message")).toString().isEmpty());
        const Reply metrics = m_server->get(QStringLiteral("/metrics"));
        QVERIFY2(metrics.body.contains("flippdeal_writes_refused_total 1"),
                 metrics.body.constData());
        gate.release();
        QTRY_COMPARE(writer.size(), 0);
        const Reply sent = m_server->post(QStringLiteral("/api/messages"), body, alice.token);
        QCOMPARE(sent.status, 201);
        QCOMPARE(sent.json.value(QLatin1String("message")).toObject().value("body"_L1).toString(),
                 QStringLiteral("hi"));
    }

    //! Messages sent at once commit in one batch; each gets its own id and the recipient's
    //! channel its gap-free seqs; a replay in the same batch finds the message before it.
    void messagesSentAtOnceShareACommit()
    {
        const Session alice = m_server->registerUser(QStringLiteral("alice"));
        const Session bob = m_server->registerUser(QStringLiteral("bob"));
        RecordingJob::Log log;
        Gate gate;
        Writer &writer = m_server->app().writer();
        MessageService &messages = m_server->app().messages();
        QVERIFY(gate.hold(writer, log));
        const quint64 batchesBefore = writer.batchCount();
        QList<QFuture<Expected<SentMessage>>> sent;
        for (int i = 0; i < 4; ++i)
            sent.append(messages.sendLater(alice.user, bob.user.id, std::nullopt,
                                           QStringLiteral("hello %1").arg(i), protocol::nowMs(),
                                           QStringLiteral("m%1").arg(i)));
        sent.append(messages.sendLater(alice.user, bob.user.id, std::nullopt,
                                       QStringLiteral("hello 0"), protocol::nowMs(),
                                       QStringLiteral("m0")));
        gate.release();
        QSet<qint64> ids;
        for (int i = 0; i < 4; ++i) {
            const auto result = resultOf(sent.at(i));
            QVERIFY2(result, qPrintable(result ? QString() : result.error().message));
            QVERIFY(!result->replayed);
            ids.insert(result->message.id);
        }
        const auto replay = resultOf(sent.at(4));
        QVERIFY(replay);
        QVERIFY(replay->replayed);
        QCOMPARE(replay->message.id, resultOf(sent.at(0))->message.id);
        QCOMPARE(ids.size(), 4);
        QCOMPARE(writer.batchCount(), batchesBefore + 2);
        // Two events per message on bob's channel (the message and its notification), no gap.
        const auto seq = EventStore::lastSeq(db(), protocol::Channels::user(bob.user.id));
        QVERIFY(seq);
        QCOMPARE(*seq, 8);
    }

    //! Every marketplace write a user makes (listings and their edits, watching, bids, offers
    //! and answers, read marks; accepting an offer opens its escrow there) is handed to the
    //! writer thread: while it is full,
    //! each answers a 503 with a Retry-After at once, having written nothing; once it has room,
    //! each succeeds.
    void marketWritesGoThroughTheWriter()
    {
        const Session alice = m_server->registerUser(QStringLiteral("alice"));
        const Session bob = m_server->registerUser(QStringLiteral("bob"));
        const Session leaving = m_server->registerUser(QStringLiteral("leaving"));
        const QString ends = protocol::isoUtc(protocol::nowMs() + 3600 * 1000);
        const qint64 auction = createdId(m_server->post(u"/api/domains"_s,
                                                        {{"name"_L1, u"writer-auction.com"_s},
                                                         {"enable_bidding"_L1, true},
                                                         {"min_increment_cents"_L1, 100},
                                                         {"ends_at"_L1, ends}},
                                                        alice.token),
                                         "domain");
        const qint64 listing = createdId(
            m_server->post(u"/api/domains"_s, {{"name"_L1, u"writer-listing.com"_s}}, alice.token),
            "domain");
        const qint64 unsold = createdId(
            m_server->post(u"/api/domains"_s, {{"name"_L1, u"writer-unsold.com"_s}}, alice.token),
            "domain");
        QVERIFY(auction > 0 && listing > 0 && unsold > 0);
        const QString offers = u"/api/domains/%1/offers"_s.arg(listing);
        const qint64 open =
            createdId(m_server->post(offers, {{"amount_cents"_L1, 1000}}, bob.token), "offer");
        const qint64 sold =
            createdId(m_server->post(offers, {{"amount_cents"_L1, 2000}}, bob.token), "offer");
        const Reply accepted = send(
            *m_server,
            {"PATCH", u"/api/offers/%1"_s.arg(sold), {{"action"_L1, u"accept"_s}}, alice.token});
        QCOMPARE(accepted.status, 200);
        const qint64 escrow = intOf(objectOf(accepted, "offer"), "escrow_id");
        const qint64 message = createdId(
            m_server->post(u"/api/messages"_s,
                           {{"to_user_id"_L1, alice.user.id}, {"body"_L1, u"hello"_s}}, bob.token),
            "message");
        const Reply notes = m_server->get(u"/api/notifications"_s, alice.token);
        const qint64 note = intOf(notes.json.value("data"_L1).toArray().first().toObject(), "id");
        QVERIFY(open > 0 && escrow > 0 && message > 0 && note > 0);

        const QList<WriteCall> calls{
            {"POST",
             u"/api/domains/%1/bids"_s.arg(auction),
             {{"amount_cents"_L1, 500}},
             bob.token,
             201},
            {"POST",
             u"/api/domains/%1/offers"_s.arg(unsold),
             {{"amount_cents"_L1, 3000}},
             bob.token,
             201},
            {"PATCH", u"/api/offers/%1"_s.arg(open), {{"action"_L1, u"reject"_s}}, alice.token},
            {"PATCH", u"/api/messages/%1/read"_s.arg(message), {}, alice.token},
            {"PATCH", u"/api/notifications/%1/read"_s.arg(note), {}, alice.token},
            {"POST", u"/api/notifications/read-all"_s, {}, alice.token},
            {"POST", u"/api/domains"_s, {{"name"_L1, u"writer-new.com"_s}}, alice.token, 201},
            {"PATCH", u"/api/domains/%1"_s.arg(unsold), {{"buy_now_cents"_L1, 5000}}, alice.token},
            {"POST", u"/api/domains/%1/watch"_s.arg(auction), {}, bob.token},
            {"DELETE", u"/api/domains/%1/watch"_s.arg(auction), {}, bob.token},
            {"POST", u"/api/logout"_s, {}, leaving.token, 204},
        };
        refusedWhileFullThenDone(calls);
        if (QTest::currentTestFailed())
            return;
        const Reply bids = m_server->get(u"/api/domains/%1/bids"_s.arg(auction), bob.token);
        QCOMPARE(bids.json.value("data"_L1).toArray().size(), 1); // the refused one wrote nothing
    }

    //! An operator's changes (ban, unban, revoking tokens, the job queue's retry and deletes)
    //! are writer jobs too: while it is full each answers a 503 at once having changed
    //! nothing, and once it has room each succeeds.
    void operatorWritesGoThroughTheWriter()
    {
        const QString adminEmail = u"ops@writer.test"_s;
        const QString password = u"correct horse battery"_s;
        const auto admin = m_server->app().accounts().createUserBlocking(u"Ops"_s, adminEmail,
                                                                         password, u"admin"_s);
        QVERIFY(admin);
        const Reply signedIn =
            m_server->post(u"/api/login"_s, {{"email"_L1, adminEmail}, {"password"_L1, password}});
        QCOMPARE(signedIn.status, 200);
        const QByteArray ops = signedIn.json.value("token"_L1).toString().toLatin1();
        const Session mallory = m_server->registerUser(u"mallory"_s);
        const Session trent = m_server->registerUser(u"trent"_s);
        Database &db = m_server->app().database();
        const qint64 now = protocol::nowMs();
        const QString failed = u"INSERT INTO failed_jobs (job_id, type, payload, attempts, "
                               u"error, failed_at) VALUES (1, 'Nothing', '{}', 5, 'x', ?)"_s;
        QVERIFY(sqlExec(db, failed, {now}) && sqlExec(db, failed, {now}));
        const qint64 firstFailed = sqlScalar(db, u"SELECT MIN(id) FROM failed_jobs"_s);
        QVERIFY(sqlExec(db,
                        u"INSERT INTO jobs (type, payload, max_attempts, available_at, "
                        u"created_at) VALUES ('Nothing', '{}', 5, ?, ?)"_s,
                        {now + 3600 * 1000, now}));
        const qint64 waiting = sqlScalar(db, u"SELECT MAX(id) FROM jobs"_s);
        const QString users = u"/api/admin/users/%1/"_s;
        const QList<WriteCall> calls{
            {"POST", users.arg(mallory.user.id) + u"ban"_s, {}, ops},
            {"POST", users.arg(mallory.user.id) + u"unban"_s, {}, ops},
            {"POST", users.arg(trent.user.id) + u"revoke-tokens"_s, {}, ops},
            {"POST", u"/api/admin/jobs/failed/%1/retry"_s.arg(firstFailed), {}, ops},
            {"DELETE", u"/api/admin/jobs/failed/%1"_s.arg(firstFailed + 1), {}, ops},
            {"DELETE", u"/api/admin/jobs/%1"_s.arg(waiting), {}, ops},
        };
        refusedWhileFullThenDone(
            calls, [&] { return m_server->get(u"/api/me"_s, trent.token).status == 200; });
        if (QTest::currentTestFailed())
            return;
        QCOMPARE(m_server->get(u"/api/me"_s, trent.token).status, 401);
        QCOMPARE(m_server->get(u"/api/me"_s, mallory.token).status, 401); // the ban revoked it
        QCOMPARE(sqlScalar(db, u"SELECT COUNT(*) FROM failed_jobs"_s), 0);
        QCOMPARE(sqlScalar(db, u"SELECT COUNT(*) FROM jobs WHERE id = ?"_s, {waiting}), 0);
    }

    //! The webhook events of an event-loop pass are stored on the writer. While it is full
    //! they wait (nothing is stored, nothing is lost), and once it has room they are stored and
    //! queued for sending.
    void webhookEventsWaitForAFullWriter()
    {
        m_server.reset();
        m_server = std::make_unique<TestServer>([](Config &config) {
            config.webhookUrls = {u"http://127.0.0.1:9/hooks"_s}; // never answers: stays queued
        });
        QVERIFY2(m_server->isRunning(), qPrintable(m_server->errorString()));
        RecordingJob::Log log;
        Gate gate;
        Writer &writer = m_server->app().writer();
        QVERIFY(fillWriter(writer, gate, log));
        TestSocket socket(m_server->webSocketUrl());
        QVERIFY(socket.waitConnected());
        QVERIFY(socket.subscribe(u"public-hooked"_s)); // channel_occupied
        const QString stored = u"SELECT COUNT(*) FROM webhook_events"_s;
        const QString queued = u"SELECT COUNT(*) FROM jobs WHERE type = 'SendWebhook'"_s;
        // The store was refused, and is tried again (every 200 ms) until the writer has room.
        QVERIFY(waitUntil([&] { return writer.refusedCount() >= 2; }, 5000));
        QCOMPARE(sqlScalar(db(), stored) + sqlScalar(db(), queued), 0);
        gate.release();
        QVERIFY(waitUntil([&] { return sqlScalar(db(), queued) == 1; }, 5000));
        QCOMPARE(sqlScalar(db(), stored), 0); // taken into the job
        const QString body =
            sqlTexts(db(), u"SELECT payload FROM jobs WHERE type = 'SendWebhook'"_s).value(0);
        QVERIFY2(body.contains("channel_occupied"_L1) && body.contains("public-hooked"_L1),
                 qPrintable(body));
        QCOMPARE(m_server->app().webhooks().droppedCount(), quint64(0));
    }

    //! A held `channel_vacated` that a batch being taken sends although the channel filled
    //! again meanwhile is followed by the `channel_occupied` that undid it: a receiver never
    //! ends up believing an occupied channel empty.
    void webhookUndoneWhileItsBatchIsTakenIsFollowedByItsPair()
    {
        m_server.reset();
        m_server = std::make_unique<TestServer>([](Config &config) {
            config.webhookUrls = {u"http://127.0.0.1:9/hooks"_s}; // never answers: stays queued
            config.jobBackoffMs = 600000; // and is not claimed again while the test looks
        });
        QVERIFY2(m_server->isRunning(), qPrintable(m_server->errorString()));
        const QString channel = u"public-flicker"_s;
        const QString sent = u"SELECT payload FROM jobs WHERE type = 'SendWebhook' UNION ALL "
                             u"SELECT payload FROM failed_jobs WHERE type = 'SendWebhook'"_s;
        const auto sentContaining = [&](QLatin1StringView name) {
            const QStringList payloads = sqlTexts(db(), sent);
            return std::count_if(payloads.begin(), payloads.end(),
                                 [&](const QString &p) { return p.contains(name); });
        };
        {
            TestSocket first(m_server->webSocketUrl());
            QVERIFY(first.waitConnected());
            QVERIFY(first.subscribe(channel));
            QVERIFY(waitUntil([&] { return sentContaining("channel_occupied"_L1) == 1; }, 5000));
        } // gone: channel_vacated is held for 3 s
        const QString held = u"SELECT COUNT(*) FROM webhook_events"_s;
        QVERIFY(waitUntil([&] { return sqlScalar(db(), held) == 1; }, 5000));
        // The worker has tried the first batch and waits out its backoff: the writer's next
        // job is the take.
        QVERIFY(waitUntil(
            [&] {
                return sqlScalar(db(), u"SELECT COUNT(*) FROM jobs WHERE attempts = 1 AND "
                                       u"reserved_at IS NULL"_s) == 1;
            },
            5000));
        RecordingJob::Log log;
        Gate gate;
        Writer &writer = m_server->app().writer();
        QVERIFY(gate.hold(writer, log));
        // A poll (every 500 ms) finds the held event due after its 3 s and queues its take.
        QVERIFY(waitUntil([&] { return writer.size() == 2; }, 10000));
        TestSocket second(m_server->webSocketUrl());
        QVERIFY(second.waitConnected());
        QVERIFY(second.subscribe(channel)); // undoes the vacated, while its batch is taken
        gate.release();
        QTRY_COMPARE(log.finished.size(), 1);
        QVERIFY2(waitUntil([&] { return sentContaining("channel_occupied"_L1) == 2; }, 5000),
                 qPrintable(sqlTexts(db(), sent).join(u"\n"_s) + u" | stored: "_s +
                            sqlTexts(db(), u"SELECT event FROM webhook_events"_s).join(u", "_s)));
        QCOMPARE(sentContaining("channel_vacated"_L1), 1);
    }

    //! Equal bids handed to the writer at once commit in one batch, and exactly one wins: the
    //! others see its bid (a savepoint each, in order) and are refused.
    void equalBidsInOneBatchOneWins()
    {
        const Session alice = m_server->registerUser(QStringLiteral("alice"));
        QList<Session> bidders;
        for (int i = 0; i < 4; ++i)
            bidders.append(m_server->registerUser(u"bidder%1"_s.arg(i)));
        const qint64 auction = createdId(
            m_server->post(u"/api/domains"_s,
                           {{"name"_L1, u"one-batch.com"_s},
                            {"enable_bidding"_L1, true},
                            {"min_increment_cents"_L1, 100},
                            {"ends_at"_L1, protocol::isoUtc(protocol::nowMs() + 3600 * 1000)}},
                           alice.token),
            "domain");
        QVERIFY(auction > 0);
        RecordingJob::Log log;
        Gate gate;
        Writer &writer = m_server->app().writer();
        QVERIFY(gate.hold(writer, log));
        const quint64 batchesBefore = writer.batchCount();
        QList<QFuture<Expected<AuctionService::BidResult>>> placed;
        for (const Session &bidder : bidders)
            placed.append(
                m_server->app().auctions().placeBid(bidder.user, auction, 700, protocol::nowMs()));
        gate.release();
        int won = 0;
        for (const auto &future : placed) {
            const auto result = resultOf(future);
            if (result)
                ++won;
            else
                QCOMPARE(result.error().status, 422);
        }
        QCOMPARE(won, 1);
        QCOMPARE(writer.batchCount(), batchesBefore + 2); // the gate's, then the four bids'
        const Reply bids = m_server->get(u"/api/domains/%1/bids"_s.arg(auction), alice.token);
        QCOMPARE(bids.json.value("data"_L1).toArray().size(), 1);
    }

    //! A cancel that commits between a fund's charge and its record: the charge, made and
    //! recorded nowhere before, is recorded in the escrow's audit trail and returned to the
    //! buyer by a job; the buyer is told so (409). The writer's order makes the race: the
    //! cancel is queued first, then the sandbox charge, then (once it is made) its record.
    void chargeAfterACancelIsReturned()
    {
        const Session seller = m_server->registerUser(QStringLiteral("seller"));
        const Session buyer = m_server->registerUser(QStringLiteral("buyer"));
        const qint64 escrow = openEscrow(seller, buyer, u"late-charge.com"_s, 4321);
        QVERIFY(escrow > 0);

        RecordingJob::Log log;
        Gate gate;
        const auto steps =
            stepsBehind(gate, log, escrow,
                        {{seller.user, EscrowAction::Cancel}, {buyer.user, EscrowAction::Fund}});
        QCOMPARE(m_server->app().writer().size(), 3); // the gate, the cancel, the charge
        gate.release();
        const auto cancelled = steps.value(0);
        const auto funded = steps.value(1);
        const auto cancel = resultOf(cancelled);
        QVERIFY(cancel);
        QVERIFY(cancel->status == EscrowStatus::Cancelled);
        const auto fund = resultOf(funded);
        QVERIFY(!fund);
        QCOMPARE(fund.error().status, 409);
        QVERIFY2(fund.error().message.contains("returned"_L1), qPrintable(fund.error().message));

        const QString charges = u"SELECT status FROM sandbox_charges WHERE idempotency_key = ?"_s;
        const QVariantList key{u"escrow-%1-charge-1"_s.arg(escrow)};
        QCOMPARE(sqlTexts(db(), charges, key), QStringList{u"settled"_s});
        QCOMPARE(sqlScalar(db(),
                           u"SELECT COUNT(*) FROM escrow_events WHERE escrow_id = ? AND reason "
                           "LIKE 'late charge %'"_s,
                           {escrow}),
                 qint64(1));
        QVERIFY(waitUntil(
            [&] {
                m_server->app().worker().runAvailable();
                return sqlTexts(db(), charges, key) == QStringList{u"refunded"_s};
            },
            10000));
        QCOMPARE(sqlScalar(db(),
                           u"SELECT SUM(amount_cents) FROM sandbox_refunds WHERE idempotency_key "
                           "LIKE ?"_s,
                           {u"escrow-%1-return-%"_s.arg(escrow)}),
                 qint64(4321));
        const Reply after = m_server->get(u"/api/escrows/%1"_s.arg(escrow), buyer.token);
        QCOMPARE(objectOf(after, "escrow").value("status"_L1).toString(), u"cancelled"_s);
    }

    //! A charge whose record fails to commit (here a trigger makes the statement fail, as a
    //! full disk or a crash would) is not lost: the ReconcileEscrowCharge job written before the
    //! provider was asked finds it again by its key, records it and funds the escrow, without a
    //! second charge. A fund whose record commits leaves no such job behind.
    void aChargeWhoseRecordFailsIsReconciled()
    {
        const Session seller = m_server->registerUser(QStringLiteral("seller"));
        const Session buyer = m_server->registerUser(QStringLiteral("buyer"));
        const qint64 normal = openEscrow(seller, buyer, u"recorded.com"_s, 1500);
        const qint64 escrow = openEscrow(seller, buyer, u"unrecorded.com"_s, 2500);
        QVERIFY(normal > 0 && escrow > 0);
        const QString reconcileJobs = u"SELECT COUNT(*) FROM jobs WHERE type = ?"_s;
        const QVariantList reconcile{EscrowService::ReconcileChargeJob};
        const QString fund = u"/api/escrows/%1/fund"_s;
        QCOMPARE(m_server->post(fund.arg(normal), {}, buyer.token).status, 200);
        QCOMPARE(sqlScalar(db(), reconcileJobs, reconcile), 0);

        const bool postgres = db().dialect() == Database::Dialect::Postgres;
        const QStringList failRecords =
            postgres ? QStringList{u"CREATE FUNCTION fail_record() RETURNS trigger AS $$ BEGIN "
                                   "RAISE EXCEPTION 'the disk is full'; END $$ LANGUAGE plpgsql"_s,
                                   u"CREATE TRIGGER fail_record BEFORE UPDATE ON escrows FOR EACH "
                                   "ROW EXECUTE FUNCTION fail_record()"_s}
                     : QStringList{u"CREATE TRIGGER fail_record BEFORE UPDATE ON escrows BEGIN "
                                   "SELECT RAISE(ABORT, 'the disk is full'); END"_s};
        for (const QString &sql : failRecords) // DDL: not prepared (PostgreSQL cannot)
            QVERIFY2(QSqlQuery(db().handle()).exec(sql), qPrintable(sql));
        const Reply failed = m_server->post(fund.arg(escrow), {}, buyer.token);
        QVERIFY2(failed.status == 500, qPrintable(describe(failed)));
        const QString charges =
            u"SELECT COUNT(*) FROM sandbox_charges WHERE idempotency_key LIKE ?"_s;
        const QVariantList keys{u"escrow-%1-charge-%"_s.arg(escrow)};
        QCOMPARE(sqlScalar(db(), charges, keys), 1); // charged, and recorded nowhere
        const QString status = u"SELECT status FROM escrows WHERE id = ?"_s;
        QCOMPARE(sqlTexts(db(), status, {escrow}), QStringList{u"pending_funding"_s});
        QCOMPARE(sqlScalar(db(), reconcileJobs, reconcile), 1);

        const QString dropTrigger =
            u"DROP TRIGGER fail_record"_s + (postgres ? u" ON escrows"_s : QString());
        QVERIFY(QSqlQuery(db().handle()).exec(dropTrigger));
        // Its five minutes are up.
        QVERIFY(sqlExec(db(), u"UPDATE jobs SET available_at = ? WHERE type = ?"_s,
                        {protocol::nowMs(), EscrowService::ReconcileChargeJob}));
        QVERIFY(waitUntil(
            [&] { return sqlTexts(db(), status, {escrow}) == QStringList{u"funded"_s}; }, 10000));
        QCOMPARE(sqlScalar(db(), charges, keys), 1); // no second charge
        const qint64 charge =
            sqlScalar(db(), u"SELECT id FROM sandbox_charges WHERE idempotency_key LIKE ?"_s, keys);
        QCOMPARE(sqlTexts(db(), u"SELECT charge_reference FROM escrows WHERE id = ?"_s, {escrow}),
                 QStringList{u"sandbox-charge-%1"_s.arg(charge)});
        QVERIFY(waitUntil([&] { return sqlScalar(db(), reconcileJobs, reconcile) == 0; }, 5000));

        // A fund that died before the provider heard of it: its reconcile job charges nothing.
        const qint64 unasked = openEscrow(seller, buyer, u"unasked.com"_s, 3500);
        QVERIFY(unasked > 0);
        QVERIFY(db().transaction([&] {
            JobQueue::enqueue(db(), EscrowService::ReconcileChargeJob,
                              {{"escrow_id"_L1, unasked},
                               {"attempt"_L1, 1},
                               {"buyer_id"_L1, buyer.user.id},
                               {"amount_cents"_L1, 3500}},
                              protocol::nowMs());
            return true;
        }));
        QVERIFY(waitUntil([&] { return sqlScalar(db(), reconcileJobs, reconcile) == 0; }, 5000));
        QCOMPARE(sqlScalar(db(), charges, {u"escrow-%1-charge-%"_s.arg(unasked)}), 0);
        QCOMPARE(sqlTexts(db(), status, {unasked}), QStringList{u"pending_funding"_s});
        QCOMPARE(sqlScalar(db(), u"SELECT COUNT(*) FROM failed_jobs"_s), 0);
    }

    //! Two fund requests that get the same declined charge: the first record counts the
    //! attempt, the second is an attempt already overtaken and writes nothing (it must not
    //! overwrite what a later attempt recorded). The next fund makes attempt 2.
    void aDeclinedChargeRecordedTwiceCountsOnce()
    {
        const Session seller = m_server->registerUser(QStringLiteral("seller"));
        const Session buyer = m_server->registerUser(QStringLiteral("buyer"));
        const qint64 escrow = openEscrow(seller, buyer, u"declined-twice.com"_s, 2500);
        QVERIFY(escrow > 0);
        QVERIFY(db().transaction([&] {
            SqlQuery(db(), u"INSERT INTO sandbox_charges (idempotency_key, buyer_id, "
                           "amount_cents, status, created_at) VALUES (?, ?, 2500, 'failed', ?)"_s)
                .bind(u"escrow-%1-charge-1"_s.arg(escrow))
                .bind(buyer.user.id)
                .bind(protocol::nowMs())
                .exec();
            return true;
        }));
        RecordingJob::Log log;
        Gate gate;
        const auto steps =
            stepsBehind(gate, log, escrow,
                        {{buyer.user, EscrowAction::Fund}, {buyer.user, EscrowAction::Fund}});
        QCOMPARE(m_server->app().writer().size(), 3); // the gate and the two (idempotent) charges
        gate.release();
        for (const auto &future : steps) {
            const auto refused = resultOf(future);
            QVERIFY(!refused);
            QCOMPARE(refused.error().status, 409);
            QVERIFY2(refused.error().message.contains("declined"_L1),
                     qPrintable(refused.error().message));
        }
        const QString attempts = u"SELECT charge_attempts FROM escrows WHERE id = ?"_s;
        QCOMPARE(sqlScalar(db(), attempts, {escrow}), qint64(1));
        const auto funded =
            resultOf(m_server->app().escrows().transition(buyer.user, escrow, EscrowAction::Fund));
        QVERIFY2(funded, qPrintable(funded ? QString() : funded.error().message));
        QVERIFY(funded->status == EscrowStatus::Funded);
        QCOMPARE(sqlTexts(db(),
                          u"SELECT idempotency_key FROM sandbox_charges WHERE idempotency_key "
                          "LIKE ? ORDER BY id"_s,
                          {u"escrow-%1-charge-%"_s.arg(escrow)}),
                 (QStringList{u"escrow-%1-charge-1"_s.arg(escrow),
                              u"escrow-%1-charge-2"_s.arg(escrow)}));
    }

    //! The serve process's job worker claims and completes through the writer: a poll while a
    //! batch holds the database hands its claim over instead of waiting for SQLite's lock on
    //! the event loop (up to the busy timeout, every 500 ms), and an idle poll writes nothing.
    void jobWorkerClaimsThroughTheWriter()
    {
        JobWorker &worker = m_server->app().worker();
        worker.stop();
        QList<qint64> ran;
        worker.addHandler(u"WriterTest"_s, [&ran](const Job &job) {
            ran.append(job.id);
            return std::optional<QString>();
        });
        Writer &writer = m_server->app().writer();
        QTRY_COMPARE(writer.size(), 0);
        const quint64 committedBefore = writer.committedJobCount();
        worker.start();
        QTest::qWait(1200); // idle polls: reads only, no writer job
        QCOMPARE(writer.committedJobCount(), committedBefore);
        worker.stop();
        QVERIFY(db().transaction([&] {
            JobQueue::enqueue(db(), u"WriterTest"_s, {{"n"_L1, 1}}, protocol::nowMs());
            return true;
        }));
        RecordingJob::Log log;
        Gate gate;
        QVERIFY(gate.hold(writer, log));
        worker.start();
        QTRY_COMPARE(writer.size(), 2); // the gate, and the worker's claim behind it
        QVERIFY(ran.isEmpty());
        gate.release();
        QTRY_COMPARE(ran.size(), 1);
        QTRY_COMPARE(sqlScalar(db(), u"SELECT COUNT(*) FROM jobs WHERE type = 'WriterTest'"_s),
                     qint64(0));
    }

    //! PostgreSQL: a job that deadlocks with another connection's transaction (the writer's
    //! transaction holds the rows of the jobs before it until its commit) is undone; the jobs
    //! before it commit, releasing their locks, and it runs again in a transaction of its own.
    //! The writer waits first, so PostgreSQL's deadlock check (after deadlock_timeout, 1 s)
    //! picks it as the one to fail.
    void jobLosingADeadlockRunsAgainAfterTheJobsBeforeItCommit()
    {
        if (!m_server->isPostgres())
            QSKIP("needs PostgreSQL's row locks (FLIPPDEAL_TEST_DATABASE)");
        const Session first = m_server->registerUser(QStringLiteral("first"));
        const Session second = m_server->registerUser(QStringLiteral("second"));
        Database other;
        Database watcher;
        QVERIFY(other.open(url()) && watcher.open(url()));
        const auto rename = [](Database &db, qint64 id, const QString &name) {
            SqlQuery(db, u"UPDATE users SET name = ? WHERE id = ?"_s).bind(name).bind(id).exec();
        };
        QVERIFY(other.begin());
        rename(other, second.user.id, u"other's"_s); // the other transaction holds `second`

        RecordingJob::Log log;
        Gate gate;
        Writer &writer = m_server->app().writer();
        QVERIFY(gate.hold(writer, log));
        const quint64 batchesBefore = writer.batchCount();
        QSemaphore secondTried;
        EventStore &events = m_server->app().events();
        auto takesFirst = events.transactionLater([&](EventBatch &batch) -> Expected<Done> {
            rename(batch.db(), first.user.id, u"writer's"_s);
            return Done{};
        });
        auto takesSecond = events.transactionLater([&](EventBatch &batch) -> Expected<Done> {
            secondTried.release();
            rename(batch.db(), second.user.id, u"writer's"_s); // waits for the other
            return Done{};
        });
        gate.release();
        QVERIFY(secondTried.tryAcquire(1, 10000));
        QVERIFY(QTest::qWaitFor(
            [&] {
                return SqlQuery(watcher, u"SELECT COUNT(*) FROM pg_locks WHERE NOT granted"_s)
                           .scalar() > 0;
            },
            10000));
        // Now the other waits for `first`, which the writer holds: a deadlock. The writer's
        // statement fails, `takesFirst` commits, and this goes on.
        rename(other, first.user.id, u"other's"_s);
        QVERIFY(other.commit());
        QVERIFY(resultOf(takesFirst));
        QVERIFY(resultOf(takesSecond));
        QVERIFY(secondTried.tryAcquire(1, 0));            // it ran twice
        QCOMPARE(writer.batchCount(), batchesBefore + 3); // the gate's, then two for the pair
        const auto nameOf = [&](qint64 id) {
            SqlQuery query(watcher, u"SELECT name FROM users WHERE id = ?"_s);
            query.bind(id).exec();
            return query.next() ? query.text(0) : QString();
        };
        QCOMPARE(nameOf(first.user.id), u"other's"_s); // the writer's commit came first
        QCOMPARE(nameOf(second.user.id), u"writer's"_s);
    }

    void unopenableDatabaseFailsToStart()
    {
        Writer writer(QStringLiteral("sqlite:/proc/no-such-folder/flippdeal.db"));
        QVERIFY(!writer.start());
        QVERIFY(!writer.errorString().isEmpty());
        RecordingJob::Log log;
        QVERIFY(!writer.submit(std::make_unique<RecordingJob>(1, log)));
        QCOMPARE(writer.size(), 0);
    }
};

QTEST_GUILESS_MAIN(TestWriter)
#include "tst_writer.moc"
