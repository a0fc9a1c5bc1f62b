// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QString>

#include <optional>

//! \file Pusher Channels protocol 7 frames: strict decoding of what clients send and one
//! encoder for what the server sends. See PROTOCOL.md next to this file.

namespace flippdeal::protocol {

//! Largest frame a client may send; larger ones are answered with `pusher:error`.
inline constexpr qsizetype MaxClientFrameBytes = 10 * 1024;

//! Why a frame could not be decoded. Append new values at the end only.
enum class FrameError
{
    None,
    TooLarge,     //!< over MaxClientFrameBytes
    NotJson,      //!< not valid JSON text
    NotObject,    //!< valid JSON, but not an object
    MissingEvent, //!< no "event" member, or it is not a non-empty string
    BadChannel,   //!< "channel" present but not a string
    BadData,      //!< "data" has the wrong shape for this event
};

//! \brief One decoded protocol frame.
struct Frame
{
    QString event;   //!< e.g. `pusher:subscribe`, `client-typing`
    QString channel; //!< empty when the frame names no channel
    QJsonValue data; //!< as sent: an object, or a string holding JSON, or absent
};

//! \brief Result of decoding: either a frame, or an error code with a readable reason.
struct DecodedFrame
{
    std::optional<Frame> frame;
    FrameError error = FrameError::None;
    QString errorString;
};

//! \brief Decodes a text frame sent by a client, checking size and shape.
DecodedFrame decodeFrame(const QByteArray &utf8);

//! \brief The `data` of a `pusher:subscribe` frame.
struct SubscribeRequest
{
    QString channel;
    QString auth;        //!< `key:signature`, empty for public channels
    QString channelData; //!< presence member JSON as a string, empty otherwise
};

//! \brief Extracts a subscribe request; `data` may be an object or a JSON string of one.
std::optional<SubscribeRequest> parseSubscribe(const Frame &frame, QString *errorString);

//! \brief Returns `data` as an object whether it was sent as an object or as a JSON string.
std::optional<QJsonObject> dataObject(const QJsonValue &data);

//! \brief Encodes a server frame. `dataJson` is put on the wire as a JSON *string*, as
//! pusher-js expects. `seq` > 0 adds the top-level gap-free sequence number.
QByteArray encodeFrame(const QString &event, const QString &channel, const QByteArray &dataJson,
                       qint64 seq = 0);

//! \brief Encodes a `pusher:error` frame (`data` is an object: `{code, message}`).
QByteArray encodeError(int code, const QString &message);

//! \brief Compact JSON text of an object.
QByteArray toJson(const QJsonObject &object);

} // namespace flippdeal::protocol
