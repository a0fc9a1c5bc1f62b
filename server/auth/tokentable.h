// SPDX-License-Identifier: MIT
#pragma once

#include "protocol/types.h"

#include <QByteArray>
#include <QList>
#include <QSet>

#include <optional>

namespace flippdeal::server {

class Database;

//! \brief The `api_tokens` table: bearer tokens, stored by digest only. Every call throws
//! DbError when a statement fails.
class TokenTable
{
public:
    explicit TokenTable(Database &db)
        : m_db(db)
    {}

    //! \brief A stored token, its user, and when it was last used.
    struct TokenUse
    {
        protocol::User user;
        qint64 tokenId = 0;
        qint64 lastUsedMs = 0; //!< or when it was created, if never noted
    };

    void insert(qint64 userId, const QByteArray &digest, qint64 nowMs);
    //! The token stored as `digest`, unless its user is banned.
    std::optional<TokenUse> findActive(const QByteArray &digest);
    //! Notes a use at `nowMs`, unless a later one is noted already (another node).
    void touch(qint64 tokenId, qint64 nowMs);

    void remove(qint64 tokenId);
    //! Returns how many were removed (0 or 1).
    int removeByDigest(const QByteArray &digest);
    //! Returns how many were removed.
    int removeAllOf(qint64 userId);
    //! Deletes the tokens last used before `cutoffMs`; returns how many.
    int removeUnusedSince(qint64 cutoffMs);
    //! Gives the tokens without `last_used_at` a use at `nowMs`; returns how many.
    int stampUntracked(qint64 nowMs);

    //! Which of `digests` are stored.
    QSet<QByteArray> existing(const QList<QByteArray> &digests);

private:
    Database &m_db;
};

} // namespace flippdeal::server
