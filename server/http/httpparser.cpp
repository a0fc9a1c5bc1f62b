// SPDX-License-Identifier: MIT
#include "http/httpparser.h"

#include <QUrl>

#include <algorithm>

namespace flippdeal::server {

namespace {

// tchar of RFC 9110 §5.6.2.
bool isTchar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
        return true;
    default:
        return false;
    }
}

bool isToken(QByteArrayView text)
{
    return !text.isEmpty() && std::all_of(text.begin(), text.end(), isTchar);
}

// field-vchar, SP and HTAB; obs-text (0x80-0xFF) is allowed, every other control is not.
bool isFieldValueChar(char c)
{
    const auto u = static_cast<uchar>(c);
    return u == '\t' || (u >= 0x20 && u != 0x7f);
}

// Visible ASCII; no fragment in a request target.
bool isTargetChar(char c)
{
    const auto u = static_cast<uchar>(c);
    return u > 0x20 && u < 0x7f && c != '#';
}

// uri-host [":" port]: reg-name, IPv4 or an IP literal in brackets.
bool isHostChar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return QByteArrayView("-._~%!$&'()*+,;=:[]").contains(c);
}

bool isOws(char c)
{
    return c == ' ' || c == '\t';
}

QByteArrayView trimOws(QByteArrayView text)
{
    while (!text.isEmpty() && isOws(text.front()))
        text = text.sliced(1);
    while (!text.isEmpty() && isOws(text.back()))
        text.chop(1);
    return text;
}

// Whether the comma-separated list (Connection) holds `token`, case-insensitively.
bool listHasToken(QByteArrayView list, QByteArrayView token)
{
    while (!list.isEmpty()) {
        const qsizetype comma = list.indexOf(',');
        const QByteArrayView item = trimOws(comma < 0 ? list : list.first(comma));
        if (item.compare(token, Qt::CaseInsensitive) == 0)
            return true;
        if (comma < 0)
            break;
        list = list.sliced(comma + 1);
    }
    return false;
}

QString decodeComponent(QByteArray text)
{
    return QUrl::fromPercentEncoding(text.replace('+', ' '));
}

} // namespace

HttpRequestParser::HttpRequestParser()
    : HttpRequestParser(Limits{})
{}

HttpRequestParser::HttpRequestParser(Limits limits)
    : m_limits(limits)
{}

bool HttpRequestParser::isKnownMethod(QByteArrayView method)
{
    static constexpr QByteArrayView known[] = {"GET",   "HEAD",   "POST",   "PUT",
                                               "PATCH", "DELETE", "OPTIONS"};
    return std::find(std::begin(known), std::end(known), method) != std::end(known);
}

void HttpRequestParser::feed(QByteArrayView bytes)
{
    if (m_state != State::Closed)
        m_buffer.append(bytes);
}

QByteArray HttpRequestParser::takeRemaining()
{
    QByteArray rest = m_buffer.mid(m_offset);
    m_buffer = QByteArray();
    m_offset = m_lineStart = m_scan = 0;
    return rest;
}

HttpRequestParser::Result HttpRequestParser::closed()
{
    Result result;
    result.status = Status::Closed;
    return result;
}

HttpRequestParser::Result HttpRequestParser::fail(int status, const QString &message)
{
    m_state = State::Closed;
    m_buffer = QByteArray();
    m_offset = m_lineStart = m_scan = 0;
    Result result;
    result.status = Status::Error;
    result.errorStatus = status;
    result.errorMessage = message;
    return result;
}

