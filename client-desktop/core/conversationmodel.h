// SPDX-License-Identifier: MIT
#pragma once

#include "protocol/types.h"

#include <QAbstractListModel>
#include <QtQmlIntegration/qqmlintegration.h>

namespace flippdeal::client {

class ApiClient;
class RealtimeClient;

//! \brief The inbox: one row per (other user, domain), the latest message first, with the
//! number of unread messages from the other user. Loaded from `GET /api/messages/conversations`
//! and kept live from `MessageSent` on the user's channel.
class ConversationModel : public QAbstractListModel
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("AppContext creates it at sign-in")
    Q_PROPERTY(int totalUnread READ totalUnread NOTIFY totalUnreadChanged)
    Q_PROPERTY(bool loading READ isLoading NOTIFY loadingChanged)
    Q_PROPERTY(QString errorString READ errorString NOTIFY errorStringChanged)

public:
    enum Role
    {
        OtherUserIdRole = Qt::UserRole,
        OtherNameRole,
        DomainIdRole, //!< 0 when the conversation is about no domain
        LastBodyRole,
        LastFromMeRole,
        LastAtRole, //!< QDateTime, UTC
        UnreadRole,
    };
    Q_ENUM(Role)

    ConversationModel(ApiClient &api, RealtimeClient &realtime, qint64 myUserId,
                      QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

    int totalUnread() const;
    bool isLoading() const { return m_loading; }
    QString errorString() const { return m_errorString; }

    Q_INVOKABLE void reload();
    //! `count` messages of this conversation were read here.
    Q_INVOKABLE void noteRead(qint64 otherUserId, qint64 domainId, int count);
    //! The row of a conversation, or -1.
    Q_INVOKABLE int rowOf(qint64 otherUserId, qint64 domainId) const;

Q_SIGNALS:
    void totalUnreadChanged();
    void loadingChanged();
    void errorStringChanged();

private:
    struct Row
    {
        protocol::User other;
        qint64 domainId = 0;
        protocol::Message last;
        int unread = 0;
    };
    void onEvent(const QString &channel, const QString &event, const QJsonObject &data);

    ApiClient &m_api;
    qint64 m_me;
    QList<Row> m_rows;
    bool m_loading = false;
    bool m_reloadAgain = false;
    QString m_errorString;
};

} // namespace flippdeal::client
