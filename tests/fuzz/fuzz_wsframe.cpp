// SPDX-License-Identifier: MIT
// The RFC 6455 frame decoder of the gateway (server/gateway/wsframe.h): the bytes a client
// sends after the upgrade, parsed frame by frame as the engine does.
#include "fuzzinput.h"

#include "gateway/wsframe.h"

#include <algorithm>

using namespace flippdeal::server;
using flippdeal::fuzz::check;

namespace {

//! A masked client frame carrying what `ws::encode` put in an unmasked server frame.
QByteArray masked(const QByteArray &serverFrame, const QByteArray &mask)
{
    const auto *bytes = reinterpret_cast<const quint8 *>(serverFrame.constData());
    const qsizetype header = (bytes[1] & 0x7F) == 127 ? 10 : (bytes[1] & 0x7F) == 126 ? 4 : 2;
    QByteArray frame(serverFrame.size() + 4, Qt::Uninitialized);
    char *out = frame.data();
    std::copy_n(serverFrame.constData(), header, out);
    out[1] = char(out[1] | 0x80);
    std::copy_n(mask.constData(), 4, out + header);
    for (qsizetype i = header; i < serverFrame.size(); ++i)
        out[i + 4] = char(serverFrame.at(i) ^ mask.at((i - header) & 3));
    return frame;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    // The first byte picks the payload limit, so both the 1009 path and large frames are hit.
    const qsizetype maxPayload = data[0] & 1 ? 125 : 64 * 1024;
    const QByteArrayView buffer(reinterpret_cast<const char *>(data + 1), qsizetype(size - 1));

    qsizetype offset = 0;
    while (offset < buffer.size()) {
        const QByteArrayView rest = buffer.sliced(offset);
        const ws::ParseResult result = ws::parse(rest, maxPayload);
        if (result.status == ws::ParseResult::Status::NeedMore)
            break;
        if (result.status == ws::ParseResult::Status::Error) {
            check(result.errorCode == ws::ProtocolError || result.errorCode == ws::TooBig,
                  "an error closes with 1002 or 1009");
            break;
        }
        const ws::Frame &frame = result.frame;
        check(frame.consumed > 0 && frame.consumed <= rest.size(), "consumed within the buffer");
        check(frame.payload.size() <= maxPayload, "payload within the limit");
        check(frame.consumed >= frame.payload.size() + 6, "header and mask were consumed");
        const quint8 op = quint8(frame.opcode);
        check(op <= 2 || (op >= 8 && op <= 0xA), "a known opcode");
        if (op >= 8)
            check(frame.fin && frame.payload.size() <= 125, "control frames are final and small");
        // One byte short of the frame is never a frame.
        check(ws::parse(rest.first(frame.consumed - 1), maxPayload).status !=
                  ws::ParseResult::Status::Ok,
              "a truncated frame is not a frame");
        // What the server would send back with this payload decodes, once masked, to the same.
        const QByteArray echoed =
            masked(ws::encode(frame.opcode, frame.payload),
                   rest.sliced(frame.consumed - frame.payload.size() - 4, 4).toByteArray());
        const ws::ParseResult again = ws::parse(echoed, 64 * 1024);
        check(again.status == ws::ParseResult::Status::Ok && again.frame.payload == frame.payload &&
                  again.frame.consumed == echoed.size(),
              "encode and parse agree");
        offset += frame.consumed;
    }
    if (size >= 3) {
        const ws::ParseResult close = ws::parse(
            masked(ws::encodeClose(quint16(data[1] << 8 | data[2]), buffer.sliced(2)), "\1\2\3\4"),
            125);
        check(close.status == ws::ParseResult::Status::Ok && close.frame.payload.size() <= 125,
              "close frames fit a control frame");
    }
    return 0;
}
