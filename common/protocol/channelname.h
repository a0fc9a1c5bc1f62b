// SPDX-License-Identifier: MIT
#pragma once

#include <QString>

#include <optional>

namespace flippdeal::protocol {

//! Longest channel name the protocol allows.
inline constexpr qsizetype MaxChannelNameLength = 164;

//! \brief The access class of a channel, decided by its prefix.
enum class ChannelType
{
    Public,           //!< anyone may subscribe
    Private,          //!< `private-`: needs a signature from the auth endpoint
    Presence,         //!< `presence-`: signed, with member data
    PrivateEncrypted, //!< `private-encrypted-`: signed, payloads end-to-end encrypted
    ServerToUser,     //!< `#server-to-user-{id}`: only a connection signed in as user {id}
};

//! The prefix of the channel a signed-in connection receives its user's events on.
inline constexpr char ServerToUserPrefix[] = "#server-to-user-";

//! \brief A validated channel name and what its prefix means.
struct ChannelName
{
    QString name;
    ChannelType type = ChannelType::Public;
    bool cache = false; //!< a `cache-` variant: the last event is replayed to new subscribers

    //! Private, presence and encrypted channels need an auth signature to join.
    bool requiresAuth() const
    {
        return type != ChannelType::Public && type != ChannelType::ServerToUser;
    }
    //! Client events (`client-*`) are allowed only on private and presence channels.
    bool allowsClientEvents() const
    {
        return type == ChannelType::Private || type == ChannelType::Presence;
    }
    //! Events on these channels carry a gap-free `seq` and are kept in history.
    bool isSequenced() const
    {
        return type != ChannelType::Public && type != ChannelType::ServerToUser;
    }
    //! For `#server-to-user-{id}`: the user id; empty otherwise.
    QString serverToUserId() const
    {
        return type == ChannelType::ServerToUser
                   ? name.mid(qsizetype(sizeof(ServerToUserPrefix) - 1))
                   : QString();
    }
};

//! \brief Validates a channel name (1-164 characters of `A-Za-z0-9_-=@,.;`, or
//! `#server-to-user-` followed by those) and classifies it. Returns std::nullopt with a reason in
//! `errorString` when invalid.
std::optional<ChannelName> parseChannelName(const QString &name, QString *errorString = nullptr);

} // namespace flippdeal::protocol
