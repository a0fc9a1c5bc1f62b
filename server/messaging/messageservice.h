// SPDX-License-Identifier: MIT
#pragma once

#include <functional>

#include "core/fairqueue.h"
#include "core/ratelimiter.h"
#include "core/result.h"
#include "messaging/messagetable.h"

#include "protocol/types.h"

#include <QFuture>
#include <QList>

#include <optional>

namespace flippdeal::server {

class Database;
class EventBatch;
class EventStore;
class NotificationService;

//! \brief A page of a conversation, newest first.
struct MessagePage
{
    QList<protocol::Message> messages;
    int page = 1;
    int perPage = 20;
    qint64 total = 0;
};

//! \brief One conversation in the inbox: the other user, the domain, the latest message and
//! how many of the other user's messages are unread.
struct ConversationSummary
{
    protocol::User otherUser; //!< id and name only: an inbox shows nothing more of others

    std::optional<qint64> domainId;
    protocol::Message lastMessage;
    qint64 unreadCount = 0;
};

//! \brief A message as send() recorded it: new, or the one the sender already sent under the
//! same client id (`replayed`).
struct SentMessage
{
    protocol::Message message;
    bool replayed = false;
};

//! \brief Buyer–seller messaging: send (sanitized, rate limited, stored with its broadcasts in
//! one transaction), conversation pages, read receipts and unread counts.
class MessageService
{
public:
    MessageService(Database &db, EventStore &events, NotificationService &notifications,
                   double messagesPerSecond);

    //! Longest body, in characters, after HTML stripping.
    static constexpr qsizetype MaxBodyLength = 5000;
    //! Bodies up to this many characters are sanitized on the event loop (a few microseconds);
    //! longer ones on the sanitizing pool, so that no body holds up the other clients.
    static constexpr qsizetype InlineSanitizeLength = 4096;
    //! The sanitizing pool's threads, and the bodies that may wait beyond them before a send
    //! is answered 503 at once.
    static constexpr int SanitizeWorkers = 2;
    static constexpr int SanitizeWaiting = 32;

    //! Stores and announces a message. With a `clientId` (the sender's own id for it), a
    //! message the sender already sent under that id is returned as it is, with `*replayed`
    //! set, and nothing is stored or announced again: a retry after a lost answer is harmless.
    Expected<protocol::Message> send(const protocol::User &sender, qint64 toUserId,
                                     std::optional<qint64> domainId, const QString &body,
                                     qint64 nowMs, const QString &clientId = {},
                                     bool *replayed = nullptr);
    //! send() with its SQL on the writer thread (EventStore::transactionLater()). The rate
    //! limit is charged here first; a body longer than InlineSanitizeLength is then sanitized on
    //! the sanitizing pool (503 when it is full), a shorter one here. The future finishes on
    //! this thread once the message is committed and announced.
    QFuture<Expected<SentMessage>> sendLater(const protocol::User &sender, qint64 toUserId,
                                             std::optional<qint64> domainId, const QString &body,
                                             qint64 nowMs, const QString &clientId = {});
    //! A limit shared with other nodes (a cluster's, in Redis), asked after this node's own
    //! for sendLater(): milliseconds until the user may send again (0: now), or nullopt when
    //! it cannot tell (this node's limit alone then holds).
    using SharedLimit = std::function<QFuture<std::optional<int>>(qint64 userId)>;
    void setSharedLimit(SharedLimit limit) { m_sharedLimit = std::move(limit); }
    //! \name Reads that keep no state: they run on any connection (a ReadPool's).
    //! @{
    static Expected<MessagePage> conversation(Database &db, qint64 userId, qint64 otherUserId,
                                              std::optional<qint64> domainId, int page,
                                              int perPage);
    static Expected<QList<ConversationSummary>> conversations(Database &db, qint64 userId);
    //! @}
    //! Only the recipient may mark a message read (403 otherwise). Idempotent.
    QFuture<Expected<protocol::Message>> markRead(qint64 userId, qint64 messageId);
    Expected<qint64> unreadCount(qint64 userId);

private:
    //! sendLater() once the rate limits have let the message through.
    QFuture<Expected<SentMessage>> sendAllowed(const protocol::User &sender, qint64 toUserId,
                                               std::optional<qint64> domainId, const QString &body,
                                               qint64 nowMs, const QString &clientId);
    //! The rate limit, charged before any work: the 429, or nothing.
    std::optional<ApiError> rateRefusal(const protocol::User &sender, qint64 nowMs);
    //! The checks that need no database, after the rate limit: the text (sanitized and
    //! measured), not to oneself. The message to record.
    static Expected<protocol::Message> draft(const protocol::User &sender, qint64 toUserId,
                                             std::optional<qint64> domainId,
                                             const Expected<QString> &text, qint64 nowMs);
    //! draft(), then record() on the writer thread.
    QFuture<Expected<SentMessage>> recordLater(const protocol::User &sender, qint64 toUserId,
                                               std::optional<qint64> domainId,
                                               const Expected<QString> &text, qint64 nowMs,
                                               const QString &clientId);
    //! Within `batch`'s transaction, on its connection (any thread): the replay, the recipient
    //! and the domain, then store().
    Expected<SentMessage> record(EventBatch &batch, const protocol::Message &message,
                                 const protocol::User &sender, const QString &clientId) const;
    //! What the sender already sent under `clientId`, when `message` repeats it; a 409 when
    //! the id was used for another message; nothing when the id is new (or empty).
    static Expected<std::optional<protocol::Message>>
    replay(MessageTable &messages, const protocol::Message &message, const QString &clientId);
    //! Stores `message` with its two MessageSent broadcasts and the recipient's notification
    //! (throws DbError on failure).
    protocol::Message store(EventBatch &batch, protocol::Message message,
                            const protocol::User &sender, const QString &clientId) const;

    Database &m_db;
    MessageTable m_messages;
    EventStore &m_events;
    NotificationService &m_notifications;
    RateLimiter m_limiter;
    SharedLimit m_sharedLimit;
    FairQueue m_sanitizer; // bodies longer than InlineSanitizeLength, in turns by sender
};

} // namespace flippdeal::server
