// SPDX-License-Identifier: MIT
#pragma once

#include "core/result.h"
#include "http/httptypes.h"

#include <QByteArray>
#include <QString>

#include <optional>

namespace flippdeal::server {

//! How far `auth_timestamp` may be from the server's clock, either way.
inline constexpr qint64 MaxApiClockSkewSeconds = 600;

//! \brief Checks the signature of a Pusher HTTP API request (`auth_key`, `auth_timestamp`,
//! `auth_version`, `body_md5`, `auth_signature` in its decoded query) against the app's key and
//! secret at `nowSeconds`. A 401 when it is missing, stale or wrong. Pure, so it is fuzzed
//! (tests/fuzz) without a server.
std::optional<ApiError> verifyApiSignature(const HttpRequest &request, const QString &appKey,
                                           const QByteArray &appSecret, qint64 nowSeconds);

} // namespace flippdeal::server
