// SPDX-License-Identifier: MIT
#pragma once

#include <QDateTime>
#include <QJsonValue>
#include <QString>

#include <optional>

//! \brief How the admin console writes money, times and durations.
namespace flippdeal::admin::format {

//! Integer cents as US dollars: 123456 → `$1,234.56`, -5 → `-$0.05`.
QString money(qint64 cents);
//! The same for a JSON value; an empty string for null.
QString money(const QJsonValue &cents);

//! A UTC ISO-8601 time of the API (`2025-11-25T20:59:01.123Z`); nullopt when it does not parse.
std::optional<QDateTime> parseUtc(const QString &iso);
//! A UTC ISO-8601 time in local time, `2025-11-25 21:59:01`; empty for null or unparsable input.
QString localTime(const QJsonValue &iso);
//! Milliseconds since the epoch of a UTC ISO time (for sorting), or 0.
qint64 epochMs(const QJsonValue &iso);

//! A span in words: `45 s`, `12 min 5 s`, `3 h 20 min`, `2 d 4 h`.
QString duration(qint64 seconds);
//! A time relative to `now`: `in 4 min 10 s` or `3 h 20 min ago`; `ended` for the past when
//! `pastText` is given.
QString relative(const QDateTime &when, const QDateTime &now, const QString &pastText = {});

//! A count with thousands separators: 12345 → `12,345`.
QString count(qint64 value);

} // namespace flippdeal::admin::format
