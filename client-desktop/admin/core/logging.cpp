// SPDX-License-Identifier: MIT
#include "logging.h"

namespace flippdeal::admin {

Q_LOGGING_CATEGORY(lcAdmin, "flippdeal.admin", QtInfoMsg)

} // namespace flippdeal::admin
