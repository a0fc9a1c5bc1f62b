// Cluster mode: a real redis-server and three `flippdeal-server serve` nodes on one SQLite
// database, with pusher-js, Laravel Echo's transport, raw sockets and the `pusher` SDK spread
// over the nodes. Events committed on one node reach subscribers on the others; client events
// and terminate_connections cross too; when Redis goes away each node keeps serving its own
// clients, says so on /health and /metrics, and once Redis is back the events committed
// meanwhile reach every node's subscribers (nothing acknowledged is lost).
//
// Run: node --test cluster.test.mjs   (needs FLIPPDEAL_SERVER_BIN and redis-server)

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { sleep, withTimeout } from './lib/async.mjs';
import {
    connected,
    eventually,
    pusherFor,
    recorder,
    sdkChannelAuthorization,
    sdkFor,
    signedEventsTarget,
    subscribeSigned,
    subscribed,
} from './lib/clients.mjs';
import { PusherSocket } from './lib/pusher-socket.mjs';
import { freePort, RedisServer } from './lib/redis.mjs';
import { startServer } from './lib/server.mjs';

const TEST_TIMEOUT_MS = 60_000;
const PASSWORD = 'correct horse battery staple';
// Redis down, then back: the nodes retry with a backoff of at most 5 s.
const RECOVERY_MS = 20_000;
// An outage longer than a node's key lives in Redis (ClusterPresence::InstanceTtlMs, 5 s).
const ClusterOutageMs = 6_500;

