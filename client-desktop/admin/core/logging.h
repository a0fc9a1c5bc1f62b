// SPDX-License-Identifier: MIT
#pragma once

#include <QLoggingCategory>

namespace flippdeal::admin {

//! The admin console's logging category, `flippdeal.admin`.
Q_DECLARE_LOGGING_CATEGORY(lcAdmin)

} // namespace flippdeal::admin
