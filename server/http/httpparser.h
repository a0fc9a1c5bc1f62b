// SPDX-License-Identifier: MIT
#pragma once

#include "http/httptypes.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

namespace flippdeal::server {

//! \brief Incremental HTTP/1.1 request parser (RFC 9112), strict wherever leniency would let
//! this server and a proxy in front of it disagree about where a request ends.
//!
//! Usage: feed() bytes as they arrive, then call next() while it returns Status::Request:
//! \code
//! HttpRequestParser parser({.maxBodyBytes = 256 * 1024});
//! parser.feed(bytes);                      // any bytes, in pieces of any size
//! for (;;) {
//!     HttpRequestParser::Result result = parser.next();
//!     if (result.status != HttpRequestParser::Status::Request)
//!         break;                           // NeedMore: feed more; Error or Closed: stop
//!     answer(result.request);              // then close if result.closeAfter
//! }
//! \endcode
//!
//! - NeedMore: no complete request yet; feed more bytes.
//! - Request: one complete request (head and Content-Length body).
//! - Error: the input is not acceptable; answer errorStatus with errorMessage and close the
//!   connection. 400: malformed request line or field line, a bare LF or CR, obs-fold,
//!   whitespace between a field name and its colon, invalid token or value characters, a
//!   duplicate or non-digit Content-Length (`+2`, `1,2`, ` 12x`), a missing or duplicate Host
//!   (HTTP/1.1). 413: Content-Length over maxBodyBytes (`discardBytes` tells how much body
//!   follows). 431: head over maxHeadBytes or over maxHeaderFields fields. 501: a method other
//!   than GET, HEAD, POST, PUT, PATCH, DELETE and OPTIONS, or any Transfer-Encoding (chunked
//!   bodies are refused, not parsed). 505: an HTTP version other than 1.x.
//! - Closed: the parser has finished: after an Error, after a request that ends the connection
//!   (`Connection: close`, HTTP/1.0 without `keep-alive`) and after a WebSocket upgrade request.
//!   Nothing after such a request is parsed, and later feed() calls are ignored.
//!
//! Any input is safe: the parser never reads outside what it was fed, never throws, does not
//! recurse, and holds at most what was fed and not yet consumed (the caller bounds that by
//! feeding only after NeedMore; a request in progress needs at most maxHeadBytes +
//! maxBodyBytes). Byte-by-byte feeding costs linear time: the scan resumes where it stopped.
class HttpRequestParser
{
public:
    struct Limits
    {
        qsizetype maxHeadBytes = 16 * 1024; //!< request line + field lines + CRLFs (431 above)
        qint64 maxBodyBytes = 256 * 1024;   //!< largest Content-Length accepted (413 above)
        int maxHeaderFields = 100;          //!< field lines per request (431 above)
    };

    enum class Status
    {
        NeedMore,
        Request,
        Error,
        Closed,
    };

    struct Result
    {
        Status status = Status::NeedMore;
        //! Status::Request: the request (method, path, query, headers with lower-case names and
        //! repeated fields joined with ", ", body). On Status::Error, `method` is set when the
        //! request line could be read.
        HttpRequest request;
        //! Request: the connection ends after this answer; next() then returns Closed.
        bool closeAfter = false;
        //! Request: a GET with `Upgrade: websocket`; the bytes that followed its head (the
        //! client's first frames) are in takeRemaining(). closeAfter is set too.
        bool upgrade = false;
        int errorStatus = 0;     //!< Error: 400, 413, 431, 501 or 505
        QString errorMessage;    //!< Error: one sentence for the `{"message": ...}` body
        qint64 discardBytes = 0; //!< Error 413: the announced body length
    };

    HttpRequestParser();
    explicit HttpRequestParser(Limits limits);

    //! Appends `bytes` to the input (ignored once next() has returned Closed or an Error).
    void feed(QByteArrayView bytes);
    //! The next request, or why there is none (see the class description).
    Result next();
    //! Input fed and not yet consumed by a returned request.
    qsizetype bufferedBytes() const { return m_buffer.size() - m_offset; }
    //! After an upgrade request: the bytes that followed it; the buffer is empty afterwards.
    QByteArray takeRemaining();

    //! Whether `method` is one this server implements (the others get 501).
    static bool isKnownMethod(QByteArrayView method);

private:
    enum class State
    {
        Head,
        Body,
        Closed,
    };

    static Result closed();
    Result fail(int status, const QString &message);
    Result parseHead(QByteArrayView head);
    //! fail(), keeping the request's method (for the access log and metrics).
    Result failFor(const HttpRequest &request, int status, const QString &message);
    //! After a valid head: the upgrade, the 413, or waiting for a body of `contentLength`.
    Result frame(Result head, qint64 contentLength);
    Result complete();

    Limits m_limits;
    QByteArray m_buffer;
    qsizetype m_offset = 0;    //!< start of the unconsumed input
    qsizetype m_lineStart = 0; //!< Head: start of the line being scanned
    qsizetype m_scan = 0;      //!< Head: where the search for the next LF resumes
    int m_lines = 0;           //!< Head: complete lines so far
    State m_state = State::Head;
    Result m_pending; //!< Body: the request whose body is awaited
    qint64 m_bodyLength = 0;
};

} // namespace flippdeal::server
