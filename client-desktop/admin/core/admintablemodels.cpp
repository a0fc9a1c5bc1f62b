// SPDX-License-Identifier: MIT
#include "admintablemodels.h"

#include "formatting.h"

#include <QBrush>
#include <QColor>
#include <QFont>
#include <QJsonDocument>

namespace flippdeal::admin {

namespace {

constexpr Qt::Alignment Right = Qt::AlignRight | Qt::AlignVCenter;
constexpr Qt::Alignment Center = Qt::AlignHCenter | Qt::AlignVCenter;

QJsonValue field(const QJsonObject &row, const char *key)
{
    return row.value(QLatin1String(key));
}

qint64 integer(const QJsonObject &row, const char *key)
{
    return field(row, key).toInteger();
}

//! A column of a plain field.
JsonColumn text(const char *key, const QString &header)
{
    return {QString::fromLatin1(key), header};
}

//! A column of a whole number, right-aligned, sorted as a number.
JsonColumn number(const char *key, const QString &header)
{
    return {QString::fromLatin1(key), header,
            [key](const QJsonObject &row) -> QVariant { return format::count(integer(row, key)); },
            [key](const QJsonObject &row) -> QVariant { return integer(row, key); }, Right};
}

//! A column of an id, sorted as a number. Presence members' ids are strings in the Pusher
//! protocol ("12"), the API's own ids numbers.
JsonColumn id(const char *key, const QString &header)
{
    const auto number = [key](const QJsonObject &row) -> QVariant {
        const QJsonValue value = field(row, key);
        return value.isString() ? value.toString().toLongLong() : value.toInteger();
    };
    return {QString::fromLatin1(key), header,
            [key](const QJsonObject &row) -> QVariant {
                const QJsonValue value = field(row, key);
                return value.isString() ? value.toString() : QString::number(value.toInteger());
            },
            number, Right};
}

//! A column of integer cents as dollars, sorted by the cents.
JsonColumn money(const char *key, const QString &header)
{
    return {QString::fromLatin1(key), header,
            [key](const QJsonObject &row) -> QVariant { return format::money(field(row, key)); },
            [key](const QJsonObject &row) -> QVariant { return integer(row, key); }, Right};
}

//! A column of a UTC ISO time in local time, sorted by the instant; the tool tip is UTC.
JsonColumn time(const char *key, const QString &header)
{
    return {
        QString::fromLatin1(key),
        header,
        [key](const QJsonObject &row) -> QVariant { return format::localTime(field(row, key)); },
        [key](const QJsonObject &row) -> QVariant { return format::epochMs(field(row, key)); },
        Qt::AlignLeft | Qt::AlignVCenter,
        [key](const QJsonObject &row) -> QVariant {
            const QString utc = field(row, key).toString();
            return utc.isEmpty() ? QVariant() : QVariant(utc);
        }};
}

//! A column of a JSON object shown compactly (payloads, user info).
JsonColumn compactJson(const char *key, const QString &header)
{
    const auto show = [key](const QJsonObject &row) -> QVariant {
        const QJsonValue value = field(row, key);
        if (value.isObject())
            return QString::fromUtf8(
                QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact));
        if (value.isArray())
            return QString::fromUtf8(QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact));
        return value.toVariant().toString();
    };
    return {QString::fromLatin1(key), header, show, show, Qt::AlignLeft | Qt::AlignVCenter, show};
}

//! A column of a user id shown with the user's name.
JsonColumn user(const NameDirectory &names, const char *key, const QString &header)
{
    const auto label = [&names, key](const QJsonObject &row) -> QVariant {
        const QJsonValue value = field(row, key);
        if (value.isNull() || value.isUndefined())
            return QStringLiteral("—");
        return names.userLabel(value.toInteger());
    };
    return {QString::fromLatin1(key),
            header,
            label,
            label,
            Qt::AlignLeft | Qt::AlignVCenter,
            [key](const QJsonObject &row) -> QVariant {
                const QJsonValue value = field(row, key);
                return value.isNull() ? QVariant()
                                      : QVariant(QStringLiteral("User #%1").arg(value.toInteger()));
            }};
}

const QColor BannedColor(0xc6, 0x28, 0x28);
const QColor AdminColor(0x15, 0x65, 0xc0);

} // namespace

// ---- NameDirectory ---------------------------------------------------------------------------

QString NameDirectory::userLabel(qint64 id) const
{
    const QString name = m_users.value(id);
    return name.isEmpty() ? QStringLiteral("#%1").arg(id) : name;
}

QString NameDirectory::domainLabel(qint64 id) const
{
    const QString name = m_domains.value(id);
    return name.isEmpty() ? QStringLiteral("#%1").arg(id) : name;
}

void NameDirectory::addUsers(const QJsonArray &users)
{
    bool learnt = false;
    for (const QJsonValue &value : users) {
        const QJsonObject user = value.toObject();
        const qint64 id = integer(user, "id");
        const QString name = field(user, "name").toString();
        if (id > 0 && !name.isEmpty() && m_users.value(id) != name) {
            m_users.insert(id, name);
            learnt = true;
        }
    }
    if (learnt)
        Q_EMIT changed();
}

