// SPDX-License-Identifier: MIT
#pragma once

#include "core/config.h"

#include <QString>

#include <memory>

namespace flippdeal::server {

class AccountService;
class AdminService;
class Database;
class EventStore;
class Gateway;
class JobQueue;
struct MarketServices;

namespace cli {

//! \brief What a one-query command works with: the database, opened and migrated as `serve`
//! opens it, and only the services the command asks for, built on first use with the same
//! settings as in ServerApp. `user:list` gets accounts and no gateway; the operator commands
//! that go through AdminService get the idle Gateway it requires (no socket is ever opened).
class CommandContext
{
public:
    explicit CommandContext(const Config &config);
    ~CommandContext();
    CommandContext(const CommandContext &) = delete;
    CommandContext &operator=(const CommandContext &) = delete;

    //! Opens and migrates the database. False with errorString(). The accessors below are
    //! for after a successful open().
    bool open();
    QString errorString() const { return m_error; }

    const Config &config() const { return m_config; }
    Database &database() { return *m_db; }
    AccountService &accounts();
    JobQueue &jobs();
    //! With everything it delegates to: events, notifications, domains, escrows, auctions.
    AdminService &admin();

private:
    Config m_config;
    QString m_error;
    std::unique_ptr<Database> m_db;
    std::unique_ptr<AccountService> m_accounts;
    std::unique_ptr<JobQueue> m_jobs;
    // AdminService and what it needs; declared in build order so they are destroyed in reverse.
    std::unique_ptr<Gateway> m_gateway;
    std::unique_ptr<EventStore> m_events;
    std::unique_ptr<MarketServices> m_market;
    std::unique_ptr<AdminService> m_admin;
};

} // namespace cli
} // namespace flippdeal::server
