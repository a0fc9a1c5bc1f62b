// SPDX-License-Identifier: MIT
#include "app/serverapp.h"
#include "app/marketservices.h"

#include "admin/adminservice.h"
#include "webhooks/webhookdispatcher.h"

#include "admin/adminroutes.h"
#include "auth/accountroutes.h"
#include "auth/accountservice.h"
#include "auth/channelauthorizer.h"
#include "cluster/clusterbus.h"
#include "cluster/clusterpresence.h"
#include "core/logging.h"
#include "escrow/escrowroutes.h"
#include "escrow/escrowservice.h"
#include "events/eventstore.h"
#include "events/historyroutes.h"
#include "gateway/gateway.h"
#include "http/connectionbudget.h"
#include "http/httpserver.h"
#include "http/tls.h"
#include "jobs/jobqueue.h"
#include "marketplace/auctionservice.h"
#include "marketplace/domainroutes.h"
#include "marketplace/marketroutes.h"
#include "marketplace/offerservice.h"
#include "messaging/messagingroutes.h"
#include "notifications/notificationroutes.h"
#include "operations/operationsroutes.h"
#include "payments/paymentprovider.h"
#include "pusherapi/pusherhttpapi.h"

#include "http/router.h"
#include "marketplace/domainservice.h"
#include "messaging/messageservice.h"
#include "notifications/notificationservice.h"
#include "operations/metrics.h"
#include "storage/database.h"
#include "storage/readpool.h"
#include "storage/writer.h"
#include <QCoreApplication>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSysInfo>
#include <QTcpSocket>
#include <QThread>

#include <sys/resource.h>

#include "protocol/timeformat.h"

