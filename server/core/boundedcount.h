// SPDX-License-Identifier: MIT
#pragma once

#include <QtGlobal>

#include <algorithm>
#include <atomic>

namespace flippdeal::server {

//! \brief Places for work that runs or waits, with a ceiling, taken and given back from any
//! thread: the bound of a queue that refuses at once instead of growing (ReadPool, Writer).
class BoundedCount
{
public:
    explicit BoundedCount(int capacity)
        : m_capacity(std::max(capacity, 1))
    {}

    //! Takes a place; false (and counted as refused) when all are taken.
    bool tryAcquire()
    {
        int size = m_size.load();
        do {
            if (size >= m_capacity) {
                m_refused.fetch_add(1);
                return false;
            }
        } while (!m_size.compare_exchange_weak(size, size + 1));
        return true;
    }
    //! Takes a place even past the ceiling: for work that must not be refused because it
    //! finishes work that was admitted (each such place follows one admitted place).
    void acquireBeyond() { m_size.fetch_add(1); }
    void release(int places = 1) { m_size.fetch_sub(places); }

    int size() const { return m_size.load(); }
    int capacity() const { return m_capacity; }
    quint64 refusedCount() const { return m_refused.load(); }

private:
    const int m_capacity;
    std::atomic<int> m_size{0};
    std::atomic<quint64> m_refused{0};
};

} // namespace flippdeal::server
