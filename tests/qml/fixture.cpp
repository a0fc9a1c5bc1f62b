// SPDX-License-Identifier: MIT
#include "fixture.h"

#include "apiclient.h"
#include "core/waitfor.h"

#include "marketplace/auctionservice.h"
#include "notifications/notificationservice.h"
#include "storage/database.h"

#include "protocol/timeformat.h"
#include "protocol/types.h"

#include <QEventLoop>
#include <QJSEngine>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTcpSocket>
#include <QTimer>

namespace flippdeal::testing {

namespace {

//! The password TestServer::registerUser gives every user.
const QString UserPassword = QStringLiteral("correct horse battery");
//! Keychain entries of the tests, apart from the app's own.
const QString KeychainService = QStringLiteral("FlippDeal Live tst_qml");

qint64 idOf(const Reply &reply, const QString &object)
{
    return reply.json.value(object).toObject().value(QLatin1String("id")).toInteger();
}

} // namespace

testing::Session Fixture::registerAccount(const QString &name)
{
    // Like TestServer::registerUser, for names with spaces ("Alice Buyer").
    QString local = name.toLower();
    local.replace(QLatin1Char(' '), QLatin1Char('.'));
    const QString email =
        QStringLiteral("%1.%2@qml.flippdeal.test").arg(local).arg(++m_userCounter);
    const Reply reply = m_server->post(QStringLiteral("/api/register"),
                                       {{QLatin1String("name"), name},
                                        {QLatin1String("email"), email},
                                        {QLatin1String("password"), UserPassword}});
    testing::Session account;
    if (reply.status != 201) {
        qWarning() << "registering" << name << "failed:" << reply.status << reply.body;
        return account;
    }
    account.token = reply.json.value(QLatin1String("token")).toString().toUtf8();
    account.user = protocol::User::fromJson(reply.json.value(QLatin1String("user")).toObject())
                       .value_or(protocol::User{});
    return account;
}

Client::Client(const QString &settingsFile, const QString &appKey, const testing::Session &account,
               const QString &email, QObject *parent)
    : QObject(parent)
    , m_settings(settingsFile, QSettings::IniFormat)
    , m_context(std::make_unique<client::AppContext>(m_settings, appKey, KeychainService))
    , m_account(account)
    , m_email(email)
{
    connect(m_context.get(), &client::AppContext::userChanged, this, [this] {
        if (outbox())
            outbox()->setRetryDelay(100);
        Q_EMIT userChanged();
    });
    realtime()->setReconnectDelays(50, 200);
    connect(realtime(), &client::RealtimeClient::subscribed, this,
            [this](const QString &channel) { m_subscribed.insert(channel); });
}

Client::~Client() = default;

QString Client::password() const
{
    return UserPassword;
}

CannedServer::CannedServer(QObject *parent)
    : QObject(parent)
{
    connect(&m_server, &QTcpServer::newConnection, this, [this] {
        while (QTcpSocket *socket = m_server.nextPendingConnection()) {
            connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onReadyRead(socket); });
            connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        }
    });
    m_server.listen(QHostAddress::LocalHost, 0);
}

QString CannedServer::url() const
{
    return QStringLiteral("http://127.0.0.1:%1").arg(m_server.serverPort());
}

void CannedServer::setAnswer(int status, const QByteArray &body)
{
    m_status = status;
    m_body = body;
}

void CannedServer::setHolding(bool holding)
{
    m_holding = holding;
    if (!holding)
        release();
}

void CannedServer::release()
{
    const auto held = std::exchange(m_held, {});
    for (const QPointer<QTcpSocket> &socket : held)
        if (socket)
            answer(socket);
}

void CannedServer::onReadyRead(QTcpSocket *socket)
{
    // One request per connection: wait for the headers and the body they announce.
    QByteArray buffered = socket->property("buffered").toByteArray() + socket->readAll();
    socket->setProperty("buffered", buffered);
    const qsizetype end = buffered.indexOf("\r\n\r\n");
    if (end < 0)
        return;
    qsizetype length = 0;
    for (const QByteArray &line : buffered.left(end).split('\n'))
        if (line.toLower().startsWith("content-length:"))
            length = line.mid(15).trimmed().toLongLong();
    if (buffered.size() < end + 4 + length)
        return;
    ++m_requests;
    m_lastLine = QString::fromLatin1(buffered.left(buffered.indexOf("\r\n")));
    m_lastBody = buffered.mid(end + 4, length);
    socket->setProperty("buffered", QByteArray());
    if (m_holding)
        m_held.append(socket);
    else
        answer(socket);
}

void CannedServer::answer(QTcpSocket *socket)
{
    socket->write(QByteArrayLiteral("HTTP/1.1 ") + QByteArray::number(m_status) +
                  QByteArrayLiteral(" Canned\r\nContent-Type: application/json\r\n"
                                    "Connection: close\r\nContent-Length: ") +
                  QByteArray::number(m_body.size()) + QByteArrayLiteral("\r\n\r\n") + m_body);
    socket->disconnectFromHost();
}

