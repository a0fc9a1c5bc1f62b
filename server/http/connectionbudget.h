// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QHash>
#include <QHostAddress>

#include <memory>

namespace flippdeal::server {

class ConnectionSlot;

//! \brief Counts open connections per client address and in total, against the caps
//! (`max-connections`, `max-connections-per-ip`). An HTTP connection takes a slot when it is
//! accepted; a WebSocket keeps the slot of the HTTP connection it was upgraded from until it
//! closes, so one count follows the socket through the upgrade.
//!
//! IPv4 addresses count one by one, IPv6 addresses by their /64 network (what one subscriber
//! usually gets). Create it with std::make_shared: slots refer back to it weakly.
class ConnectionBudget : public std::enable_shared_from_this<ConnectionBudget>
{
public:
    //! `maxPerAddress` 0: no per-address cap.
    ConnectionBudget(int maxTotal, int maxPerAddress);

    //! A slot for a connection from `address`, or null when a cap is reached. The place is given
    //! back when the last copy of the slot is dropped (harmlessly after the budget is gone).
    std::shared_ptr<ConnectionSlot> acquire(const QHostAddress &address);

    int total() const { return m_total; }
    int countFor(const QHostAddress &address) const;
    int maxTotal() const { return m_maxTotal; }
    int maxPerAddress() const { return m_maxPerAddress; }

    //! The default total cap: the open-files limit (RLIMIT_NOFILE) less room for the database,
    //! the log and the descriptors a connection briefly needs twice during its upgrade.
    static int automaticMaxTotal();
    //! What connections from `address` are counted under.
    static QByteArray addressKey(const QHostAddress &address);

private:
    friend class ConnectionSlot;
    void release(const QByteArray &key);

    int m_maxTotal;
    int m_maxPerAddress;
    int m_total = 0;
    QHash<QByteArray, int> m_perAddress;
};

//! \brief One connection's place in a ConnectionBudget, given back on destruction.
class ConnectionSlot
{
public:
    ConnectionSlot(std::weak_ptr<ConnectionBudget> budget, QByteArray key);
    ~ConnectionSlot();
    ConnectionSlot(const ConnectionSlot &) = delete;
    ConnectionSlot &operator=(const ConnectionSlot &) = delete;

private:
    std::weak_ptr<ConnectionBudget> m_budget;
    QByteArray m_key;
};

} // namespace flippdeal::server
