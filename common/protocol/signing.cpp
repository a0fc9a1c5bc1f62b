// SPDX-License-Identifier: MIT
#include "protocol/signing.h"

#include <QCryptographicHash>
#include <QMessageAuthenticationCode>

#include <algorithm>

namespace flippdeal::protocol {

QByteArray hmacSha256Hex(const QByteArray &secret, const QByteArray &message)
{
    return QMessageAuthenticationCode::hash(message, secret, QCryptographicHash::Sha256).toHex();
}

bool constantTimeEquals(const QByteArray &a, const QByteArray &b)
{
    if (a.size() != b.size())
        return false;
    // Accumulate differences without branching on the data, so timing reveals nothing
    // about how many leading bytes matched.
    unsigned char diff = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        diff |= static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i]);
    return diff == 0;
}

QByteArray channelAuth(const QByteArray &key, const QByteArray &secret, const QString &socketId,
                       const QString &channel, const QString &channelData)
{
    QByteArray toSign = socketId.toUtf8() + ':' + channel.toUtf8();
    if (!channelData.isEmpty())
        toSign += ':' + channelData.toUtf8();
    return key + ':' + hmacSha256Hex(secret, toSign);
}

bool verifyChannelAuth(const QByteArray &key, const QByteArray &secret, const QString &socketId,
                       const QString &channel, const QString &channelData, const QByteArray &auth)
{
    return constantTimeEquals(channelAuth(key, secret, socketId, channel, channelData), auth);
}

QByteArray userAuth(const QByteArray &key, const QByteArray &secret, const QString &socketId,
                    const QString &userData)
{
    const QByteArray toSign = socketId.toUtf8() + "::user::" + userData.toUtf8();
    return key + ':' + hmacSha256Hex(secret, toSign);
}

QByteArray bodyMd5Hex(const QByteArray &body)
{
    return QCryptographicHash::hash(body, QCryptographicHash::Md5).toHex();
}

QByteArray apiStringToSign(const QByteArray &method, const QString &path, const QueryParams &params)
{
    QList<QPair<QString, QString>> sorted;
    sorted.reserve(params.size());
    for (const auto &[key, value] : params) {
        const QString lower = key.toLower();
        if (lower != QLatin1String("auth_signature"))
            sorted.append({lower, value});
    }
    std::sort(sorted.begin(), sorted.end(),
              [](const auto &a, const auto &b) { return a.first < b.first; });
    QByteArray query;
    for (const auto &[key, value] : sorted) {
        if (!query.isEmpty())
            query += '&';
        query += key.toUtf8() + '=' + value.toUtf8();
    }
    return method.toUpper() + '\n' + path.toUtf8() + '\n' + query;
}

QByteArray apiSignature(const QByteArray &secret, const QByteArray &method, const QString &path,
                        const QueryParams &params)
{
    return hmacSha256Hex(secret, apiStringToSign(method, path, params));
}

} // namespace flippdeal::protocol
