// SPDX-License-Identifier: MIT
#include "statsmodel.h"

#include "formatting.h"

namespace flippdeal::admin {

StatsModel::StatsModel(QObject *parent)
    : LoadableTableModel(parent)
    , m_history(FigureCount)
{}

int StatsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : FigureCount;
}

int StatsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : 2;
}

QString StatsModel::label(Figure figure)
{
    switch (figure) {
    case Connections:
        return tr("Connections");
    case Channels:
        return tr("Channels");
    case EventsPerSecond:
        return tr("Events / s");
    case OutboxBacklog:
        return tr("Outbox backlog");
    case QueueReady:
        return tr("Jobs ready");
    case QueueDelayed:
        return tr("Jobs delayed");
    case QueueRunning:
        return tr("Jobs running");
    case FailedJobs:
        return tr("Failed jobs");
    case Users:
        return tr("Users");
    case BannedUsers:
        return tr("Banned users");
    case LiveAuctions:
        return tr("Live auctions");
    case DisputedEscrows:
        return tr("Escrows in dispute");
    case Uptime:
        return tr("Server uptime");
    case FigureCount:
        break;
    }
    return {};
}

double StatsModel::value(Figure figure) const
{
    const QJsonObject queue = m_stats.value(QLatin1String("queue")).toObject();
    const auto number = [this](const char *key) {
        return m_stats.value(QLatin1String(key)).toDouble();
    };
    switch (figure) {
    case Connections:
        return number("connections");
    case Channels:
        return number("channels");
    case EventsPerSecond:
        return number("events_per_second");
    case OutboxBacklog:
        return number("outbox_backlog");
    case QueueReady:
        return queue.value(QLatin1String("ready")).toDouble();
    case QueueDelayed:
        return queue.value(QLatin1String("delayed")).toDouble();
    case QueueRunning:
        return queue.value(QLatin1String("running")).toDouble();
    case FailedJobs:
        return queue.value(QLatin1String("failed")).toDouble();
    case Users:
        return number("users");
    case BannedUsers:
        return number("banned_users");
    case LiveAuctions:
        return number("live_auctions");
    case DisputedEscrows:
        return number("disputed_escrows");
    case Uptime:
        return number("uptime_seconds");
    case FigureCount:
        break;
    }
    return 0;
}

QString StatsModel::text(Figure figure) const
{
    if (!isLoaded())
        return QStringLiteral("–");
    const double number = value(figure);
    switch (figure) {
    case EventsPerSecond:
        return QString::number(number, 'f', 1);
    case Uptime:
        return format::duration(qint64(number));
    default:
        return format::count(qint64(number));
    }
}

bool StatsModel::isAlert(Figure figure) const
{
    switch (figure) {
    case FailedJobs:
    case DisputedEscrows:
        return value(figure) > 0;
    case OutboxBacklog:
        return value(figure) >= 100; // the publisher is falling behind
    default:
        return false;
    }
}

QVariant StatsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const auto figure = Figure(index.row());
    switch (role) {
    case Qt::DisplayRole:
        return index.column() == NameColumn ? label(figure) : text(figure);
    case Qt::TextAlignmentRole:
        return index.column() == ValueColumn
                   ? QVariant::fromValue(Qt::Alignment(Qt::AlignRight | Qt::AlignVCenter))
                   : QVariant::fromValue(Qt::Alignment(Qt::AlignLeft | Qt::AlignVCenter));
    case NumberRole:
        return value(figure);
    case AlertRole:
        return isAlert(figure);
    default:
        return {};
    }
}

QVariant StatsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation == Qt::Horizontal && role == Qt::DisplayRole && section >= 0 && section < 2)
        return section == NameColumn ? tr("Figure") : tr("Value");
    return QAbstractTableModel::headerData(section, orientation, role);
}

QHash<int, QByteArray> StatsModel::roleNames() const
{
    QHash<int, QByteArray> names = QAbstractTableModel::roleNames();
    names.insert(NumberRole, "number");
    names.insert(AlertRole, "alert");
    return names;
}

QList<double> StatsModel::history(Figure figure) const
{
    return m_history.value(figure);
}

void StatsModel::update(const QJsonObject &stats, const QDateTime &at)
{
    m_stats = stats;
    m_updatedAt = at;
    for (int figure = 0; figure < FigureCount; ++figure) {
        QList<double> &history = m_history[figure];
        history.append(value(Figure(figure)));
        while (history.size() > HistoryLength)
            history.removeFirst();
    }
    Q_EMIT dataChanged(index(0, 0), index(FigureCount - 1, 1));
    Q_EMIT updated();
}

void StatsModel::clear()
{
    m_stats = {};
    m_updatedAt = {};
    for (QList<double> &history : m_history)
        history.clear();
    resetLoadState();
    Q_EMIT dataChanged(index(0, 0), index(FigureCount - 1, 1));
    Q_EMIT updated();
}

} // namespace flippdeal::admin
