// SPDX-License-Identifier: MIT
#pragma once

//! \file The QML tests' fixture: a real flippdeal-server in this process and real desktop
//! clients (one AppContext each, signed in through its Session) for the tests to bind the
//! components to, plus helpers that make things happen on the server.

#include "appcontext.h"
#include "auctioncontroller.h"
#include "conversationmodel.h"
#include "messagemodel.h"
#include "notificationmodel.h"
#include "outbox.h"
#include "realtimeclient.h"
#include "recordlistmodel.h"
#include "session.h"
#include "testserver.h"

#include <QObject>
#include <QPointer>
#include <QSet>
#include <QSettings>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QVariantMap>

#include <memory>

namespace flippdeal::testing {

//! \brief One user's desktop client: the app's composition root (AppContext) with its own
//! settings file, and the user's account on the test server.
class Client : public QObject
{
    Q_OBJECT
    Q_PROPERTY(qint64 userId READ userId CONSTANT)
    Q_PROPERTY(QString name READ name CONSTANT)
    Q_PROPERTY(QString email READ email CONSTANT)
    Q_PROPERTY(QString password READ password CONSTANT)
    Q_PROPERTY(flippdeal::client::AppContext *context READ context CONSTANT)
    Q_PROPERTY(flippdeal::client::Session *session READ session CONSTANT)
    Q_PROPERTY(flippdeal::client::RealtimeClient *realtime READ realtime CONSTANT)
    // The per-user objects exist from sign-in to sign-out.
    Q_PROPERTY(flippdeal::client::MessageModel *messages READ messages NOTIFY userChanged)
    Q_PROPERTY(
        flippdeal::client::ConversationModel *conversations READ conversations NOTIFY userChanged)
    Q_PROPERTY(
        flippdeal::client::NotificationModel *notifications READ notifications NOTIFY userChanged)
    Q_PROPERTY(flippdeal::client::Outbox *outbox READ outbox NOTIFY userChanged)
    Q_PROPERTY(flippdeal::client::AuctionController *auction READ auction NOTIFY userChanged)
    Q_PROPERTY(flippdeal::client::RecordListModel *auctions READ auctions CONSTANT)

public:
    Client(const QString &settingsFile, const QString &appKey, const testing::Session &account,
           const QString &email, QObject *parent = nullptr);
    ~Client() override;

    qint64 userId() const { return m_account.user.id; }
    QString name() const { return m_account.user.name; }
    QString email() const { return m_email; }
    QString password() const;
    QByteArray restToken() const { return m_account.token; }
    client::AppContext *context() { return m_context.get(); }
    client::Session *session() { return m_context->session(); }
    client::RealtimeClient *realtime() { return m_context->realtime(); }
    client::MessageModel *messages() { return m_context->messages(); }
    client::ConversationModel *conversations() { return m_context->conversations(); }
    client::NotificationModel *notifications() { return m_context->notifications(); }
    client::Outbox *outbox() { return m_context->outbox(); }
    client::AuctionController *auction() { return m_context->auction(); }
    client::RecordListModel *auctions() { return m_context->auctions(); }

    //! Channels the realtime client has had confirmed since the last clear.
    QSet<QString> &subscribed() { return m_subscribed; }

Q_SIGNALS:
    void userChanged();

private:
    QSettings m_settings;
    std::unique_ptr<client::AppContext> m_context;
    testing::Session m_account;
    QString m_email;
    QSet<QString> m_subscribed;
};

//! \brief An HTTP server that answers every request with one canned answer, or holds the
//! answers until released: a server that is slow, or that says what a real one would not.
class CannedServer : public QObject
{
    Q_OBJECT

public:
    explicit CannedServer(QObject *parent = nullptr);
    QString url() const;
    void setAnswer(int status, const QByteArray &body);
    void setHolding(bool holding);
    void release();
    int requestCount() const { return m_requests; }
    QString lastRequestLine() const { return m_lastLine; }
    QByteArray lastRequestBody() const { return m_lastBody; }

private:
    void onReadyRead(QTcpSocket *socket);
    void answer(QTcpSocket *socket);

    QTcpServer m_server;
    int m_status = 500;
    QByteArray m_body;
    bool m_holding = false;
    QList<QPointer<QTcpSocket>> m_held;
    int m_requests = 0;
    QString m_lastLine;
    QByteArray m_lastBody;
};

//! \brief The singleton `Fixture` of the QML tests (module FlippDeal.Test).
class Fixture : public QObject
{
    Q_OBJECT
    Q_PROPERTY(QString serverUrl READ serverUrl CONSTANT)
    Q_PROPERTY(flippdeal::testing::Client *buyer READ buyer NOTIFY clientsChanged)
    Q_PROPERTY(flippdeal::testing::Client *seller READ seller NOTIFY clientsChanged)
    Q_PROPERTY(QString cannedServerUrl READ cannedServerUrl CONSTANT)

public:
    explicit Fixture(QObject *parent = nullptr);
    ~Fixture() override;

    bool isReady() const { return m_server && m_server->isRunning(); }
    QString errorString() const;
    QString serverUrl() const;
    Client *buyer() { return m_buyer; }
    Client *seller() { return m_seller; }
    QString cannedServerUrl() const { return m_canned.url(); }

