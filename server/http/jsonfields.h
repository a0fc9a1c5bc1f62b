// SPDX-License-Identifier: MIT
#pragma once

#include "core/result.h"

#include <QJsonObject>
#include <QJsonValue>
#include <QString>

#include <optional>

namespace flippdeal::server::fields {

//! An integer from JSON: a whole number, or a string of digits (form-encoded bodies).
std::optional<qint64> toInt(const QJsonValue &value);
//! A boolean from JSON: true/false, 1/0, or "true"/"false"/"1"/"0".
std::optional<bool> toBool(const QJsonValue &value);

//! Reads required/optional fields, collecting 422 messages in `errors`.
class Reader
{
public:
    explicit Reader(const QJsonObject &object)
        : m_object(object)
    {}

    qint64 requiredInt(const QString &field, qint64 min, qint64 max);
    std::optional<qint64> optionalInt(const QString &field, qint64 min, qint64 max);
    QString requiredString(const QString &field, qsizetype maxLength);
    bool optionalBool(const QString &field, bool fallback);
    void fail(const QString &field, const QString &message);

    bool ok() const { return !m_error.hasFieldErrors(); }
    const ApiError &error() const { return m_error; }

private:
    //! `value` as an integer from `min` to `max`; otherwise the field's 422 message.
    std::optional<qint64> intInRange(const QString &field, const QJsonValue &value, qint64 min,
                                     qint64 max);

    const QJsonObject &m_object;
    ApiError m_error = ApiError::unprocessable();
};

//! An integer query parameter within [min, max]; `fallback` when absent; nullopt when invalid.
std::optional<qint64> queryInt(const QString &text, qint64 fallback, qint64 min, qint64 max);

} // namespace flippdeal::server::fields
