// SPDX-License-Identifier: MIT
#include "storage/writer.h"

#include "core/logging.h"
#include "storage/database.h"

#include <QMutexLocker>
#include <QSemaphore>
#include <QThread>

namespace flippdeal::server {

Writer::Writer(QString databaseUrl, int capacity, int maxBatch, QObject *parent)
    : QObject(parent)
    , m_url(std::move(databaseUrl))
    , m_places(capacity)
    , m_maxBatch(std::max(maxBatch, 1))
{}

Writer::~Writer()
{
    if (m_thread) {
        {
            QMutexLocker lock(&m_queueMutex);
            m_stopping = true;
        }
        m_wake.wakeAll();
        m_thread->wait();
        delete m_thread;
    }
    // The last batches' jobs: their answers and broadcasts, if anyone still waits for them.
    finishCommitted();
}

bool Writer::start()
{
    QSemaphore opened;
    bool ok = false;
    m_thread = QThread::create([this, &opened, &ok] {
        m_db = std::make_unique<Database>();
        const bool open = m_db->open(m_url);
        if (!open)
            m_error = m_db->errorString();
        ok = open;
        opened.release(); // `opened` and `ok` are gone from here on
        if (open)
            runThread();
        m_db.reset(); // closed on the thread that opened it
    });
    m_thread->setObjectName(QStringLiteral("writer"));
    m_thread->start();
    opened.acquire();
    QMutexLocker lock(&m_queueMutex);
    m_running = ok;
    return ok;
}

bool Writer::submit(std::unique_ptr<WriteJob> job)
{
    if (!m_places.tryAcquire())
        return false;
    {
        QMutexLocker lock(&m_queueMutex);
        if (m_running && !m_stopping) {
            m_queue.push_back(std::move(job));
            m_wake.wakeOne();
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
    QMutexLocker lock(&m_queueMutex);
    while (m_queue.empty() && !m_stopping)
        m_wake.wait(&m_queueMutex);
    std::vector<std::unique_ptr<WriteJob>> jobs;
    while (!m_queue.empty() && int(jobs.size()) < m_maxBatch) {
        jobs.push_back(std::move(m_queue.front()));
        m_queue.pop_front();
    }
    return jobs;
}

void Writer::runBatch(std::vector<std::unique_ptr<WriteJob>> jobs)
{
    const bool begun = m_db->begin();
    if (begun) {
        for (const auto &job : jobs)
            job->run(*m_db);
    }
    {
        // Held across the COMMIT: finishCommittedInOrder() on the owner's thread waits for this
        // batch to be queued before it publishes a commit that came after it.
        QMutexLocker order(&m_commitMutex);
        const bool committed = begun && m_db->commit();
        QMutexLocker ended(&m_endedMutex);
        for (auto &job : jobs)
            m_ended.push_back(Ended{std::move(job), committed});
        if (committed)
            m_committedJobs.fetch_add(jobs.size());
    }
    m_batches.fetch_add(1);
    m_places.release(int(jobs.size()));
    if (!m_finishPosted.exchange(true))
        QMetaObject::invokeMethod(this, &Writer::finishCommitted, Qt::QueuedConnection);
}

void Writer::finishCommitted()
{
    m_finishPosted.store(false);
    // One at a time, so that a finish() that commits and publishes on its own (and so calls this
    // again) still leaves every job finished in commit order.
    for (;;) {
        Ended next;
        {
            QMutexLocker lock(&m_endedMutex);
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
        QMutexLocker order(&m_commitMutex);
    }
    finishCommitted();
}

} // namespace flippdeal::server
