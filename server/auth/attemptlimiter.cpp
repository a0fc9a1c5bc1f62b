// SPDX-License-Identifier: MIT
#include "auth/attemptlimiter.h"

#include <algorithm>
#include <cmath>

namespace flippdeal::server {

AttemptLimiter::AttemptLimiter(int perMinute, qsizetype maxKeys)
    : m_perMinute(perMinute)
    , m_maxKeys(maxKeys)
{}

double AttemptLimiter::refilled(const Bucket &bucket, qint64 nowMs) const
{
    const double elapsedMinutes = double(std::max<qint64>(0, nowMs - bucket.updatedMs)) / 60000.0;
    return std::min<double>(m_perMinute, bucket.attempts + elapsedMinutes * m_perMinute);
}

bool AttemptLimiter::take(const QString &key, qint64 nowMs, int *retryAfterSeconds,
                          bool *firstRefusal)
{
    *firstRefusal = false;
    if (!isEnabled())
        return true;
    auto it = m_buckets.find(key);
    if (it == m_buckets.end()) {
        // At most one sweep a second, so a full table does not cost a sweep per attempt.
        if (m_buckets.size() >= m_maxKeys && nowMs - m_lastPruneMs >= 1000)
            prune(nowMs);
        if (m_buckets.size() >= m_maxKeys) {
            // Every tracked key is still throttled: refuse instead of forgetting one early.
            *retryAfterSeconds = std::max(1, 60 / m_perMinute);
            return false;
        }
        it = m_buckets.insert(key, Bucket{double(m_perMinute), nowMs});
    }
    const double attempts = refilled(*it, nowMs);
    it->updatedMs = nowMs;
    if (attempts < 1.0) {
        it->attempts = attempts;
        *firstRefusal = !it->refusing;
        it->refusing = true;
        *retryAfterSeconds =
            std::max(1, static_cast<int>(std::ceil((1.0 - attempts) * 60.0 / m_perMinute)));
        return false;
    }
    it->attempts = attempts - 1.0;
    it->refusing = false;
    return true;
}

void AttemptLimiter::giveBack(const QString &key)
{
    const auto it = m_buckets.find(key);
    if (it != m_buckets.end())
        it->attempts = std::min<double>(m_perMinute, it->attempts + 1.0);
}

void AttemptLimiter::prune(qint64 nowMs)
{
    m_lastPruneMs = nowMs;
    for (auto it = m_buckets.begin(); it != m_buckets.end();) {
        if (refilled(*it, nowMs) >= m_perMinute)
            it = m_buckets.erase(it);
        else
            ++it;
    }
}

QString AttemptLimiter::addressKey(const QHostAddress &address)
{
    bool isV4 = false;
    const quint32 v4 = address.toIPv4Address(&isV4); // also for ::ffff:a.b.c.d
    if (isV4)
        return QHostAddress(v4).toString();
    if (address.protocol() != QAbstractSocket::IPv6Protocol)
        return address.toString();
    Q_IPV6ADDR bytes = address.toIPv6Address();
    std::fill(bytes.c + 8, bytes.c + 16, quint8(0));
    return QHostAddress(bytes).toString() + QStringLiteral("/64");
}

} // namespace flippdeal::server
