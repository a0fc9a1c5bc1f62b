// SPDX-License-Identifier: MIT
#include "cluster/clusterpresence.h"

#include "cluster/clusterbus.h"
#include "core/logging.h"
#include "gateway/gateway.h"
#include "protocol/frame.h"
#include "protocol/timeformat.h"

#include <QJsonDocument>
#include <QPromise>
#include <QSet>
#include <QTimer>

namespace flippdeal::server {

// ---- the mirror ---------------------------------------------------------------------------

bool ClusterPresenceStore::join(const QString &channel, const protocol::PresenceMember &member,
                                const QString &socketId)
{
    return m_local.join(channel, member, socketId);
}

bool ClusterPresenceStore::leave(const QString &channel, const QString &userId,
                                 const QString &socketId)
{
    return m_local.leave(channel, userId, socketId);
}

QList<protocol::PresenceMember> ClusterPresenceStore::members(const QString &channel) const
{
    QList<protocol::PresenceMember> out = m_local.members(channel);
    const auto it = m_remote.constFind(channel);
    if (it == m_remote.cend())
        return out;
    for (const Remote &remote : *it) {
        if (!m_local.isMember(channel, remote.member.userId))
            out.append(remote.member);
    }
    return out;
}

int ClusterPresenceStore::memberCount(const QString &channel) const
{
    int count = m_local.memberCount(channel);
    const auto it = m_remote.constFind(channel);
    if (it == m_remote.cend())
        return count;
    for (const Remote &remote : *it)
        count += m_local.isMember(channel, remote.member.userId) ? 0 : 1;
    return count;
}

bool ClusterPresenceStore::isMember(const QString &channel, const QString &userId) const
{
    if (m_local.isMember(channel, userId))
        return true;
    const auto it = m_remote.constFind(channel);
    return it != m_remote.cend() && it->contains(userId);
}

void ClusterPresenceStore::addRemote(const QByteArray &instance, const QString &channel,
                                     const protocol::PresenceMember &member)
{
    Remote &remote = m_remote[channel][member.userId];
    remote.member = member;
    remote.instances.insert(instance);
}

void ClusterPresenceStore::removeRemote(const QByteArray &instance, const QString &channel,
                                        const QString &userId)
{
    auto channelIt = m_remote.find(channel);
    if (channelIt == m_remote.end())
        return;
    auto userIt = channelIt->find(userId);
    if (userIt == channelIt->end())
        return;
    userIt->instances.remove(instance);
    if (userIt->instances.isEmpty())
        channelIt->erase(userIt);
    if (channelIt->isEmpty())
        m_remote.erase(channelIt);
}

bool ClusterPresenceStore::elsewhere(const QString &channel, const QString &userId) const
{
    const auto it = m_remote.constFind(channel);
    return it != m_remote.cend() && it->contains(userId);
}

QList<std::pair<QString, QString>> ClusterPresenceStore::remoteKeys() const
{
    QList<std::pair<QString, QString>> keys;
    for (auto channel = m_remote.cbegin(); channel != m_remote.cend(); ++channel) {
        for (auto user = channel->cbegin(); user != channel->cend(); ++user)
            keys.append({channel.key(), user.key()});
    }
    return keys;
}

// ---- Redis --------------------------------------------------------------------------------

namespace {

// Every script gets ARGV[1] = the key prefix, ARGV[2] = the bus channel, ARGV[3] = the process
// running it; its own arguments follow. Keys: pn:{channel}\n{user} (processes), pi:{channel}
// (user → info), nm:{process} (channel\nuser), cc:{channel} (process → subscribers),
// nc:{process} (its channels), channels (occupied anywhere), inst:{process}, instances,
// suspect:{process}. What changes is published in the same script, so every process reads the
// changes in the order they were made.
const QByteArray Prelude = QByteArrayLiteral(R"(
local p, bus, me = ARGV[1], ARGV[2], ARGV[3]
-- A sync after a lost link marks its changes '~': their webhooks went out while it was down.
local quiet = ''
local function hex(s)
  return (string.gsub(s, '.', function(ch) return string.format('%02x', string.byte(ch)) end))
end
local function split(cu)
  local nl = string.find(cu, '\n', 1, true)
  return string.sub(cu, 1, nl - 1), string.sub(cu, nl + 1)
end
local function changed(sign, id, n, c, u, info)
  redis.call('PUBLISH', bus, 'M\n' .. me .. '\n' .. sign .. quiet .. '\n' .. id .. '\n' .. n .. '\n' ..
             c .. '\n' .. hex(u) .. '\n' .. (info or ''))
end
local function add(id, c, u, info)
  local k = p .. 'pn:' .. c .. '\n' .. u
  redis.call('HSET', p .. 'pi:' .. c, u, info)
  redis.call('SADD', p .. 'nm:' .. id, c .. '\n' .. u)
  if redis.call('SADD', k, id) == 1 then changed('+', id, redis.call('SCARD', k), c, u, info) end
end
local function remove(id, c, u)
  local k = p .. 'pn:' .. c .. '\n' .. u
  redis.call('SREM', p .. 'nm:' .. id, c .. '\n' .. u)
  if redis.call('SREM', k, id) == 0 then return end
  local n = redis.call('SCARD', k)
  if n == 0 then redis.call('HDEL', p .. 'pi:' .. c, u) end
  changed('-', id, n, c, u, '')
end
local function count(id, c, n)
  local k = p .. 'cc:' .. c
  local before = redis.call('HLEN', k)
  if n > 0 then
    redis.call('HSET', k, id, n) redis.call('SADD', p .. 'nc:' .. id, c)
  else
    redis.call('HDEL', k, id) redis.call('SREM', p .. 'nc:' .. id, c)
  end
  local after = redis.call('HLEN', k)
  if before == 0 and after > 0 then
    redis.call('SADD', p .. 'channels', c)
    redis.call('PUBLISH', bus, 'O\n' .. me .. '\n+' .. quiet .. '\n' .. c)
  elseif before > 0 and after == 0 then
    redis.call('SREM', p .. 'channels', c)
    redis.call('PUBLISH', bus, 'O\n' .. me .. '\n-' .. quiet .. '\n' .. c)
  end
end
)");

const QByteArray JoinScript = Prelude + QByteArrayLiteral(R"(
add(me, ARGV[4], ARGV[5], ARGV[6]) return 0
)");

const QByteArray LeaveScript = Prelude + QByteArrayLiteral(R"(
remove(me, ARGV[4], ARGV[5]) return 0
)");

const QByteArray CountScript = Prelude + QByteArrayLiteral(R"(
count(me, ARGV[4], tonumber(ARGV[5])) return 0
)");

// This process is alive (ARGV[4]: its description, ARGV[5]: the key's life). 1 when it was
// not among the instances: new, or reaped while it was away.
const QByteArray RegisterScript = Prelude + QByteArrayLiteral(R"(
redis.call('SET', p .. 'inst:' .. me, ARGV[4], 'PX', ARGV[5])
redis.call('DEL', p .. 'suspect:' .. me)
return redis.call('SADD', p .. 'instances', me)
)");

// Processes whose key has expired are suspects; one still gone ARGV[4] ms later loses its
// members and counts. Returns the processes reaped.
const QByteArray ReapScript = Prelude + QByteArrayLiteral(R"(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local reaped = {}
for _, id in ipairs(redis.call('SMEMBERS', p .. 'instances')) do
  if id ~= me and redis.call('EXISTS', p .. 'inst:' .. id) == 0 then
    local since = redis.call('GET', p .. 'suspect:' .. id)
    if not since then
      redis.call('SET', p .. 'suspect:' .. id, now, 'PX', 600000)
    elseif now - tonumber(since) >= tonumber(ARGV[4]) then
      for _, cu in ipairs(redis.call('SMEMBERS', p .. 'nm:' .. id)) do
        local c, u = split(cu)
        remove(id, c, u)
      end
      for _, c in ipairs(redis.call('SMEMBERS', p .. 'nc:' .. id)) do count(id, c, 0) end
      redis.call('DEL', p .. 'nm:' .. id, p .. 'nc:' .. id, p .. 'suspect:' .. id)
      redis.call('SREM', p .. 'instances', id)
      table.insert(reaped, id)
    end
  end
end
return reaped
)");

// This process's members and counts made what it says (ARGV[4]: '~' for a quiet sync, else
// empty; ARGV[5]: the number of members, then channel, user, info for each, then channel,
// subscribers for each channel).
const QByteArray SyncScript = Prelude + QByteArrayLiteral(R"(
quiet = ARGV[4]
local members, channels = {}, {}
local last = 5 + 3 * tonumber(ARGV[5])
for i = 6, last, 3 do members[ARGV[i] .. '\n' .. ARGV[i + 1]] = ARGV[i + 2] end
for i = last + 1, #ARGV, 2 do channels[ARGV[i]] = tonumber(ARGV[i + 1]) end
for _, cu in ipairs(redis.call('SMEMBERS', p .. 'nm:' .. me)) do
  if members[cu] == nil then local c, u = split(cu) remove(me, c, u) end
end
for cu, info in pairs(members) do local c, u = split(cu) add(me, c, u, info) end
for _, c in ipairs(redis.call('SMEMBERS', p .. 'nc:' .. me)) do
  if channels[c] == nil then count(me, c, 0) end
end
for c, n in pairs(channels) do count(me, c, n) end
return 0
)");

// The members of every other live process: {process, channel, user, info}.
const QByteArray LoadScript = Prelude + QByteArrayLiteral(R"(
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', p .. 'instances')) do
  -- Every process not reaped, live key or not: one that has not registered again after an
  -- outage keeps its members, and a dead one's leave is published when it is reaped.
  if id ~= me then
    for _, cu in ipairs(redis.call('SMEMBERS', p .. 'nm:' .. id)) do
      local c, u = split(cu)
      table.insert(out, id) table.insert(out, c) table.insert(out, u)
      table.insert(out, redis.call('HGET', p .. 'pi:' .. c, u) or '{}')
    end
  end
end
return out
)");

// Every node's subscribers of the occupied channels starting with ARGV[4] (only the channel
// ARGV[4] with ARGV[5] = '1'): {channel, subscribers, …}.
const QByteArray CountsScript = Prelude + QByteArrayLiteral(R"(
local prefix, names = ARGV[4], nil
if ARGV[5] == '1' then names = {prefix} else names = redis.call('SMEMBERS', p .. 'channels') end
local out = {}
for _, c in ipairs(names) do
  if string.sub(c, 1, #prefix) == prefix then
    local n = 0
    for _, v in ipairs(redis.call('HVALS', p .. 'cc:' .. c)) do n = n + tonumber(v) end
    if n > 0 then table.insert(out, c) table.insert(out, n) end
  end
end
return out
)");

// Where a member the last snapshot no longer had is kept in the mirror for a while.
const QByteArray StaleInstance = QByteArrayLiteral("(stale)");

QByteArray infoJson(const protocol::PresenceMember &member)
{
    return QJsonDocument(member.userInfo).toJson(QJsonDocument::Compact);
}

protocol::PresenceMember memberOf(const QByteArray &userId, const QByteArray &info)
{
    return {QString::fromUtf8(userId), QJsonDocument::fromJson(info).object()};
}

} // namespace

ClusterPresence::ClusterPresence(ClusterBus &bus, Gateway &gateway, ClusterPresenceStore &store,
                                 QObject *parent)
    : QObject(parent)
    , m_bus(bus)
    , m_gateway(gateway)
    , m_store(store)
{}

bool ClusterPresence::eval(const QByteArray &script, const QList<QByteArray> &args,
                           std::function<void(const RedisReply &)> done)
{
    return m_bus.commands().command(
        QList<QByteArray>{"EVAL", script, "0", m_bus.prefix(), m_bus.channel(), m_bus.instance()} +
            args,
        [done = std::move(done)](const RedisReply &reply) {
            if (reply.type == RedisReply::Type::Error)
                qCWarning(lcApp).noquote()
                    << "cluster: a Redis script failed:" << QString::fromUtf8(reply.text.left(200));
            if (done)
                done(reply);
        });
}

bool ClusterPresence::joined(const QString &channel, const protocol::PresenceMember &member)
{
    return eval(JoinScript, {channel.toUtf8(), member.userId.toUtf8(), infoJson(member)});
}

bool ClusterPresence::left(const QString &channel, const QString &userId)
{
    return eval(LeaveScript, {channel.toUtf8(), userId.toUtf8()});
}

bool ClusterPresence::subscribersChanged(const QString &channel, int here)
{
    return eval(CountScript, {channel.toUtf8(), QByteArray::number(here)});
}

QFuture<ClusterLink::Counts> ClusterPresence::subscriberCounts(const QString &prefix, bool exact)
{
    auto promise = std::make_shared<QPromise<ClusterLink::Counts>>();
    promise->start();
    QFuture<ClusterLink::Counts> future = promise->future();
    // Fulfilled on a later pass: what waits on it must not run inside hiredis's callback.
    const auto finish = [this, promise](ClusterLink::Counts counts) {
        QTimer::singleShot(0, this, [promise, counts] {
            promise->addResult(counts);
            promise->finish();
        });
    };
    const bool sent =
        eval(CountsScript, {prefix.toUtf8(), exact ? "1" : "0"}, [finish](const RedisReply &reply) {
            ClusterLink::Counts counts;
            if (reply.type == RedisReply::Type::Array) {
                counts.emplace();
                for (qsizetype i = 0; i + 1 < reply.elements.size(); i += 2)
                    counts->insert(QString::fromUtf8(reply.elements[i].text),
                                   int(reply.elements[i + 1].integer));
            }
            finish(counts);
        });
    if (!sent)
        finish(std::nullopt);
    return future;
}

std::optional<ClusterPresence::Change> ClusterPresence::parseChange(const QByteArray &rest)
{
    const auto f = ClusterBus::split(rest, 5);
    if (!f || (*f)[0].isEmpty() || ((*f)[0][0] != '+' && (*f)[0][0] != '-'))
        return std::nullopt;
    return Change{(*f)[0][0] == '+',
                  (*f)[0].endsWith('~'),
                  (*f)[1],
                  (*f)[2].toLongLong(),
                  QString::fromUtf8((*f)[3]),
                  memberOf(QByteArray::fromHex((*f)[4]), (*f)[5])};
}

void ClusterPresence::received(const QByteArray &kind, const QByteArray &sender,
                               const QByteArray &rest)
{
    const bool mine = sender == m_bus.instance();
    if (kind == "O") {
        const auto f = ClusterBus::split(rest, 1);
        if (mine && f && !(*f)[0].endsWith('~'))
            m_gateway.announceOccupancy(QString::fromUtf8((*f)[1]), (*f)[0].startsWith('+'));
        return;
    }
    const auto change = parseChange(rest);
    if (!change)
        return;
    // The webhooks: once, by the process whose script made the change.
    if (mine && change->quiet) {
        // A sync's: told while the link was down.
    } else if (mine && change->added && change->processes == 1)
        m_gateway.notifyMember(change->channel, change->member.userId, true);
    else if (mine && !change->added && change->processes == 0)
        m_gateway.notifyMember(change->channel, change->member.userId, false);
    if (change->subject == m_bus.instance()) {
        // This process's own entries, which its store has; another process removing them has
        // reaped this one while it was alive: put them back.
        if (!mine)
            scheduleResync();
        return;
    }
    if (m_loading) {
        m_held.append({sender, rest});
        return;
    }
    applyRemote(*change, true);
}

void ClusterPresence::applyRemote(const Change &change, bool announce)
{
    const QString &userId = change.member.userId;
    const bool before = m_store.isMember(change.channel, userId);
    if (change.added)
        m_store.addRemote(change.subject, change.channel, change.member);
    else
        m_store.removeRemote(change.subject, change.channel, userId);
    const bool after = m_store.isMember(change.channel, userId);
    if (!announce || before == after)
        return;
    if (after)
        m_gateway.announceJoin(change.channel, change.member, false);
    else
        m_gateway.announceLeave(change.channel, userId, false);
}

void ClusterPresence::scheduleResync()
{
    if (std::exchange(m_resyncPending, true))
        return;
    QTimer::singleShot(0, this, [this] {
        m_resyncPending = false;
        qCWarning(lcApp) << "cluster: this process was taken for dead; its members again";
        linked(false);
    });
}

void ClusterPresence::linked(bool quiet)
{
    m_registered = false; // the registration below is expected to be new
    tick();               // registers this process before the mirror is loaded
    // After a lost link, what changed meanwhile had its webhooks from this node alone; after
    // being reaped, the reaper sent the leaves, and the sync's joins are news.
    QList<QByteArray> sync{quiet ? "~" : ""};
    const auto members = m_store.local().all();
    sync << QByteArray::number(members.size());
    for (const auto &[channel, member] : members)
        sync << channel.toUtf8() << member.userId.toUtf8() << infoJson(member);
    for (const QString &channel : m_gateway.channelNames()) {
        if (!channel.startsWith(QLatin1Char('#')))
            sync << channel.toUtf8() << QByteArray::number(m_gateway.subscriberCount(channel));
    }
    eval(SyncScript, sync);
    // Changes published from now on wait for the snapshot, and apply on top of it.
    m_loading = eval(LoadScript, {}, [this](const RedisReply &reply) { loaded(reply); });
}

void ClusterPresence::loaded(const RedisReply &reply)
{
    m_loading = false;
    const QList<std::pair<QByteArray, QByteArray>> held = std::exchange(m_held, {});
    if (reply.type != RedisReply::Type::Array)
        return;
    // Who each node's subscribers saw, before and after: the difference is announced.
    QSet<std::pair<QString, QString>> keys;
    for (const auto &key : m_store.remoteKeys())
        keys.insert(key);
    QHash<std::pair<QString, QString>, protocol::PresenceMember> before;
    for (const auto &key : std::as_const(keys)) {
        for (const protocol::PresenceMember &m : m_store.members(key.first)) {
            if (m.userId == key.second)
                before.insert(key, m);
        }
    }
    m_store.clearRemote();
    const auto &e = reply.elements;
    for (qsizetype i = 0; i + 3 < e.size(); i += 4)
        m_store.addRemote(e[i].text, QString::fromUtf8(e[i + 1].text),
                          memberOf(e[i + 2].text, e[i + 3].text));
    for (const auto &[sender, rest] : held) {
        if (const auto change = parseChange(rest))
            applyRemote(*change, false);
    }
    QHash<std::pair<QString, QString>, protocol::PresenceMember> now;
    for (const auto &[channel, userId] : m_store.remoteKeys()) {
        keys.insert({channel, userId});
        for (const protocol::PresenceMember &m : m_store.members(channel)) {
            if (m.userId == userId)
                now.insert({channel, userId}, m);
        }
    }
    QList<std::pair<QString, QString>> vanished;
    for (const auto &key : std::as_const(keys)) {
        if (m_store.local().isMember(key.first, key.second))
            continue; // this node's own subscribers were told of its own members
        const bool was = before.contains(key);
        const bool is = now.contains(key);
        if (!was && is)
            m_gateway.announceJoin(key.first, now.value(key), false);
        else if (was && !is)
            vanished.append(key);
    }
    // Gone from the snapshot may mean gone, or a node that has not put its members back yet
    // (Redis restarted empty): they stay listed a while, and leave unless they come back.
    for (const auto &key : std::as_const(vanished))
        m_store.addRemote(StaleInstance, key.first, before.value(key));
    if (!vanished.isEmpty())
        QTimer::singleShot(ReapAfterMs, this, [this, vanished] {
            for (const auto &[channel, userId] : vanished)
                applyRemote(Change{false, false, StaleInstance, 0, channel, {userId, {}}}, true);
        });
}

void ClusterPresence::tick()
{
    if (!m_bus.isUp())
        return;
    eval(RegisterScript,
         {m_describe ? m_describe() : QByteArray("{}"), QByteArray::number(InstanceTtlMs)},
         [this](const RedisReply &reply) {
             if (reply.type != RedisReply::Type::Integer)
                 return;
             // Back among the instances after having been reaped: the members again.
             if (reply.integer == 1 && m_registered)
                 scheduleResync();
             m_registered = true;
         });
    eval(ReapScript, {QByteArray::number(ReapAfterMs)}, [](const RedisReply &reply) {
        for (const RedisReply &id : reply.elements)
            qCInfo(lcApp).noquote() << "cluster: process" << QString::fromUtf8(id.text)
                                    << "stopped answering; its members and channels are gone";
    });
}

} // namespace flippdeal::server