void NameDirectory::addDomain(qint64 id, const QString &name)
{
    if (id <= 0 || name.isEmpty() || m_domains.value(id) == name)
        return;
    m_domains.insert(id, name);
    Q_EMIT changed();
}

void NameDirectory::addDomains(const QJsonArray &domains)
{
    bool learnt = false;
    for (const QJsonValue &value : domains) {
        const QJsonObject domain = value.toObject();
        const qint64 id = integer(domain, "id");
        const QString name = field(domain, "name").toString();
        if (id > 0 && !name.isEmpty() && m_domains.value(id) != name) {
            m_domains.insert(id, name);
            learnt = true;
        }
    }
    if (learnt)
        Q_EMIT changed();
}

// ---- Users -----------------------------------------------------------------------------------

UserTableModel::UserTableModel(QObject *parent)
    : JsonTableModel(
          {
              id("id", tr("ID")),
              text("name", tr("Name")),
              text("email", tr("Email")),
              {QStringLiteral("role"), tr("Role"),
               [](const QJsonObject &row) -> QVariant {
                   return isAdmin(row) ? tr("Admin") : tr("User");
               }},
              {QStringLiteral("banned_at"), tr("Status"),
               [](const QJsonObject &row) -> QVariant {
                   if (!isBanned(row))
                       return tr("Active");
                   return tr("Banned %1").arg(format::localTime(field(row, "banned_at")));
               },
               [](const QJsonObject &row) -> QVariant {
                   return isBanned(row) ? format::epochMs(field(row, "banned_at")) : 0;
               }},
              number("tokens", tr("Tokens")),
              number("connections", tr("Connections")),
              time("created_at", tr("Registered")),
          },
          QStringLiteral("id"), parent)
{}

QVariant UserTableModel::data(const QModelIndex &index, int role) const
{
    if (role == Qt::ForegroundRole && index.isValid()) {
        const QJsonObject user = objectAt(index.row());
        if (index.column() == StatusColumn && isBanned(user))
            return QBrush(BannedColor);
        if (index.column() == RoleColumn && isAdmin(user))
            return QBrush(AdminColor);
        return {};
    }
    if (role == Qt::FontRole && index.isValid() && index.column() == StatusColumn &&
        isBanned(objectAt(index.row()))) {
        QFont bold;
        bold.setBold(true);
        return bold;
    }
    return JsonTableModel::data(index, role);
}

// ---- Channels --------------------------------------------------------------------------------

QString ChannelTableModel::channelType(const QString &name)
{
    if (name.startsWith(QLatin1String("presence-")))
        return QStringLiteral("presence");
    if (name.startsWith(QLatin1String("private-encrypted-")))
        return QStringLiteral("encrypted");
    if (name.startsWith(QLatin1String("private-")))
        return QStringLiteral("private");
    return QStringLiteral("public");
}

ChannelTableModel::ChannelTableModel(QObject *parent)
    : JsonTableModel(
          {
              text("name", tr("Channel")),
              {QStringLiteral("name"), tr("Type"),
               [](const QJsonObject &row) -> QVariant {
                   return channelType(field(row, "name").toString());
               },
               [](const QJsonObject &row) -> QVariant {
                   return channelType(field(row, "name").toString());
               }},
              number("subscribers", tr("Subscribers")),
              {QStringLiteral("members"), tr("Members"),
               [](const QJsonObject &row) -> QVariant {
                   const QJsonValue members = field(row, "members");
                   return members.isArray() ? format::count(members.toArray().size())
                                            : QStringLiteral("—");
               },
               [](const QJsonObject &row) -> QVariant {
                   const QJsonValue members = field(row, "members");
                   return members.isArray() ? members.toArray().size() : -1;
               },
               Right},
          },
          QStringLiteral("name"), parent)
{}

MemberTableModel::MemberTableModel(QObject *parent)
    : JsonTableModel(
          {
              id("user_id", tr("User ID")),
              {QStringLiteral("user_info"), tr("Name"),
               [](const QJsonObject &row) -> QVariant {
                   return field(row, "user_info")
                       .toObject()
                       .value(QLatin1String("name"))
                       .toString();
               }},
              compactJson("user_info", tr("User info")),
          },
          QStringLiteral("user_id"), parent)
{}

// ---- Jobs ------------------------------------------------------------------------------------

