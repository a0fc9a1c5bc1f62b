// SPDX-License-Identifier: MIT
#include "app/commands/command.h"

#include "core/result.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>

namespace flippdeal::server::cli {

namespace {
constexpr qsizetype MaxCellWidth = 60;
} // namespace

void printLine(FILE *stream, const QString &line)
{
    std::fputs(qPrintable(line + QLatin1Char('\n')), stream);
    std::fflush(stream);
}

int usageError(const QString &message)
{
    printLine(stderr, QStringLiteral("flippdeal-server: ") + message);
    return ExitUsage;
}

int failure(const QString &message)
{
    printLine(stderr, QStringLiteral("flippdeal-server: ") + message);
    return ExitFailure;
}

int fromError(const ApiError &error)
{
    QString message = error.message;
    if (!error.errors.isEmpty())
        message = error.errors.first().value(0, message);
    return error.status >= 400 && error.status < 500 ? usageError(message) : failure(message);
}

void addJsonOption(QCommandLineParser &parser)
{
    parser.addOption({QStringLiteral("json"), QStringLiteral("JSON for scripts.")});
}

bool jsonRequested(const QCommandLineParser &parser)
{
    return parser.isSet(QStringLiteral("json"));
}

void printJson(const QJsonValue &json)
{
    const QByteArray text = json.isArray()
                                ? QJsonDocument(json.toArray()).toJson(QJsonDocument::Compact)
                                : QJsonDocument(json.toObject()).toJson(QJsonDocument::Compact);
    printLine(stdout, QString::fromUtf8(text));
}

void printTable(const QStringList &headers, const QList<QStringList> &rows)
{
    QList<qsizetype> widths;
    for (const QString &h : headers)
        widths.append(h.size());
    for (const QStringList &row : rows) {
        for (qsizetype i = 0; i < row.size() && i < widths.size(); ++i)
            widths[i] = std::max(widths[i], std::min(row[i].size(), MaxCellWidth));
    }
    auto line = [&](const QStringList &cells) {
        QString text;
        for (qsizetype i = 0; i < cells.size(); ++i)
            text += cells[i].left(MaxCellWidth).leftJustified(widths[i] + 2);
        printLine(stdout, text.trimmed());
    };
    line(headers);
    QStringList rule;
    for (const qsizetype w : std::as_const(widths))
        rule.append(QString(w, QLatin1Char('-')));
    line(rule);
    for (const QStringList &row : rows)
        line(row);
}

} // namespace flippdeal::server::cli
