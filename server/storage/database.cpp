// SPDX-License-Identifier: MIT
#include "storage/database.h"

#include "core/logging.h"

#include <QDir>
#include <QFileInfo>
#include <QSqlDriver>
#include <QSqlError>
#include <QThread>
#include <QUuid>

namespace flippdeal::server {

SqlQuery::SqlQuery(Database &db, const QString &sql)
    : m_query(db.handle())
    , m_sql(sql)
{
    m_query.setForwardOnly(true);
    if (!m_query.prepare(sql))
        throw DbError(QStringLiteral("prepare failed: %1 in: %2")
                          .arg(m_query.lastError().text(), sql)
                          .toStdString());
}

SqlQuery &SqlQuery::bind(const QVariant &value)
{
    m_query.addBindValue(value);
    return *this;
}

SqlQuery &SqlQuery::bindOptional(const std::optional<qint64> &value)
{
    m_query.addBindValue(value ? QVariant(*value) : QVariant(QMetaType::fromType<qint64>()));
    return *this;
}

SqlQuery &SqlQuery::exec()
{
    if (!m_query.exec()) {
        // PostgreSQL's SQLSTATEs for a lost race: deadlock_detected, serialization_failure,
        // lock_not_available.
        static const QStringList transientStates{QStringLiteral("40P01"), QStringLiteral("40001"),
                                                 QStringLiteral("55P03")};
        const QSqlError error = m_query.lastError();
        throw DbError(
            QStringLiteral("exec failed: %1 in: %2").arg(error.text(), m_sql).toStdString(),
            transientStates.contains(error.nativeErrorCode()));
    }
    return *this;
}

std::optional<qint64> SqlQuery::optionalInt64(int column) const
{
    const QVariant v = m_query.value(column);
    if (v.isNull())
        return std::nullopt;
    return v.toLongLong();
}

int SqlQuery::indexOf(QLatin1StringView column) const
{
    if (m_columns.isEmpty())
        m_columns = m_query.record();
    for (int i = 0; i < m_columns.count(); ++i)
        if (m_columns.fieldName(i) == column)
            return i;
    throw DbError(QStringLiteral("no column %1 in: %2").arg(column, m_sql).toStdString());
}

std::optional<qint64> SqlQuery::optionalInt64(QLatin1StringView column) const
{
    return optionalInt64(indexOf(column));
}

qint64 SqlQuery::scalar()
{
    exec();
    if (!next())
        throw DbError(QStringLiteral("no row from: %1").arg(m_sql).toStdString());
    return int64(0);
}

Database::~Database()
{
    close();
}

void Database::close()
{
    if (m_connectionName.isEmpty())
        return;
    m_db.close();
    m_db = QSqlDatabase();
    QSqlDatabase::removeDatabase(m_connectionName);
    m_connectionName.clear();
}

bool Database::open(const QString &url)
{
    const auto parsed = DatabaseUrl::parse(url);
    if (!parsed) {
        m_error = parsed.error().message;
        return false;
    }
    m_connectionName =
        QStringLiteral("flippdeal-") + QUuid::createUuid().toString(QUuid::WithoutBraces);
    if (parsed->driver == DatabaseUrl::Driver::Sqlite) {
        m_dialect = Dialect::Sqlite;
        const QFileInfo file(parsed->path);
        if (!QDir().mkpath(file.absolutePath())) {
            m_error = QStringLiteral("cannot create folder %1").arg(file.absolutePath());
            return false;
        }
        m_db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_connectionName);
        m_db.setDatabaseName(file.absoluteFilePath());
        m_db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000"));
    } else {
        m_dialect = Dialect::Postgres;
        m_db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), m_connectionName);
        m_db.setHostName(parsed->host);
        m_db.setPort(parsed->port);
        m_db.setUserName(parsed->user);
        m_db.setPassword(parsed->password);
        m_db.setDatabaseName(parsed->name);
        m_db.setConnectOptions(QStringLiteral("connect_timeout=5"));
    }
    if (!m_db.open()) {
        m_error = m_db.lastError().text();
        return false;
    }
    if (m_dialect == Dialect::Sqlite) {
        // WAL lets readers run beside the writer; synchronous=FULL makes every commit durable
        // before we answer (the contract acknowledges only stored data).
        const char *pragmas[] = {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL",
                                 "PRAGMA foreign_keys=ON"};
        for (const char *pragma : pragmas) {
            // Switching a new file to WAL needs an exclusive lock, and SQLite answers "database
            // is locked" without waiting when several processes open the same new file at
            // once; retry for a few seconds instead of failing the start.
            bool ok = exec(QString::fromLatin1(pragma));
            for (int attempt = 0; !ok && attempt < 50 && m_error.contains(QLatin1String("locked"));
                 ++attempt) {
                QThread::msleep(100);
                ok = exec(QString::fromLatin1(pragma));
            }
            if (!ok)
                return false;
        }
    } else {
        // NOTICEs ("relation already exists, skipping") would reach the CLI's stderr.
        if (!exec(QStringLiteral("SET TIME ZONE 'UTC'")) ||
            !exec(QStringLiteral("SET client_min_messages TO WARNING")))
            return false;
    }
    return true;
}

