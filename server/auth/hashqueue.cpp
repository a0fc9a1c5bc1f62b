// SPDX-License-Identifier: MIT
#include "auth/hashqueue.h"

#include <algorithm>

namespace flippdeal::server {

HashQueue::HashQueue(int workers, int waiting, QObject *parent)
    : QObject(parent)
    , m_workers(std::max(1, workers))
    , m_capacity(m_workers + std::max(0, waiting))
{
    m_pool.setMaxThreadCount(m_workers);
}

HashQueue::~HashQueue()
{
    // Waiting jobs are dropped (their promises cancel); running ones are waited for.
    m_jobs.clear();
    m_pool.waitForDone();
}

void HashQueue::enqueue(const QString &address, std::function<void()> job)
{
    QQueue<std::function<void()>> &jobs = m_jobs[address];
    if (jobs.isEmpty())
        m_turns.enqueue(address);
    jobs.enqueue(std::move(job));
    ++m_waiting;
    startNext();
}

void HashQueue::startNext()
{
    while (m_running < m_workers && !m_turns.isEmpty()) {
        const QString address = m_turns.dequeue();
        QQueue<std::function<void()>> &jobs = m_jobs[address];
        std::function<void()> job = jobs.dequeue();
        if (jobs.isEmpty())
            m_jobs.remove(address);
        else
            m_turns.enqueue(address); // its next job waits for the others' turns
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
