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

//! \brief Password hashing (Argon2id, slow and 64 MiB each on purpose) on a pool of its own,
//! bounded and fair: at most `workers` hashes run at once and `waiting` more wait; beyond that
//! isFull() and the caller refuses the request. Waiting hashes start in turns by client address,
//! so a flood from one address delays a sign-in from another by about one hash, not by the
//! whole queue. Lives on the event-loop thread; only the hashing runs on the pool.
class HashQueue : public QObject
{
    Q_OBJECT

public:
    HashQueue(int workers, int waiting, QObject *parent = nullptr);
    ~HashQueue() override;

    bool isFull() const { return m_running + m_waiting >= m_capacity; }
    //! Hashes running or waiting.
    int size() const { return m_running + m_waiting; }

    //! Runs `work` on a hashing thread when its turn comes. Check isFull() first.
    template <typename T>
    QFuture<T> run(const QString &address, std::function<T()> work)
    {
        auto promise = std::make_shared<QPromise<T>>();
        promise->start();
        QFuture<T> future = promise->future();
        enqueue(address, [promise, work = std::move(work)] {
            promise->addResult(work());
            promise->finish();
        });
        return future;
    }

private:
    void enqueue(const QString &address, std::function<void()> job);
    void startNext();

    int m_workers;
    int m_capacity;
    int m_running = 0;
    int m_waiting = 0;
    QHash<QString, QQueue<std::function<void()>>> m_jobs; // waiting, per address
    QQueue<QString> m_turns; // addresses with waiting jobs, next turn first
    QThreadPool m_pool;
};

} // namespace flippdeal::server
