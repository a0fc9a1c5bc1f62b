// SPDX-License-Identifier: MIT
#pragma once

#include <QString>

namespace flippdeal::server {

//! \brief Turns user-supplied HTML into plain text with a real HTML5 parser (gumbo): tags are
//! dropped, the contents of `script`, `style`, `template` and comments are dropped, character
//! references are decoded exactly once, `<br>` and block ends become line breaks, and the
//! result is trimmed. What comes out is text, never markup; clients render it as plain text.
QString htmlToPlainText(const QString &html);

//! \brief Length in Unicode code points (what a user counts as characters).
qsizetype codePointLength(const QString &text);

} // namespace flippdeal::server
