// SPDX-License-Identifier: MIT
#pragma once

#include "auth/domainaccesspolicy.h"
#include "core/result.h"

#include "protocol/channelname.h"
#include "protocol/types.h"

#include <QJsonObject>

#include <functional>

namespace flippdeal::server {

//! \brief The channel policies of the contract, in one place, used both to sign subscriptions
//! (`POST /broadcasting/auth`) and to guard channel history:
//! - `private-user.{id}`: only user {id};
//! - `private-domain.{id}`: the owner, bidders, offer makers and watchers of domain {id}
//!   (of a draft: its owner only);
//! - `presence-auction.{id}`: any signed-in user while the auction is active;
//! - `private-conversation.{a}.{b}` (a < b): only users a and b; for typing indicators.
//! Every other private or presence channel is refused.
class ChannelAuthorizer
{
public:
    ChannelAuthorizer(DomainAccessPolicy &domains, QByteArray appKey, QByteArray appSecret,
                      QByteArray encryptionMasterKey = {});

    enum class Access
    {
        Allowed,
        Forbidden,
        NotFound //!< a domain channel of an unknown domain or of another user's draft
    };
    //! Whether `user` may subscribe to (and read the history of) `channel`. A domain that does
    //! not exist and another user's draft look the same: NotFound.
    Access access(const protocol::User &user, const protocol::ChannelName &channel, qint64 nowMs);
    bool canSubscribe(const protocol::User &user, const protocol::ChannelName &channel,
                      qint64 nowMs)
    {
        return access(user, channel, nowMs) == Access::Allowed;
    }

    //! The body of a successful `/broadcasting/auth` answer: `{auth}` or `{auth, channel_data}`.
    Expected<QJsonObject> authorize(const protocol::User &user, const QString &socketId,
                                    const QString &channelName, qint64 nowMs);

    //! POST /broadcasting/user-auth (`pusher:signin`): `{auth, user_data}` for `user` on
    //! `socketId`, where user_data is `{"id":"ID","user_info":{"name":…}}`.
    Expected<QJsonObject> authenticateUser(const protocol::User &user, const QString &socketId);
    //! The per-channel secret of a `private-encrypted-` channel, as the Pusher server libraries
    //! derive it: SHA-256 of the channel name followed by the 32-byte master key.
    static QByteArray sharedSecret(const QString &channel, const QByteArray &masterKey);

    //! Told of each signature the routes issued: for `socketId`, on `channel` (empty for user
    //! authentication), to `user`, who asked with a bearer token whose digest is `tokenDigest`.
    //! The gateway binds them to the connection that uses the signature.
    using GrantObserver = std::function<void(const QString &socketId, const QString &channel,
                                             qint64 userId, const QByteArray &tokenDigest)>;
    void setGrantObserver(GrantObserver observer) { m_grantObserver = std::move(observer); }
    //! Reports a signature the routes handed out (see setGrantObserver()).
    void noteGrant(const QString &socketId, const QString &channel, const protocol::User &user,
                   const QByteArray &token) const;

private:
    DomainAccessPolicy &m_domains;
    QByteArray m_appKey;
    QByteArray m_appSecret;
    QByteArray m_encryptionMasterKey;
    GrantObserver m_grantObserver;
};

} // namespace flippdeal::server
