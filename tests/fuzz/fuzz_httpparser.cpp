// SPDX-License-Identifier: MIT
// The HTTP/1.1 request parser (server/http/httpparser.h): the bytes of one connection, fed whole,
// byte by byte and in pieces whose sizes the input picks. All three must give the same requests
// and the same ending, and what comes out must obey RFC 9112 as the parser promises.
#include "fuzzinput.h"

#include "http/httpparser.h"

using namespace flippdeal::server;
using flippdeal::fuzz::check;

namespace {

using Parser = HttpRequestParser;

constexpr qsizetype BytewiseBytes = 4096;

//! What a connection's parser produced: one line per request, then how it ended.
struct Outcome
{
    QList<QByteArray> requests;
    Parser::Status end = Parser::Status::NeedMore;
    int errorStatus = 0;
    QByteArray remaining;
};

QByteArray describe(const Parser::Result &result)
{
    const HttpRequest &r = result.request;
    QByteArray text = r.method + ' ' + r.rawPath.toUtf8() + ' ' + r.path.toUtf8() + " q" +
                      QByteArray::number(r.query.size()) + " h";
    for (const auto &[name, value] : r.headers)
        text += name + '=' + value + ';';
    return text + " b" + QByteArray::number(r.body.size()) + (result.closeAfter ? " close" : "") +
           (result.upgrade ? " upgrade" : "");
}

void checkRequest(const Parser::Result &result, const Parser::Limits &limits)
{
    const HttpRequest &r = result.request;
    check(Parser::isKnownMethod(r.method), "only known methods are returned");
    check(r.rawPath.startsWith(QLatin1Char('/')) || r.rawPath == QLatin1String("*"),
          "an origin-form target");
    check(r.body.size() <= limits.maxBodyBytes, "the body within its limit");
    check(r.headers.size() <= limits.maxHeaderFields, "header fields within their limit");
    for (const auto &[name, value] : r.headers) {
        check(!name.isEmpty() && name == name.toLower(), "field names lower-cased");
        check(!value.contains('\r') && !value.contains('\n'), "no CR or LF in a value");
    }
    const QByteArray length = r.header("content-length");
    check(length.isEmpty() ? r.body.isEmpty() : length.toLongLong() == r.body.size(),
          "the body is exactly Content-Length");
    check(r.header("transfer-encoding").isEmpty(), "no Transfer-Encoding is accepted");
    check(!result.upgrade || result.closeAfter, "an upgrade ends HTTP on the connection");
}

Outcome run(const QByteArray &input, const Parser::Limits &limits, const QList<int> &pieces)
{
    Parser parser(limits);
    Outcome outcome;
    qsizetype offset = 0;
    int piece = 0;
    while (true) {
        const qsizetype size =
            pieces.isEmpty() ? input.size() : qsizetype(pieces[piece++ % pieces.size()]);
        const QByteArrayView chunk = QByteArrayView(input).sliced(offset).first(
            std::min<qsizetype>(size, input.size() - offset));
        parser.feed(chunk);
        offset += chunk.size();
        for (;;) {
            const Parser::Result result = parser.next();
            if (result.status == Parser::Status::Request) {
                checkRequest(result, limits);
                outcome.requests.append(describe(result));
                if (result.closeAfter) {
                    check(parser.next().status == Parser::Status::Closed,
                          "nothing is parsed after a request that closes");
                    outcome.end = Parser::Status::Closed;
                    // What followed the head: fed already, plus what was not fed yet.
                    outcome.remaining = parser.takeRemaining() + input.mid(offset);
                    if (!result.upgrade)
                        outcome.remaining.clear(); // not part of the contract then
                    return outcome;
                }
                continue;
            }
            if (result.status == Parser::Status::Error) {
                check(QList<int>{400, 413, 431, 501, 505}.contains(result.errorStatus),
                      "errors are 400, 413, 431, 501 or 505");
                check(!result.errorMessage.isEmpty(), "an error has a message");
                check(parser.next().status != Parser::Status::Request, "nothing after an error");
                outcome.end = Parser::Status::Error;
                outcome.errorStatus = result.errorStatus;
                return outcome;
            }
            check(result.status == Parser::Status::NeedMore, "no Closed without a reason");
            break;
        }
        // Waiting for more: what is held is bounded by one request in progress.
        check(parser.bufferedBytes() <= limits.maxHeadBytes + limits.maxBodyBytes + size,
              "buffered input stays bounded");
        if (offset >= input.size())
            return outcome;
    }
}

bool same(const Outcome &a, const Outcome &b)
{
    return a.requests == b.requests && a.end == b.end && a.errorStatus == b.errorStatus;
}

void print(const char *what, const Outcome &outcome)
{
    std::fprintf(stderr, "%s: %lld requests, end %d, error %d\n", what,
                 static_cast<long long>(outcome.requests.size()), int(outcome.end),
                 outcome.errorStatus);
    for (const QByteArray &request : outcome.requests)
        std::fprintf(stderr, "  %s\n", request.toPercentEncoding(" =;/?&").constData());
}

void checkSame(const Outcome &whole, const Outcome &other, const char *what)
{
    if (!same(whole, other)) {
        print("fed whole", whole);
        print(what, other);
    }
    check(same(whole, other), what);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    // Small limits (picked by the first byte) so 413 and 431 are reachable from short inputs.
    Parser::Limits limits;
    if (data[0] & 1) {
        limits.maxHeadBytes = 256;
        limits.maxBodyBytes = 64;
        limits.maxHeaderFields = 4;
    }
    QList<int> pieces;
    for (int i = 0; i < 4; ++i)
        pieces.append(1 + (data[1] >> (2 * i) & 3) * 7);
    const QByteArray input(reinterpret_cast<const char *>(data + 2), qsizetype(size - 2));

    const Outcome whole = run(input, limits, {});
    // Byte by byte through the first 4 KiB (every head with the small limits, and the start of
    // any other), then the rest at once: a parser step per byte of a 16 KiB input made each run
    // take 1.7 ms, too slow for the 10-million run. The pieces below still cover all of it.
    QList<int> bytewise(std::min<qsizetype>(input.size(), BytewiseBytes), 1);
    bytewise.append(int(input.size()) + 1);
    const Outcome bytes = run(input, limits, bytewise);
    const Outcome chunks = run(input, limits, pieces);
    checkSame(whole, bytes, "fed byte by byte");
    checkSame(whole, chunks, "fed in pieces");
    check(whole.remaining == bytes.remaining && whole.remaining == chunks.remaining,
          "the same bytes follow an upgrade");
    return 0;
}
