// SPDX-License-Identifier: MIT
#include "storage/writer.h"

#include "core/logging.h"
#include "storage/database.h"

#include <QThread>

#include <pthread.h>

namespace flippdeal::server {

Writer::Writer(QString databaseUrl, int capacity, int maxBatch, QObject *parent)
    : QObject(parent)
    , m_url(std::move(databaseUrl))
    , m_places(capacity)
    , m_maxBatch(std::max(maxBatch, 1))
{}

Writer::~Writer()
{
    if (m_thread.joinable()) {
        {
            const std::lock_guard lock(m_queueMutex);
            m_stopping = true;
        }
        m_wake.notify_all();
        m_thread.join();
    }
    // The last batches' jobs: their answers and broadcasts, if anyone still waits for them.
    finishCommitted();
}

bool Writer::start()
{
    // A std::thread, with std::mutex and std::condition_variable below: ThreadSanitizer (the
    // tsan preset) sees their synchronization, which Qt's, inside an uninstrumented Qt, hides.
    m_thread = std::thread([this] {
        QThread::currentThread()->setObjectName(QStringLiteral("writer"));
        pthread_setname_np(pthread_self(), "writer"); // for top, perf and the bench's split
        m_db = std::make_unique<Database>();
        const bool open = m_db->open(m_url);
        {
            const std::lock_guard lock(m_queueMutex);
            if (!open)
                m_error = m_db->errorString();
            m_running = open;
            m_started = true;
        }
        m_wake.notify_all();
        if (open)
            runThread();
        m_db.reset(); // closed on the thread that opened it
    });
    std::unique_lock lock(m_queueMutex);
    m_wake.wait(lock, [this] { return m_started; });
    return m_running;
}

bool Writer::submit(std::unique_ptr<WriteJob> job, Admission admission)
{
    if (admission == Admission::Follows)
        m_places.acquireBeyond();
    else if (!m_places.tryAcquire())
        return false;
    {
        const std::lock_guard lock(m_queueMutex);
        if (m_running && !m_stopping) {
            m_queue.push_back(std::move(job));
            m_wake.notify_all(); // the writer thread, the only one waiting once started
            return true;
        }
    }
    m_places.release();
    return false;
}

void Writer::runThread()
{
    for (;;) {
        auto jobs = takeBatch();
        if (jobs.empty())
            return;
        runBatch(std::move(jobs));
    }
}

std::vector<std::unique_ptr<WriteJob>> Writer::takeBatch()
{
    std::unique_lock lock(m_queueMutex);
    m_wake.wait(lock, [this] { return !m_queue.empty() || m_stopping; });
    std::vector<std::unique_ptr<WriteJob>> jobs;
    while (!m_queue.empty() && int(jobs.size()) < m_maxBatch) {
        jobs.push_back(std::move(m_queue.front()));
        m_queue.pop_front();
    }
    return jobs;
}

void Writer::runBatch(std::vector<std::unique_ptr<WriteJob>> jobs)
{
    std::size_t from = 0;
    int lost = 0; // times the job at `from` lost a race, first in its transaction
    while (from < jobs.size()) {
        const std::size_t to = runTransaction(jobs, from, lost + 1 >= MaxRaceTries);
        lost = to == from ? lost + 1 : 0;
        from = to;
    }
}

std::size_t Writer::runTransaction(std::vector<std::unique_ptr<WriteJob>> &jobs, std::size_t from,
                                   bool lastTry)
{
    const bool begun = m_db->begin();
    std::size_t to = begun ? from : jobs.size();
    // A job that lost a race ends the transaction before it: the jobs before it commit,
    // releasing their locks, and it runs again first in a new one. On its last try it ends
    // with its failure.
    while (to < jobs.size() && (jobs[to]->run(*m_db) || (to == from && lastTry)))
        ++to;
    {
        // Held across the COMMIT: finishCommittedInOrder() on the owner's thread waits for this
        // transaction to be queued before it publishes a commit that came after it.
        const std::lock_guard order(m_commitMutex);
        const bool committed = begun && m_db->commit();
        const std::lock_guard ended(m_endedMutex);
        for (std::size_t i = from; i < to; ++i)
            m_ended.push_back(Ended{std::move(jobs[i]), committed});
        if (committed)
            m_committedJobs.fetch_add(to - from);
    }
    m_batches.fetch_add(1);
    m_places.release(int(to - from));
    if (to > from && !m_finishPosted.exchange(true))
        // By name: the call is built inside Qt, from nothing the writer thread wrote.
        QMetaObject::invokeMethod(this, "finishCommitted", Qt::QueuedConnection);
    return to;
}

void Writer::finishCommitted()
{
    m_finishPosted.store(false);
    // One at a time, so that a finish() that commits and publishes on its own (and so calls this
    // again) still leaves every job finished in commit order.
    for (;;) {
        Ended next;
        {
            const std::lock_guard lock(m_endedMutex);
            if (m_ended.empty())
                return;
            next = std::move(m_ended.front());
            m_ended.pop_front();
        }
        next.job->finish(next.committed);
    }
}

void Writer::finishCommittedInOrder()
{
    {
        const std::lock_guard order(m_commitMutex);
    }
    finishCommitted();
}

} // namespace flippdeal::server
