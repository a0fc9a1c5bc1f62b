// SPDX-License-Identifier: MIT
#pragma once

#include "app/commands/command.h"

#include "protocol/types.h"

#include <optional>

namespace flippdeal::server {

class AccountService;
class ServerApp;

namespace cli {

// servercommands.cpp: the commands that run a ServerApp (or, for migrate, just the schema).
Command serveCommand();
Command migrateCommand();
Command demoSeedCommand();
Command auctionsCountdownsCommand();
//! Runs `app` until SIGTERM/SIGINT (for the long-running worker commands).
int runUntilSignalled(ServerApp &app);
//! With `redis` set: reaches Redis once, and on failure prints one line and gives exit code 2
//! for the command to return; nullopt when there is no Redis or it answered.
std::optional<int> checkRedis(const Config &config);

// usercommands.cpp
Command userCreateCommand();
Command userListCommand();
Command userBanCommand();
//! A user given as an id or an email.
std::optional<protocol::User> resolveUser(AccountService &accounts, const QString &who);

// queuecommands.cpp
Command queueWorkCommand();
Command queueFailedCommand();
Command queueRetryCommand();
Command queueMonitorCommand();

// operatorcommands.cpp
Command escrowResolveCommand();
Command statsCommand();

} // namespace cli
} // namespace flippdeal::server
