// SPDX-License-Identifier: MIT
#pragma once

#include "admintablemodels.h"

#include <QElapsedTimer>
#include <QJsonObject>
#include <QList>
#include <QSet>

namespace flippdeal::admin {

class AdminConsole;

//! \brief Fills the NameDirectory for the Escrows and Auctions tools: each unknown domain is
//! looked up once (GET /api/domains/{id}), and the user list is fetched when a user id is
//! unknown (at most every 15 s).
class NameLookup
{
public:
    NameLookup(AdminConsole &console, NameDirectory &names);

    NameDirectory &names() { return m_names; }
    //! Looks up the users named by `userKeys` and the domain named by `domainKey` (if any) in
    //! `rows` that the directory does not know yet.
    void learn(const QList<QJsonObject> &rows, const QList<const char *> &userKeys,
               const char *domainKey = nullptr);
    //! Forgets what is in flight (on sign-in and sign-out).
    void reset();

private:
    void lookUpDomain(qint64 domainId);
    void loadUserDirectory();

    AdminConsole &m_console;
    NameDirectory &m_names;
    QSet<qint64> m_domainLookups;
    QElapsedTimer m_userDirectoryAge;
    bool m_userDirectoryLoading = false;
};

} // namespace flippdeal::admin
