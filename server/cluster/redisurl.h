// SPDX-License-Identifier: MIT
#pragma once

#include "core/result.h"

#include <QByteArray>
#include <QString>

namespace flippdeal::server {

//! \brief Where the cluster's Redis is: `redis://[[user]:password@]host[:port][/db]`.
struct RedisUrl
{
    QString host;
    int port = 6379;
    QByteArray user;     //!< Redis 6 ACL user; empty: the default user
    QByteArray password; //!< empty: no AUTH
    int db = 0;

    //! The URL checked: a clear message for anything but the form above (the message never
    //! repeats the password).
    static Expected<RedisUrl> parse(const QString &url);
    //! `host:port/db`, for logs and errors: never the password.
    QString display() const;
};

//! \brief Connects to `url` at once (blocking, at most `timeoutMs`), authenticates, selects
//! the database and asks PING: the start-up check, so that a bad password or an unreachable
//! Redis is one clear line before the node serves anyone. Returns the server's version.
Expected<QString> probeRedis(const RedisUrl &url, int timeoutMs);

} // namespace flippdeal::server
