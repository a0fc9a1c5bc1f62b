// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>

//! \file HMAC-SHA256 signatures of the Pusher protocol: channel authorization, user
//! authentication and the signed HTTP API. All verification is constant-time.

namespace flippdeal::protocol {

//! \brief Lower-case hex HMAC-SHA256 of `message` under `secret`.
QByteArray hmacSha256Hex(const QByteArray &secret, const QByteArray &message);

//! \brief Compares two byte strings in time that depends only on their lengths.
bool constantTimeEquals(const QByteArray &a, const QByteArray &b);

//! \brief The `auth` value for a private or presence channel: `key:hex(HMAC(secret,
//! "socket_id:channel[:channel_data]"))`. Leave `channelData` empty for private channels.
QByteArray channelAuth(const QByteArray &key, const QByteArray &secret, const QString &socketId,
                       const QString &channel, const QString &channelData = {});

//! \brief Checks a client-supplied channel `auth` in constant time.
bool verifyChannelAuth(const QByteArray &key, const QByteArray &secret, const QString &socketId,
                       const QString &channel, const QString &channelData, const QByteArray &auth);

//! \brief The `auth` value for `pusher:signin`: signs `socket_id::user::user_data`.
QByteArray userAuth(const QByteArray &key, const QByteArray &secret, const QString &socketId,
                    const QString &userData);

//! \brief Lower-case hex MD5 of a request body, as the HTTP API's `body_md5`.
QByteArray bodyMd5Hex(const QByteArray &body);

//! Query parameters in the order they were received, already percent-decoded.
using QueryParams = QList<QPair<QString, QString>>;

//! \brief The string the Pusher HTTP API signs: `METHOD\nPATH\nk1=v1&k2=v2...`, keys
//! lower-cased and sorted, `auth_signature` left out.
QByteArray apiStringToSign(const QByteArray &method, const QString &path,
                           const QueryParams &params);

//! \brief The `auth_signature` of an HTTP API request.
QByteArray apiSignature(const QByteArray &secret, const QByteArray &method, const QString &path,
                        const QueryParams &params);

} // namespace flippdeal::protocol
