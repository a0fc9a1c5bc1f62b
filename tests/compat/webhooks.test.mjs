// Pusher webhooks (https://pusher.com/docs/channels/server_api/webhooks/)
// received by a small node:http endpoint that checks them the way a Node
// backend does, with the `pusher` SDK's pusher.webhook({headers, rawBody})
// (and by recomputing the HMAC by hand).
//
// Covers channel_occupied, channel_vacated, member_added, member_removed,
// client_event and cache_miss; the 3 s hold of channel_vacated/member_removed
// and its cancellation when the channel fills again or the member comes back;
// and durable delivery: a receiver that is down while events happen still gets
// every one of them once it is back (the server runs with --job-backoff-ms 500,
// so its retries come at about 0.5 s, 3 s and 15.5 s).
//
// Run: node --test webhooks.test.mjs   (needs FLIPPDEAL_SERVER_BIN)

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, it } from 'node:test';

import { deferred, sleep, STEP_TIMEOUT_MS, withTimeout } from './lib/async.mjs';
import { hmacHex, sdkFor, subscribeSigned } from './lib/clients.mjs';
import { PusherSocket } from './lib/pusher-socket.mjs';
import { APP_KEY, APP_SECRET, startServer } from './lib/server.mjs';

const TEST_TIMEOUT_MS = 45_000;
const HOLD_MS = 3_000; // how long channel_vacated / member_removed are held
const WEBHOOK_PATH = '/pusher/webhook';

/**
 * A webhook endpoint. Every request is checked (SDK and by hand); anything
 * wrong goes into `problems`, which each test asserts is empty.
 */
class WebhookReceiver {
    /** @type {{name: string, channel: string, [k: string]: any, receivedAt: number, timeMs: number}[]} */
    events = [];
    problems = [];
    requests = 0;
    port = 0;
    #server = null;
    #waiters = [];

    constructor(sdk) {
        this.sdk = sdk;
    }

    /** Listen on 127.0.0.1 (on `port`, or one the OS picks). */
    async start(port = 0) {
        this.#server = createServer((req, res) => this.#handle(req, res));
        await new Promise((resolve, reject) => {
            this.#server.once('error', reject);
            this.#server.listen(port, '127.0.0.1', resolve);
        });
        this.port = this.#server.address().port;
    }

    /** Stop listening and drop kept-alive connections: the server now gets "connection refused". */
    async stop() {
        const server = this.#server;
        this.#server = null;
        if (!server) return;
        const closed = new Promise((resolve) => server.close(resolve));
        server.closeAllConnections();
        await closed;
    }

    get url() {
        return `http://127.0.0.1:${this.port}${WEBHOOK_PATH}`;
    }

    #handle(req, res) {
        const chunks = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => {
            const rawBody = Buffer.concat(chunks).toString('utf8');
            this.requests += 1;
            const problem = (why) => this.problems.push(`${why}; headers ${JSON.stringify(req.headers)} body ${rawBody}`);
            if (req.method !== 'POST' || req.url !== WEBHOOK_PATH) problem(`${req.method} ${req.url}, expected POST ${WEBHOOK_PATH}`);
            if (req.headers['x-pusher-key'] !== APP_KEY) problem(`X-Pusher-Key is not ${APP_KEY}`);
            if (req.headers['x-pusher-signature'] !== hmacHex(APP_SECRET, rawBody)) {
                problem('X-Pusher-Signature is not hex HMAC-SHA256(secret, body)');
            }
            // What a Node backend does: node:http lower-cases the header names, as the SDK expects.
            const webhook = this.sdk.webhook({ headers: req.headers, rawBody });
            if (!webhook.isValid()) {
                problem('pusher.webhook(...).isValid() is false');
                res.writeHead(401).end();
                return;
            }
            const timeMs = webhook.getData().time_ms;
            if (typeof timeMs !== 'number' || Math.abs(timeMs - Date.now()) > 120_000) {
                problem(`time_ms ${timeMs} is not a recent time in milliseconds`);
            }
            const events = webhook.getEvents();
            if (!Array.isArray(events) || events.length === 0) problem('"events" is not a non-empty array');
            const receivedAt = Date.now();
            for (const event of events ?? []) this.#add({ ...event, receivedAt, timeMs });
            res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
        });
    }

    #add(event) {
        this.events.push(event);
        for (const waiter of this.#waiters.filter((w) => w.match(event))) {
            this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
            waiter.resolve(event);
        }
    }

    /** The events received so far that have these fields (e.g. {name, channel}). */
    matching(fields) {
        return this.events.filter((e) => Object.entries(fields).every(([k, v]) => e[k] === v));
    }

    /** Wait for (not consume) the first event that has these fields. */
    next(fields, ms = STEP_TIMEOUT_MS) {
        const match = (e) => Object.entries(fields).every(([k, v]) => e[k] === v);
        const found = this.events.find(match);
        if (found) return Promise.resolve(found);
        const waiter = { ...deferred(), match };
        this.#waiters.push(waiter);
        const seen = () => this.events.map((e) => `${e.name}:${e.channel}`).join(', ') || 'none';
        return withTimeout(waiter.promise, `webhook ${JSON.stringify(fields)}`, ms).catch((err) => {
            throw new Error(`${err.message} (received: ${seen()})`);
        });
    }
}

