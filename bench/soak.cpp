// SPDX-License-Identifier: MIT
// The soak mode of flippdeal-bench: signed-in users chatting through POST /api/messages (half
// of them subscribed live to private-user.{id}), bids on several auctions watched on
// presence-auction.{id}, presence joins and leaves, idle connections, and reconnect storms, for
// a set time. Every acknowledged message and bid must reach its live subscriber (live, or
// through the history route after a reconnect). The server's RSS, descriptors and CPU are
// sampled as it runs; the verdict is the last line.
//
// Clients bind distinct loopback source addresses (127.0.x.y, all still 127.0.0.0/8) so the
// server's per-IP limits see what many real clients would look like, not one abusive address.
#include "soak.h"

#include "benchsupport.h"

#include "protocol/clientframes.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QHash>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QRandomGenerator>
#include <QSet>
#include <QTcpSocket>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <functional>
#include <optional>
#include <unistd.h>
#include <vector>

namespace flippdeal::bench {

namespace {

QHostAddress loopback(int third, int fourth)
{
    return QHostAddress(QStringLiteral("127.0.%1.%2").arg(third).arg(fourth));
}

//! One keep-alive HTTP/1.1 connection from a fixed source address; requests wait their turn
//! (no pipelining). A connection idle for 10 s is replaced rather than reused, so the server's
//! idle timeout never races a request.
class HttpClient : public QObject
{
public:
    using Callback = std::function<void(int status, const QJsonObject &json)>;

    HttpClient(const QHostAddress &source, const QString &host, int port, QObject *parent)
        : QObject(parent)
        , m_source(source)
        , m_host(host)
        , m_port(port)
    {}

    void request(const QByteArray &method, const QString &path,
                 const std::optional<QJsonObject> &body, const QByteArray &token, Callback done)
    {
        const QByteArray payload =
            body ? QJsonDocument(*body).toJson(QJsonDocument::Compact) : QByteArray();
        QByteArray bytes = method + ' ' + path.toUtf8() + " HTTP/1.1\r\nHost: soak\r\n";
        if (!token.isEmpty())
            bytes += "Authorization: Bearer " + token + "\r\n";
        if (body)
            bytes += "Content-Type: application/json\r\nContent-Length: " +
                     QByteArray::number(payload.size()) + "\r\n";
        bytes += "\r\n" + payload;
        m_queue.push_back({std::move(bytes), std::move(done)});
        pump();
    }

    qsizetype backlog() const { return qsizetype(m_queue.size()); }

private:
    struct Pending
    {
        QByteArray bytes;
        Callback done;
    };

