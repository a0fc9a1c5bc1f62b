// SPDX-License-Identifier: MIT
#include "core/ratelimiter.h"

#include <algorithm>
#include <cmath>

namespace flippdeal::server {

RateLimiter::RateLimiter(double ratePerSecond, double burst)
    : m_rate(ratePerSecond)
    , m_burst(burst)
{}

double RateLimiter::refilled(const Bucket &bucket, qint64 nowMs) const
{
    const double elapsed = std::max<qint64>(0, nowMs - bucket.updatedMs) / 1000.0;
    return std::min(m_burst, bucket.tokens + elapsed * m_rate);
}

bool RateLimiter::tryAcquire(const QString &key, qint64 nowMs)
{
    auto it = m_buckets.find(key);
    if (it == m_buckets.end())
        it = m_buckets.insert(key, Bucket{m_burst, nowMs});
    const double tokens = refilled(*it, nowMs);
    it->updatedMs = nowMs;
    if (tokens < 1.0) {
        it->tokens = tokens;
        return false;
    }
    it->tokens = tokens - 1.0;
    return true;
}

int RateLimiter::retryAfterSeconds(const QString &key, qint64 nowMs) const
{
    const auto it = m_buckets.constFind(key);
    if (it == m_buckets.cend())
        return 0;
    const double missing = 1.0 - refilled(*it, nowMs);
    if (missing <= 0)
        return 0;
    return std::max(1, static_cast<int>(std::ceil(missing / m_rate)));
}

void RateLimiter::prune(qint64 nowMs)
{
    for (auto it = m_buckets.begin(); it != m_buckets.end();) {
        if (refilled(*it, nowMs) >= m_burst)
            it = m_buckets.erase(it);
        else
            ++it;
    }
}

} // namespace flippdeal::server
