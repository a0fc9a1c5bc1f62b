// SPDX-License-Identifier: MIT
#include "pusherapi/apisignature.h"

#include "protocol/signing.h"

namespace flippdeal::server {

std::optional<ApiError> verifyApiSignature(const HttpRequest &request, const QString &appKey,
                                           const QByteArray &appSecret, qint64 nowSeconds)
{
    const QString key = request.queryValue(QStringLiteral("auth_key"));
    const QString timestamp = request.queryValue(QStringLiteral("auth_timestamp"));
    const QString version = request.queryValue(QStringLiteral("auth_version"));
    const QByteArray signature = request.queryValue(QStringLiteral("auth_signature")).toLatin1();
    if (key.isEmpty() || timestamp.isEmpty() || signature.isEmpty())
        return ApiError::unauthenticated(
            QStringLiteral("Missing auth_key, auth_timestamp or auth_signature."));
    if (key != appKey)
        return ApiError::unauthenticated(QStringLiteral("Unknown auth_key."));
    if (!version.isEmpty() && version != QLatin1String("1.0"))
        return ApiError::unauthenticated(QStringLiteral("Unsupported auth_version."));
    bool ok = false;
    const qint64 seconds = timestamp.toLongLong(&ok);
    // Compared as bounds: `nowSeconds - seconds` overflows for a timestamp near -2^63.
    if (!ok || seconds < nowSeconds - MaxApiClockSkewSeconds ||
        seconds > nowSeconds + MaxApiClockSkewSeconds)
        return ApiError::unauthenticated(QStringLiteral(
            "Timestamp expired: auth_timestamp is more than 600 s from the server time."));
    if (!request.body.isEmpty() &&
        !protocol::constantTimeEquals(protocol::bodyMd5Hex(request.body),
                                      request.queryValue(QStringLiteral("body_md5")).toLatin1()))
        return ApiError::unauthenticated(QStringLiteral("body_md5 does not match the body."));
    const QByteArray expected =
        protocol::apiSignature(appSecret, request.method, request.path, request.query);
    if (!protocol::constantTimeEquals(expected, signature))
        return ApiError::unauthenticated(
            QStringLiteral(
                "Invalid signature: you should have sent HmacSHA256Hex(\"%1\", your_secret_key).")
                .arg(QString::fromUtf8(
                         protocol::apiStringToSign(request.method, request.path, request.query))
                         .replace(QLatin1Char('\n'), QLatin1String("\\n"))));
    return std::nullopt;
}

} // namespace flippdeal::server
