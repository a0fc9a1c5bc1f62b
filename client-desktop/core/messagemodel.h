// SPDX-License-Identifier: MIT
#pragma once

#include "protocol/types.h"

#include "requestgeneration.h"

#include <QAbstractListModel>
#include <QSet>
#include <QTimer>
#include <QtQmlIntegration/qqmlintegration.h>

namespace flippdeal::client {

class ApiClient;
class Outbox;
class RealtimeClient;

//! \brief One open conversation, oldest message first (row 0) so that a view grows at the
//! bottom. Stored messages are loaded a page at a time from the newest backwards
//! (`loadOlder()` as the user scrolls up); messages still in the Outbox follow them as
//! optimistic rows with their status, and turn into the stored message when the server has it.
//!
//! While `active` (the view is visible), incoming messages are marked read, which sends the
//! sender a `MessageRead`. Typing is announced to the other user with `client-typing` events on
//! the two users' `private-conversation.{a}.{b}` channel.
class MessageModel : public QAbstractListModel
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("AppContext creates it at sign-in")
    Q_PROPERTY(qint64 otherUserId READ otherUserId NOTIFY conversationChanged)
    Q_PROPERTY(QString otherName READ otherName NOTIFY conversationChanged)
    Q_PROPERTY(qint64 domainId READ domainIdOrZero NOTIFY conversationChanged)
    Q_PROPERTY(bool loading READ isLoading NOTIFY loadingChanged)
    Q_PROPERTY(bool canLoadOlder READ canLoadOlder NOTIFY loadingChanged)
    Q_PROPERTY(bool peerTyping READ peerTyping NOTIFY peerTypingChanged)
    Q_PROPERTY(bool active READ isActive WRITE setActive NOTIFY activeChanged)
    Q_PROPERTY(QString errorString READ errorString NOTIFY errorStringChanged)

public:
    enum Role
    {
        MessageIdRole = Qt::UserRole, //!< server id, or the negative local id while unsent
        BodyRole,                     //!< plain text; views must not interpret it as markup
        FromMeRole,
        CreatedAtRole, //!< QDateTime, UTC
        ReadRole,      //!< the recipient has read it
        StatusRole,    //!< an Outbox::Delivery, as int
        ErrorRole,     //!< why it failed
    };
    Q_ENUM(Role)

    MessageModel(ApiClient &api, RealtimeClient &realtime, Outbox &outbox, qint64 myUserId,
                 QObject *parent = nullptr);
    ~MessageModel() override;

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

    qint64 otherUserId() const { return m_otherUserId; }
    QString otherName() const { return m_otherName; }
    std::optional<qint64> domainId() const { return m_domainId; }
    qint64 domainIdOrZero() const { return m_domainId.value_or(0); }
    bool isLoading() const { return m_loading; }
    bool canLoadOlder() const { return !m_loading && m_hasOlder && m_otherUserId > 0; }
    bool peerTyping() const { return m_peerTyping; }
    bool isActive() const { return m_active; }
    void setActive(bool active);
    QString errorString() const { return m_errorString; }

    //! Opens the conversation with `otherUserId` about `domainId` (0: all messages with them).
    Q_INVOKABLE void open(qint64 otherUserId, const QString &otherName, qint64 domainId = 0);
    Q_INVOKABLE void close();
    Q_INVOKABLE void loadOlder();
    //! Queues `text` for sending; returns false (and sends nothing) when it is blank.
    Q_INVOKABLE bool send(const QString &text);
    Q_INVOKABLE void retry(qint64 localId);
    Q_INVOKABLE void discard(qint64 localId);
    //! Call on every keystroke; announces typing at most every 2 seconds.
    Q_INVOKABLE void noteTyping();

    int storedCount() const { return int(m_messages.size()); }

Q_SIGNALS:
    void conversationChanged();
    void loadingChanged();
    void peerTypingChanged();
    void activeChanged();
    void errorStringChanged();
    //! Messages from the other user were marked read here (for the inbox's badge).
    void markedRead(qint64 otherUserId, qint64 domainId, int count);

private:
    bool belongs(const protocol::Message &message) const;
    bool belongs(qint64 toUserId, std::optional<qint64> domainId) const;
    void insertStored(const protocol::Message &message);
    void onEvent(const QString &channel, const QString &event, const QJsonObject &data);
    void onOutboxChanged(qint64 localId);
    void markIncomingRead();
    void setPeerTyping(bool typing);
    void setError(const QString &error);
    int localRow(qint64 localId) const;
    QString conversationChannel() const;

    ApiClient &m_api;
    RealtimeClient &m_realtime;
    Outbox &m_outbox;
    qint64 m_me;
    qint64 m_otherUserId = 0;
    QString m_otherName;
    std::optional<qint64> m_domainId;
    QList<protocol::Message> m_messages; // oldest first
    QList<qint64> m_local;               // outbox entries of this conversation, in order
    QSet<qint64> m_marking;
    int m_nextPage = 1;
    bool m_hasOlder = false;
    bool m_loading = false;
    bool m_active = false;
    bool m_peerTyping = false;
    RequestGeneration m_requests; // answers to requests of an earlier open() or attempt are dropped
    QString m_errorString;
    QTimer m_peerTypingTimer;
    qint64 m_lastTypingSentMs = 0;
};

} // namespace flippdeal::client
