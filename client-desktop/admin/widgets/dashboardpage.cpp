// SPDX-License-Identifier: MIT
#include "dashboardpage.h"

#include "adminconsole.h"
#include "formatting.h"
#include "sparkline.h"

#include <QFrame>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QStyle>
#include <QVBoxLayout>

namespace flippdeal::admin {

DashboardPage::DashboardPage(AdminConsole &console, QWidget *parent)
    : QWidget(parent)
    , m_console(console)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(16, 16, 16, 12);
    layout->setSpacing(12);

    auto *grid = new QGridLayout;
    grid->setSpacing(10);
    const struct
    {
        StatsModel::Figure figure;
        const char *caption;
    } tiles[] = {
        {StatsModel::Connections, "open WebSockets on this node"},
        {StatsModel::Channels, "with subscribers"},
        {StatsModel::EventsPerSecond, "published, 5 s average"},
        {StatsModel::OutboxBacklog, "events not yet published"},
        {StatsModel::QueueReady, "waiting for a worker"},
        {StatsModel::QueueDelayed, "waiting for their backoff"},
        {StatsModel::QueueRunning, "taken by a worker"},
        {StatsModel::FailedJobs, "out of attempts"},
        {StatsModel::Users, ""},
        {StatsModel::LiveAuctions, "bidding open now"},
        {StatsModel::DisputedEscrows, "waiting for a decision"},
        {StatsModel::Uptime, ""},
    };
    int at = 0;
    for (const auto &tile : tiles) {
        grid->addWidget(makeTile(tile.figure, tr(tile.caption)), at / 4, at % 4);
        ++at;
    }
    for (int column = 0; column < 4; ++column)
        grid->setColumnStretch(column, 1);
    layout->addLayout(grid);

    auto *charts = new QHBoxLayout;
    charts->setSpacing(10);
    m_connections = new Sparkline(tr("Connections"), this);
    m_connections->setColor(QColor(0x1f, 0x6f, 0xeb));
    m_events = new Sparkline(tr("Events per second"), this);
    m_events->setColor(QColor(0x1a, 0x7f, 0x37));
    m_events->setDecimals(1);
    charts->addWidget(m_connections);
    charts->addWidget(m_events);
    layout->addLayout(charts, 1);

    m_updated = new QLabel(this);
    m_updated->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(m_updated);

    connect(console.stats(), &StatsModel::updated, this, &DashboardPage::showStats);
    showStats();
}

QWidget *DashboardPage::makeTile(StatsModel::Figure figure, const QString &caption)
{
    auto *frame = new QFrame(this);
    frame->setObjectName(QStringLiteral("tile"));
    frame->setFrameShape(QFrame::StyledPanel);
    frame->setAutoFillBackground(true);
    frame->setBackgroundRole(QPalette::Base);
    frame->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    auto *box = new QVBoxLayout(frame);
    box->setContentsMargins(14, 10, 14, 10);
    box->setSpacing(2);
    auto *name = new QLabel(StatsModel::label(figure), frame);
    QFont nameFont = name->font();
    nameFont.setBold(true);
    name->setFont(nameFont);
    name->setForegroundRole(QPalette::PlaceholderText);
    auto *value = new QLabel(QStringLiteral("–"), frame);
    QFont valueFont = value->font();
    valueFont.setPointSizeF(valueFont.pointSizeF() * 2.2);
    valueFont.setBold(true);
    value->setFont(valueFont);
    value->setForegroundRole(QPalette::WindowText); // not Text, which the tile's Base implies
    auto *detail = new QLabel(caption, frame);
    detail->setForegroundRole(QPalette::PlaceholderText);
    box->addWidget(name);
    box->addWidget(value);
    box->addWidget(detail);
    m_tiles.insert(figure, {value, detail, frame});
    return frame;
}

void DashboardPage::showStats()
{
    const StatsModel &stats = *m_console.stats();
    for (auto it = m_tiles.cbegin(); it != m_tiles.cend(); ++it) {
        const auto figure = StatsModel::Figure(it.key());
        it->value->setText(stats.text(figure));
        QPalette pal = it->value->palette();
        pal.setColor(QPalette::WindowText, stats.isAlert(figure)
                                               ? QColor(0xcf, 0x22, 0x2e)
                                               : palette().color(QPalette::WindowText));
        it->value->setPalette(pal);
    }
    if (stats.isLoaded()) {
        m_tiles[StatsModel::Users].detail->setText(
            tr("%1 banned").arg(stats.text(StatsModel::BannedUsers)));
        const QString serverTime =
            format::localTime(stats.stats().value(QLatin1String("server_time")));
        m_tiles[StatsModel::Uptime].detail->setText(tr("server clock %1").arg(serverTime.mid(11)));
    } else {
        m_tiles[StatsModel::Users].detail->setText(QString());
        m_tiles[StatsModel::Uptime].detail->setText(QString());
    }
    m_connections->setValues(stats.history(StatsModel::Connections));
    m_events->setValues(stats.history(StatsModel::EventsPerSecond));
    const int polls = int(stats.history(StatsModel::Connections).size());
    const QString span = polls > 1 ? tr("last %1").arg(format::duration(
                                         qint64(polls - 1) * m_console.pollInterval() / 1000))
                                   : QString();
    m_connections->setSpanText(span);
    m_events->setSpanText(span);
    m_updated->setText(stats.isLoaded()
                           ? tr("Updated %1 · refreshed every %2 · figures of the node at %3")
                                 .arg(stats.updatedAt().toString(QStringLiteral("HH:mm:ss")),
                                      m_console.pollInterval() % 1000 == 0
                                          ? format::duration(m_console.pollInterval() / 1000)
                                          : tr("%1 ms").arg(m_console.pollInterval()),
                                      m_console.serverUrl())
                           : tr("Waiting for the first figures…"));
}

} // namespace flippdeal::admin
