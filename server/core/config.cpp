// SPDX-License-Identifier: MIT
#include "core/config.h"
#include "cluster/redisurl.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcessEnvironment>
#include <QRegularExpression>
#include <QSettings>
#include <QStandardPaths>
#include <QUrl>

#include <functional>

namespace flippdeal::server {

namespace {

struct Setting
{
    const char *name;
    const char *help;
    std::function<std::optional<QString>(Config &, const QString &)> apply; // error or nullopt
    //! Its value is never printed, not even in an error: secrets, and URLs that can carry a
    //! password.
    bool secret = false;
};

std::optional<QString> parseInt(const QString &text, int min, int max, int *out)
{
    bool ok = false;
    const int value = text.toInt(&ok);
    if (!ok || value < min || value > max)
        return QStringLiteral("must be an integer from %1 to %2").arg(min).arg(max);
    *out = value;
    return std::nullopt;
}

std::optional<QString> parseSwitch(const QString &text, bool *out)
{
    if (text != QLatin1String("on") && text != QLatin1String("off"))
        return QStringLiteral("must be on or off");
    *out = text == QLatin1String("on");
    return std::nullopt;
}

std::optional<QString> parseDouble(const QString &text, double min, double max, double *out)
{
    bool ok = false;
    const double value = text.toDouble(&ok);
    if (!ok || value < min || value > max)
        return QStringLiteral("must be a number from %1 to %2").arg(min).arg(max);
    *out = value;
    return std::nullopt;
}

std::optional<QString> parseHostPort(const QString &v, QHostAddress *address, quint16 *port)
{
    const qsizetype colon = v.lastIndexOf(QLatin1Char(':'));
    if (colon <= 0)
        return QStringLiteral("must be host:port");
    QString host = v.left(colon);
    if (host.startsWith(QLatin1Char('[')) && host.endsWith(QLatin1Char(']')))
        host = host.mid(1, host.size() - 2);
    QHostAddress parsed;
    if (host == QLatin1String("localhost"))
        parsed = QHostAddress(QHostAddress::LocalHost);
    else if (host == QLatin1String("*"))
        parsed = QHostAddress(QHostAddress::Any);
    else if (!parsed.setAddress(host))
        return QStringLiteral("has an invalid host address");
    int number = 0;
    if (parseInt(v.mid(colon + 1), 0, 65535, &number))
        return QStringLiteral("has an invalid port (0-65535)");
    *address = parsed;
    *port = static_cast<quint16>(number);
    return std::nullopt;
}

const QList<Setting> &settings()
{
    static const QList<Setting> all{
        {"listen", "host:port to serve HTTP and WebSocket on (default 127.0.0.1:6001)",
         [](Config &c, const QString &v) {
             return parseHostPort(v, &c.listenAddress, &c.listenPort);
         }},
        {"metrics-listen",
         "host:port to serve GET /metrics on, instead of the public port (default: empty, on the "
         "public port)",
         [](Config &c, const QString &v) -> std::optional<QString> {
             if (v.isEmpty()) {
                 c.metricsListenAddress = QHostAddress();
                 c.metricsListenPort = 0;
                 return std::nullopt;
             }
             return parseHostPort(v, &c.metricsListenAddress, &c.metricsListenPort);
         }},
        {"database", "sqlite:PATH or postgres://user:pass@host:port/db",
         [](Config &c, const QString &v) -> std::optional<QString> {
             const auto url = DatabaseUrl::parse(v);
             if (!url)
                 return url.error().message;
             c.database = v;
             return std::nullopt;
         },
         true},
        {"redis",
         "redis://[:password@]host:port[/db]: run as one node of a cluster that shares this "
         "Redis and the database (default: empty, a single node without Redis)",
         [](Config &c, const QString &v) -> std::optional<QString> {
             if (v.isEmpty()) {
                 c.redis.clear();
                 return std::nullopt;
             }
             const auto url = RedisUrl::parse(v);
             if (!url)
                 return url.error().message;
             c.redis = v;
             return std::nullopt;
         },
         true},
        {"node-id",
         "this node's name in the cluster, up to 32 of A-Z a-z 0-9 - _ (default: the host name "
         "and a random suffix)",
         [](Config &c, const QString &v) -> std::optional<QString> {
             static const QRegularExpression valid(QStringLiteral("^[A-Za-z0-9_-]{1,32}$"));
             if (!valid.match(v).hasMatch())
                 return QStringLiteral("must be 1 to 32 of A-Z a-z 0-9 - _");
             c.nodeId = v;
             return std::nullopt;
         }},
        {"data-dir", "folder for the default database and the generated app secret",
         [](Config &c, const QString &v) -> std::optional<QString> {
             if (v.isEmpty())
                 return QStringLiteral("must not be empty");
             c.dataDir = v;
             return std::nullopt;
         }},
        {"app-id", "Pusher app id (default flippdeal)",
         [](Config &c, const QString &v) -> std::optional<QString> {
             if (v.isEmpty())
                 return QStringLiteral("must not be empty");
             c.appId = v;
             return std::nullopt;
         }},
        {"app-key", "Pusher app key (default flippdeal-key)",
         [](Config &c, const QString &v) -> std::optional<QString> {
             if (v.isEmpty())
                 return QStringLiteral("must not be empty");
             c.appKey = v;
             return std::nullopt;
         }},
        {"app-secret", "Pusher app secret (default: generated once into the data folder)",
         [](Config &c, const QString &v) -> std::optional<QString> {
             if (v.size() < 8)
                 return QStringLiteral("must be at least 8 characters");
             c.appSecret = v.toUtf8();
             return std::nullopt;
         },
         true},
        {"encryption-master-key",
         "base64 of 32 random bytes: enables private-encrypted- channels (openssl rand -base64 32)",
         [](Config &c, const QString &v) -> std::optional<QString> {
             const auto decoded = QByteArray::fromBase64Encoding(
                 v.toLatin1(), QByteArray::AbortOnBase64DecodingErrors);
             if (!decoded || decoded.decoded.size() != 32)
                 return QStringLiteral("must be base64 of exactly 32 bytes");
             c.encryptionMasterKey = decoded.decoded;
             return std::nullopt;
         },
         true},
        {"webhook-urls", "comma-separated http(s) URLs that receive the Pusher webhooks",
         [](Config &c, const QString &v) -> std::optional<QString> {
             QStringList urls;
             for (const QString &part : v.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
                 const QUrl url(part.trimmed(), QUrl::StrictMode);
                 if (!url.isValid() || url.host().isEmpty() ||
                     (url.scheme() != QLatin1String("http") &&
                      url.scheme() != QLatin1String("https")))
                     return QStringLiteral("must be http:// or https:// URLs, comma-separated");
                 urls.append(url.toString());
             }
             c.webhookUrls = urls;
             return std::nullopt;
         },
         true},
        {"log-level", "debug, info or warning (default info)",
         [](Config &c, const QString &v) -> std::optional<QString> {
             if (v != QLatin1String("debug") && v != QLatin1String("info") &&
                 v != QLatin1String("warning"))
                 return QStringLiteral("must be debug, info or warning");
             c.logLevel = v;
             return std::nullopt;
         }},
        {"activity-timeout", "seconds of client silence before a ping (default 120)",
         [](Config &c, const QString &v) {
             return parseInt(v, 1, 3600, &c.activityTimeoutSeconds);
         }},
        {"activity-grace", "seconds after the ping before closing with 4201 (default 30)",
         [](Config &c, const QString &v) { return parseInt(v, 1, 600, &c.activityGraceSeconds); }},
        {"max-body", "largest HTTP request body in bytes (default 262144)",
         [](Config &c, const QString &v) -> std::optional<QString> {
             int bytes = 0;
             if (auto error = parseInt(v, 1024, 64 * 1024 * 1024, &bytes))
                 return error;
             c.maxBodyBytes = bytes;
             return std::nullopt;
         }},
        {"http-idle-timeout",
         "seconds an HTTP connection may wait for its next request, or for the client to read "
         "its answers, before it is closed (default 30)",
         [](Config &c, const QString &v) {
             return parseInt(v, 1, 3600, &c.httpIdleTimeoutSeconds);
         }},
        {"max-connections",
         "open HTTP and WebSocket connections in total; more are refused (default 0: the "
         "open-files limit less 64)",
         [](Config &c, const QString &v) { return parseInt(v, 0, 10'000'000, &c.maxConnections); }},
        {"max-connections-per-ip",
         "open connections per client IPv4 address or IPv6 /64; more are refused (default 200, "
         "0: no limit)",
         [](Config &c, const QString &v) {
             return parseInt(v, 0, 10'000'000, &c.maxConnectionsPerIp);
         }},
        {"max-outbound",
         "unsent bytes a connection may queue before it is closed with 4100 (default 4194304)",
         [](Config &c, const QString &v) -> std::optional<QString> {
             int bytes = 0;
             if (auto error = parseInt(v, 64 * 1024, 1024 * 1024 * 1024, &bytes))
                 return error;
             c.maxOutboundBytes = bytes;
             return std::nullopt;
         }},
        {"max-subscriptions",
         "channels one WebSocket connection may subscribe to; more are refused (default 100)",
         [](Config &c, const QString &v) { return parseInt(v, 1, 100000, &c.maxSubscriptions); }},
        {"max-presence-members",
         "distinct users on one presence channel; more are refused (default 100, as Pusher)",
         [](Config &c, const QString &v) { return parseInt(v, 1, 100000, &c.maxPresenceMembers); }},
        {"max-webhook-events",
         "webhook events (channel_occupied/vacated, member_added/removed, cache_miss) one "
         "connection may cause per minute before it is closed with 4301 (default 300)",
         [](Config &c, const QString &v) { return parseInt(v, 1, 1000000, &c.maxWebhookEvents); }},
        {"io-uring",
         "hand each event-loop pass's WebSocket sends to the kernel in one io_uring system call: "
         "on or off (default on; without kernel support each send is its own sendmsg)",
         [](Config &c, const QString &v) { return parseSwitch(v, &c.ioUring); }},
        {"io-threads",
         "threads that read and write the WebSocket connections: 1 keeps them on the event loop "
         "(default 0: one per core)",
         [](Config &c, const QString &v) { return parseInt(v, 0, 64, &c.ioThreads); }},
        {"message-rate", "messages per second per user, also the burst (default 5)",
         [](Config &c, const QString &v) {
             return parseDouble(v, 0.1, 1000000, &c.messagesPerSecond);
         }},
        {"client-event-rate", "client events per second per connection (default 10)",
         [](Config &c, const QString &v) {
             return parseDouble(v, 0.1, 10000, &c.clientEventsPerSecond);
         }},
        {"history-days", "days to keep channel event history (default 7)",
         [](Config &c, const QString &v) { return parseInt(v, 1, 3650, &c.historyRetentionDays); }},
        {"anti-snipe-seconds",
         "a bid this close to the end extends the auction to this (default 120)",
         [](Config &c, const QString &v) { return parseInt(v, 0, 3600, &c.antiSnipeSeconds); }},
        {"platform-fee-bps", "escrow fee in basis points (default 500 = 5 %)",
         [](Config &c, const QString &v) { return parseInt(v, 0, 5000, &c.platformFeeBps); }},
        {"max-live-auctions-per-seller",
         "live auctions one seller may run at once; more get 409 (default 20)",
         [](Config &c, const QString &v) {
             return parseInt(v, 1, 100000, &c.maxLiveAuctionsPerSeller);
         }},
        {"job-backoff-ms",
         "delay before a failed job's first retry; the second waits 5x (default 5000)",
         [](Config &c, const QString &v) { return parseInt(v, 1, 3600000, &c.jobBackoffMs); }},
        {"job-timeout",
         "seconds before a job a worker took and never finished is retried (default 60)",
         [](Config &c, const QString &v) { return parseInt(v, 1, 86400, &c.jobTimeoutSeconds); }},
        {"token-idle-days", "days without use after which a bearer token expires (default 30)",
         [](Config &c, const QString &v) -> std::optional<QString> {
             int days = 0;
             if (auto error = parseInt(v, 1, 3650, &days))
                 return error;
             c.tokenIdleSeconds = qint64(days) * 24 * 3600;
             return std::nullopt;
         }},
        {"auth-rate-ip",
         "sign-in and registration attempts per minute per client address, also the burst; "
         "0 turns it off (default 60)",
         [](Config &c, const QString &v) { return parseInt(v, 0, 1000000, &c.authAttemptsPerIp); }},
        {"auth-rate-account",
         "failed sign-ins per minute per email address, also the burst; 0 turns it off "
         "(default 5)",
         [](Config &c, const QString &v) {
             return parseInt(v, 0, 1000000, &c.authFailuresPerAccount);
         }},
        {"hash-workers", "password hashes (Argon2id, 64 MiB each) computed at once (default 2)",
         [](Config &c, const QString &v) { return parseInt(v, 1, 64, &c.hashWorkers); }},
        {"hash-queue",
         "password hashes that may wait for a worker; more are refused with 503 (default 16)",
         [](Config &c, const QString &v) { return parseInt(v, 0, 100000, &c.hashQueue); }},
        {"api-replay-cache",
         "signed Pusher API requests remembered for their 600 s window to refuse replays; when "
         "full, new ones get 429 (default 200000)",
         [](Config &c, const QString &v) {
             return parseInt(v, 1000, 100000000, &c.apiReplayCache);
         }},
        {"api-replay-grace",
         "seconds after its first use that an identical signed Pusher API request is still "
         "accepted; 0 accepts each exactly once (default 2)",
         [](Config &c, const QString &v) { return parseInt(v, 0, 60, &c.apiReplayGraceSeconds); }},
        {"tls-cert",
         "PEM certificate chain (server certificate first); with tls-key, serve HTTPS and WSS",
         [](Config &c, const QString &v) -> std::optional<QString> {
             c.tlsCertificateFile = v; // empty turns it off; serve reads and checks the file
             return std::nullopt;
         }},
        {"tls-key", "PEM private key (unencrypted) of the tls-cert certificate",
         [](Config &c, const QString &v) -> std::optional<QString> {
             c.tlsKeyFile = v;
             return std::nullopt;
         }},
    };
    return all;
}

QString envName(const QString &name)
{
    return QStringLiteral("FLIPPDEAL_") +
           name.toUpper().replace(QLatin1Char('-'), QLatin1Char('_'));
}

} // namespace

QStringList Config::settingNames()
{
    QStringList names;
    for (const Setting &s : settings())
        names.append(QString::fromLatin1(s.name));
    return names;
}

QString Config::describe(const QString &name)
{
    for (const Setting &s : settings()) {
        if (name == QLatin1String(s.name))
            return QString::fromLatin1(s.help);
    }
    return {};
}

namespace {

//! Sets `name` from `source` (a file, a variable or an option); the error names the source,
//! and never shows a secret's value.
std::optional<ApiError> applySetting(Config &config, const QString &name, const QString &value,
                                     const QString &source)
{
    for (const Setting &s : settings()) {
        if (name != QLatin1String(s.name))
            continue;
        const auto error = s.apply(config, value.trimmed());
        if (!error)
            return std::nullopt;
        if (s.secret)
            return ApiError::badRequest(
                QStringLiteral("%1: %2 %3 (the value is not shown: it may be secret)")
                    .arg(source, name, *error));
        return ApiError::badRequest(
            QStringLiteral("%1: %2 '%3' %4").arg(source, name, value, *error));
    }
    return ApiError::badRequest(QStringLiteral("%1: unknown setting '%2'").arg(source, name));
}

//! The settings of an INI file.
std::optional<ApiError> applyConfigFile(Config &config, const QString &path)
{
    if (!QFileInfo(path).isReadable())
        return ApiError::badRequest(QStringLiteral("config file '%1' cannot be read").arg(path));
    QSettings file(path, QSettings::IniFormat);
    if (file.status() != QSettings::NoError)
        return ApiError::badRequest(QStringLiteral("config file '%1' is not valid INI").arg(path));
    for (const QString &key : file.allKeys()) {
        const QString name = key.startsWith(QLatin1String("General/")) ? key.mid(8) : key;
        if (auto error = applySetting(config, name, file.value(key).toString(), path))
            return error;
    }
    return std::nullopt;
}

} // namespace

Expected<Config> Config::load(const QMap<QString, QString> &options)
{
    Config config;
    const QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    // 1. The config file, named on the command line or in the environment.
    config.configFile =
        options.value(QStringLiteral("config"), env.value(QStringLiteral("FLIPPDEAL_CONFIG")));
    if (!config.configFile.isEmpty()) {
        if (auto error = applyConfigFile(config, config.configFile))
            return *error;
    }
    // 2. The environment.
    for (const QString &name : settingNames()) {
        const QString var = envName(name);
        if (env.contains(var)) {
            if (auto error = applySetting(config, name, env.value(var), var))
                return *error;
        }
    }
    // 3. The command line.
    for (auto it = options.cbegin(); it != options.cend(); ++it) {
        if (it.key() == QLatin1String("config"))
            continue;
        if (auto error =
                applySetting(config, it.key(), it.value(), QStringLiteral("--") + it.key()))
            return *error;
    }
    if (config.dataDir.isEmpty())
        config.dataDir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    if (config.database.isEmpty())
        config.database = QStringLiteral("sqlite:") +
                          QDir(config.dataDir).filePath(QStringLiteral("flippdeal.sqlite"));
    return config;
}

std::optional<QString> Config::ensureSecret()
{
    if (!appSecret.isEmpty())
        return std::nullopt;
    if (!QDir().mkpath(dataDir))
        return QStringLiteral("cannot create the data folder '%1'").arg(dataDir);
    const QString path = QDir(dataDir).filePath(QStringLiteral("app-secret"));
    QFile file(path);
    if (file.exists()) {
        if (!file.open(QIODevice::ReadOnly))
            return QStringLiteral("cannot read '%1'").arg(path);
        appSecret = file.readAll().trimmed();
        if (appSecret.size() < 8)
            return QStringLiteral("'%1' holds no usable secret").arg(path);
        return std::nullopt;
    }
    QByteArray secret(32, Qt::Uninitialized);
    QFile random(QStringLiteral("/dev/urandom"));
    if (!random.open(QIODevice::ReadOnly) ||
        random.read(secret.data(), secret.size()) != secret.size())
        return QStringLiteral("cannot read /dev/urandom");
    secret = secret.toHex();
    if (!file.open(QIODevice::WriteOnly | QIODevice::NewOnly) ||
        !file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner) ||
        file.write(secret) != secret.size() || !file.flush())
        return QStringLiteral("cannot write '%1'").arg(path);
    appSecret = secret;
    return std::nullopt;
}

