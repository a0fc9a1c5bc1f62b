// SPDX-License-Identifier: MIT
#include "messagemodel.h"

#include "apiclient.h"
#include "outbox.h"
#include "realtimeclient.h"

#include "protocol/timeformat.h"

#include <QDateTime>
#include <QJsonArray>
#include <QUrlQuery>

namespace flippdeal::client {

namespace {
constexpr int PageSize = 30;
constexpr int TypingAnnounceMs = 2000;
constexpr int TypingShownMs = 4000;
const QString TypingEvent = QStringLiteral("client-typing");
} // namespace

MessageModel::MessageModel(ApiClient &api, RealtimeClient &realtime, Outbox &outbox,
                           qint64 myUserId, QObject *parent)
    : QAbstractListModel(parent)
    , m_api(api)
    , m_realtime(realtime)
    , m_outbox(outbox)
    , m_me(myUserId)
{
    m_peerTypingTimer.setSingleShot(true);
    m_peerTypingTimer.setInterval(TypingShownMs);
    connect(&m_peerTypingTimer, &QTimer::timeout, this, [this] { setPeerTyping(false); });
    connect(&m_realtime, &RealtimeClient::eventReceived, this,
            [this](const QString &channel, const QString &event, const QJsonObject &data, qint64) {
                onEvent(channel, event, data);
            });
    connect(&m_realtime, &RealtimeClient::clientEventReceived, this,
            [this](const QString &channel, const QString &event, const QJsonObject &data,
                   const QString &) {
                if (m_otherUserId > 0 && channel == conversationChannel() && event == TypingEvent &&
                    data.value(QLatin1String("user_id")).toInteger() == m_otherUserId) {
                    setPeerTyping(true);
                    m_peerTypingTimer.start();
                }
            });
    connect(&m_outbox, &Outbox::added, this, [this](qint64 localId) {
        const Outbox::Entry *entry = m_outbox.entry(localId);
        if (!entry || !belongs(entry->toUserId, entry->domainId))
            return;
        const int row = rowCount();
        beginInsertRows({}, row, row);
        m_local.append(localId);
        endInsertRows();
    });
    connect(&m_outbox, &Outbox::changed, this, &MessageModel::onOutboxChanged);
    connect(&m_outbox, &Outbox::removed, this, [this](qint64 localId) {
        const int row = localRow(localId);
        if (row < 0)
            return;
        beginRemoveRows({}, row, row);
        m_local.removeAt(row - storedCount());
        endRemoveRows();
    });
    connect(&m_outbox, &Outbox::delivered, this,
            [this](qint64 localId, const protocol::Message &message) {
                const int row = localRow(localId);
                if (row >= 0) {
                    beginRemoveRows({}, row, row);
                    m_local.removeAt(row - storedCount());
                    endRemoveRows();
                }
                if (belongs(message))
                    insertStored(message);
            });
}

MessageModel::~MessageModel() = default;

int MessageModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_messages.size() + m_local.size());
}

QVariant MessageModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const int row = index.row();
    if (row < storedCount()) {
        const protocol::Message &m = m_messages.at(row);
        switch (role) {
        case Qt::DisplayRole:
        case BodyRole:
            return m.body;
        case MessageIdRole:
            return m.id;
        case FromMeRole:
            return m.fromUserId == m_me;
        case CreatedAtRole:
            return QDateTime::fromMSecsSinceEpoch(m.createdAt, Qt::UTC);
        case ReadRole:
            return m.readAt.has_value();
        case StatusRole:
            return int(Outbox::Delivery::Sent); // an int, as QML compares it with Outbox.Sent
        case ErrorRole:
            return QString();
        default:
            return {};
        }
    }
    const Outbox::Entry *e = m_outbox.entry(m_local.at(row - storedCount()));
    if (!e)
        return {};
    switch (role) {
    case Qt::DisplayRole:
    case BodyRole:
        return e->body;
    case MessageIdRole:
        return e->localId;
    case FromMeRole:
        return true;
    case CreatedAtRole:
        return QDateTime::fromMSecsSinceEpoch(e->createdAt, Qt::UTC);
    case ReadRole:
        return false;
    case StatusRole:
        return int(e->status);
    case ErrorRole:
        return e->errorString;
    default:
        return {};
    }
}

QHash<int, QByteArray> MessageModel::roleNames() const
{
    return {{MessageIdRole, "messageId"}, {BodyRole, "body"}, {FromMeRole, "fromMe"},
            {CreatedAtRole, "createdAt"}, {ReadRole, "read"}, {StatusRole, "status"},
            {ErrorRole, "errorText"}};
}

