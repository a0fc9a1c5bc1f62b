// SPDX-License-Identifier: MIT
#pragma once

#include <QString>

#include <functional>

namespace flippdeal::admin {

//! \brief The end of an admin action: success and a readable message (the error on failure).
//!
//! Every tool model (UsersToolModel, ChannelsToolModel, PendingJobsToolModel,
//! FailedJobsToolModel, EscrowsToolModel, AuctionsToolModel, StatsToolModel, AnnouncementTool)
//! fetches its own rows through AdminConsole::load(), exposes `loading` and `errorString`, and
//! carries out its own actions through AdminConsole::perform(). Each action returns false when
//! it did not start (not signed in, declined, bad input) and calls its Done when the server
//! answered.
using Done = std::function<void(bool ok, const QString &message)>;

} // namespace flippdeal::admin
