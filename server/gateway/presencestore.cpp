// SPDX-License-Identifier: MIT
#include "gateway/presencestore.h"

namespace flippdeal::server {

bool LocalPresenceStore::join(const QString &channel, const protocol::PresenceMember &member,
                              const QString &socketId)
{
    auto &users = m_channels[channel];
    auto it = users.find(member.userId);
    const bool first = it == users.end();
    if (first)
        it = users.insert(member.userId, Entry{member, {}});
    else
        it->member.userInfo = member.userInfo; // the latest connection's info wins
    it->sockets.insert(socketId);
    return first;
}

bool LocalPresenceStore::leave(const QString &channel, const QString &userId,
                               const QString &socketId)
{
    auto channelIt = m_channels.find(channel);
    if (channelIt == m_channels.end())
        return false;
    auto userIt = channelIt->find(userId);
    if (userIt == channelIt->end() || !userIt->sockets.remove(socketId))
        return false;
    if (!userIt->sockets.isEmpty())
        return false;
    channelIt->erase(userIt);
    if (channelIt->isEmpty())
        m_channels.erase(channelIt);
    return true;
}

QList<protocol::PresenceMember> LocalPresenceStore::members(const QString &channel) const
{
    QList<protocol::PresenceMember> result;
    const auto it = m_channels.constFind(channel);
    if (it == m_channels.cend())
        return result;
    result.reserve(it->size());
    for (const Entry &entry : *it)
        result.append(entry.member);
    return result;
}

int LocalPresenceStore::memberCount(const QString &channel) const
{
    const auto it = m_channels.constFind(channel);
    return it == m_channels.cend() ? 0 : static_cast<int>(it->size());
}

bool LocalPresenceStore::isMember(const QString &channel, const QString &userId) const
{
    const auto it = m_channels.constFind(channel);
    return it != m_channels.cend() && it->contains(userId);
}

QList<std::pair<QString, protocol::PresenceMember>> LocalPresenceStore::all() const
{
    QList<std::pair<QString, protocol::PresenceMember>> out;
    for (auto channel = m_channels.cbegin(); channel != m_channels.cend(); ++channel) {
        for (const Entry &entry : *channel)
            out.append({channel.key(), entry.member});
    }
    return out;
}

} // namespace flippdeal::server
