// SPDX-License-Identifier: MIT
#pragma once

#include "core/config.h"
#include "core/result.h"

#include <QLatin1StringView>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QString>
#include <QVariant>

#include <functional>
#include <optional>
#include <stdexcept>
#include <type_traits>

namespace flippdeal::server {

//! \brief Thrown inside the storage layer when a statement fails. Never escapes
//! Database::transaction(), which turns it into a rollback and a logged error.
class DbError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
    //! `transient`: the statement lost a race that running it again may win (PostgreSQL's
    //! deadlock_detected, serialization_failure, lock_not_available).
    DbError(const std::string &what, bool transient)
        : std::runtime_error(what)
        , m_transient(transient)
    {}
    bool isTransient() const { return m_transient; }

private:
    bool m_transient = false;
};

class Database;

//! \brief A prepared statement bound positionally. Every failure throws DbError, so callers
//! inside a transaction write straight-line code and the wrapper handles the rollback.
class SqlQuery
{
public:
    SqlQuery(Database &db, const QString &sql);

    SqlQuery &bind(const QVariant &value);
    //! Binds a NULL of the right type when the optional is empty.
    SqlQuery &bindOptional(const std::optional<qint64> &value);
    SqlQuery &exec();
    bool next() { return m_query.next(); }
    QVariant value(int column) const { return m_query.value(column); }
    qint64 int64(int column) const { return m_query.value(column).toLongLong(); }
    QString text(int column) const { return m_query.value(column).toString(); }
    std::optional<qint64> optionalInt64(int column) const;

    //! \name The current row's columns by name (the name or alias in the SELECT list).
    //! An unknown name throws DbError: it is a programming error, caught by every test.
    //! @{
    QVariant value(QLatin1StringView column) const { return m_query.value(indexOf(column)); }
    qint64 int64(QLatin1StringView column) const { return value(column).toLongLong(); }
    QString text(QLatin1StringView column) const { return value(column).toString(); }
    std::optional<qint64> optionalInt64(QLatin1StringView column) const;
    //! @}
    int numRowsAffected() const { return m_query.numRowsAffected(); }
    //! Executes and returns the first column of the first row, throwing if there is none.
    qint64 scalar();

private:
    int indexOf(QLatin1StringView column) const;

    QSqlQuery m_query;
    QString m_sql;
    mutable QSqlRecord m_columns; //!< the result's columns, read once on the first named access
};

//! \brief Owns one QSql connection, used only from the thread that opened it (the event loop's
//! connection, the Writer's, or a ReadPool thread's read-only one):
//! opens SQLite (WAL, foreign keys, full sync) or PostgreSQL, runs the versioned migrations
//! and wraps every unit of work in a transaction.
class Database
{
public:
    enum class Dialect
    {
        Sqlite,
        Postgres
    };

    Database() = default;
    ~Database();
    Database(const Database &) = delete;
    Database &operator=(const Database &) = delete;

    //! Opens the database named by a `sqlite:` or `postgres://` URL. False with errorString().
    bool open(const QString &url);
    //! open() and migrate(): false with `*error` saying which step failed and why.
    bool openAndMigrate(const QString &url, QString *error);
    void close();
    bool isOpen() const { return m_db.isOpen(); }
    Dialect dialect() const { return m_dialect; }
    QSqlDatabase &handle() { return m_db; }
    QString errorString() const { return m_error; }

    //! Brings the schema up to date. Safe to run on every start and from several processes.
    bool migrate();
    //! The schema version after migrate().
    int schemaVersion();
    static int latestSchemaVersion();

    //! \brief Runs `work` in a transaction. Commits when it returns normally, rolls back when it
    //! throws DbError (logged) or returns false. Returns whether the commit happened.
    bool transaction(const std::function<bool()> &work);

    //! \brief Runs `work`, which returns an Expected<T>, in a transaction: commits when it
    //! returns a value, rolls back when it returns an ApiError (a refusal, passed on) or a
    //! statement throws DbError (logged, passed on as a 500). A failed commit is a 500 too.
    template <typename Work>
    requires ExpectedType<std::invoke_result_t<Work>> std::invoke_result_t<Work>
    transaction(Work &&work);

    //! \brief Runs `work`, which returns an Expected<T>, in a savepoint inside the transaction
    //! under way: keeps its writes when it returns a value, undoes only them when it returns an
    //! ApiError or a statement throws DbError (logged, passed on as a 500). The rest of the
    //! transaction goes on either way (the Writer's batches: one job's refusal undoes one job).
    template <typename Work>
    requires ExpectedType<std::invoke_result_t<Work>> std::invoke_result_t<Work>
    savepoint(Work &&work);

    //! \name The steps of a transaction, for callers that run several units in one (the
    //! Writer). A failed commit rolls back; each failure is logged.
    //! @{
    bool begin();
    bool commit();
    void rollback();
    //! @}

    //! \brief Runs `work`, which returns an Expected<T>, outside a transaction (reads, single
    //! statements): a DbError is logged and becomes a 500.
    template <typename Work>
    std::invoke_result_t<Work> attempt(Work &&work);
    //! Whether the last statement that failed in attempt() or savepoint() lost a race that a
    //! second try may win (DbError::isTransient()).
    bool lastFailureWasTransient() const { return m_lastFailureTransient; }

    //! \brief Runs `work`, which returns an Expected<T> and only reads, in one read transaction
    //! (one snapshot for all its statements): a DbError is logged and becomes a 500.
    template <typename Work>
    requires ExpectedType<std::invoke_result_t<Work>> std::invoke_result_t<Work>
    readTransaction(Work &&work);

    //! Refuses every write on this connection from now on (the connections of a ReadPool).
    bool makeReadOnly();

    //! A cheap round trip, for /health.
    bool ping();

private:
    bool exec(const QString &sql);
    bool beginSavepoint();
    void endSavepoint(bool keep);
    bool beginRead();
    void endRead();
    void logFailure(const DbError &error);
    bool m_lastFailureTransient = false;
    bool migrateTo(int version);

    QSqlDatabase m_db;
    QString m_connectionName;
    QString m_error;
    Dialect m_dialect = Dialect::Sqlite;
};

template <typename Work>
requires ExpectedType<std::invoke_result_t<Work>> std::invoke_result_t<Work>
Database::transaction(Work &&work)
{
    std::optional<std::invoke_result_t<Work>> result;
    const bool committed = transaction([&] {
        result.emplace(work());
        return result->hasValue();
    });
    if (result && !result->hasValue())
        return std::move(*result);
    if (!committed)
        return ApiError::internal();
    return std::move(*result);
}

template <typename Work>
requires ExpectedType<std::invoke_result_t<Work>> std::invoke_result_t<Work>
Database::readTransaction(Work &&work)
{
    if (!beginRead())
        return ApiError::internal();
    auto result = attempt(std::forward<Work>(work));
    endRead();
    return result;
}

template <typename Work>
requires ExpectedType<std::invoke_result_t<Work>> std::invoke_result_t<Work>
Database::savepoint(Work &&work)
{
    m_lastFailureTransient = false;
    if (!beginSavepoint())
        return ApiError::internal();
    auto result = attempt(std::forward<Work>(work));
    endSavepoint(result.hasValue());
    return result;
}

template <typename Work>
std::invoke_result_t<Work> Database::attempt(Work &&work)
{
    m_lastFailureTransient = false;
    try {
        return work();
    } catch (const DbError &error) {
        m_lastFailureTransient = error.isTransient();
        logFailure(error);
        return ApiError::internal();
    }
}

} // namespace flippdeal::server
