// SPDX-License-Identifier: MIT
#pragma once

#include "protocol/types.h"

#include <QAbstractListModel>
#include <QList>
#include <QPointer>
#include <QtQmlIntegration/qqmlintegration.h>

namespace flippdeal::client {

class ApiClient;
class RealtimeClient;

//! \brief The notification bell's list, newest first: loaded from `GET /api/notifications`,
//! kept live from `NotificationCreated` on the user's private channel, and marked read
//! through the REST API. Exposes the unread count for the bell and the tray icon.
class NotificationModel : public QAbstractListModel
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("AppContext creates it at sign-in")
    Q_PROPERTY(int unreadCount READ unreadCount NOTIFY unreadCountChanged)
    Q_PROPERTY(bool loading READ isLoading NOTIFY loadingChanged)
    Q_PROPERTY(QString errorString READ errorString NOTIFY errorStringChanged)

public:
    enum Role
    {
        IdRole = Qt::UserRole, //!< notification id
        TypeRole,              //!< `message.received`, `bid.outbid`, ...
        TitleRole,             //!< one line for people, derived from the type and data
        DataRole,              //!< the notification's `data` object (QVariantMap)
        CreatedAtRole,         //!< QDateTime, UTC
        ReadRole,              //!< whether it has been read
    };
    Q_ENUM(Role)

    NotificationModel(ApiClient &api, RealtimeClient &realtime, qint64 userId,
                      QObject *parent = nullptr);
    //! Unsubscribes from the user's channel, so the next account's connection does not follow it.
    ~NotificationModel() override;

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

    int unreadCount() const;
    bool isLoading() const { return m_loading; }
    QString errorString() const { return m_errorString; }

    //! (Re)loads the newest `limit` notifications.
    Q_INVOKABLE void reload(int limit = 50);
    Q_INVOKABLE void markRead(qint64 id);
    Q_INVOKABLE void markAllRead();

    //! The line shown for a notification.
    static QString titleFor(const protocol::Notification &notification);

Q_SIGNALS:
    void unreadCountChanged();
    void loadingChanged();
    void errorStringChanged();
    //! A notification arrived live (for the tray's pop-up).
    void notificationArrived(const QString &title, const QString &type);

private:
    void onEvent(const QString &channel, const QString &event, const QJsonObject &data);
    void setRead(qint64 id, qint64 readAtMs);
    void setError(const QString &error);

    ApiClient &m_api;
    QPointer<RealtimeClient> m_realtime;
    QString m_channel;
    QList<protocol::Notification> m_items;
    bool m_loading = false;
    QString m_errorString;
};

} // namespace flippdeal::client