describe('Pusher webhooks', () => {
    /** @type {import('./lib/server.mjs').FlippdealServer} */
    let server;
    /** @type {WebhookReceiver} */
    let receiver;
    /** A second configured URL, which stays up all along. */
    let other;
    const sockets = [];

    async function connect() {
        const socket = new PusherSocket(server.wsUrl());
        sockets.push(socket);
        await withTimeout(socket.opened, 'WebSocket handshake');
        await socket.established();
        return socket;
    }

    function assertNoProblems() {
        assert.deepEqual(receiver.problems, [], 'the webhook receiver found bad requests');
        assert.deepEqual(other.problems, [], 'the second webhook receiver found bad requests');
    }

    before(async () => {
        // The receiver needs the secret before the server exists; the SDK's webhook()
        // does not use host or port.
        receiver = new WebhookReceiver(sdkFor({ port: 1 }));
        other = new WebhookReceiver(sdkFor({ port: 1 }));
        await receiver.start();
        await other.start();
        server = await startServer(['--webhook-urls', `${receiver.url},${other.url}`, '--job-backoff-ms', '500']);
    });

    after(async () => {
        for (const socket of sockets) socket.terminate();
        await server?.kill();
        await receiver?.stop();
        await other?.stop();
    });

    it('sends channel_occupied when a channel gets its first subscriber, signed as Pusher signs', { timeout: TEST_TIMEOUT_MS }, async () => {
        const first = await connect();
        await first.subscribePublic('wh-news');
        const event = await receiver.next({ name: 'channel_occupied', channel: 'wh-news' });
        assert.deepEqual(Object.keys(event).sort(), ['channel', 'name', 'receivedAt', 'timeMs']);
        await other.next({ name: 'channel_occupied', channel: 'wh-news' }); // every URL gets every event

        // A second subscriber does not occupy it again.
        const second = await connect();
        await second.subscribePublic('wh-news');
        second.close();
        await sleep(700); // > the 100 ms batching and the 500 ms worker poll
        assert.equal(receiver.matching({ name: 'channel_occupied', channel: 'wh-news' }).length, 1);
        assertNoProblems();
    });

    it('sends member_added once per user, with user_id', { timeout: TEST_TIMEOUT_MS }, async () => {
        const tab1 = await connect();
        const tab2 = await connect();
        await subscribeSigned(tab1, 'presence-wh-room', { user_id: 'wh-u1', user_info: { name: 'One' } });
        await subscribeSigned(tab2, 'presence-wh-room', { user_id: 'wh-u1', user_info: { name: 'One' } });
        const event = await receiver.next({ name: 'member_added', channel: 'presence-wh-room' });
        assert.equal(event.user_id, 'wh-u1');
        await receiver.next({ name: 'channel_occupied', channel: 'presence-wh-room' });
        await sleep(700);
        assert.equal(receiver.matching({ name: 'member_added', channel: 'presence-wh-room' }).length, 1);
        assertNoProblems();
    });

    it('sends client_event with event, data and socket_id (and user_id on presence)', { timeout: TEST_TIMEOUT_MS }, async () => {
        const a = await connect();
        const b = await connect();
        await subscribeSigned(a, 'private-wh-chat');
        await subscribeSigned(b, 'private-wh-chat');
        a.send('client-typing', { typing: true }, 'private-wh-chat');
        await b.next('client-typing', 'the client event relayed to the other subscriber');

        const event = await receiver.next({ name: 'client_event', channel: 'private-wh-chat' });
        assert.equal(event.event, 'client-typing');
        assert.deepEqual(JSON.parse(event.data), { typing: true });
        assert.equal(event.socket_id, a.socketId);
        assert.equal(event.user_id, undefined, 'user_id is only for presence channels');

        const m1 = await connect();
        const m2 = await connect();
        await subscribeSigned(m1, 'presence-wh-talk', { user_id: 'wh-talker', user_info: {} });
        await subscribeSigned(m2, 'presence-wh-talk', { user_id: 'wh-listener', user_info: {} });
        m1.send('client-hello', { hi: 1 }, 'presence-wh-talk');
        const presence = await receiver.next({ name: 'client_event', channel: 'presence-wh-talk' });
        assert.equal(presence.event, 'client-hello');
        assert.equal(presence.user_id, 'wh-talker');
        assert.equal(presence.socket_id, m1.socketId);
        assertNoProblems();
    });

    it('sends cache_miss for a cache channel without a cached event, and not once one is cached', { timeout: TEST_TIMEOUT_MS }, async () => {
        const socket = await connect();
        await socket.subscribePublic('cache-wh-empty');
        await socket.next((f) => f.event === 'pusher:cache_miss' && f.channel === 'cache-wh-empty', 'pusher:cache_miss');
        await receiver.next({ name: 'cache_miss', channel: 'cache-wh-empty' });

        await sdkFor(server).trigger('cache-wh-full', 'cached', { n: 1 });
        await socket.subscribePublic('cache-wh-full');
        await socket.next('cached', 'the cached event');
        await sleep(700);
        assert.equal(receiver.matching({ name: 'cache_miss', channel: 'cache-wh-full' }).length, 0);
        assertNoProblems();
    });

    it('holds channel_vacated and member_removed for 3 s before sending them', { timeout: TEST_TIMEOUT_MS }, async () => {
        const socket = await connect();
        await socket.subscribePublic('wh-leaving');
        await subscribeSigned(socket, 'presence-wh-leaving', { user_id: 'wh-leaver', user_info: {} });
        await receiver.next({ name: 'member_added', channel: 'presence-wh-leaving' });
        await receiver.next({ name: 'channel_occupied', channel: 'wh-leaving' });

        const left = Date.now();
        socket.send('pusher:unsubscribe', { channel: 'wh-leaving' });
        socket.close(); // leaves the presence channel too
        const vacated = await receiver.next({ name: 'channel_vacated', channel: 'wh-leaving' }, 10_000);
        const removed = await receiver.next({ name: 'member_removed', channel: 'presence-wh-leaving' }, 10_000);
        await receiver.next({ name: 'channel_vacated', channel: 'presence-wh-leaving' }, 10_000);
        assert.equal(removed.user_id, 'wh-leaver');
        for (const [what, event] of [['channel_vacated', vacated], ['member_removed', removed]]) {
            const delay = event.receivedAt - left;
            assert.ok(delay >= HOLD_MS - 100, `${what} arrived ${delay} ms after the leave: it must be held ${HOLD_MS} ms`);
            assert.ok(delay < HOLD_MS + 5_000, `${what} arrived ${delay} ms after the leave, far later than ${HOLD_MS} ms`);
        }
        assertNoProblems();
    });

    it('sends nothing when the channel fills again or the member comes back within 3 s', { timeout: TEST_TIMEOUT_MS }, async () => {
        const socket = await connect();
        await socket.subscribePublic('wh-flap');
        const member = await connect();
        await subscribeSigned(member, 'presence-wh-flap', { user_id: 'wh-back', user_info: {} });
        await receiver.next({ name: 'channel_occupied', channel: 'wh-flap' });
        await receiver.next({ name: 'member_added', channel: 'presence-wh-flap', user_id: 'wh-back' });

        // A page reload: unsubscribe / disconnect, back 0.5 s later.
        socket.send('pusher:unsubscribe', { channel: 'wh-flap' });
        member.close();
        await sleep(500);
        await socket.subscribePublic('wh-flap');
        const again = await connect();
        await subscribeSigned(again, 'presence-wh-flap', { user_id: 'wh-back', user_info: {} });

        await sleep(HOLD_MS + 1_500);
        const about = (channel) => receiver.events.filter((e) => e.channel === channel).map((e) => e.name);
        assert.deepEqual(about('wh-flap'), ['channel_occupied'], 'webhooks for wh-flap');
        assert.deepEqual(about('presence-wh-flap').sort(), ['channel_occupied', 'member_added'], 'webhooks for presence-wh-flap');
        assert.equal(receiver.matching({ channel: 'presence-wh-flap', name: 'member_removed' }).length, 0);
        assert.equal(receiver.matching({ channel: 'presence-wh-flap', name: 'channel_vacated' }).length, 0);
        assertNoProblems();
    });

    it('delivers every event that happened while the receiver was down, once it is back', { timeout: TEST_TIMEOUT_MS }, async () => {
        const port = receiver.port;
        const requestsBefore = receiver.requests;
        await receiver.stop();
        const downAt = Date.now();

        const a = await connect();
        const b = await connect();
        await a.subscribePublic('wh-durable');
        await subscribeSigned(a, 'presence-wh-durable', { user_id: 'wh-durable-user', user_info: {} });
        await subscribeSigned(a, 'private-wh-durable');
        await subscribeSigned(b, 'private-wh-durable');
        a.send('client-while-down', { n: 1 }, 'private-wh-durable');
        await b.next('client-while-down', 'the client event relayed while the receiver is down');
        await a.subscribePublic('cache-wh-durable');
        await a.next((f) => f.event === 'pusher:cache_miss' && f.channel === 'cache-wh-durable', 'pusher:cache_miss');
        b.close(); // private-wh-durable keeps a, so no vacated

        // The other URL is not held up by the one that is down.
        await other.next({ name: 'cache_miss', channel: 'cache-wh-durable' });
        assert.ok(Date.now() - downAt < 5_000, 'the URL that is up got its webhooks late');

        // Long enough for the first attempts (at once, +0.5 s, +3 s) to fail.
        await sleep(Math.max(0, downAt + 6_000 - Date.now()));
        assert.equal(receiver.requests, requestsBefore, 'a request arrived while the receiver was stopped');
        await receiver.start(port);
        const upAt = Date.now();

        const expected = [
            { name: 'channel_occupied', channel: 'wh-durable' },
            { name: 'channel_occupied', channel: 'presence-wh-durable' },
            { name: 'member_added', channel: 'presence-wh-durable', user_id: 'wh-durable-user' },
            { name: 'channel_occupied', channel: 'private-wh-durable' },
            { name: 'client_event', channel: 'private-wh-durable', event: 'client-while-down', socket_id: a.socketId },
            { name: 'channel_occupied', channel: 'cache-wh-durable' },
            { name: 'cache_miss', channel: 'cache-wh-durable' },
        ];
        // The next retry is about 15.5 s after the first attempt.
        for (const fields of expected) {
            const event = await receiver.next(fields, 25_000);
            assert.ok(event.timeMs < upAt, `${JSON.stringify(fields)} was batched after the receiver came back`);
            assert.ok(event.timeMs >= downAt - 1_000, `${JSON.stringify(fields)} is older than the test`);
        }
        for (const fields of expected) {
            assert.equal(receiver.matching(fields).length, 1, `${JSON.stringify(fields)} delivered more than once`);
        }
        assertNoProblems();
    });
});