describe('three nodes and Redis act as one Pusher app', () => {
    /** @type {RedisServer} */
    let redis;
    let dbDir;
    /** @type {import('./lib/server.mjs').FlippdealServer[]} */
    let nodes = [];
    let alice;
    let bob;
    const clients = [];
    const sockets = [];
    /** Every webhook event any node sent: {name, channel, user_id?}. */
    const webhooks = [];
    let hookServer;

    function clientOn(node, token) {
        const pusher = pusherFor(node, {
            channelAuthorization: {
                endpoint: `${node.baseUrl}/broadcasting/auth`,
                transport: 'ajax',
                headers: { Authorization: `Bearer ${token}` },
            },
        });
        clients.push(pusher);
        return pusher;
    }

    async function socketOn(node) {
        const socket = new PusherSocket(node.wsUrl());
        sockets.push(socket);
        await socket.opened;
        await socket.established();
        return socket;
    }

    async function metric(node, name) {
        const res = await node.api('GET', '/metrics');
        const line = res.text.split('\n').find((l) => l.startsWith(`${name} `));
        return line === undefined ? undefined : Number(line.split(' ')[1]);
    }

    before(async () => {
        redis = await RedisServer.start();
        dbDir = await mkdtemp(path.join(tmpdir(), 'flippdeal-cluster-'));
        hookServer = createServer((req, res) => {
            let body = '';
            req.on('data', (chunk) => { body += chunk; });
            req.on('end', () => {
                for (const event of JSON.parse(body).events ?? []) webhooks.push(event);
                res.end('{}');
            });
        });
        await new Promise((resolve) => hookServer.listen(0, '127.0.0.1', resolve));
        const env = {
            FLIPPDEAL_DATABASE: `sqlite:${path.join(dbDir, 'cluster.sqlite')}`,
            FLIPPDEAL_REDIS: redis.url,
            FLIPPDEAL_WEBHOOK_URLS: `http://127.0.0.1:${hookServer.address().port}/hook`,
        };
        // One at a time: the first migrates the shared database.
        for (const id of ['one', 'two', 'three']) {
            nodes.push(await startServer(['--node-id', id, '--message-rate', '1000'], env));
        }
        alice = await nodes[0].register('alice', 'alice@cluster.test', PASSWORD);
        bob = await nodes[1].register('bob', 'bob@cluster.test', PASSWORD);
    });

    after(async () => {
        for (const pusher of clients) pusher.disconnect();
        for (const socket of sockets) socket.terminate();
        await Promise.all(nodes.map((node) => node.kill()));
        await redis?.close();
        hookServer?.closeAllConnections();
        await new Promise((resolve) => (hookServer ? hookServer.close(resolve) : resolve()));
        if (dbDir) await rm(dbDir, { recursive: true, force: true });
    });

    it('each node reports Redis up', { timeout: TEST_TIMEOUT_MS }, async () => {
        for (const node of nodes) {
            await eventually(async () => (await metric(node, 'flippdeal_redis_up')) === 1, 'flippdeal_redis_up 1');
            const health = await node.api('GET', '/health');
            assert.equal(health.status, 200);
            assert.deepEqual(health.body, { status: 'ok', redis: 'up' });
        }
    });

    it('delivers messages sent through one node to the recipient on another, in order', { timeout: TEST_TIMEOUT_MS }, async () => {
        const bobClient = clientOn(nodes[1], bob.token);
        const aliceClient = clientOn(nodes[2], alice.token);
        const bobChannel = bobClient.subscribe(`private-user.${bob.user.id}`);
        const aliceChannel = aliceClient.subscribe(`private-user.${alice.user.id}`);
        const bobInbox = recorder(bobChannel, ['MessageSent']);
        const aliceInbox = recorder(aliceChannel, ['MessageSent']);
        await Promise.all([subscribed(bobChannel), subscribed(aliceChannel)]);

        const ids = [];
        for (let i = 0; i < 10; i++) {
            const res = await nodes[0].api('POST', '/api/messages', alice.token, { to_user_id: bob.user.id, body: `cross-node ${i}` });
            assert.equal(res.status, 201, `POST /api/messages through node one: ${res.text}`);
            ids.push(res.body.message.id);
        }
        const last = ids.at(-1);
        await bobInbox.next('MessageSent', (p) => p.message.id === last, 'the last message on bob\'s channel (node two)');
        await aliceInbox.next('MessageSent', (p) => p.message.id === last, 'the last message on alice\'s channel (node three)');
        assert.deepEqual(bobInbox.received.map((e) => e.data.message.id), ids, 'each message once, in the order sent');
        assert.deepEqual(aliceInbox.received.map((e) => e.data.message.id), ids);
        assert.ok((await metric(nodes[1], 'flippdeal_cluster_messages_received_total')) >= 10);
    });

    it('delivers Pusher HTTP API events published on any node to every node, once', { timeout: TEST_TIMEOUT_MS }, async () => {
        const listeners = nodes.map((node) => {
            const pusher = pusherFor(node);
            clients.push(pusher);
            const channel = pusher.subscribe('cluster-news');
            return { channel, events: recorder(channel, ['headline', 'marker']) };
        });
        await Promise.all(listeners.map((l) => subscribed(l.channel)));
        const sdk = sdkFor(nodes[1]);
        await sdk.trigger('cluster-news', 'headline', { n: 1 });
        await sdk.trigger('cluster-news', 'marker', {});
        for (const [i, listener] of listeners.entries()) {
            await listener.events.next('marker', () => true, `the marker on node ${i + 1}`);
            assert.equal(listener.events.count('headline'), 1, `node ${i + 1} delivered the headline once`);
        }
    });

    it('relays client events to subscribers on other nodes, not to the sender', { timeout: TEST_TIMEOUT_MS }, async () => {
        const sdk = sdkFor(nodes[0]);
        const [sender, receiver] = [nodes[0], nodes[2]].map((node) => {
            const pusher = pusherFor(node, { channelAuthorization: sdkChannelAuthorization(sdk) });
            clients.push(pusher);
            return pusher;
        });
        const out = sender.subscribe('private-cluster-chat');
        const into = receiver.subscribe('private-cluster-chat');
        const heard = recorder(into, ['client-typing']);
        const echoed = recorder(out, ['client-typing']);
        await Promise.all([subscribed(out), subscribed(into)]);
        out.trigger('client-typing', { who: 'sender' });
        const got = await heard.next('client-typing', (d) => d.who === 'sender', 'client-typing on node three');
        assert.deepEqual(got.data, { who: 'sender' });
        assert.equal(echoed.count('client-typing'), 0, 'the sender does not get its own client event');
    });

    it('closes a user\'s connections on every node for terminate_connections sent to one', { timeout: TEST_TIMEOUT_MS }, async () => {
        const carolOnTwo = await socketOn(nodes[1]);
        const carolOnThree = await socketOn(nodes[2]);
        const member = { user_id: 'carol', user_info: { name: 'Carol' } };
        await subscribeSigned(carolOnTwo, 'presence-cluster-room', member);
        await subscribeSigned(carolOnThree, 'presence-cluster-room', member);
        await sdkFor(nodes[0]).terminateUserConnections('carol');
        for (const [socket, where] of [[carolOnTwo, 'two'], [carolOnThree, 'three']]) {
            const closed = await withTimeout(socket.closed, `carol's connection on node ${where} closed`);
            assert.ok(closed.code >= 4000 && closed.code < 4100, `closed with a 40xx code, got ${closed.code}`);
        }
    });

    /** The user ids the HTTP API of `node` lists on presence `channel` (the node's view). */
    async function usersOn(node, channel) {
        const res = await sdkFor(node).get({ path: `/channels/${channel}/users` });
        return (await res.json()).users.map((u) => u.id).sort();
    }

    /** Presence frames for `channel` that `socket` has received, as "added:id" / "removed:id". */
    function memberEvents(socket, channel) {
        return socket
            .take((f) => f.channel === channel && /member_(added|removed)$/.test(f.event))
            .map((f) => `${f.event.endsWith('added') ? 'added' : 'removed'}:${f.payload.user_id}`);
    }

    /** Sends a marker event to `channel` through `node` and waits until `socket` has it. */
    async function marker(node, socket, channel, n) {
        await sdkFor(node).trigger(channel, 'marker', { n });
        await socket.next((f) => f.channel === channel && f.event === 'marker' && f.payload.n === n, `marker ${n}`);
    }

    /**
     * A watcher on node one and `userId` on `node`, both on presence `channel`; resolves with
     * the watcher's socket once it has seen the member arrive.
     */
    async function watchMember(channel, node, userId) {
        const watcher = await socketOn(nodes[0]);
        await subscribeSigned(watcher, channel, { user_id: 'watcher', user_info: {} });
        const member = await socketOn(node);
        await subscribeSigned(member, channel, { user_id: userId, user_info: {} });
        await watcher.next((f) => f.event === 'pusher_internal:member_added' && f.payload.user_id === userId, `member_added ${userId}`);
        return watcher;
    }

    it('keeps presence cluster-wide: one member_added for the first connection anywhere, one member_removed for the last', { timeout: TEST_TIMEOUT_MS }, async () => {
        const channel = 'presence-cluster-lobby';
        const dave = await socketOn(nodes[0]);
        await subscribeSigned(dave, channel, { user_id: 'dave', user_info: { name: 'Dave' } });
        // Node two's view (its HTTP API) has dave once his join has crossed.
        await eventually(async () => (await usersOn(nodes[1], channel)).includes('dave'), 'dave listed by node two');

        const erinOnTwo = await socketOn(nodes[1]);
        const joined = await subscribeSigned(erinOnTwo, channel, { user_id: 'erin', user_info: { name: 'Erin' } });
        const presence = joined.payload.presence;
        assert.deepEqual([...presence.ids].sort(), ['dave', 'erin'], 'subscription_succeeded lists the members on every node');
        assert.equal(presence.count, 2);
        assert.deepEqual(presence.hash.dave, { name: 'Dave' });
        await dave.next((f) => f.event === 'pusher_internal:member_added' && f.payload.user_id === 'erin', 'member_added erin at dave (node one)');

        // Erin's second connection, on node three: no member_added anywhere.
        const erinOnThree = await socketOn(nodes[2]);
        await subscribeSigned(erinOnThree, channel, { user_id: 'erin', user_info: { name: 'Erin' } });
        for (const node of nodes) await eventually(async () => (await usersOn(node, channel)).join() === 'dave,erin', 'dave and erin on every node');
        await marker(nodes[0], dave, channel, 1);
        // Her first connection leaves: she is still there through node three.
        erinOnTwo.close();
        await erinOnTwo.closed;
        await marker(nodes[0], dave, channel, 2);
        assert.deepEqual(memberEvents(dave, channel), [], 'no second member_added, no member_removed while erin is still on node three');
        // Her last connection leaves.
        erinOnThree.close();
        await dave.next((f) => f.event === 'pusher_internal:member_removed' && f.payload.user_id === 'erin', 'member_removed erin at dave');
        await marker(nodes[0], dave, channel, 3);
        assert.deepEqual(memberEvents(dave, channel), [], 'member_removed once');
        for (const node of nodes) await eventually(async () => (await usersOn(node, channel)).join() === 'dave', 'only dave left on every node');
    });

    it('answers the channel queries for every node', { timeout: TEST_TIMEOUT_MS }, async () => {
        const channel = 'cluster-count';
        const subscribers = [];
        for (const node of nodes) {
            const socket = await socketOn(node);
            await socket.subscribePublic(channel);
            subscribers.push(socket);
        }
        const sdk = sdkFor(nodes[0]);
        const count = async () => (await (await sdk.get({ path: `/channels/${channel}`, params: { info: 'subscription_count' } })).json());
        await eventually(async () => (await count()).subscription_count === 3, 'subscription_count 3 through node one');
        assert.deepEqual(await count(), { subscription_count: 3, occupied: true });
        const list = await (await sdkFor(nodes[1]).get({ path: '/channels', params: { filter_by_prefix: 'cluster-co', info: 'subscription_count' } })).json();
        assert.deepEqual(list, { channels: { [channel]: { subscription_count: 3 } } });
        subscribers[1].close();
        subscribers[2].close();
        await eventually(async () => (await count()).subscription_count === 1, 'subscription_count 1 once two left');
        subscribers[0].close();
        await eventually(async () => (await count()).occupied === false, 'not occupied once all left');
    });

    it('sends each webhook once for the cluster', { timeout: TEST_TIMEOUT_MS }, async () => {
        const channel = 'presence-cluster-hooks';
        const seen = (name, user) => webhooks.filter((e) => e.channel === channel && e.name === name && (user === undefined || e.user_id === user)).length;
        const hankOnOne = await socketOn(nodes[0]);
        await subscribeSigned(hankOnOne, channel, { user_id: 'hank', user_info: {} });
        const hankOnTwo = await socketOn(nodes[1]);
        await subscribeSigned(hankOnTwo, channel, { user_id: 'hank', user_info: {} });
        const ivyOnThree = await socketOn(nodes[2]);
        await subscribeSigned(ivyOnThree, channel, { user_id: 'ivy', user_info: {} });
        await eventually(() => seen('member_added', 'ivy') === 1 && seen('member_added', 'hank') === 1 && seen('channel_occupied') === 1,
            'channel_occupied and member_added for hank and ivy', 20_000);
        for (const socket of [hankOnOne, hankOnTwo, ivyOnThree]) socket.close();
        // channel_vacated and member_removed are held 3 s before they are sent.
        await eventually(() => seen('channel_vacated') === 1 && seen('member_removed', 'hank') === 1 && seen('member_removed', 'ivy') === 1,
            'channel_vacated and member_removed for both', 25_000);
        await new Promise((resolve) => setTimeout(resolve, 2000)); // room for a duplicate to show
        assert.deepEqual(
            ['channel_occupied', 'channel_vacated'].map((n) => seen(n)).concat(['hank', 'ivy'].flatMap((u) => [seen('member_added', u), seen('member_removed', u)])),
            [1, 1, 1, 1, 1, 1],
            `each once: ${JSON.stringify(webhooks.filter((e) => e.channel === channel))}`,
        );
    });

    it('keeps serving each node\'s own clients without Redis and loses nothing acknowledged', { timeout: TEST_TIMEOUT_MS * 2 }, async () => {
        const bobClient = clientOn(nodes[1], bob.token);
        const aliceClient = clientOn(nodes[0], alice.token);
        const bobChannel = bobClient.subscribe(`private-user.${bob.user.id}`);
        const aliceChannel = aliceClient.subscribe(`private-user.${alice.user.id}`);
        const bobInbox = recorder(bobChannel, ['MessageSent']);
        const aliceInbox = recorder(aliceChannel, ['MessageSent']);
        await Promise.all([subscribed(bobChannel), subscribed(aliceChannel)]);
        // A presence member on node two, watched from node one, across the outage.
        const lobby = 'presence-cluster-outage';
        const watcher = await watchMember(lobby, nodes[1], 'mia');

        await redis.stop();
        for (const node of nodes) {
            await eventually(async () => (await metric(node, 'flippdeal_redis_up')) === 0, 'flippdeal_redis_up 0');
            const health = await node.api('GET', '/health');
            assert.equal(health.status, 200, 'a node without Redis still serves');
            assert.deepEqual(health.body, { status: 'degraded', redis: 'down' });
        }
        const ids = [];
        for (let i = 0; i < 5; i++) {
            const res = await nodes[0].api('POST', '/api/messages', alice.token, { to_user_id: bob.user.id, body: `during the outage ${i}` });
            assert.equal(res.status, 201, `POST /api/messages without Redis: ${res.text}`);
            ids.push(res.body.message.id);
        }
        // Alice is on the node that committed them: she gets them at once.
        await aliceInbox.next('MessageSent', (p) => p.message.id === ids.at(-1), 'alice\'s copy during the outage');
        // Longer than a node's key lives in Redis: nobody may take the others for dead.
        await sleep(ClusterOutageMs);

        await redis.restart();
        for (const node of nodes) {
            await eventually(async () => (await metric(node, 'flippdeal_redis_up')) === 1, 'flippdeal_redis_up 1 again', RECOVERY_MS);
        }
        await bobInbox.next('MessageSent', (p) => p.message.id === ids.at(-1), 'the outage\'s last message on node two', RECOVERY_MS);
        const seen = new Set(bobInbox.received.map((e) => e.data.message.id));
        for (const id of ids) assert.ok(seen.has(id), `message ${id} reached bob after Redis came back`);

        // Redis came back empty: the nodes put their members back, and nobody left meanwhile.
        await eventually(async () => (await usersOn(nodes[0], lobby)).join() === 'mia,watcher', 'mia and the watcher listed again', RECOVERY_MS);
        await marker(nodes[0], watcher, lobby, 9);
        assert.deepEqual(memberEvents(watcher, lobby), [], 'no member_removed or second member_added for mia');

        // And the link works as before.
        const res = await nodes[0].api('POST', '/api/messages', alice.token, { to_user_id: bob.user.id, body: 'after the outage' });
        assert.equal(res.status, 201);
        await bobInbox.next('MessageSent', (p) => p.message.id === res.body.message.id, 'a message after the outage');
    });

    it('takes nobody for dead after Redis stalls for longer than a node\'s key lives', { timeout: TEST_TIMEOUT_MS }, async () => {
        const lobby = 'presence-cluster-stall';
        const watcher = await watchMember(lobby, nodes[2], 'noor');
        redis.freeze(); // its data stays; every node's key expires meanwhile
        for (const node of nodes) await eventually(async () => (await metric(node, 'flippdeal_redis_up')) === 0, 'Redis seen stalled', RECOVERY_MS);
        await sleep(ClusterOutageMs);
        redis.thaw();
        for (const node of nodes) await eventually(async () => (await metric(node, 'flippdeal_redis_up')) === 1, 'linked again', RECOVERY_MS);
        // Longer than a reaper would wait for a node that did not come back.
        await sleep(8_000);
        await marker(nodes[0], watcher, lobby, 10);
        assert.deepEqual(memberEvents(watcher, lobby), [], 'no member_removed for noor');
        assert.deepEqual(await usersOn(nodes[0], lobby), ['noor', 'watcher']);
    });

    // Last: it kills node three.
    it('removes the presence members of a killed node on the others within 15 s, once', { timeout: TEST_TIMEOUT_MS }, async () => {
        const channel = 'presence-cluster-watch';
        const grace = await socketOn(nodes[0]);
        await subscribeSigned(grace, channel, { user_id: 'grace', user_info: {} });
        const frank = await socketOn(nodes[2]);
        await subscribeSigned(frank, channel, { user_id: 'frank', user_info: {} });
        await grace.next((f) => f.event === 'pusher_internal:member_added' && f.payload.user_id === 'frank', 'member_added frank');
        const killedAt = Date.now();
        await nodes[2].kill();
        await grace.next((f) => f.event === 'pusher_internal:member_removed' && f.payload.user_id === 'frank', 'member_removed frank after the kill', 20_000);
        const took = Date.now() - killedAt;
        assert.ok(took <= 15_000, `member_removed ${took} ms after the kill`);
        await marker(nodes[1], grace, channel, 4);
        assert.deepEqual(memberEvents(grace, channel), [], 'member_removed once');
        assert.deepEqual(await usersOn(nodes[1], channel), ['grace']);
    });
});

