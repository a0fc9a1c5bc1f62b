// SPDX-License-Identifier: MIT
#pragma once

#include "recordlistmodel.h"

#include "requestgeneration.h"

#include <QDateTime>
#include <QObject>
#include <QTimer>
#include <QtQmlIntegration/qqmlintegration.h>

#include <functional>

namespace flippdeal::client {

class ApiClient;
class RealtimeClient;

//! \brief Estimates the server's clock from the `server_time` that auction events carry, so
//! that countdowns do not depend on the local clock. A sample (server time − local time at
//! arrival) is late by the one-way delay, never early, so the largest of the recent samples is
//! the best estimate.
class ServerClock
{
public:
    void addSample(qint64 serverMs, qint64 localMs);
    //! server − local, in ms (0 before the first sample).
    qint64 offsetMs() const;
    void clear() { m_samples.clear(); }

private:
    QList<qint64> m_samples; // the last few, oldest first
};

//! \brief The live auction view's state for one domain: the auction as the server last reported
//! it, a countdown on the server's clock, the watchers on its presence channel, the recent
//! bids, and bidding that cannot be sent twice.
class AuctionController : public QObject
{
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("AppContext creates it at sign-in")
    Q_PROPERTY(qint64 domainId READ domainId NOTIFY domainChanged)
    Q_PROPERTY(QString domainName READ domainName NOTIFY domainChanged)
    Q_PROPERTY(qint64 ownerId READ ownerId NOTIFY domainChanged)
    Q_PROPERTY(bool loading READ isLoading NOTIFY domainChanged)
    Q_PROPERTY(qint64 currentBidCents READ currentBidCents NOTIFY auctionChanged)
    Q_PROPERTY(int bidCount READ bidCount NOTIFY auctionChanged)
    Q_PROPERTY(qint64 minimumNextBidCents READ minimumNextBidCents NOTIFY auctionChanged)
    Q_PROPERTY(qint64 highBidderId READ highBidderId NOTIFY auctionChanged)
    Q_PROPERTY(QDateTime endsAt READ endsAt NOTIFY auctionChanged)
    Q_PROPERTY(bool leading READ isLeading NOTIFY auctionChanged)
    Q_PROPERTY(bool outbid READ isOutbid NOTIFY auctionChanged)
    Q_PROPERTY(bool isOwner READ isOwner NOTIFY domainChanged)
    Q_PROPERTY(bool ended READ hasEnded NOTIFY auctionChanged)
    Q_PROPERTY(bool won READ hasWon NOTIFY auctionChanged)
    Q_PROPERTY(qint64 winnerUserId READ winnerUserId NOTIFY auctionChanged)
    Q_PROPERTY(qint64 remainingMs READ remainingMs NOTIFY tick)
    Q_PROPERTY(QString countdownText READ countdownText NOTIFY tick)
    Q_PROPERTY(qint64 serverOffsetMs READ serverOffsetMs NOTIFY tick)
    Q_PROPERTY(bool bidding READ isBidding NOTIFY biddingChanged)
    Q_PROPERTY(QString errorString READ errorString NOTIFY errorStringChanged)
    Q_PROPERTY(flippdeal::client::RecordListModel *watchers READ watchers CONSTANT)
    Q_PROPERTY(flippdeal::client::RecordListModel *bids READ bids CONSTANT)

public:
    using Clock = std::function<qint64()>;

    AuctionController(ApiClient &api, RealtimeClient &realtime, qint64 myUserId,
                      QObject *parent = nullptr);

    qint64 domainId() const { return m_domainId; }
    QString domainName() const { return m_domainName; }
    qint64 ownerId() const { return m_ownerId; }
    bool isLoading() const { return m_loading; }
    qint64 currentBidCents() const { return m_currentBidCents; }
    int bidCount() const { return m_bidCount; }
    qint64 minimumNextBidCents() const { return m_minimumNextBidCents; }
    qint64 highBidderId() const { return m_highBidderId; }
    QDateTime endsAt() const;
    bool isLeading() const { return m_highBidderId != 0 && m_highBidderId == m_me; }
    bool isOutbid() const { return m_myBestCents > 0 && !isLeading(); }
    bool isOwner() const { return m_ownerId == m_me && m_me != 0; }
    bool hasEnded() const { return m_ended; }
    bool hasWon() const { return m_ended && m_winnerUserId == m_me && m_me != 0; }
    qint64 winnerUserId() const { return m_winnerUserId; }
    qint64 remainingMs() const;
    QString countdownText() const;
    qint64 serverOffsetMs() const { return m_clock.offsetMs(); }
    bool isBidding() const { return m_bidding; }
    QString errorString() const { return m_errorString; }
    RecordListModel *watchers() { return &m_watchers; }
    RecordListModel *bids() { return &m_bids; }

    //! Shows the auction of `domainId`: loads it and its bids, joins its presence channel.
    Q_INVOKABLE void open(qint64 domainId);
    Q_INVOKABLE void close();
    //! Places a bid; ignored while one is on its way, so a double click bids once.
    Q_INVOKABLE bool placeBid(qint64 amountCents);

    //! The local clock, replaceable in tests to simulate a machine whose clock is wrong.
    void setClock(Clock clock) { m_now = std::move(clock); }

Q_SIGNALS:
    void domainChanged();
    void auctionChanged();
    void tick();
    void biddingChanged();
    void errorStringChanged();
    //! Someone else bid over us (live).
    void outbidNow(qint64 currentBidCents);
    void extended(const QDateTime &endsAt);
    void endedNow(qint64 winnerUserId, qint64 finalBidCents);
    void bidAccepted(qint64 amountCents);

private:
    void applyDomain(const QJsonObject &domain);
    void applyAuction(const QJsonObject &auction);
    void addBid(const QJsonObject &bid, bool prepend);
    void noteServerTime(const QJsonValue &serverTime);
    void onEvent(const QString &channel, const QString &event, const QJsonObject &data);
    void setError(const QString &error);
    void setEnded(qint64 winner);
    QString channel() const;

    ApiClient &m_api;
    RealtimeClient &m_realtime;
    qint64 m_me;
    Clock m_now;
    ServerClock m_clock;
    QTimer m_ticker;
    RecordListModel m_watchers;
    RecordListModel m_bids;
    RequestGeneration m_requests; // answers to requests of an earlier open() or attempt are dropped
    qint64 m_domainId = 0;
    QString m_domainName;
    qint64 m_ownerId = 0;
    bool m_loading = false;
    qint64 m_currentBidCents = 0;
    int m_bidCount = 0;
    qint64 m_minimumNextBidCents = 0;
    qint64 m_minIncrementCents = 0;
    qint64 m_highBidderId = 0;
    qint64 m_endsAtMs = 0;
    qint64 m_myBestCents = 0;
    bool m_ended = false;
    qint64 m_winnerUserId = 0;
    bool m_bidding = false;
    QString m_errorString;
};

} // namespace flippdeal::client
