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
        const std::optional<QString> plain = htmlToPlainText(html);
        QVERIFY(plain);
        QCOMPARE(*plain, text);
    }

    void limits_data()
    {
        QTest::addColumn<QString>("html");
        QTest::addColumn<bool>("within");
        const MarkupLimits limits;
        QTest::addRow("at the length") << QString(limits.maxLength, QLatin1Char('a')) << true;
        QTest::addRow("over the length")
            << QString(limits.maxLength + 1, QLatin1Char('a')) << false;
        QTest::addRow("at the tag count")
            << QStringLiteral("<b>x</b>").repeated(limits.maxTags / 2) << true;
        QTest::addRow("over the tag count")
            << QStringLiteral("<b>x</b>").repeated(limits.maxTags / 2) + QStringLiteral("<br>")
            << false;
        QTest::addRow("comments count")
            << QStringLiteral("<!---->").repeated(limits.maxTags + 1) << false;
        QTest::addRow("a lone < is text")
            << QStringLiteral("1 < 2 ").repeated(limits.maxTags * 2) << true;
        QTest::addRow("unclosed tags, the old minute-long body")
            << QStringLiteral("<b>").repeated(9'000) << false;
    }

    void limits()
    {
        QFETCH(QString, html);
        QFETCH(bool, within);
        QCOMPARE(withinMarkupLimits(html), within);
        QCOMPARE(htmlToPlainText(html).has_value(), within);
    }

    void codePoints()
    {
        QCOMPARE(codePointLength(QStringLiteral("abc")), 3);
        QCOMPARE(codePointLength(QStringLiteral("\U0001F91D\U0001F91D")), 2);
    }
};

QTEST_GUILESS_MAIN(TestHtmlSanitizer)
#include "tst_htmlsanitizer.moc"
