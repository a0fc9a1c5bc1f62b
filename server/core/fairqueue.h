// SPDX-License-Identifier: MIT
#pragma once

#include <QFuture>
#include <QHash>
#include <QObject>
#include <QPromise>
#include <QQueue>
#include <QString>
#include <QThreadPool>

#include <functional>
#include <memory>

namespace flippdeal::server {

//! \brief CPU-heavy work on a pool of its own, bounded and fair: at most `workers` jobs run at
//! once and `waiting` more wait; beyond that isFull() and the caller refuses the request.
//! Waiting jobs start in turns by key (the client's address, or the user), so a flood from one
//! key delays another key's job by about one job, not by the whole queue. Lives on the
//! event-loop thread; only the work runs on the pool. Used for password hashing (Argon2id, slow
//! and 64 MiB each on purpose) and for sanitizing large message bodies.
class FairQueue : public QObject
{
    Q_OBJECT

public:
    FairQueue(int workers, int waiting, QObject *parent = nullptr);
    ~FairQueue() override;

    bool isFull() const { return m_running + m_waiting >= m_capacity; }
    //! Jobs running or waiting.
    int size() const { return m_running + m_waiting; }

    //! Runs `work` on a pool thread when `key`'s turn comes. Check isFull() first.
    template <typename T>
    QFuture<T> run(const QString &key, std::function<T()> work)
    {
        auto promise = std::make_shared<QPromise<T>>();
        promise->start();
        QFuture<T> future = promise->future();
        enqueue(key, [promise, work = std::move(work)] {
            promise->addResult(work());
            promise->finish();
        });
        return future;
    }

private:
    void enqueue(const QString &key, std::function<void()> job);
    void startNext();

    int m_workers;
    int m_capacity;
    int m_running = 0;
    int m_waiting = 0;
    QHash<QString, QQueue<std::function<void()>>> m_jobs; // waiting, per key
    QQueue<QString> m_turns;                              // keys with waiting jobs, next turn first
    QThreadPool m_pool;
};

} // namespace flippdeal::server
