// SPDX-License-Identifier: MIT
#include "protocol/presence.h"

#include "protocol/frame.h"

#include <QJsonDocument>

#include <cmath>

namespace flippdeal::protocol {

QByteArray PresenceMember::toChannelData() const
{
    return toJson(
        QJsonObject{{QLatin1String("user_id"), userId}, {QLatin1String("user_info"), userInfo}});
}

std::optional<PresenceMember> parsePresenceMember(const QString &channelData, QString *errorString)
{
    auto fail = [errorString](const char *reason) -> std::optional<PresenceMember> {
        if (errorString)
            *errorString = QString::fromLatin1(reason);
        return std::nullopt;
    };
    const QJsonDocument doc = QJsonDocument::fromJson(channelData.toUtf8());
    if (!doc.isObject())
        return fail("channel_data must be a JSON object");
    const QJsonObject object = doc.object();
    const QJsonValue id = object.value(QLatin1String("user_id"));
    QString userId;
    if (id.isString()) {
        userId = id.toString();
    } else if (id.isDouble()) {
        const double number = id.toDouble();
        // Beyond 2^53 a JSON number is no longer an exact integer (and past 2^63 the conversion
        // below would be undefined).
        constexpr double MaxExactInteger = 9007199254740992.0;
        if (number != std::floor(number) || std::abs(number) > MaxExactInteger)
            return fail("channel_data.user_id must be a string or an integer of at most 2^53");
        userId = QString::number(static_cast<qint64>(number));
    }
    if (userId.isEmpty())
        return fail("channel_data needs a non-empty user_id");
    const QJsonValue info = object.value(QLatin1String("user_info"));
    if (!info.isUndefined() && !info.isNull() && !info.isObject())
        return fail("channel_data.user_info must be an object");
    return PresenceMember{userId, info.toObject()};
}

} // namespace flippdeal::protocol
