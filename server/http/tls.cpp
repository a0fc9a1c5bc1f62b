// SPDX-License-Identifier: MIT
#include "http/tls.h"

#include <QFile>
#include <QSslKey>
#include <QSslSocket>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

namespace flippdeal::server {

namespace {

// A private key that needs a passphrase must fail, never prompt on the terminal.
int noPassphrase(char *, int, int, void *)
{
    return 0;
}

//! Whether the first certificate of `certificatePem` is the one `keyPem` signs for (what
//! OpenSSL checks when a TLS context is built, done here so a wrong pair fails the start).
bool keyMatchesCertificate(const QByteArray &certificatePem, const QByteArray &keyPem)
{
    const std::unique_ptr<BIO, decltype(&BIO_free)> certificateBio(
        BIO_new_mem_buf(certificatePem.constData(), int(certificatePem.size())), &BIO_free);
    const std::unique_ptr<BIO, decltype(&BIO_free)> keyBio(
        BIO_new_mem_buf(keyPem.constData(), int(keyPem.size())), &BIO_free);
    if (!certificateBio || !keyBio)
        return false;
    const std::unique_ptr<X509, decltype(&X509_free)> certificate(
        PEM_read_bio_X509(certificateBio.get(), nullptr, noPassphrase, nullptr), &X509_free);
    const std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
        PEM_read_bio_PrivateKey(keyBio.get(), nullptr, noPassphrase, nullptr), &EVP_PKEY_free);
    return certificate && key && X509_check_private_key(certificate.get(), key.get()) == 1;
}

Expected<QByteArray> readSetting(const char *setting, const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return ApiError::badRequest(QStringLiteral("%1 '%2' cannot be read: %3")
                                        .arg(QLatin1String(setting), path, file.errorString()));
    return file.readAll();
}

} // namespace

Expected<QSslConfiguration> loadTlsConfiguration(const QString &certificateFile,
                                                 const QString &keyFile)
{
    if (certificateFile.isEmpty() || keyFile.isEmpty())
        return ApiError::badRequest(
            QStringLiteral("%1 is set but %2 is not: set both to serve HTTPS and WSS")
                .arg(certificateFile.isEmpty() ? QLatin1String("tls-key")
                                               : QLatin1String("tls-cert"),
                     certificateFile.isEmpty() ? QLatin1String("tls-cert")
                                               : QLatin1String("tls-key")));
    if (!QSslSocket::supportsSsl())
        return ApiError::badRequest(
            QStringLiteral("TLS is not available: Qt found no TLS backend (OpenSSL 3, libssl3)"));

    const auto certificatePem = readSetting("tls-cert", certificateFile);
    if (!certificatePem)
        return certificatePem.error();
    const QList<QSslCertificate> chain = QSslCertificate::fromData(*certificatePem, QSsl::Pem);
    if (chain.isEmpty() || chain.first().isNull())
        return ApiError::badRequest(
            QStringLiteral("tls-cert '%1' holds no PEM certificate").arg(certificateFile));

    const auto keyPem = readSetting("tls-key", keyFile);
    if (!keyPem)
        return keyPem.error();
    QSslKey key;
    for (const QSsl::KeyAlgorithm algorithm : {QSsl::Rsa, QSsl::Ec, QSsl::Dsa}) {
        key = QSslKey(*keyPem, algorithm, QSsl::Pem, QSsl::PrivateKey);
        if (!key.isNull())
            break;
    }
    if (key.isNull()) {
        if (keyPem->contains("ENCRYPTED"))
            return ApiError::badRequest(
                QStringLiteral("tls-key '%1' is protected by a passphrase; give the key "
                               "unencrypted (openssl pkey -in KEY -out KEY.plain)")
                    .arg(keyFile));
        return ApiError::badRequest(
            QStringLiteral("tls-key '%1' holds no PEM private key (RSA, EC or DSA)").arg(keyFile));
    }
    if (!keyMatchesCertificate(*certificatePem, *keyPem))
        return ApiError::badRequest(
            QStringLiteral("tls-key '%1' does not match the certificate in tls-cert '%2'")
                .arg(keyFile, certificateFile));

    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setLocalCertificateChain(chain);
    configuration.setPrivateKey(key);
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone); // no client certificates
    // Nothing to verify, so no authorities: an explicit empty list also keeps Qt from pointing
    // every connection's OpenSSL context at the system's certificate folders.
    configuration.setCaCertificates({});
    configuration.setProtocol(QSsl::TlsV1_2OrLater);
    configuration.setAllowedNextProtocols({QByteArrayLiteral("http/1.1")});
    return configuration;
}

QString describeCertificate(const QSslCertificate &certificate)
{
    const auto name = [](const QStringList &values) {
        return values.isEmpty() ? QStringLiteral("(no CN)") : values.join(QLatin1Char(','));
    };
    return QStringLiteral("CN=%1, issued by CN=%2, valid until %3")
        .arg(name(certificate.subjectInfo(QSslCertificate::CommonName)),
             name(certificate.issuerInfo(QSslCertificate::CommonName)),
             certificate.expiryDate().toUTC().toString(Qt::ISODate));
}

} // namespace flippdeal::server
