// SPDX-License-Identifier: MIT
#pragma once

#include "jsontablemodel.h"

#include <QDateTime>
#include <QHash>
#include <QObject>

#include <functional>

namespace flippdeal::admin {

//! \brief The names of users and domains that the tables show instead of bare ids, learnt from
//! the API's answers (the user list, the auctions, GET /api/domains/{id}).
class NameDirectory : public QObject
{
    Q_OBJECT

public:
    using QObject::QObject;

    bool knowsUser(qint64 id) const { return m_users.contains(id); }
    bool knowsDomain(qint64 id) const { return m_domains.contains(id); }
    //! `Bob Buyer`, or `#2` while the name is not known.
    QString userLabel(qint64 id) const;
    //! `sunrise.com`, or `#1` while the name is not known.
    QString domainLabel(qint64 id) const;

    //! Learns `{id, name}` of every user object in `users`.
    void addUsers(const QJsonArray &users);
    void addDomain(qint64 id, const QString &name);
    void addDomains(const QJsonArray &domains);

Q_SIGNALS:
    //! New names were learnt.
    void changed();

private:
    QHash<qint64, QString> m_users;
    QHash<qint64, QString> m_domains;
};

//! \brief Users (GET /api/admin/users): the Users tab.
class UserTableModel : public JsonTableModel
{
    Q_OBJECT

public:
    enum Column
    {
        IdColumn,
        NameColumn,
        EmailColumn,
        RoleColumn,
        StatusColumn,
        TokensColumn,
        ConnectionsColumn,
        CreatedColumn,
    };
    Q_ENUM(Column)

    explicit UserTableModel(QObject *parent = nullptr);
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

    static bool isBanned(const QJsonObject &user)
    {
        return !user.value(QLatin1String("banned_at")).isNull() &&
               !user.value(QLatin1String("banned_at")).isUndefined();
    }
    static bool isAdmin(const QJsonObject &user)
    {
        return user.value(QLatin1String("role")).toString() == QLatin1String("admin");
    }
};

//! \brief Channels with subscribers on the node (GET /api/admin/channels): the Channels tab.
class ChannelTableModel : public JsonTableModel
{
    Q_OBJECT

public:
    enum Column
    {
        NameColumn,
        TypeColumn,
        SubscribersColumn,
        MembersColumn,
    };
    Q_ENUM(Column)

    explicit ChannelTableModel(QObject *parent = nullptr);

    //! `public`, `private`, `presence` or `encrypted` from the channel name.
    static QString channelType(const QString &name);
};

//! \brief The presence members of one channel (its `members` array).
class MemberTableModel : public JsonTableModel
{
    Q_OBJECT

public:
    enum Column
    {
        UserIdColumn,
        NameColumn,
        InfoColumn,
    };
    Q_ENUM(Column)

    explicit MemberTableModel(QObject *parent = nullptr);
};

//! \brief Jobs waiting or running (GET /api/admin/jobs).
class PendingJobTableModel : public JsonTableModel
{
    Q_OBJECT

public:
    enum Column
    {
        IdColumn,
        TypeColumn,
        StateColumn,
        AttemptsColumn,
        AvailableColumn,
        LastErrorColumn,
        ReservedByColumn,
        CreatedColumn,
        PayloadColumn,
    };
    Q_ENUM(Column)

    explicit PendingJobTableModel(QObject *parent = nullptr);
};

//! \brief Jobs that used up their attempts (GET /api/admin/jobs/failed).
class FailedJobTableModel : public JsonTableModel
{
    Q_OBJECT

public:
    enum Column
    {
        IdColumn,
        TypeColumn,
        ErrorColumn,
        AttemptsColumn,
        FailedAtColumn,
        JobIdColumn,
        PayloadColumn,
    };
    Q_ENUM(Column)

    explicit FailedJobTableModel(QObject *parent = nullptr);
};

//! \brief Escrows in dispute (GET /api/admin/escrows), with domain and user names.
class EscrowTableModel : public JsonTableModel
{
    Q_OBJECT

public:
    enum Column
    {
        IdColumn,
        DomainColumn,
        BuyerColumn,
        SellerColumn,
        AmountColumn,
        FeeColumn,
        PayoutColumn,
        SourceColumn,
        OpenedColumn,
        DisputedColumn,
    };
    Q_ENUM(Column)

    EscrowTableModel(const NameDirectory &names, QObject *parent = nullptr);
};

//! \brief Live auctions (GET /api/admin/auctions), soonest to end first. The Time left column
//! follows the clock given to setNow().
class AuctionTableModel : public JsonTableModel
{
    Q_OBJECT

public:
    enum Column
    {
        IdColumn,
        DomainColumn,
        OwnerColumn,
        CurrentBidColumn,
        BidsColumn,
        HighBidderColumn,
        ReserveColumn,
        WatchersColumn,
        EndsColumn,
        TimeLeftColumn,
    };
    Q_ENUM(Column)

    AuctionTableModel(const NameDirectory &names, QObject *parent = nullptr);

    QDateTime now() const { return m_now.isValid() ? m_now : QDateTime::currentDateTimeUtc(); }
    //! Moves the clock of the Time left column (each stats poll calls it).
    void setNow(const QDateTime &now);

private:
    QDateTime m_now;
};

} // namespace flippdeal::admin
