// SPDX-License-Identifier: MIT
#include "cluster/clusterpresence.h"

#include "cluster/clusterbus.h"
#include "core/logging.h"
#include "gateway/gateway.h"
#include "protocol/frame.h"
#include "protocol/timeformat.h"

#include <QJsonDocument>
#include <QPromise>

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

// ---- Redis --------------------------------------------------------------------------------

namespace {

// Every script gets the key prefix as ARGV[1]. Keys: pn:{channel}\n{user} (processes),
// pi:{channel} (user → info), nm:{process} (channel\nuser), cc:{channel} (process →
// subscribers), nc:{process} (its channels), channels (occupied anywhere), inst:{process},
// instances.
// The functions every script starts with: split a channel\nuser entry, and add or remove one
// process's membership, returning how many processes have the user there afterwards.
const QByteArray Prelude = QByteArrayLiteral(R"(
local p = ARGV[1]
local function split(cu)
  local nl = string.find(cu, '\n', 1, true)
  return string.sub(cu, 1, nl - 1), string.sub(cu, nl + 1)
end
local function add(id, c, u, info)
  local k = p .. 'pn:' .. c .. '\n' .. u
  redis.call('HSET', p .. 'pi:' .. c, u, info)
  local added = redis.call('SADD', k, id)
  redis.call('SADD', p .. 'nm:' .. id, c .. '\n' .. u)
  return redis.call('SCARD', k), added
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
  if before == 0 and after > 0 then redis.call('SADD', p .. 'channels', c) return 1 end
  if before > 0 and after == 0 then redis.call('SREM', p .. 'channels', c) return -1 end
  return 0
end
local function remove(id, c, u)
  local k = p .. 'pn:' .. c .. '\n' .. u
  redis.call('SREM', k, id)
  redis.call('SREM', p .. 'nm:' .. id, c .. '\n' .. u)
  local n = redis.call('SCARD', k)
  if n == 0 then redis.call('HDEL', p .. 'pi:' .. c, u) end
  return n
end
)");

const QByteArray JoinScript = Prelude + QByteArrayLiteral(R"(
return (add(ARGV[2], ARGV[3], ARGV[4], ARGV[5]))
)");

const QByteArray LeaveScript = Prelude + QByteArrayLiteral(R"(
return remove(ARGV[2], ARGV[3], ARGV[4])
)");

// The members of every process whose inst: key has expired: removed, each reported once as
// {process, channel, user, processes left}.
const QByteArray ReapScript = Prelude + QByteArrayLiteral(R"(
local out, vacated = {}, {}
for _, id in ipairs(redis.call('SMEMBERS', p .. 'instances')) do
  if redis.call('EXISTS', p .. 'inst:' .. id) == 0 then
    for _, cu in ipairs(redis.call('SMEMBERS', p .. 'nm:' .. id)) do
      local c, u = split(cu)
      local n = remove(id, c, u)
      table.insert(out, id) table.insert(out, c) table.insert(out, u) table.insert(out, n)
    end
    for _, c in ipairs(redis.call('SMEMBERS', p .. 'nc:' .. id)) do
      if count(id, c, 0) == -1 then table.insert(vacated, c) end
    end
    redis.call('DEL', p .. 'nm:' .. id, p .. 'nc:' .. id)
    redis.call('SREM', p .. 'instances', id)
  end
end
return {out, vacated}
)");

// One process's subscribers on a channel (ARGV: process, channel, count): 1 when the channel
// became occupied anywhere, -1 when it became empty everywhere, else 0.
const QByteArray CountScript = Prelude + QByteArrayLiteral(R"(
return count(ARGV[2], ARGV[3], tonumber(ARGV[4]))
)");

// A process's subscriber counts made what it says (ARGV[3..]: channel, count, …).
const QByteArray SyncCountsScript = Prelude + QByteArrayLiteral(R"(
local me = ARGV[2]
local want = {}
for i = 3, #ARGV, 2 do want[ARGV[i]] = tonumber(ARGV[i + 1]) end
for _, c in ipairs(redis.call('SMEMBERS', p .. 'nc:' .. me)) do
  if want[c] == nil then count(me, c, 0) end
end
for c, n in pairs(want) do count(me, c, n) end
return 0
)");

// Every node's subscribers of the occupied channels starting with ARGV[2] (only the channel
// ARGV[2] with ARGV[3] = '1'): {channel, subscribers, …}.
const QByteArray CountsScript = Prelude + QByteArrayLiteral(R"(
local prefix, names = ARGV[2], nil
if ARGV[3] == '1' then names = {prefix} else names = redis.call('SMEMBERS', p .. 'channels') end
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

// A process's members made what it says (ARGV[3..]: channel, user, info, …): reports each
// change as {'+' or '-', channel, user, processes now, info}.
const QByteArray SyncScript = Prelude + QByteArrayLiteral(R"(
local me = ARGV[2]
local want = {}
for i = 3, #ARGV, 3 do want[ARGV[i] .. '\n' .. ARGV[i + 1]] = ARGV[i + 2] end
local out = {}
for _, cu in ipairs(redis.call('SMEMBERS', p .. 'nm:' .. me)) do
  if want[cu] == nil then
    local c, u = split(cu)
    table.insert(out, '-') table.insert(out, c) table.insert(out, u)
    table.insert(out, remove(me, c, u)) table.insert(out, '')
  end
end
for cu, info in pairs(want) do
  local c, u = split(cu)
  local n, added = add(me, c, u, info)
  if added == 1 then
    table.insert(out, '+') table.insert(out, c) table.insert(out, u)
    table.insert(out, n) table.insert(out, info)
  end
end
return out
)");

// The members of every other live process: {process, channel, user, info}.
const QByteArray LoadScript = Prelude + QByteArrayLiteral(R"(
local me = ARGV[2]
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', p .. 'instances')) do
  if id ~= me and redis.call('EXISTS', p .. 'inst:' .. id) == 1 then
    for _, cu in ipairs(redis.call('SMEMBERS', p .. 'nm:' .. id)) do
      local c, u = split(cu)
      table.insert(out, id) table.insert(out, c) table.insert(out, u)
      table.insert(out, redis.call('HGET', p .. 'pi:' .. c, u) or '{}')
    end
  end
end
return out
)");

QByteArray infoJson(const protocol::PresenceMember &member)
{
    return QJsonDocument(member.userInfo).toJson(QJsonDocument::Compact);
}

protocol::PresenceMember memberOf(const QByteArray &userId, const QByteArray &info)
{
    return {QString::fromUtf8(userId), QJsonDocument::fromJson(info).object()};
}

QByteArray text(const RedisReply &reply)
{
    return reply.type == RedisReply::Type::Integer ? QByteArray::number(reply.integer) : reply.text;
}

} // namespace

ClusterPresence::ClusterPresence(ClusterBus &bus, Gateway &gateway, ClusterPresenceStore &store,
                                 QObject *parent)
    : QObject(parent)
    , m_bus(bus)
    , m_gateway(gateway)
    , m_store(store)
{}

bool ClusterPresence::joined(const QString &channel, const protocol::PresenceMember &member)
{
    const QByteArray info = infoJson(member);
    return m_bus.commands().command({"EVAL", JoinScript, "0", m_bus.prefix(), m_bus.instance(),
                                     channel.toUtf8(), member.userId.toUtf8(), info},
                                    [this, channel, member, info](const RedisReply &reply) {
                                        if (reply.type != RedisReply::Type::Integer) {
                                            // Lost on the way: decided here, as without Redis; the
                                            // sync on the way back puts the member in Redis.
                                            m_gateway.announceJoin(channel, member, true);
                                            return;
                                        }
                                        publishChange('+', m_bus.instance(), reply.integer, channel,
                                                      member.userId, info);
                                        if (reply.integer == 1)
                                            m_gateway.announceJoin(channel, member, true);
                                    });
}

bool ClusterPresence::left(const QString &channel, const QString &userId)
{
    return m_bus.commands().command({"EVAL", LeaveScript, "0", m_bus.prefix(), m_bus.instance(),
                                     channel.toUtf8(), userId.toUtf8()},
                                    [this, channel, userId](const RedisReply &reply) {
                                        if (reply.type != RedisReply::Type::Integer) {
                                            m_gateway.announceLeave(channel, userId, true);
                                            return;
                                        }
                                        publishChange('-', m_bus.instance(), reply.integer, channel,
                                                      userId, {});
                                        if (reply.integer == 0)
                                            m_gateway.announceLeave(channel, userId, true);
                                    });
}

bool ClusterPresence::subscribersChanged(const QString &channel, int here)
{
    return m_bus.commands().command({"EVAL", CountScript, "0", m_bus.prefix(), m_bus.instance(),
                                     channel.toUtf8(), QByteArray::number(here)},
                                    [this, channel](const RedisReply &reply) {
                                        if (reply.type == RedisReply::Type::Integer &&
                                            reply.integer != 0)
                                            m_gateway.announceOccupancy(channel, reply.integer > 0);
                                    });
}

QFuture<ClusterLink::Counts> ClusterPresence::subscriberCounts(const QString &prefix, bool exact)
{
    auto promise = std::make_shared<QPromise<ClusterLink::Counts>>();
    promise->start();
    QFuture<ClusterLink::Counts> future = promise->future();
    const bool sent = m_bus.commands().command(
        {"EVAL", CountsScript, "0", m_bus.prefix(), prefix.toUtf8(), exact ? "1" : "0"},
        [promise](const RedisReply &reply) {
            ClusterLink::Counts counts;
            if (reply.type == RedisReply::Type::Array) {
                counts.emplace();
                for (qsizetype i = 0; i + 1 < reply.elements.size(); i += 2)
                    counts->insert(QString::fromUtf8(reply.elements[i].text),
                                   int(reply.elements[i + 1].integer));
            }
            promise->addResult(counts);
            promise->finish();
        });
    if (!sent) {
        promise->addResult(ClusterLink::Counts());
        promise->finish();
    }
    return future;
}

void ClusterPresence::publishChange(char sign, const QByteArray &instance, qint64 count,
                                    const QString &channel, const QString &userId,
                                    const QByteArray &info)
{
    m_bus.send("M", QByteArray(1, sign) + '\n' + instance + '\n' + QByteArray::number(count) +
                        '\n' + channel.toUtf8() + '\n' + userId.toUtf8().toHex() + '\n' + info);
}

void ClusterPresence::received(const QByteArray &rest)
{
    const auto fields = ClusterBus::split(rest, 5);
    if (!fields)
        return;
    const QList<QByteArray> &f = *fields;
    const QByteArray &instance = f[1];
    const qint64 count = f[2].toLongLong();
    const QString channel = QString::fromUtf8(f[3]);
    const QByteArray userId = QByteArray::fromHex(f[4]);
    const QByteArray &info = f[5];
    if (f[0] == "+") {
        const protocol::PresenceMember member = memberOf(userId, info);
        m_store.addRemote(instance, channel, member);
        if (count == 1)
            m_gateway.announceJoin(channel, member, false);
    } else if (f[0] == "-") {
        m_store.removeRemote(instance, channel, QString::fromUtf8(userId));
        if (count == 0)
            m_gateway.announceLeave(channel, QString::fromUtf8(userId), false);
    }
}

void ClusterPresence::linked()
{
    m_lastRefreshMs = 0;
    tick(); // registers this process before the mirror is loaded
    QList<QByteArray> sync{"EVAL", SyncScript, "0", m_bus.prefix(), m_bus.instance()};
    for (const auto &[channel, member] : m_store.local().all())
        sync << channel.toUtf8() << member.userId.toUtf8() << infoJson(member);
    m_bus.commands().command(sync, [this](const RedisReply &reply) {
        // What changed while the link was down: the other nodes announce it to theirs; this
        // node's subscribers were told when it happened.
        for (qsizetype i = 0; i + 4 < reply.elements.size(); i += 5) {
            const auto &e = reply.elements;
            publishChange(e[i].text.at(0), m_bus.instance(), e[i + 3].integer,
                          QString::fromUtf8(e[i + 1].text), QString::fromUtf8(e[i + 2].text),
                          e[i + 4].text);
        }
    });
    m_bus.commands().command({"EVAL", LoadScript, "0", m_bus.prefix(), m_bus.instance()},
                             [this](const RedisReply &reply) { loaded(reply); });
    // The channels' counts as they are now (webhooks for what changed meanwhile were sent by
    // this node alone, while it decided by itself).
    QList<QByteArray> counts{"EVAL", SyncCountsScript, "0", m_bus.prefix(), m_bus.instance()};
    for (const QString &channel : m_gateway.channelNames()) {
        if (!channel.startsWith(QLatin1Char('#')))
            counts << channel.toUtf8() << QByteArray::number(m_gateway.subscriberCount(channel));
    }
    m_bus.commands().command(counts);
}

void ClusterPresence::loaded(const RedisReply &reply)
{
    if (reply.type != RedisReply::Type::Array)
        return;
    m_store.clearRemote();
    const auto &e = reply.elements;
    for (qsizetype i = 0; i + 3 < e.size(); i += 4)
        m_store.addRemote(e[i].text, QString::fromUtf8(e[i + 1].text),
                          memberOf(e[i + 2].text, e[i + 3].text));
}

void ClusterPresence::tick()
{
    const qint64 now = protocol::nowMs();
    if (!m_bus.isUp() || now - m_lastRefreshMs < RefreshMs)
        return;
    m_lastRefreshMs = now;
    const QByteArray self = m_bus.instance();
    m_bus.commands().command({"SET", m_bus.prefix() + "inst:" + self,
                              m_describe ? m_describe() : QByteArray("{}"), "PX",
                              QByteArray::number(InstanceTtlMs)});
    m_bus.commands().command({"SADD", m_bus.prefix() + "instances", self});
    m_bus.commands().command({"EVAL", ReapScript, "0", m_bus.prefix()},
                             [this](const RedisReply &reply) { reaped(reply); });
}

void ClusterPresence::reaped(const RedisReply &reply)
{
    if (reply.type != RedisReply::Type::Array || reply.elements.size() != 2)
        return;
    // This run found them: it is the one that announces their leaving, once.
    for (const RedisReply &channel : reply.elements[1].elements)
        m_gateway.announceOccupancy(QString::fromUtf8(channel.text), false);
    const auto &e = reply.elements[0].elements;
    for (qsizetype i = 0; i + 3 < e.size(); i += 4) {
        const QByteArray &instance = e[i].text;
        const QString channel = QString::fromUtf8(text(e[i + 1]));
        const QString userId = QString::fromUtf8(text(e[i + 2]));
        const qint64 count = e[i + 3].integer;
        if (i == 0 || instance != e[i - 4].text)
            qCInfo(lcApp).noquote() << "cluster: process" << instance
                                    << "stopped answering; its presence members leave";
        m_store.removeRemote(instance, channel, userId);
        publishChange('-', instance, count, channel, userId, {});
        if (count == 0)
            m_gateway.announceLeave(channel, userId, true);
    }
}

} // namespace flippdeal::server
