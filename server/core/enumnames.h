// SPDX-License-Identifier: MIT
#pragma once

#include <QLatin1StringView>
#include <QString>
#include <QStringView>

#include <optional>

namespace flippdeal::server {

using namespace Qt::StringLiterals; // "pending"_L1 in the tables

//! \brief The wire spelling of the enum classes that stand for statuses and actions.
//!
//! Each enum declares, beside itself, one table of its spellings, found by argument-dependent
//! lookup:
//!
//!     enum class OfferStatus { Pending, Countered };
//!     constexpr auto names(OfferStatus)
//!     {
//!         using enum OfferStatus;
//!         return std::array{EnumName{Pending, "pending"_L1}, EnumName{Countered, "countered"_L1}};
//!     }
//!
//! toString() and fromString<E>() read that table, so the strings live in one place.
template <typename E>
struct EnumName
{
    E value;
    QLatin1StringView name;
};

//! Deduces EnumName<E> from `EnumName{value, name}` (clang 14 has no CTAD for aggregates).
template <typename E>
EnumName(E, QLatin1StringView) -> EnumName<E>;

template <typename E>
QLatin1StringView nameOf(E value)
{
    for (const EnumName<E> &entry : names(E{}))
        if (entry.value == value)
            return entry.name;
    return {};
}

template <typename E>
QString toString(E value)
{
    return QString(nameOf(value));
}

//! The enum spelled `text`, or nothing for an unknown spelling.
template <typename E>
std::optional<E> fromString(QStringView text)
{
    for (const EnumName<E> &entry : names(E{}))
        if (text == entry.name)
            return entry.value;
    return std::nullopt;
}

} // namespace flippdeal::server
