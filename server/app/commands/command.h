// SPDX-License-Identifier: MIT
#pragma once

#include "core/config.h"

#include <QCommandLineParser>
#include <QJsonValue>
#include <QList>
#include <QString>
#include <QStringList>

#include <cstdio>
#include <functional>

namespace flippdeal::server {

struct ApiError;

namespace cli {

constexpr int ExitOk = 0;
constexpr int ExitFailure = 1;
constexpr int ExitUsage = 2;

//! \brief One `flippdeal-server <name>` command: its help, its options and what it runs.
struct Command
{
    QString name;
    QString summary;
    QString positional; //!< names of the positional arguments it takes, space-separated
    std::function<void(QCommandLineParser &)> addOptions;
    std::function<int(QCommandLineParser &, Config &)> run;
};

//! Writes `line` and a newline to `stream` and flushes it.
void printLine(FILE *stream, const QString &line);
//! The one-line `flippdeal-server: message` on stderr; returns ExitUsage.
int usageError(const QString &message);
//! The one-line `flippdeal-server: message` on stderr; returns ExitFailure.
int failure(const QString &message);
//! Maps a service error to the exit codes: bad input (4xx) is a usage error.
int fromError(const ApiError &error);

//! Adds the `--json` option (machine-readable output) that most commands take.
void addJsonOption(QCommandLineParser &parser);
//! Whether `--json` was given.
bool jsonRequested(const QCommandLineParser &parser);
//! Prints `json` compactly on one line: the `--json` output of every command.
void printJson(const QJsonValue &json);
//! Prints a table with a dashed rule under the headers; cells are cut at 60 characters.
void printTable(const QStringList &headers, const QList<QStringList> &rows);

} // namespace cli
} // namespace flippdeal::server
