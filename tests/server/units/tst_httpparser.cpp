// SPDX-License-Identifier: MIT
// HttpRequestParser against a table of RFC 9112 cases: raw bytes in, the sequence of outcomes
// out. Every row is also fed byte by byte and in 7-byte pieces, and must give the same answer.
#include "http/httpparser.h"

#include <QRandomGenerator>
#include <QtTest>

using namespace flippdeal::server;
using Parser = HttpRequestParser;

namespace {

constexpr qint64 TestMaxBody = 1024;

Parser::Limits testLimits()
{
    Parser::Limits limits;
    limits.maxBodyBytes = TestMaxBody;
    return limits;
}

QString describe(const Parser::Result &result)
{
    QString text =
        QString::fromLatin1(result.request.method) + QLatin1Char(' ') + result.request.path;
    if (!result.request.body.isEmpty())
        text += QStringLiteral(" body=%1").arg(result.request.body.size());
    if (result.upgrade)
        text += QStringLiteral(" upgrade");
    else if (result.closeAfter)
        text += QStringLiteral(" close");
    return text;
}

//! Feeds `input` in pieces of `chunk` bytes, taking every request after each piece; the
//! requests and the final state, joined with " | " (e.g. "GET /a | POST /b body=3 | more").
QString run(const QByteArray &input, qsizetype chunk)
{
    Parser parser(testLimits());
    QStringList events;
    for (qsizetype at = 0; at < input.size(); at += chunk) {
        parser.feed(QByteArrayView(input).sliced(at, std::min(chunk, input.size() - at)));
        for (;;) {
            const Parser::Result result = parser.next();
            if (result.status == Parser::Status::Request) {
                events << describe(result);
                continue;
            }
            if (result.status == Parser::Status::NeedMore)
                break;
            if (result.status == Parser::Status::Closed) {
                events << QStringLiteral("closed");
            } else {
                events << QString::number(result.errorStatus);
                if (result.errorMessage.isEmpty())
                    events << QStringLiteral("(no message)");
            }
            return events.join(QLatin1String(" | "));
        }
    }
    events << QStringLiteral("more");
    return events.join(QLatin1String(" | "));
}

QByteArray get(const QByteArray &target = "/", const QByteArray &extra = {})
{
    return "GET " + target + " HTTP/1.1\r\nHost: example.test\r\n" + extra + "\r\n";
}

} // namespace