PendingJobTableModel::PendingJobTableModel(QObject *parent)
    : JsonTableModel(
          {
              id("id", tr("ID")),
              text("type", tr("Type")),
              {QStringLiteral("state"), tr("State"),
               [](const QJsonObject &row) -> QVariant {
                   const QString state = field(row, "state").toString();
                   if (state == QLatin1String("ready"))
                       return tr("Ready");
                   if (state == QLatin1String("delayed"))
                       return tr("Delayed");
                   if (state == QLatin1String("running"))
                       return tr("Running");
                   return state;
               }},
              {QStringLiteral("attempts"), tr("Attempts"),
               [](const QJsonObject &row) -> QVariant {
                   return QStringLiteral("%1 / %2")
                       .arg(integer(row, "attempts"))
                       .arg(integer(row, "max_attempts"));
               },
               [](const QJsonObject &row) -> QVariant { return integer(row, "attempts"); }, Center},
              time("available_at", tr("Available at")),
              text("last_error", tr("Last error")),
              text("reserved_by", tr("Worker")),
              time("created_at", tr("Queued")),
              compactJson("payload", tr("Payload")),
          },
          QStringLiteral("id"), parent)
{}

FailedJobTableModel::FailedJobTableModel(QObject *parent)
    : JsonTableModel(
          {
              id("id", tr("ID")),
              text("type", tr("Type")),
              {QStringLiteral("error"),
               tr("Error"),
               [](const QJsonObject &row) -> QVariant {
                   // The first line: a stack of messages would make the row tall.
                   return field(row, "error").toString().section(QLatin1Char('\n'), 0, 0);
               },
               {},
               Qt::AlignLeft | Qt::AlignVCenter,
               [](const QJsonObject &row) -> QVariant { return field(row, "error").toString(); }},
              number("attempts", tr("Attempts")),
              time("failed_at", tr("Failed at")),
              id("job_id", tr("Job ID")),
              compactJson("payload", tr("Payload")),
          },
          QStringLiteral("id"), parent)
{}

// ---- Escrows ---------------------------------------------------------------------------------

EscrowTableModel::EscrowTableModel(const NameDirectory &names, QObject *parent)
    : JsonTableModel(
          {
              id("id", tr("ID")),
              {QStringLiteral("domain_id"), tr("Domain"),
               [&names](const QJsonObject &row) -> QVariant {
                   return names.domainLabel(integer(row, "domain_id"));
               },
               [&names](const QJsonObject &row) -> QVariant {
                   return names.domainLabel(integer(row, "domain_id"));
               }},
              user(names, "buyer_id", tr("Buyer")),
              user(names, "seller_id", tr("Seller")),
              money("amount_cents", tr("Amount")),
              money("fee_cents", tr("Fee")),
              money("payout_cents", tr("Seller payout")),
              {QStringLiteral("source"), tr("Source"),
               [](const QJsonObject &row) -> QVariant {
                   const QString source = field(row, "source").toString();
                   if (source == QLatin1String("auction"))
                       return tr("Auction");
                   if (source == QLatin1String("offer"))
                       return tr("Offer #%1").arg(integer(row, "offer_id"));
                   return source;
               }},
              time("created_at", tr("Opened")),
              time("updated_at", tr("Disputed since")),
          },
          QStringLiteral("id"), parent)
{
    connect(&names, &NameDirectory::changed, this, &EscrowTableModel::refreshAll);
}

// ---- Auctions --------------------------------------------------------------------------------

AuctionTableModel::AuctionTableModel(const NameDirectory &names, QObject *parent)
    : JsonTableModel(
          {
              id("id", tr("ID")),
              text("name", tr("Domain")),
              user(names, "owner_id", tr("Owner")),
              money("current_bid_cents", tr("Current bid")),
              number("bid_count", tr("Bids")),
              user(names, "high_bidder_id", tr("High bidder")),
              {QStringLiteral("reserve_cents"), tr("Reserve"),
               [](const QJsonObject &row) -> QVariant {
                   const QJsonValue reserve = field(row, "reserve_cents");
                   if (reserve.isNull() || reserve.isUndefined())
                       return tr("none");
                   const bool met = integer(row, "bid_count") > 0 &&
                                    integer(row, "current_bid_cents") >= reserve.toInteger();
                   return tr("%1 (%2)").arg(format::money(reserve),
                                            met ? tr("met") : tr("not met"));
               },
               [](const QJsonObject &row) -> QVariant { return integer(row, "reserve_cents"); },
               Right},
              number("watchers", tr("Watchers")),
              time("ends_at", tr("Ends at")),
              {QStringLiteral("ends_at"), tr("Time left"),
               [this](const QJsonObject &row) -> QVariant {
                   const auto ends = format::parseUtc(field(row, "ends_at").toString());
                   return ends ? format::relative(*ends, now(), tr("ending")) : QString();
               },
               [](const QJsonObject &row) -> QVariant {
                   return format::epochMs(field(row, "ends_at"));
               },
               Right},
          },
          QStringLiteral("id"), parent)
{
    connect(&names, &NameDirectory::changed, this, &AuctionTableModel::refreshAll);
}

void AuctionTableModel::setNow(const QDateTime &now)
{
    m_now = now;
    if (count() > 0)
        Q_EMIT dataChanged(index(0, TimeLeftColumn), index(count() - 1, TimeLeftColumn),
                           {Qt::DisplayRole});
}

} // namespace flippdeal::admin
