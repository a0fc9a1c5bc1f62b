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
    QString redis;    //!< `redis://…`: a node of a cluster; empty: one node without Redis
    QString nodeId;   //!< this node's name in the cluster; empty: made up at start
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
    bool ioUring = true;          //!< batch a loop pass's WebSocket sends through io_uring
    int ioThreads = 0;            //!< WebSocket I/O threads; 0: one per core; 1: the event loop
    int historyRetentionDays = 7;
    int antiSnipeSeconds = 120;        //!< a bid this close to the end extends the auction to this
    int platformFeeBps = 500;          //!< escrow fee in basis points (500 = 5 %)
    int maxLiveAuctionsPerSeller = 20; //!< more live auctions of one seller get 409
    int jobBackoffMs = 5000;           //!< first retry delay; then 5x, 25x
    int jobTimeoutSeconds = 60;        //!< a job reserved longer than this is taken again
    //! How often `serve` publishes events other processes committed (not a setting: tests
    //! that need the outbox to hold still set 0, which turns the poll off).
    int outboxPollMs = 500;
    //! A bearer token unused for this long stops working (401). The setting is in days; tests
    //! set seconds here directly.
    qint64 tokenIdleSeconds = 30 * 24 * 3600;
    int authAttemptsPerIp = 60;     //!< sign-ins and registrations per minute per address; 0: off
    int authFailuresPerAccount = 5; //!< failed sign-ins per minute per email address; 0: off
    int hashWorkers = 2;            //!< Argon2 password hashes computed at once
    int hashQueue = 16;             //!< hashes waiting beyond those; more are refused with 503
    //! Signed Pusher API requests remembered (for their 600 s window) to refuse replays; when
    //! full, further signed requests get 429.
    int apiReplayCache = 200000;
    //! How long after its first use the same signature is still accepted: the pusher SDKs sign
    //! with a timestamp in whole seconds, so identical calls in one second look identical.
    int apiReplayGraceSeconds = 2;

    //! Seconds an HTTP connection may go without a request, or without taking its answers.
    int httpIdleTimeoutSeconds = 30;
    //! Open HTTP and WebSocket connections in total; 0: the open-files limit less 64.
    int maxConnections = 0;
    //! Open connections per IPv4 address or IPv6 /64; 0: no per-address cap.
    int maxConnectionsPerIp = 200;
    //! Where GET /metrics is served instead of the public port (null: on the public port).
    QHostAddress metricsListenAddress;
    quint16 metricsListenPort = 0;
    bool metricsListenEnabled() const { return !metricsListenAddress.isNull(); }

    //! PEM certificate chain and private key: with both set, the port serves HTTPS and WSS only.
    //! Read and checked by `serve` (loadTlsConfiguration), not by the other commands.
    QString tlsCertificateFile;
    QString tlsKeyFile;
    bool tlsEnabled() const { return !tlsCertificateFile.isEmpty() || !tlsKeyFile.isEmpty(); }
    QString configFile;

    //! \brief Loads the configuration: parses `options` (name → value from the command line,
    //! without the leading dashes), the environment and the config file over the defaults.
    //! Errors name the setting and its rule in one line, and the bad value unless the setting
    //! can hold a secret (app-secret, encryption-master-key, database, webhook-urls).
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