Fixture::Fixture(QObject *parent)
    : QObject(parent)
    , m_server(std::make_unique<TestServer>([](server::Config &config) {
        config.messagesPerSecond = 1000;
        config.antiSnipeSeconds = 0; // auctions end when they say, for the "ended" tests
    }))
{
    if (!m_server->isRunning())
        qWarning() << "the test server did not start:" << m_server->errorString();
}

Fixture::~Fixture()
{
    dropClients();
    // Let the clients' sockets close before the server goes.
    pause(50);
}

QString Fixture::errorString() const
{
    return m_server->errorString();
}

QString Fixture::serverUrl() const
{
    return m_server->url(QStringLiteral("/")).adjusted(QUrl::RemovePath).toString();
}

void Fixture::pause(int ms)
{
    QEventLoop loop;
    QTimer::singleShot(ms, &loop, &QEventLoop::quit);
    loop.exec();
}

void Fixture::dropClients()
{
    for (const QPointer<Client> &client : std::exchange(m_clients, {}))
        if (client)
            client->deleteLater();
    m_buyer.clear();
    m_seller.clear();
}

bool Fixture::reset()
{
    dropClients();
    // A test that stopped the server and failed before starting it again.
    if (!m_server->isRunning() && !m_server->start())
        return false;
    m_buyer = createClient(QStringLiteral("Alice Buyer"));
    m_seller = createClient(QStringLiteral("Bob Seller"));
    Q_EMIT clientsChanged();
    return m_buyer && m_seller;
}

QVariantMap Fixture::registerUser(const QString &name)
{
    const testing::Session account = registerAccount(name);
    return {{QStringLiteral("id"), account.user.id},
            {QStringLiteral("name"), account.user.name},
            {QStringLiteral("email"), account.user.email},
            {QStringLiteral("password"), UserPassword}};
}

Client *Fixture::newClient(const testing::Session &account, const QString &email)
{
    auto *client =
        new Client(m_settingsDir.filePath(QStringLiteral("client-%1.ini").arg(++m_clientCounter)),
                   m_server->config().appKey, account, email, this);
    m_clients.append(client);
    return client;
}

Client *Fixture::createClient(const QString &name, bool signIn)
{
    const testing::Session account = registerAccount(name);
    if (account.user.id <= 0) {
        qWarning() << "could not register" << name;
        return nullptr;
    }
    Client *client = newClient(account, account.user.email);
    QJSEngine::setObjectOwnership(client, QJSEngine::CppOwnership);
    if (signIn && !this->signIn(client)) {
        qWarning() << "could not sign in" << name << client->session()->errorString();
        return nullptr;
    }
    return client;
}

bool Fixture::signIn(Client *client)
{
    if (!client)
        return false;
    client->session()->signIn(serverUrl(), client->email(), client->password());
    return waitSignedIn(client);
}

bool Fixture::waitSignedIn(Client *client)
{
    const QString userChannel = protocol::Channels::user(client->userId());
    const bool ready = waitUntil(
        [&] {
            return client->session()->isSignedIn() &&
                   client->realtime()->state() == client::RealtimeClient::State::Connected &&
                   client->subscribed().contains(userChannel) &&
                   !client->notifications()->isLoading() && !client->conversations()->isLoading();
        },
        10000);
    // The user channel's baseline (its last seq) comes back before events flow.
    pause(150);
    return ready;
}

client::Session *Fixture::signedOutSession()
{
    testing::Session nobody;
    client::Session *session = newClient(nobody, {})->session();
    QJSEngine::setObjectOwnership(session, QJSEngine::CppOwnership);
    return session;
}

bool Fixture::openConversation(Client *client, Client *other, qint64 domainId)
{
    if (!client || !other)
        return false;
    const QString channel = protocol::Channels::conversation(client->userId(), other->userId());
    client->subscribed().remove(channel);
    client->messages()->open(other->userId(), other->name(), domainId);
    const bool ready = waitUntil(
        [&] { return client->subscribed().contains(channel) && !client->messages()->isLoading(); },
        10000);
    pause(150);
    return ready && client->messages()->errorString().isEmpty();
}

qint64 Fixture::postMessage(Client *from, Client *to, const QString &body, qint64 domainId)
{
    if (!from || !to)
        return 0;
    QJsonObject fields{{QLatin1String("to_user_id"), to->userId()}, {QLatin1String("body"), body}};
    if (domainId > 0)
        fields.insert(QLatin1String("domain_id"), domainId);
    const Reply reply = m_server->post(QStringLiteral("/api/messages"), fields, from->restToken());
    if (reply.status != 201)
        qWarning() << "message refused" << reply.status << reply.body;
    return reply.status == 201 ? idOf(reply, QStringLiteral("message")) : 0;
}

QStringList Fixture::serverMessages(Client *a, Client *b, qint64 domainId)
{
    QStringList bodies;
    if (!a || !b)
        return bodies;
    QString path = QStringLiteral("/api/messages/conversations/%1?per_page=100").arg(b->userId());
    if (domainId > 0)
        path += QStringLiteral("&domain_id=%1").arg(domainId);
    const Reply reply = m_server->get(path, a->restToken());
    for (const QJsonValue &message : reply.json.value(QLatin1String("data")).toArray())
        bodies.append(message.toObject().value(QLatin1String("body")).toString());
    return bodies;
}