    void pump()
    {
        if (m_inFlight || m_queue.empty())
            return;
        if (!m_socket || m_socket->state() == QAbstractSocket::UnconnectedState ||
            (m_idle.isValid() && m_idle.elapsed() > 10'000))
            reconnect();
        m_inFlight = true;
        if (m_socket->state() == QAbstractSocket::ConnectedState)
            m_socket->write(m_queue.front().bytes);
    }

    void reconnect()
    {
        if (m_socket) {
            m_socket->disconnect(this);
            m_socket->abort();
            m_socket->deleteLater();
        }
        m_buffer.clear();
        m_idle.invalidate();
        m_socket = new QTcpSocket(this);
        m_socket->bind(m_source);
        connect(m_socket, &QTcpSocket::connected, this, [this] {
            if (m_inFlight && !m_queue.empty())
                m_socket->write(m_queue.front().bytes);
        });
        connect(m_socket, &QTcpSocket::readyRead, this, &HttpClient::onReadyRead);
        connect(m_socket, &QTcpSocket::disconnected, this, [this] { finish(0, {}, true); });
        connect(m_socket, &QAbstractSocket::errorOccurred, this, [this] {
            if (m_socket->state() != QAbstractSocket::ConnectedState)
                finish(0, {}, true);
        });
        m_socket->connectToHost(m_host, quint16(m_port));
    }

    void onReadyRead()
    {
        m_buffer += m_socket->readAll();
        const qsizetype headEnd = m_buffer.indexOf("\r\n\r\n");
        if (headEnd < 0)
            return;
        const QList<QByteArray> lines = m_buffer.left(headEnd).split('\n');
        const int status = lines.value(0).split(' ').value(1).toInt();
        qsizetype length = 0;
        bool close = false;
        for (const QByteArray &line : lines) {
            const QByteArray lower = line.trimmed().toLower();
            if (lower.startsWith("content-length:"))
                length = lower.mid(15).trimmed().toLongLong();
            else if (lower.startsWith("connection:") && lower.contains("close"))
                close = true;
        }
        if (m_buffer.size() < headEnd + 4 + length)
            return;
        const QByteArray body = m_buffer.mid(headEnd + 4, length);
        m_buffer.remove(0, headEnd + 4 + length);
        finish(status, QJsonDocument::fromJson(body).object(), close);
    }

    //! Answers the request in flight (status 0: the connection failed) and sends the next.
    void finish(int status, const QJsonObject &json, bool dropSocket)
    {
        if (dropSocket && m_socket) {
            m_socket->disconnect(this);
            m_socket->abort();
            m_socket->deleteLater();
            m_socket = nullptr;
        }
        if (!m_inFlight)
            return;
        m_inFlight = false;
        Pending done = std::move(m_queue.front());
        m_queue.pop_front();
        m_idle.start();
        done.done(status, json);
        pump();
    }

    QHostAddress m_source;
    QString m_host;
    int m_port;
    QTcpSocket *m_socket = nullptr;
    QByteArray m_buffer;
    std::deque<Pending> m_queue;
    bool m_inFlight = false;
    QElapsedTimer m_idle;
};

//! A Pusher protocol 7 WebSocket client from a fixed source address: answers pings, reports
//! `connection_established`, every other event and an unexpected close.
class WsClient : public QObject
{
public:
    std::function<void(WsClient *)> onEstablished;
    std::function<void(WsClient *, const QJsonObject &)> onEvent;
    std::function<void(WsClient *, const QString &)> onClosed;
    QString socketId;

    WsClient(const QHostAddress &source, const QString &host, int port, const QString &key,
             QObject *parent)
        : QObject(parent)
        , m_socket(new QTcpSocket(this))
    {
        m_socket->bind(source);
        const QByteArray path =
            "/app/" + key.toUtf8() + "?protocol=7&client=flippdeal-soak&version=1";
        connect(m_socket, &QTcpSocket::connected, this, [this, path] {
            m_socket->write("GET " + path +
                            " HTTP/1.1\r\nHost: soak\r\nUpgrade: websocket\r\n"
                            "Connection: Upgrade\r\nSec-WebSocket-Key: ZmxpcHBkZWFsLXNvYWstLQ==\r\n"
                            "Sec-WebSocket-Version: 13\r\n\r\n");
        });
        connect(m_socket, &QTcpSocket::readyRead, this, &WsClient::onReadyRead);
        connect(m_socket, &QTcpSocket::disconnected, this,
                [this] { closed(QStringLiteral("the server closed the connection")); });
        connect(m_socket, &QAbstractSocket::errorOccurred, this, [this] {
            if (m_socket->state() != QAbstractSocket::ConnectedState)
                closed(m_socket->errorString());
        });
        m_socket->connectToHost(host, quint16(port));
    }

    void send(const QJsonObject &frame)
    {
        m_socket->write(maskedTextFrame(QJsonDocument(frame).toJson(QJsonDocument::Compact)));
    }

    void subscribe(const QString &channel, const QString &auth = {},
                   const QString &channelData = {})
    {
        send(protocol::subscribeFrame(channel, auth, channelData));
    }

    //! Closes without reporting it: the caller meant it.
    void shut()
    {
        m_shut = true;
        m_socket->abort();
    }

private:
    void closed(const QString &why)
    {
        if (m_shut)
            return;
        m_shut = true;
        if (onClosed)
            onClosed(this, why);
    }

    void onReadyRead()
    {
        m_buffer += m_socket->readAll();
        if (!m_upgraded) {
            QByteArray statusLine;
            const UpgradeAnswer answer = takeUpgradeAnswer(m_buffer, &statusLine);
            if (answer == UpgradeAnswer::Incomplete)
                return;
            if (answer == UpgradeAnswer::Refused) {
                closed(QStringLiteral("upgrade refused: ") + QString::fromLatin1(statusLine));
                m_socket->abort();
                return;
            }
            m_upgraded = true;
        }
        bool closedByServer = false;
        const qsizetype used = readServerFrames(m_buffer, [&](const ServerFrame &frame) {
            if (frame.opcode == 0x8) {
                const QByteArrayView payload = frame.payload;
                const bool hasCode = payload.size() >= 2;
                const int code = hasCode ? (quint8(payload[0]) << 8) | quint8(payload[1]) : 1005;
                closed(QStringLiteral("closed by the server with %1 %2")
                           .arg(code)
                           .arg(QString::fromUtf8(hasCode ? payload.sliced(2) : payload)));
                closedByServer = true;
                return false;
            }
            if (frame.opcode == 0x1)
                text(frame.payload.toByteArray());
            return true;
        });
        if (closedByServer) {
            m_socket->abort();
            return;
        }
        m_buffer.remove(0, used);
    }

    void text(const QByteArray &payload)
    {
        const QJsonObject frame = QJsonDocument::fromJson(payload).object();
        const QString event = frame.value(QLatin1String("event")).toString();
        if (event == QLatin1String("pusher:ping")) {
            send({{QLatin1String("event"), QStringLiteral("pusher:pong")},
                  {QLatin1String("data"), QJsonObject()}});
        } else if (event == QLatin1String("pusher:connection_established")) {
            socketId =
                QJsonDocument::fromJson(frame.value(QLatin1String("data")).toString().toUtf8())
                    .object()
                    .value(QLatin1String("socket_id"))
                    .toString();
            if (onEstablished)
                onEstablished(this);
        } else if (onEvent) {
            onEvent(this, frame);
        }
    }

    QTcpSocket *m_socket;
    QByteArray m_buffer;
    bool m_upgraded = false;
    bool m_shut = false;
};

QJsonObject dataOf(const QJsonObject &frame)
{
    const QJsonValue data = frame.value(QLatin1String("data"));
    return data.isObject() ? data.toObject()
                           : QJsonDocument::fromJson(data.toString().toUtf8()).object();
}

struct Sample
{
    double seconds;
    qint64 rssKiB;
    qint64 fds;
    double cpuPercent;
};

class Soak : public QObject
{
public:
    explicit Soak(const SoakOptions &options)
        : m_options(options)
        , m_random(QRandomGenerator::securelySeeded())
    {
        m_run = QString::number(QDateTime::currentMSecsSinceEpoch());
        // At least one storm per run: the first comes after a third of a short run.
        m_firstStormAt = std::min(options.stormEvery, std::max(1, options.seconds / 3));
        m_warmupEnd = m_firstStormAt + options.sampleEvery;
    }

    int run()
    {
        QElapsedTimer setupTimer;
        setupTimer.start();
        std::printf("soak: setting up %d users, %d auctions, %d idle connections\n",
                    m_options.users, m_options.auctions, m_options.idle);
        std::fflush(stdout);
        setUp();
        if (!waitUntil([this] { return m_ready || !m_errors.isEmpty(); }, 180'000) || !m_ready) {
            fail(QStringLiteral("setup did not finish within 180 s"));
            return verdict();
        }
        std::printf("soak: ready after %.1f s; %d s of load\n", setupTimer.elapsed() / 1e3,
                    m_options.seconds);
        std::printf("%8s %9s %6s %6s %6s %8s %9s %7s %6s %6s %6s %6s\n", "time_s", "rss_MiB", "fds",
                    "cpu_%", "conns", "msgs", "delivered", "pending", "bids", "joins", "storms",
                    "errors");
        std::fflush(stdout);
        startLoad();
        waitUntil([this] { return m_clock.elapsed() >= qint64(m_options.seconds) * 1000; },
                  qint64(m_options.seconds) * 1000 + 5000);
        stopLoad();
        // Whatever was acknowledged must still arrive; give the outbox and stragglers time.
        waitUntil(
            [this] {
                return m_pendingMessages.isEmpty() && m_pendingBids.isEmpty() && httpIdle() &&
                       !m_stormRunning;
            },
            20'000);
        takeSample();
        return verdict();
    }

private:
    struct User
    {
        qint64 id = 0;
        QByteArray token;
        HttpClient *http = nullptr;
        bool live = false; //!< has a socket subscribed to private-user.{id}
        QPointer<WsClient> socket;
        bool subscribed = false;
        qint64 lastSeq = 0;
    };
    struct Auction
    {
        qint64 domainId = 0;
        int seller = 0;
        int watcherUser = 0;
        qint64 minimumNext = 0;
        bool bidInFlight = false;
        QPointer<WsClient> watcher;
        bool subscribed = false;
        qint64 lastSeq = 0;
    };

    // ---- plumbing -------------------------------------------------------------------------

    bool waitUntil(const std::function<bool()> &condition, qint64 timeoutMs)
    {
        QElapsedTimer timer;
        timer.start();
        while (!condition() && timer.elapsed() < timeoutMs)
            QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
        return condition();
    }

    void fail(const QString &reason)
    {
        if (m_errors.size() < 20)
            std::fprintf(stderr, "soak: error: %s\n", qPrintable(reason));
        m_errors.append(reason);
    }

    bool httpIdle() const
    {
        return std::all_of(m_users.begin(), m_users.end(),
                           [](const User &u) { return u.http->backlog() == 0; });
    }

    QString channelOf(const User &user) const
    {
        return QStringLiteral("private-user.%1").arg(user.id);
    }

    //! POST /broadcasting/auth for `socket` as `user`, then subscribes; `done` on success.
    void authorizeAndSubscribe(int user, WsClient *socket, const QString &channel)
    {
        QPointer<WsClient> guard(socket);
        m_users[user].http->request(
            "POST", QStringLiteral("/broadcasting/auth"),
            QJsonObject{{QLatin1String("socket_id"), socket->socketId},
                        {QLatin1String("channel_name"), channel}},
            m_users[user].token, [this, guard, channel](int status, const QJsonObject &json) {
                if (!guard)
                    return;
                if (status != 200) {
                    fail(QStringLiteral("POST /broadcasting/auth for %1 answered %2")
                             .arg(channel)
                             .arg(status));
                    return;
                }
                guard->subscribe(channel, json.value(QLatin1String("auth")).toString(),
                                 json.value(QLatin1String("channel_data")).toString());
            });
    }

    //! Events every socket may get that are failures.
    bool isFailure(const QString &event, const QJsonObject &frame, const QString &who)
    {
        if (event == QLatin1String("pusher:error") ||
            event == QLatin1String("pusher_internal:subscription_error") ||
            event == QLatin1String("pusher:subscription_error")) {
            fail(QStringLiteral("%1 got %2: %3")
                     .arg(who, event,
                          QString::fromUtf8(QJsonDocument(frame).toJson(QJsonDocument::Compact))));
            return true;
        }
        return false;
    }

    // ---- setup ----------------------------------------------------------------------------

    void setUp()
    {
        m_users.resize(size_t(m_options.users));
        for (int i = 0; i < m_options.users; ++i) {
            m_users[size_t(i)].http =
                new HttpClient(loopback(2, 1 + i % 250), m_options.host, m_options.port, this);
            m_users[size_t(i)].live = i % 2 == 0;
            registerUser(i);
        }
    }

    void registerUser(int i)
    {
        User &user = m_users[size_t(i)];
        user.http->request(
            "POST", QStringLiteral("/api/register"),
            QJsonObject{
                {QLatin1String("name"), QStringLiteral("Soak %1").arg(i)},
                {QLatin1String("email"), QStringLiteral("soak-%1-%2@soak.test").arg(m_run).arg(i)},
                {QLatin1String("password"), QStringLiteral("soak-password")}},
            {}, [this, i](int status, const QJsonObject &json) {
                if (status == 429 || status == 503) { // a throttle or a full hashing queue
                    QTimer::singleShot(1000, this, [this, i] { registerUser(i); });
                    return;
                }
                if (status != 201) {
                    fail(QStringLiteral("POST /api/register answered %1").arg(status));
                    return;
                }
                User &u = m_users[size_t(i)];
                u.id = qint64(json.value(QLatin1String("user"))
                                  .toObject()
                                  .value(QLatin1String("id"))
                                  .toDouble());
                u.token = json.value(QLatin1String("token")).toString().toLatin1();
                if (++m_registered == m_options.users)
                    createAuctions();
            });
    }

    void createAuctions()
    {
        m_auctions.resize(size_t(m_options.auctions));
        const QString endsAt = QDateTime::currentDateTimeUtc()
                                   .addSecs(qint64(m_options.seconds) + 3600)
                                   .toString(Qt::ISODateWithMs);
        for (int a = 0; a < m_options.auctions; ++a) {
            Auction &auction = m_auctions[size_t(a)];
            auction.seller = a % m_options.users;
            auction.watcherUser = (a + m_options.auctions) % m_options.users;
            m_users[size_t(auction.seller)].http->request(
                "POST", QStringLiteral("/api/domains"),
                QJsonObject{
                    {QLatin1String("name"), QStringLiteral("soak-%1-%2.com").arg(m_run).arg(a)},
                    {QLatin1String("enable_bidding"), true},
                    {QLatin1String("min_increment_cents"), 100},
                    {QLatin1String("ends_at"), endsAt}},
                m_users[size_t(auction.seller)].token,
                [this, a](int status, const QJsonObject &json) {
                    if (status != 201) {
                        fail(QStringLiteral("POST /api/domains answered %1").arg(status));
                        return;
                    }
                    const QJsonObject domain = json.value(QLatin1String("domain")).toObject();
                    Auction &created = m_auctions[size_t(a)];
                    created.domainId = qint64(domain.value(QLatin1String("id")).toDouble());
                    created.minimumNext =
                        qint64(domain.value(QLatin1String("minimum_next_bid_cents")).toDouble());
                    if (++m_auctionsCreated == m_options.auctions)
                        connectAll();
                });
        }
    }

    void connectAll()
    {
        for (int i = 0; i < m_options.users; ++i) {
            if (m_users[size_t(i)].live)
                connectUser(i);
        }
        for (int a = 0; a < m_options.auctions; ++a)
            connectWatcher(a);
        m_idleSockets.resize(size_t(m_options.idle));
        for (int k = 0; k < m_options.idle; ++k)
            connectIdle(k);
        QTimer *check = new QTimer(this);
        connect(check, &QTimer::timeout, this, [this, check] {
            if (allSubscribed()) {
                m_ready = true;
                check->deleteLater();
            }
        });
        check->start(100);
    }

    bool allSubscribed() const
    {
        return m_idleSubscribed == m_options.idle &&
               std::all_of(m_users.begin(), m_users.end(),
                           [](const User &u) { return !u.live || u.subscribed; }) &&
               std::all_of(m_auctions.begin(), m_auctions.end(),
                           [](const Auction &a) { return a.subscribed; });
    }

    // ---- sockets --------------------------------------------------------------------------

    void connectUser(int i)
    {
        User &user = m_users[size_t(i)];
        user.subscribed = false;
        auto *socket = new WsClient(loopback(3, 1 + i % 250), m_options.host, m_options.port,
                                    m_options.key, this);
        user.socket = socket;
        socket->onEstablished = [this, i](WsClient *s) {
            authorizeAndSubscribe(i, s, channelOf(m_users[size_t(i)]));
        };
        socket->onEvent = [this, i](WsClient *, const QJsonObject &frame) { userEvent(i, frame); };
        socket->onClosed = [this, i](WsClient *, const QString &why) {
            fail(QStringLiteral("user %1's socket: %2").arg(i).arg(why));
        };
    }

    void userEvent(int i, const QJsonObject &frame)
    {
        User &user = m_users[size_t(i)];
        const QString event = frame.value(QLatin1String("event")).toString();
        if (isFailure(event, frame, QStringLiteral("user %1").arg(i)))
            return;
        if (event == QLatin1String("pusher_internal:subscription_succeeded")) {
            user.subscribed = true;
            // After a reconnect: what was published meanwhile comes from the history.
            if (user.lastSeq > 0)
                catchUp(i);
            return;
        }
        const qint64 seq = qint64(frame.value(QLatin1String("seq")).toDouble());
        user.lastSeq = std::max(user.lastSeq, seq);
        if (event == QLatin1String("MessageSent"))
            messageSeen(i, dataOf(frame));
    }

    void catchUp(int i)
    {
        User &user = m_users[size_t(i)];
        user.http->request(
            "GET",
            QStringLiteral("/api/channels/%1/events?after=%2&limit=1000")
                .arg(channelOf(user))
                .arg(user.lastSeq),
            std::nullopt, user.token, [this, i](int status, const QJsonObject &json) {
                if (status != 200) {
                    fail(QStringLiteral("history of user %1 answered %2").arg(i).arg(status));
                    return;
                }
                User &u = m_users[size_t(i)];
                for (const QJsonValue &value : json.value(QLatin1String("data")).toArray()) {
                    const QJsonObject event = value.toObject();
                    u.lastSeq =
                        std::max(u.lastSeq, qint64(event.value(QLatin1String("seq")).toDouble()));
                    if (event.value(QLatin1String("event")).toString() ==
                        QLatin1String("MessageSent"))
                        messageSeen(i, dataOf(event));
                }
                ++m_catchUps;
            });
    }

    void messageSeen(int i, const QJsonObject &data)
    {
        const QJsonObject message = data.value(QLatin1String("message")).toObject();
        const qint64 id = qint64(message.value(QLatin1String("id")).toDouble());
        if (qint64(message.value(QLatin1String("to_user_id")).toDouble()) != m_users[size_t(i)].id)
            return; // the sender's own copy
        if (m_pendingMessages.remove(id) > 0)
            ++m_delivered;
        else if (!m_deliveredEarly.contains(id))
            m_deliveredEarly.insert(id); // before its 201 arrived, or a second copy
    }

    void connectWatcher(int a)
    {
        Auction &auction = m_auctions[size_t(a)];
        auction.subscribed = false;
        auto *socket = new WsClient(loopback(4, 1 + a % 250), m_options.host, m_options.port,
                                    m_options.key, this);
        auction.watcher = socket;
        socket->onEstablished = [this, a](WsClient *s) {
            authorizeAndSubscribe(
                m_auctions[size_t(a)].watcherUser, s,
                QStringLiteral("presence-auction.%1").arg(m_auctions[size_t(a)].domainId));
        };
        socket->onEvent = [this, a](WsClient *, const QJsonObject &frame) {
            watcherEvent(a, frame);
        };
        socket->onClosed = [this, a](WsClient *, const QString &why) {
            fail(QStringLiteral("watcher of auction %1: %2").arg(a).arg(why));
        };
    }

    void watcherEvent(int a, const QJsonObject &frame)
    {
        Auction &auction = m_auctions[size_t(a)];
        const QString event = frame.value(QLatin1String("event")).toString();
        if (isFailure(event, frame, QStringLiteral("watcher %1").arg(a)))
            return;
        if (event == QLatin1String("pusher_internal:subscription_succeeded")) {
            auction.subscribed = true;
            if (auction.lastSeq > 0)
                catchUpAuction(a);
            return;
        }
        auction.lastSeq =
            std::max(auction.lastSeq, qint64(frame.value(QLatin1String("seq")).toDouble()));
        if (event == QLatin1String("BidPlaced"))
            bidSeen(dataOf(frame));
    }

    void catchUpAuction(int a)
    {
        Auction &auction = m_auctions[size_t(a)];
        User &user = m_users[size_t(auction.watcherUser)];
        user.http->request(
            "GET",
            QStringLiteral("/api/channels/presence-auction.%1/events?after=%2&limit=1000")
                .arg(auction.domainId)
                .arg(auction.lastSeq),
            std::nullopt, user.token, [this, a](int status, const QJsonObject &json) {
                if (status != 200) {
                    fail(QStringLiteral("history of auction %1 answered %2").arg(a).arg(status));
                    return;
                }
                Auction &au = m_auctions[size_t(a)];
                for (const QJsonValue &value : json.value(QLatin1String("data")).toArray()) {
                    const QJsonObject event = value.toObject();
                    au.lastSeq =
                        std::max(au.lastSeq, qint64(event.value(QLatin1String("seq")).toDouble()));
                    if (event.value(QLatin1String("event")).toString() ==
                        QLatin1String("BidPlaced"))
                        bidSeen(dataOf(event));
                }
                ++m_catchUps;
            });
    }

    void bidSeen(const QJsonObject &data)
    {
        const qint64 id = qint64(
            data.value(QLatin1String("bid")).toObject().value(QLatin1String("id")).toDouble());
        if (m_pendingBids.remove(id) > 0)
            ++m_bidsDelivered;
        else
            m_bidsEarly.insert(id);
    }

    void connectIdle(int k)
    {
        auto *socket = new WsClient(loopback(1, 1 + (k / 100) % 250), m_options.host,
                                    m_options.port, m_options.key, this);
        m_idleSockets[size_t(k)] = socket;
        socket->onEstablished = [](WsClient *s) { s->subscribe(QStringLiteral("soak-idle")); };
        socket->onEvent = [this, k](WsClient *, const QJsonObject &frame) {
            const QString event = frame.value(QLatin1String("event")).toString();
            if (isFailure(event, frame, QStringLiteral("idle %1").arg(k)))
                return;
            if (event == QLatin1String("pusher_internal:subscription_succeeded"))
                ++m_idleSubscribed;
        };
        socket->onClosed = [this, k](WsClient *, const QString &why) {
            fail(QStringLiteral("idle connection %1: %2").arg(k).arg(why));
        };
    }

    // ---- load -----------------------------------------------------------------------------

    void startLoad()
    {
        m_clock.start();
        m_cpuBefore = cpuMicros(m_options.serverPid);
        m_cpuAt.start();
        auto every = [this](double perSecond, std::function<void()> action) {
            if (perSecond <= 0)
                return;
            auto *timer = new QTimer(this);
            auto done = std::make_shared<qint64>(0);
            // Catch up with the schedule rather than drift when the loop was busy.
            connect(timer, &QTimer::timeout, this, [this, perSecond, action, done] {
                const qint64 due = qint64(m_clock.elapsed() / 1000.0 * perSecond);
                for (; *done < due; ++*done)
                    action();
            });
            timer->start(std::max(5, int(500 / perSecond)));
            m_timers.append(timer);
        };
        every(m_options.chatRate, [this] { sendMessage(); });
        every(m_options.bidRate, [this] { placeBid(); });
        every(m_options.joinRate, [this] { joinPresence(); });
        auto *sampler = new QTimer(this);
        connect(sampler, &QTimer::timeout, this, [this] { takeSample(); });
        sampler->start(m_options.sampleEvery * 1000);
        m_timers.append(sampler);
        auto *storms = new QTimer(this);
        storms->setSingleShot(true);
        connect(storms, &QTimer::timeout, this, [this, storms] {
            storm();
            if (m_clock.elapsed() + qint64(m_options.stormEvery) * 1000 <
                qint64(m_options.seconds) * 1000)
                storms->start(m_options.stormEvery * 1000);
        });
        storms->start(m_firstStormAt * 1000);
        m_timers.append(storms);
    }

    void stopLoad()
    {
        for (QTimer *timer : std::as_const(m_timers))
            timer->stop();
        takeSample();
    }

    void sendMessage()
    {
        const int from = int(m_random.bounded(m_options.users));
        int to = int(m_random.bounded(m_options.users - 1));
        if (to >= from)
            ++to;
        const qint64 n = ++m_messagesSent;
        User &sender = m_users[size_t(from)];
        sender.http->request(
            "POST", QStringLiteral("/api/messages"),
            QJsonObject{{QLatin1String("to_user_id"), m_users[size_t(to)].id},
                        {QLatin1String("body"),
                         QStringLiteral("<p>Soak message <b>%1</b> &amp; more</p>").arg(n)},
                        {QLatin1String("client_id"), QStringLiteral("soak-%1").arg(n)}},
            sender.token, [this, to](int status, const QJsonObject &json) {
                if (status != 201) {
                    fail(QStringLiteral("POST /api/messages answered %1: %2")
                             .arg(status)
                             .arg(json.value(QLatin1String("message")).toString()));
                    return;
                }
                ++m_messagesAcked;
                if (!m_users[size_t(to)].live)
                    return;
                const qint64 id = qint64(json.value(QLatin1String("message"))
                                             .toObject()
                                             .value(QLatin1String("id"))
                                             .toDouble());
                if (m_deliveredEarly.remove(id))
                    ++m_delivered;
                else
                    m_pendingMessages.insert(id, to);
            });
    }

    void placeBid()
    {
        for (int tries = 0; tries < m_options.auctions; ++tries) {
            const int a = m_nextAuction++ % m_options.auctions;
            Auction &auction = m_auctions[size_t(a)];
            if (auction.bidInFlight)
                continue;
            int bidder = int(m_random.bounded(m_options.users - 1));
            if (bidder >= auction.seller)
                ++bidder;
            auction.bidInFlight = true;
            User &user = m_users[size_t(bidder)];
            user.http->request(
                "POST", QStringLiteral("/api/domains/%1/bids").arg(auction.domainId),
                QJsonObject{{QLatin1String("amount_cents"), auction.minimumNext}}, user.token,
                [this, a](int status, const QJsonObject &json) {
                    Auction &au = m_auctions[size_t(a)];
                    au.bidInFlight = false;
                    if (status != 201) {
                        fail(QStringLiteral("POST /api/domains/%1/bids answered %2: %3")
                                 .arg(au.domainId)
                                 .arg(status)
                                 .arg(json.value(QLatin1String("message")).toString()));
                        return;
                    }
                    ++m_bidsAcked;
                    au.minimumNext = qint64(json.value(QLatin1String("auction"))
                                                .toObject()
                                                .value(QLatin1String("minimum_next_bid_cents"))
                                                .toDouble());
                    const qint64 id = qint64(json.value(QLatin1String("bid"))
                                                 .toObject()
                                                 .value(QLatin1String("id"))
                                                 .toDouble());
                    if (m_bidsEarly.remove(id))
                        ++m_bidsDelivered;
                    else
                        m_pendingBids.insert(id, a);
                });
            return;
        }
        ++m_bidsSkipped; // every auction still had a bid in flight
    }

    void joinPresence()
    {
        const int user = int(m_random.bounded(m_options.users));
        const int a = int(m_random.bounded(m_options.auctions));
        const int slot = m_joinsStarted++;
        auto *socket = new WsClient(loopback(5, 1 + slot % 50), m_options.host, m_options.port,
                                    m_options.key, this);
        const QString channel =
            QStringLiteral("presence-auction.%1").arg(m_auctions[size_t(a)].domainId);
        auto joined = std::make_shared<bool>(false);
        socket->onEstablished = [this, user, channel](WsClient *s) {
            authorizeAndSubscribe(user, s, channel);
        };
        socket->onEvent = [this, joined](WsClient *s, const QJsonObject &frame) {
            const QString event = frame.value(QLatin1String("event")).toString();
            if (isFailure(event, frame, QStringLiteral("presence join")))
                return;
            if (event == QLatin1String("pusher_internal:subscription_succeeded") && !*joined) {
                *joined = true;
                ++m_joins;
                QTimer::singleShot(3000, s, [this, s] {
                    s->shut();
                    s->deleteLater();
                    ++m_leaves;
                });
            }
        };
        socket->onClosed = [this](WsClient *s, const QString &why) {
            fail(QStringLiteral("presence socket: %1").arg(why));
            s->deleteLater();
        };
        QTimer::singleShot(30'000, socket, [this, socket, joined] {
            if (!*joined) {
                fail(QStringLiteral("a presence join took more than 30 s"));
                socket->shut();
                socket->deleteLater();
            }
        });
    }

    //! Every idle connection, subscribed user and watcher drops at once and reconnects.
    void storm()
    {
        ++m_storms;
        m_stormRunning = true;
        QElapsedTimer *took = new QElapsedTimer;
        took->start();
        for (int k = 0; k < m_options.idle; ++k) {
            m_idleSockets[size_t(k)]->shut();
            m_idleSockets[size_t(k)]->deleteLater();
        }
        m_idleSubscribed = 0;
        for (int i = 0; i < m_options.users; ++i) {
            User &user = m_users[size_t(i)];
            if (!user.live)
                continue;
            user.socket->shut();
            user.socket->deleteLater();
            connectUser(i);
        }
        for (int a = 0; a < m_options.auctions; ++a) {
            m_auctions[size_t(a)].watcher->shut();
            m_auctions[size_t(a)].watcher->deleteLater();
            connectWatcher(a);
        }
        for (int k = 0; k < m_options.idle; ++k)
            connectIdle(k);
        auto *check = new QTimer(this);
        connect(check, &QTimer::timeout, this, [this, check, took] {
            if (allSubscribed()) {
                m_stormSeconds = std::max(m_stormSeconds, took->elapsed() / 1e3);
                m_stormRunning = false;
            } else if (took->elapsed() > 60'000) {
                fail(QStringLiteral("a reconnect storm did not settle within 60 s"));
                m_stormRunning = false;
            }
            if (!m_stormRunning) {
                check->deleteLater();
                delete took;
            }
        });
        check->start(100);
    }

    // ---- samples and verdict --------------------------------------------------------------

    void takeSample()
    {
        if (!m_options.serverPid || !m_clock.isValid())
            return;
        const double seconds = m_clock.elapsed() / 1e3;
        if (!m_samples.empty() && seconds - m_samples.back().seconds < 1.0)
            return;
        const qint64 cpu = cpuMicros(m_options.serverPid);
        const double wallUs = m_cpuAt.nsecsElapsed() / 1e3;
        const double percent = wallUs > 0 ? 100.0 * double(cpu - m_cpuBefore) / wallUs : 0;
        m_cpuBefore = cpu;
        m_cpuAt.restart();
        const Sample sample{seconds, rssKiB(m_options.serverPid),
                            openDescriptors(m_options.serverPid), percent};
        m_samples.push_back(sample);
        int connections = m_idleSubscribed;
        for (const User &u : m_users)
            connections += u.live && u.subscribed ? 1 : 0;
        std::printf("%8.0f %9.1f %6lld %6.1f %6d %8lld %9lld %7lld %6lld %6d %6d %6lld\n",
                    sample.seconds, sample.rssKiB / 1024.0, sample.fds, sample.cpuPercent,
                    connections, m_messagesAcked, m_delivered, qint64(m_pendingMessages.size()),
                    m_bidsAcked, m_joins, m_storms, qint64(m_errors.size()));
        std::fflush(stdout);
    }

    int verdict()
    {
        QStringList reasons;
        if (!m_errors.isEmpty())
            reasons.append(
                QStringLiteral("%1 errors (first: %2)").arg(m_errors.size()).arg(m_errors.first()));
        if (!m_pendingMessages.isEmpty())
            reasons.append(QStringLiteral("%1 acknowledged messages never reached their live "
                                          "recipient")
                               .arg(m_pendingMessages.size()));
        if (!m_pendingBids.isEmpty())
            reasons.append(QStringLiteral("%1 acknowledged bids never reached the auction's "
                                          "watcher")
                               .arg(m_pendingBids.size()));
        if (m_ready && m_storms == 0)
            reasons.append(QStringLiteral("no reconnect storm ran"));
        // RSS drift: from the first sample after warm-up (after the first storm) to the last.
        double drift = 0;
        const auto baseline = std::find_if(m_samples.begin(), m_samples.end(), [this](auto &s) {
            return s.seconds >= m_warmupEnd - 0.5;
        });
        if (m_ready && m_options.serverPid) {
            if (baseline == m_samples.end() || baseline + 1 >= m_samples.end()) {
                reasons.append(QStringLiteral("too few samples after warm-up"));
            } else {
                drift = double(m_samples.back().rssKiB - baseline->rssKiB) /
                        double(std::max<qint64>(1, baseline->rssKiB));
                if (drift >= m_options.maxRssDrift)
                    reasons.append(QStringLiteral("RSS drifted %1% after warm-up (%2 -> %3 MiB)")
                                       .arg(drift * 100, 0, 'f', 1)
                                       .arg(baseline->rssKiB / 1024.0, 0, 'f', 1)
                                       .arg(m_samples.back().rssKiB / 1024.0, 0, 'f', 1));
            }
        }
        const QJsonObject summary{
            {QLatin1String("mode"), QStringLiteral("soak")},
            {QLatin1String("seconds"), m_options.seconds},
            {QLatin1String("messages_acknowledged"), m_messagesAcked},
            {QLatin1String("messages_delivered_live_or_history"), m_delivered},
            {QLatin1String("messages_lost"), qint64(m_pendingMessages.size())},
            {QLatin1String("bids_acknowledged"), m_bidsAcked},
            {QLatin1String("bids_delivered"), m_bidsDelivered},
            {QLatin1String("bids_lost"), qint64(m_pendingBids.size())},
            {QLatin1String("bid_ticks_skipped_busy"), m_bidsSkipped},
            {QLatin1String("presence_joins"), m_joins},
            {QLatin1String("presence_leaves"), m_leaves},
            {QLatin1String("storms"), m_storms},
            {QLatin1String("slowest_storm_s"), m_stormSeconds},
            {QLatin1String("history_catch_ups"), m_catchUps},
            {QLatin1String("idle_connections"), m_options.idle},
            {QLatin1String("rss_drift_percent"), drift * 100},
            {QLatin1String("errors"), qint64(m_errors.size())},
        };
        std::printf("%s\n", QJsonDocument(summary).toJson(QJsonDocument::Compact).constData());
        if (reasons.isEmpty()) {
            std::printf("soak: PASS (RSS drift %.1f%% after warm-up, nothing lost, no errors)\n",
                        drift * 100);
            return 0;
        }
        std::printf("soak: FAIL: %s\n", qPrintable(reasons.join(QStringLiteral("; "))));
        return 1;
    }

    const SoakOptions &m_options;
    QRandomGenerator m_random;
    QString m_run;
    int m_firstStormAt;
    int m_warmupEnd;
    std::vector<User> m_users;
    std::vector<Auction> m_auctions;
    std::vector<QPointer<WsClient>> m_idleSockets;
    int m_registered = 0;
    int m_auctionsCreated = 0;
    bool m_ready = false;
    int m_idleSubscribed = 0;
    QElapsedTimer m_clock;
    QElapsedTimer m_cpuAt;
    qint64 m_cpuBefore = 0;
    QList<QTimer *> m_timers;
    QStringList m_errors;
    std::vector<Sample> m_samples;
    qint64 m_messagesSent = 0;
    qint64 m_messagesAcked = 0;
    qint64 m_delivered = 0;
    QHash<qint64, int> m_pendingMessages; //!< message id -> live recipient
    QSet<qint64> m_deliveredEarly;
    qint64 m_bidsAcked = 0;
    qint64 m_bidsDelivered = 0;
    qint64 m_bidsSkipped = 0;
    QHash<qint64, int> m_pendingBids; //!< bid id -> auction
    QSet<qint64> m_bidsEarly;
    int m_nextAuction = 0;
    int m_joinsStarted = 0;
    int m_joins = 0;
    int m_leaves = 0;
    int m_storms = 0;
    bool m_stormRunning = false;
    double m_stormSeconds = 0;
    int m_catchUps = 0;
};

} // namespace

int runSoak(const SoakOptions &options)
{
    Soak soak(options);
    return soak.run();
}

} // namespace flippdeal::bench
