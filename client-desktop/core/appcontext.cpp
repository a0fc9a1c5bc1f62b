// SPDX-License-Identifier: MIT
#include "appcontext.h"

#include "apiclient.h"
#include "auctioncontroller.h"
#include "conversationmodel.h"
#include "messagemodel.h"
#include "notificationmodel.h"
#include "outbox.h"
#include "realtimeclient.h"
#include "recordlistmodel.h"
#include "session.h"
#include "tokenstore.h"

#include "protocol/timeformat.h"
#include "protocol/types.h"

#include <QJsonArray>

#include <array>

namespace flippdeal::client {

AppContext::AppContext(QSettings &settings, const QString &appKey, const QString &keychainService,
                       QObject *parent)
    : QObject(parent)
    , m_settings(settings)
    , m_api(std::make_unique<ApiClient>())
    , m_tokens(std::make_unique<TokenStore>(keychainService))
    , m_realtime(std::make_unique<RealtimeClient>(*m_api, appKey))
    , m_session(std::make_unique<Session>(*m_api, *m_tokens, settings))
    , m_auctions(std::make_unique<RecordListModel>(
          QList<QByteArray>{"domainId", "name", "currentBidCents", "bidCount", "endsAt"},
          "domainId"))
{
    connect(m_session.get(), &Session::signedIn, this, &AppContext::onSignedIn);
    // Signing out (or a revoked token) forgets the user's unsent messages; quitting keeps them.
    connect(m_session.get(), &Session::signedOut, this, [this] {
        if (m_outbox)
            m_outbox->clearStore();
        onSignedOut();
    });
    // After a reconnect the lists may be stale: the notifications and messages recover by seq,
    // the inbox and the auction list are simply reloaded.
    connect(m_realtime.get(), &RealtimeClient::stateChanged, this, [this] {
        if (m_realtime->state() == RealtimeClient::State::Connected && m_conversations) {
            m_conversations->reload();
            refreshAuctions();
        }
    });
}

AppContext::~AppContext()
{
    onSignedOut();
}

void AppContext::onSignedIn()
{
    onSignedOut(); // in case of a second sign-in without sign-out
    const qint64 me = m_session->userId();
    m_outbox = std::make_unique<Outbox>(*m_api, *m_realtime);
    m_notifications = std::make_unique<NotificationModel>(*m_api, *m_realtime, me);
    m_conversations = std::make_unique<ConversationModel>(*m_api, *m_realtime, me);
    m_messages = std::make_unique<MessageModel>(*m_api, *m_realtime, *m_outbox, me);
    m_auction = std::make_unique<AuctionController>(*m_api, *m_realtime, me);
    connect(m_messages.get(), &MessageModel::markedRead, m_conversations.get(),
            &ConversationModel::noteRead);
    // Messages typed offline before the app was last quit go out once connected.
    m_outbox->setStore(&m_settings, QStringLiteral("outbox/%1").arg(me));
    Q_EMIT userChanged();
    m_notifications->reload();
    m_conversations->reload();
    refreshAuctions();
    m_realtime->connectToServer();
}

void AppContext::onSignedOut()
{
    if (!m_outbox)
        return;
    m_realtime->disconnectFromServer();
    if (m_messages)
        m_messages->close();
    if (m_auction)
        m_auction->close();
    m_auction.reset();
    m_messages.reset();
    m_conversations.reset();
    m_notifications.reset();
    m_outbox.reset();
    m_auctions->clear();
    Q_EMIT userChanged();
}

bool AppContext::isMuted() const
{
    return m_settings.value(QStringLiteral("notifications/muted"), false).toBool();
}

void AppContext::setMuted(bool muted)
{
    if (muted == isMuted())
        return;
    m_settings.setValue(QStringLiteral("notifications/muted"), muted);
    Q_EMIT mutedChanged();
}

namespace {
constexpr std::array colorSchemeNames{std::pair{AppContext::ColorScheme::System, "system"},
                                      std::pair{AppContext::ColorScheme::Light, "light"},
                                      std::pair{AppContext::ColorScheme::Dark, "dark"}};
} // namespace

std::optional<AppContext::ColorScheme> AppContext::colorSchemeFromName(QStringView name)
{
    for (const auto &[scheme, schemeName] : colorSchemeNames)
        if (name == QLatin1String(schemeName))
            return scheme;
    return std::nullopt;
}

AppContext::ColorScheme AppContext::colorScheme() const
{
    const QString name = m_settings.value(QStringLiteral("appearance/scheme")).toString();
    return colorSchemeFromName(name).value_or(ColorScheme::System);
}

void AppContext::setColorScheme(ColorScheme scheme)
{
    if (scheme == colorScheme())
        return;
    for (const auto &[value, name] : colorSchemeNames)
        if (value == scheme)
            m_settings.setValue(QStringLiteral("appearance/scheme"), QLatin1String(name));
    Q_EMIT colorSchemeChanged();
}

void AppContext::refreshAuctions()
{
    if (!m_session->isSignedIn())
        return;
    m_api->get(QStringLiteral("/api/auctions?limit=100"), [this](const ApiResult &result) {
        if (!result.ok() || !m_session->isSignedIn())
            return;
        QList<QVariantMap> rows;
        for (const QJsonValue &value : result.json.value(QLatin1String("data")).toArray()) {
            const QJsonObject d = value.toObject();
            rows.append({{QStringLiteral("domainId"), d.value(QLatin1String("id")).toInteger()},
                         {QStringLiteral("name"), d.value(QLatin1String("name")).toString()},
                         {QStringLiteral("currentBidCents"),
                          d.value(QLatin1String("current_bid_cents")).toInteger()},
                         {QStringLiteral("bidCount"), d.value(QLatin1String("bid_count")).toInt()},
                         {QStringLiteral("endsAt"),
                          QDateTime::fromMSecsSinceEpoch(
                              protocol::parseIsoUtc(d.value(QLatin1String("ends_at")).toString())
                                  .value_or(0),
                              Qt::UTC)}});
        }
        m_auctions->reset(rows);
    });
}

void AppContext::loadEscrow(qint64 escrowId)
{
    m_escrow.clear();
    m_escrowError.clear();
    Q_EMIT escrowChanged();
    if (!m_session->isSignedIn() || escrowId <= 0)
        return;
    m_api->get(QStringLiteral("/api/escrows/%1").arg(escrowId), [this](const ApiResult &result) {
        if (result.ok())
            m_escrow = result.json.value(QLatin1String("escrow")).toObject().toVariantMap();
        else
            m_escrowError = result.errorString;
        Q_EMIT escrowChanged();
    });
}

} // namespace flippdeal::client
