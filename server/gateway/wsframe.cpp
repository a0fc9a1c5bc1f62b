// SPDX-License-Identifier: MIT
#include "gateway/wsframe.h"

#include <QCryptographicHash>

#include <cstring>

namespace flippdeal::server::ws {

QByteArray encode(Opcode opcode, QByteArrayView payload)
{
    const qsizetype size = payload.size();
    QByteArray frame;
    frame.reserve(size + 10);
    frame.append(char(0x80 | quint8(opcode)));
    if (size < 126) {
        frame.append(char(size));
    } else if (size <= 0xFFFF) {
        frame.append(char(126));
        frame.append(char((size >> 8) & 0xFF));
        frame.append(char(size & 0xFF));
    } else {
        frame.append(char(127));
        for (int shift = 56; shift >= 0; shift -= 8)
            frame.append(char((quint64(size) >> shift) & 0xFF));
    }
    frame.append(payload.data(), size);
    return frame;
}

QByteArray encodeClose(quint16 code, QByteArrayView reason)
{
    if (!isSendableCloseCode(code))
        return encode(Opcode::Close, {});
    QByteArray payload;
    payload.append(char(code >> 8));
    payload.append(char(code & 0xFF));
    qsizetype size = std::min<qsizetype>(reason.size(), 123);
    // Never cut a character in two: the reason must stay valid UTF-8.
    while (size > 0 && size < reason.size() && (quint8(reason[size]) & 0xC0) == 0x80)
        --size;
    payload.append(reason.first(size));
    return encode(Opcode::Close, payload);
}

bool isSendableCloseCode(quint16 code)
{
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
           (code >= 3000 && code <= 4999);
}

bool isValidUtf8(QByteArrayView text)
{
    const auto *bytes = reinterpret_cast<const quint8 *>(text.data());
    const qsizetype size = text.size();
    qsizetype i = 0;
    while (i < size) {
        // Pusher frames are mostly ASCII: skip 8 bytes at a time while no high bit is set.
        if (size - i >= 8) {
            quint64 word;
            std::memcpy(&word, bytes + i, 8);
            if (!(word & 0x8080808080808080ULL)) {
                i += 8;
                continue;
            }
        }
        const quint8 lead = bytes[i];
        if (lead < 0x80) {
            ++i;
            continue;
        }
        int length = 0;
        quint8 low = 0x80, high = 0xBF; // the allowed range of the second byte
        if (lead >= 0xC2 && lead <= 0xDF) {
            length = 2;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            length = 3;
            if (lead == 0xE0)
                low = 0xA0; // overlong
            else if (lead == 0xED)
                high = 0x9F; // surrogates
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            length = 4;
            if (lead == 0xF0)
                low = 0x90; // overlong
            else if (lead == 0xF4)
                high = 0x8F; // above U+10FFFF
        } else {
            return false; // a continuation byte, an overlong 2-byte lead, or 0xF5-0xFF
        }
        if (size - i < length || bytes[i + 1] < low || bytes[i + 1] > high)
            return false;
        for (int k = 2; k < length; ++k) {
            if ((bytes[i + k] & 0xC0) != 0x80)
                return false;
        }
        i += length;
    }
    return true;
}

ClosePayload parseClosePayload(QByteArrayView payload)
{
    ClosePayload result;
    if (payload.isEmpty())
        return result;
    if (payload.size() == 1)
        return {false, ProtocolError, "close payload of one byte"};
    result.code = quint16((quint8(payload[0]) << 8) | quint8(payload[1]));
    if (!isSendableCloseCode(result.code))
        return {false, ProtocolError, "invalid close code"};
    if (!isValidUtf8(payload.sliced(2)))
        return {false, ProtocolError, "close reason is not UTF-8"};
    return result;
}

ParseResult parse(QByteArrayView buffer, qsizetype maxPayload)
{
    ParseResult result;
    auto fail = [&result](quint16 code, const char *reason) {
        result.status = ParseResult::Status::Error;
        result.errorCode = code;
        result.errorReason = reason;
        return result;
    };
    if (buffer.size() < 2)
        return result;
    const auto *bytes = reinterpret_cast<const quint8 *>(buffer.data());
    const bool fin = bytes[0] & 0x80;
    if (bytes[0] & 0x70)
        return fail(ProtocolError, "reserved bits set");
    const quint8 opcode = bytes[0] & 0x0F;
    const bool isControl = opcode & 0x8;
    if (opcode != 0x0 && opcode != 0x1 && opcode != 0x2 && opcode != 0x8 && opcode != 0x9 &&
        opcode != 0xA)
        return fail(ProtocolError, "unknown opcode");
    if (!(bytes[1] & 0x80))
        return fail(ProtocolError, "client frames must be masked");
    quint64 length = bytes[1] & 0x7F;
    qsizetype offset = 2;
    if (length == 126) {
        if (buffer.size() < 4)
            return result;
        length = (quint64(bytes[2]) << 8) | bytes[3];
        offset = 4;
    } else if (length == 127) {
        if (buffer.size() < 10)
            return result;
        length = 0;
        for (int i = 0; i < 8; ++i)
            length = (length << 8) | bytes[2 + i];
        offset = 10;
    }
    if (isControl && (length > 125 || !fin))
        return fail(ProtocolError, "invalid control frame");
    if (length > quint64(maxPayload))
        return fail(TooBig, "message too big");
    if (buffer.size() < offset + 4 + qsizetype(length))
        return result;
    const quint8 *mask = bytes + offset;
    offset += 4;
    result.frame.payload.resize(qsizetype(length));
    auto *out = reinterpret_cast<quint8 *>(result.frame.payload.data());
    for (quint64 i = 0; i < length; ++i)
        out[i] = bytes[offset + qsizetype(i)] ^ mask[i & 3];
    result.frame.fin = fin;
    result.frame.opcode = Opcode(opcode);
    result.frame.consumed = offset + qsizetype(length);
    result.status = ParseResult::Status::Ok;
    return result;
}

QByteArray acceptKey(const QByteArray &clientKey)
{
    return QCryptographicHash::hash(clientKey.trimmed() + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11",
                                    QCryptographicHash::Sha1)
        .toBase64();
}

} // namespace flippdeal::server::ws
