// SPDX-License-Identifier: MIT
// flippdeal-bench: opens N WebSocket connections across T threads, subscribes them to one
// channel, publishes M events through the signed HTTP API (at a set rate or as fast as the
// server acknowledges), and prints one JSON line with connection, throughput, latency, loss
// and memory figures. `--rest` measures durable POST /api/messages instead, and `--soak` runs
// the mixed soak load of bench/soak.sh (soak.cpp).
#include "benchsupport.h"
#include "soak.h"

#include "protocol/signing.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslSocket>
#include <QTcpSocket>
#include <QThread>
#include <QTimer>
#include <QUrlQuery>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <time.h>
#include <unistd.h>
#include <unordered_map>
#include <vector>

using flippdeal::bench::cpuMicros;
using flippdeal::bench::maskedTextFrame;
using flippdeal::bench::readServerFrames;
using flippdeal::bench::rssKiB;
using flippdeal::bench::ServerFrame;
using flippdeal::bench::takeUpgradeAnswer;
using flippdeal::bench::UpgradeAnswer;

namespace {

qint64 monotonicNs()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return qint64(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

struct Options
{
    QString host = QStringLiteral("127.0.0.1");
    int port = 6001;
    QString appId = QStringLiteral("flippdeal");
    QString key = QStringLiteral("flippdeal-key");
    QByteArray secret;
    int connections = 1000;
    int threads = 4;
    QString channel = QStringLiteral("bench");
    int events = 200;
    double rate = 0; // events per second, 0 = as fast as acknowledged
    int payloadBytes = 100;
    qint64 serverPid = 0;
    int inFlight = 16;
    bool tls = false;       // https:// and wss:// (--tls-ca)
    int historyReaders = 0; // history pages kept in flight during the run
    int historyEvents = 1000;
    int hostileSenders = 0; // hostile chat bodies kept in flight during the run
    int chatRate = 0;       // durable chat messages per second written during the run
    int subscribePort = 0;  // every other subscriber connects here (a second cluster node)
    qint64 otherPid = 0;    // that node's process, added to the server CPU
    qint64 redisPid = 0;    // the cluster's Redis, for its CPU per event

    QString httpBase() const
    {
        return QStringLiteral("%1://%2:%3")
            .arg(tls ? QLatin1String("https") : QLatin1String("http"), host)
            .arg(port);
    }
};

//! A minimal WebSocket client on a QTcpSocket: the handshake, unmasked server frames in,
//! masked frames out. QWebSocket converts every message to UTF-16 and costs more per frame than
//! the server does, which would make the generator, not the server, the thing measured.
//! With `tls`, the same over a QSslSocket (wss://).
class RawClient : public QObject
{
public:
    using TextHandler = std::function<void(RawClient *, QByteArrayView)>;

    RawClient(const QString &host, int port, bool tls, const QByteArray &path, TextHandler onText,
              QObject *parent)
        : QObject(parent)
        , m_socket(tls ? new QSslSocket : new QTcpSocket)
        , m_path(path)
        , m_onText(std::move(onText))
    {
        m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        const auto upgrade = [this] {
            m_socket->write("GET " + m_path +
                            " HTTP/1.1\r\nHost: bench\r\nUpgrade: websocket\r\n"
                            "Connection: Upgrade\r\nSec-WebSocket-Key: ZmxpcHBkZWFsLWJlbmNoLQ==\r\n"
                            "Sec-WebSocket-Version: 13\r\n\r\n");
        };
        connect(m_socket.get(), &QTcpSocket::readyRead, this, &RawClient::onReadyRead);
        if (auto *ssl = qobject_cast<QSslSocket *>(m_socket.get())) {
            connect(ssl, &QSslSocket::encrypted, this, upgrade);
            ssl->connectToHostEncrypted(host, quint16(port));
        } else {
            connect(m_socket.get(), &QTcpSocket::connected, this, upgrade);
            m_socket->connectToHost(host, quint16(port));
        }
    }

    void sendText(const QByteArray &payload) { m_socket->write(maskedTextFrame(payload)); }

private:
    void onReadyRead()
    {
        m_buffer += m_socket->readAll();
        if (!m_upgraded) {
            m_upgraded = takeUpgradeAnswer(m_buffer) == UpgradeAnswer::Switched;
            if (!m_upgraded)
                return;
        }
        const qsizetype used = readServerFrames(m_buffer, [this](const ServerFrame &frame) {
            if (frame.opcode == 0x1)
                m_onText(this, frame.payload);
            return true;
        });
        m_buffer.remove(0, used);
    }

    std::unique_ptr<QTcpSocket> m_socket;
    QByteArray m_path;
    TextHandler m_onText;
    QByteArray m_buffer;
    bool m_upgraded = false;
};

//! Connections of one thread: connects, subscribes, timestamps what arrives.
class Worker : public QObject
{
public:
    Worker(const Options &options, int count, std::atomic<int> &subscribed,
           std::atomic<qint64> &received, std::atomic<qint64> &outOfOrder)
        : m_options(options)
        , m_count(count)
        , m_subscribed(subscribed)
        , m_received(received)
        , m_outOfOrder(outOfOrder)
    {}

    void start()
    {
        const QByteArray path =
            QStringLiteral("/app/%1?protocol=7&client=flippdeal-bench&version=1")
                .arg(m_options.key)
                .toUtf8();
        for (int i = 0; i < m_count; ++i)
            new RawClient(
                m_options.host,
                m_options.subscribePort != 0 && i % 2 == 1 ? m_options.subscribePort
                                                           : m_options.port,
                m_options.tls, path,
                [this](RawClient *client, QByteArrayView text) { onText(client, text); }, this);
    }

    std::vector<qint64> takeLatencies()
    {
        std::lock_guard lock(m_mutex);
        return std::move(m_latencies);
    }

private:
    void onText(RawClient *client, QByteArrayView text)
    {
        const qint64 now = monotonicNs();
        // Benchmark events are recognised and timed without a JSON parser, so the generator's
        // own cost stays small next to the server's: the payload carries \"t\":<ns>.
        static const QByteArrayView benchEvent = "\"event\":\"bench\"";
        static const QByteArrayView stampKey = "\\\"t\\\":";
        static const QByteArrayView indexKey = "\\\"i\\\":";
        if (text.indexOf(benchEvent) >= 0) {
            const qint64 sentAt = numberAfter(text, stampKey);
            // Publish order: each connection must see the events' indexes rise.
            qint64 &last = m_lastIndex.try_emplace(client, -1).first->second;
            const qint64 index = numberAfter(text, indexKey);
            if (index < last)
                ++m_outOfOrder;
            last = std::max(last, index);
            {
                std::lock_guard lock(m_mutex);
                m_latencies.push_back(now - sentAt);
            }
            ++m_received;
            return;
        }
        if (text.indexOf("pusher:connection_established") >= 0) {
            client->sendText("{\"event\":\"pusher:subscribe\",\"data\":{\"channel\":\"" +
                             m_options.channel.toUtf8() + "\"}}");
        } else if (text.indexOf("pusher_internal:subscription_succeeded") >= 0) {
            ++m_subscribed;
        } else if (text.indexOf("\"pusher:ping\"") >= 0) {
            client->sendText(R"({"event":"pusher:pong","data":{}})");
        }
    }

    //! The digits after `key` in `text` (0 if there are none).
    static qint64 numberAfter(QByteArrayView text, QByteArrayView key)
    {
        const qsizetype at = text.indexOf(key);
        qint64 value = 0;
        for (qsizetype i = at + key.size();
             at >= 0 && i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i)
            value = value * 10 + (text[i] - '0');
        return value;
    }

    const Options &m_options;
    int m_count;
    std::atomic<int> &m_subscribed;
    std::atomic<qint64> &m_received;
    std::mutex m_mutex;
    std::vector<qint64> m_latencies;
    std::atomic<qint64> &m_outOfOrder;
    std::unordered_map<const RawClient *, qint64> m_lastIndex; // this worker's thread only
};

//! Publishes through POST /apps/{id}/events, signed like the Pusher HTTP API.
class Publisher : public QObject
{
public:
    explicit Publisher(const Options &options)
        : m_options(options)
    {}

    void publish(int index, const std::function<void(bool)> &done)
    {
        const QJsonObject data{
            {QLatin1String("t"), double(monotonicNs())},
            {QLatin1String("i"), index},
            {QLatin1String("pad"), QString(m_options.payloadBytes, QLatin1Char('x'))}};
        const QJsonObject body{{QLatin1String("name"), QStringLiteral("bench")},
                               {QLatin1String("channel"), m_options.channel},
                               {QLatin1String("data"), QString::fromUtf8(QJsonDocument(data).toJson(
                                                           QJsonDocument::Compact))}};
        const QByteArray bytes = QJsonDocument(body).toJson(QJsonDocument::Compact);
        const QString path = QStringLiteral("/apps/%1/events").arg(m_options.appId);
        flippdeal::protocol::QueryParams params{
            {QStringLiteral("auth_key"), m_options.key},
            {QStringLiteral("auth_timestamp"), QString::number(QDateTime::currentSecsSinceEpoch())},
            {QStringLiteral("auth_version"), QStringLiteral("1.0")},
            {QStringLiteral("body_md5"),
             QString::fromLatin1(flippdeal::protocol::bodyMd5Hex(bytes))}};
        QUrlQuery query;
        for (const auto &[k, v] : params)
            query.addQueryItem(k, v);
        query.addQueryItem(QStringLiteral("auth_signature"),
                           QString::fromLatin1(flippdeal::protocol::apiSignature(
                               m_options.secret, "POST", path, params)));
        QUrl url(m_options.httpBase() + path);
        url.setQuery(query);
        QNetworkRequest request(url);
        request.setHeader(QNetworkRequest::ContentTypeHeader,
                          QByteArrayLiteral("application/json"));
        QNetworkReply *reply = m_network.post(request, bytes);
        connect(reply, &QNetworkReply::finished, this, [reply, done] {
            done(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() == 200);
            reply->deleteLater();
        });
    }

private:
    const Options &m_options;
    QNetworkAccessManager m_network;
};

double percentile(const std::vector<qint64> &sorted, double p)
{
    if (sorted.empty())
        return 0;
    const auto index =
        std::min(sorted.size() - 1, static_cast<size_t>(p * double(sorted.size() - 1) + 0.5));
    return double(sorted[index]) / 1e6; // ms
}

void waitFor(const std::function<bool()> &condition, int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    while (!condition() && timer.elapsed() < timeoutMs)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
}

//! The server process named by --server-pid, read through /proc; every figure is -1 without one.
struct ServerProbe
{
    qint64 pid = 0;
    qint64 otherPid = 0; //!< a second node (--other-pid): its CPU counts with the first's

    qint64 rssKiB() const { return pid ? flippdeal::bench::rssKiB(pid) : -1; }
    qint64 cpuMicros() const
    {
        if (!pid)
            return -1;
        return flippdeal::bench::cpuMicros(pid) +
               (otherPid ? flippdeal::bench::cpuMicros(otherPid) : 0);
    }
    QHash<QString, qint64> threadCpuMicros() const
    {
        return pid ? flippdeal::bench::threadCpuMicros(pid) : QHash<QString, qint64>();
    }
};

//! The fan-out's WebSocket connections, spread over `options.threads` threads with one Worker
//! each. They start connecting and subscribing when constructed.
class Subscribers
{
public:
    explicit Subscribers(const Options &options)
    {
        for (int t = 0; t < options.threads; ++t) {
            const int count = options.connections / options.threads +
                              (t < options.connections % options.threads ? 1 : 0);
            auto thread = std::make_unique<QThread>();
            auto *worker = new Worker(options, count, m_subscribed, m_received, m_outOfOrder);
            worker->moveToThread(thread.get());
            QObject::connect(thread.get(), &QThread::finished, worker, &QObject::deleteLater);
            thread->start();
            QMetaObject::invokeMethod(worker, [worker] { worker->start(); });
            m_workers.push_back(worker);
            m_threads.push_back(std::move(thread));
        }
    }

    int subscribed() const { return m_subscribed.load(); }
    qint64 received() const { return m_received.load(); }
    //! Deliveries that came after one with a higher index on the same connection.
    qint64 outOfOrder() const { return m_outOfOrder.load(); }

    //! Stops the threads; returns the delivery latencies (ns) all workers measured, sorted.
    std::vector<qint64> stop()
    {
        std::vector<qint64> latencies;
        for (Worker *worker : m_workers) {
            auto part = worker->takeLatencies();
            latencies.insert(latencies.end(), part.begin(), part.end());
        }
        std::sort(latencies.begin(), latencies.end());
        for (auto &thread : m_threads) {
            thread->quit();
            thread->wait();
        }
        return latencies;
    }

private:
    std::atomic<int> m_subscribed{0};
    std::atomic<qint64> m_received{0};
    std::atomic<qint64> m_outOfOrder{0};
    std::vector<std::unique_ptr<QThread>> m_threads;
    std::vector<Worker *> m_workers;
};

//! How the events of a fan-out went out.
struct Publishing
{
    int acknowledged = 0;
    int failed = 0;
    double seconds = 0; //!< from the first event to the last acknowledgement and delivery
};

//! Publishes `options.events` events, at `options.rate` per second or as fast as they are
//! acknowledged with at most `options.inFlight` waiting; then waits (30 s at the most) for the
//! last acknowledgement and for `expected` deliveries to `subscribers`.
Publishing publishEvents(const Options &options, const Subscribers &subscribers, qint64 expected)
{
    Publisher publisher(options);
    Publishing outcome;
    int published = 0, inFlight = 0;
    QElapsedTimer timer;
    timer.start();
    while (published < options.events) {
        const bool rateAllows =
            options.rate <= 0 || published < timer.nsecsElapsed() / 1e9 * options.rate;
        if (rateAllows && inFlight < options.inFlight) {
            ++inFlight;
            publisher.publish(published++, [&](bool ok) {
                --inFlight;
                ok ? ++outcome.acknowledged : ++outcome.failed;
            });
            continue;
        }
        QCoreApplication::processEvents(QEventLoop::AllEvents, 1);
    }
    waitFor([&] { return inFlight == 0 && subscribers.received() >= expected; }, 30'000);
    outcome.seconds = timer.nsecsElapsed() / 1e9;
    return outcome;
}

//! JSON POSTs to the server, signed in with a bearer token or not.
class RestClient
{
public:
    //! One QNetworkAccessManager keeps at most 6 connections to a host: enough of them for
    //! `--in-flight` requests on connections of their own.
    explicit RestClient(const Options &options)
        : m_base(options.httpBase())
    {
        const int managers = std::max(1, (options.inFlight + 5) / 6);
        for (int i = 0; i < managers; ++i)
            m_network.push_back(std::make_unique<QNetworkAccessManager>());
    }

    QNetworkReply *post(const QString &path, const QJsonObject &body, const QByteArray &token = {})
    {
        QNetworkRequest request(QUrl(m_base + path));
        request.setHeader(QNetworkRequest::ContentTypeHeader,
                          QByteArrayLiteral("application/json"));
        if (!token.isEmpty())
            request.setRawHeader("Authorization", "Bearer " + token);
        return next().post(request, QJsonDocument(body).toJson(QJsonDocument::Compact));
    }

    QNetworkReply *get(const QString &path, const QByteArray &token)
    {
        QNetworkRequest request(QUrl(m_base + path));
        request.setRawHeader("Authorization", "Bearer " + token);
        return next().get(request);
    }

private:
    QNetworkAccessManager &next() { return *m_network[m_turn++ % m_network.size()]; }

    QString m_base;
    std::vector<std::unique_ptr<QNetworkAccessManager>> m_network;
    size_t m_turn = 0;
};

struct RestUser
{
    qint64 id;
    QByteArray token;
};

//! Registers `count` users with addresses of their own to this run, one after the other.
std::vector<RestUser> registerUsers(RestClient &client, int count)
{
    std::vector<RestUser> users;
    const QString run = QString::number(QDateTime::currentMSecsSinceEpoch());
    for (int i = 0; i < count; ++i) {
        QNetworkReply *reply = client.post(
            QStringLiteral("/api/register"),
            {{QLatin1String("name"), QStringLiteral("Bench %1").arg(i)},
             {QLatin1String("email"), QStringLiteral("bench-%1-%2@bench.test").arg(run).arg(i)},
             {QLatin1String("password"), QStringLiteral("bench-password")}});
        waitFor([reply] { return reply->isFinished(); }, 30'000);
        const QJsonObject json = QJsonDocument::fromJson(reply->readAll()).object();
        reply->deleteLater();
        users.push_back({static_cast<qint64>(json.value(QLatin1String("user"))
                                                 .toObject()
                                                 .value(QLatin1String("id"))
                                                 .toDouble()),
                         json.value(QLatin1String("token")).toString().toLatin1()});
    }
    return users;
}

//! Requests kept in flight beside a fan-out run, each sent again as soon as it is answered. Its
//! figures go into the run's JSON line under `name`: how many were answered with the expected
//! status, how many were not, and their latency. It shows what such requests cost the sockets.
class SideLoad
{
public:
    using Request = std::function<QNetworkReply *()>;

    //! With `perSecond`, requests start at that pace instead (up to `inFlight` at once).
    SideLoad(QString name, int inFlight, int expectedStatus, int perSecond = 0)
        : m_name(std::move(name))
        , m_inFlight(inFlight)
        , m_expectedStatus(expectedStatus)
        , m_perSecond(perSecond)
    {}

    bool isOn() const { return m_inFlight > 0; }

    void start(Request request)
    {
        m_request = std::move(request);
        m_running = true;
        m_timer.start();
        if (m_perSecond > 0) {
            m_pace.setTimerType(Qt::PreciseTimer);
            m_pace.setInterval(1);
            QObject::connect(&m_pace, &QTimer::timeout, [this] { keepPace(); });
            m_pace.start();
            return;
        }
        for (int i = 0; i < m_inFlight; ++i)
            next();
    }

    //! Stops asking and waits (10 s at the most) for the answers still on their way.
    void stop()
    {
        m_running = false;
        m_pace.stop();
        m_seconds = m_timer.nsecsElapsed() / 1e9;
        waitFor([this] { return m_waiting == 0; }, 10'000);
        std::sort(m_latencies.begin(), m_latencies.end());
    }

    void addTo(QJsonObject &result) const
    {
        if (!isOn())
            return;
        const auto key = [this](const char *figure) {
            return m_name + QLatin1Char('_') + QLatin1String(figure);
        };
        result.insert(key("in_flight"), m_inFlight);
        result.insert(key("answered"), double(m_latencies.size()));
        result.insert(key("unexpected"), m_unexpected);
        result.insert(key("bytes"), double(m_lastBytes));
        result.insert(key("per_second"), m_seconds > 0 ? m_latencies.size() / m_seconds : 0.0);
        result.insert(key("ms_p50"), percentile(m_latencies, 0.50));
        result.insert(key("ms_p99"), percentile(m_latencies, 0.99));
    }

private:
    //! Starts the requests due by now at m_perSecond, as far as m_inFlight allows.
    void keepPace()
    {
        const qint64 due = qint64(m_timer.nsecsElapsed() / 1e9 * m_perSecond);
        while (m_started < due && m_waiting < m_inFlight)
            next();
        m_started = std::max(m_started, due); // what the cap held back is skipped, not bunched
    }

    void next()
    {
        ++m_started;
        ++m_waiting;
        const qint64 start = monotonicNs();
        QNetworkReply *reply = m_request();
        QObject::connect(reply, &QNetworkReply::finished, [this, reply, start] {
            --m_waiting;
            m_lastBytes = reply->readAll().size();
            if (reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() ==
                m_expectedStatus)
                m_latencies.push_back(monotonicNs() - start);
            else
                ++m_unexpected;
            reply->deleteLater();
            if (m_running && m_perSecond == 0)
                next();
        });
    }

    QString m_name;
    int m_inFlight;
    int m_expectedStatus;
    int m_perSecond;
    qint64 m_started = 0;
    QTimer m_pace;
    Request m_request;
    bool m_running = false;
    int m_waiting = 0;
    int m_unexpected = 0;
    qint64 m_lastBytes = 0;
    double m_seconds = 0;
    QElapsedTimer m_timer;
    std::vector<qint64> m_latencies; //!< ns, of expected answers; sorted after stop()
};

//! --history-readers: one user's channel is filled with --history-events events of the run's
//! payload; the request reads its full history page (`?after=0&limit=1000`). Building large
//! answers: on the event loop, or off it. Nothing (and a message) when the filling fails.
std::optional<SideLoad::Request> historyRequest(const Options &options, RestClient &client)
{
    const RestUser user = registerUsers(client, 1).front();
    Options fill = options;
    fill.channel = QStringLiteral("private-user.%1").arg(user.id);
    Publisher publisher(fill);
    int acknowledged = 0, answered = 0;
    for (int i = 0; i < options.historyEvents; ++i) {
        publisher.publish(i, [&](bool ok) {
            ++answered;
            acknowledged += ok ? 1 : 0;
        });
        waitFor([&] { return i + 1 - answered < 16; }, 30'000);
    }
    waitFor([&] { return answered == options.historyEvents; }, 60'000);
    if (user.token.isEmpty() || acknowledged != options.historyEvents) {
        std::fprintf(stderr, "flippdeal-bench: cannot fill the history (%d of %d stored)\n",
                     acknowledged, options.historyEvents);
        return std::nullopt;
    }
    const QString path =
        QStringLiteral("/api/channels/private-user.%1/events?after=0&limit=1000").arg(user.id);
    return [&client, path, token = user.token] { return client.get(path, token); };
}

//! --hostile-senders: a chat message whose body is `<b>` × 33,000 (99 kB of unclosed tags, the
//! body that once held the event loop for 59 s), refused with 422. 64 senders take turns, so
//! the per-user message rate (5/s) is not what answers them.
SideLoad::Request hostileRequest(RestClient &client)
{
    constexpr int Senders = 64;
    const std::vector<RestUser> users = registerUsers(client, Senders);
    const QJsonObject bodyTemplate{
        {QLatin1String("body"), QString(QStringLiteral("<b>")).repeated(33'000)}};
    auto turn = std::make_shared<int>(0);
    return [&client, users, bodyTemplate, turn] {
        const RestUser &from = users[*turn % Senders];
        const RestUser &to = users[(*turn + 1) % Senders];
        ++*turn;
        QJsonObject body = bodyTemplate;
        body.insert(QLatin1String("to_user_id"), to.id);
        return client.post(QStringLiteral("/api/messages"), body, from.token);
    };
}

//! --chat-rate: valid chat messages, stored durably and answered 201, between 64 users who take
//! turns (the server needs a --message-rate above chat-rate / 64).
SideLoad::Request chatRequest(RestClient &client)
{
    constexpr int Senders = 64;
    const std::vector<RestUser> users = registerUsers(client, Senders);
    auto turn = std::make_shared<int>(0);
    return [&client, users, turn] {
        const RestUser &from = users[*turn % Senders];
        const RestUser &to = users[(*turn + 1) % Senders];
        const QJsonObject body{{QLatin1String("to_user_id"), to.id},
                               {QLatin1String("body"), QStringLiteral("Chat %1").arg(*turn)}};
        ++*turn;
        return client.post(QStringLiteral("/api/messages"), body, from.token);
    };
}

//! What a fan-out run measured: the figures of its JSON line.
struct FanOutResult
{
    qint64 rssBefore = -1; //!< server RSS before the first connection
    qint64 rssIdle = -1;   //!< server RSS with every connection held, before publishing
    int held = 0;          //!< connections subscribed
    double connectSeconds = 0;
    qint64 expected = 0; //!< deliveries due: events × connections held
    qint64 cpuBefore = -1, cpuAfter = -1;
    qint64 redisCpuBefore = -1, redisCpuAfter = -1;
    QHash<QString, qint64> threadsBefore, threadsAfter; //!< CPU µs by thread name
    Publishing publishing;
    qint64 received = 0;
    qint64 outOfOrder = 0;
    std::vector<qint64> latencies; //!< sorted, ns
};

//! Each server thread's CPU between the two readings, per delivery; threads that used none are
//! left out.
QJsonObject perDeliveryByThread(const QHash<QString, qint64> &before,
                                const QHash<QString, qint64> &after, qint64 deliveries)
{
    QJsonObject byThread;
    for (auto it = after.begin(); it != after.end(); ++it) {
        const qint64 used = it.value() - before.value(it.key());
        if (used > 0)
            byThread.insert(it.key(), double(used) / double(deliveries));
    }
    return byThread;
}

void printFanOut(const Options &options, const FanOutResult &r, const QList<SideLoad *> &sideLoads)
{
    QJsonObject result{
        {QLatin1String("mode"), QStringLiteral("fanout")},
        {QLatin1String("connections_requested"), options.connections},
        {QLatin1String("connections_held"), r.held},
        {QLatin1String("threads"), options.threads},
        {QLatin1String("connect_per_second"), r.held / r.connectSeconds},
        {QLatin1String("events_published"), r.publishing.acknowledged},
        {QLatin1String("publish_failures"), r.publishing.failed},
        {QLatin1String("publish_rate_target"), options.rate},
        {QLatin1String("payload_bytes"), options.payloadBytes},
        {QLatin1String("deliveries"), double(r.received)},
        {QLatin1String("deliveries_per_second"), r.received / r.publishing.seconds},
        {QLatin1String("latency_ms_p50"), percentile(r.latencies, 0.50)},
        {QLatin1String("latency_ms_p95"), percentile(r.latencies, 0.95)},
        {QLatin1String("latency_ms_p99"), percentile(r.latencies, 0.99)},
        {QLatin1String("latency_ms_max"), r.latencies.empty() ? 0.0 : r.latencies.back() / 1e6},
        {QLatin1String("messages_lost"), double(r.expected - r.received)},
        {QLatin1String("deliveries_out_of_order"), double(r.outOfOrder)},
    };
    if (r.cpuBefore >= 0 && r.cpuAfter >= 0 && r.received > 0)
        result.insert(QLatin1String("server_cpu_us_per_delivery"),
                      double(r.cpuAfter - r.cpuBefore) / double(r.received));
    if (r.redisCpuBefore >= 0 && r.publishing.acknowledged > 0)
        result.insert(QLatin1String("redis_cpu_us_per_event"),
                      double(r.redisCpuAfter - r.redisCpuBefore) / r.publishing.acknowledged);
    if (r.received > 0)
        result.insert(QLatin1String("server_cpu_us_per_delivery_by_thread"),
                      perDeliveryByThread(r.threadsBefore, r.threadsAfter, r.received));
    if (r.rssBefore > 0 && r.rssIdle > 0 && r.held > 0)
        result.insert(QLatin1String("server_rss_kib_per_idle_connection"),
                      double(r.rssIdle - r.rssBefore) / r.held);
    for (const SideLoad *load : sideLoads)
        load->addTo(result);
    std::puts(QJsonDocument(result).toJson(QJsonDocument::Compact).constData());
}

//! The fan-out benchmark: connects and subscribes every connection (2 minutes at the most),
//! reads the server's idle memory, publishes the events and prints one JSON line. 0 when every
//! event reached every connection held.
int runFanOut(const Options &options)
{
    const ServerProbe server{options.serverPid, options.otherPid};
    const ServerProbe redis{options.redisPid, 0};
    FanOutResult r;
    r.rssBefore = server.rssKiB();
    RestClient client(options);
    SideLoad history(QStringLiteral("history"), options.historyReaders, 200);
    SideLoad hostile(QStringLiteral("hostile"), options.hostileSenders, 422);
    SideLoad chat(QStringLiteral("chat"), options.chatRate > 0 ? 256 : 0, 201, options.chatRate);
    QList<std::pair<SideLoad *, SideLoad::Request>> sideLoads;
    if (history.isOn()) {
        auto request = historyRequest(options, client);
        if (!request)
            return 1;
        sideLoads.append({&history, *request});
    }
    if (hostile.isOn())
        sideLoads.append({&hostile, hostileRequest(client)});
    if (chat.isOn())
        sideLoads.append({&chat, chatRequest(client)});
    QElapsedTimer connectTimer;
    connectTimer.start();
    Subscribers subscribers(options);
    waitFor([&] { return subscribers.subscribed() >= options.connections; }, 120'000);
    r.connectSeconds = connectTimer.nsecsElapsed() / 1e9;
    r.held = subscribers.subscribed();
    QThread::msleep(1000); // let the server settle before reading its memory
    r.rssIdle = server.rssKiB();

    r.expected = qint64(options.events) * r.held;
    for (auto &[load, request] : sideLoads)
        load->start(request);
    r.threadsBefore = server.threadCpuMicros();
    r.cpuBefore = server.cpuMicros();
    r.redisCpuBefore = redis.cpuMicros();
    r.publishing = publishEvents(options, subscribers, r.expected);
    r.cpuAfter = server.cpuMicros();
    r.redisCpuAfter = redis.cpuMicros();
    r.threadsAfter = server.threadCpuMicros();
    for (auto &[load, request] : sideLoads)
        load->stop();
    r.latencies = subscribers.stop();
    r.received = subscribers.received();
    r.outOfOrder = subscribers.outOfOrder();
    printFanOut(options, r, {&history, &hostile, &chat});
    return r.received == r.expected ? 0 : 1;
}

//! How the messages of a REST run went.
struct Messaging
{
    int acknowledged = 0; //!< answered 201
    int failed = 0;
    double seconds = 0;
    std::vector<qint64> latencies; //!< sorted, ns
};

//! Sends `messages` messages round the ring of `users` (each to the next), with at most
//! `inFlight` waiting for their answer; then waits (a minute at the most) for the last answer.
Messaging sendMessages(RestClient &client, const std::vector<RestUser> &users, int messages,
                       int inFlightMax)
{
    Messaging outcome;
    int sent = 0, inFlight = 0;
    QElapsedTimer timer;
    timer.start();
    while (sent < messages) {
        if (inFlight < inFlightMax) {
            const RestUser &from = users[sent % users.size()];
            const RestUser &to = users[(sent + 1) % users.size()];
            ++inFlight;
            const qint64 start = monotonicNs();
            QNetworkReply *reply =
                client.post(QStringLiteral("/api/messages"),
                            {{QLatin1String("to_user_id"), to.id},
                             {QLatin1String("body"), QStringLiteral("bench message %1").arg(sent)}},
                            from.token);
            ++sent;
            QObject::connect(reply, &QNetworkReply::finished, [&, reply, start] {
                --inFlight;
                outcome.latencies.push_back(monotonicNs() - start);
                reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() == 201
                    ? ++outcome.acknowledged
                    : ++outcome.failed;
                reply->deleteLater();
            });
            continue;
        }
        QCoreApplication::processEvents(QEventLoop::AllEvents, 1);
    }
    waitFor([&] { return inFlight == 0; }, 60'000);
    outcome.seconds = timer.nsecsElapsed() / 1e9;
    std::sort(outcome.latencies.begin(), outcome.latencies.end());
    return outcome;
}

//! The durable REST benchmark: registers `users` users, sends `messages` messages through
//! POST /api/messages and prints one JSON line. 0 when every message was acknowledged.
int runRest(const Options &options, int users, int messages)
{
    RestClient client(options);
    const std::vector<RestUser> accounts = registerUsers(client, users);
    const Messaging m = sendMessages(client, accounts, messages, options.inFlight);
    const QJsonObject result{{QLatin1String("mode"), QStringLiteral("rest")},
                             {QLatin1String("users"), users},
                             {QLatin1String("messages"), messages},
                             {QLatin1String("in_flight"), options.inFlight},
                             {QLatin1String("acknowledged"), m.acknowledged},
                             {QLatin1String("failed"), m.failed},
                             {QLatin1String("acknowledged_per_second"), m.acknowledged / m.seconds},
                             {QLatin1String("latency_ms_p50"), percentile(m.latencies, 0.50)},
                             {QLatin1String("latency_ms_p99"), percentile(m.latencies, 0.99)}};
    std::puts(QJsonDocument(result).toJson(QJsonDocument::Compact).constData());
    return m.failed == 0 ? 0 : 1;
}

//! The options of a cluster run (bench/cluster.sh).
QList<QCommandLineOption> clusterOptions()
{
    return {
        {QStringLiteral("subscribe-port"),
         QStringLiteral("Connect every other subscriber to this port (a second cluster node); "
                        "events are still published to --port."),
         QStringLiteral("port"), QStringLiteral("0")},
        {QStringLiteral("other-pid"),
         QStringLiteral("The second node's PID: its CPU counts with --server-pid's."),
         QStringLiteral("pid"), QStringLiteral("0")},
        {QStringLiteral("redis-pid"), QStringLiteral("Redis's PID, for its CPU per event."),
         QStringLiteral("pid"), QStringLiteral("0")},
    };
}

QList<QCommandLineOption> commandLineOptions()
{
    return {
        {QStringLiteral("host"), QStringLiteral("Server host."), QStringLiteral("host"),
         QStringLiteral("127.0.0.1")},
        {QStringLiteral("port"), QStringLiteral("Server port."), QStringLiteral("port"),
         QStringLiteral("6001")},
        {QStringLiteral("app-id"), QStringLiteral("Pusher app id."), QStringLiteral("id"),
         QStringLiteral("flippdeal")},
        {QStringLiteral("key"), QStringLiteral("Pusher app key."), QStringLiteral("key"),
         QStringLiteral("flippdeal-key")},
        {QStringLiteral("secret"), QStringLiteral("Pusher app secret."), QStringLiteral("secret")},
        {QStringLiteral("connections"), QStringLiteral("WebSocket connections."),
         QStringLiteral("n"), QStringLiteral("1000")},
        {QStringLiteral("threads"), QStringLiteral("Client threads."), QStringLiteral("n"),
         QStringLiteral("4")},
        {QStringLiteral("events"), QStringLiteral("Events to publish."), QStringLiteral("n"),
         QStringLiteral("200")},
        {QStringLiteral("rate"), QStringLiteral("Events per second (0: as fast as acknowledged)."),
         QStringLiteral("r"), QStringLiteral("0")},
        {QStringLiteral("payload"), QStringLiteral("Padding bytes per event."),
         QStringLiteral("bytes"), QStringLiteral("100")},
        {QStringLiteral("in-flight"), QStringLiteral("Concurrent HTTP requests."),
         QStringLiteral("n"), QStringLiteral("16")},
        {QStringLiteral("server-pid"), QStringLiteral("Server PID, to read its RSS."),
         QStringLiteral("pid"), QStringLiteral("0")},
        {QStringLiteral("rest"),
         QStringLiteral("Measure POST /api/messages with this many users instead."),
         QStringLiteral("users")},
        {QStringLiteral("messages"), QStringLiteral("Messages to send in --rest mode."),
         QStringLiteral("n"), QStringLiteral("2000")},
        {QStringLiteral("soak"),
         QStringLiteral("Run the soak load (bench/soak.sh) for this many seconds instead."),
         QStringLiteral("seconds")},
        {QStringLiteral("idle"), QStringLiteral("Idle WebSocket connections in --soak mode."),
         QStringLiteral("n"), QStringLiteral("2000")},
        {QStringLiteral("storm-every"),
         QStringLiteral("Seconds between reconnect storms in --soak mode."), QStringLiteral("s"),
         QStringLiteral("120")},
        {QStringLiteral("history-readers"),
         QStringLiteral("History pages of 1,000 events kept in flight while publishing."),
         QStringLiteral("n"), QStringLiteral("0")},
        {QStringLiteral("history-events"),
         QStringLiteral("Events stored for --history-readers to read."), QStringLiteral("n"),
         QStringLiteral("1000")},
        {QStringLiteral("hostile-senders"),
         QStringLiteral("Hostile 99 kB chat bodies kept in flight while publishing."),
         QStringLiteral("n"), QStringLiteral("0")},
        {QStringLiteral("chat-rate"),
         QStringLiteral("Durable chat messages per second written while publishing."),
         QStringLiteral("n"), QStringLiteral("0")},
        {QStringLiteral("tls-ca"),
         QStringLiteral("Use https:// and wss://, trusting this PEM certificate (a server "
                        "started with --tls-cert)."),
         QStringLiteral("file")},
    };
}

//! The parsed command line: option values, with each bad number reported on stderr as it is
//! read and remembered (ok() is false after one).
class Arguments
{
public:
    explicit Arguments(const QCommandLineParser &parser)
        : m_parser(parser)
    {}

    QString text(const char *name) const { return m_parser.value(QString::fromLatin1(name)); }
    bool isSet(const char *name) const { return m_parser.isSet(QString::fromLatin1(name)); }
    bool ok() const { return m_ok; }

    //! The integer value of --`name`, which must be at least `min`.
    int number(const char *name, int min)
    {
        bool good = false;
        const int value = text(name).toInt(&good);
        if (!good || value < min) {
            std::fprintf(stderr, "flippdeal-bench: --%s must be an integer >= %d\n", name, min);
            m_ok = false;
        }
        return value;
    }

private:
    const QCommandLineParser &m_parser;
    bool m_ok = true;
};

//! The options every mode shares (without --tls-ca: see trustCertificate).
Options readOptions(Arguments &arguments)
{
    Options o;
    o.host = arguments.text("host");
    o.port = arguments.number("port", 1);
    o.appId = arguments.text("app-id");
    o.key = arguments.text("key");
    o.secret = arguments.text("secret").toUtf8();
    o.connections = arguments.number("connections", 1);
    o.threads = arguments.number("threads", 1);
    o.events = arguments.number("events", 1);
    o.rate = arguments.text("rate").toDouble();
    o.payloadBytes = arguments.number("payload", 0);
    o.inFlight = arguments.number("in-flight", 1);
    o.serverPid = arguments.number("server-pid", 0);
    o.historyReaders = arguments.number("history-readers", 0);
    o.historyEvents = arguments.number("history-events", 1);
    o.hostileSenders = arguments.number("hostile-senders", 0);
    o.chatRate = arguments.number("chat-rate", 0);
    o.subscribePort = arguments.number("subscribe-port", 0);
    o.otherPid = arguments.number("other-pid", 0);
    o.redisPid = arguments.number("redis-pid", 0);
    return o;
}

//! Adds the PEM certificate(s) at `path` to the trusted CAs of every TLS connection; false (and
//! a message) when it holds none.
bool trustCertificate(const QString &path)
{
    const auto trusted = QSslCertificate::fromPath(path);
    if (trusted.isEmpty()) {
        std::fprintf(stderr, "flippdeal-bench: --tls-ca names no PEM certificate\n");
        return false;
    }
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.addCaCertificates(trusted);
    QSslConfiguration::setDefaultConfiguration(configuration);
    return true;
}

//! --soak: the mixed load of soak.cpp, over plain connections only.
int runSoakMode(Arguments &arguments, const Options &o)
{
    flippdeal::bench::SoakOptions soak;
    soak.host = o.host;
    soak.port = o.port;
    soak.key = o.key;
    soak.seconds = arguments.number("soak", 1);
    soak.idle = arguments.number("idle", 0);
    soak.stormEvery = arguments.number("storm-every", 1);
    soak.serverPid = o.serverPid;
    if (!arguments.ok() || o.tls)
        return 2;
    return flippdeal::bench::runSoak(soak);
}

} // namespace

int main(int argc, char *argv[])
{
    if (!qEnvironmentVariableIsSet("QT_NO_GLIB"))
        qputenv("QT_NO_GLIB", "1"); // as the server: GLib's dispatcher is O(sockets) per wake-up
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("FlippDeal Live load generator"));
    parser.addHelpOption();
    parser.addOptions(commandLineOptions());
    parser.addOptions(clusterOptions());
    parser.process(app);

    Arguments arguments(parser);
    Options options = readOptions(arguments);
    if (arguments.isSet("tls-ca")) {
        if (!trustCertificate(arguments.text("tls-ca")))
            return 2;
        options.tls = true;
    }
    if (!arguments.ok())
        return 2;
    if (arguments.isSet("soak"))
        return runSoakMode(arguments, options);
    // A bad --messages is reported, yet the run goes ahead with it (as it always has).
    if (arguments.isSet("rest"))
        return runRest(options, std::max(2, arguments.text("rest").toInt()),
                       arguments.number("messages", 1));
    if (options.secret.isEmpty()) {
        std::fprintf(stderr, "flippdeal-bench: --secret is required to publish\n");
        return 2;
    }
    return runFanOut(options);
}
