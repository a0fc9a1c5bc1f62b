// SPDX-License-Identifier: MIT
#include "messaging/htmlsanitizer.h"

#include <gumbo.h>

#include <QRegularExpression>

namespace flippdeal::server {

namespace {

bool isDropped(GumboTag tag)
{
    return tag == GUMBO_TAG_SCRIPT || tag == GUMBO_TAG_STYLE || tag == GUMBO_TAG_TEMPLATE ||
           tag == GUMBO_TAG_NOSCRIPT || tag == GUMBO_TAG_IFRAME || tag == GUMBO_TAG_NOEMBED ||
           tag == GUMBO_TAG_NOFRAMES;
}

bool endsBlock(GumboTag tag)
{
    switch (tag) {
    case GUMBO_TAG_P:
    case GUMBO_TAG_DIV:
    case GUMBO_TAG_LI:
    case GUMBO_TAG_TR:
    case GUMBO_TAG_H1:
    case GUMBO_TAG_H2:
    case GUMBO_TAG_H3:
    case GUMBO_TAG_H4:
    case GUMBO_TAG_H5:
    case GUMBO_TAG_H6:
    case GUMBO_TAG_BLOCKQUOTE:
    case GUMBO_TAG_PRE:
    case GUMBO_TAG_UL:
    case GUMBO_TAG_OL:
    case GUMBO_TAG_TABLE:
        return true;
    default:
        return false;
    }
}

void collectText(const GumboNode *node, QByteArray &out)
{
    switch (node->type) {
    case GUMBO_NODE_TEXT:
    case GUMBO_NODE_CDATA:
    case GUMBO_NODE_WHITESPACE:
        out += node->v.text.text;
        return;
    case GUMBO_NODE_ELEMENT:
    case GUMBO_NODE_TEMPLATE:
    case GUMBO_NODE_DOCUMENT: {
        const GumboVector *children = node->type == GUMBO_NODE_DOCUMENT ? &node->v.document.children
                                                                        : &node->v.element.children;
        if (node->type != GUMBO_NODE_DOCUMENT) {
            const GumboTag tag = node->v.element.tag;
            if (isDropped(tag) || node->type == GUMBO_NODE_TEMPLATE)
                return;
            if (tag == GUMBO_TAG_BR) {
                out += '\n';
                return;
            }
        }
        for (unsigned int i = 0; i < children->length; ++i)
            collectText(static_cast<const GumboNode *>(children->data[i]), out);
        if (node->type == GUMBO_NODE_ELEMENT && endsBlock(node->v.element.tag))
            out += '\n';
        return;
    }
    case GUMBO_NODE_COMMENT:
        return;
    }
}

} // namespace

bool withinMarkupLimits(const QString &html, const MarkupLimits &limits)
{
    if (html.size() > limits.maxLength)
        return false;
    int tags = 0;
    const QChar *data = html.constData();
    for (qsizetype i = 0; i + 1 < html.size(); ++i) {
        if (data[i] != u'<')
            continue;
        const char16_t next = data[i + 1].unicode();
        const bool startsTag = (next >= u'a' && next <= u'z') || (next >= u'A' && next <= u'Z') ||
                               next == u'/' || next == u'!' || next == u'?';
        if (startsTag && ++tags > limits.maxTags)
            return false;
    }
    return true;
}

std::optional<QString> htmlToPlainText(const QString &html, const MarkupLimits &limits)
{
    if (!withinMarkupLimits(html, limits))
        return std::nullopt;
    const QByteArray utf8 = html.toUtf8();
    // Parse errors are never read, and recording them is most of the work on hostile input:
    // 9 kB of NULs and broken UTF-8 make 12,000 of them, each one allocated (fuzz_htmlsanitizer).
    static const GumboOptions options = [] {
        GumboOptions o = kGumboDefaultOptions;
        o.max_errors = 0;
        return o;
    }();
    GumboOutput *output =
        gumbo_parse_with_options(&options, utf8.constData(), static_cast<size_t>(utf8.size()));
    QByteArray text;
    text.reserve(utf8.size());
    collectText(output->document, text);
    gumbo_destroy_output(&options, output);

    QString result = QString::fromUtf8(text);
    // Normalize line endings and collapse runs of blank lines left by block elements.
    result.replace(QLatin1String("\r\n"), QLatin1String("\n"));
    static const QRegularExpression blankRuns(QStringLiteral("\n{3,}"));
    result.replace(blankRuns, QStringLiteral("\n\n"));
    // NUL and other C0 controls (but tab and newline) have no place in chat text.
    result.removeIf([](QChar c) { return c.unicode() < 0x20 && c != u'\n' && c != u'\t'; });
    return result.trimmed();
}

qsizetype codePointLength(const QString &text)
{
    qsizetype count = 0;
    for (qsizetype i = 0; i < text.size(); ++i) {
        if (text.at(i).isHighSurrogate() && i + 1 < text.size() && text.at(i + 1).isLowSurrogate())
            ++i;
        ++count;
    }
    return count;
}

} // namespace flippdeal::server