QString MessageModel::conversationChannel() const
{
    return protocol::Channels::conversation(m_me, m_otherUserId);
}

bool MessageModel::belongs(qint64 toUserId, std::optional<qint64> domainId) const
{
    return m_otherUserId > 0 && toUserId == m_otherUserId &&
           (!m_domainId || domainId == m_domainId);
}

bool MessageModel::belongs(const protocol::Message &m) const
{
    const bool pair = (m.fromUserId == m_me && m.toUserId == m_otherUserId) ||
                      (m.fromUserId == m_otherUserId && m.toUserId == m_me);
    return m_otherUserId > 0 && pair && (!m_domainId || m.domainId == m_domainId);
}

int MessageModel::localRow(qint64 localId) const
{
    const qsizetype i = m_local.indexOf(localId);
    return i < 0 ? -1 : storedCount() + int(i);
}

void MessageModel::open(qint64 otherUserId, const QString &otherName, qint64 domainId)
{
    if (otherUserId <= 0 || otherUserId == m_me)
        return;
    const std::optional<qint64> domain =
        domainId > 0 ? std::optional<qint64>(domainId) : std::nullopt;
    if (otherUserId == m_otherUserId && domain == m_domainId) {
        if (!otherName.isEmpty() && otherName != m_otherName) {
            m_otherName = otherName;
            Q_EMIT conversationChanged();
        }
        return;
    }
    close();
    beginResetModel();
    m_otherUserId = otherUserId;
    m_otherName = otherName.isEmpty() ? tr("User %1").arg(otherUserId) : otherName;
    m_domainId = domain;
    for (const Outbox::Entry &entry : m_outbox.entries())
        if (belongs(entry.toUserId, entry.domainId))
            m_local.append(entry.localId);
    m_nextPage = 1;
    m_hasOlder = true;
    endResetModel();
    Q_EMIT conversationChanged();
    m_realtime.subscribe(conversationChannel());
    loadOlder();
}

void MessageModel::close()
{
    if (m_otherUserId <= 0)
        return;
    m_realtime.unsubscribe(conversationChannel());
    m_requests.reset();
    beginResetModel();
    m_otherUserId = 0;
    m_otherName.clear();
    m_domainId.reset();
    m_messages.clear();
    m_local.clear();
    m_marking.clear();
    m_hasOlder = false;
    endResetModel();
    if (m_loading) {
        m_loading = false;
        Q_EMIT loadingChanged();
    }
    setPeerTyping(false);
    setError({});
    Q_EMIT conversationChanged();
}

void MessageModel::loadOlder()
{
    if (!canLoadOlder())
        return;
    m_loading = true;
    Q_EMIT loadingChanged();
    QUrlQuery query;
    query.addQueryItem(QStringLiteral("page"), QString::number(m_nextPage));
    query.addQueryItem(QStringLiteral("per_page"), QString::number(PageSize));
    if (m_domainId)
        query.addQueryItem(QStringLiteral("domain_id"), QString::number(*m_domainId));
    m_api.get(this,
              QStringLiteral("/api/messages/conversations/%1?%2")
                  .arg(m_otherUserId)
                  .arg(query.toString(QUrl::FullyEncoded)),
              m_requests.guard([this](const ApiResult &result) {
                  m_loading = false;
                  if (!result.ok()) {
                      setError(result.errorString);
                      Q_EMIT loadingChanged();
                      return;
                  }
                  setError({});
                  const QJsonArray data = result.json.value(QLatin1String("data")).toArray();
                  for (const QJsonValue &value : data)
                      if (const auto message = protocol::Message::fromJson(value.toObject()))
                          insertStored(*message);
                  const qint64 total = result.json.value(QLatin1String("meta"))
                                           .toObject()
                                           .value(QLatin1String("total"))
                                           .toInteger();
                  m_hasOlder = qint64(m_nextPage) * PageSize < total;
                  ++m_nextPage;
                  Q_EMIT loadingChanged();
                  markIncomingRead();
              }));
}

