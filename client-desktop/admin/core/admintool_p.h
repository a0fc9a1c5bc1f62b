// SPDX-License-Identifier: MIT
#pragma once

#include "formatting.h"

#include <QJsonObject>
#include <QString>

// Small helpers shared by the tool models' .cpp files.
namespace flippdeal::admin::tool {

inline qint64 integer(const QJsonObject &object, const char *key)
{
    return object.value(QLatin1String(key)).toInteger();
}

inline QString string(const QJsonObject &object, const char *key)
{
    return object.value(QLatin1String(key)).toString();
}

//! `base` with the fields of `update` written over it (an answer may lack derived fields such as
//! a user's `connections`, which the table keeps).
inline QJsonObject merged(QJsonObject base, const QJsonObject &update)
{
    for (auto it = update.begin(); it != update.end(); ++it)
        base.insert(it.key(), it.value());
    return base;
}

//! `1 connection`, `3 connections`: `many` has a %1 for the number.
inline QString quantity(qint64 n, const QString &one, const QString &many)
{
    return n == 1 ? one : many.arg(format::count(n));
}

} // namespace flippdeal::admin::tool
