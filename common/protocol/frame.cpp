// SPDX-License-Identifier: MIT
#include "protocol/frame.h"

#include <QJsonDocument>
#include <QJsonParseError>

namespace flippdeal::protocol {

namespace {

DecodedFrame failure(FrameError error, QString reason)
{
    return DecodedFrame{std::nullopt, error, std::move(reason)};
}

} // namespace

DecodedFrame decodeFrame(const QByteArray &utf8)
{
    if (utf8.size() > MaxClientFrameBytes)
        return failure(FrameError::TooLarge,
                       QStringLiteral("Frame of %1 bytes exceeds the %2 byte limit")
                           .arg(utf8.size())
                           .arg(MaxClientFrameBytes));
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(utf8, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return failure(FrameError::NotJson,
                       QStringLiteral("Invalid JSON: %1").arg(parseError.errorString()));
    if (!doc.isObject())
        return failure(FrameError::NotObject, QStringLiteral("A frame must be a JSON object"));

    const QJsonObject object = doc.object();
    const QJsonValue event = object.value(QLatin1String("event"));
    if (!event.isString() || event.toString().isEmpty())
        return failure(FrameError::MissingEvent,
                       QStringLiteral("A frame needs a non-empty string \"event\""));
    const QJsonValue channel = object.value(QLatin1String("channel"));
    if (!channel.isUndefined() && !channel.isNull() && !channel.isString())
        return failure(FrameError::BadChannel, QStringLiteral("\"channel\" must be a string"));

    Frame frame{event.toString(), channel.toString(), object.value(QLatin1String("data"))};
    return DecodedFrame{std::move(frame), FrameError::None, {}};
}

std::optional<QJsonObject> dataObject(const QJsonValue &data)
{
    if (data.isObject())
        return data.toObject();
    if (data.isString()) {
        const QJsonDocument doc = QJsonDocument::fromJson(data.toString().toUtf8());
        if (doc.isObject())
            return doc.object();
    }
    return std::nullopt;
}

std::optional<SubscribeRequest> parseSubscribe(const Frame &frame, QString *errorString)
{
    const auto data = dataObject(frame.data);
    if (!data) {
        *errorString = QStringLiteral("pusher:subscribe needs an object \"data\"");
        return std::nullopt;
    }
    const QJsonValue channel = data->value(QLatin1String("channel"));
    if (!channel.isString() || channel.toString().isEmpty()) {
        *errorString = QStringLiteral("pusher:subscribe needs a string \"data.channel\"");
        return std::nullopt;
    }
    const QJsonValue auth = data->value(QLatin1String("auth"));
    const QJsonValue channelData = data->value(QLatin1String("channel_data"));
    if ((!auth.isUndefined() && !auth.isNull() && !auth.isString()) ||
        (!channelData.isUndefined() && !channelData.isNull() && !channelData.isString())) {
        *errorString = QStringLiteral("\"auth\" and \"channel_data\" must be strings");
        return std::nullopt;
    }
    return SubscribeRequest{channel.toString(), auth.toString(), channelData.toString()};
}

QByteArray toJson(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

QByteArray encodeFrame(const QString &event, const QString &channel, const QByteArray &dataJson,
                       qint64 seq)
{
    QJsonObject frame{{QLatin1String("event"), event},
                      {QLatin1String("data"), QString::fromUtf8(dataJson)}};
    if (!channel.isEmpty())
        frame.insert(QLatin1String("channel"), channel);
    if (seq > 0)
        frame.insert(QLatin1String("seq"), seq);
    return toJson(frame);
}

QByteArray encodeError(int code, const QString &message)
{
    const QJsonObject data{{QLatin1String("code"), code}, {QLatin1String("message"), message}};
    return toJson(QJsonObject{{QLatin1String("event"), QStringLiteral("pusher:error")},
                              {QLatin1String("data"), data}});
}

} // namespace flippdeal::protocol
