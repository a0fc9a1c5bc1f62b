// SPDX-License-Identifier: MIT
// Versioned schema migrations. Each step is one transaction; `schema_migrations` records the
// steps applied. Append new steps at the end; never edit a step that has shipped.
#include "core/logging.h"
#include "storage/database.h"

#include "protocol/timeformat.h"

#include <QSqlError>
#include <QSqlQuery>

namespace flippdeal::server {

namespace {

// Portable DDL: `%ID%` becomes the dialect's auto-increment primary key. Everything else
// (BIGINT, TEXT, partial indexes, ON CONFLICT, RETURNING) runs on SQLite 3.35+ and PostgreSQL.
const char *const schemaV1[] = {
    R"(CREATE TABLE users (
        id %ID%,
        name TEXT NOT NULL,
        email TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL DEFAULT 'user',
        banned_at BIGINT,
        created_at BIGINT NOT NULL))",
    R"(CREATE TABLE api_tokens (
        id %ID%,
        user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        token_hash TEXT NOT NULL UNIQUE,
        created_at BIGINT NOT NULL,
        last_used_at BIGINT))",
    "CREATE INDEX api_tokens_user ON api_tokens (user_id)",
    R"(CREATE TABLE domains (
        id %ID%,
        owner_id BIGINT NOT NULL REFERENCES users(id),
        name TEXT NOT NULL,
        status TEXT NOT NULL,
        enable_bidding INTEGER NOT NULL DEFAULT 0,
        min_increment_cents BIGINT NOT NULL DEFAULT 100,
        reserve_cents BIGINT,
        buy_now_cents BIGINT,
        current_bid_cents BIGINT NOT NULL DEFAULT 0,
        bid_count INTEGER NOT NULL DEFAULT 0,
        high_bidder_id BIGINT REFERENCES users(id),
        ends_at BIGINT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL))",
    "CREATE INDEX domains_owner ON domains (owner_id)",
    "CREATE INDEX domains_status_ends ON domains (status, ends_at)",
    R"(CREATE TABLE bids (
        id %ID%,
        domain_id BIGINT NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
        user_id BIGINT NOT NULL REFERENCES users(id),
        amount_cents BIGINT NOT NULL,
        created_at BIGINT NOT NULL))",
    "CREATE INDEX bids_domain_amount ON bids (domain_id, amount_cents)",
    "CREATE INDEX bids_domain_user ON bids (domain_id, user_id)",
    R"(CREATE TABLE offers (
        id %ID%,
        domain_id BIGINT NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
        user_id BIGINT NOT NULL REFERENCES users(id),
        amount_cents BIGINT NOT NULL,
        status TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL))",
    "CREATE INDEX offers_domain_user ON offers (domain_id, user_id)",
    R"(CREATE TABLE watchers (
        domain_id BIGINT NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
        user_id BIGINT NOT NULL REFERENCES users(id),
        created_at BIGINT NOT NULL,
        PRIMARY KEY (domain_id, user_id)))",
    R"(CREATE TABLE messages (
        id %ID%,
        from_user_id BIGINT NOT NULL REFERENCES users(id),
        to_user_id BIGINT NOT NULL REFERENCES users(id),
        domain_id BIGINT REFERENCES domains(id) ON DELETE SET NULL,
        body TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        read_at BIGINT))",
    // Conversations page by (from, to) in both directions, newest first.
    "CREATE INDEX messages_pair ON messages (from_user_id, to_user_id, id)",
    // Unread counts scan only a recipient's unread rows.
    "CREATE INDEX messages_unread ON messages (to_user_id, read_at)",
    R"(CREATE TABLE notifications (
        id %ID%,
        user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        type TEXT NOT NULL,
        data TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        read_at BIGINT))",
    "CREATE INDEX notifications_user ON notifications (user_id, id)",
    "CREATE INDEX notifications_unread ON notifications (user_id, read_at)",
    // The transactional outbox and event history (gap-free delivery).
    R"(CREATE TABLE channel_sequences (
        channel TEXT PRIMARY KEY,
        last_seq BIGINT NOT NULL))",
    R"(CREATE TABLE channel_events (
        id %ID%,
        channel TEXT NOT NULL,
        seq BIGINT NOT NULL,
        event TEXT NOT NULL,
        data TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        published_at BIGINT,
        UNIQUE (channel, seq)))",
    "CREATE INDEX channel_events_created ON channel_events (created_at)",
    "CREATE INDEX channel_events_unpublished ON channel_events (id) WHERE published_at IS NULL",
};