namespace flippdeal::server {

namespace {
constexpr int PruneIntervalMs = 60 * 60 * 1000;
constexpr int ShutdownDeadlineMs = 3000;
constexpr int SchedulerTickMs = 250; // countdowns are due every second in the last minute
// Events other processes committed (workers, schedulers) are published by the serve nodes;
// the age keeps a node from re-sending its own events before their batched mark is written.
constexpr int BacklogMinAgeMs = 1000;
// In a cluster one node at a time (the lease holder) publishes the backlog to every node, and
// only what is older still: what a node just committed is its own to publish.
constexpr int ClusterBacklogMinAgeMs = 5000;
constexpr int OutboxLeaseMs = 3000;
constexpr int ShutdownFlushMs = 1000;
// The metrics listener serves a scraper or two, not the public.
constexpr int MetricsMaxConnections = 64;
// Reads that build a page off the event loop (history, conversations): two at once on this
// class of machine, and a queue that a flood fills in well under a second of their work.
constexpr int ReadThreads = 2;
constexpr int ReadCapacity = 256;

// Distributions start services with a soft open-files limit of 1024 and a much higher hard
// one; connections are descriptors, so take what the hard limit allows.
void raiseOpenFilesLimit()
{
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
}
} // namespace

ServerApp::ServerApp(Config config, QObject *parent)
    : QObject(parent)
    , m_config(std::move(config))
{}

ServerApp::~ServerApp()
{
    // The HTTP server and gateway go first: their connections reference the services.
    m_http.reset();
    m_metricsHttp.reset();
    // The writer's last batches commit and publish while the gateway is still there. Work
    // their answers start from then on (a fund's record after its charge) runs in place: the
    // event store must not hand it to a writer that is going away.
    if (m_events)
        m_events->setWriter(nullptr);
    m_writer.reset();
    // What the last closes recorded while a webhook store was still on the writer: stored in
    // place now (the store under way has ended with the writer).
    if (m_webhooks)
        m_webhooks->storePending();
    // The reads under way end before the services their answers go back to.
    m_reads.reset();
    if (m_cluster)
        m_cluster->setPresence(nullptr);
    m_clusterPresence.reset();
    m_cluster.reset(); // unhooks itself from the gateway
    m_gateway.reset();
}

bool ServerApp::open()
{
    m_db = std::make_unique<Database>();
    if (!m_db->openAndMigrate(m_config.database, &m_error))
        return false;

    m_reads = std::make_unique<ReadPool>(m_config.database, ReadThreads, ReadCapacity);
    createServices();
    m_writer = std::make_unique<Writer>(m_config.database);
    if (!m_writer->start()) {
        m_error =
            QStringLiteral("cannot open the writer's connection: %1").arg(m_writer->errorString());
        return false;
    }
    m_events->setWriter(m_writer.get());
    m_accounts->setEventStore(m_events.get());
    createJobWorker();
    m_channelAuthorizer =
        std::make_unique<ChannelAuthorizer>(*m_market->domains, m_config.appKey.toUtf8(),
                                            m_config.appSecret, m_config.encryptionMasterKey);
    // Every socket remembers whom it authenticated as, so that a ban, a revocation or a logout
    // reaches it on whatever channels it is.
    m_channelAuthorizer->setGrantObserver(
        [gateway = m_gateway.get()](const QString &socketId, const QString &channel, qint64 userId,
                                    const QByteArray &tokenDigest) {
            gateway->recordGrant(socketId, channel, QString::number(userId), tokenDigest);
        });
    connect(m_accounts.get(), &AccountService::signedOut, m_gateway.get(),
            [gateway = m_gateway.get()](const QByteArray &tokenDigest) {
                gateway->terminateSession(tokenDigest,
                                          int(protocol::ErrorCode::ConnectionIsUnauthorized),
                                          QStringLiteral("Signed out: sign in again."));
            });
    m_admin = std::make_unique<AdminService>(*m_db, *m_gateway, *m_events, *m_jobs, *m_accounts,
                                             *m_market->notifications, *m_market->domains,
                                             *m_market->auctions, *m_market->escrows);
    m_metrics = std::make_unique<Metrics>();

    if (m_cluster) {
        // A process without sockets of its own (`queue:work`, the scheduler) publishes through
        // Redis while it is up, and leaves its events to the serve nodes' outbox poll while not.
        connect(m_cluster.get(), &ClusterBus::up, this, [this] { m_events->setPublishing(true); });
        connect(m_cluster.get(), &ClusterBus::down, this,
                [this] { m_events->setPublishing(m_serving); });
        connect(m_cluster.get(), &ClusterBus::replayRequested, this, &ServerApp::replayCommitted);
        // The messages per second per user hold for the cluster, not per node.
        m_messages->setSharedLimit(
            [cluster = m_cluster.get(), rate = m_config.messagesPerSecond](qint64 userId) {
                return cluster->acquire("messages:" + QByteArray::number(userId), rate, rate);
            });
        m_cluster->start();
    }
    createRouter();
    registerMetrics();
    return true;
}

void ServerApp::createJobWorker()
{
    m_jobs = std::make_unique<JobQueue>(*m_db, m_config.jobBackoffMs,
                                        qint64(m_config.jobTimeoutSeconds) * 1000);
    m_jobs->setEventStore(m_events.get());
    m_worker = std::make_unique<JobWorker>(*m_jobs,
                                           QStringLiteral("%1:%2")
                                               .arg(QSysInfo::machineHostName())
                                               .arg(QCoreApplication::applicationPid()),
                                           500);
    // Pairs rather than structured bindings: clang (the tsan and fuzz builds) cannot capture
    // a structured binding in a lambda before C++20's P1091 support.
    for (const auto &entry :
         {std::pair{EscrowService::PayoutJob, &EscrowService::processPayout},
          std::pair{EscrowService::RefundJob, &EscrowService::processRefund},
          std::pair{EscrowService::SettleChargeJob, &EscrowService::settleCharge},
          std::pair{EscrowService::ReturnChargeJob, &EscrowService::returnLateCharge},
          std::pair{EscrowService::ReconcileChargeJob, &EscrowService::reconcileCharge}}) {
        m_worker->addFutureHandler(entry.first, [this, handler = entry.second](const Job &job) {
            return std::invoke(handler, *m_market->escrows, job);
        });
    }
    m_webhooks = std::make_unique<WebhookDispatcher>(*m_db, m_config.webhookUrls,
                                                     m_config.appKey.toUtf8(), m_config.appSecret);
    m_worker->addAsyncHandler(
        QString::fromLatin1(WebhookDispatcher::JobType),
        [this](const Job &job, const JobWorker::Done &done) { m_webhooks->deliver(job, done); });
}

void ServerApp::createServices()
{
    GatewayOptions gatewayOptions{
        m_config.appKey, m_config.appSecret, m_config.activityTimeoutSeconds,
        m_config.activityGraceSeconds, m_config.clientEventsPerSecond, m_config.maxOutboundBytes,
        m_config.maxSubscriptions, m_config.maxPresenceMembers,
        // Only where webhooks go out: that is the volume it bounds.
        m_config.webhookUrls.isEmpty() ? 0 : m_config.maxWebhookEvents, m_config.ioUring,
        m_config.ioThreads > 0 ? m_config.ioThreads : QThread::idealThreadCount()};
    std::unique_ptr<PresenceStore> presence = std::make_unique<LocalPresenceStore>();
    if (!m_config.redis.isEmpty()) {
        createCluster();
        auto clusterPresence = std::make_unique<ClusterPresenceStore>();
        m_presenceStore = clusterPresence.get();
        presence = std::move(clusterPresence);
    }
    m_gateway = std::make_unique<Gateway>(gatewayOptions, std::move(presence));
    m_events = std::make_unique<EventStore>(
        *m_db, m_cluster ? static_cast<Broadcaster &>(*m_cluster) : *m_gateway);
    m_gateway->setSequenceSource([db = m_db.get()](const QString &channel) {
        const auto seq = EventStore::lastSeq(*db, channel);
        return seq ? std::optional<qint64>(*seq) : std::nullopt;
    });
    m_accounts = std::make_unique<AccountService>(
        *m_db,
        AccountLimits{m_config.tokenIdleSeconds * 1000, m_config.authAttemptsPerIp,
                      m_config.authFailuresPerAccount, m_config.hashWorkers, m_config.hashQueue});
    m_accounts->stampUntrackedTokens(protocol::nowMs());
    m_market = std::make_unique<MarketServices>(*m_db, *m_events, m_config);
    m_messages = std::make_unique<MessageService>(*m_db, *m_events, *m_market->notifications,
                                                  m_config.messagesPerSecond);
    m_offers = std::make_unique<OfferService>(*m_events, *m_market->notifications,
                                              *m_market->escrows, *m_market->domains);
}

void ServerApp::createCluster()
{
    QString nodeId = m_config.nodeId;
    if (nodeId.isEmpty()) {
        QString host = QSysInfo::machineHostName().left(20);
        host.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9_-]")), QStringLiteral("-"));
        nodeId = QStringLiteral("%1-%2").arg(host).arg(
            QRandomGenerator::global()->generate() & 0xffffff, 6, 16, QLatin1Char('0'));
    }
    m_cluster =
        std::make_unique<ClusterBus>(*RedisUrl::parse(m_config.redis), m_config.appId, nodeId);
}

