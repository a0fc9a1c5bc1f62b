// SPDX-License-Identifier: MIT
#include "auth/channelauthorizer.h"

#include "auth/passwordhasher.h"
#include "core/logging.h"

#include "protocol/presence.h"
#include "protocol/signing.h"

#include <QCryptographicHash>
#include <QJsonDocument>
#include <QRegularExpression>

namespace flippdeal::server {

namespace {

//! Extracts {id} from `prefix{id}`, or 0.
qint64 idAfter(const QString &name, QLatin1String prefix)
{
    if (!name.startsWith(prefix))
        return 0;
    bool ok = false;
    const qint64 id = QStringView(name).mid(prefix.size()).toLongLong(&ok);
    // Reject "+1", "01" and the like: one canonical spelling per channel.
    if (!ok || id <= 0 || QString::number(id) != QStringView(name).mid(prefix.size()))
        return 0;
    return id;
}

} // namespace

ChannelAuthorizer::ChannelAuthorizer(DomainAccessPolicy &domains, QByteArray appKey,
                                     QByteArray appSecret, QByteArray encryptionMasterKey)
    : m_domains(domains)
    , m_appKey(std::move(appKey))
    , m_appSecret(std::move(appSecret))
    , m_encryptionMasterKey(std::move(encryptionMasterKey))
{}

QByteArray ChannelAuthorizer::sharedSecret(const QString &channel, const QByteArray &masterKey)
{
    return QCryptographicHash::hash(channel.toUtf8() + masterKey, QCryptographicHash::Sha256);
}

ChannelAuthorizer::Access ChannelAuthorizer::access(const protocol::User &user,
                                                    const protocol::ChannelName &channel,
                                                    qint64 nowMs)
{
    const auto allowedIf = [](bool allowed) {
        return allowed ? Access::Allowed : Access::Forbidden;
    };
    if (!channel.requiresAuth())
        return Access::Allowed;
    // The encrypted and cache variants follow the policy of the plain channel:
    // `private-encrypted-user.7` and `private-cache-user.7` are user 7's, like `private-user.7`.
    if (channel.type == protocol::ChannelType::PrivateEncrypted || channel.cache) {
        QString plain = channel.name;
        plain.replace(QLatin1String("private-encrypted-cache-"), QLatin1String("private-"));
        plain.replace(QLatin1String("private-encrypted-"), QLatin1String("private-"));
        plain.replace(QLatin1String("private-cache-"), QLatin1String("private-"));
        plain.replace(QLatin1String("presence-cache-"), QLatin1String("presence-"));
        const auto base = protocol::parseChannelName(plain);
        if (!base || base->cache || base->type == protocol::ChannelType::PrivateEncrypted)
            return Access::Forbidden;
        return access(user, *base, nowMs);
    }
    if (const qint64 id = idAfter(channel.name, QLatin1String("private-user.")))
        return allowedIf(id == user.id);
    if (const qint64 id = idAfter(channel.name, QLatin1String("private-domain."))) {
        // Another user's draft is as absent here as on every other route.
        if (!m_domains.visibleDomain(id, user.id, nowMs))
            return Access::NotFound;
        return allowedIf(m_domains.isParticipant(user.id, id));
    }
    if (channel.name.startsWith(QLatin1String("private-conversation."))) {
        // private-conversation.{a}.{b}, a < b: only users a and b (typing indicators).
        const QStringList ids = channel.name.mid(21).split(QLatin1Char('.'));
        if (ids.size() != 2)
            return Access::Forbidden;
        const qint64 a = idAfter(ids.at(0), QLatin1String(""));
        const qint64 b = idAfter(ids.at(1), QLatin1String(""));
        return allowedIf(a > 0 && b > a && (user.id == a || user.id == b));
    }
    if (const qint64 id = idAfter(channel.name, QLatin1String("presence-auction."))) {
        const auto domain = m_domains.visibleDomain(id, user.id, nowMs);
        if (!domain)
            return Access::NotFound;
        return allowedIf(domain->liveAuction);
    }
    return Access::Forbidden;
}

Expected<QJsonObject> ChannelAuthorizer::authorize(const protocol::User &user,
                                                   const QString &socketId,
                                                   const QString &channelName, qint64 nowMs)
{
    static const QRegularExpression socketIdPattern(QStringLiteral(R"(^\d{1,20}\.\d{1,20}$)"));
    if (!socketIdPattern.match(socketId).hasMatch())
        return ApiError::validation(QStringLiteral("socket_id"),
                                    QStringLiteral("The socket_id is not a valid socket id."));
    QString reason;
    const auto channel = protocol::parseChannelName(channelName, &reason);
    if (!channel)
        return ApiError::validation(QStringLiteral("channel_name"), reason);
    if (!channel->requiresAuth())
        return ApiError::validation(QStringLiteral("channel_name"),
                                    QStringLiteral("Public channels need no authorization."));
    if (channel->type == protocol::ChannelType::PrivateEncrypted &&
        m_encryptionMasterKey.size() != 32)
        return ApiError::forbidden(QStringLiteral(
            "Encrypted channels are not enabled on this server (encryption-master-key)."));
    const Access access = this->access(user, *channel, nowMs);
    if (access != Access::Allowed) {
        qCInfo(lcAuth) << "user" << user.id << "refused on" << channel->name;
        return access == Access::NotFound ? ApiError::notFound(QStringLiteral("Domain not found."))
                                          : ApiError::forbidden();
    }
    if (channel->type == protocol::ChannelType::Presence) {
        const protocol::PresenceMember member{QString::number(user.id),
                                              {{QLatin1String("name"), user.name}}};
        const QString channelData = QString::fromUtf8(member.toChannelData());
        return QJsonObject{{QLatin1String("auth"),
                            QString::fromLatin1(protocol::channelAuth(
                                m_appKey, m_appSecret, socketId, channel->name, channelData))},
                           {QLatin1String("channel_data"), channelData}};
    }
    QJsonObject answer{{QLatin1String("auth"),
                        QString::fromLatin1(protocol::channelAuth(m_appKey, m_appSecret, socketId,
                                                                  channel->name))}};
    if (channel->type == protocol::ChannelType::PrivateEncrypted)
        answer.insert(
            QLatin1String("shared_secret"),
            QString::fromLatin1(sharedSecret(channel->name, m_encryptionMasterKey).toBase64()));
    return answer;
}

Expected<QJsonObject> ChannelAuthorizer::authenticateUser(const protocol::User &user,
                                                          const QString &socketId)
{
    static const QRegularExpression socketIdPattern(QStringLiteral(R"(^\d{1,20}\.\d{1,20}$)"));
    if (!socketIdPattern.match(socketId).hasMatch())
        return ApiError::validation(QStringLiteral("socket_id"),
                                    QStringLiteral("The socket_id is not a valid socket id."));
    const QJsonObject userData{
        {QLatin1String("id"), QString::number(user.id)},
        {QLatin1String("user_info"), QJsonObject{{QLatin1String("name"), user.name}}}};
    const QString data = QString::fromUtf8(QJsonDocument(userData).toJson(QJsonDocument::Compact));
    return QJsonObject{{QLatin1String("auth"), QString::fromLatin1(protocol::userAuth(
                                                   m_appKey, m_appSecret, socketId, data))},
                       {QLatin1String("user_data"), data}};
}

void ChannelAuthorizer::noteGrant(const QString &socketId, const QString &channel,
                                  const protocol::User &user, const QByteArray &token) const
{
    if (m_grantObserver)
        m_grantObserver(socketId, channel, user.id, passwords::tokenDigest(token));
}

} // namespace flippdeal::server
