// SPDX-License-Identifier: MIT
#pragma once

#include "core/result.h"

#include <QSslCertificate>
#include <QSslConfiguration>
#include <QString>

namespace flippdeal::server {

//! \brief The server side of TLS (`tls-cert`, `tls-key`): reads the PEM certificate chain (the
//! server's certificate first, then any intermediates, as in Let's Encrypt's `fullchain.pem`)
//! and the unencrypted PEM private key (RSA, EC or DSA), and checks that the key belongs to the
//! certificate. Every error is one line naming the setting and the file.
//!
//! Both paths must be given, or neither (TLS off; not an error: the caller asks only when one
//! is set).
Expected<QSslConfiguration> loadTlsConfiguration(const QString &certificateFile,
                                                 const QString &keyFile);

//! \brief "CN=…, issued by CN=…, valid until …" for the start-up log.
QString describeCertificate(const QSslCertificate &certificate);

} // namespace flippdeal::server
