// SPDX-License-Identifier: MIT
// Small helpers the server test suites share: reading replies and frames, HTTP requests in
// flight at once, and direct SQL on a test database.
#pragma once

#include "testserver.h"

#include "storage/database.h"

#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>
#include <QUrl>
#include <QVariantList>

#include <memory>

class QNetworkAccessManager;
class QNetworkReply;

namespace flippdeal::testing {

// ---------------------------------------------------------------------------------------------
// Replies, JSON and frames.

//! The status and the start of the body, for failure messages.
QString describe(const Reply &reply);

//! `object`.`key` as an integer, or -1.
qint64 intOf(const QJsonObject &object, const char *key);

//! The object under `key` of the reply's JSON.
QJsonObject objectOf(const Reply &reply, const char *key);

//! The reply's `errors` object (the validation errors per field).
QJsonObject fieldErrors(const Reply &reply);

//! Whether `value` is a string in the contract's time format (ISO 8601, UTC, milliseconds).
bool isIsoMs(const QJsonValue &value);

//! The frame's top-level seq, or -1 when it is missing or not an integer.
qint64 seqOf(const QJsonObject &frame);

//! The frame as compact JSON text, for failure messages.
QString frameText(const QJsonObject &frame);

//! The `seq` of every event (-1 where one has none).
QList<qint64> seqsOf(const QJsonArray &events);

//! `from`, `from` + 1, …, `to`.
QList<qint64> range(qint64 from, qint64 to);

// ---------------------------------------------------------------------------------------------
// HTTP with many requests in flight.

//! \brief One HTTP request: a JSON body (if any), a bearer token (if any).
struct Call
{
    QByteArray method;
    QUrl url;
    QByteArray token;
    QByteArray body;
};

//! Runs the event loop until `reply` has finished, for `timeoutMs` at the most.
void waitForFinished(QNetworkReply *reply, int timeoutMs = 15000);

//! The reply as tests see it; when no HTTP answer came (status 0) the body is the network error.
Reply toReply(QNetworkReply *reply);

//! Sends `call` on `network` (content type JSON for a body, POST and PATCH; the transfer is
//! aborted after `timeoutMs`); the caller owns the reply.
QNetworkReply *sendCall(QNetworkAccessManager &network, const Call &call, int timeoutMs);

//! Sends all calls at once (each manager opens at most 6 connections per host, so the calls are
//! spread over `managers` of them) and waits for every answer.
QList<Reply> runAtOnce(const QList<Call> &calls, int timeoutMs = 20000, int managers = 4);

//! Sends one call and waits for its answer.
Reply send(const Call &call);

//! The session a registration answer carries; warns unless the status is 201.
Session sessionOf(const Reply &reply);

// ---------------------------------------------------------------------------------------------
// Direct SQL. A failing statement becomes a warning and a sentinel, so the caller's QCOMPARE
// fails instead of an exception ending the whole run.

//! The first column of the first row, or -1 on failure.
qint64 sqlScalar(server::Database &db, const QString &sql, const QVariantList &binds = {});

//! The first column of every row; a single -1 on failure.
QList<qint64> sqlIntegers(server::Database &db, const QString &sql, const QVariantList &binds = {});

//! The first column of every row ("<null>" for NULL); a single "<SQL error>" on failure.
QStringList sqlTexts(server::Database &db, const QString &sql, const QVariantList &binds = {});

//! Runs one statement in a transaction of its own; false on failure.
bool sqlExec(server::Database &db, const QString &sql, const QVariantList &binds = {});

//! The seqs stored for `channel`, in order.
QList<qint64> storedSeqs(server::Database &db, const QString &channel);

//! How many `event`s are stored for `channel`.
qint64 storedEventCount(server::Database &db, const QString &channel, const QString &event);

//! The `data` of `userId`'s notifications of `type` (oldest first) whose data.`key` is `value`.
QList<QJsonObject> notificationData(server::Database &db, qint64 userId, const QString &type,
                                    const char *key, qint64 value);

//! A connection of the test's own to the database at `url`; null (and a warning) on failure.
std::unique_ptr<server::Database> openDirect(const QString &url);

} // namespace flippdeal::testing
