// SPDX-License-Identifier: MIT
#include "messaging/htmlsanitizer.h"

#include <QtTest>

using namespace flippdeal::server;

class TestHtmlSanitizer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void strip_data()
    {
        QTest::addColumn<QString>("html");
        QTest::addColumn<QString>("text");
        QTest::addRow("plain") << QStringLiteral("Hello Bob") << QStringLiteral("Hello Bob");
        QTest::addRow("tags") << QStringLiteral("Hello <b>Bob</b>") << QStringLiteral("Hello Bob");
        QTest::addRow("script content dropped")
            << QStringLiteral("a<script>alert('x')</script>b") << QStringLiteral("ab");
        QTest::addRow("style content dropped")
            << QStringLiteral("<style>p{color:red}</style>hi") << QStringLiteral("hi");
        QTest::addRow("entities decoded once")
            << QStringLiteral("fish &amp; chips &amp;lt;") << QStringLiteral("fish & chips &lt;");
        QTest::addRow("encoded tag stays text")
            << QStringLiteral("&lt;b&gt;x&lt;/b&gt;") << QStringLiteral("<b>x</b>");
        QTest::addRow("numeric entity") << QStringLiteral("&#8364;5") << QStringLiteral("\u20ac5");
        QTest::addRow("comment dropped")
            << QStringLiteral("a<!-- secret -->b") << QStringLiteral("ab");
        QTest::addRow("attributes dropped")
            << QStringLiteral("<a href=\"javascript:x\" onclick=\"y\">link</a>")
            << QStringLiteral("link");
        QTest::addRow("unclosed tag") << QStringLiteral("<b>bold") << QStringLiteral("bold");
        QTest::addRow("stray angle")
            << QStringLiteral("1 < 2 and 3 > 2") << QStringLiteral("1 < 2 and 3 > 2");
        QTest::addRow("br is a line break")
            << QStringLiteral("one<br>two") << QStringLiteral("one\ntwo");
        QTest::addRow("paragraphs")
            << QStringLiteral("<p>one</p><p>two</p>") << QStringLiteral("one\ntwo");
        QTest::addRow("only markup") << QStringLiteral("<img src=x onerror=alert(1)>") << QString();
        QTest::addRow("only script") << QStringLiteral("<script>x</script>") << QString();
        QTest::addRow("whitespace trimmed")
            << QStringLiteral("  <i> </i> hi  ") << QStringLiteral("hi");
        QTest::addRow("emoji") << QStringLiteral("deal \U0001F91D")
                               << QStringLiteral("deal \U0001F91D");
        QTest::addRow("nul removed")
            << QStringLiteral("a") + QChar(0) + QStringLiteral("b") << QStringLiteral("ab");
        QTest::addRow("title text kept")
            << QStringLiteral("<title>x</title>y") << QStringLiteral("xy");
    }

    void strip()
    {
        QFETCH(QString, html);
        QFETCH(QString, text);
        QCOMPARE(htmlToPlainText(html), text);
    }

    void codePoints()
    {
        QCOMPARE(codePointLength(QStringLiteral("abc")), 3);
        QCOMPARE(codePointLength(QStringLiteral("\U0001F91D\U0001F91D")), 2);
    }
};

QTEST_GUILESS_MAIN(TestHtmlSanitizer)
#include "tst_htmlsanitizer.moc"