void ServerApp::startClusterNode()
{
    m_cluster->setLocal(m_gateway.get());
    m_clusterPresence = std::make_unique<ClusterPresence>(*m_cluster, *m_gateway, *m_presenceStore);
    const qint64 startedAt = protocol::nowMs();
    m_clusterPresence->setDescription([this, startedAt] {
        return QJsonDocument(
                   QJsonObject{
                       {QStringLiteral("node"), m_cluster->nodeId()},
                       {QStringLiteral("address"),
                        QStringLiteral("%1:%2").arg(m_config.listenAddress.toString()).arg(port())},
                       {QStringLiteral("connections"), m_gateway->connectionCount()},
                       {QStringLiteral("started_at"), protocol::isoUtc(startedAt)}})
            .toJson(QJsonDocument::Compact);
    });
    m_cluster->setPresence(m_clusterPresence.get());
    m_cluster->start();
}

void ServerApp::replayCommitted(qint64 sinceMs)
{
    if (!m_serving)
        return;
    const auto events = EventStore::committedSince(*m_db, sinceMs);
    if (!events)
        return;
    for (const StoredEvent &event : *events)
        m_gateway->broadcast(
            BroadcastEvent{event.channel, event.event, event.data, event.seq, QString()});
    qCInfo(lcApp) << "cluster: replayed" << events->size()
                  << "events committed while a link to Redis was down";
}

