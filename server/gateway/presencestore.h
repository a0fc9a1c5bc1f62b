// SPDX-License-Identifier: MIT
#pragma once

#include "protocol/presence.h"

#include <QHash>
#include <QList>
#include <QSet>
#include <QString>

#include <utility>

namespace flippdeal::server {

//! \brief Who is on each presence channel. A user with several connections is one member:
//! join() reports the first connection and leave() the last, so member_added/member_removed
//! go out once per user. A Redis-backed store makes membership span nodes.
class PresenceStore
{
public:
    virtual ~PresenceStore() = default;
    //! Records `socketId` as a connection of `member` on `channel`; true if the user was not a
    //! member before (announce member_added).
    virtual bool join(const QString &channel, const protocol::PresenceMember &member,
                      const QString &socketId) = 0;
    //! Removes one connection; true if it was the user's last (announce member_removed).
    virtual bool leave(const QString &channel, const QString &userId, const QString &socketId) = 0;
    //! Distinct members of a channel.
    virtual QList<protocol::PresenceMember> members(const QString &channel) const = 0;
    virtual int memberCount(const QString &channel) const = 0;
    //! Whether `userId` is a member of `channel` (through any connection).
    virtual bool isMember(const QString &channel, const QString &userId) const = 0;
    //! Whether the user is on `channel` through another node (in a cluster).
    virtual bool elsewhere(const QString &, const QString &) const { return false; }
};

//! \brief PresenceStore for a single node, in memory.
class LocalPresenceStore final : public PresenceStore
{
public:
    bool join(const QString &channel, const protocol::PresenceMember &member,
              const QString &socketId) override;
    bool leave(const QString &channel, const QString &userId, const QString &socketId) override;
    QList<protocol::PresenceMember> members(const QString &channel) const override;
    int memberCount(const QString &channel) const override;
    bool isMember(const QString &channel, const QString &userId) const override;
    //! Every (channel, member) pair held here.
    QList<std::pair<QString, protocol::PresenceMember>> all() const;

private:
    struct Entry
    {
        protocol::PresenceMember member;
        QSet<QString> sockets;
    };
    QHash<QString, QHash<QString, Entry>> m_channels; // channel → user id → entry
};

} // namespace flippdeal::server
