// SPDX-License-Identifier: MIT
#pragma once

#include <QJsonObject>
#include <QSortFilterProxyModel>
#include <QTableView>

namespace flippdeal::admin {

class JsonTableModel;

//! \brief A QTableView over a JsonTableModel through a sorting proxy, as every tab of the
//! console uses it: whole-row single selection, sortable headers, a hint in the empty table,
//! and column widths fitted to the first rows that arrive.
class AdminTableView : public QTableView
{
    Q_OBJECT

public:
    AdminTableView(JsonTableModel *model, QWidget *parent = nullptr);

    JsonTableModel *sourceModel() const { return m_model; }
    QSortFilterProxyModel *proxy() const { return m_proxy; }

    //! The text shown while the table is empty.
    void setPlaceholderText(const QString &text);
    //! The column that takes the width left over (-1: none, the last one stretches).
    void setStretchColumn(int column);
    //! The object of the selected row, or an empty object.
    QJsonObject selectedObject() const;
    //! The id of the selected row, or 0.
    qint64 selectedId() const;
    //! Selects the first row in the view's order (for screenshots and keyboard users).
    void selectFirstRow();
    //! Fits the columns to their contents (capped), then stretches the stretch column.
    void fitColumns();
    //! Widens the columns from `first` to `last` where their contents need it.
    void growColumns(int first, int last);

Q_SIGNALS:
    //! The selected row changed (or its data did).
    void currentObjectChanged();

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    JsonTableModel *m_model;
    QSortFilterProxyModel *m_proxy;
    QString m_placeholder;
    int m_stretchColumn = -1;
    bool m_fitted = false;
};

} // namespace flippdeal::admin
