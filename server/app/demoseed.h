// SPDX-License-Identifier: MIT
#pragma once

#include <QString>

namespace flippdeal::server {

class ServerApp;

//! \brief Creates demo users (alice, bob, carol), domains, a live auction and a conversation,
//! unless they exist already. `report` tells how to log in, or what failed.
bool seedDemoData(ServerApp &app, const QString &password, QString *report);

} // namespace flippdeal::server
