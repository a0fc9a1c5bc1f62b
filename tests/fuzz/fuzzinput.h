// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QList>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

//! \file Helpers shared by the libFuzzer targets of this folder.

namespace flippdeal::fuzz {

//! \brief The input as `count` fields separated by '\n'; the last field takes the rest
//! (newlines included), missing fields are empty. Seeds are then plain text files.
inline QList<QByteArray> splitFields(const uint8_t *data, size_t size, int count)
{
    const QByteArray input(reinterpret_cast<const char *>(data), qsizetype(size));
    QList<QByteArray> fields;
    qsizetype from = 0;
    for (int i = 0; i < count - 1; ++i) {
        const qsizetype newline = input.indexOf('\n', from);
        if (newline < 0)
            break;
        fields.append(input.mid(from, newline - from));
        from = newline + 1;
    }
    fields.append(input.mid(from));
    while (fields.size() < count)
        fields.append(QByteArray());
    return fields;
}

//! \brief Stops the run with a message when an invariant of the code under test does not hold:
//! libFuzzer keeps the input that got here as a crash.
inline void check(bool condition, const char *what)
{
    if (!condition) {
        std::fprintf(stderr, "invariant violated: %s\n", what);
        std::abort();
    }
}

} // namespace flippdeal::fuzz