Expected<DatabaseUrl> DatabaseUrl::parse(const QString &text)
{
    DatabaseUrl url;
    if (text.startsWith(QLatin1String("sqlite:"))) {
        url.driver = Driver::Sqlite;
        url.path = text.mid(7);
        if (url.path.startsWith(QLatin1String("//")))
            url.path = url.path.mid(2);
        if (url.path.isEmpty())
            return ApiError::badRequest(QStringLiteral("must name a file after sqlite:"));
        return url;
    }
    if (text.startsWith(QLatin1String("postgres://")) ||
        text.startsWith(QLatin1String("postgresql://"))) {
        const QUrl parsed(text, QUrl::StrictMode);
        if (!parsed.isValid() || parsed.host().isEmpty())
            return ApiError::badRequest(
                QStringLiteral("must be a valid URL: postgres://user:password@host:port/database"));
        url.driver = Driver::Postgres;
        url.host = parsed.host();
        url.port = parsed.port(5432);
        url.user = parsed.userName(QUrl::FullyDecoded);
        url.password = parsed.password(QUrl::FullyDecoded);
        url.name = parsed.path().mid(1);
        if (url.name.isEmpty())
            return ApiError::badRequest(QStringLiteral(
                "must name a database: postgres://user:password@host:port/database"));
        return url;
    }
    return ApiError::badRequest(QStringLiteral("must start with sqlite: or postgres://"));
}

} // namespace flippdeal::server