qint64 Fixture::createDomain(Client *owner, const QString &name)
{
    if (!owner)
        return 0;
    const Reply reply = m_server->post(QStringLiteral("/api/domains"),
                                       {{QLatin1String("name"), name}}, owner->restToken());
    if (reply.status != 201)
        qWarning() << "domain refused" << reply.status << reply.body;
    return reply.status == 201 ? idOf(reply, QStringLiteral("domain")) : 0;
}

qint64 Fixture::createAuction(Client *owner, const QString &name, qint64 endsInMs,
                              qint64 minIncrementCents)
{
    if (!owner)
        return 0;
    const QString domainName =
        name.isEmpty() ? QStringLiteral("lot%1.com").arg(++m_domainCounter) : name;
    const Reply reply =
        m_server->post(QStringLiteral("/api/domains"),
                       {{QLatin1String("name"), domainName},
                        {QLatin1String("enable_bidding"), true},
                        {QLatin1String("min_increment_cents"), minIncrementCents},
                        {QLatin1String("ends_at"), protocol::isoUtc(protocol::nowMs() + endsInMs)}},
                       owner->restToken());
    if (reply.status != 201)
        qWarning() << "auction refused" << reply.status << reply.body;
    return reply.status == 201 ? idOf(reply, QStringLiteral("domain")) : 0;
}

int Fixture::placeBid(Client *bidder, qint64 domainId, qint64 amountCents)
{
    if (!bidder)
        return 0;
    const Reply reply =
        m_server->post(QStringLiteral("/api/domains/%1/bids").arg(domainId),
                       {{QLatin1String("amount_cents"), amountCents}}, bidder->restToken());
    if (reply.status != 201)
        qWarning() << "bid refused" << reply.status << reply.body;
    return reply.status;
}

QVariantList Fixture::serverBids(qint64 domainId)
{
    QVariantList amounts;
    const QByteArray token =
        m_clients.isEmpty() || !m_clients.last() ? QByteArray() : m_clients.last()->restToken();
    const Reply reply = m_server->get(QStringLiteral("/api/domains/%1/bids").arg(domainId), token);
    if (reply.status != 200)
        qWarning() << "bids" << reply.status << reply.body;
    for (const QJsonValue &bid : reply.json.value(QLatin1String("data")).toArray())
        amounts.append(bid.toObject().value(QLatin1String("amount_cents")).toInteger());
    return amounts;
}

bool Fixture::extendAuction(qint64 domainId, int seconds)
{
    return bool(server::waitFor(
        m_server->app().auctions().extendAuction(domainId, seconds, protocol::nowMs())));
}

bool Fixture::openAuction(Client *client, qint64 domainId)
{
    if (!client)
        return false;
    const QString channel = protocol::Channels::auction(domainId);
    client->subscribed().remove(channel);
    client->auction()->open(domainId);
    const bool ready = waitUntil(
        [&] {
            return client->subscribed().contains(channel) && !client->auction()->isLoading() &&
                   !client->auction()->domainName().isEmpty();
        },
        10000);
    pause(150); // the bid list and the channel's baseline come back meanwhile
    return ready && client->auction()->errorString().isEmpty();
}

qint64 Fixture::notify(Client *client, const QString &type, const QVariantMap &data)
{
    if (!client)
        return 0;
    const auto stored = m_server->app().notifications().notifyUser(
        client->userId(), type, QJsonObject::fromVariantMap(data));
    if (!stored) {
        qWarning() << "notification refused" << stored.error().message;
        return 0;
    }
    return stored->id;
}

bool Fixture::markNotificationReadOnServer(Client *client, qint64 notificationId)
{
    return client && bool(server::waitFor(m_server->app().notifications().markRead(
                         client->userId(), notificationId)));
}

int Fixture::serverUnreadCount(Client *client)
{
    if (!client)
        return -1;
    const auto count = m_server->app().notifications().unreadCount(client->userId());
    return count ? int(*count) : -1;
}

int Fixture::activeTokens(qint64 userId)
{
    try {
        return int(server::SqlQuery(m_server->app().database(),
                                    QStringLiteral("SELECT COUNT(*) FROM api_tokens "
                                                   "WHERE user_id = ?"))
                       .bind(userId)
                       .scalar());
    } catch (const std::exception &error) {
        qWarning() << "token count:" << error.what();
        return -1;
    }
}

bool Fixture::stopServer()
{
    return m_server->stop();
}

bool Fixture::startServer()
{
    return m_server->start();
}

void Fixture::setCannedAnswer(int status, const QString &message)
{
    m_canned.setAnswer(status,
                       QJsonDocument(QJsonObject{{QLatin1String("message"), message}}).toJson());
}

QVariant Fixture::roleData(QAbstractItemModel *model, int row, const QString &role) const
{
    if (!model)
        return {};
    const int number = model->roleNames().key(role.toUtf8(), -1);
    return number < 0 ? QVariant() : model->index(row, 0).data(number);
}

} // namespace flippdeal::testing
