// SPDX-License-Identifier: MIT
#include "auctioncontroller.h"

#include "apiclient.h"
#include "realtimeclient.h"

#include "protocol/timeformat.h"
#include "protocol/types.h"

#include <QJsonArray>

namespace flippdeal::client {

namespace {
constexpr int ClockSamples = 8;
constexpr int TickMs = 200;
} // namespace

void ServerClock::addSample(qint64 serverMs, qint64 localMs)
{
    m_samples.append(serverMs - localMs);
    if (m_samples.size() > ClockSamples)
        m_samples.removeFirst();
}

qint64 ServerClock::offsetMs() const
{
    return m_samples.isEmpty() ? 0 : *std::max_element(m_samples.cbegin(), m_samples.cend());
}

AuctionController::AuctionController(ApiClient &api, RealtimeClient &realtime, qint64 myUserId,
                                     QObject *parent)
    : QObject(parent)
    , m_api(api)
    , m_realtime(realtime)
    , m_me(myUserId)
    , m_now([] { return protocol::nowMs(); })
    , m_watchers({"userId", "name", "isMe"}, "userId")
    , m_bids({"bidId", "userId", "amountCents", "createdAt", "mine"}, "bidId")
{
    m_ticker.setInterval(TickMs);
    connect(&m_ticker, &QTimer::timeout, this, &AuctionController::tick);
    connect(&m_realtime, &RealtimeClient::eventReceived, this,
            [this](const QString &channel, const QString &event, const QJsonObject &data, qint64) {
                onEvent(channel, event, data);
            });
    connect(&m_realtime, &RealtimeClient::membersReset, this,
            [this](const QString &channel, const QJsonObject &members) {
                if (channel != this->channel())
                    return;
                QList<QVariantMap> rows;
                for (auto it = members.begin(); it != members.end(); ++it)
                    rows.append({{QStringLiteral("userId"), it.key()},
                                 {QStringLiteral("name"),
                                  it.value().toObject().value(QLatin1String("name")).toString()},
                                 {QStringLiteral("isMe"), it.key() == QString::number(m_me)}});
                m_watchers.reset(rows);
            });
    connect(&m_realtime, &RealtimeClient::memberAdded, this,
            [this](const QString &channel, const QString &userId, const QJsonObject &info) {
                if (channel == this->channel())
                    m_watchers.upsert(
                        {{QStringLiteral("userId"), userId},
                         {QStringLiteral("name"), info.value(QLatin1String("name")).toString()},
                         {QStringLiteral("isMe"), userId == QString::number(m_me)}});
            });
    connect(&m_realtime, &RealtimeClient::memberRemoved, this,
            [this](const QString &channel, const QString &userId) {
                if (channel == this->channel())
                    m_watchers.removeKey(userId);
            });
    connect(&m_realtime, &RealtimeClient::subscriptionFailed, this,
            [this](const QString &channel, const QString &reason) {
                if (channel != this->channel() || m_ended)
                    return;
                // The presence channel of an auction that has ended cannot be joined: after a
                // reconnect that missed AuctionEnded, only the domain itself tells how it ended.
                m_api.get(this, QStringLiteral("/api/domains/%1").arg(m_domainId),
                          m_requests.guard([this, reason](const ApiResult &result) {
                              if (result.ok())
                                  applyDomain(
                                      result.json.value(QLatin1String("domain")).toObject());
                              if (!m_ended)
                                  setError(tr("Cannot watch this auction live: %1").arg(reason));
                          }));
            });
}

QString AuctionController::channel() const
{
    return m_domainId > 0 ? protocol::Channels::auction(m_domainId) : QString();
}

QDateTime AuctionController::endsAt() const
{
    return m_endsAtMs > 0 ? QDateTime::fromMSecsSinceEpoch(m_endsAtMs, Qt::UTC) : QDateTime();
}

qint64 AuctionController::remainingMs() const
{
    if (m_endsAtMs <= 0 || m_ended)
        return 0;
    return std::max<qint64>(0, m_endsAtMs - (m_now() + m_clock.offsetMs()));
}

QString AuctionController::countdownText() const
{
    if (m_ended)
        return tr("Ended");
    if (m_endsAtMs <= 0)
        return QString();
    const qint64 seconds = (remainingMs() + 999) / 1000; // rounded up, as the server does
    const qint64 h = seconds / 3600, m = (seconds % 3600) / 60, s = seconds % 60;
    if (h > 0)
        return QStringLiteral("%1:%2:%3")
            .arg(h)
            .arg(m, 2, 10, QLatin1Char('0'))
            .arg(s, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1:%2").arg(m).arg(s, 2, 10, QLatin1Char('0'));
}

void AuctionController::setError(const QString &error)
{
    if (error == m_errorString)
        return;
    m_errorString = error;
    Q_EMIT errorStringChanged();
}

void AuctionController::noteServerTime(const QJsonValue &serverTime)
{
    if (const auto server = protocol::parseIsoUtc(serverTime.toString()))
        m_clock.addSample(*server, m_now());
}

void AuctionController::open(qint64 domainId)
{
    if (domainId <= 0 || domainId == m_domainId)
        return;
    close();
    m_requests.reset();
    m_domainId = domainId;
    m_loading = true;
    Q_EMIT domainChanged();
    m_realtime.subscribe(channel());
    m_ticker.start();
    m_api.get(this, QStringLiteral("/api/domains/%1").arg(domainId),
              m_requests.guard([this](const ApiResult &result) {
                  m_loading = false;
                  if (!result.ok()) {
                      setError(result.errorString);
                      Q_EMIT domainChanged();
                      return;
                  }
                  applyDomain(result.json.value(QLatin1String("domain")).toObject());
              }));
    m_api.get(this, QStringLiteral("/api/domains/%1/bids?limit=50").arg(domainId),
              m_requests.guard([this](const ApiResult &result) {
                  if (!result.ok())
                      return;
                  const QJsonArray list = result.json.value(QLatin1String("data")).toArray();
                  for (const QJsonValue &bid : list) // newest first
                      addBid(bid.toObject(), false);
              }));
}

void AuctionController::close()
{
    if (m_domainId <= 0)
        return;
    m_realtime.unsubscribe(channel());
    m_requests.reset();
    m_ticker.stop();
    m_domainId = 0;
    m_domainName.clear();
    m_ownerId = 0;
    m_loading = false;
    m_currentBidCents = m_minimumNextBidCents = m_minIncrementCents = 0;
    m_bidCount = 0;
    m_highBidderId = m_endsAtMs = m_myBestCents = m_winnerUserId = 0;
    m_ended = false;
    m_clock.clear();
    m_watchers.clear();
    m_bids.clear();
    if (m_bidding) {
        m_bidding = false;
        Q_EMIT biddingChanged();
    }
    setError({});
    Q_EMIT domainChanged();
    Q_EMIT auctionChanged();
}

void AuctionController::applyDomain(const QJsonObject &domain)
{
    m_domainName = domain.value(QLatin1String("name")).toString();
    m_ownerId = domain.value(QLatin1String("owner_id")).toInteger();
    m_minIncrementCents = domain.value(QLatin1String("min_increment_cents")).toInteger();
    const bool active = domain.value(QLatin1String("status")).toString() == QLatin1String("active");
    Q_EMIT domainChanged();
    applyAuction(domain);
    if (!active || !domain.value(QLatin1String("enable_bidding")).toBool())
        setEnded(domain.value(QLatin1String("status")).toString() == QLatin1String("ended")
                     ? m_highBidderId
                     : 0);
}

void AuctionController::applyAuction(const QJsonObject &a)
{
    noteServerTime(a.value(QLatin1String("server_time")));
    // An answer can arrive after a newer event (our bid's 201 after someone's BidPlaced): a
    // state with fewer bids than we know of is older, so only its times are of use.
    if (a.contains(QLatin1String("bid_count")) &&
        a.value(QLatin1String("bid_count")).toInt() < m_bidCount) {
        Q_EMIT tick();
        return;
    }
    const qint64 before = m_highBidderId;
    if (a.contains(QLatin1String("current_bid_cents")))
        m_currentBidCents = a.value(QLatin1String("current_bid_cents")).toInteger();
    if (a.contains(QLatin1String("bid_count")))
        m_bidCount = a.value(QLatin1String("bid_count")).toInt();
    if (a.contains(QLatin1String("high_bidder_id")))
        m_highBidderId = a.value(QLatin1String("high_bidder_id")).toInteger(0);
    if (a.contains(QLatin1String("minimum_next_bid_cents")))
        m_minimumNextBidCents = a.value(QLatin1String("minimum_next_bid_cents")).toInteger();
    else if (m_bidCount > 0)
        m_minimumNextBidCents = m_currentBidCents + m_minIncrementCents;
    if (const auto ends = protocol::parseIsoUtc(a.value(QLatin1String("ends_at")).toString()))
        m_endsAtMs = *ends;
    Q_EMIT auctionChanged();
    Q_EMIT tick();
    if (before == m_me && m_me != 0 && m_highBidderId != m_me)
        Q_EMIT outbidNow(m_currentBidCents);
}

void AuctionController::addBid(const QJsonObject &bid, bool prepend)
{
    const qint64 userId = bid.value(QLatin1String("user_id")).toInteger();
    const qint64 amount = bid.value(QLatin1String("amount_cents")).toInteger();
    if (userId == m_me && amount > m_myBestCents) {
        m_myBestCents = amount;
        Q_EMIT auctionChanged();
    }
    const auto created = protocol::parseIsoUtc(bid.value(QLatin1String("created_at")).toString());
    m_bids.upsert({{QStringLiteral("bidId"), bid.value(QLatin1String("id")).toInteger()},
                   {QStringLiteral("userId"), userId},
                   {QStringLiteral("amountCents"), amount},
                   {QStringLiteral("createdAt"),
                    QDateTime::fromMSecsSinceEpoch(created.value_or(0), Qt::UTC)},
                   {QStringLiteral("mine"), userId == m_me}},
                  prepend ? 0 : -1);
}

void AuctionController::setEnded(qint64 winner)
{
    if (m_ended)
        return;
    m_ended = true;
    m_winnerUserId = winner;
    m_ticker.stop();
    Q_EMIT auctionChanged();
    Q_EMIT tick();
}

void AuctionController::onEvent(const QString &channel, const QString &event,
                                const QJsonObject &data)
{
    if (m_domainId <= 0 || channel != this->channel())
        return;
    namespace E = protocol::EventName;
    if (event == E::BidPlaced) {
        addBid(data.value(QLatin1String("bid")).toObject(), true);
        applyAuction(data.value(QLatin1String("auction")).toObject());
    } else if (event == E::AuctionCountdown) {
        applyAuction(data);
    } else if (event == E::AuctionExtended) {
        applyAuction(data);
        Q_EMIT extended(endsAt());
    } else if (event == E::AuctionEnded) {
        noteServerTime(data.value(QLatin1String("server_time")));
        const qint64 winner = data.value(QLatin1String("winner_user_id")).toInteger(0);
        if (winner > 0)
            m_currentBidCents = data.value(QLatin1String("final_bid_cents")).toInteger();
        setEnded(winner);
        Q_EMIT endedNow(winner, m_currentBidCents);
    }
}

bool AuctionController::placeBid(qint64 amountCents)
{
    if (m_bidding || m_domainId <= 0 || m_ended)
        return false;
    if (amountCents < m_minimumNextBidCents) {
        setError(tr("The bid must be at least %1.")
                     .arg(QLocale().toCurrencyString(double(m_minimumNextBidCents) / 100.0,
                                                     QStringLiteral("$"))));
        return false;
    }
    m_bidding = true;
    Q_EMIT biddingChanged();
    setError({});
    m_api.request(this, "POST", QStringLiteral("/api/domains/%1/bids").arg(m_domainId),
                  {{QLatin1String("amount_cents"), amountCents}},
                  m_requests.guard([this, amountCents](const ApiResult &result) {
                      m_bidding = false;
                      Q_EMIT biddingChanged();
                      if (!result.ok()) {
                          setError(result.reason());
                          return;
                      }
                      addBid(result.json.value(QLatin1String("bid")).toObject(), true);
                      applyAuction(result.json.value(QLatin1String("auction")).toObject());
                      Q_EMIT bidAccepted(amountCents);
                  }));
    return true;
}

} // namespace flippdeal::client
