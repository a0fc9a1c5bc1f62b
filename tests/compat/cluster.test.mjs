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
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { withTimeout } from './lib/async.mjs';
import {
    connected,
    eventually,
    pusherFor,
    recorder,
    sdkChannelAuthorization,
    sdkFor,
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
        const env = {
            FLIPPDEAL_DATABASE: `sqlite:${path.join(dbDir, 'cluster.sqlite')}`,
            FLIPPDEAL_REDIS: redis.url,
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

    it('keeps serving each node\'s own clients without Redis and loses nothing acknowledged', { timeout: TEST_TIMEOUT_MS * 2 }, async () => {
        const bobClient = clientOn(nodes[1], bob.token);
        const aliceClient = clientOn(nodes[0], alice.token);
        const bobChannel = bobClient.subscribe(`private-user.${bob.user.id}`);
        const aliceChannel = aliceClient.subscribe(`private-user.${alice.user.id}`);
        const bobInbox = recorder(bobChannel, ['MessageSent']);
        const aliceInbox = recorder(aliceChannel, ['MessageSent']);
        await Promise.all([subscribed(bobChannel), subscribed(aliceChannel)]);

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

        await redis.restart();
        for (const node of nodes) {
            await eventually(async () => (await metric(node, 'flippdeal_redis_up')) === 1, 'flippdeal_redis_up 1 again', RECOVERY_MS);
        }
        await bobInbox.next('MessageSent', (p) => p.message.id === ids.at(-1), 'the outage\'s last message on node two', RECOVERY_MS);
        const seen = new Set(bobInbox.received.map((e) => e.data.message.id));
        for (const id of ids) assert.ok(seen.has(id), `message ${id} reached bob after Redis came back`);

        // And the link works as before.
        const res = await nodes[0].api('POST', '/api/messages', alice.token, { to_user_id: bob.user.id, body: 'after the outage' });
        assert.equal(res.status, 201);
        await bobInbox.next('MessageSent', (p) => p.message.id === res.body.message.id, 'a message after the outage');
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
