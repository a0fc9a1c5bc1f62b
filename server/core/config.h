// SPDX-License-Identifier: MIT
#pragma once

#include "core/result.h"

#include <QByteArray>
#include <QHostAddress>
#include <QString>
#include <QStringList>

#include <optional>

namespace flippdeal::server {

//! \brief Everything `flippdeal-server` can be configured with. Precedence, highest first:
//! command-line options, `FLIPPDEAL_*` environment variables, the config file, defaults.
struct Config
{
    QHostAddress listenAddress = QHostAddress::LocalHost;
    quint16 listenPort = 6001;
    QString database; //!< `sqlite:PATH` or `postgres://user:pass@host:port/db`
    QString dataDir;  //!< app-data folder: default database and generated secret
    QString appId = QStringLiteral("flippdeal");
    QString appKey = QStringLiteral("flippdeal-key");
    QByteArray appSecret; //!< generated once into dataDir when not configured
    //! 32 bytes for `private-encrypted-` channels' shared secrets (empty: not configured).
    QByteArray encryptionMasterKey;
    //! Where webhooks go (channel_occupied, member_added, ...); empty: none.
    QStringList webhookUrls;
    QString logLevel = QStringLiteral("info");
    int activityTimeoutSeconds = 120;          //!< announced to clients in connection_established
    int activityGraceSeconds = 30;             //!< silence beyond timeout + grace closes with 4201
    qint64 maxBodyBytes = 256 * 1024;          //!< larger HTTP bodies get 413
    double messagesPerSecond = 5;              //!< per user; the burst is the same number
    double clientEventsPerSecond = 10;         //!< per connection
    qint64 maxOutboundBytes = 4 * 1024 * 1024; //!< unsent WebSocket output per connection
    int maxSubscriptions = 100;   //!< channels one WebSocket connection may subscribe to
    int maxPresenceMembers = 100; //!< distinct users on one presence channel (as Pusher)
    int maxWebhookEvents = 300;   //!< webhook events one connection may cause per minute
    int historyRetentionDays = 7;
    int antiSnipeSeconds = 120; //!< a bid this close to the end extends the auction to this
    int platformFeeBps = 500;   //!< escrow fee in basis points (500 = 5 %)
    int jobBackoffMs = 5000;    //!< first retry delay; then 5x, 25x
    int jobTimeoutSeconds = 60; //!< a job reserved longer than this is taken again
    //! PEM certificate chain and private key: with both set, the port serves HTTPS and WSS only.
    //! Read and checked by `serve` (loadTlsConfiguration), not by the other commands.
    QString tlsCertificateFile;
    QString tlsKeyFile;
    bool tlsEnabled() const { return !tlsCertificateFile.isEmpty() || !tlsKeyFile.isEmpty(); }
    QString configFile;

    //! \brief Loads the configuration: parses `options` (name → value from the command line,
    //! without the leading dashes), the environment and the config file over the defaults.
    //! Errors name the bad value in one line.
    static Expected<Config> load(const QMap<QString, QString> &options);

    //! \brief Fills appSecret from the data folder, creating a random one the first time.
    std::optional<QString> ensureSecret();

    //! The names of the settings, shared by the command line (`--name`), the environment
    //! (`FLIPPDEAL_NAME`, upper case, dashes as underscores) and the config file (`name=`).
    static QStringList settingNames();
    static QString describe(const QString &name);
};

//! \brief A parsed `FLIPPDEAL_DATABASE` URL.
struct DatabaseUrl
{
    enum class Driver
    {
        Sqlite,
        Postgres
    };
    Driver driver = Driver::Sqlite;
    QString path; //!< SQLite file
    QString host;
    int port = 5432;
    QString user;
    QString password;
    QString name; //!< PostgreSQL database name

    static Expected<DatabaseUrl> parse(const QString &url);
};

} // namespace flippdeal::server
