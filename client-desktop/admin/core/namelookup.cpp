// SPDX-License-Identifier: MIT
#include "namelookup.h"

#include "adminconsole.h"
#include "admintool_p.h"

#include "apiclient.h"

namespace flippdeal::admin {

using client::ApiResult;

namespace {

//! How often the user directory is fetched at most, and how many users it holds.
constexpr qint64 UserDirectoryMaxAgeMs = 15000;
constexpr int UserDirectorySize = 500;

} // namespace

NameLookup::NameLookup(AdminConsole &console, NameDirectory &names)
    : m_console(console)
    , m_names(names)
{}

void NameLookup::reset()
{
    m_domainLookups.clear();
    m_userDirectoryLoading = false;
    m_userDirectoryAge.invalidate();
}

void NameLookup::learn(const QList<QJsonObject> &rows, const QList<const char *> &userKeys,
                       const char *domainKey)
{
    bool userMissing = false;
    for (const QJsonObject &row : rows) {
        for (const char *key : userKeys) {
            const QJsonValue id = row.value(QLatin1String(key));
            if (!id.isNull() && !id.isUndefined() && !m_names.knowsUser(id.toInteger()))
                userMissing = true;
        }
        // Domains of escrows are not in the auction list (they were sold): each is looked up.
        if (domainKey)
            lookUpDomain(tool::integer(row, domainKey));
    }
    if (userMissing)
        loadUserDirectory();
}

void NameLookup::lookUpDomain(qint64 domainId)
{
    if (domainId <= 0 || m_names.knowsDomain(domainId) || m_domainLookups.contains(domainId))
        return;
    m_domainLookups.insert(domainId);
    const quint64 generation = m_console.generation();
    m_console.api().get(
        &m_names, QStringLiteral("/api/domains/%1").arg(domainId),
        [this, generation](const ApiResult &result) {
            if (generation != m_console.generation() || !result.ok())
                return;
            const QJsonObject found = result.json.value(QLatin1String("domain")).toObject();
            m_names.addDomain(tool::integer(found, "id"), tool::string(found, "name"));
        });
}

void NameLookup::loadUserDirectory()
{
    if (m_userDirectoryLoading ||
        (m_userDirectoryAge.isValid() && m_userDirectoryAge.elapsed() < UserDirectoryMaxAgeMs))
        return;
    m_userDirectoryLoading = true;
    m_userDirectoryAge.start();
    const quint64 generation = m_console.generation();
    m_console.api().get(
        &m_names, QStringLiteral("/api/admin/users?limit=%1").arg(UserDirectorySize),
        [this, generation](const ApiResult &result) {
            if (generation != m_console.generation())
                return;
            m_userDirectoryLoading = false;
            if (result.ok())
                m_names.addUsers(result.json.value(QLatin1String("data")).toArray());
        });
}

} // namespace flippdeal::admin
