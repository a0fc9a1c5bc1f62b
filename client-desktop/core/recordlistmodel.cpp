// SPDX-License-Identifier: MIT
#include "recordlistmodel.h"

namespace flippdeal::client {

RecordListModel::RecordListModel(QList<QByteArray> fields, QByteArray keyField, QObject *parent)
    : QAbstractListModel(parent)
    , m_fields(std::move(fields))
    , m_keyField(std::move(keyField))
{
    Q_ASSERT(m_fields.contains(m_keyField));
}

int RecordListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

QVariant RecordListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const int field = role == Qt::DisplayRole ? 0 : role - Qt::UserRole;
    if (field < 0 || field >= m_fields.size())
        return {};
    return m_rows.at(index.row()).value(QString::fromLatin1(m_fields.at(field)));
}

QHash<int, QByteArray> RecordListModel::roleNames() const
{
    QHash<int, QByteArray> names;
    for (int i = 0; i < m_fields.size(); ++i)
        names.insert(Qt::UserRole + i, m_fields.at(i));
    return names;
}

int RecordListModel::indexOfKey(const QVariant &key) const
{
    const QString field = QString::fromLatin1(m_keyField);
    for (int i = 0; i < m_rows.size(); ++i)
        if (m_rows.at(i).value(field) == key)
            return i;
    return -1;
}

void RecordListModel::reset(const QList<QVariantMap> &rows)
{
    const qsizetype before = m_rows.size();
    beginResetModel();
    m_rows = rows;
    endResetModel();
    if (before != m_rows.size())
        Q_EMIT countChanged();
}

void RecordListModel::upsert(const QVariantMap &record, int row)
{
    const int existing = indexOfKey(record.value(QString::fromLatin1(m_keyField)));
    if (existing >= 0) {
        m_rows[existing] = record;
        Q_EMIT dataChanged(index(existing), index(existing));
        return;
    }
    if (row < 0 || row > m_rows.size())
        row = int(m_rows.size());
    beginInsertRows({}, row, row);
    m_rows.insert(row, record);
    endInsertRows();
    Q_EMIT countChanged();
}

void RecordListModel::removeKey(const QVariant &key)
{
    const int row = indexOfKey(key);
    if (row < 0)
        return;
    beginRemoveRows({}, row, row);
    m_rows.removeAt(row);
    endRemoveRows();
    Q_EMIT countChanged();
}

void RecordListModel::setFieldWhere(const QByteArray &field,
                                    const std::function<QVariant(const QVariantMap &)> &value)
{
    const QString name = QString::fromLatin1(field);
    for (int i = 0; i < m_rows.size(); ++i) {
        const QVariant v = value(m_rows.at(i));
        if (m_rows.at(i).value(name) != v) {
            m_rows[i].insert(name, v);
            Q_EMIT dataChanged(index(i), index(i));
        }
    }
}

} // namespace flippdeal::client
