// SPDX-License-Identifier: MIT
#include "core/result.h"

#include <QJsonArray>

namespace flippdeal::server {

void ApiError::addFieldError(const QString &field, const QString &text)
{
    errors[field].append(text);
    if (message.isEmpty())
        message = text;
}

QJsonObject ApiError::toJson() const
{
    QJsonObject json{{QLatin1String("message"), message}};
    if (status == 422) {
        QJsonObject fields;
        for (auto it = errors.cbegin(); it != errors.cend(); ++it)
            fields.insert(it.key(), QJsonArray::fromStringList(it.value()));
        json.insert(QLatin1String("errors"), fields);
    }
    return json;
}

} // namespace flippdeal::server
