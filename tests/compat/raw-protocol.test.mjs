// Pusher Channels protocol 7 at the frame level, with the plain `ws` client,
// plus the Pusher HTTP API driven by the official `pusher` server SDK.
//
// These are the behaviours every Pusher client library relies on; see
// "Realtime: Pusher Channels protocol 7" and "Pusher HTTP API" in the
// contract (shared/docs/contract.md).
//
// Run: node --test raw-protocol.test.mjs   (needs FLIPPDEAL_SERVER_BIN)

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import PusherServer from 'pusher';

import { STEP_TIMEOUT_MS, withTimeout } from './lib/async.mjs';
import { containsCode, PusherSocket } from './lib/pusher-socket.mjs';
import { APP_ID, APP_KEY, APP_SECRET, startServer } from './lib/server.mjs';

const TEST_TIMEOUT_MS = 30_000;

describe('Pusher protocol 7 on the wire (ws client + pusher server SDK)', () => {
    /** @type {import('./lib/server.mjs').FlippdealServer} */
    let server;
    /** Every socket a test opened, closed in after() whatever happened. */
    const sockets = [];

    /** Open a connection to `key`'s app endpoint (tracked for cleanup). */
    function openSocket(key = APP_KEY) {
        const socket = new PusherSocket(server.wsUrl(key));
        sockets.push(socket);
        return socket;
    }

    /** Open a connection and wait until the server has said hello. */
    async function connect() {
        const socket = openSocket();
        await withTimeout(socket.opened, 'WebSocket handshake');
        await socket.established();
        return socket;
    }

    /** A `pusher` server SDK client pointed at our server. */
    function sdk(secret = APP_SECRET) {
        return new PusherServer({
            appId: APP_ID,
            key: APP_KEY,
            secret,
            host: '127.0.0.1',
            port: String(server.port),
            useTLS: false,
            timeout: STEP_TIMEOUT_MS,
        });
    }

    before(async () => {
        server = await startServer();
    });

    after(async () => {
        for (const socket of sockets) socket.terminate();
        await server?.kill();
    });

    it('sends pusher:connection_established with socket_id and activity_timeout', { timeout: TEST_TIMEOUT_MS }, async () => {
        const socket = openSocket();
        await withTimeout(socket.opened, 'WebSocket handshake');
        const hello = await socket.established();

        // Protocol 7: `data` is a JSON-encoded string, not an object.
        assert.equal(typeof hello.data, 'string', 'connection_established data must be a JSON string');
        const data = JSON.parse(hello.data);
        assert.match(data.socket_id, /^\d+\.\d+$/, 'socket_id must look like "123.456"');
        assert.equal(typeof data.activity_timeout, 'number', 'activity_timeout must be a number');
        assert.ok(data.activity_timeout > 0, 'activity_timeout must be positive');
    });

    it('answers pusher:ping with pusher:pong', { timeout: TEST_TIMEOUT_MS }, async () => {
        const socket = await connect();
        await socket.ping();
    });

    it('answers invalid JSON with pusher:error and keeps the connection open', { timeout: TEST_TIMEOUT_MS }, async () => {
        const socket = await connect();
        socket.sendRaw('{"event": "pusher:ping", this is not json');

        await socket.next('pusher:error', 'pusher:error after an invalid JSON frame');
        assert.ok(socket.isOpen, 'the connection must stay open after one bad frame');
        await socket.ping();
    });

    it('answers a frame over 10 KB with pusher:error and keeps the connection open', { timeout: TEST_TIMEOUT_MS }, async () => {
        const socket = await connect();
        socket.send('pusher:ping', { padding: 'x'.repeat(11 * 1024) });

        await socket.next('pusher:error', 'pusher:error after an 11 KB frame');
        assert.ok(socket.isOpen, 'the connection must stay open after one oversized frame');
        await socket.ping();
    });

    it('subscribes to a public channel', { timeout: TEST_TIMEOUT_MS }, async () => {
        const socket = await connect();
        const ok = await socket.subscribePublic('public-news');
        assert.equal(ok.channel, 'public-news');
    });

    const badChannelNames = {
        'with a space and "!"': 'bad channel!',
        'of 165 characters (limit is 164)': 'a'.repeat(165),
    };
    for (const [label, channel] of Object.entries(badChannelNames)) {
        it(`refuses a channel name ${label} with a 4009 error and stays up`, { timeout: TEST_TIMEOUT_MS }, async () => {
            const socket = await connect();
            socket.send('pusher:subscribe', { channel });

            // Pusher servers differ in which frame they use for this; both are
            // fine for pusher-js as long as the 4009 code is there.
            const error = await socket.next(
                (f) => f.event === 'pusher:subscription_error' || f.event === 'pusher:error',
                'pusher:subscription_error or pusher:error for a bad channel name',
            );
            assert.ok(
                containsCode(error.payload, 4009),
                `expected code/status 4009 in the error data, got ${JSON.stringify(error.data)}`,
            );
            assert.ok(socket.isOpen, 'a bad channel name must not close the connection');
            await socket.ping();
        });
    }

    it('refuses an unknown app key with pusher:error 4001, then closes', { timeout: TEST_TIMEOUT_MS }, async () => {
        const socket = openSocket('nope');
        await withTimeout(socket.opened, 'WebSocket handshake for an unknown key (the error belongs in a frame)');

        const error = await socket.next('pusher:error', 'pusher:error for an unknown app key');
        assert.ok(
            containsCode(error.payload, 4001),
            `expected code 4001 in the error data, got ${JSON.stringify(error.data)}`,
        );
        const { code } = await withTimeout(socket.closed, 'the server closing the connection after error 4001');
        assert.equal(code, 4001, 'the close code must be 4001 too');
    });

    it('refuses a client event on a public channel with pusher:error', { timeout: TEST_TIMEOUT_MS }, async () => {
        const socket = await connect();
        await socket.subscribePublic('public-news');
        socket.send('client-hello', { text: 'hi' }, 'public-news');

        await socket.next('pusher:error', 'pusher:error for a client event on a public channel');
    });

    it('delivers an event triggered with the pusher server SDK', { timeout: TEST_TIMEOUT_MS }, async () => {
        const socket = await connect();
        await socket.subscribePublic('public-news');

        const res = await withTimeout(
            sdk().trigger('public-news', 'news-event', { a: 1 }),
            'POST /apps/compat-app/events via the pusher SDK',
        );
        assert.equal(res.status, 200);

        const frame = await socket.next('news-event', 'the triggered news-event');
        assert.equal(frame.channel, 'public-news');
        // What pusher-js receives: the data exactly as the SDK encoded it.
        assert.equal(frame.data, '{"a":1}');
    });

    it('rejects an HTTP API call signed with the wrong secret (401)', { timeout: TEST_TIMEOUT_MS }, async () => {
        const socket = await connect();
        await socket.subscribePublic('public-news');

        await assert.rejects(
            withTimeout(sdk('wrong-secret').trigger('public-news', 'forged-event', { evil: true }), 'forged trigger'),
            (err) => {
                assert.equal(err.status, 401, `expected status 401, got ${err.status}: ${err.message} ${err.body ?? ''}`);
                return true;
            },
        );

        // The forged event must not have been delivered. Events on one channel
        // arrive in order, so once a correctly signed marker arrives, anything
        // the forged call had published would already be here.
        await sdk().trigger('public-news', 'marker-event', {});
        await socket.next('marker-event', 'the marker event after the forged one');
        await assert.rejects(
            socket.next('forged-event', 'forged-event (must never arrive)', 0),
            /timed out/,
            'the event signed with a wrong secret was delivered',
        );
    });

    it('closes connections with code 1001 and exits 0 on SIGTERM', { timeout: TEST_TIMEOUT_MS }, async () => {
        const socket = await connect();

        await server.stop(); // rejects unless the exit code is 0
        const { code } = await withTimeout(socket.closed, 'the connection closing on SIGTERM');
        assert.equal(code, 1001, 'connections must be closed with 1001 (going away) on a clean stop');
    });
});
