// SPDX-License-Identifier: MIT
#include "auth/tokentable.h"

#include "auth/usertable.h"
#include "storage/database.h"

#include <QStringList>

namespace flippdeal::server {

void TokenTable::insert(qint64 userId, const QByteArray &digest, qint64 nowMs)
{
    SqlQuery(m_db, QStringLiteral("INSERT INTO api_tokens (user_id, token_hash, created_at, "
                                  "last_used_at) VALUES (?, ?, ?, ?)"))
        .bind(userId)
        .bind(QString::fromLatin1(digest))
        .bind(nowMs)
        .bind(nowMs)
        .exec();
}

std::optional<TokenTable::TokenUse> TokenTable::findActive(const QByteArray &digest)
{
    SqlQuery query(m_db, QStringLiteral("SELECT u.id, u.name, u.email, u.role, t.id AS token_id, "
                                        "COALESCE(t.last_used_at, t.created_at) AS last_used_ms "
                                        "FROM api_tokens t JOIN users u ON u.id = t.user_id "
                                        "WHERE t.token_hash = ? AND u.banned_at IS NULL"));
    query.bind(QString::fromLatin1(digest)).exec();
    if (!query.next())
        return std::nullopt;
    return TokenUse{UserTable::userFromRow(query), query.int64("token_id"_L1),
                    query.int64("last_used_ms"_L1)};
}

void TokenTable::touch(qint64 tokenId, qint64 nowMs)
{
    SqlQuery(m_db, QStringLiteral("UPDATE api_tokens SET last_used_at = ? WHERE id = ? "
                                  "AND (last_used_at IS NULL OR last_used_at < ?)"))
        .bind(nowMs)
        .bind(tokenId)
        .bind(nowMs)
        .exec();
}

void TokenTable::remove(qint64 tokenId)
{
    SqlQuery(m_db, QStringLiteral("DELETE FROM api_tokens WHERE id = ?")).bind(tokenId).exec();
}

int TokenTable::removeByDigest(const QByteArray &digest)
{
    SqlQuery remove(m_db, QStringLiteral("DELETE FROM api_tokens WHERE token_hash = ?"));
    remove.bind(QString::fromLatin1(digest)).exec();
    return remove.numRowsAffected();
}

int TokenTable::removeAllOf(qint64 userId)
{
    SqlQuery remove(m_db, QStringLiteral("DELETE FROM api_tokens WHERE user_id = ?"));
    remove.bind(userId).exec();
    return remove.numRowsAffected();
}

int TokenTable::removeUnusedSince(qint64 cutoffMs)
{
    SqlQuery remove(m_db, QStringLiteral("DELETE FROM api_tokens WHERE last_used_at < ?"));
    remove.bind(cutoffMs).exec();
    return remove.numRowsAffected();
}

int TokenTable::stampUntracked(qint64 nowMs)
{
    SqlQuery update(m_db, QStringLiteral("UPDATE api_tokens SET last_used_at = ? "
                                         "WHERE last_used_at IS NULL"));
    update.bind(nowMs).exec();
    return update.numRowsAffected();
}

QSet<QByteArray> TokenTable::existing(const QList<QByteArray> &digests)
{
    QStringList marks;
    marks.fill(QStringLiteral("?"), digests.size());
    SqlQuery query(m_db, QStringLiteral("SELECT token_hash FROM api_tokens "
                                        "WHERE token_hash IN (%1)")
                             .arg(marks.join(QLatin1Char(','))));
    for (const QByteArray &digest : digests)
        query.bind(QString::fromLatin1(digest));
    query.exec();
    QSet<QByteArray> found;
    while (query.next())
        found.insert(query.text("token_hash"_L1).toLatin1());
    return found;
}

} // namespace flippdeal::server