describe('limits hold for the cluster, not per node', () => {
    let redis;
    let dbDir;
    const nodes = [];

    before(async () => {
        redis = await RedisServer.start();
        dbDir = await mkdtemp(path.join(tmpdir(), 'flippdeal-cluster-limits-'));
        const env = { FLIPPDEAL_DATABASE: `sqlite:${path.join(dbDir, 'limits.sqlite')}`, FLIPPDEAL_REDIS: redis.url };
        for (const id of ['one', 'two', 'three']) {
            nodes.push(await startServer(['--node-id', id, '--api-replay-grace', '0', '--message-rate', '1'], env));
        }
    });

    after(async () => {
        await Promise.all(nodes.map((node) => node.kill()));
        await redis?.close();
        if (dbDir) await rm(dbDir, { recursive: true, force: true });
    });

    it('accepts one message a second from one user through three nodes together', { timeout: TEST_TIMEOUT_MS }, async () => {
        const kim = await nodes[0].register('kim', 'kim@cluster.test', PASSWORD);
        const lee = await nodes[1].register('lee', 'lee@cluster.test', PASSWORD);
        // At --message-rate 1 each node alone would take one of a burst, three in all; the
        // cluster takes one, and one more per second the burst lasts. A burst slow enough to
        // blur that (over a second) is tried again, after the buckets have refilled.
        for (let attempt = 1; ; attempt++) {
            const started = Date.now();
            const answers = await Promise.all(Array.from({ length: 12 }, (_, i) =>
                nodes[i % 3].api('POST', '/api/messages', kim.token, { to_user_id: lee.user.id, body: `burst ${attempt}.${i}` })));
            const elapsedMs = Date.now() - started;
            const accepted = answers.filter((a) => a.status === 201).length;
            const refused = answers.filter((a) => a.status === 429);
            assert.equal(accepted + refused.length, 12, answers.map((a) => `${a.status} ${a.text}`).join('\n'));
            for (const answer of refused) assert.ok(Number(answer.headers.get('retry-after')) >= 1, 'a 429 says when to retry');
            if (elapsedMs >= 900 && attempt < 5) {
                await new Promise((resolve) => setTimeout(resolve, 2500));
                continue;
            }
            assert.ok(elapsedMs < 900 ? accepted === 1 : accepted <= 1 + Math.ceil(elapsedMs / 1000),
                `${accepted} of 12 accepted in ${elapsedMs} ms; per node it would be 3`);
            return;
        }
    });

    it('accepts a signed Pusher API request once in the cluster: a replay to another node is refused', { timeout: TEST_TIMEOUT_MS }, async () => {
        const body = JSON.stringify({ name: 'once', channels: ['cluster-replay'], data: '{}' });
        const target = signedEventsTarget(body);
        const post = (node) => fetch(`${node.baseUrl}${target}`, {
            method: 'POST', headers: { 'Content-Type': 'application/json' }, body, signal: AbortSignal.timeout(10_000),
        });
        const first = await post(nodes[0]);
        assert.equal(first.status, 200, await first.text());
        for (const node of [nodes[1], nodes[2], nodes[0]]) {
            const again = await post(node);
            assert.equal(again.status, 401, 'the same signature on another node is a replay');
            assert.match((await again.json()).message ?? '', /Replayed request/);
        }
    });
});

