// SPDX-License-Identifier: MIT
#pragma once

#include "loadabletablemodel.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>

namespace flippdeal::admin {

//! \brief The dashboard's figures from GET /api/admin/stats: one row per figure (name, value),
//! plus the recent history of the figures drawn as sparklines.
class StatsModel : public LoadableTableModel
{
    Q_OBJECT
    Q_PROPERTY(bool loaded READ isLoaded NOTIFY updated)

public:
    //! The rows.
    enum Figure
    {
        Connections,
        Channels,
        EventsPerSecond,
        OutboxBacklog,
        QueueReady,
        QueueDelayed,
        QueueRunning,
        FailedJobs,
        Users,
        BannedUsers,
        LiveAuctions,
        DisputedEscrows,
        Uptime,
        FigureCount
    };
    Q_ENUM(Figure)

    //! The columns.
    enum Column
    {
        NameColumn,
        ValueColumn,
    };
    Q_ENUM(Column)

    enum Role
    {
        NumberRole = Qt::UserRole + 1, //!< the figure as a number (double)
        AlertRole,                     //!< true when the figure wants attention (failed jobs...)
    };
    Q_ENUM(Role)

    //! How many polls the history keeps (two minutes at one poll every 2 s).
    static constexpr int HistoryLength = 60;

    explicit StatsModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

    bool isLoaded() const { return !m_stats.isEmpty(); }
    //! The figure as a number (0 before the first poll).
    double value(Figure figure) const;
    //! The figure as the dashboard writes it (`1,204`, `3.5`, `2 h 10 min`; `–` before a poll).
    QString text(Figure figure) const;
    static QString label(Figure figure);
    bool isAlert(Figure figure) const;
    //! The last HistoryLength values of a figure, oldest first.
    QList<double> history(Figure figure) const;
    //! The stats answer as received.
    QJsonObject stats() const { return m_stats; }
    //! When the last poll answered (local clock).
    QDateTime updatedAt() const { return m_updatedAt; }

    //! Takes a stats answer: updates the values and appends to the history.
    void update(const QJsonObject &stats, const QDateTime &at = QDateTime::currentDateTime());
    //! Forgets the figures, the history and the load state.
    void clear();

Q_SIGNALS:
    //! A poll was taken in (or the figures were cleared).
    void updated();

private:
    QJsonObject m_stats;
    QDateTime m_updatedAt;
    QList<QList<double>> m_history; // per figure
};

} // namespace flippdeal::admin
