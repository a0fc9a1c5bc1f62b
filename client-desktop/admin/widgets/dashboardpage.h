// SPDX-License-Identifier: MIT
#pragma once

#include "statsmodel.h"

#include <QHash>
#include <QWidget>

class QLabel;

namespace flippdeal::admin {

class AdminConsole;
class Sparkline;

//! \brief The Dashboard tab: the live figures as big numbers, and sparklines of connections
//! and events per second over the last polls. Follows the StatsModel, which the console
//! refreshes every 2 s.
class DashboardPage : public QWidget
{
    Q_OBJECT

public:
    explicit DashboardPage(AdminConsole &console, QWidget *parent = nullptr);

private:
    struct Tile
    {
        QLabel *value = nullptr;
        QLabel *detail = nullptr;
        QWidget *frame = nullptr;
    };

    QWidget *makeTile(StatsModel::Figure figure, const QString &caption);
    void showStats();

    AdminConsole &m_console;
    QHash<int, Tile> m_tiles;
    Sparkline *m_connections = nullptr;
    Sparkline *m_events = nullptr;
    QLabel *m_updated = nullptr;
};

} // namespace flippdeal::admin
