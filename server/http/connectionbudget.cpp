// SPDX-License-Identifier: MIT
#include "http/connectionbudget.h"

#include <sys/resource.h>

#include <algorithm>

namespace flippdeal::server {

namespace {
// Descriptors kept free of connections: database, log, epoll, timers, webhooks, and the second
// descriptor an upgrading connection holds for a moment.
constexpr int DescriptorHeadroom = 64;
constexpr int MinimumAutomaticTotal = 16;
} // namespace

ConnectionBudget::ConnectionBudget(int maxTotal, int maxPerAddress)
    : m_maxTotal(maxTotal)
    , m_maxPerAddress(maxPerAddress)
{}

std::shared_ptr<ConnectionSlot> ConnectionBudget::acquire(const QHostAddress &address)
{
    if (m_total >= m_maxTotal)
        return nullptr;
    const QByteArray key = addressKey(address);
    int &count = m_perAddress[key];
    if (m_maxPerAddress > 0 && count >= m_maxPerAddress)
        return nullptr;
    ++count;
    ++m_total;
    return std::make_shared<ConnectionSlot>(weak_from_this(), key);
}

int ConnectionBudget::countFor(const QHostAddress &address) const
{
    return m_perAddress.value(addressKey(address));
}

void ConnectionBudget::release(const QByteArray &key)
{
    --m_total;
    auto it = m_perAddress.find(key);
    if (it != m_perAddress.end() && --*it <= 0)
        m_perAddress.erase(it);
}

int ConnectionBudget::automaticMaxTotal()
{
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY)
        return 1'000'000;
    const rlim_t usable = limit.rlim_cur > rlim_t(DescriptorHeadroom + MinimumAutomaticTotal)
                              ? limit.rlim_cur - DescriptorHeadroom
                              : rlim_t(MinimumAutomaticTotal);
    return int(std::min<rlim_t>(usable, 1'000'000));
}

QByteArray ConnectionBudget::addressKey(const QHostAddress &address)
{
    bool isIpv4 = false;
    const quint32 ipv4 = address.toIPv4Address(&isIpv4); // also for ::ffff:a.b.c.d
    if (isIpv4) {
        QByteArray key(4, Qt::Uninitialized);
        for (int i = 0; i < 4; ++i)
            key[i] = char(ipv4 >> (24 - 8 * i));
        return key;
    }
    const Q_IPV6ADDR ipv6 = address.toIPv6Address();
    return QByteArray(reinterpret_cast<const char *>(ipv6.c), 8); // the /64 network
}

ConnectionSlot::ConnectionSlot(std::weak_ptr<ConnectionBudget> budget, QByteArray key)
    : m_budget(std::move(budget))
    , m_key(std::move(key))
{}

ConnectionSlot::~ConnectionSlot()
{
    if (auto budget = m_budget.lock())
        budget->release(m_key);
}

} // namespace flippdeal::server
