// SPDX-License-Identifier: MIT
#pragma once

#include "app/marketservices.h"
#include "core/config.h"

#include <QObject>
#include <QTimer>

#include <memory>

namespace flippdeal::server {

class AccountService;
class ClusterBus;
class ClusterPresence;
class ClusterPresenceStore;
class AdminService;
class WebhookDispatcher;
class AuctionService;
class EscrowService;
class JobQueue;
class JobWorker;
class OfferService;
class PaymentProvider;
class ChannelAuthorizer;
class Database;
class DomainService;
class EventStore;
class Gateway;
class HttpServer;
class MessageService;
class Metrics;
class NotificationService;
class ReadPool;
class Writer;
class Router;

//! \brief One server node: owns the database connection, the services, the HTTP server and the
//! WebSocket gateway, and wires them together. `serve` and the tests run it the same way.
class ServerApp : public QObject
{
    Q_OBJECT

public:
    explicit ServerApp(Config config, QObject *parent = nullptr);
    ~ServerApp() override;

    //! Opens and migrates the database and builds the services. False with errorString().
    bool open();
    //! Starts listening (after open()); publishes what the outbox still holds and starts the
    //! background work: job worker, auction scheduler, history pruning.
    bool listen();
    //! The auction scheduler's work, one tick: closes due auctions, sends countdowns.
    void runSchedulerTick();
    //! Starts only the auction scheduler (for `auctions:broadcast-countdowns`).
    void startScheduler();
    //! Stops the scheduler's timer (tests that must call it alone).
    void stopScheduler() { m_schedulerTimer.stop(); }
    //! Starts only the job worker (for `queue:work`).
    void startWorker();
    quint16 port() const;
    //! The port of the `metrics-listen` listener; 0 without one.
    quint16 metricsPort() const;
    //! The public HTTP server (after listen()).
    HttpServer *http() { return m_http.get(); }
    QString errorString() const { return m_error; }

    //! Closes every WebSocket with 1001 and stops listening; emits stopped() once the close
    //! frames are out (or after a short deadline).
    void shutdown();

    const Config &config() const { return m_config; }
    Database &database() { return *m_db; }
    ReadPool &reads() { return *m_reads; }
    Writer &writer() { return *m_writer; }
    Gateway &gateway() { return *m_gateway; }
    EventStore &events() { return *m_events; }
    WebhookDispatcher &webhooks() { return *m_webhooks; }
    AccountService &accounts() { return *m_accounts; }
    MessageService &messages() { return *m_messages; }
    NotificationService &notifications() { return *m_market->notifications; }
    DomainService &domains() { return *m_market->domains; }
    AuctionService &auctions() { return *m_market->auctions; }
    OfferService &offers() { return *m_offers; }
    EscrowService &escrows() { return *m_market->escrows; }
    PaymentProvider &payments() { return *m_market->payments; }
    JobQueue &jobs() { return *m_jobs; }
    JobWorker &worker() { return *m_worker; }
    AdminService &admin() { return *m_admin; }
    //! The link to the other nodes; nullptr without `redis`.
    ClusterBus *cluster() { return m_cluster.get(); }

Q_SIGNALS:
    void stopped();

private:
    //! The job queue (writing through the writer) and the worker with every job type.
    void createJobWorker();
    //! The gateway, the event store and the domain services.
    void createServices();
    //! The public router with every feature's route table.
    void createRouter();
    //! Loads the certificate and key into the HTTP server; false (and the error) if they fail.
    bool setUpTls();
    //! GET /metrics on its own listener (`metrics-listen`); false (and the error) if it fails.
    bool listenMetrics();
    void registerMetrics();
    //! The read pool's, the writer's and the outbox's.
    void registerStorageMetrics();
    void registerClusterMetrics();
    void pruneHistory();
    //! Cluster mode (`redis`): the bus the event store publishes through, and what it asks.
    void createCluster();
    //! listen() in a cluster: the bus gets the gateway and the presence, and connects.
    void startClusterNode();
    //! listen()'s second half: publishing, the outbox poll, pruning, the scheduler, the worker.
    void startServing();
    //! Emits stopped(), once what was published has reached Redis in a cluster.
    void finishStopping();
    //! Delivers to this node's subscribers the events committed since `sinceMs` (a link to
    //! Redis came back: what crossed nowhere meanwhile).
    void replayCommitted(qint64 sinceMs);

    Config m_config;
    QString m_error;
    std::unique_ptr<Database> m_db;
    std::unique_ptr<ReadPool> m_reads; // after m_db: the pool's connections close first
    std::unique_ptr<Gateway> m_gateway;
    std::unique_ptr<ClusterBus> m_cluster;           // after the gateway: it unhooks itself from it
    ClusterPresenceStore *m_presenceStore = nullptr; // the gateway's, in cluster mode
    std::unique_ptr<ClusterPresence> m_clusterPresence; // serving processes in a cluster
    std::unique_ptr<EventStore> m_events;
    std::unique_ptr<Writer> m_writer; // after m_events: its last jobs publish through it
    std::unique_ptr<AccountService> m_accounts;
    std::unique_ptr<MarketServices> m_market;
    std::unique_ptr<MessageService> m_messages;
    std::unique_ptr<OfferService> m_offers;
    std::unique_ptr<JobQueue> m_jobs;
    std::unique_ptr<JobWorker> m_worker;
    std::unique_ptr<ChannelAuthorizer> m_channelAuthorizer;
    std::unique_ptr<AdminService> m_admin;
    std::unique_ptr<WebhookDispatcher> m_webhooks;
    std::unique_ptr<Metrics> m_metrics;
    std::unique_ptr<Router> m_router;
    std::unique_ptr<HttpServer> m_http;
    std::unique_ptr<Router> m_metricsRouter;
    std::unique_ptr<HttpServer> m_metricsHttp; // metrics-listen
    QTimer m_pruneTimer;
    QTimer m_schedulerTimer;
    QTimer m_backlogTimer;
    bool m_serving = false; // listen() succeeded: this process publishes to its own sockets
};

} // namespace flippdeal::server
