// SPDX-License-Identifier: MIT
#include "app/commands/commandcontext.h"
#include "app/marketservices.h"

#include "admin/adminservice.h"
#include "auth/accountservice.h"
#include "escrow/escrowservice.h"
#include "events/eventstore.h"
#include "gateway/gateway.h"
#include "jobs/jobqueue.h"
#include "marketplace/auctionservice.h"
#include "marketplace/domainservice.h"
#include "notifications/notificationservice.h"
#include "payments/paymentprovider.h"
#include "storage/database.h"

#include "protocol/timeformat.h"

namespace flippdeal::server::cli {

CommandContext::CommandContext(const Config &config)
    : m_config(config)
{}

CommandContext::~CommandContext() = default;

bool CommandContext::open()
{
    m_db = std::make_unique<Database>();
    if (!m_db->openAndMigrate(m_config.database, &m_error))
        return false;
    return true;
}

AccountService &CommandContext::accounts()
{
    if (!m_accounts) {
        m_accounts = std::make_unique<AccountService>(
            *m_db, AccountLimits{m_config.tokenIdleSeconds * 1000, m_config.authAttemptsPerIp,
                                 m_config.authFailuresPerAccount, m_config.hashWorkers,
                                 m_config.hashQueue});
        m_accounts->stampUntrackedTokens(protocol::nowMs()); // as ServerApp::open() does
    }
    return *m_accounts;
}

JobQueue &CommandContext::jobs()
{
    if (!m_jobs)
        m_jobs = std::make_unique<JobQueue>(*m_db, m_config.jobBackoffMs,
                                            qint64(m_config.jobTimeoutSeconds) * 1000);
    return *m_jobs;
}

AdminService &CommandContext::admin()
{
    if (m_admin)
        return *m_admin;
    // This process publishes nothing: its events stay in the outbox for the serve nodes.
    m_gateway = std::make_unique<Gateway>(
        GatewayOptions{m_config.appKey, m_config.appSecret, m_config.activityTimeoutSeconds,
                       m_config.activityGraceSeconds, m_config.clientEventsPerSecond,
                       m_config.maxOutboundBytes, m_config.maxSubscriptions,
                       m_config.maxPresenceMembers, 0},
        std::make_unique<LocalPresenceStore>());
    m_events = std::make_unique<EventStore>(*m_db, *m_gateway);
    m_market = std::make_unique<MarketServices>(*m_db, *m_events, m_config);
    m_admin = std::make_unique<AdminService>(*m_db, *m_gateway, *m_events, jobs(), accounts(),
                                             *m_market->notifications, *m_market->domains,
                                             *m_market->auctions, *m_market->escrows);
    return *m_admin;
}

} // namespace flippdeal::server::cli
