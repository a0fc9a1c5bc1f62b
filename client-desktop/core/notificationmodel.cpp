// SPDX-License-Identifier: MIT
#include "notificationmodel.h"

#include "apiclient.h"
#include "realtimeclient.h"

#include "protocol/timeformat.h"

#include <QDateTime>
#include <QJsonArray>

namespace flippdeal::client {

NotificationModel::NotificationModel(ApiClient &api, RealtimeClient &realtime, qint64 userId,
                                     QObject *parent)
    : QAbstractListModel(parent)
    , m_api(api)
    , m_realtime(&realtime)
    , m_channel(protocol::Channels::user(userId))
{
    connect(&realtime, &RealtimeClient::eventReceived, this,
            [this](const QString &channel, const QString &event, const QJsonObject &data, qint64) {
                onEvent(channel, event, data);
            });
    realtime.subscribe(m_channel);
}

NotificationModel::~NotificationModel()
{
    if (m_realtime)
        m_realtime->unsubscribe(m_channel);
}

int NotificationModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_items.size());
}

QVariant NotificationModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const protocol::Notification &n = m_items.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case TitleRole:
        return titleFor(n);
    case IdRole:
        return n.id;
    case TypeRole:
        return n.type;
    case DataRole:
        return n.data.toVariantMap();
    case CreatedAtRole:
        return QDateTime::fromMSecsSinceEpoch(n.createdAt, Qt::UTC);
    case ReadRole:
        return n.readAt.has_value();
    default:
        return {};
    }
}

QHash<int, QByteArray> NotificationModel::roleNames() const
{
    return {{IdRole, "notificationId"}, {TypeRole, "type"},           {TitleRole, "title"},
            {DataRole, "payload"},      {CreatedAtRole, "createdAt"}, {ReadRole, "read"}};
}

int NotificationModel::unreadCount() const
{
    return int(
        std::count_if(m_items.cbegin(), m_items.cend(), [](const auto &n) { return !n.readAt; }));
}

QString NotificationModel::titleFor(const protocol::Notification &n)
{
    namespace T = protocol::NotificationType;
    const QString domain = n.data.value(QLatin1String("domain_name")).toString();
    const auto money = [](const QJsonValue &cents) {
        return QStringLiteral("$%L1").arg(cents.toDouble() / 100.0, 0, 'f', 2);
    };
    if (n.type == T::MessageReceived)
        return tr("New message from %1").arg(n.data.value(QLatin1String("from_name")).toString());
    if (n.type == T::BidOutbid)
        return tr("You were outbid on %1: now %2")
            .arg(domain, money(n.data.value(QLatin1String("current_bid_cents"))));
    if (n.type == T::BidPlaced)
        return tr("New bid of %1 on %2")
            .arg(money(n.data.value(QLatin1String("amount_cents"))), domain);
    if (n.type == T::AuctionWon)
        return tr("You won %1 for %2")
            .arg(domain, money(n.data.value(QLatin1String("final_bid_cents"))));
    if (n.type == T::AuctionEnded)
        return tr("The auction of %1 has ended").arg(domain);
    if (n.type == T::OfferReceived)
        return tr("Offer of %1 for %2")
            .arg(money(n.data.value(QLatin1String("amount_cents"))), domain);
    if (n.type == T::OfferAccepted)
        return tr("Your offer for %1 was accepted").arg(domain);
    if (n.type == T::OfferRejected)
        return tr("Your offer for %1 was declined").arg(domain);
    if (n.type == T::OfferCountered)
        return tr("Counter-offer of %1 for %2")
            .arg(money(n.data.value(QLatin1String("counter_cents"))), domain);
    if (n.type == T::EscrowUpdated)
        return tr("Escrow is now %1")
            .arg(n.data.value(QLatin1String("status"))
                     .toString()
                     .replace(QLatin1Char('_'), QLatin1Char(' ')));
    if (n.type == T::PayoutCompleted)
        return tr("Payout of %1 sent").arg(money(n.data.value(QLatin1String("amount_cents"))));
    if (n.type == T::Announcement)
        return n.data.value(QLatin1String("title")).toString(tr("Announcement"));
    return n.type;
}

void NotificationModel::setError(const QString &error)
{
    if (error == m_errorString)
        return;
    m_errorString = error;
    Q_EMIT errorStringChanged();
}

void NotificationModel::reload(int limit)
{
    m_loading = true;
    Q_EMIT loadingChanged();
    m_api.get(this, QStringLiteral("/api/notifications?limit=%1").arg(limit),
              [this](const ApiResult &result) {
                  m_loading = false;
                  Q_EMIT loadingChanged();
                  if (!result.ok()) {
                      setError(result.errorString);
                      return;
                  }
                  setError({});
                  QList<protocol::Notification> items;
                  for (const QJsonValue &value :
                       result.json.value(QLatin1String("data")).toArray()) {
                      if (auto n = protocol::Notification::fromJson(value.toObject()))
                          items.append(*n);
                  }
                  // Live ones that arrived while loading and are newer than the page stay on top.
                  for (const protocol::Notification &live : std::as_const(m_items)) {
                      if (std::none_of(items.cbegin(), items.cend(),
                                       [&](const auto &n) { return n.id == live.id; }) &&
                          (items.isEmpty() || live.id > items.first().id))
                          items.prepend(live);
                  }
                  beginResetModel();
                  m_items = std::move(items);
                  endResetModel();
                  Q_EMIT unreadCountChanged();
              });
}

void NotificationModel::onEvent(const QString &channel, const QString &event,
                                const QJsonObject &data)
{
    if (channel != m_channel || event != protocol::EventName::NotificationCreated)
        return;
    const auto n =
        protocol::Notification::fromJson(data.value(QLatin1String("notification")).toObject());
    if (!n || std::any_of(m_items.cbegin(), m_items.cend(),
                          [&](const auto &item) { return item.id == n->id; }))
        return;
    beginInsertRows({}, 0, 0);
    m_items.prepend(*n);
    endInsertRows();
    Q_EMIT unreadCountChanged();
    Q_EMIT notificationArrived(titleFor(*n), n->type);
}

void NotificationModel::setRead(qint64 id, qint64 readAtMs)
{
    for (qsizetype row = 0; row < m_items.size(); ++row) {
        if (m_items[row].id != id || m_items[row].readAt)
            continue;
        m_items[row].readAt = readAtMs;
        const QModelIndex changed = index(int(row));
        Q_EMIT dataChanged(changed, changed, {ReadRole});
        Q_EMIT unreadCountChanged();
        return;
    }
}

void NotificationModel::markRead(qint64 id)
{
    m_api.request(this, "PATCH", QStringLiteral("/api/notifications/%1/read").arg(id), {},
                  [this, id](const ApiResult &result) {
                      if (!result.ok()) {
                          setError(result.errorString);
                          return;
                      }
                      const auto n = protocol::Notification::fromJson(
                          result.json.value(QLatin1String("notification")).toObject());
                      setRead(id, n && n->readAt ? *n->readAt : protocol::nowMs());
                  });
}

void NotificationModel::markAllRead()
{
    m_api.request(this, "POST", QStringLiteral("/api/notifications/read-all"), {},
                  [this](const ApiResult &result) {
                      if (!result.ok()) {
                          setError(result.errorString);
                          return;
                      }
                      const qint64 now = protocol::nowMs();
                      for (const protocol::Notification &n : std::as_const(m_items)) {
                          if (!n.readAt)
                              setRead(n.id, now);
                      }
                  });
}

} // namespace flippdeal::client