bool Database::exec(const QString &sql)
{
    QSqlQuery query(m_db);
    if (!query.exec(sql)) {
        m_error = query.lastError().text();
        qCWarning(lcDb) << "statement failed:" << sql << m_error;
        return false;
    }
    return true;
}

bool Database::openAndMigrate(const QString &url, QString *error)
{
    if (!open(url)) {
        *error = QStringLiteral("cannot open the database: %1").arg(errorString());
        return false;
    }
    if (!migrate()) {
        *error = QStringLiteral("cannot migrate the database: %1").arg(errorString());
        return false;
    }
    return true;
}

void Database::logFailure(const DbError &error)
{
    m_error = QString::fromStdString(error.what());
    qCWarning(lcDb).noquote() << m_error;
}

bool Database::transaction(const std::function<bool()> &work)
{
    if (!begin())
        return false;
    bool ok = false;
    try {
        ok = work();
    } catch (const DbError &error) {
        logFailure(error);
        ok = false;
    }
    if (!ok) {
        rollback();
        return false;
    }
    return commit();
}

bool Database::begin()
{
    // SQLite: take the write lock up front (BEGIN IMMEDIATE). A deferred transaction that reads
    // first and writes later can fail with SQLITE_BUSY when another process wrote in between;
    // IMMEDIATE makes concurrent writers queue behind the busy timeout instead.
    const bool begun =
        m_dialect == Dialect::Sqlite ? exec(QStringLiteral("BEGIN IMMEDIATE")) : m_db.transaction();
    if (!begun) {
        m_error = m_dialect == Dialect::Sqlite ? m_error : m_db.lastError().text();
        qCWarning(lcDb) << "cannot begin a transaction:" << m_error;
    }
    return begun;
}

bool Database::commit()
{
    const bool committed =
        m_dialect == Dialect::Sqlite ? exec(QStringLiteral("COMMIT")) : m_db.commit();
    if (!committed) {
        m_error = m_dialect == Dialect::Sqlite ? m_error : m_db.lastError().text();
        qCWarning(lcDb) << "commit failed:" << m_error;
        rollback();
    }
    return committed;
}

void Database::rollback()
{
    const bool rolledBack =
        m_dialect == Dialect::Sqlite ? exec(QStringLiteral("ROLLBACK")) : m_db.rollback();
    if (!rolledBack)
        qCWarning(lcDb) << "rollback failed:" << m_db.lastError().text();
}

bool Database::beginSavepoint()
{
    return exec(QStringLiteral("SAVEPOINT unit"));
}

void Database::endSavepoint(bool keep)
{
    // The name refers to the innermost savepoint of that name, so units nest.
    if (!keep)
        exec(QStringLiteral("ROLLBACK TO SAVEPOINT unit"));
    exec(QStringLiteral("RELEASE SAVEPOINT unit"));
}

bool Database::beginRead()
{
    // SQLite: a deferred BEGIN takes its snapshot at the first read and never blocks the writer.
    if (m_dialect == Dialect::Sqlite ? exec(QStringLiteral("BEGIN")) : m_db.transaction())
        return true;
    qCWarning(lcDb) << "cannot begin a read transaction:"
                    << (m_dialect == Dialect::Sqlite ? m_error : m_db.lastError().text());
    return false;
}

void Database::endRead()
{
    // Nothing was written: rolling back ends the snapshot without a commit's work.
    const bool ended =
        m_dialect == Dialect::Sqlite ? exec(QStringLiteral("ROLLBACK")) : m_db.rollback();
    if (!ended)
        qCWarning(lcDb) << "cannot end a read transaction:" << m_db.lastError().text();
}

bool Database::makeReadOnly()
{
    return exec(m_dialect == Dialect::Sqlite
                    ? QStringLiteral("PRAGMA query_only=ON")
                    // REPEATABLE READ: one snapshot for the whole read, as on SQLite (a
                    // read-only transaction never fails to serialize).
                    : QStringLiteral("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY, "
                                     "ISOLATION LEVEL REPEATABLE READ"));
}

bool Database::ping()
{
    QSqlQuery query(m_db);
    return query.exec(QStringLiteral("SELECT 1")) && query.next();
}

} // namespace flippdeal::server
