// SPDX-License-Identifier: MIT
#pragma once

#include <QHash>
#include <QString>

namespace flippdeal::server {

//! \brief Token buckets keyed by a string (a user id, a socket id): `burst` tokens, refilled
//! at `ratePerSecond`. Time is passed in so that callers and tests control the clock.
class RateLimiter
{
public:
    RateLimiter(double ratePerSecond, double burst);

    //! Takes one token for `key` at time `nowMs`; false when the bucket is empty.
    bool tryAcquire(const QString &key, qint64 nowMs);
    //! Whole seconds until `key` has a token again (at least 1 when it has none now).
    int retryAfterSeconds(const QString &key, qint64 nowMs) const;
    //! Forgets buckets that are full again, so memory tracks only active keys.
    void prune(qint64 nowMs);
    //! Forgets one key (a closed connection).
    void remove(const QString &key) { m_buckets.remove(key); }

private:
    struct Bucket
    {
        double tokens;
        qint64 updatedMs;
    };
    double refilled(const Bucket &bucket, qint64 nowMs) const;

    double m_rate;
    double m_burst;
    QHash<QString, Bucket> m_buckets;
};

} // namespace flippdeal::server
