// SPDX-License-Identifier: MIT
#include "core/result.h"

#include <QJsonArray>

namespace flippdeal::server {

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
