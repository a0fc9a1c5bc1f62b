// SPDX-License-Identifier: MIT
#include "protocol/types.h"

#include "protocol/timeformat.h"

namespace flippdeal::protocol {

namespace {

QJsonValue optionalId(const std::optional<qint64> &id)
{
    return id ? QJsonValue(*id) : QJsonValue(QJsonValue::Null);
}

QJsonValue optionalTime(const std::optional<qint64> &ms)
{
    return ms ? QJsonValue(isoUtc(*ms)) : QJsonValue(QJsonValue::Null);
}

std::optional<qint64> readOptionalId(const QJsonValue &value)
{
    if (value.isDouble())
        return static_cast<qint64>(value.toDouble());
    return std::nullopt;
}

std::optional<qint64> readOptionalTime(const QJsonValue &value)
{
    return value.isString() ? parseIsoUtc(value.toString()) : std::nullopt;
}

qint64 readId(const QJsonObject &json, QLatin1String key)
{
    return static_cast<qint64>(json.value(key).toDouble());
}

} // namespace

QJsonObject User::toJson() const
{
    return {{QLatin1String("id"), id},
            {QLatin1String("name"), name},
            {QLatin1String("email"), email},
            {QLatin1String("role"), role}};
}

QJsonObject User::toPublicJson() const
{
    return {{QLatin1String("id"), id}, {QLatin1String("name"), name}};
}

std::optional<User> User::fromJson(const QJsonObject &json)
{
    User user{readId(json, QLatin1String("id")), json.value(QLatin1String("name")).toString(),
              json.value(QLatin1String("email")).toString(),
              json.value(QLatin1String("role")).toString()};
    if (user.id <= 0)
        return std::nullopt;
    return user;
}

QJsonObject Message::toJson() const
{
    return {{QLatin1String("id"), id},
            {QLatin1String("from_user_id"), fromUserId},
            {QLatin1String("to_user_id"), toUserId},
            {QLatin1String("domain_id"), optionalId(domainId)},
            {QLatin1String("body"), body},
            {QLatin1String("created_at"), isoUtc(createdAt)},
            {QLatin1String("read_at"), optionalTime(readAt)}};
}

std::optional<Message> Message::fromJson(const QJsonObject &json)
{
    const auto created = parseIsoUtc(json.value(QLatin1String("created_at")).toString());
    Message message;
    message.id = readId(json, QLatin1String("id"));
    message.fromUserId = readId(json, QLatin1String("from_user_id"));
    message.toUserId = readId(json, QLatin1String("to_user_id"));
    message.domainId = readOptionalId(json.value(QLatin1String("domain_id")));
    message.body = json.value(QLatin1String("body")).toString();
    message.readAt = readOptionalTime(json.value(QLatin1String("read_at")));
    if (message.id <= 0 || !created)
        return std::nullopt;
    message.createdAt = *created;
    return message;
}

QJsonObject Notification::toJson() const
{
    return {{QLatin1String("id"), id},
            {QLatin1String("type"), type},
            {QLatin1String("data"), data},
            {QLatin1String("read_at"), optionalTime(readAt)},
            {QLatin1String("created_at"), isoUtc(createdAt)}};
}

std::optional<Notification> Notification::fromJson(const QJsonObject &json)
{
    const auto created = parseIsoUtc(json.value(QLatin1String("created_at")).toString());
    Notification notification;
    notification.id = readId(json, QLatin1String("id"));
    notification.type = json.value(QLatin1String("type")).toString();
    notification.data = json.value(QLatin1String("data")).toObject();
    notification.readAt = readOptionalTime(json.value(QLatin1String("read_at")));
    if (notification.id <= 0 || notification.type.isEmpty() || !created)
        return std::nullopt;
    notification.createdAt = *created;
    return notification;
}

} // namespace flippdeal::protocol