void ServerApp::createRouter()
{
    m_router = std::make_unique<Router>();
    m_router->setAuthenticator([this](const QByteArray &token) {
        return m_accounts->authenticate(token, protocol::nowMs());
    });
    // On PostgreSQL a token's lookup is a round trip: it runs on the read pool, and the route
    // once it is back. On SQLite it is a local read that never waits for the writer (WAL),
    // cheaper in place than a hand-over to another thread.
    if (m_db->dialect() == Database::Dialect::Postgres) {
        m_accounts->setReadPool(m_reads.get());
        m_router->setAsyncAuthenticator([this](const QByteArray &token) {
            return m_accounts->authenticateLater(token, protocol::nowMs());
        });
    }
    // The order counts where patterns overlap (see Router::add()).
    m_router->add(accountRoutes(*m_accounts, *m_channelAuthorizer));
    m_router->add(messagingRoutes(*m_messages, *m_reads));
    m_router->add(notificationRoutes(*m_market->notifications, *m_reads));
    m_router->add(domainRoutes(*m_market->domains));
    m_router->add(marketRoutes(*m_market->domains, *m_market->auctions, *m_offers));
    m_router->add(escrowRoutes(*m_market->escrows));
    m_router->add(historyRoutes(*m_reads, *m_channelAuthorizer));
    m_router->add(pusherApiRoutes(m_config, *m_events, *m_gateway));
    m_router->add(adminRoutes(*m_admin));
    m_router->add(healthRoutes(
        *m_db, m_cluster
                   ? std::function<bool()>([cluster = m_cluster.get()] { return cluster->isUp(); })
                   : std::function<bool()>()));
    if (!m_config.metricsListenEnabled())
        m_router->add(metricsRoutes(*m_metrics));
}

bool ServerApp::listen()
{
    raiseOpenFilesLimit();
    const HttpServerOptions httpOptions{m_config.maxBodyBytes,
                                        m_config.httpIdleTimeoutSeconds * 1000,
                                        m_config.maxConnections, m_config.maxConnectionsPerIp};
    m_http = std::make_unique<HttpServer>(*m_router, httpOptions);
    if (m_config.tlsEnabled() && !setUpTls())
        return false;
    connect(m_http.get(), &HttpServer::webSocketUpgradeRequested, m_gateway.get(),
            &Gateway::handleUpgrade);
    connect(m_http.get(), &HttpServer::requestServed, this,
            [this](const QByteArray &method, const QString &route, int status, qint64 micros) {
                m_metrics->recordRequest(method, route, status, micros);
            });
    if (!m_http->listen(m_config.listenAddress, m_config.listenPort)) {
        m_error = QStringLiteral("cannot listen on %1:%2: %3")
                      .arg(m_config.listenAddress.toString())
                      .arg(m_config.listenPort)
                      .arg(m_http->errorString());
        return false;
    }
    qCInfo(lcApp).noquote() << "accepting up to" << m_http->options().maxConnections
                            << "connections," << m_config.maxConnectionsPerIp << "per address";
    if (m_http->options().maxConnections > ConnectionBudget::automaticMaxTotal())
        qCWarning(lcApp).noquote()
            << QStringLiteral("max-connections %1 is above what the open-files limit leaves room "
                              "for (%2): at the limit, connections wait in the backlog instead "
                              "of being refused")
                   .arg(m_http->options().maxConnections)
                   .arg(ConnectionBudget::automaticMaxTotal());
    if (m_config.metricsListenEnabled() && !listenMetrics())
        return false;
    if (m_market->payments->isSandbox())
        qCInfo(lcApp) << "payments: the sandbox provider, which records charges, refunds and "
                         "payouts and moves no real money";
    startServing();
    return true;
}

