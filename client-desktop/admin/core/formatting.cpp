// SPDX-License-Identifier: MIT
#include "formatting.h"

#include <QTimeZone>

#include <algorithm>

namespace flippdeal::admin::format {

namespace {

QString grouped(quint64 value)
{
    QString digits = QString::number(value);
    for (qsizetype at = digits.size() - 3; at > 0; at -= 3)
        digits.insert(at, QLatin1Char(','));
    return digits;
}

} // namespace

QString money(qint64 cents)
{
    const quint64 magnitude = cents < 0 ? quint64(-(cents + 1)) + 1 : quint64(cents);
    return QStringLiteral("%1$%2.%3")
        .arg(cents < 0 ? QStringLiteral("-") : QString())
        .arg(grouped(magnitude / 100))
        .arg(magnitude % 100, 2, 10, QLatin1Char('0'));
}

QString money(const QJsonValue &cents)
{
    if (cents.isNull() || cents.isUndefined())
        return {};
    return money(cents.toInteger());
}

std::optional<QDateTime> parseUtc(const QString &iso)
{
    if (iso.isEmpty())
        return std::nullopt;
    QDateTime time = QDateTime::fromString(iso, Qt::ISODateWithMs);
    if (!time.isValid())
        return std::nullopt;
    if (time.timeSpec() == Qt::LocalTime) // no zone designator: the API means UTC
        time.setTimeZone(QTimeZone::utc());
    return time;
}

QString localTime(const QJsonValue &iso)
{
    const auto time = parseUtc(iso.toString());
    if (!time)
        return {};
    return time->toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
}

qint64 epochMs(const QJsonValue &iso)
{
    const auto time = parseUtc(iso.toString());
    return time ? time->toMSecsSinceEpoch() : 0;
}

QString duration(qint64 seconds)
{
    seconds = std::max<qint64>(0, seconds);
    const qint64 days = seconds / 86400;
    const qint64 hours = seconds % 86400 / 3600;
    const qint64 minutes = seconds % 3600 / 60;
    const qint64 secs = seconds % 60;
    if (days > 0)
        return hours > 0 ? QStringLiteral("%1 d %2 h").arg(days).arg(hours)
                         : QStringLiteral("%1 d").arg(days);
    if (hours > 0)
        return minutes > 0 ? QStringLiteral("%1 h %2 min").arg(hours).arg(minutes)
                           : QStringLiteral("%1 h").arg(hours);
    if (minutes > 0)
        return secs > 0 ? QStringLiteral("%1 min %2 s").arg(minutes).arg(secs)
                        : QStringLiteral("%1 min").arg(minutes);
    return QStringLiteral("%1 s").arg(secs);
}

QString relative(const QDateTime &when, const QDateTime &now, const QString &pastText)
{
    const qint64 seconds = now.secsTo(when);
    if (seconds >= 0)
        return QStringLiteral("in %1").arg(duration(seconds));
    if (!pastText.isEmpty())
        return pastText;
    return QStringLiteral("%1 ago").arg(duration(-seconds));
}

QString count(qint64 value)
{
    return value < 0 ? QStringLiteral("-") + grouped(quint64(-(value + 1)) + 1)
                     : grouped(quint64(value));
}

} // namespace flippdeal::admin::format
