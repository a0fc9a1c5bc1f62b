// SPDX-License-Identifier: MIT
#pragma once

#include <QHash>
#include <QHostAddress>
#include <QString>

namespace flippdeal::server {

//! \brief Sign-in attempts per key (a client address, an email address): a token bucket of
//! `perMinute` attempts, refilled evenly over a minute. Unlike RateLimiter, an attempt can be
//! given back (a sign-in that succeeded does not count as a failure), and the number of keys is
//! capped: when the table is full of keys still in use, attempts for new keys are refused rather
//! than old keys forgotten early. Time is passed in so that tests control the clock.
class AttemptLimiter
{
public:
    AttemptLimiter(int perMinute, qsizetype maxKeys);

    bool isEnabled() const { return m_perMinute > 0; }
    //! Takes one attempt for `key`. False when none is left (or the table is full); then
    //! `retryAfterSeconds` is the wait until one is, and `firstRefusal` tells whether the key
    //! was allowed until now (to log the start of a throttle once, not every refused attempt).
    bool take(const QString &key, qint64 nowMs, int *retryAfterSeconds, bool *firstRefusal);
    //! Gives back an attempt taken for `key`.
    void giveBack(const QString &key);
    //! Forgets keys whose bucket is full again.
    void prune(qint64 nowMs);
    qsizetype size() const { return m_buckets.size(); }

    //! The key of a client address: the address itself, and for IPv6 its /64 network (one
    //! subscriber usually holds a whole /64).
    static QString addressKey(const QHostAddress &address);

private:
    struct Bucket
    {
        double attempts;
        qint64 updatedMs;
        bool refusing = false;
    };
    double refilled(const Bucket &bucket, qint64 nowMs) const;

    int m_perMinute;
    qsizetype m_maxKeys;
    QHash<QString, Bucket> m_buckets;
    qint64 m_lastPruneMs = 0;
};

} // namespace flippdeal::server
