// SPDX-License-Identifier: MIT
#pragma once

#include <QDateTime>
#include <QString>

#include <optional>

namespace flippdeal::protocol {

//! \brief Formats milliseconds since the Unix epoch as ISO-8601 UTC with milliseconds,
//! e.g. `2026-11-25T17:04:05.123Z`, the only time format on the wire.
QString isoUtc(qint64 msecsSinceEpoch);

//! \brief Parses an ISO-8601 time with an explicit zone (`Z` or `+hh:mm`) into milliseconds
//! since the epoch; std::nullopt for anything else (times without a zone are ambiguous).
std::optional<qint64> parseIsoUtc(const QString &text);

//! \brief The current time in milliseconds since the epoch, UTC.
qint64 nowMs();

} // namespace flippdeal::protocol