void MessageModel::insertStored(const protocol::Message &message)
{
    // Ids grow with time, so id order is the conversation's order.
    const auto it =
        std::lower_bound(m_messages.begin(), m_messages.end(), message.id,
                         [](const protocol::Message &m, qint64 id) { return m.id < id; });
    const int row = int(it - m_messages.begin());
    if (it != m_messages.end() && it->id == message.id) {
        if (it->readAt != message.readAt && message.readAt) {
            it->readAt = message.readAt;
            Q_EMIT dataChanged(index(row), index(row), {ReadRole});
        }
        return;
    }
    beginInsertRows({}, row, row);
    m_messages.insert(row, message);
    endInsertRows();
}

void MessageModel::onEvent(const QString &channel, const QString &event, const QJsonObject &data)
{
    if (m_otherUserId <= 0 || channel != protocol::Channels::user(m_me))
        return;
    if (event != protocol::EventName::MessageSent && event != protocol::EventName::MessageRead)
        return;
    const auto message =
        protocol::Message::fromJson(data.value(QLatin1String("message")).toObject());
    if (!message || !belongs(*message))
        return;
    if (event == protocol::EventName::MessageRead) {
        // A receipt updates a row that is shown; an older message that is not loaded yet comes
        // with its page (inserting it here would show it out of context, above a gap).
        const bool shown =
            std::any_of(m_messages.cbegin(), m_messages.cend(),
                        [&message](const protocol::Message &m) { return m.id == message->id; });
        if (shown)
            insertStored(*message);
        return;
    }
    insertStored(*message);
    if (message->fromUserId == m_otherUserId) {
        setPeerTyping(false);
        markIncomingRead();
    }
}

void MessageModel::onOutboxChanged(qint64 localId)
{
    const int row = localRow(localId);
    if (row < 0)
        return;
    // A retried message moves to the end of the outbox; keep the rows in the outbox's order.
    const int last = rowCount() - 1;
    if (row != last && m_outbox.entries().last().localId == localId) {
        beginMoveRows({}, row, row, {}, last + 1);
        m_local.move(row - storedCount(), m_local.size() - 1);
        endMoveRows();
        Q_EMIT dataChanged(index(last), index(last), {StatusRole, ErrorRole});
        return;
    }
    Q_EMIT dataChanged(index(row), index(row), {StatusRole, ErrorRole});
}

void MessageModel::setActive(bool active)
{
    if (active == m_active)
        return;
    m_active = active;
    Q_EMIT activeChanged();
    markIncomingRead();
}

void MessageModel::markIncomingRead()
{
    if (!m_active)
        return;
    for (const protocol::Message &m : std::as_const(m_messages)) {
        if (m.fromUserId != m_otherUserId || m.readAt || m_marking.contains(m.id))
            continue;
        m_marking.insert(m.id);
        m_api.request(this, "PATCH", QStringLiteral("/api/messages/%1/read").arg(m.id), {},
                      m_requests.guard([this, id = m.id](const ApiResult &result) {
                          m_marking.remove(id);
                          const auto stored = protocol::Message::fromJson(
                              result.json.value(QLatin1String("message")).toObject());
                          if (!result.ok() || !stored)
                              return; // tried again on the next arrival or activation
                          insertStored(*stored);
                          Q_EMIT markedRead(m_otherUserId, m_domainId.value_or(0), 1);
                      }));
    }
}

bool MessageModel::send(const QString &text)
{
    const QString body = text.trimmed();
    if (body.isEmpty() || m_otherUserId <= 0)
        return false;
    m_outbox.enqueue(m_otherUserId, m_domainId, body);
    return true;
}

void MessageModel::retry(qint64 localId)
{
    m_outbox.retry(localId);
}

void MessageModel::discard(qint64 localId)
{
    m_outbox.discard(localId);
}

void MessageModel::noteTyping()
{
    const qint64 now = protocol::nowMs();
    if (m_otherUserId <= 0 || now - m_lastTypingSentMs < TypingAnnounceMs ||
        m_realtime.state() != RealtimeClient::State::Connected)
        return;
    m_lastTypingSentMs = now;
    QJsonObject data{{QLatin1String("user_id"), m_me}};
    if (m_domainId)
        data.insert(QLatin1String("domain_id"), *m_domainId);
    m_realtime.sendClientEvent(conversationChannel(), TypingEvent, data);
}

void MessageModel::setPeerTyping(bool typing)
{
    if (typing == m_peerTyping)
        return;
    m_peerTyping = typing;
    Q_EMIT peerTypingChanged();
}

void MessageModel::setError(const QString &error)
{
    if (error == m_errorString)
        return;
    m_errorString = error;
    Q_EMIT errorStringChanged();
}

} // namespace flippdeal::client
