// SPDX-License-Identifier: MIT
#pragma once

#include <QAbstractListModel>
#include <QVariantMap>
#include <QtQmlIntegration/qqmlintegration.h>

namespace flippdeal::client {

//! \brief A list model of flat records whose fields are its roles, for the small lists of the
//! auction view (watchers, bids, live auctions). Rows are identified by their `keyField`.
class RecordListModel : public QAbstractListModel
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("Filled from C++")
    Q_PROPERTY(int count READ count NOTIFY countChanged)

public:
    RecordListModel(QList<QByteArray> fields, QByteArray keyField, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

    int count() const { return int(m_rows.size()); }
    //! The row whose key field equals `key`, or -1.
    Q_INVOKABLE int indexOfKey(const QVariant &key) const;
    Q_INVOKABLE QVariantMap get(int row) const { return m_rows.value(row); }

    void reset(const QList<QVariantMap> &rows);
    //! Replaces the row with the same key, or inserts at `row` (-1: at the end).
    void upsert(const QVariantMap &record, int row = -1);
    void removeKey(const QVariant &key);
    void clear() { reset({}); }
    //! Sets one field of every row (for derived flags such as "this is me").
    void setFieldWhere(const QByteArray &field,
                       const std::function<QVariant(const QVariantMap &)> &value);

Q_SIGNALS:
    void countChanged();

private:
    QList<QByteArray> m_fields;
    QByteArray m_keyField;
    QList<QVariantMap> m_rows;
};

} // namespace flippdeal::client
