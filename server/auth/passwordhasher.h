// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>

namespace flippdeal::server::passwords {

//! \brief Initializes libsodium; call once before any other function here. False on failure.
bool initialize();

//! \brief Argon2id hash in libsodium's self-describing string format (salt and costs
//! included). Slow on purpose (interactive limits: 2 passes, 64 MiB); never call it on the
//! event-loop thread in the server. Empty on failure (out of memory).
QByteArray hash(const QByteArray &password);

//! \brief Checks `password` against a stored hash in constant time.
bool verify(const QByteArray &storedHash, const QByteArray &password);

//! \brief A random bearer token: 256 bits, base64url without padding.
QByteArray newToken();

//! \brief What is stored for a token: its SHA-256, hex. Tokens carry 256 bits of entropy, so a
//! fast hash is enough; a database leak still reveals no usable token.
QByteArray tokenDigest(const QByteArray &token);

} // namespace flippdeal::server::passwords
