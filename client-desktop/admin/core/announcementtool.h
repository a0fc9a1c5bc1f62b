// SPDX-License-Identifier: MIT
#pragma once

#include "admintool.h"

#include <QObject>

namespace flippdeal::admin {

class AdminConsole;

//! \brief The Announce tool: sends an announcement to every user who is not banned
//! (POST /api/admin/announcements). It has no rows; `loading` is true while one is being sent.
class AnnouncementTool : public QObject
{
    Q_OBJECT
    Q_PROPERTY(bool loading READ isLoading NOTIFY loadingChanged)
    Q_PROPERTY(QString errorString READ errorString NOTIFY errorStringChanged)

public:
    explicit AnnouncementTool(AdminConsole &console, QObject *parent = nullptr);

    bool isLoading() const { return m_loading; }
    //! Why the last announcement failed (empty when it was sent).
    QString errorString() const { return m_errorString; }
    //! Sends `title` and `body` (both required) after asking.
    bool send(const QString &title, const QString &body, Done done = {});
    //! Forgets the load state (on sign-out).
    void reset();

Q_SIGNALS:
    void loadingChanged();
    void errorStringChanged();
    //! An announcement reached `recipients` users.
    void sent(int recipients);

private:
    void finish(bool ok, const QString &message);

    AdminConsole &m_console;
    bool m_loading = false;
    QString m_errorString;
};

} // namespace flippdeal::admin
