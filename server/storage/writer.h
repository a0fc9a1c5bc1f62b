// SPDX-License-Identifier: MIT
#pragma once

#include "core/boundedcount.h"

#include <QObject>
#include <QString>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace flippdeal::server {

class Database;

//! \brief One unit of work for the Writer: run() on the writer thread inside the batch's
//! transaction (in a savepoint of its own, so a refusal or a failed statement undoes only its
//! own writes), finish() on the owner's thread once the batch has committed or failed.
class WriteJob
{
public:
    virtual ~WriteJob() = default;
    //! False when the job lost a race to another connection's transaction (a PostgreSQL
    //! deadlock: DbError::isTransient()) and its writes were undone: the Writer commits the
    //! jobs before it, releasing their locks, and runs it again first in a new transaction.
    virtual bool run(Database &db) = 0;
    //! `committed`: whether the batch that ran this job committed. A job that never ran (the
    //! batch could not begin) is finished with false too.
    virtual void finish(bool committed) = 0;
};

//! \brief The writer thread: one read-write connection of its own that runs the jobs handed to
//! it in batches, one transaction and one commit (one fsync on SQLite) per batch.
//!
//! Group commit is what lets durable writes outrun the disk's commits per second, while each
//! answer still comes only after its own commit: finish() runs on the owner's thread after the
//! COMMIT returned, in commit order. At most `capacity` jobs wait or run; beyond that submit()
//! refuses at once, so a flood of writes costs the flooder, not the event loop.
//!
//! The owner's thread may write on a connection of its own too (the services not moved here
//! yet). finishCommittedInOrder() keeps the broadcasts in commit order across the two: it waits
//! for a commit under way to be queued, so a transaction that committed after it publishes after
//! it.
class Writer : public QObject
{
    Q_OBJECT

public:
    static constexpr int DefaultCapacity = 1024;
    static constexpr int DefaultMaxBatch = 256;

    explicit Writer(QString databaseUrl, int capacity = DefaultCapacity,
                    int maxBatch = DefaultMaxBatch, QObject *parent = nullptr);
    //! Finishes the jobs handed over (their batches commit), then stops the thread.
    ~Writer() override;
    Writer(const Writer &) = delete;
    Writer &operator=(const Writer &) = delete;

    //! Starts the thread and opens its connection; false with errorString() when it cannot.
    bool start();
    QString errorString() const { return m_error; }

    //! How submit() admits a job.
    enum class Admission
    {
        Bounded, //!< refused when `capacity` jobs already wait or run
        Follows, //!< never refused for capacity: it finishes work admitted before (a charge's
                 //!< record after the charge), so there is at most one per such earlier job
    };
    //! Hands `job` to the writer thread; false (the job untouched) when it is not admitted or
    //! the writer is not running.
    bool submit(std::unique_ptr<WriteJob> job, Admission admission = Admission::Bounded);

    //! Finishes every job whose batch has ended, in commit order. Runs by itself on the owner's
    //! thread soon after each batch; call it to publish earlier batches before a later commit.
    Q_INVOKABLE void finishCommitted();
    //! finishCommitted(), after waiting for a commit that is under way to be queued: call it
    //! right after committing on another connection, before publishing that commit.
    void finishCommittedInOrder();

    //! Runs `read` while no batch can commit (a batch about to commit waits): what `read` sees
    //! of the writer's commits is exactly the batches queued for finishCommitted() so far. It
    //! must not write, or it would wait for a batch that waits for it.
    template <typename Read>
    auto whileNoCommit(Read &&read)
    {
        const std::lock_guard order(m_commitMutex);
        return read();
    }

    //! Jobs waiting or running.
    int size() const { return m_places.size(); }
    int capacity() const { return m_places.capacity(); }
    quint64 refusedCount() const { return m_places.refusedCount(); }
    quint64 batchCount() const { return m_batches.load(); }
    quint64 committedJobCount() const { return m_committedJobs.load(); }

private:
    struct Ended
    {
        std::unique_ptr<WriteJob> job;
        bool committed = false;
    };

    void runThread();
    //! Waits for jobs and takes up to m_maxBatch of them; empty when stopping with none left.
    std::vector<std::unique_ptr<WriteJob>> takeBatch();
    void runBatch(std::vector<std::unique_ptr<WriteJob>> jobs);
    //! Runs jobs from `from` in one transaction, up to the end or to a job that lost a race
    //! (which is not counted in); commits them and queues them for finishCommitted(). With
    //! `lastTry`, a first job that loses ends with its failure. Returns where it stopped.
    std::size_t runTransaction(std::vector<std::unique_ptr<WriteJob>> &jobs, std::size_t from,
                               bool lastTry);
    //! How often a job runs, each time first in a new transaction, before a lost race ends it
    //! with its failure.
    static constexpr int MaxRaceTries = 3;

    QString m_url;
    BoundedCount m_places;
    int m_maxBatch;
    QString m_error;
    std::unique_ptr<Database> m_db; // opened, used and closed on the writer thread only
    std::thread m_thread;

    std::mutex m_queueMutex;
    std::condition_variable m_wake;
    std::deque<std::unique_ptr<WriteJob>> m_queue;
    bool m_stopping = false;
    bool m_running = false;
    bool m_started = false; //!< the thread has tried to open its connection

    std::mutex m_commitMutex; // held from before a COMMIT until its jobs are queued in m_ended
    std::mutex m_endedMutex;
    std::deque<Ended> m_ended;
    std::atomic<bool> m_finishPosted{false};

    std::atomic<quint64> m_batches{0};
    std::atomic<quint64> m_committedJobs{0};
};

} // namespace flippdeal::server
