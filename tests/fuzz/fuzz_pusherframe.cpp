// SPDX-License-Identifier: MIT
// Pusher protocol 7 frames as clients send them (common/protocol/frame.h): decoding, the
// subscribe request inside, and presence `channel_data`.
#include "fuzzinput.h"

#include "protocol/frame.h"
#include "protocol/presence.h"

#include <QJsonDocument>

using namespace flippdeal::protocol;
using flippdeal::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray input(reinterpret_cast<const char *>(data), qsizetype(size));
    const DecodedFrame decoded = decodeFrame(input);
    check(decoded.frame.has_value() == (decoded.error == FrameError::None),
          "a frame or an error, never both");
    if (!decoded.frame) {
        check(!decoded.errorString.isEmpty(), "an error has a reason");
        return 0;
    }
    const Frame &frame = *decoded.frame;
    check(!frame.event.isEmpty(), "a frame has an event");

    QString error;
    const auto subscribe = parseSubscribe(frame, &error);
    check(subscribe.has_value() || !error.isEmpty(), "a refused subscribe has a reason");
    if (subscribe) {
        check(!subscribe->channel.isEmpty(), "a subscribe names a channel");
        QString presenceError;
        const auto member = parsePresenceMember(subscribe->channelData, &presenceError);
        if (member) {
            check(!member->userId.isEmpty(), "a member has an id");
            // What the auth endpoint signs for this member parses back to the same member.
            const auto again = parsePresenceMember(QString::fromUtf8(member->toChannelData()));
            check(again && again->userId == member->userId && again->userInfo == member->userInfo,
                  "channel_data round-trips");
        }
    }
    (void)dataObject(frame.data);

    // The server's encoding of the same event decodes to the same event and channel.
    const QByteArray payload =
        frame.data.isObject() ? toJson(frame.data.toObject()) : frame.data.toString().toUtf8();
    const QByteArray encoded = encodeFrame(frame.event, frame.channel, payload, qint64(size));
    if (encoded.size() <= MaxClientFrameBytes) {
        const DecodedFrame back = decodeFrame(encoded);
        check(back.frame && back.frame->event == frame.event &&
                  back.frame->channel == frame.channel &&
                  back.frame->data.toString() == QString::fromUtf8(payload),
              "encode and decode agree");
    }
    check(QJsonDocument::fromJson(encodeError(int(size), frame.event)).isObject(),
          "pusher:error is a JSON object");
    return 0;
}