void ServerApp::startServing()
{
    m_serving = true;
    if (m_cluster)
        startClusterNode();
    m_events->setPublishing(true);
    if (!m_cluster) // in a cluster, the lease holder's poll does it
        m_events->publishBacklog();
    pruneHistory();
    m_pruneTimer.setInterval(PruneIntervalMs);
    connect(&m_pruneTimer, &QTimer::timeout, this, &ServerApp::pruneHistory);
    m_pruneTimer.start();
    // Events committed by other processes (queue workers, schedulers, other nodes).
    m_backlogTimer.setInterval(m_config.outboxPollMs);
    connect(&m_backlogTimer, &QTimer::timeout, this, [this] {
        m_events->publishRelayed();
        if (!m_cluster) {
            m_events->publishBacklog(BacklogMinAgeMs);
            return;
        }
        // Without Redis nothing is published from the backlog: it would reach this node's
        // clients only and be marked; the replay once Redis is back covers it.
        if (m_cluster->isUp())
            m_cluster->whenLeader("outbox", OutboxLeaseMs,
                                  [this] { m_events->publishBacklog(ClusterBacklogMinAgeMs); });
    });
    if (m_config.outboxPollMs > 0)
        m_backlogTimer.start();
    // Bans and token revocations made elsewhere (the CLI, another node) drop the user's
    // connections here too.
    m_admin->watchBans();
    m_webhooks->setEventStore(m_events.get());
    m_webhooks->watch(*m_gateway);
    startScheduler();
    startWorker();
}

bool ServerApp::setUpTls()
{
    const auto tls = loadTlsConfiguration(m_config.tlsCertificateFile, m_config.tlsKeyFile);
    if (!tls) {
        m_error = tls.error().message;
        return false;
    }
    m_http->setTlsConfiguration(*tls);
    const QSslCertificate certificate = tls->localCertificate();
    qCInfo(lcApp).noquote() << "serving HTTPS and WSS with" << describeCertificate(certificate);
    if (certificate.expiryDate() < QDateTime::currentDateTimeUtc())
        qCWarning(lcApp).noquote() << "the TLS certificate has expired: clients will refuse it";
    return true;
}

bool ServerApp::listenMetrics()
{
    m_metricsRouter = std::make_unique<Router>();
    m_metricsRouter->add(metricsRoutes(*m_metrics));
    m_metricsHttp = std::make_unique<HttpServer>(
        *m_metricsRouter, HttpServerOptions{64 * 1024, m_config.httpIdleTimeoutSeconds * 1000,
                                            MetricsMaxConnections, 0});
    if (!m_metricsHttp->listen(m_config.metricsListenAddress, m_config.metricsListenPort)) {
        m_error = QStringLiteral("cannot listen on %1:%2 (metrics-listen): %3")
                      .arg(m_config.metricsListenAddress.toString())
                      .arg(m_config.metricsListenPort)
                      .arg(m_metricsHttp->errorString());
        return false;
    }
    return true;
}

void ServerApp::runSchedulerTick()
{
    const qint64 now = protocol::nowMs();
    m_market->auctions->closeDueAuctions(now);
    m_market->auctions->broadcastCountdowns(now);
}

void ServerApp::startScheduler()
{
    m_schedulerTimer.setInterval(SchedulerTickMs);
    connect(&m_schedulerTimer, &QTimer::timeout, this, &ServerApp::runSchedulerTick,
            Qt::UniqueConnection);
    m_schedulerTimer.start();
    runSchedulerTick();
}

void ServerApp::startWorker()
{
    m_worker->start();
}

quint16 ServerApp::port() const
{
    return m_http ? m_http->serverPort() : 0;
}

quint16 ServerApp::metricsPort() const
{
    return m_metricsHttp ? m_metricsHttp->serverPort() : 0;
}

