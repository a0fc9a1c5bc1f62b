// SPDX-License-Identifier: MIT
#pragma once

#include "loadabletablemodel.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QList>

#include <functional>

namespace flippdeal::admin {

//! \brief One column of a JsonTableModel: which field, its header, and how it is shown.
struct JsonColumn
{
    using Formatter = std::function<QVariant(const QJsonObject &row)>;

    QString key;    //!< the JSON field (the default text and sort value)
    QString header; //!< the header text
    //! The display text; by default the field as text.
    Formatter display = {};
    //! The value sorted by (numbers for money and times); by default the field itself.
    Formatter sortValue = {};
    Qt::Alignment alignment = Qt::AlignLeft | Qt::AlignVCenter;
    //! The tool tip; by default none.
    Formatter toolTip = {};
};

//! \brief A table over JSON objects from the admin API, one row per object, with columns from
//! a JsonColumn list. Rows are identified by `idKey`; setRows() merges a new answer into the
//! rows (updates, removals and insertions rather than a reset), so views keep their selection
//! across refreshes.
class JsonTableModel : public LoadableTableModel
{
    Q_OBJECT
    Q_PROPERTY(int count READ count NOTIFY countChanged)

public:
    enum Role
    {
        ObjectRole = Qt::UserRole + 1, //!< the row's JSON object (QJsonObject)
        IdRole,                        //!< the row's id field
        SortRole,                      //!< the column's sort value
        RawRole,                       //!< the column's JSON field, unformatted
    };
    Q_ENUM(Role)

    JsonTableModel(QList<JsonColumn> columns, QString idKey, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

    int count() const { return int(m_rows.size()); }
    //! The JSON object of `row`, or an empty object.
    QJsonObject objectAt(int row) const { return m_rows.value(row); }
    //! The row whose id field equals `id`, or -1.
    int rowOfId(const QJsonValue &id) const;
    QJsonObject objectWithId(const QJsonValue &id) const { return objectAt(rowOfId(id)); }
    const QList<QJsonObject> &rows() const { return m_rows; }
    const QList<JsonColumn> &columns() const { return m_columns; }

    //! Merges the rows of an API answer: rows with a known id are updated in place, missing ones
    //! removed, new ones appended.
    void setRows(const QJsonArray &rows);
    //! Replaces the row with the same id (or appends it).
    void upsert(const QJsonObject &row);
    void removeId(const QJsonValue &id);
    //! Empties the table and forgets the load state.
    void clear();

Q_SIGNALS:
    void countChanged();

protected:
    //! Announces every cell as changed (after a change of what the formatters read).
    void refreshAll();

private:
    QList<JsonColumn> m_columns;
    QString m_idKey;
    QList<QJsonObject> m_rows;
};

} // namespace flippdeal::admin
