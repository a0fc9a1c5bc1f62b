// SPDX-License-Identifier: MIT
#pragma once

#include "realtimeclient.h"
#include "session.h"

#include <QObject>
#include <QSettings>
#include <QVariantMap>
#include <QtQmlIntegration/qqmlintegration.h>

#include <memory>
#include <optional>

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
    QML_ELEMENT
    QML_UNCREATABLE("flippdeal-desktop creates the one AppContext")
    Q_MOC_INCLUDE("auctioncontroller.h")
    Q_MOC_INCLUDE("conversationmodel.h")
    Q_MOC_INCLUDE("messagemodel.h")
    Q_MOC_INCLUDE("notificationmodel.h")
    Q_MOC_INCLUDE("outbox.h")
    Q_MOC_INCLUDE("recordlistmodel.h")
    Q_PROPERTY(flippdeal::client::Session *session READ session CONSTANT)
    Q_PROPERTY(flippdeal::client::RealtimeClient *realtime READ realtime CONSTANT)
    //! The signed-in user's models: null while nobody is signed in.
    Q_PROPERTY(
        flippdeal::client::NotificationModel *notifications READ notifications NOTIFY userChanged)
    Q_PROPERTY(
        flippdeal::client::ConversationModel *conversations READ conversations NOTIFY userChanged)
    Q_PROPERTY(flippdeal::client::MessageModel *messages READ messages NOTIFY userChanged)
    Q_PROPERTY(flippdeal::client::Outbox *outbox READ outbox NOTIFY userChanged)
    Q_PROPERTY(flippdeal::client::AuctionController *auction READ auction NOTIFY userChanged)
    //! The live auctions (rows of `GET /api/auctions`).
    Q_PROPERTY(flippdeal::client::RecordListModel *auctions READ auctions CONSTANT)
    Q_PROPERTY(bool muted READ isMuted WRITE setMuted NOTIFY mutedChanged)
    //! The escrow last asked for with loadEscrow() (empty while loading or after an error).
    Q_PROPERTY(QVariantMap escrow READ escrow NOTIFY escrowChanged)
    Q_PROPERTY(QString escrowError READ escrowError NOTIFY escrowChanged)
    Q_PROPERTY(
        ColorScheme colorScheme READ colorScheme WRITE setColorScheme NOTIFY colorSchemeChanged)

public:
    //! The palette: the system's, or always light or dark. Kept in QSettings by name.
    enum class ColorScheme
    {
        System,
        Light,
        Dark
    };
    Q_ENUM(ColorScheme)
    //! `system`, `light` or `dark` (as in the settings file and on the command line).
    static std::optional<ColorScheme> colorSchemeFromName(QStringView name);

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
    ColorScheme colorScheme() const;
    void setColorScheme(ColorScheme scheme);

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