void ServerApp::registerMetrics()
{
    using Kind = Metrics::Kind;
    Gateway *gateway = m_gateway.get();
    EventStore *events = m_events.get();
    m_metrics->addValue(QStringLiteral("flippdeal_connections"),
                        QStringLiteral("Open WebSocket connections."), Kind::Gauge,
                        [gateway] { return gateway->connectionCount(); });
    m_metrics->addValue(QStringLiteral("flippdeal_channels"),
                        QStringLiteral("Channels with at least one subscriber."), Kind::Gauge,
                        [gateway] { return gateway->channelCount(); });
    m_metrics->addValue(QStringLiteral("flippdeal_frames_in_total"),
                        QStringLiteral("WebSocket frames received."), Kind::Counter,
                        [gateway] { return double(gateway->framesIn()); });
    m_metrics->addValue(QStringLiteral("flippdeal_frames_out_total"),
                        QStringLiteral("WebSocket frames sent."), Kind::Counter,
                        [gateway] { return double(gateway->framesOut()); });
    m_metrics->addValue(
        QStringLiteral("flippdeal_slow_consumer_disconnects_total"),
        QStringLiteral("Connections closed with 4100 because they stopped reading."), Kind::Counter,
        [gateway] { return double(gateway->slowConsumerDisconnects()); });
    m_metrics->addValue(QStringLiteral("flippdeal_ws_sends_total"),
                        QStringLiteral("WebSocket sends made at the end of event-loop passes."),
                        Kind::Counter, [gateway] { return double(gateway->passSends()); });
    m_metrics->addValue(QStringLiteral("flippdeal_ws_send_syscalls_total"),
                        QStringLiteral("System calls those sends took (io_uring batches them)."),
                        Kind::Counter, [gateway] { return double(gateway->passSendCalls()); });
    m_metrics->addValue(QStringLiteral("flippdeal_ws_io_threads"),
                        QStringLiteral("Threads doing the WebSocket I/O (1: the event loop)."),
                        Kind::Gauge, [gateway] { return double(gateway->ioThreadCount()); });
    m_metrics->addValue(
        QStringLiteral("flippdeal_ws_read_pauses_total"),
        QStringLiteral("Times an I/O thread stopped reading until the event loop caught up."),
        Kind::Counter, [gateway] { return double(gateway->readPauses()); });
    m_metrics->addValue(QStringLiteral("flippdeal_events_published_total"),
                        QStringLiteral("Stored events broadcast."), Kind::Counter,
                        [events] { return double(events->publishedCount()); });
    JobQueue *jobs = m_jobs.get();
    m_metrics->addValue(QStringLiteral("flippdeal_queue_depth"),
                        QStringLiteral("Jobs waiting or running."), Kind::Gauge, [jobs] {
                            const QueueStats s = jobs->stats(protocol::nowMs());
                            return double(s.ready + s.delayed + s.reserved);
                        });
    m_metrics->addValue(QStringLiteral("flippdeal_failed_jobs"),
                        QStringLiteral("Jobs that used up their attempts."), Kind::Gauge,
                        [jobs] { return double(jobs->stats(protocol::nowMs()).failed); });
    m_metrics->addValue(QStringLiteral("flippdeal_http_connections"),
                        QStringLiteral("Open HTTP connections (not yet upgraded)."), Kind::Gauge,
                        [this] { return m_http ? m_http->connectionCount() : 0; });
    m_metrics->addValue(
        QStringLiteral("flippdeal_connections_refused_total"),
        QStringLiteral("Connections refused at max-connections or max-connections-per-ip."),
        Kind::Counter, [this] { return m_http ? double(m_http->refusedConnections()) : 0.0; });
    m_metrics->addValue(
        QStringLiteral("flippdeal_accept_pauses_total"),
        QStringLiteral("Times accepting paused because the process ran out of descriptors."),
        Kind::Counter, [this] { return m_http ? double(m_http->acceptPauses()) : 0.0; });
    registerStorageMetrics();
    if (m_cluster)
        registerClusterMetrics();
}

void ServerApp::registerClusterMetrics()
{
    using Kind = Metrics::Kind;
    ClusterBus *cluster = m_cluster.get();
    m_metrics->addValue(QStringLiteral("flippdeal_redis_up"),
                        QStringLiteral("1 while this node's links to Redis are up, else 0."),
                        Kind::Gauge, [cluster] { return cluster->isUp() ? 1.0 : 0.0; });
    m_metrics->addValue(QStringLiteral("flippdeal_redis_reconnects_total"),
                        QStringLiteral("Connection attempts to Redis after the first."),
                        Kind::Counter, [cluster] { return double(cluster->reconnects()); });
    m_metrics->addValue(QStringLiteral("flippdeal_cluster_messages_sent_total"),
                        QStringLiteral("Events and commands published to the other nodes."),
                        Kind::Counter, [cluster] { return double(cluster->sentCount()); });
    m_metrics->addValue(QStringLiteral("flippdeal_cluster_messages_received_total"),
                        QStringLiteral("Events and commands received from the other nodes."),
                        Kind::Counter, [cluster] { return double(cluster->receivedCount()); });
    m_metrics->addValue(QStringLiteral("flippdeal_cluster_replays_total"),
                        QStringLiteral("Replays of committed events to this node's subscribers."),
                        Kind::Counter, [cluster] { return double(cluster->replayCount()); });
    m_metrics->addValue(
        QStringLiteral("flippdeal_cluster_messages_unsent_total"),
        QStringLiteral("Messages not published because Redis was down or too far behind."),
        Kind::Counter, [cluster] { return double(cluster->unsentCount()); });
}