describe('a node refuses to start without its Redis', () => {
    /** Runs `serve` with `redisUrl`; resolves with its exit code and stderr. */
    async function serveWith(redisUrl) {
        const dir = await mkdtemp(path.join(tmpdir(), 'flippdeal-noredis-'));
        try {
            const child = spawn(process.env.FLIPPDEAL_SERVER_BIN, ['serve', '--listen', '127.0.0.1:0', '--data-dir', dir, '--redis', redisUrl], {
                stdio: ['ignore', 'pipe', 'pipe'],
            });
            let stderr = '';
            child.stderr.on('data', (chunk) => { stderr += chunk; });
            const code = await withTimeout(new Promise((resolve) => child.once('exit', resolve)), 'serve to exit');
            return { code, stderr };
        } finally {
            await rm(dir, { recursive: true, force: true });
        }
    }

    it('exits with 2 and one line when Redis cannot be reached', async () => {
        const port = await freePort(); // nothing listens there
        const { code, stderr } = await serveWith(`redis://:s3cret@127.0.0.1:${port}/0`);
        assert.equal(code, 2, stderr);
        assert.match(stderr, new RegExp(`cannot reach Redis at 127\\.0\\.0\\.1:${port}/0`));
        assert.equal(stderr.trim().split('\n').length, 1, `one line: ${stderr}`);
        assert.ok(!stderr.includes('s3cret'), 'the password is never printed');
    });

    it('exits with 2 and one line for a URL that is not redis://', async () => {
        const { code, stderr } = await serveWith('http://127.0.0.1:6379');
        assert.equal(code, 2, stderr);
        assert.match(stderr, /must start with redis:\/\//);
        assert.equal(stderr.trim().split('\n').length, 1, `one line: ${stderr}`);
    });
});
