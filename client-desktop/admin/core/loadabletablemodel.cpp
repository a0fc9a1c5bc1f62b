// SPDX-License-Identifier: MIT
#include "loadabletablemodel.h"

namespace flippdeal::admin {

void LoadableTableModel::beginLoading()
{
    setLoading(true);
}

void LoadableTableModel::finishLoading(const QString &error)
{
    setLoading(false);
    setErrorString(error);
    if (error.isEmpty())
        Q_EMIT loaded();
    else
        Q_EMIT loadFailed(error);
}

void LoadableTableModel::resetLoadState()
{
    setLoading(false);
    setErrorString({});
}

void LoadableTableModel::setLoading(bool loading)
{
    if (loading == m_loading)
        return;
    m_loading = loading;
    Q_EMIT loadingChanged();
}

void LoadableTableModel::setErrorString(const QString &error)
{
    if (error == m_errorString)
        return;
    m_errorString = error;
    Q_EMIT errorStringChanged();
}

} // namespace flippdeal::admin
