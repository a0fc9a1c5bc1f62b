// SPDX-License-Identifier: MIT
#pragma once

#include "realtimeclient.h"
#include "session.h"

#include <QObject>
#include <QSettings>
#include <QVariantMap>

#include <memory>

namespace flippdeal::client {

class ApiClient;
class AuctionController;
class ConversationModel;
class MessageModel;
class NotificationModel;
class Outbox;
class RecordListModel;
class TokenStore;

//! \brief Everything the desktop client's windows bind to, in one place: the session, the
//! realtime connection and, while someone is signed in, that user's models. The user models are
//! created at sign-in and destroyed at sign-out, so nothing of one account leaks into the next.
class AppContext : public QObject
{
    Q_OBJECT
    Q_PROPERTY(flippdeal::client::Session *session READ session CONSTANT)
    Q_PROPERTY(flippdeal::client::RealtimeClient *realtime READ realtime CONSTANT)
    Q_PROPERTY(QObject *notifications READ notificationsObject NOTIFY userChanged)
    Q_PROPERTY(QObject *conversations READ conversationsObject NOTIFY userChanged)
    Q_PROPERTY(QObject *messages READ messagesObject NOTIFY userChanged)
    Q_PROPERTY(QObject *outbox READ outboxObject NOTIFY userChanged)
    Q_PROPERTY(QObject *auction READ auctionObject NOTIFY userChanged)
    Q_PROPERTY(QObject *auctions READ auctionsObject CONSTANT)
    Q_PROPERTY(bool muted READ isMuted WRITE setMuted NOTIFY mutedChanged)
    //! The escrow last asked for with loadEscrow() (empty while loading or after an error).
    Q_PROPERTY(QVariantMap escrow READ escrow NOTIFY escrowChanged)
    Q_PROPERTY(QString escrowError READ escrowError NOTIFY escrowChanged)
    //! `system`, `light` or `dark`.
    Q_PROPERTY(QString colorScheme READ colorScheme WRITE setColorScheme NOTIFY colorSchemeChanged)

public:
    //! `settings` keeps the server address, email and preferences (never the token);
    //! `keychainService` names the keychain entries.
    AppContext(QSettings &settings, const QString &appKey, const QString &keychainService,
               QObject *parent = nullptr);
    ~AppContext() override;

    ApiClient &api() { return *m_api; }
    Session *session() { return m_session.get(); }
    RealtimeClient *realtime() { return m_realtime.get(); }
    NotificationModel *notifications() { return m_notifications.get(); }
    ConversationModel *conversations() { return m_conversations.get(); }
    MessageModel *messages() { return m_messages.get(); }
    Outbox *outbox() { return m_outbox.get(); }
    AuctionController *auction() { return m_auction.get(); }
    RecordListModel *auctions() { return m_auctions.get(); }

    bool isMuted() const;
    void setMuted(bool muted);
    QString colorScheme() const;
    void setColorScheme(const QString &scheme);

    //! Reloads the list of live auctions.
    Q_INVOKABLE void refreshAuctions();
    //! Fetches an escrow for the notification dropdown (`escrow` / `escrowError`).
    Q_INVOKABLE void loadEscrow(qint64 escrowId);
    QVariantMap escrow() const { return m_escrow; }
    QString escrowError() const { return m_escrowError; }

Q_SIGNALS:
    void userChanged();
    void mutedChanged();
    void colorSchemeChanged();
    void escrowChanged();

private:
    void onSignedIn();
    void onSignedOut();
    QObject *notificationsObject();
    QObject *conversationsObject();
    QObject *messagesObject();
    QObject *outboxObject();
    QObject *auctionObject();
    QObject *auctionsObject();

    QSettings &m_settings;
    std::unique_ptr<ApiClient> m_api;
    std::unique_ptr<TokenStore> m_tokens;
    std::unique_ptr<RealtimeClient> m_realtime;
    std::unique_ptr<Session> m_session;
    std::unique_ptr<RecordListModel> m_auctions;
    // Per signed-in user; destroyed in reverse order at sign-out.
    std::unique_ptr<Outbox> m_outbox;
    std::unique_ptr<NotificationModel> m_notifications;
    std::unique_ptr<ConversationModel> m_conversations;
    std::unique_ptr<MessageModel> m_messages;
    std::unique_ptr<AuctionController> m_auction;
    QVariantMap m_escrow;
    QString m_escrowError;
};

} // namespace flippdeal::client
