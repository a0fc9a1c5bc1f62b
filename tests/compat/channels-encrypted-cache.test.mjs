// End-to-end encrypted channels and cache channels, as a Laravel Echo front
// end and a Node backend using the `pusher` SDK use them:
//
// - private-encrypted-: the backend's auth endpoint (a tiny node:http server
//   signing with the SDK, which adds shared_secret) and FlippDeal's own
//   /broadcasting/auth (shared_secret = base64(SHA256(channel + master key)));
//   events the SDK encrypts reach Echo decrypted, the server relays only
//   ciphertext, and client events (whisper) are refused.
//   https://pusher.com/docs/channels/using_channels/encrypted-channels/
// - cache-, private-cache-, presence-cache-, private-encrypted-cache-: the last
//   event is replayed to a new subscriber; pusher:cache_miss when there is none.
//   https://pusher.com/docs/channels/using_channels/cache-channels/
//
// Run: node --test channels-encrypted-cache.test.mjs   (needs FLIPPDEAL_SERVER_BIN)

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { after, before, describe, it } from 'node:test';

import Echo from 'laravel-echo';

import { deferred, sleep, withTimeout } from './lib/async.mjs';
import { connected, eventually, Pusher, pusherFor, recorder, sdkFor, subscribed, subscribeSigned } from './lib/clients.mjs';
import { PusherSocket } from './lib/pusher-socket.mjs';
import { APP_KEY, startServer } from './lib/server.mjs';

const TEST_TIMEOUT_MS = 30_000;
const MASTER_KEY = randomBytes(32).toString('base64');
const PASSWORD = 'correct horse battery staple';
/** The presence identity the test backend signs for. */
const BACKEND_USER = { user_id: 'enc-user-1', user_info: { name: 'Enc' } };

