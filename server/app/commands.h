// SPDX-License-Identifier: MIT
#pragma once

#include <QStringList>

namespace flippdeal::server {

//! \brief Runs `flippdeal-server <command> [options]`. Returns the process exit code: 0 done,
//! 1 runtime failure, 2 bad usage or configuration (after a one-line message on stderr).
int runCommandLine(const QStringList &arguments);

} // namespace flippdeal::server
