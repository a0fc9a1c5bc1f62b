// SPDX-License-Identifier: MIT
#pragma once

#include "protocol/types.h"

#include <QList>

#include <optional>

namespace flippdeal::server {

class Database;
struct ConversationSummary;

//! \brief The `messages` table: columns, rows as protocol::Message values, statements.
//! Every call throws DbError when a statement fails.
class MessageTable
{
public:
    explicit MessageTable(Database &db)
        : m_db(db)
    {}

    std::optional<protocol::Message> find(qint64 messageId);
    //! What `senderId` already sent under its own `clientId`.
    std::optional<protocol::Message> findByClientId(qint64 senderId, const QString &clientId);
    //! Stores `message` (with the sender's `clientId`, if any) and returns its id.
    qint64 insert(const protocol::Message &message, const QString &clientId);
    //! Marks the message read at `nowMs` unless it already is: true for the one that did.
    bool markRead(qint64 messageId, qint64 nowMs);
    //! How many messages, and the page of them newest first, between two users (about one
    //! domain, if given).
    qint64 countBetween(qint64 userId, qint64 otherUserId, std::optional<qint64> domainId);
    QList<protocol::Message> pageBetween(qint64 userId, qint64 otherUserId,
                                         std::optional<qint64> domainId, int page, int perPage);
    //! The latest message of each of `userId`'s conversations, newest first (at most 200).
    QList<ConversationSummary> conversations(qint64 userId);
    qint64 unreadCount(qint64 userId);

    //! Whether user `userId` exists.
    bool userExists(qint64 userId);
    //! Whether `viewerId` may name domain `domainId`: someone else's draft is unknown.
    bool domainVisible(qint64 domainId, qint64 viewerId);

private:
    Database &m_db;
};

} // namespace flippdeal::server
