// SPDX-License-Identifier: MIT
#include "core/fairqueue.h"

#include <algorithm>

namespace flippdeal::server {

FairQueue::FairQueue(int workers, int waiting, QObject *parent)
    : QObject(parent)
    , m_workers(std::max(1, workers))
    , m_capacity(m_workers + std::max(0, waiting))
{
    m_pool.setMaxThreadCount(m_workers);
}

FairQueue::~FairQueue()
{
    // Waiting jobs are dropped (their promises cancel); running ones are waited for.
    m_jobs.clear();
    m_pool.waitForDone();
}

void FairQueue::enqueue(const QString &key, std::function<void()> job)
{
    QQueue<std::function<void()>> &jobs = m_jobs[key];
    if (jobs.isEmpty())
        m_turns.enqueue(key);
    jobs.enqueue(std::move(job));
    ++m_waiting;
    startNext();
}

void FairQueue::startNext()
{
    while (m_running < m_workers && !m_turns.isEmpty()) {
        const QString key = m_turns.dequeue();
        QQueue<std::function<void()>> &jobs = m_jobs[key];
        std::function<void()> job = jobs.dequeue();
        if (jobs.isEmpty())
            m_jobs.remove(key);
        else
            m_turns.enqueue(key); // its next job waits for the others' turns
        --m_waiting;
        ++m_running;
        m_pool.start([this, job = std::move(job)] {
            job();
            QMetaObject::invokeMethod(
                this,
                [this] {
                    --m_running;
                    startNext();
                },
                Qt::QueuedConnection);
        });
    }
}

} // namespace flippdeal::server
