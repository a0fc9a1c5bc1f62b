// SPDX-License-Identifier: MIT
#include "gateway/wsframe.h"

#include <QtTest>

using namespace flippdeal::server;

namespace {

//! A client frame: masked with `mask`, as RFC 6455 requires of clients.
QByteArray clientFrame(quint8 firstByte, const QByteArray &payload,
                       QByteArray mask = "\x11\x22\x33\x44")
{
    QByteArray frame;
    frame.append(char(firstByte));
    const qsizetype size = payload.size();
    if (size < 126) {
        frame.append(char(0x80 | size));
    } else if (size <= 0xFFFF) {
        frame.append(char(0x80 | 126)).append(char(size >> 8)).append(char(size & 0xFF));
    } else {
        frame.append(char(0x80 | 127));
        for (int shift = 56; shift >= 0; shift -= 8)
            frame.append(char((quint64(size) >> shift) & 0xFF));
    }
    frame += mask;
    for (qsizetype i = 0; i < size; ++i)
        frame.append(char(payload[i] ^ mask[i % 4]));
    return frame;
}

} // namespace

class TestWsFrame : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void encodeLengths_data()
    {
        QTest::addColumn<int>("size");
        QTest::addColumn<int>("headerSize");
        QTest::addRow("empty") << 0 << 2;
        QTest::addRow("125") << 125 << 2;
        QTest::addRow("126") << 126 << 4;
        QTest::addRow("65535") << 65535 << 4;
        QTest::addRow("65536") << 65536 << 10;
    }

    void encodeLengths()
    {
        QFETCH(int, size);
        QFETCH(int, headerSize);
        const QByteArray payload(size, 'x');
        const QByteArray frame = ws::encode(ws::Opcode::Text, payload);
        QCOMPARE(frame.size(), size + headerSize);
        QCOMPARE(quint8(frame[0]), quint8(0x81)); // FIN + text
        QVERIFY2(!(quint8(frame[1]) & 0x80), "server frames are never masked");
        QCOMPARE(frame.right(size), payload);
    }

    void closeFrameCarriesCode()
    {
        const QByteArray frame = ws::encodeClose(4100, "Over capacity");
        QCOMPARE(quint8(frame[0]), quint8(0x88));
        QCOMPARE(quint8(frame[2]), quint8(4100 >> 8));
        QCOMPARE(quint8(frame[3]), quint8(4100 & 0xFF));
        QCOMPARE(frame.mid(4), QByteArray("Over capacity"));
        QVERIFY2(ws::encodeClose(1000, QByteArray(300, 'r')).size() <= 2 + 125,
                 "control payloads stay within 125 bytes");
    }

    void parse_data()
    {
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<int>("status"); // 0 need more, 1 ok, 2 error
        QTest::addColumn<int>("errorCode");
        QTest::addColumn<QByteArray>("payload");

        const QByteArray hello = "hello";
        QTest::addRow("text") << clientFrame(0x81, hello) << 1 << 0 << hello;
        QTest::addRow("16-bit length")
            << clientFrame(0x81, QByteArray(300, 'a')) << 1 << 0 << QByteArray(300, 'a');
        QTest::addRow("64-bit length")
            << clientFrame(0x82, QByteArray(70000, 'b')) << 1 << 0 << QByteArray(70000, 'b');
        QTest::addRow("truncated header") << QByteArray("\x81", 1) << 0 << 0 << QByteArray();
        QTest::addRow("truncated payload")
            << clientFrame(0x81, hello).chopped(2) << 0 << 0 << QByteArray();
        QTest::addRow("unmasked") << QByteArray("\x81\x05hello") << 2 << int(ws::ProtocolError)
                                  << QByteArray();
        QTest::addRow("reserved bit")
            << clientFrame(0xC1, hello) << 2 << int(ws::ProtocolError) << QByteArray();
        QTest::addRow("unknown opcode")
            << clientFrame(0x83, hello) << 2 << int(ws::ProtocolError) << QByteArray();
        QTest::addRow("fragmented ping")
            << clientFrame(0x09, hello) << 2 << int(ws::ProtocolError) << QByteArray();
        QTest::addRow("long ping") << clientFrame(0x89, QByteArray(126, 'p')) << 2
                                   << int(ws::ProtocolError) << QByteArray();
        QTest::addRow("too big") << clientFrame(0x81, QByteArray(100001, 'z')) << 2
                                 << int(ws::TooBig) << QByteArray();
        QTest::addRow("too big, header only") << clientFrame(0x81, QByteArray(200000, 'z')).left(14)
                                              << 2 << int(ws::TooBig) << QByteArray();
    }

    void parse()
    {
        QFETCH(QByteArray, input);
        QFETCH(int, status);
        QFETCH(int, errorCode);
        QFETCH(QByteArray, payload);
        const ws::ParseResult result = ws::parse(input, 100000);
        QCOMPARE(int(result.status), status);
        if (status == 1) {
            QCOMPARE(result.frame.payload, payload);
            QCOMPARE(result.frame.consumed, input.size());
        }
        if (status == 2)
            QCOMPARE(int(result.errorCode), errorCode);
    }

    void parseTwoFramesInOneBuffer()
    {
        const QByteArray buffer = clientFrame(0x01, "par") + clientFrame(0x80, "tial");
        const ws::ParseResult first = ws::parse(buffer, 1000);
        QCOMPARE(int(first.status), 1);
        QVERIFY(!first.frame.fin);
        QCOMPARE(first.frame.opcode, ws::Opcode::Text);
        const ws::ParseResult second =
            ws::parse(QByteArrayView(buffer).sliced(first.frame.consumed), 1000);
        QCOMPARE(int(second.status), 1);
        QVERIFY(second.frame.fin);
        QCOMPARE(second.frame.opcode, ws::Opcode::Continuation);
        QCOMPARE(first.frame.payload + second.frame.payload, QByteArray("partial"));
    }

    void utf8_data()
    {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<bool>("valid");
        QTest::addRow("empty") << QByteArray() << true;
        QTest::addRow("ascii, long") << QByteArray(1000, 'a') << true;
        QTest::addRow("2-byte") << QByteArray("k\xC3\xA4se") << true;
        QTest::addRow("3-byte") << QByteArray("\xE2\x82\xAC") << true;
        QTest::addRow("4-byte") << QByteArray("\xF0\x9F\x98\x80") << true;
        QTest::addRow("U+10FFFF") << QByteArray("\xF4\x8F\xBF\xBF") << true;
        QTest::addRow("U+FFFF (a noncharacter, still valid)") << QByteArray("\xEF\xBF\xBF") << true;
        QTest::addRow("NUL") << QByteArray("a\0b", 3) << true;
        QTest::addRow("lone continuation") << QByteArray("\x80") << false;
        QTest::addRow("overlong 2-byte") << QByteArray("\xC0\xAF") << false;
        QTest::addRow("overlong C1") << QByteArray("\xC1\xBF") << false;
        QTest::addRow("overlong 3-byte") << QByteArray("\xE0\x80\xAF") << false;
        QTest::addRow("overlong 4-byte") << QByteArray("\xF0\x80\x80\xAF") << false;
        QTest::addRow("surrogate D800") << QByteArray("\xED\xA0\x80") << false;
        QTest::addRow("surrogate DFFF") << QByteArray("\xED\xBF\xBF") << false;
        QTest::addRow("above U+10FFFF") << QByteArray("\xF4\x90\x80\x80") << false;
        QTest::addRow("F5") << QByteArray("\xF5\x80\x80\x80") << false;
        QTest::addRow("FF") << QByteArray("\xFF") << false;
        QTest::addRow("truncated 3-byte") << QByteArray("abc\xE2\x82") << false;
        QTest::addRow("truncated after 8 ASCII") << QByteArray("abcdefgh\xE2") << false;
        QTest::addRow("bad continuation") << QByteArray("\xE2\x28\xA1") << false;
        QTest::addRow("bad after ASCII run") << QByteArray("0123456789abcdef\xC3\x28") << false;
    }

    void utf8()
    {
        QFETCH(QByteArray, text);
        QFETCH(bool, valid);
        QCOMPARE(ws::isValidUtf8(text), valid);
    }

    void closePayload_data()
    {
        QTest::addColumn<QByteArray>("payload");
        QTest::addColumn<bool>("valid");
        QTest::addColumn<int>("code");
        QTest::addRow("empty") << QByteArray() << true << int(ws::NoStatus);
        QTest::addRow("1000") << QByteArray("\x03\xE8", 2) << true << 1000;
        QTest::addRow("1000 with a reason") << QByteArray("\x03\xE8"
                                                          "bye")
                                            << true << 1000;
        QTest::addRow("1003") << QByteArray("\x03\xEB", 2) << true << 1003;
        QTest::addRow("1007") << QByteArray("\x03\xEF", 2) << true << 1007;
        QTest::addRow("1011") << QByteArray("\x03\xF3", 2) << true << 1011;
        QTest::addRow("1014") << QByteArray("\x03\xF6", 2) << true << 1014;
        QTest::addRow("3000") << QByteArray("\x0B\xB8", 2) << true << 3000;
        QTest::addRow("4999") << QByteArray("\x13\x87", 2) << true << 4999;
        QTest::addRow("one byte") << QByteArray("\x03", 1) << false << int(ws::ProtocolError);
        QTest::addRow("0") << QByteArray("\x00\x00", 2) << false << int(ws::ProtocolError);
        QTest::addRow("999") << QByteArray("\x03\xE7", 2) << false << int(ws::ProtocolError);
        QTest::addRow("1004") << QByteArray("\x03\xEC", 2) << false << int(ws::ProtocolError);
        QTest::addRow("1005") << QByteArray("\x03\xED", 2) << false << int(ws::ProtocolError);
        QTest::addRow("1006") << QByteArray("\x03\xEE", 2) << false << int(ws::ProtocolError);
        QTest::addRow("1015") << QByteArray("\x03\xF7", 2) << false << int(ws::ProtocolError);
        QTest::addRow("1016") << QByteArray("\x03\xF8", 2) << false << int(ws::ProtocolError);
        QTest::addRow("2999") << QByteArray("\x0B\xB7", 2) << false << int(ws::ProtocolError);
        QTest::addRow("5000") << QByteArray("\x13\x88", 2) << false << int(ws::ProtocolError);
        QTest::addRow("reason not UTF-8")
            << QByteArray("\x03\xE8\xFF", 3) << false << int(ws::ProtocolError);
    }

    void closePayload()
    {
        QFETCH(QByteArray, payload);
        QFETCH(bool, valid);
        QFETCH(int, code);
        const ws::ClosePayload parsed = ws::parseClosePayload(payload);
        QCOMPARE(parsed.valid, valid);
        QCOMPARE(int(parsed.code), code);
    }

    void codesThatMustNotBeSentGoOutEmpty()
    {
        for (const quint16 code : {quint16(1005), quint16(1006), quint16(1015), quint16(0)})
            QCOMPARE(ws::encodeClose(code, "reason"), QByteArray("\x88\x00", 2));
    }

    void closeReasonIsCutAtACharacterBoundary()
    {
        // 122 ASCII bytes, then a 3-byte character that would straddle the 123-byte limit.
        const QByteArray reason = QByteArray(122, 'r') + "\xE2\x82\xAC";
        const QByteArray frame = ws::encodeClose(1000, reason);
        QVERIFY(frame.size() <= 2 + 125);
        QVERIFY(ws::isValidUtf8(frame.mid(4)));
        QCOMPARE(frame.mid(4), QByteArray(122, 'r'));
    }

    void acceptKeyMatchesRfcExample()
    {
        QCOMPARE(ws::acceptKey("dGhlIHNhbXBsZSBub25jZQ=="),
                 QByteArray("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
    }
};

QTEST_GUILESS_MAIN(TestWsFrame)
#include "tst_wsframe.moc"