    //! Forgets every client and signs in a fresh buyer ("Alice Buyer") and seller ("Bob Seller"),
    //! new users on the server, both connected with their lists loaded. False on failure.
    Q_INVOKABLE bool reset();
    //! A new user on the server, not signed in anywhere: {id, name, email, password}.
    Q_INVOKABLE QVariantMap registerUser(const QString &name);
    //! A new user with a client: signed in (connected, lists loaded) when `signIn` is true.
    Q_INVOKABLE flippdeal::testing::Client *createClient(const QString &name, bool signIn = true);
    //! Signs `client` in with its password and waits until it is connected with its lists
    //! loaded.
    Q_INVOKABLE bool signIn(flippdeal::testing::Client *client);
    //! A desktop client nobody is signed in to (for the sign-in page).
    Q_INVOKABLE flippdeal::client::Session *signedOutSession();

    //! Opens `client`'s conversation with `other` (about `domainId`) and waits for it to load
    //! and its channel to be subscribed.
    Q_INVOKABLE bool openConversation(flippdeal::testing::Client *client,
                                      flippdeal::testing::Client *other, qint64 domainId = 0);
    //! `from` sends `body` to `to` through the REST API; the stored message's id, or 0.
    Q_INVOKABLE qint64 postMessage(flippdeal::testing::Client *from, flippdeal::testing::Client *to,
                                   const QString &body, qint64 domainId = 0);
    //! The bodies of the messages between `a` and `b` that the server has, oldest first.
    Q_INVOKABLE QStringList serverMessages(flippdeal::testing::Client *a,
                                           flippdeal::testing::Client *b, qint64 domainId = 0);
    //! A domain of `owner`'s, for sale (no auction); its id, or 0.
    Q_INVOKABLE qint64 createDomain(flippdeal::testing::Client *owner, const QString &name);
    //! A live auction of `owner`'s ending `endsInMs` from now; its id, or 0.
    Q_INVOKABLE qint64 createAuction(flippdeal::testing::Client *owner, const QString &name,
                                     qint64 endsInMs, qint64 minIncrementCents = 500);
    //! A bid through the REST API; the HTTP status.
    Q_INVOKABLE int placeBid(flippdeal::testing::Client *bidder, qint64 domainId,
                             qint64 amountCents);
    //! The amounts of the bids the server has on `domainId`, newest first.
    Q_INVOKABLE QVariantList serverBids(qint64 domainId);
    //! An operator moves the end of a live auction `seconds` later (AuctionExtended goes out).
    Q_INVOKABLE bool extendAuction(qint64 domainId, int seconds);
    //! Opens `domainId` in `client`'s auction controller and waits until it is loaded and its
    //! presence channel joined.
    Q_INVOKABLE bool openAuction(flippdeal::testing::Client *client, qint64 domainId);
    //! A notification for `client`'s user, stored and broadcast by the server; its id, or 0.
    Q_INVOKABLE qint64 notify(flippdeal::testing::Client *client, const QString &type,
                              const QVariantMap &data);
    //! Marks a notification read on the server (not through the client).
    Q_INVOKABLE bool markNotificationReadOnServer(flippdeal::testing::Client *client,
                                                  qint64 notificationId);
    //! The server's unread notification count for `client`'s user.
    Q_INVOKABLE int serverUnreadCount(flippdeal::testing::Client *client);
    //! How many API tokens the server has issued to `userId` and not revoked.
    Q_INVOKABLE int activeTokens(qint64 userId);

    //! Shuts the server down (every connection drops) and starts it again on the same port.
    Q_INVOKABLE bool stopServer();
    Q_INVOKABLE bool startServer();
    Q_INVOKABLE bool serverRunning() const { return m_server->isRunning(); }

    //! The canned server answers every request with `status` and the JSON `{message}`.
    Q_INVOKABLE void setCannedAnswer(int status, const QString &message);
    //! While holding, the canned server answers nothing until releaseCanned().
    Q_INVOKABLE void holdCannedAnswers(bool holding) { m_canned.setHolding(holding); }
    Q_INVOKABLE void releaseCanned() { m_canned.release(); }
    Q_INVOKABLE int cannedRequests() const { return m_canned.requestCount(); }
    Q_INVOKABLE QString cannedLastBody() const
    {
        return QString::fromUtf8(m_canned.lastRequestBody());
    }

    //! The `role` (by its QML name) of `row` in `model`, straight from the model.
    Q_INVOKABLE QVariant roleData(QAbstractItemModel *model, int row, const QString &role) const;

    //! Runs the event loop for `ms` (for the C++ side; QML has wait()).
    static void pause(int ms);

Q_SIGNALS:
    void clientsChanged();

private:
    testing::Session registerAccount(const QString &name);
    Client *newClient(const testing::Session &account, const QString &email);
    bool waitSignedIn(Client *client);
    void dropClients();

    std::unique_ptr<TestServer> m_server;
    QTemporaryDir m_settingsDir;
    CannedServer m_canned;
    QList<QPointer<Client>> m_clients;
    QPointer<Client> m_buyer;
    QPointer<Client> m_seller;
    int m_clientCounter = 0;
    int m_domainCounter = 0;
    int m_userCounter = 0;
};

} // namespace flippdeal::testing