// Version 2: offers negotiation, escrow with its audit trail, the durable job queue and the
// sandbox payment provider's ledger.
const char *const schemaV2[] = {
    "ALTER TABLE offers ADD COLUMN counter_cents BIGINT",
    R"(CREATE TABLE escrows (
        id %ID%,
        domain_id BIGINT NOT NULL REFERENCES domains(id),
        buyer_id BIGINT NOT NULL REFERENCES users(id),
        seller_id BIGINT NOT NULL REFERENCES users(id),
        amount_cents BIGINT NOT NULL,
        fee_cents BIGINT NOT NULL,
        status TEXT NOT NULL,
        source TEXT NOT NULL,
        offer_id BIGINT REFERENCES offers(id),
        payout_reference TEXT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL))",
    // At most one escrow per domain that is still going somewhere.
    "CREATE UNIQUE INDEX escrows_one_open_per_domain ON escrows (domain_id) "
    "WHERE status NOT IN ('refunded', 'cancelled')",
    "CREATE INDEX escrows_buyer ON escrows (buyer_id)",
    "CREATE INDEX escrows_seller ON escrows (seller_id)",
    R"(CREATE TABLE escrow_events (
        id %ID%,
        escrow_id BIGINT NOT NULL REFERENCES escrows(id),
        from_status TEXT NOT NULL,
        to_status TEXT NOT NULL,
        actor_id BIGINT,
        reason TEXT,
        created_at BIGINT NOT NULL))",
    "CREATE INDEX escrow_events_escrow ON escrow_events (escrow_id, id)",
    R"(CREATE TABLE jobs (
        id %ID%,
        type TEXT NOT NULL,
        payload TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        max_attempts INTEGER NOT NULL,
        available_at BIGINT NOT NULL,
        reserved_at BIGINT,
        reserved_by TEXT,
        last_error TEXT,
        created_at BIGINT NOT NULL))",
    "CREATE INDEX jobs_available ON jobs (available_at, id)",
    R"(CREATE TABLE failed_jobs (
        id %ID%,
        job_id BIGINT NOT NULL,
        type TEXT NOT NULL,
        payload TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        error TEXT NOT NULL,
        failed_at BIGINT NOT NULL))",
    R"(CREATE TABLE sandbox_payouts (
        id %ID%,
        idempotency_key TEXT NOT NULL UNIQUE,
        seller_id BIGINT NOT NULL,
        amount_cents BIGINT NOT NULL,
        created_at BIGINT NOT NULL))",
};

// Version 3: when each auction's last countdown went out, so that several schedulers (serve
// nodes, auctions:broadcast-countdowns) send each countdown once between them.
const char *const schemaV3[] = {
    "ALTER TABLE domains ADD COLUMN last_countdown_at BIGINT",
};

// Version 4: a client's own id for a message (`client_id`), so that a message sent again after
// a lost answer is stored once.
const char *const schemaV4[] = {
    "ALTER TABLE messages ADD COLUMN client_id TEXT",
    "CREATE UNIQUE INDEX messages_client_id ON messages (from_user_id, client_id)",
};

// Version 5: escrow funding through the payment provider (the charge an escrow was funded by,
// the refund it was returned by) and the sandbox provider's charges and refunds; a relay for
// transient events (countdowns) of processes without a gateway; and the history a domain's
// watchers must not read (escrow and offer events) and countdown beats leave the history.
const char *const schemaV5[] = {
    "ALTER TABLE escrows ADD COLUMN charge_reference TEXT",
    "ALTER TABLE escrows ADD COLUMN charge_status TEXT",
    "ALTER TABLE escrows ADD COLUMN charged_cents BIGINT",
    "ALTER TABLE escrows ADD COLUMN charge_attempts INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE escrows ADD COLUMN refund_reference TEXT",
    R"(CREATE TABLE sandbox_charges (
        id %ID%,
        idempotency_key TEXT NOT NULL UNIQUE,
        buyer_id BIGINT NOT NULL,
        amount_cents BIGINT NOT NULL,
        status TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        settled_at BIGINT))",
    R"(CREATE TABLE sandbox_refunds (
        id %ID%,
        idempotency_key TEXT NOT NULL UNIQUE,
        charge_id BIGINT NOT NULL REFERENCES sandbox_charges(id),
        amount_cents BIGINT NOT NULL,
        created_at BIGINT NOT NULL))",
    R"(CREATE TABLE transient_events (
        id %ID%,
        channel TEXT NOT NULL,
        event TEXT NOT NULL,
        data TEXT NOT NULL,
        created_at BIGINT NOT NULL))",
    "DELETE FROM channel_events WHERE channel LIKE 'private-domain.%' AND event IN "
    "('EscrowUpdated', 'OfferMade', 'OfferUpdated')",
    "DELETE FROM channel_events WHERE event = 'AuctionCountdown'",
};

