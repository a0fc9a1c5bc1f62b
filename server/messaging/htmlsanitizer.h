// SPDX-License-Identifier: MIT
#pragma once

#include <QString>

#include <optional>

namespace flippdeal::server {

//! \brief Turns user-supplied HTML into plain text with a real HTML5 parser (gumbo): tags are
//! dropped, the contents of `script`, `style`, `template` and comments are dropped, character
//! references are decoded exactly once, `<br>` and block ends become line breaks, and the
//! result is trimmed. What comes out is text, never markup; clients render it as plain text.
//!
//! An HTML5 parser does work that grows faster than its input on hostile markup (thousands of
//! unclosed formatting tags cost seconds), so the input is measured first, in one linear pass:
//! over `limits` the result is nullopt and nothing is parsed. Within them every input finishes
//! in milliseconds (docs/security.md; the fuzzer checks the budget).
struct MarkupLimits
{
    qsizetype maxLength = 30'000; //!< UTF-16 code units of raw input
    int maxTags = 128;            //!< `<` followed by a tag, comment or declaration start
};
std::optional<QString> htmlToPlainText(const QString &html, const MarkupLimits &limits = {});

//! Whether `html` is within `limits` (the check htmlToPlainText makes first); linear time.
bool withinMarkupLimits(const QString &html, const MarkupLimits &limits = {});

//! \brief Length in Unicode code points (what a user counts as characters).
qsizetype codePointLength(const QString &text);

} // namespace flippdeal::server