HttpRequestParser::Result HttpRequestParser::next()
{
    if (m_state == State::Closed)
        return closed();
    if (m_state == State::Body)
        return bufferedBytes() < m_bodyLength ? Result{} : complete();

    // Drop consumed input once it is at least half the buffer (amortized linear).
    if (m_offset > 0 && m_offset * 2 >= m_buffer.size()) {
        m_buffer.remove(0, m_offset);
        m_lineStart -= m_offset;
        m_scan -= m_offset;
        m_offset = 0;
    }
    const QByteArrayView data(m_buffer);
    for (;;) {
        // The scan resumes where the last call stopped, so byte-by-byte input stays linear.
        const qsizetype newline = data.indexOf('\n', m_scan);
        if (newline < 0) {
            m_scan = data.size();
            if (data.size() - m_offset > m_limits.maxHeadBytes)
                return fail(431, QStringLiteral("Request head too large."));
            return {};
        }
        const qsizetype scan = m_scan = newline + 1;
        // The size first: fed byte by byte, a head past the limit is refused before its line
        // ends, so fed whole it must be too (the same answer however the bytes arrive).
        if (scan - m_offset > m_limits.maxHeadBytes)
            return fail(431, QStringLiteral("Request head too large."));
        // RFC 9112 §2.2 lets a server accept a bare LF; here it ends the connection, since a
        // proxy that does not would see different lines.
        if (newline == m_lineStart || data[newline - 1] != '\r')
            return fail(400, QStringLiteral("Lines must end with CRLF; a bare LF was received."));
        if (newline - 1 == m_lineStart) { // an empty line
            if (m_lines == 0) {           // before the request line: ignored (RFC 9112 §2.2)
                m_offset = m_lineStart = scan;
                continue;
            }
            const QByteArrayView head = data.sliced(m_offset, m_lineStart - m_offset);
            m_offset = m_lineStart = scan;
            m_lines = 0;
            return parseHead(head);
        }
        if (++m_lines > m_limits.maxHeaderFields + 1)
            return fail(431, QStringLiteral("Too many header fields."));
        m_lineStart = scan;
    }
}