// Version 6: webhook events, stored the moment they happen and sent from here (in batches, one
// job per receiver), so a crash loses none. `hold_key` marks a channel_vacated/member_removed
// held until `due_at`, which the matching channel_occupied/member_added cancels.
const char *const schemaV6[] = {
    R"(CREATE TABLE webhook_events (
        id %ID%,
        hold_key TEXT,
        event TEXT NOT NULL,
        due_at BIGINT NOT NULL,
        created_at BIGINT NOT NULL))",
    "CREATE INDEX webhook_events_due ON webhook_events (due_at, id)",
};

constexpr int LatestVersion = 6;

} // namespace

int Database::latestSchemaVersion()
{
    return LatestVersion;
}

int Database::schemaVersion()
{
    QSqlQuery query(m_db);
    if (!query.exec(QStringLiteral("SELECT MAX(version) FROM schema_migrations")) || !query.next())
        return 0;
    return query.value(0).toInt();
}

bool Database::migrateTo(int version)
{
    const QString id = m_dialect == Dialect::Sqlite
                           ? QStringLiteral("INTEGER PRIMARY KEY AUTOINCREMENT")
                           : QStringLiteral("BIGSERIAL PRIMARY KEY");
    QList<const char *> steps;
    switch (version) {
    case 1:
        for (const char *sql : schemaV1)
            steps.append(sql);
        break;
    case 2:
        for (const char *sql : schemaV2)
            steps.append(sql);
        break;
    case 3:
        for (const char *sql : schemaV3)
            steps.append(sql);
        break;
    case 4:
        for (const char *sql : schemaV4)
            steps.append(sql);
        break;
    case 5:
        for (const char *sql : schemaV5)
            steps.append(sql);
        break;
    case 6:
        for (const char *sql : schemaV6)
            steps.append(sql);
        break;
    default:
        m_error = QStringLiteral("no migration to version %1").arg(version);
        return false;
    }
    for (const char *sql : steps) {
        if (!exec(QString::fromUtf8(sql).replace(QLatin1String("%ID%"), id)))
            return false;
    }
    QSqlQuery record(m_db);
    record.prepare(
        QStringLiteral("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)"));
    record.addBindValue(version);
    record.addBindValue(protocol::nowMs());
    if (!record.exec()) {
        m_error = record.lastError().text();
        return false;
    }
    return true;
}

bool Database::migrate()
{
    // Concurrent CREATE TABLE IF NOT EXISTS is not safe on PostgreSQL (two creators can collide
    // in the catalog), so the bookkeeping table is created under the same lock as the steps.
    const QString createTable =
        QStringLiteral("CREATE TABLE IF NOT EXISTS schema_migrations ("
                       "version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)");
    if (m_dialect == Dialect::Postgres) {
        if (!exec(QStringLiteral("BEGIN")) ||
            !exec(QStringLiteral("SELECT pg_advisory_xact_lock(7400001)")) || !exec(createTable) ||
            !exec(QStringLiteral("COMMIT"))) {
            exec(QStringLiteral("ROLLBACK"));
            return false;
        }
    } else if (!exec(createTable)) {
        return false;
    }
    // Serialize concurrent migrators (several nodes starting at once): SQLite takes the write
    // lock up front, PostgreSQL a transaction-scoped advisory lock.
    for (int version = schemaVersion() + 1; version <= LatestVersion; ++version) {
        const bool begun = m_dialect == Dialect::Sqlite
                               ? exec(QStringLiteral("BEGIN IMMEDIATE"))
                               : exec(QStringLiteral("BEGIN")) &&
                                     exec(QStringLiteral("SELECT pg_advisory_xact_lock(7400001)"));
        if (!begun)
            return false;
        if (schemaVersion() >= version) { // another process got there first
            exec(QStringLiteral("COMMIT"));
            continue;
        }
        if (!migrateTo(version)) {
            const QString error = m_error;
            exec(QStringLiteral("ROLLBACK"));
            m_error = QStringLiteral("migration to version %1 failed: %2").arg(version).arg(error);
            return false;
        }
        if (!exec(QStringLiteral("COMMIT")))
            return false;
        qCInfo(lcDb) << "schema migrated to version" << version;
    }
    return true;
}

} // namespace flippdeal::server
