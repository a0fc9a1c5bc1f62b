// SPDX-License-Identifier: MIT
#pragma once

#include <QAbstractTableModel>

namespace flippdeal::admin {

//! \brief A table filled by a request to the admin API: whether the request is in flight
//! (`loading`), why the last one failed (`errorString`), and the signals of both. The tool that
//! owns the table calls beginLoading() and finishLoading().
class LoadableTableModel : public QAbstractTableModel
{
    Q_OBJECT
    Q_PROPERTY(bool loading READ isLoading NOTIFY loadingChanged)
    Q_PROPERTY(QString errorString READ errorString NOTIFY errorStringChanged)

public:
    using QAbstractTableModel::QAbstractTableModel;

    //! A request for the rows is in flight.
    bool isLoading() const { return m_loading; }
    //! Why the last load failed (empty when it succeeded).
    QString errorString() const { return m_errorString; }
    //! Called by the tool that fills the table when its request starts.
    void beginLoading();
    //! Called when the answer is in: `error` is empty on success (then loaded() is emitted).
    void finishLoading(const QString &error = {});

Q_SIGNALS:
    void loadingChanged();
    void errorStringChanged();
    //! An answer was taken in.
    void loaded();
    //! A load failed; errorString() holds the reason.
    void loadFailed(const QString &error);

protected:
    //! Forgets the load state (no request in flight, no error), for clear().
    void resetLoadState();

private:
    void setLoading(bool loading);
    void setErrorString(const QString &error);

    bool m_loading = false;
    QString m_errorString;
};

} // namespace flippdeal::admin
