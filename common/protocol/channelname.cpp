// SPDX-License-Identifier: MIT
#include "protocol/channelname.h"

#include <array>

namespace flippdeal::protocol {

namespace {

bool isAllowedChar(QChar c)
{
    const char16_t u = c.unicode();
    if ((u >= u'a' && u <= u'z') || (u >= u'A' && u <= u'Z') || (u >= u'0' && u <= u'9'))
        return true;
    switch (u) {
    case u'_':
    case u'-':
    case u'=':
    case u'@':
    case u',':
    case u'.':
    case u';':
        return true;
    default:
        return false;
    }
}

struct Prefix
{
    QLatin1String text;
    ChannelType type;
    bool cache;
};

// Longest prefixes first, so `private-encrypted-cache-` wins over `private-`.
constexpr std::array<Prefix, 7> prefixes{{
    {QLatin1String("private-encrypted-cache-"), ChannelType::PrivateEncrypted, true},
    {QLatin1String("private-encrypted-"), ChannelType::PrivateEncrypted, false},
    {QLatin1String("private-cache-"), ChannelType::Private, true},
    {QLatin1String("presence-cache-"), ChannelType::Presence, true},
    {QLatin1String("private-"), ChannelType::Private, false},
    {QLatin1String("presence-"), ChannelType::Presence, false},
    {QLatin1String("cache-"), ChannelType::Public, true},
}};

} // namespace

std::optional<ChannelName> parseChannelName(const QString &name, QString *errorString)
{
    auto fail = [errorString](QString reason) -> std::optional<ChannelName> {
        if (errorString)
            *errorString = std::move(reason);
        return std::nullopt;
    };
    if (name.isEmpty())
        return fail(QStringLiteral("The channel name is empty"));
    if (name.size() > MaxChannelNameLength)
        return fail(QStringLiteral("The channel name is longer than %1 characters")
                        .arg(MaxChannelNameLength));
    const QLatin1String serverToUser(ServerToUserPrefix);
    const bool toUser = name.startsWith(serverToUser);
    if (toUser && name.size() == serverToUser.size())
        return fail(QStringLiteral("The channel name has nothing after its prefix"));
    for (const QChar c : QStringView(name).mid(toUser ? serverToUser.size() : 0)) {
        if (!isAllowedChar(c))
            return fail(QStringLiteral("The channel name contains a character outside "
                                       "A-Z a-z 0-9 _ - = @ , . ;"));
    }
    if (toUser)
        return ChannelName{name, ChannelType::ServerToUser, false};
    for (const Prefix &prefix : prefixes) {
        if (name.startsWith(prefix.text)) {
            if (name.size() == prefix.text.size())
                return fail(QStringLiteral("The channel name has nothing after its prefix"));
            return ChannelName{name, prefix.type, prefix.cache};
        }
    }
    return ChannelName{name, ChannelType::Public, false};
}

} // namespace flippdeal::protocol