void ServerApp::registerStorageMetrics()
{
    using Kind = Metrics::Kind;
    ReadPool *reads = m_reads.get();
    m_metrics->addValue(QStringLiteral("flippdeal_reads_in_pool"),
                        QStringLiteral("Page reads running or waiting on the read pool."),
                        Kind::Gauge, [reads] { return double(reads->size()); });
    m_metrics->addValue(QStringLiteral("flippdeal_reads_refused_total"),
                        QStringLiteral("Page reads answered 503 because the read pool was full."),
                        Kind::Counter, [reads] { return double(reads->refusedCount()); });
    Writer *writer = m_writer.get();
    m_metrics->addValue(QStringLiteral("flippdeal_writes_in_queue"),
                        QStringLiteral("Writes running or waiting on the writer thread."),
                        Kind::Gauge, [writer] { return double(writer->size()); });
    m_metrics->addValue(QStringLiteral("flippdeal_writes_refused_total"),
                        QStringLiteral("Writes answered 503 because the writer's queue was full."),
                        Kind::Counter, [writer] { return double(writer->refusedCount()); });
    m_metrics->addValue(QStringLiteral("flippdeal_write_batches_total"),
                        QStringLiteral("Transactions (commits) the writer thread ran."),
                        Kind::Counter, [writer] { return double(writer->batchCount()); });
    m_metrics->addValue(QStringLiteral("flippdeal_writes_committed_total"),
                        QStringLiteral("Writes the writer thread committed, in all its batches."),
                        Kind::Counter, [writer] { return double(writer->committedJobCount()); });
    EventStore *events = m_events.get();
    m_metrics->addValue(QStringLiteral("flippdeal_outbox_backlog"),
                        QStringLiteral("Committed events not yet marked as published."),
                        Kind::Gauge, [events] { return double(events->backlog()); });
}

void ServerApp::pruneHistory()
{
    const qint64 cutoff =
        protocol::nowMs() - qint64(m_config.historyRetentionDays) * 24 * 3600 * 1000;
    m_accounts->purgeIdleTokens(protocol::nowMs());
    m_events->prune(cutoff).then(this, [days = m_config.historyRetentionDays](int removed) {
        if (removed > 0)
            qCInfo(lcEvents) << "pruned" << removed << "events older than" << days << "days";
    });
}

void ServerApp::finishStopping()
{
    // The last events are in Redis before the process ends, not in a buffer it frees.
    if (m_cluster)
        m_cluster->whenFlushed(ShutdownFlushMs, [this] { Q_EMIT stopped(); });
    else
        Q_EMIT stopped();
}

void ServerApp::shutdown()
{
    qCInfo(lcApp) << "shutting down";
    m_pruneTimer.stop();
    m_schedulerTimer.stop();
    m_backlogTimer.stop();
    if (m_worker)
        m_worker->stop();
    if (m_http)
        m_http->close();
    if (m_metricsHttp)
        m_metricsHttp->close();
    if (!m_gateway) {
        if (m_events)
            m_events->flush();
        finishStopping();
        return;
    }
    m_gateway->closeAll(1001 /* going away */, QStringLiteral("Server shutting down"));
    auto *deadline = new QTimer(this);
    deadline->setSingleShot(true);
    auto done = std::make_shared<bool>(false);
    auto finish = [this, deadline, done] {
        if (std::exchange(*done, true))
            return;
        deadline->stop();
        deadline->deleteLater();
        m_events->flush();
        m_webhooks->storePending(); // the channel_vacated of the connections just closed
        finishStopping();
    };
    if (m_gateway->connectionCount() == 0) {
        QTimer::singleShot(0, this, finish);
        return;
    }
    connect(deadline, &QTimer::timeout, this, finish);
    connect(m_gateway.get(), &Gateway::connectionClosed, deadline, [this, finish] {
        if (m_gateway->connectionCount() == 0)
            finish();
    });
    deadline->start(ShutdownDeadlineMs);
}

} // namespace flippdeal::server
