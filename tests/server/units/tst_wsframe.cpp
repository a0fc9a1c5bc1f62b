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

    void acceptKeyMatchesRfcExample()
    {
        QCOMPARE(ws::acceptKey("dGhlIHNhbXBsZSBub25jZQ=="),
                 QByteArray("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
    }
};

QTEST_GUILESS_MAIN(TestWsFrame)
#include "tst_wsframe.moc"
