// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QByteArrayView>

#include <optional>

//! \file RFC 6455 framing for the server side: frames we send are unmasked and built once per
//! broadcast; frames clients send must be masked and are decoded incrementally.

namespace flippdeal::server::ws {

enum class Opcode : quint8
{
    Continuation = 0x0,
    Text = 0x1,
    Binary = 0x2,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA,
};

//! Close codes of RFC 6455 that the engine itself uses.
enum CloseCode : quint16
{
    Normal = 1000,
    GoingAway = 1001,
    ProtocolError = 1002,
    NoStatus = 1005, //!< never sent: the peer's close frame carried no code
    Abnormal = 1006, //!< never sent: the connection dropped without a close frame
    InvalidPayload = 1007,
    TooBig = 1009,
};

//! \brief Whether an endpoint may put `code` in a close frame (RFC 6455 section 7.4): 1000-1003,
//! 1007-1014 (1012-1014 as registered with IANA since) and the application range 3000-4999.
//! 1004, 1005, 1006 and 1015 are reserved or only reported locally, and 0-999 is unused.
bool isSendableCloseCode(quint16 code);

//! \brief Whether `text` is well-formed UTF-8 (no overlong forms, no surrogates, nothing above
//! U+10FFFF), as RFC 6455 requires of text messages and close reasons.
bool isValidUtf8(QByteArrayView text);

//! \brief What a client's close frame says: its code (NoStatus when the payload is empty), or a
//! protocol error (a 1-byte payload, a code no endpoint may send, a reason that is not UTF-8).
struct ClosePayload
{
    bool valid = true;
    quint16 code = NoStatus;
    const char *error = "";
};
ClosePayload parseClosePayload(QByteArrayView payload);

//! \brief A complete unmasked frame (FIN set) carrying `payload`.
QByteArray encode(Opcode opcode, QByteArrayView payload);
//! \brief A close frame with a status code and a UTF-8 reason (truncated to fit 125 bytes, at
//! a character boundary). Codes that must not be sent (NoStatus, Abnormal, ...) give a close
//! frame without a payload.
QByteArray encodeClose(quint16 code, QByteArrayView reason);

//! \brief One frame parsed from the front of a buffer.
struct Frame
{
    bool fin = true;
    Opcode opcode = Opcode::Text;
    QByteArray payload;     //!< unmasked
    qsizetype consumed = 0; //!< bytes of the buffer this frame took
};

//! \brief Result of trying to parse a frame: need more bytes, a frame, or a protocol error
//! with the close code to answer it with.
struct ParseResult
{
    enum class Status
    {
        NeedMore,
        Ok,
        Error
    } status = Status::NeedMore;
    Frame frame;
    quint16 errorCode = 0;
    const char *errorReason = "";
};

//! \brief Parses one client frame from `buffer`. Client frames must be masked; payloads over
//! `maxPayload` are refused with 1009; reserved bits and unknown opcodes with 1002.
ParseResult parse(QByteArrayView buffer, qsizetype maxPayload);

//! \brief `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key`.
QByteArray acceptKey(const QByteArray &clientKey);

} // namespace flippdeal::server::ws
