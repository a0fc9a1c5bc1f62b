// SPDX-License-Identifier: MIT
#include "jsontablemodel.h"

#include <QSet>

namespace flippdeal::admin {

namespace {

//! A JSON id as a hashable key (numbers and strings both occur).
QString keyOf(const QJsonValue &value)
{
    if (value.isDouble())
        return QString::number(value.toInteger());
    return value.toString();
}

} // namespace

JsonTableModel::JsonTableModel(QList<JsonColumn> columns, QString idKey, QObject *parent)
    : LoadableTableModel(parent)
    , m_columns(std::move(columns))
    , m_idKey(std::move(idKey))
{}

int JsonTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int JsonTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_columns.size());
}

QVariant JsonTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const QJsonObject &row = m_rows.at(index.row());
    const JsonColumn &column = m_columns.at(index.column());
    switch (role) {
    case Qt::DisplayRole:
        if (column.display)
            return column.display(row);
        return row.value(column.key).toVariant().toString();
    case Qt::TextAlignmentRole:
        return QVariant::fromValue(column.alignment);
    case Qt::ToolTipRole:
        if (column.toolTip)
            return column.toolTip(row);
        return {};
    case ObjectRole:
        return row;
    case IdRole:
        return row.value(m_idKey).toVariant();
    case SortRole:
        if (column.sortValue)
            return column.sortValue(row);
        return row.value(column.key).toVariant();
    case RawRole:
        return row.value(column.key).toVariant();
    default:
        return {};
    }
}

QVariant JsonTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= m_columns.size())
        return QAbstractTableModel::headerData(section, orientation, role);
    if (role == Qt::DisplayRole)
        return m_columns.at(section).header;
    if (role == Qt::TextAlignmentRole)
        return QVariant::fromValue(m_columns.at(section).alignment);
    return {};
}

QHash<int, QByteArray> JsonTableModel::roleNames() const
{
    QHash<int, QByteArray> names = QAbstractTableModel::roleNames();
    names.insert(ObjectRole, "object");
    names.insert(IdRole, "id");
    names.insert(SortRole, "sortValue");
    names.insert(RawRole, "raw");
    return names;
}

int JsonTableModel::rowOfId(const QJsonValue &id) const
{
    const QString key = keyOf(id);
    for (int row = 0; row < m_rows.size(); ++row) {
        if (keyOf(m_rows.at(row).value(m_idKey)) == key)
            return row;
    }
    return -1;
}

void JsonTableModel::setRows(const QJsonArray &rows)
{
    const int before = int(m_rows.size());
    QList<QJsonObject> incoming;
    QSet<QString> keys;
    incoming.reserve(rows.size());
    for (const QJsonValue &value : rows) {
        QJsonObject row = value.toObject();
        if (keys.contains(keyOf(row.value(m_idKey))))
            continue; // a duplicate id would make the rows ambiguous
        keys.insert(keyOf(row.value(m_idKey)));
        incoming.append(std::move(row));
    }
    // Remove the rows that are gone, in contiguous runs from the bottom up.
    for (int row = int(m_rows.size()) - 1; row >= 0;) {
        if (keys.contains(keyOf(m_rows.at(row).value(m_idKey)))) {
            --row;
            continue;
        }
        int first = row;
        while (first > 0 && !keys.contains(keyOf(m_rows.at(first - 1).value(m_idKey))))
            --first;
        beginRemoveRows({}, first, row);
        m_rows.remove(first, row - first + 1);
        endRemoveRows();
        row = first - 1;
    }
    // Update the rows that stay; collect the new ones.
    QList<QJsonObject> added;
    for (QJsonObject &row : incoming) {
        const int at = rowOfId(row.value(m_idKey));
        if (at < 0) {
            added.append(std::move(row));
            continue;
        }
        if (m_rows.at(at) != row) {
            m_rows[at] = std::move(row);
            Q_EMIT dataChanged(index(at, 0), index(at, columnCount() - 1));
        }
    }
    if (!added.isEmpty()) {
        beginInsertRows({}, int(m_rows.size()), int(m_rows.size() + added.size() - 1));
        m_rows.append(added);
        endInsertRows();
    }
    if (before != m_rows.size())
        Q_EMIT countChanged();
}

void JsonTableModel::upsert(const QJsonObject &object)
{
    QJsonObject row = object;
    const int at = rowOfId(row.value(m_idKey));
    if (at >= 0) {
        m_rows[at] = std::move(row);
        Q_EMIT dataChanged(index(at, 0), index(at, columnCount() - 1));
        return;
    }
    beginInsertRows({}, int(m_rows.size()), int(m_rows.size()));
    m_rows.append(std::move(row));
    endInsertRows();
    Q_EMIT countChanged();
}

void JsonTableModel::removeId(const QJsonValue &id)
{
    const int at = rowOfId(id);
    if (at < 0)
        return;
    beginRemoveRows({}, at, at);
    m_rows.removeAt(at);
    endRemoveRows();
    Q_EMIT countChanged();
}

void JsonTableModel::clear()
{
    resetLoadState();
    if (m_rows.isEmpty())
        return;
    beginResetModel();
    m_rows.clear();
    endResetModel();
    Q_EMIT countChanged();
}

void JsonTableModel::refreshAll()
{
    if (m_rows.isEmpty())
        return;
    Q_EMIT dataChanged(index(0, 0), index(int(m_rows.size()) - 1, columnCount() - 1));
}

} // namespace flippdeal::admin