namespace {

//! Why a request head is refused: the status and the message of the answer.
struct HeadError
{
    int status = 400;
    QString message;
};
using HeadCheck = std::optional<HeadError>;

HeadError malformedRequestLine()
{
    return {400, QStringLiteral("Malformed request line.")};
}

//! The parts of a request line.
struct RequestLine
{
    QByteArrayView method;
    QByteArrayView target;
    bool http10 = false;
};

//! request-line = method SP request-target SP HTTP-version, single spaces.
HeadCheck splitRequestLine(QByteArrayView line, RequestLine &parts)
{
    const qsizetype sp1 = line.indexOf(' ');
    const qsizetype sp2 = sp1 < 0 ? -1 : line.indexOf(' ', sp1 + 1);
    if (sp1 <= 0 || sp2 <= sp1 + 1)
        return malformedRequestLine();
    parts.method = line.first(sp1);
    parts.target = line.sliced(sp1 + 1, sp2 - sp1 - 1);
    const QByteArrayView version = line.sliced(sp2 + 1);
    if (!isToken(parts.method) ||
        !std::all_of(parts.target.begin(), parts.target.end(), isTargetChar))
        return malformedRequestLine();
    if (version.size() != 8 || !version.startsWith("HTTP/") || version[6] != '.' ||
        version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9')
        return malformedRequestLine();
    if (version[5] != '1')
        return HeadError{505, QStringLiteral("Only HTTP/1.1 and HTTP/1.0 are supported.")};
    parts.http10 = version[7] == '0';
    return std::nullopt;
}

bool startsWithScheme(QByteArrayView target, QByteArrayView scheme)
{
    return target.first(std::min<qsizetype>(target.size(), scheme.size()))
               .compare(scheme, Qt::CaseInsensitive) == 0;
}

//! The request's path and query from its target: origin-form, absolute-form (taken as its
//! path and query), or asterisk-form for OPTIONS.
HeadCheck readTarget(QByteArrayView target, QByteArrayView method, HttpRequest &request)
{
    QByteArrayView pathAndQuery = target;
    if (target.startsWith('/')) {
        // origin-form
    } else if (target == "*" && method == "OPTIONS") {
        pathAndQuery = "*";
    } else if (startsWithScheme(target, "http://") || startsWithScheme(target, "https://")) {
        const qsizetype authority = target.indexOf("://") + 3;
        qsizetype end = authority;
        while (end < target.size() && target[end] != '/' && target[end] != '?')
            ++end;
        if (end == authority)
            return HeadError{400, QStringLiteral("The request target has no host.")};
        pathAndQuery = target.sliced(end);
    } else {
        return HeadError{400, QStringLiteral("The request target must be a path.")};
    }
    const qsizetype question = pathAndQuery.indexOf('?');
    const QByteArray rawPath =
        (question < 0 ? pathAndQuery : pathAndQuery.first(question)).toByteArray();
    request.rawPath = rawPath.isEmpty() ? QStringLiteral("/") : QString::fromLatin1(rawPath);
    request.path = rawPath.isEmpty() ? QStringLiteral("/") : QUrl::fromPercentEncoding(rawPath);
    if (question < 0)
        return std::nullopt;
    const QByteArray query = pathAndQuery.sliced(question + 1).toByteArray();
    for (const QByteArray &pair : query.split('&')) {
        if (pair.isEmpty())
            continue;
        const qsizetype eq = pair.indexOf('=');
        request.query.append({decodeComponent(eq < 0 ? pair : pair.left(eq)),
                              eq < 0 ? QString() : decodeComponent(pair.mid(eq + 1))});
    }
    return std::nullopt;
}

//! What the framing needs to know from the header fields.
struct FieldSummary
{
    int hosts = 0;
    int contentLengths = 0;
    qint64 contentLength = 0;
    bool transferEncoding = false;
};

//! Content-Length = 1*DIGIT, once: no sign, no list, no second value, not even an equal one.
HeadCheck readContentLength(QByteArrayView value, FieldSummary &summary)
{
    if (++summary.contentLengths > 1)
        return HeadError{400, QStringLiteral("More than one Content-Length.")};
    if (value.isEmpty() ||
        !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return HeadError{400, QStringLiteral("Invalid Content-Length.")};
    constexpr qint64 Saturated = qint64(1) << 60; // any length over the limit: 413
    for (const char digit : value)
        summary.contentLength = summary.contentLength >= Saturated / 10
                                    ? Saturated
                                    : summary.contentLength * 10 + (digit - '0');
    return std::nullopt;
}

//! The fields the framing depends on: Host, Content-Length, Transfer-Encoding.
HeadCheck noteFramingField(const QByteArray &lowerName, QByteArrayView value, FieldSummary &summary)
{
    if (lowerName == "host") {
        if (++summary.hosts > 1)
            return HeadError{400, QStringLiteral("More than one Host header.")};
        if (!std::all_of(value.begin(), value.end(), isHostChar))
            return HeadError{400, QStringLiteral("Invalid Host header.")};
    } else if (lowerName == "content-length") {
        return readContentLength(value, summary);
    } else if (lowerName == "transfer-encoding") {
        summary.transferEncoding = true;
    }
    return std::nullopt;
}

//! field-line = field-name ":" OWS field-value OWS
HeadCheck readField(QByteArrayView field, HttpRequest &request, FieldSummary &summary)
{
    if (isOws(field.front()))
        return HeadError{400, QStringLiteral("Obsolete line folding is not accepted.")};
    const qsizetype colon = field.indexOf(':');
    if (colon <= 0)
        return HeadError{400, QStringLiteral("Malformed header field line.")};
    const QByteArrayView name = field.first(colon);
    if (isOws(name.back()))
        return HeadError{400, QStringLiteral("Whitespace between a header field name and its "
                                             "colon is not accepted.")};
    if (!isToken(name))
        return HeadError{400, QStringLiteral("Invalid character in a header field name.")};
    const QByteArrayView value = trimOws(field.sliced(colon + 1));
    if (!std::all_of(value.begin(), value.end(), isFieldValueChar))
        return HeadError{400, QStringLiteral("Invalid character in a header field value.")};
    const QByteArray lowerName = name.toByteArray().toLower();
    if (auto error = noteFramingField(lowerName, value, summary))
        return error;
    // Repeated fields are one comma-separated list (RFC 9110 §5.3), so no reader picks "the
    // first" of two values that a proxy read as the last.
    auto existing = std::find_if(request.headers.begin(), request.headers.end(),
                                 [&lowerName](const auto &h) { return h.first == lowerName; });
    if (existing != request.headers.end())
        existing->second += ", " + value.toByteArray();
    else
        request.headers.emplace_back(lowerName, value.toByteArray());
    return std::nullopt;
}

} // namespace

HttpRequestParser::Result HttpRequestParser::parseHead(QByteArrayView head)
{
    // head: the request line and the field lines, each ending with CRLF.
    qsizetype eol = head.indexOf("\r\n");
    RequestLine line;
    if (const auto error = splitRequestLine(head.first(eol), line))
        return fail(error->status, error->message);
    head = head.sliced(eol + 2);

    Result result;
    result.status = Status::Request;
    HttpRequest &request = result.request;
    request.method = line.method.toByteArray();
    if (!isKnownMethod(line.method))
        return failFor(request, 501,
                       QStringLiteral("Method not implemented: use GET, HEAD, POST, PUT, PATCH, "
                                      "DELETE or OPTIONS."));
    if (const auto error = readTarget(line.target, line.method, request))
        return fail(error->status, error->message);
    FieldSummary fields;
    while (!head.isEmpty()) {
        eol = head.indexOf("\r\n");
        if (const auto error = readField(head.first(eol), request, fields))
            return fail(error->status, error->message);
        head = head.sliced(eol + 2);
    }
    if (fields.hosts == 0 && !line.http10)
        return fail(400, QStringLiteral("An HTTP/1.1 request needs a Host header."));
    if (fields.transferEncoding)
        return failFor(request, 501,
                       QStringLiteral("Transfer-Encoding is not supported: send the body with a "
                                      "Content-Length."));
    const QByteArray connection = request.header("connection");
    result.closeAfter =
        line.http10 ? !listHasToken(connection, "keep-alive") : listHasToken(connection, "close");
    return frame(std::move(result), fields.contentLength);
}

HttpRequestParser::Result HttpRequestParser::failFor(const HttpRequest &request, int status,
                                                     const QString &message)
{
    Result error = fail(status, message);
    error.request.method = request.method;
    return error;
}

HttpRequestParser::Result HttpRequestParser::frame(Result head, qint64 contentLength)
{
    const HttpRequest &request = head.request;
    if (request.method == "GET" && request.header("upgrade").toLower().contains("websocket")) {
        if (contentLength > 0)
            return fail(400, QStringLiteral("A WebSocket upgrade request has no body."));
        head.upgrade = true;
        head.closeAfter = true;
        m_state = State::Closed; // what follows belongs to the WebSocket (takeRemaining)
        return head;
    }
    if (contentLength > m_limits.maxBodyBytes) {
        const qint64 received = bufferedBytes(); // before fail() drops the buffer
        Result error = failFor(
            request, 413,
            QStringLiteral("The request body exceeds %1 bytes.").arg(m_limits.maxBodyBytes));
        error.discardBytes = std::max<qint64>(0, contentLength - received);
        return error;
    }
    m_pending = std::move(head);
    m_bodyLength = contentLength;
    m_state = State::Body;
    return bufferedBytes() < m_bodyLength ? Result{} : complete();
}

HttpRequestParser::Result HttpRequestParser::complete()
{
    Result result = std::move(m_pending);
    m_pending = {};
    result.request.body = m_buffer.mid(m_offset, m_bodyLength);
    m_offset += m_bodyLength;
    m_bodyLength = 0;
    m_lineStart = m_scan = m_offset;
    m_state = State::Head;
    if (result.closeAfter) { // nothing after this request is parsed
        m_state = State::Closed;
        m_buffer = QByteArray();
        m_offset = m_lineStart = m_scan = 0;
    }
    return result;
}

} // namespace flippdeal::server
