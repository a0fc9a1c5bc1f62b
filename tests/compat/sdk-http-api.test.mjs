// The Pusher HTTP API as a Node backend uses it: the official `pusher` server
// SDK (trigger, triggerBatch, get, terminateUserConnections) against
// flippdeal-server, with pusher-js clients on the receiving end.
//
// Every endpoint of https://pusher.com/docs/channels/library_auth_reference/rest-api/
// that FlippDeal implements: events (one and many channels, socket_id
// exclusion, info, the 10 KB limit), batch_events, channel info, the channel
// list, presence users, terminate_connections, and signature checks (401).
//
// Run: node --test sdk-http-api.test.mjs   (needs FLIPPDEAL_SERVER_BIN)

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { deferred, sleep, withTimeout } from './lib/async.mjs';
import {
    connected,
    eventually,
    pusherFor,
    recorder,
    sdkChannelAuthorization,
    sdkFor,
    signedEventsTarget,
    subscribed,
} from './lib/clients.mjs';
import { APP_ID, APP_KEY, APP_SECRET, startServer } from './lib/server.mjs';

const TEST_TIMEOUT_MS = 30_000;

describe('Pusher HTTP API with the pusher server SDK', () => {
    /** @type {import('./lib/server.mjs').FlippdealServer} */
    let server;
    /** @type {import('pusher')} */
    let sdk;
    /** Every pusher-js client created, disconnected in after(). */
    const clients = [];

    /**
     * A pusher-js client whose private/presence subscriptions are signed by
     * the SDK, as a Node backend's auth route would; `user` is the presence
     * identity ({user_id, user_info}).
     */
    async function connectClient(user = { user_id: 'u-default', user_info: { name: 'Default' } }, extra = {}) {
        const pusher = pusherFor(server, { channelAuthorization: sdkChannelAuthorization(sdk, user), ...extra });
        clients.push(pusher);
        await connected(pusher);
        return pusher;
    }

    /** Subscribe and record `eventNames` on the channel; resolves once subscribed. */
    async function listen(pusher, channelName, eventNames) {
        const channel = pusher.subscribe(channelName);
        const events = recorder(channel, eventNames);
        await subscribed(channel);
        return events;
    }

    /** Parsed JSON body of an SDK response (a node-fetch Response). */
    async function json(res) {
        assert.equal(res.status, 200);
        return res.json();
    }

    /** Expect the SDK promise to reject with HTTP `status`. */
    async function rejectsWith(promise, status, what) {
        await assert.rejects(withTimeout(promise, what), (err) => {
            assert.equal(err.status, status, `${what}: expected ${status}, got ${err.status}: ${err.message} ${err.body ?? ''}`);
            return true;
        });
    }

    before(async () => {
        server = await startServer(['--app-id', APP_ID, '--app-key', APP_KEY, '--app-secret', APP_SECRET]);
        sdk = sdkFor(server);
    });

    after(async () => {
        for (const pusher of clients) pusher.disconnect();
        await server?.kill();
    });

    it('trigger to one channel reaches a pusher-js subscriber with the data as sent', { timeout: TEST_TIMEOUT_MS }, async () => {
        const pusher = await connectClient();
        const events = await listen(pusher, 'sdk-one', ['greeting']);

        await sdk.trigger('sdk-one', 'greeting', { text: 'hello', n: 1 });
        const { data } = await events.next('greeting');
        assert.deepEqual(data, { text: 'hello', n: 1 });
    });

    it('trigger to several channels (public, private, presence) reaches each of them', { timeout: TEST_TIMEOUT_MS }, async () => {
        const pusher = await connectClient({ user_id: 'u-multi', user_info: {} });
        const names = ['sdk-many-a', 'private-sdk-many-b', 'presence-sdk-many-c'];
        const recorders = await Promise.all(names.map((name) => listen(pusher, name, ['multi'])));

        await sdk.trigger(names, 'multi', { to: 'all' });
        for (const [i, events] of recorders.entries()) {
            const { data } = await events.next('multi', () => true, `"multi" on ${names[i]}`);
            assert.deepEqual(data, { to: 'all' }, names[i]);
        }
    });

    it('accepts 100 channels in one trigger and refuses 101 with 400', { timeout: TEST_TIMEOUT_MS }, async () => {
        const pusher = await connectClient();
        const events = await listen(pusher, 'sdk-hundred-99', ['wide']);
        const hundred = Array.from({ length: 100 }, (_, i) => `sdk-hundred-${i}`);

        await sdk.trigger(hundred, 'wide', { ok: true });
        await events.next('wide', () => true, '"wide" on the 100th channel');

        // The SDK refuses 101 channels before sending; post the body by hand to test the server.
        const body = { name: 'wide', data: '{}', channels: [...hundred, 'sdk-hundred-100'] };
        await rejectsWith(sdk.post({ path: '/events', body }), 400, 'POST /events with 101 channels');
    });

    it('does not send the event to the connection named by socket_id', { timeout: TEST_TIMEOUT_MS }, async () => {
        const sender = await connectClient();
        const other = await connectClient();
        // Public channels are broadcast at once; private ones go through the outbox (stored, seq).
        for (const channel of ['sdk-exclude', 'private-sdk-exclude']) {
            const senderEvents = await listen(sender, channel, ['excluded', 'marker']);
            const otherEvents = await listen(other, channel, ['excluded', 'marker']);

            await sdk.trigger(channel, 'excluded', { n: 1 }, { socket_id: sender.connection.socket_id });
            await otherEvents.next('excluded', () => true, `the other connection getting the event on ${channel}`);

            // Events on one channel arrive in order: once the marker is in, the excluded one would be too.
            await sdk.trigger(channel, 'marker', {});
            await senderEvents.next('marker', () => true, `the marker on the excluded connection on ${channel}`);
            assert.equal(senderEvents.count('excluded'), 0, `the connection named by socket_id got the event on ${channel}`);
        }
    });

    it('answers info=subscription_count,user_count with the per-channel attributes', { timeout: TEST_TIMEOUT_MS }, async () => {
        const a = await connectClient({ user_id: 'info-1', user_info: {} });
        const b = await connectClient({ user_id: 'info-2', user_info: {} });
        const c = await connectClient({ user_id: 'info-2', user_info: {} }); // same user, second connection
        for (const pusher of [a, b]) await listen(pusher, 'sdk-info', []);
        for (const pusher of [a, b, c]) await listen(pusher, 'presence-sdk-info', []);

        const body = await json(
            await sdk.trigger(['sdk-info', 'presence-sdk-info'], 'counted', {}, { info: 'subscription_count,user_count' }),
        );
        assert.deepEqual(body, {
            channels: {
                'sdk-info': { subscription_count: 2 },
                'presence-sdk-info': { subscription_count: 3, user_count: 2 },
            },
        });

        // Without info, the reply is an empty object.
        assert.deepEqual(await json(await sdk.trigger('sdk-info', 'counted', {})), {});
    });

    it('delivers a batch of 10 in order, answers info per entry, and refuses 11 with 400', { timeout: TEST_TIMEOUT_MS }, async () => {
        const pusher = await connectClient({ user_id: 'batcher', user_info: {} });
        const pub = await listen(pusher, 'sdk-batch', ['item']);
        const priv = await listen(pusher, 'private-sdk-batch', ['item']);

        const batch = Array.from({ length: 10 }, (_, i) => ({
            channel: i % 2 ? 'private-sdk-batch' : 'sdk-batch',
            name: 'item',
            data: { i },
        }));
        batch[3].info = 'subscription_count';
        const body = await json(await sdk.triggerBatch(batch));
        assert.equal(body.batch?.length, 10, `batch reply: ${JSON.stringify(body)}`);
        assert.deepEqual(body.batch[3], { subscription_count: 1 });
        assert.deepEqual(body.batch[0], {});

        await eventually(() => pub.count('item') === 5 && priv.count('item') === 5, 'all 10 batch events arriving');
        assert.deepEqual(pub.received.map((e) => e.data.i), [0, 2, 4, 6, 8]);
        assert.deepEqual(priv.received.map((e) => e.data.i), [1, 3, 5, 7, 9]);

        const eleven = Array.from({ length: 11 }, (_, i) => ({ channel: 'sdk-batch', name: 'too-many', data: { i } }));
        await rejectsWith(sdk.triggerBatch(eleven), 400, 'a batch of 11');
        await sdk.trigger('sdk-batch', 'item', { i: 'marker' });
        await pub.next('item', (d) => d.i === 'marker', 'the marker after the refused batch');
        assert.equal(pub.count('too-many'), 0, 'an event of the refused batch was delivered');
    });

    it('reports channel info: occupied, subscription_count, and user_count on presence', { timeout: TEST_TIMEOUT_MS }, async () => {
        const a = await connectClient({ user_id: 'ci-1', user_info: {} });
        const b = await connectClient({ user_id: 'ci-1', user_info: {} });
        const c = await connectClient({ user_id: 'ci-2', user_info: {} });
        await listen(a, 'sdk-chinfo', []);
        for (const pusher of [a, b, c]) await listen(pusher, 'presence-sdk-chinfo', []);

        const pub = await json(await sdk.get({ path: '/channels/sdk-chinfo', params: { info: 'subscription_count' } }));
        assert.deepEqual(pub, { occupied: true, subscription_count: 1 });

        const presence = await json(
            await sdk.get({ path: '/channels/presence-sdk-chinfo', params: { info: 'subscription_count,user_count' } }),
        );
        assert.deepEqual(presence, { occupied: true, subscription_count: 3, user_count: 2 });

        const empty = await json(await sdk.get({ path: '/channels/sdk-nobody-here' }));
        assert.deepEqual(empty, { occupied: false });

        await rejectsWith(
            sdk.get({ path: '/channels/sdk-chinfo', params: { info: 'user_count' } }),
            400,
            'user_count on a public channel',
        );
    });

    it('lists occupied channels, filter_by_prefix and info=user_count', { timeout: TEST_TIMEOUT_MS }, async () => {
        const a = await connectClient({ user_id: 'list-1', user_info: {} });
        const b = await connectClient({ user_id: 'list-2', user_info: {} });
        await listen(a, 'sdklist-public', []);
        await listen(a, 'presence-sdklist-room', []);
        await listen(b, 'presence-sdklist-room', []);

        const all = await json(await sdk.get({ path: '/channels' }));
        assert.ok(all.channels['sdklist-public'], `sdklist-public missing from ${JSON.stringify(all)}`);
        assert.ok(all.channels['presence-sdklist-room'], `presence-sdklist-room missing from ${JSON.stringify(all)}`);

        const filtered = await json(await sdk.get({ path: '/channels', params: { filter_by_prefix: 'sdklist-' } }));
        assert.deepEqual(filtered, { channels: { 'sdklist-public': {} } });

        const presence = await json(
            await sdk.get({ path: '/channels', params: { filter_by_prefix: 'presence-sdklist-', info: 'user_count' } }),
        );
        assert.deepEqual(presence, { channels: { 'presence-sdklist-room': { user_count: 2 } } });

        await rejectsWith(
            sdk.get({ path: '/channels', params: { filter_by_prefix: 'sdklist-', info: 'user_count' } }),
            400,
            'info=user_count without a presence- prefix',
        );
    });

    it('lists the users of a presence channel, each once', { timeout: TEST_TIMEOUT_MS }, async () => {
        const a = await connectClient({ user_id: 'alice-1', user_info: { name: 'Alice' } });
        const a2 = await connectClient({ user_id: 'alice-1', user_info: { name: 'Alice' } });
        const b = await connectClient({ user_id: 'bob-2', user_info: { name: 'Bob' } });
        for (const pusher of [a, a2, b]) await listen(pusher, 'presence-sdk-users', []);

        const body = await json(await sdk.get({ path: '/channels/presence-sdk-users/users' }));
        assert.deepEqual(
            body.users.map((u) => u.id).sort(),
            ['alice-1', 'bob-2'],
            `users: ${JSON.stringify(body)}`,
        );
        await rejectsWith(sdk.get({ path: '/channels/sdk-one/users' }), 400, '/users of a public channel');
    });

    it('accepts data of exactly 10 KB and refuses 10 KB + 1 byte with 413', { timeout: TEST_TIMEOUT_MS }, async () => {
        const pusher = await connectClient();
        const events = await listen(pusher, 'sdk-size', ['big', 'too-big', 'marker']);

        // A string is sent as is, so `data` is exactly this many bytes.
        await sdk.trigger('sdk-size', 'big', 'x'.repeat(10 * 1024));
        const { data } = await events.next('big');
        assert.equal(data.length, 10 * 1024);

        await rejectsWith(sdk.trigger('sdk-size', 'too-big', 'x'.repeat(10 * 1024 + 1)), 413, 'data of 10 241 bytes');
        await sdk.trigger('sdk-size', 'marker', {});
        await events.next('marker');
        assert.equal(events.count('too-big'), 0, 'the refused event was delivered');
    });

    it('refuses a wrong secret, a stale timestamp and a wrong body_md5 with 401', { timeout: TEST_TIMEOUT_MS }, async () => {
        const pusher = await connectClient();
        const events = await listen(pusher, 'sdk-auth', ['forged', 'marker']);

        const forger = sdkFor(server, { secret: 'not-the-secret' });
        await rejectsWith(forger.trigger('sdk-auth', 'forged', {}), 401, 'trigger signed with a wrong secret');
        await rejectsWith(forger.get({ path: '/channels' }), 401, 'GET /channels signed with a wrong secret');
        await rejectsWith(forger.terminateUserConnections('someone'), 401, 'terminate_connections with a wrong secret');

        // Sign by hand to control auth_timestamp and body_md5.
        async function signedPost(body, { timestamp, md5Of = body } = {}) {
            return fetch(`${server.baseUrl}${signedEventsTarget(body, { timestamp, md5Of })}`, {
                method: 'POST',
                headers: { 'Content-Type': 'application/json' },
                body,
                signal: AbortSignal.timeout(10_000),
            });
        }
        const body = JSON.stringify({ name: 'forged', channels: ['sdk-auth'], data: '{}' });
        // The time is read right before each signature, and the stale and future ones are well
        // outside the 600 s window: a second ticking over between the awaits changes nothing.
        const now = () => Math.floor(Date.now() / 1000);
        assert.equal((await signedPost(body, { timestamp: now() })).status, 200, 'the hand-made signature must be right');
        // The 200 above delivered one "forged"; everything after must not.
        await events.next('forged', () => true, 'the correctly signed hand-made event');
        const stale = await signedPost(body, { timestamp: now() - 610 });
        assert.equal(stale.status, 401, `stale auth_timestamp: ${await stale.text()}`);
        const future = await signedPost(body, { timestamp: now() + 610 });
        assert.equal(future.status, 401, `auth_timestamp 610 s ahead: ${await future.text()}`);
        const md5 = await signedPost(body, { timestamp: now(), md5Of: '{}' });
        assert.equal(md5.status, 401, `body_md5 of another body: ${await md5.text()}`);

        await sdk.trigger('sdk-auth', 'marker', {});
        await events.next('marker');
        assert.equal(events.count('forged'), 1, 'an event with a bad signature was delivered');
    });

    it('accepts identical calls within the same second, and refuses the same signed request later as a replay', { timeout: TEST_TIMEOUT_MS }, async () => {
        const pusher = await connectClient();
        const events = await listen(pusher, 'sdk-replay', ['tick', 'marker']);

        // The SDK signs with the time in whole seconds and no nonce: the same call twice in a
        // row is usually the very same request, and both must go through.
        await sdk.trigger('sdk-replay', 'tick', { same: true });
        await sdk.trigger('sdk-replay', 'tick', { same: true });
        await eventually(() => events.count('tick') === 2, 'both identical SDK triggers delivered');

        // One signed URL, sent twice at once (as two SDK calls in one second are), then again
        // after the 2 s grace: that third one is a replay.
        const body = JSON.stringify({ name: 'tick', channels: ['sdk-replay'], data: '{"same":"url"}' });
        const url = `${server.baseUrl}${signedEventsTarget(body)}`;
        const post = () => fetch(url, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body,
            signal: AbortSignal.timeout(10_000),
        });
        assert.equal((await post()).status, 200, 'the signed request');
        const firstAnswered = Date.now();
        assert.equal((await post()).status, 200, 'the identical request right after it');
        await eventually(() => events.count('tick') === 4, 'both identical hand-signed requests delivered');

        await sleep(Math.max(0, 2_500 - (Date.now() - firstAnswered)));
        const replay = await post();
        const text = await replay.text();
        assert.equal(replay.status, 401, `the replay: ${text}`);
        assert.match(JSON.parse(text).message, /already used/);
        await sdk.trigger('sdk-replay', 'marker', {});
        await events.next('marker');
        assert.equal(events.count('tick'), 4, 'the replay was delivered');
    });

    it('terminate_connections closes a signed-in user\'s connections (4009) and no one else\'s', { timeout: TEST_TIMEOUT_MS }, async () => {
        const userId = 'term-42';
        /** A client that signs in as `id` through pusher.signin(), signed by the SDK. */
        async function signedIn(id) {
            const pusher = await connectClient(
                { user_id: id, user_info: {} },
                {
                    userAuthentication: {
                        customHandler: ({ socketId }, callback) =>
                            callback(null, sdk.authenticateUser(socketId, { id, user_info: { name: id } })),
                    },
                },
            );
            const signedInOk = deferred();
            pusher.connection.bind('message', (event) => {
                if (event.event === 'pusher:signin_success') signedInOk.resolve();
            });
            pusher.signin();
            await withTimeout(signedInOk.promise, `pusher:signin_success for ${id}`);
            return pusher;
        }
        const tab1 = await signedIn(userId);
        const tab2 = await signedIn(userId);
        const bystander = await signedIn('term-other');
        // A presence member with the same user id (not signed in) is that user too.
        const member = await connectClient({ user_id: userId, user_info: {} });
        await listen(member, 'presence-sdk-term', []);

        const errors = [tab1, tab2, member].map((pusher) => {
            const error = deferred();
            pusher.connection.bind('error', (err) => error.resolve(err));
            return error.promise;
        });

        const res = await sdk.terminateUserConnections(userId);
        assert.equal(res.status, 200);

        for (const [i, error] of errors.entries()) {
            const err = await withTimeout(error, `pusher-js error event on connection ${i} of ${userId}`);
            assert.equal(err?.data?.code, 4009, `expected pusher:error 4009, got ${JSON.stringify(err)}`);
        }
        // 4000-4099: pusher-js must not reconnect.
        for (const [i, pusher] of [tab1, tab2, member].entries()) {
            await eventually(
                () => pusher.connection.state === 'disconnected',
                `connection ${i} of ${userId} leaving "connected" for "disconnected" (now ${pusher.connection.state})`,
            );
        }
        await sleep(300);
        assert.equal(bystander.connection.state, 'connected', 'another user was disconnected too');
        assert.equal(tab1.connection.state, 'disconnected', 'pusher-js reconnected after 4009');

        // Unknown users: nothing to do, still 200.
        assert.equal((await sdk.terminateUserConnections('nobody-at-all')).status, 200);
    });
});