class TestHttpParser : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parses_data()
    {
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<QString>("expected");
        const QByteArray host = "Host: example.test\r\n";

        // Well-formed requests.
        QTest::addRow("simple GET") << get() << "GET / | more";
        QTest::addRow("every known method")
            << QByteArray("HEAD / HTTP/1.1\r\n" + host + "\r\nPOST /p HTTP/1.1\r\n" + host +
                          "\r\nPUT /p HTTP/1.1\r\n" + host + "\r\nPATCH /p HTTP/1.1\r\n" + host +
                          "\r\nDELETE /p HTTP/1.1\r\n" + host + "\r\nOPTIONS /p HTTP/1.1\r\n" +
                          host + "\r\n")
            << "HEAD / | POST /p | PUT /p | PATCH /p | DELETE /p | OPTIONS /p | more";
        QTest::addRow("body by Content-Length")
            << QByteArray("POST /p HTTP/1.1\r\n" + host + "Content-Length: 5\r\n\r\nhello")
            << "POST /p body=5 | more";
        QTest::addRow("pipelined") << QByteArray(get("/a") + "POST /b HTTP/1.1\r\n" + host +
                                                 "Content-Length: 3\r\n\r\nxyz" + get("/c"))
                                   << "GET /a | POST /b body=3 | GET /c | more";
        QTest::addRow("body with CRLFs inside")
            << QByteArray("POST /p HTTP/1.1\r\n" + host +
                          "Content-Length: 22\r\n\r\nGET /smuggled HTTP/1.1" + get("/next"))
            << "POST /p body=22 | GET /next | more";
        QTest::addRow("Content-Length 0") << get("/", "Content-Length: 0\r\n") << "GET / | more";
        QTest::addRow("Content-Length leading zeros")
            << QByteArray("POST /p HTTP/1.1\r\n" + host + "Content-Length: 007\r\n\r\n1234567")
            << "POST /p body=7 | more";
        QTest::addRow("empty lines before the request line")
            << QByteArray("\r\n\r\n" + get()) << "GET / | more";
        QTest::addRow("OWS around a value") << get("/", "X-A: \t value \t\r\n") << "GET / | more";
        QTest::addRow("empty value") << get("/", "X-Empty:\r\n") << "GET / | more";
        QTest::addRow("obs-text in a value")
            << get("/", "X-Name: caf\xc3\xa9\r\n") << "GET / | more";
        QTest::addRow("HTTP/1.0 closes")
            << QByteArray("GET /old HTTP/1.0\r\n\r\n") << "GET /old close | closed";
        QTest::addRow("HTTP/1.0 keep-alive")
            << QByteArray("GET /old HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n" + get())
            << "GET /old | GET / | more";
        QTest::addRow("HTTP/1.9 is 1.1")
            << QByteArray("GET / HTTP/1.9\r\n" + host + "\r\n") << "GET / | more";
        QTest::addRow("Connection: close")
            << get("/", "Connection: close\r\n") << "GET / close | closed";
        QTest::addRow("Connection token list")
            << get("/", "Connection: x-foo, CLOSE\r\n") << "GET / close | closed";
        QTest::addRow("Connection token, not substring")
            << get("/", "Connection: x-close\r\n") << "GET / | more";
        QTest::addRow("nothing parsed after Connection: close")
            << QByteArray(get("/a", "Connection: close\r\n") + get("/b"))
            << "GET /a close | closed";
        QTest::addRow("nothing parsed after HTTP/1.0")
            << QByteArray("GET /a HTTP/1.0\r\n\r\n" + get("/b")) << "GET /a close | closed";
        QTest::addRow("nothing parsed after Connection: close, with body")
            << QByteArray("POST /a HTTP/1.1\r\n" + host +
                          "Connection: close\r\nContent-Length: 2\r\n\r\nok" + get("/b"))
            << "POST /a body=2 close | closed";
        QTest::addRow("absolute-form")
            << get("http://example.test/health?x=1") << "GET /health | more";
        QTest::addRow("absolute-form without a path")
            << get("HTTPS://example.test") << "GET / | more";
        QTest::addRow("asterisk-form OPTIONS")
            << QByteArray("OPTIONS * HTTP/1.1\r\n" + host + "\r\n") << "OPTIONS * | more";
        QTest::addRow("WebSocket upgrade")
            << QByteArray(get("/app/key", "Upgrade: websocket\r\nConnection: Upgrade\r\n") +
                          "\x81\x80")
            << "GET /app/key upgrade | closed";
        QTest::addRow("HTTP/1.0 without Host")
            << QByteArray("GET / HTTP/1.0\r\n\r\n") << "GET / close | closed";
        QTest::addRow("incomplete head") << QByteArray("GET / HTTP/1.1\r\n" + host) << "more";
        QTest::addRow("incomplete body")
            << QByteArray("POST /p HTTP/1.1\r\n" + host + "Content-Length: 10\r\n\r\nabc")
            << "more";
        QTest::addRow("nothing") << QByteArray() << "more";

        // Line endings.
        QTest::addRow("bare LF everywhere") << QByteArray("GET / HTTP/1.1\nHost: x\n\n") << "400";
        QTest::addRow("bare LF after the request line")
            << QByteArray("GET / HTTP/1.1\n" + host + "\r\n") << "400";
        QTest::addRow("bare LF between fields")
            << QByteArray("GET / HTTP/1.1\r\nHost: x\nX-Smuggle: y\r\n\r\n") << "400";
        QTest::addRow("bare LF ends the head")
            << QByteArray("GET / HTTP/1.1\r\n" + host + "\n") << "400";
        QTest::addRow("bare LF before the request line") << QByteArray("\n" + get()) << "400";
        QTest::addRow("bare CR in a field")
            << QByteArray("GET / HTTP/1.1\r\nHost: x\rX-Smuggle: y\r\n\r\n") << "400";
        QTest::addRow("bare CR in the request line")
            << QByteArray("GET /\r HTTP/1.1\r\n" + host + "\r\n") << "400";
        QTest::addRow("bare CR ends a field") << get("/", "X-A: b\r\r\n") << "400";

        // Field lines.
        QTest::addRow("space before the colon")
            << QByteArray("GET / HTTP/1.1\r\nHost : x\r\n\r\n") << "400";
        QTest::addRow("tab before the colon") << get("/", "X-A\t: b\r\n") << "400";
        QTest::addRow("obs-fold") << get("/", "X-A: one\r\n two\r\n") << "400";
        QTest::addRow("obs-fold with a tab") << get("/", "X-A: one\r\n\ttwo\r\n") << "400";
        QTest::addRow("first field line folded")
            << QByteArray("GET / HTTP/1.1\r\n " + host + "\r\n") << "400";
        QTest::addRow("no colon") << get("/", "X-A b\r\n") << "400";
        QTest::addRow("empty field name") << get("/", ": b\r\n") << "400";
        QTest::addRow("invalid name character") << get("/", "X(A): b\r\n") << "400";
        QTest::addRow("non-ASCII name") << get("/", "X-\xc3\xa9: b\r\n") << "400";
        QTest::addRow("NUL in a value") << get("/", QByteArray("X-A: a\0b\r\n", 10)) << "400";
        QTest::addRow("DEL in a value") << get("/", "X-A: a\x7f\r\n") << "400";
        QTest::addRow("control in a value") << get("/", "X-A: a\x01\r\n") << "400";

        // Content-Length and Transfer-Encoding.
        const QByteArray post = "POST /p HTTP/1.1\r\n" + host;
        QTest::addRow("duplicate equal Content-Length")
            << QByteArray(post + "Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc") << "400";
        QTest::addRow("differing Content-Length")
            << QByteArray(post + "Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd") << "400";
        QTest::addRow("Content-Length +2")
            << QByteArray(post + "Content-Length: +2\r\n\r\nab") << "400";
        QTest::addRow("Content-Length -1")
            << QByteArray(post + "Content-Length: -1\r\n\r\n") << "400";
        QTest::addRow("Content-Length 1,2")
            << QByteArray(post + "Content-Length: 1,2\r\n\r\nab") << "400";
        QTest::addRow("Content-Length 2, 2")
            << QByteArray(post + "Content-Length: 2, 2\r\n\r\nab") << "400";
        QTest::addRow("Content-Length ' 12x'")
            << QByteArray(post + "Content-Length:  12x\r\n\r\n") << "400";
        QTest::addRow("Content-Length 1 2")
            << QByteArray(post + "Content-Length: 1 2\r\n\r\n") << "400";
        QTest::addRow("Content-Length 0x10")
            << QByteArray(post + "Content-Length: 0x10\r\n\r\n") << "400";
        QTest::addRow("Content-Length empty")
            << QByteArray(post + "Content-Length:\r\n\r\n") << "400";
        QTest::addRow("Content-Length with a space before the colon")
            << QByteArray(post + "Content-Length : 2\r\n\r\nab") << "400";
        QTest::addRow("Content-Length over the limit")
            << QByteArray(post + "Content-Length: " + QByteArray::number(TestMaxBody + 1) +
                          "\r\n\r\n")
            << "413";
        QTest::addRow("Content-Length overflowing 64 bits")
            << QByteArray(post + "Content-Length: 99999999999999999999999999\r\n\r\n") << "413";
        QTest::addRow("Transfer-Encoding chunked")
            << QByteArray(post + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
            << "501";
        QTest::addRow("Transfer-Encoding with Content-Length")
            << QByteArray(post + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc")
            << "501";
        QTest::addRow("Transfer-Encoding identity")
            << QByteArray(post + "Transfer-Encoding: identity\r\n\r\n") << "501";
        QTest::addRow("Transfer-Encoding in HTTP/1.0")
            << QByteArray("POST /p HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n") << "501";
        QTest::addRow("upgrade with a body")
            << get("/app/key", "Upgrade: websocket\r\nContent-Length: 2\r\n") + "ab"
            << "400";

        // Host.
        QTest::addRow("HTTP/1.1 without Host") << QByteArray("GET / HTTP/1.1\r\n\r\n") << "400";
        QTest::addRow("two Host lines") << get("/", "Host: other.test\r\n") << "400";
        QTest::addRow("Host with a space")
            << QByteArray("GET / HTTP/1.1\r\nHost: a b\r\n\r\n") << "400";

        // Request line.
        QTest::addRow("two spaces") << QByteArray("GET  / HTTP/1.1\r\n" + host + "\r\n") << "400";
        QTest::addRow("trailing space")
            << QByteArray("GET / HTTP/1.1 \r\n" + host + "\r\n") << "400";
        QTest::addRow("tab separator")
            << QByteArray("GET\t/ HTTP/1.1\r\n" + host + "\r\n") << "400";
        QTest::addRow("no version") << QByteArray("GET /\r\n" + host + "\r\n") << "400";
        QTest::addRow("space in the target")
            << QByteArray("GET /a b HTTP/1.1\r\n" + host + "\r\n") << "400";
        QTest::addRow("lower-case version")
            << QByteArray("GET / http/1.1\r\n" + host + "\r\n") << "400";
        QTest::addRow("version without minor")
            << QByteArray("GET / HTTP/1\r\n" + host + "\r\n") << "400";
        QTest::addRow("two-digit version")
            << QByteArray("GET / HTTP/11.1\r\n" + host + "\r\n") << "400";
        QTest::addRow("target not a path") << get("health") << "400";
        QTest::addRow("non-ASCII target") << get("/caf\xc3\xa9") << "400";
        QTest::addRow("fragment in the target") << get("/a#b") << "400";
        QTest::addRow("asterisk-form for GET") << get("*") << "400";
        QTest::addRow("absolute-form without a host") << get("http:///x") << "400";
        QTest::addRow("empty method") << QByteArray(" / HTTP/1.1\r\n" + host + "\r\n") << "400";
        QTest::addRow("HTTP/2.0") << QByteArray("GET / HTTP/2.0\r\n" + host + "\r\n") << "505";
        QTest::addRow("HTTP/0.9") << QByteArray("GET / HTTP/0.9\r\n" + host + "\r\n") << "505";
        QTest::addRow("unknown method")
            << QByteArray("BREW /pot HTTP/1.1\r\n" + host + "\r\n") << "501";
        QTest::addRow("lower-case method")
            << QByteArray("get / HTTP/1.1\r\n" + host + "\r\n") << "501";
        QTest::addRow("CONNECT") << QByteArray("CONNECT example.test:443 HTTP/1.1\r\n" + host +
                                               "\r\n")
                                 << "501";
        QTest::addRow("TRACE") << QByteArray("TRACE / HTTP/1.1\r\n" + host + "\r\n") << "501";
        QTest::addRow("8 kB method")
            << QByteArray(QByteArray(8192, 'X') + " / HTTP/1.1\r\n" + host + "\r\n") << "501";

        // Sizes.
        QTest::addRow("head over 16 KiB")
            << get("/", "X-Big: " + QByteArray(17000, 'a') + "\r\n") << "431";
        QTest::addRow("endless line") << QByteArray("GET /" + QByteArray(20000, 'a')) << "431";
        // Found by fuzz_httpparser: fed whole this was 400 (bare LF), byte by byte 431.
        QTest::addRow("bare LF past the head limit")
            << QByteArray("GET /" + QByteArray(17000, 'a') + "\n\r\n") << "431";
        QByteArray manyFields;
        for (int i = 0; i < 101; ++i)
            manyFields += "X-F" + QByteArray::number(i) + ": v\r\n";
        QTest::addRow("101 fields")
            << get("/", manyFields.first(manyFields.indexOf("X-F100:"))) << "431"; // with Host
        QTest::addRow("100 fields")
            << get("/", manyFields.first(manyFields.indexOf("X-F99:"))) << "GET / | more";

        // Nothing is parsed after an error.
        QTest::addRow("request after an error")
            << QByteArray("GET / HTTP/1.1\r\nHost : x\r\n\r\n" + get("/b")) << "400";
        QTest::addRow("good request, then an error, then more")
            << QByteArray(get("/a") + "GET / HTTP/1.1\r\nHost: x\nY: z\r\n\r\n" + get("/b"))
            << "GET /a | 400";
    }

    void parses()
    {
        QFETCH(QByteArray, input);
        QFETCH(QString, expected);
        QCOMPARE(run(input, std::max<qsizetype>(1, input.size())), expected);
        QCOMPARE(run(input, 1), expected);
        QCOMPARE(run(input, 7), expected);
    }

    void requestFields()
    {
        Parser parser;
        parser.feed("POST /api/a%20b/c?x=1&y=two+words&flag&=skip&z=%2F HTTP/1.1\r\n"
                    "Host: example.test\r\nX-Multi: one\r\nCONTENT-type: application/json\r\n"
                    "x-multi: two\r\nContent-Length: 2\r\n\r\n{}");
        const Parser::Result result = parser.next();
        QCOMPARE(result.status, Parser::Status::Request);
        const HttpRequest &request = result.request;
        QCOMPARE(request.method, QByteArray("POST"));
        QCOMPARE(request.path, QStringLiteral("/api/a b/c"));
        QCOMPARE(request.rawPath, QStringLiteral("/api/a%20b/c"));
        QCOMPARE(request.queryValue(QStringLiteral("x")), QStringLiteral("1"));
        QCOMPARE(request.queryValue(QStringLiteral("y")), QStringLiteral("two words"));
        QVERIFY(request.hasQuery(QStringLiteral("flag")));
        QCOMPARE(request.queryValue(QStringLiteral("z")), QStringLiteral("/"));
        QCOMPARE(request.header("content-type"), QByteArray("application/json"));
        // Repeated fields become one list, so no reader takes "the first" of two.
        QCOMPARE(request.header("x-multi"), QByteArray("one, two"));
        QCOMPARE(request.body, QByteArray("{}"));
        QVERIFY(!result.closeAfter);
        QCOMPARE(parser.next().status, Parser::Status::NeedMore);
        QCOMPARE(parser.bufferedBytes(), 0);
    }

    void upgradeKeepsWhatFollows()
    {
        Parser parser;
        const QByteArray frame("\x81\x85\x01\x02\x03\x04iglhn", 11);
        parser.feed(get("/app/key?protocol=7",
                        "Upgrade: WebSocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: k\r\n") +
                    frame);
        const Parser::Result result = parser.next();
        QCOMPARE(result.status, Parser::Status::Request);
        QVERIFY(result.upgrade);
        QVERIFY(result.closeAfter);
        QCOMPARE(result.request.path, QStringLiteral("/app/key"));
        QCOMPARE(parser.next().status, Parser::Status::Closed);
        QCOMPARE(parser.takeRemaining(), frame);
        QCOMPARE(parser.bufferedBytes(), 0);
    }

    void errorsCarryWhatTheAnswerNeeds()
    {
        Parser parser(testLimits());
        parser.feed("PUT /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" +
                    QByteArray(1000, 'x'));
        const Parser::Result tooLarge = parser.next();
        QCOMPARE(tooLarge.status, Parser::Status::Error);
        QCOMPARE(tooLarge.errorStatus, 413);
        QCOMPARE(tooLarge.request.method, QByteArray("PUT"));
        QCOMPARE(tooLarge.discardBytes, qint64(4000)); // the part of the body not yet fed
        QVERIFY(tooLarge.errorMessage.contains(QString::number(TestMaxBody)));

        Parser unknown;
        unknown.feed(QByteArray(8192, 'M') + " / HTTP/1.1\r\nHost: x\r\n\r\n");
        const Parser::Result notImplemented = unknown.next();
        QCOMPARE(notImplemented.errorStatus, 501);
        QVERIFY2(notImplemented.errorMessage.size() < 200, "the method is not echoed");
    }

    void nothingIsKeptAfterTheEnd()
    {
        Parser parser;
        parser.feed("GET / HTTP/1.1\r\nHost : x\r\n\r\n");
        QCOMPARE(parser.next().status, Parser::Status::Error);
        for (int i = 0; i < 100; ++i)
            parser.feed(get());
        QCOMPARE(parser.bufferedBytes(), 0);
        QCOMPARE(parser.next().status, Parser::Status::Closed);

        Parser closing;
        closing.feed(get("/", "Connection: close\r\n"));
        QCOMPARE(closing.next().status, Parser::Status::Request);
        closing.feed(get());
        QCOMPARE(closing.bufferedBytes(), 0);
        QCOMPARE(closing.next().status, Parser::Status::Closed);
    }

    void consumedInputIsReleased()
    {
        // Thousands of pipelined requests parsed one at a time: the buffer does not keep them.
        Parser parser;
        QByteArray many;
        for (int i = 0; i < 2000; ++i)
            many += get("/health");
        parser.feed(many);
        int requests = 0;
        while (parser.next().status == Parser::Status::Request) {
            ++requests;
            QVERIFY(parser.bufferedBytes() <=
                    many.size() - qsizetype(requests) * get("/health").size());
        }
        QCOMPARE(requests, 2000);
        QCOMPARE(parser.bufferedBytes(), 0);
    }

    void arbitraryBytesAreSafe()
    {
        // A small in-test fuzz (the libFuzzer target goes much further): fragments of valid
        // requests and random bytes, fed in random pieces, never crash and never hold more
        // than was fed.
        const QList<QByteArray> fragments{"GET ",
                                          "POST ",
                                          "/",
                                          " HTTP/1.1",
                                          "\r\n",
                                          "\n",
                                          "\r",
                                          "Host: x",
                                          "Host : x",
                                          "Content-Length: ",
                                          "12",
                                          "+2",
                                          "1,2",
                                          "Transfer-Encoding: chunked",
                                          ": ",
                                          " ",
                                          "\t",
                                          "Connection: close",
                                          "Upgrade: websocket",
                                          "\x00",
                                          "\xff",
                                          "HTTP/1.0"};
        QRandomGenerator random(20240611);
        for (int round = 0; round < 3000; ++round) {
            QByteArray input;
            const int pieces = random.bounded(1, 40);
            for (int i = 0; i < pieces; ++i) {
                if (random.bounded(4) == 0) {
                    QByteArray noise(random.bounded(1, 16), Qt::Uninitialized);
                    for (char &c : noise)
                        c = char(random.bounded(256));
                    input += noise;
                } else {
                    input += fragments.at(random.bounded(fragments.size()));
                }
            }
            Parser parser(testLimits());
            qsizetype fed = 0;
            while (fed < input.size()) {
                const qsizetype piece =
                    std::min<qsizetype>(random.bounded(1, 9), input.size() - fed);
                parser.feed(QByteArrayView(input).sliced(fed, piece));
                fed += piece;
                QVERIFY(parser.bufferedBytes() <= fed);
                Parser::Result result;
                do {
                    result = parser.next();
                } while (result.status == Parser::Status::Request);
                if (result.status == Parser::Status::Error)
                    QVERIFY(result.errorStatus >= 400 && result.errorStatus < 600);
            }
        }
    }
};

QTEST_GUILESS_MAIN(TestHttpParser)
#include "tst_httpparser.moc"
