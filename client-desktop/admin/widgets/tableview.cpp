// SPDX-License-Identifier: MIT
#include "tableview.h"

#include "jsontablemodel.h"

#include <QHeaderView>
#include <QItemSelectionModel>
#include <QPainter>

namespace flippdeal::admin {

namespace {
constexpr int MaxFittedWidth = 320;
} // namespace

AdminTableView::AdminTableView(JsonTableModel *model, QWidget *parent)
    : QTableView(parent)
    , m_model(model)
    , m_proxy(new QSortFilterProxyModel(this))
{
    m_proxy->setSourceModel(model);
    m_proxy->setSortRole(JsonTableModel::SortRole);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_proxy->setSortCaseSensitivity(Qt::CaseInsensitive);
    m_proxy->setFilterKeyColumn(-1);
    setModel(m_proxy);
    setSortingEnabled(true);
    sortByColumn(0, Qt::AscendingOrder);
    setSelectionBehavior(QAbstractItemView::SelectRows);
    setSelectionMode(QAbstractItemView::SingleSelection);
    setAlternatingRowColors(true);
    setWordWrap(false);
    setTextElideMode(Qt::ElideRight);
    setShowGrid(false);
    setEditTriggers(QAbstractItemView::NoEditTriggers);
    setTabKeyNavigation(false); // Tab leaves the table for the buttons
    verticalHeader()->setVisible(false);
    verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 10);
    horizontalHeader()->setHighlightSections(false);
    horizontalHeader()->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    horizontalHeader()->setStretchLastSection(true);
    horizontalHeader()->setMinimumSectionSize(48);

    connect(selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &AdminTableView::currentObjectChanged);
    connect(selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &AdminTableView::currentObjectChanged);
    connect(m_proxy, &QAbstractItemModel::dataChanged, this, &AdminTableView::currentObjectChanged);
    connect(m_proxy, &QAbstractItemModel::rowsRemoved, this, &AdminTableView::currentObjectChanged);
    connect(m_proxy, &QAbstractItemModel::modelReset, this, &AdminTableView::currentObjectChanged);
    connect(m_proxy, &QAbstractItemModel::rowsInserted, this, [this] {
        if (!m_fitted)
            fitColumns();
        Q_EMIT currentObjectChanged();
    });
    connect(m_proxy, &QAbstractItemModel::modelReset, this, [this] { m_fitted = false; });
    // Changed cells may be wider (a name learnt in place of an id, "Banned 2025-11-25 …" in place
    // of "Active"): widen their columns, never narrow what the user set.
    connect(m_model, &QAbstractItemModel::dataChanged, this,
            [this](const QModelIndex &topLeft, const QModelIndex &bottomRight) {
                if (m_fitted)
                    growColumns(topLeft.column(), bottomRight.column());
            });
}

void AdminTableView::setPlaceholderText(const QString &text)
{
    m_placeholder = text;
    viewport()->update();
}

void AdminTableView::setStretchColumn(int column)
{
    m_stretchColumn = column;
    horizontalHeader()->setStretchLastSection(column < 0);
    fitColumns();
}

void AdminTableView::fitColumns()
{
    if (m_proxy->rowCount() == 0) {
        // Before any rows: the header texts decide.
        for (int column = 0; column < m_proxy->columnCount(); ++column)
            setColumnWidth(column, std::max(horizontalHeader()->sectionSizeHint(column), 72));
    } else {
        resizeColumnsToContents();
        for (int column = 0; column < m_proxy->columnCount(); ++column)
            setColumnWidth(column, std::min(columnWidth(column) + 16, MaxFittedWidth));
        m_fitted = true;
    }
    if (m_stretchColumn >= 0)
        horizontalHeader()->setSectionResizeMode(m_stretchColumn, QHeaderView::Stretch);
}

void AdminTableView::growColumns(int first, int last)
{
    for (int column = first; column <= last; ++column) {
        if (horizontalHeader()->sectionResizeMode(column) == QHeaderView::Stretch ||
            (column == m_proxy->columnCount() - 1 && horizontalHeader()->stretchLastSection()))
            continue;
        const int wanted = std::min(sizeHintForColumn(column) + 16, MaxFittedWidth);
        if (wanted > columnWidth(column))
            setColumnWidth(column, wanted);
    }
}

QJsonObject AdminTableView::selectedObject() const
{
    const QModelIndexList rows = selectionModel()->selectedRows();
    if (rows.isEmpty())
        return {};
    return m_proxy->data(rows.first(), JsonTableModel::ObjectRole).toJsonObject();
}

qint64 AdminTableView::selectedId() const
{
    const QModelIndexList rows = selectionModel()->selectedRows();
    if (rows.isEmpty())
        return 0;
    return m_proxy->data(rows.first(), JsonTableModel::IdRole).toLongLong();
}

void AdminTableView::selectFirstRow()
{
    if (m_proxy->rowCount() == 0)
        return;
    selectRow(0);
    setCurrentIndex(m_proxy->index(0, 0));
}

void AdminTableView::paintEvent(QPaintEvent *event)
{
    QTableView::paintEvent(event);
    if (m_proxy->rowCount() > 0 || m_placeholder.isEmpty())
        return;
    QPainter painter(viewport());
    painter.setPen(palette().color(QPalette::PlaceholderText));
    const QRect area = viewport()->rect().adjusted(24, 24, -24, -24);
    painter.drawText(area, Qt::AlignHCenter | Qt::AlignTop | Qt::TextWordWrap, m_placeholder);
}

} // namespace flippdeal::admin