describe('encrypted and cache channels with Laravel Echo, pusher-js and the pusher SDK', () => {
    /** @type {import('./lib/server.mjs').FlippdealServer} */
    let server;
    /** The SDK as the backend holds it: with the same master key as the server. */
    let sdk;
    /** The backend's auth endpoint (node:http, signing with the SDK). */
    let backend;
    let backendUrl;
    const echos = [];
    const sockets = [];

    function echoFor(options) {
        const echo = new Echo({
            broadcaster: 'pusher',
            Pusher,
            key: APP_KEY,
            cluster: 'mt1',
            wsHost: '127.0.0.1',
            wsPort: server.port,
            forceTLS: false,
            enabledTransports: ['ws'],
            enableStats: false,
            ...options,
        });
        echos.push(echo);
        return echo;
    }

    /** Echo pointed at the test backend's auth endpoint, as a Laravel page is at /broadcasting/auth. */
    function backendEcho() {
        return echoFor({ authEndpoint: backendUrl });
    }

    async function rawSocket() {
        const socket = new PusherSocket(server.wsUrl());
        sockets.push(socket);
        await withTimeout(socket.opened, 'WebSocket handshake');
        await socket.established();
        return socket;
    }

    /** Echo channel → resolves when subscribed, rejects with the error pusher-js reports. */
    function echoSubscribed(channel, what) {
        const done = deferred();
        channel.subscribed(() => done.resolve());
        channel.error((err) => done.reject(new Error(`${what} refused: ${JSON.stringify(err)}`)));
        return withTimeout(done.promise, what);
    }

    before(async () => {
        server = await startServer(['--encryption-master-key', MASTER_KEY]);
        sdk = sdkFor(server, { encryptionMasterKeyBase64: MASTER_KEY });

        // A Node backend's auth route: POST socket_id & channel_name (form-encoded, as pusher-js sends them).
        backend = createServer((req, res) => {
            const chunks = [];
            req.on('data', (c) => chunks.push(c));
            req.on('end', () => {
                const form = new URLSearchParams(Buffer.concat(chunks).toString());
                const channel = form.get('channel_name');
                const presence = channel.startsWith('presence-') ? BACKEND_USER : undefined;
                try {
                    const body = JSON.stringify(sdk.authorizeChannel(form.get('socket_id'), channel, presence));
                    res.writeHead(200, { 'Content-Type': 'application/json' }).end(body);
                } catch (err) {
                    res.writeHead(403, { 'Content-Type': 'application/json' }).end(JSON.stringify({ message: err.message }));
                }
            });
        });
        await new Promise((resolve) => backend.listen(0, '127.0.0.1', resolve));
        backendUrl = `http://127.0.0.1:${backend.address().port}/pusher/auth`;
    });

    after(async () => {
        for (const echo of echos) echo.disconnect();
        for (const socket of sockets) socket.terminate();
        await server?.kill();
        backend?.closeAllConnections();
        await new Promise((resolve) => (backend ? backend.close(resolve) : resolve()));
    });

    describe('private-encrypted- channels', () => {
        it('Echo.encryptedPrivate() receives what the SDK encrypted; the wire carries only ciphertext', { timeout: TEST_TIMEOUT_MS }, async () => {
            const echo = backendEcho();
            const channel = echo.encryptedPrivate('vault');
            const received = deferred();
            channel.listen('.secret', (data) => received.resolve(data));
            await echoSubscribed(channel, 'private-encrypted-vault via Echo');

            // An eavesdropper with a valid signature but no shared secret.
            const spy = await rawSocket();
            await subscribeSigned(spy, 'private-encrypted-vault');

            const secret = { text: 'the password is swordfish', n: 42 };
            await sdk.trigger('private-encrypted-vault', 'secret', secret);

            assert.deepEqual(await withTimeout(received.promise, 'the decrypted event in Echo'), secret);
            const frame = await spy.next('secret', 'the encrypted frame on the raw socket');
            assert.equal(typeof frame.payload?.nonce, 'string', `data must be {nonce, ciphertext}: ${frame.data}`);
            assert.equal(typeof frame.payload?.ciphertext, 'string', `data must be {nonce, ciphertext}: ${frame.data}`);
            assert.ok(!frame.data.includes('swordfish'), 'the plaintext is on the wire');
            assert.equal(typeof frame.seq, 'number', 'events on encrypted channels carry seq');
        });

        it('decrypts an encrypted entry of an SDK triggerBatch', { timeout: TEST_TIMEOUT_MS }, async () => {
            const echo = backendEcho();
            const channel = echo.encryptedPrivate('batch-vault');
            const received = deferred();
            channel.listen('.batched', (data) => received.resolve(data));
            await echoSubscribed(channel, 'private-encrypted-batch-vault via Echo');
            await sdk.triggerBatch([
                { channel: 'batch-plain', name: 'batched', data: { plain: true } },
                { channel: 'private-encrypted-batch-vault', name: 'batched', data: { secret: 'batch' } },
            ]);
            assert.deepEqual(await withTimeout(received.promise, 'the decrypted batch entry'), { secret: 'batch' });
        });

        it('refuses client events (whisper) on an encrypted channel', { timeout: TEST_TIMEOUT_MS }, async () => {
            const echo = backendEcho();
            const channel = echo.encryptedPrivate('no-whisper');
            await echoSubscribed(channel, 'private-encrypted-no-whisper via Echo');
            const listener = await rawSocket();
            await subscribeSigned(listener, 'private-encrypted-no-whisper');

            // pusher-js refuses before sending...
            assert.throws(() => channel.whisper('typing', { x: 1 }), /not currently supported for encrypted channels/);

            // ...and the server refuses a client that sends it anyway.
            const pusher = echo.connector.pusher;
            const error = deferred();
            pusher.connection.bind('error', (err) => error.resolve(err));
            pusher.send_event('client-typing', { x: 1 }, 'private-encrypted-no-whisper');
            const err = await withTimeout(error.promise, 'pusher:error for a client event on an encrypted channel');
            assert.equal(err?.data?.code, 4302, JSON.stringify(err));

            // Nothing was relayed: a later server event arrives, the client event never does.
            await sdk.trigger('private-encrypted-no-whisper', 'marker', {});
            await listener.next('marker');
            await assert.rejects(listener.next('client-typing', 'client-typing (must not be relayed)', 0), /timed out/);
            assert.equal(pusher.connection.state, 'connected', 'the refusal must not close the connection');
        });

        it('FlippDeal /broadcasting/auth gives shared_secret for your own encrypted user channel, 403 for another\'s', { timeout: TEST_TIMEOUT_MS }, async () => {
            const alice = await server.register('alice', 'alice@enc.test', PASSWORD);
            const bob = await server.register('bob', 'bob@enc.test', PASSWORD);
            const channelName = `private-encrypted-user.${alice.user.id}`;

            const mine = await server.api('POST', '/broadcasting/auth', alice.token, { socket_id: '1234.5678', channel_name: channelName });
            assert.equal(mine.status, 200, mine.text);
            const expectedSecret = createHash('sha256').update(Buffer.concat([Buffer.from(channelName), Buffer.from(MASTER_KEY, 'base64')])).digest('base64');
            assert.equal(mine.body.shared_secret, expectedSecret, 'shared_secret = base64(SHA256(channel + master key))');
            assert.equal(mine.body.shared_secret, Buffer.from(sdk.channelSharedSecret(channelName)).toString('base64'), 'the SDK derives the same');
            assert.equal(mine.body.auth, sdk.authorizeChannel('1234.5678', channelName).auth);

            const theirs = await server.api('POST', '/broadcasting/auth', bob.token, { socket_id: '1234.5678', channel_name: channelName });
            assert.equal(theirs.status, 403, theirs.text);

            // And through Echo with a bearer token, as a FlippDeal page would.
            const echo = echoFor({
                authEndpoint: `${server.baseUrl}/broadcasting/auth`,
                auth: { headers: { Authorization: `Bearer ${alice.token}` } },
            });
            const channel = echo.encryptedPrivate(`user.${alice.user.id}`);
            const received = deferred();
            channel.listen('.note', (data) => received.resolve(data));
            await echoSubscribed(channel, `${channelName} via Echo and /broadcasting/auth`);
            await sdk.trigger(channelName, 'note', { for: 'alice' });
            assert.deepEqual(await withTimeout(received.promise, 'the decrypted note'), { for: 'alice' });

            const bobEcho = echoFor({
                authEndpoint: `${server.baseUrl}/broadcasting/auth`,
                auth: { headers: { Authorization: `Bearer ${bob.token}` } },
            });
            const refused = deferred();
            bobEcho.encryptedPrivate(`user.${alice.user.id}`).error((err) => refused.resolve(err));
            const err = await withTimeout(refused.promise, "Echo's error callback for bob on alice's encrypted channel");
            assert.equal(err.status, 403, JSON.stringify(err));
        });

        it('FlippDeal /broadcasting/auth refuses encrypted channels (403) on a server without a master key', { timeout: TEST_TIMEOUT_MS }, async () => {
            const plain = await startServer();
            try {
                const carol = await plain.register('carol', 'carol@enc.test', PASSWORD);
                const res = await plain.api('POST', '/broadcasting/auth', carol.token, {
                    socket_id: '1234.5678',
                    channel_name: `private-encrypted-user.${carol.user.id}`,
                });
                assert.equal(res.status, 403, res.text);
            } finally {
                await plain.kill();
            }
        });
    });

    describe('cache channels', () => {
        /** A pusher-js client signed by the test backend (SDK), for private/presence cache channels. */
        async function backendPusher() {
            const echo = backendEcho();
            const pusher = echo.connector.pusher;
            await connected(pusher);
            return pusher;
        }

        it('replays the last event to a new Echo subscriber, right after subscribing', { timeout: TEST_TIMEOUT_MS }, async () => {
            await sdk.trigger('cache-ticker', 'price', { p: 1 });
            await sdk.trigger('cache-ticker', 'price', { p: 2 }); // only the last one is kept

            const echo = backendEcho();
            const prices = [];
            const first = deferred();
            const channel = echo.channel('cache-ticker').listen('.price', (data) => {
                prices.push(data);
                first.resolve(Date.now());
            });
            let subscribedAt = 0;
            channel.subscribed(() => (subscribedAt = Date.now()));
            const at = await withTimeout(first.promise, 'the cached price');
            assert.deepEqual(prices, [{ p: 2 }]);
            assert.ok(subscribedAt > 0 && at - subscribedAt < 1_000, 'the cached event must follow the subscription at once');

            // Live events follow as usual, and the cache moves on.
            await sdk.trigger('cache-ticker', 'price', { p: 3 });
            await eventually(() => prices.length === 2, 'the live price after the cached one');
            assert.deepEqual(prices, [{ p: 2 }, { p: 3 }]);
        });

        it('replays on private-cache-, presence-cache- and private-encrypted-cache- channels', { timeout: TEST_TIMEOUT_MS }, async () => {
            await sdk.trigger(['private-cache-orders', 'presence-cache-lobby'], 'last', { n: 7 });
            await sdk.trigger('private-encrypted-cache-safe', 'last', { hidden: true });

            const pusher = await backendPusher();
            for (const [name, expected] of [
                ['private-cache-orders', { n: 7 }],
                ['presence-cache-lobby', { n: 7 }],
                ['private-encrypted-cache-safe', { hidden: true }],
            ]) {
                const channel = pusher.subscribe(name);
                const events = recorder(channel, ['last', 'pusher:cache_miss']);
                await subscribed(channel);
                const { data } = await events.next('last', () => true, `the cached event on ${name}`);
                assert.deepEqual(data, expected, name);
                assert.equal(events.count('pusher:cache_miss'), 0, `${name} also got pusher:cache_miss`);
            }
        });

        it('sends pusher:cache_miss on a cache channel that has no event yet', { timeout: TEST_TIMEOUT_MS }, async () => {
            const pusher = await backendPusher();
            for (const name of ['cache-nothing-yet', 'private-cache-nothing-yet', 'presence-cache-nothing-yet', 'private-encrypted-cache-nothing-yet']) {
                const channel = pusher.subscribe(name);
                const events = recorder(channel, ['pusher:cache_miss']);
                await subscribed(channel);
                await events.next('pusher:cache_miss', () => true, `pusher:cache_miss on ${name}`);
            }
            // Not on ordinary channels.
            const plain = pusher.subscribe('not-a-cache');
            const events = recorder(plain, ['pusher:cache_miss']);
            await subscribed(plain);
            await sleep(300);
            assert.equal(events.count('pusher:cache_miss'), 0, 'pusher:cache_miss on a channel without cache-');
        });
    });
});
