// SPDX-License-Identifier: MIT
#pragma once

#include "core/enumnames.h"

#include "protocol/types.h"

#include <QJsonObject>

#include <array>
#include <optional>

namespace flippdeal::server {

//! What a user may do. protocol::User keeps the role as its wire string (the clients share that
//! type); the server compares it through this enum.
enum class UserRole
{
    User,
    Admin
};

constexpr auto names(UserRole)
{
    using enum UserRole;
    return std::array{EnumName{User, "user"_L1}, EnumName{Admin, "admin"_L1}};
}

//! Whether `user` has the admin role.
inline bool isAdmin(const protocol::User &user)
{
    return fromString<UserRole>(user.role) == UserRole::Admin;
}

//! \brief A user as operators see it.
struct UserRecord
{
    protocol::User user;
    std::optional<qint64> bannedAt;
    qint64 createdAt = 0;
    qint64 tokens = 0; //!< live tokens
    QJsonObject toJson() const;
};

} // namespace flippdeal::server
