// SPDX-License-Identifier: MIT
#include "http/jsonfields.h"

#include <cmath>

namespace flippdeal::server::fields {

std::optional<qint64> toInt(const QJsonValue &value)
{
    if (value.isDouble()) {
        const double d = value.toDouble();
        if (std::isfinite(d) && d == std::floor(d) && std::abs(d) < 9.0e15)
            return static_cast<qint64>(d);
        return std::nullopt;
    }
    if (value.isString()) {
        bool ok = false;
        const qint64 parsed = value.toString().trimmed().toLongLong(&ok);
        if (ok)
            return parsed;
    }
    return std::nullopt;
}

std::optional<bool> toBool(const QJsonValue &value)
{
    if (value.isBool())
        return value.toBool();
    if (value.isDouble() && (value.toDouble() == 0 || value.toDouble() == 1))
        return value.toDouble() == 1;
    if (value.isString()) {
        const QString s = value.toString().trimmed().toLower();
        if (s == QLatin1String("true") || s == QLatin1String("1"))
            return true;
        if (s == QLatin1String("false") || s == QLatin1String("0"))
            return false;
    }
    return std::nullopt;
}

void Reader::fail(const QString &field, const QString &message)
{
    m_error.addFieldError(field, message);
}

std::optional<qint64> Reader::intInRange(const QString &field, const QJsonValue &value, qint64 min,
                                         qint64 max)
{
    const auto parsed = toInt(value);
    if (!parsed || *parsed < min || *parsed > max) {
        fail(field, QStringLiteral("The %1 field must be an integer from %2 to %3.")
                        .arg(field)
                        .arg(min)
                        .arg(max));
        return std::nullopt;
    }
    return parsed;
}

qint64 Reader::requiredInt(const QString &field, qint64 min, qint64 max)
{
    const QJsonValue value = m_object.value(field);
    if (value.isUndefined() || value.isNull()) {
        fail(field, QStringLiteral("The %1 field is required.").arg(field));
        return 0;
    }
    return intInRange(field, value, min, max).value_or(0);
}

std::optional<qint64> Reader::optionalInt(const QString &field, qint64 min, qint64 max)
{
    const QJsonValue value = m_object.value(field);
    if (value.isUndefined() || value.isNull() ||
        (value.isString() && value.toString().trimmed().isEmpty()))
        return std::nullopt;
    return intInRange(field, value, min, max);
}

QString Reader::requiredString(const QString &field, qsizetype maxLength)
{
    const QJsonValue value = m_object.value(field);
    if (!value.isString()) {
        fail(field, value.isUndefined() || value.isNull()
                        ? QStringLiteral("The %1 field is required.").arg(field)
                        : QStringLiteral("The %1 field must be a string.").arg(field));
        return {};
    }
    const QString text = value.toString();
    if (text.size() > maxLength) {
        fail(field, QStringLiteral("The %1 field may not be longer than %2 characters.")
                        .arg(field)
                        .arg(maxLength));
        return {};
    }
    return text;
}

bool Reader::optionalBool(const QString &field, bool fallback)
{
    const QJsonValue value = m_object.value(field);
    if (value.isUndefined() || value.isNull())
        return fallback;
    const auto parsed = toBool(value);
    if (!parsed) {
        fail(field, QStringLiteral("The %1 field must be true or false.").arg(field));
        return fallback;
    }
    return *parsed;
}

std::optional<qint64> queryInt(const QString &text, qint64 fallback, qint64 min, qint64 max)
{
    if (text.isEmpty())
        return fallback;
    bool ok = false;
    const qint64 value = text.toLongLong(&ok);
    if (!ok || value < min || value > max)
        return std::nullopt;
    return value;
}

} // namespace flippdeal::server::fields
