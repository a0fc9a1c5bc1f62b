// SPDX-License-Identifier: MIT
#include "auth/passwordhasher.h"

#include <QCryptographicHash>

#include <sodium.h>

namespace flippdeal::server::passwords {

bool initialize()
{
    return sodium_init() >= 0;
}

QByteArray hash(const QByteArray &password)
{
    QByteArray out(crypto_pwhash_STRBYTES, '\0');
    if (crypto_pwhash_str_alg(
            out.data(), password.constData(), static_cast<unsigned long long>(password.size()),
            crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE,
            crypto_pwhash_ALG_ARGON2ID13) != 0)
        return {};
    out.truncate(static_cast<qsizetype>(qstrlen(out.constData())));
    return out;
}

bool verify(const QByteArray &storedHash, const QByteArray &password)
{
    if (storedHash.isEmpty())
        return false;
    const QByteArray terminated = storedHash + '\0';
    return crypto_pwhash_str_verify(terminated.constData(), password.constData(),
                                    static_cast<unsigned long long>(password.size())) == 0;
}

QByteArray newToken()
{
    QByteArray raw(32, Qt::Uninitialized);
    randombytes_buf(raw.data(), static_cast<size_t>(raw.size()));
    return raw.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

QByteArray tokenDigest(const QByteArray &token)
{
    return QCryptographicHash::hash(token, QCryptographicHash::Sha256).toHex();
}

} // namespace flippdeal::server::passwords
