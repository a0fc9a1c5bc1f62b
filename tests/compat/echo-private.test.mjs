// Laravel Echo 2 + pusher-js 8 (the libraries a web page of the original
// system uses) against flippdeal-server: channel authorization through
// /broadcasting/auth, private user channels, presence channels, and the
// MessageSent / MessageRead events of the messaging API.
//
// See "Messaging", "Marketplace" and "Realtime" in the contract
// (shared/docs/contract.md).
//
// Run: node --test echo-private.test.mjs   (needs FLIPPDEAL_SERVER_BIN)

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import Echo from 'laravel-echo';
import Pusher from 'pusher-js';

import { deferred, sleep, withTimeout } from './lib/async.mjs';
import { APP_KEY, startServer } from './lib/server.mjs';

const TEST_TIMEOUT_MS = 40_000;
const PASSWORD = 'correct horse battery staple';
const ISO_UTC_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

// pusher-js is silent unless asked; FLIPPDEAL_COMPAT_VERBOSE=1 shows its log.
Pusher.logToConsole = Boolean(process.env.FLIPPDEAL_COMPAT_VERBOSE);

describe('Laravel Echo 2 + pusher-js 8 against flippdeal-server', () => {
    /** @type {import('./lib/server.mjs').FlippdealServer} */
    let server;
    /** @type {{user: any, token: string}} */
    let alice;
    /** @type {{user: any, token: string}} */
    let bob;
    /** Echo instances connected as alice and bob, each subscribed to its own user channel. */
    let aliceEcho;
    let bobEcho;
    /** Events received on the users' own private channels (see inbox()). */
    let aliceInbox;
    let bobInbox;
    /** Every Echo instance created, disconnected in after() whatever happened. */
    const echos = [];

    /**
     * A Laravel Echo client configured the way a page of the original system
     * configures it, pointed at our server and authenticated with `token`.
     */
    function connectEcho(token) {
        const echo = new Echo({
            broadcaster: 'pusher',
            Pusher,
            key: APP_KEY,
            cluster: 'mt1', // required by pusher-js, unused with wsHost
            wsHost: '127.0.0.1',
            wsPort: server.port,
            forceTLS: false,
            enabledTransports: ['ws'],
            enableStats: false, // never talk to stats.pusher.com
            authEndpoint: `${server.baseUrl}/broadcasting/auth`,
            auth: { headers: { Authorization: `Bearer ${token}` } },
        });
        echos.push(echo);
        return echo;
    }

    /**
     * Resolve when Echo's channel is subscribed; reject with pusher-js's error
     * (e.g. {type: 'AuthError', status: 403}) when the subscription is refused.
     */
    function subscribed(channel, what) {
        const result = deferred();
        channel.subscribed(() => result.resolve());
        channel.error((err) => result.reject(new Error(`subscription to ${what} refused: ${JSON.stringify(err)}`)));
        return withTimeout(result.promise, `subscription to ${what}`);
    }

    /**
     * Record every `eventName` event on an Echo channel, so a test can wait
     * for one even if it arrived before the test started waiting.
     *
     * The server broadcasts bare event names ("MessageSent"). Echo would
     * otherwise prefix names with its default namespace "App.Events"; a
     * leading dot tells Echo 2 to use the name as is (EventFormatter.format).
     */
    function inbox(channel, eventNames) {
        const received = [];
        const waiters = [];
        for (const eventName of eventNames) {
            channel.listen(`.${eventName}`, (payload) => {
                const event = { eventName, payload };
                const waiter = waiters.find((w) => w.match(event));
                if (waiter) {
                    waiters.splice(waiters.indexOf(waiter), 1);
                    waiter.resolve(event.payload);
                } else {
                    received.push(event);
                }
            });
        }
        return {
            /** Wait for (and consume) the first `eventName` event whose payload satisfies `match`. */
            next(eventName, match, what) {
                const pred = (e) => e.eventName === eventName && match(e.payload);
                const i = received.findIndex(pred);
                if (i >= 0) return Promise.resolve(received.splice(i, 1)[0].payload);
                const waiter = { ...deferred(), match: pred };
                waiters.push(waiter);
                return withTimeout(waiter.promise, what);
            },
        };
    }

    before(async () => {
        server = await startServer();
        alice = await server.register('alice', 'alice@example.test', PASSWORD);
        bob = await server.register('bob', 'bob@example.test', PASSWORD);

        aliceEcho = connectEcho(alice.token);
        bobEcho = connectEcho(bob.token);

        const aliceChannel = aliceEcho.private(`user.${alice.user.id}`);
        const bobChannel = bobEcho.private(`user.${bob.user.id}`);
        aliceInbox = inbox(aliceChannel, ['MessageSent', 'MessageRead']);
        bobInbox = inbox(bobChannel, ['MessageSent', 'MessageRead']);
        // Bind both before awaiting either: bob's subscription may complete while alice's is
        // being awaited, and a callback bound after the fact never fires.
        await Promise.all([
            subscribed(aliceChannel, `private-user.${alice.user.id} as alice`),
            subscribed(bobChannel, `private-user.${bob.user.id} as bob`),
        ]);
    });

    after(async () => {
        for (const echo of echos) echo.disconnect();
        await server?.kill();
    });

    it('delivers MessageSent to the recipient and the sender, with the stored message', { timeout: TEST_TIMEOUT_MS }, async () => {
        const res = await server.api('POST', '/api/messages', alice.token, {
            to_user_id: bob.user.id,
            body: 'Hello <b>Bob</b>',
        });
        assert.equal(res.status, 201, `POST /api/messages: ${res.text}`);
        const message = res.body.message;
        assert.equal(message.body, 'Hello Bob', 'HTML tags must be stripped from the body');
        assert.equal(message.from_user_id, alice.user.id);
        assert.equal(message.to_user_id, bob.user.id);
        assert.equal(message.read_at, null);
        assert.match(message.created_at, ISO_UTC_MS);

        const sameMessage = (p) => p?.message?.id === message.id;
        const toBob = await bobInbox.next('MessageSent', sameMessage, `MessageSent ${message.id} on bob's channel`);
        assert.equal(toBob.message.from_user_id, alice.user.id);
        assert.equal(toBob.message.to_user_id, bob.user.id);
        assert.equal(toBob.message.body, 'Hello Bob');
        assert.equal(toBob.message.read_at, null);

        // The contract sends MessageSent to the sender's channel too (other tabs).
        const toAlice = await aliceInbox.next('MessageSent', sameMessage, `MessageSent ${message.id} on alice's channel`);
        assert.equal(toAlice.message.body, 'Hello Bob');
    });

    it("refuses bob's subscription to alice's private channel (403 from /broadcasting/auth)", { timeout: TEST_TIMEOUT_MS }, async () => {
        const channelName = `user.${alice.user.id}`;
        const outcome = deferred();
        bobEcho
            .private(channelName)
            .subscribed(() => outcome.reject(new Error(`bob was allowed into private-${channelName}`)))
            .error((err) => outcome.resolve(err));

        try {
            const err = await withTimeout(outcome.promise, `Echo .error() for private-${channelName} as bob`);
            // pusher-js reports a failed auth request as {type: 'AuthError', error, status}.
            assert.equal(err.type, 'AuthError', JSON.stringify(err));
            assert.equal(err.status, 403, JSON.stringify(err));
        } finally {
            bobEcho.leaveChannel(`private-${channelName}`);
        }
    });

    it('delivers MessageRead to the sender when the recipient marks a message read', { timeout: TEST_TIMEOUT_MS }, async () => {
        const sent = await server.api('POST', '/api/messages', alice.token, {
            to_user_id: bob.user.id,
            body: 'Did you read this?',
        });
        assert.equal(sent.status, 201, `POST /api/messages: ${sent.text}`);
        const id = sent.body.message.id;

        // Only the recipient may mark a message read.
        const byAlice = await server.api('PATCH', `/api/messages/${id}/read`, alice.token);
        assert.equal(byAlice.status, 403, `PATCH .../read by the sender: ${byAlice.text}`);

        const read = await server.api('PATCH', `/api/messages/${id}/read`, bob.token);
        assert.equal(read.status, 200, `PATCH /api/messages/${id}/read: ${read.text}`);
        assert.equal(read.body.message.id, id);
        assert.match(read.body.message.read_at ?? '', ISO_UTC_MS, 'read_at must be set');

        const event = await aliceInbox.next(
            'MessageRead',
            (p) => p?.message?.id === id,
            `MessageRead ${id} on alice's channel`,
        );
        assert.notEqual(event.message.read_at, null, 'MessageRead must carry read_at');
        assert.match(event.message.read_at, ISO_UTC_MS);
    });

    describe('presence-auction channels', () => {
        let domainId;

        before(async () => {
            const res = await server.api('POST', '/api/domains', alice.token, {
                name: 'compat-auction.example',
                enable_bidding: true,
                min_increment_cents: 100,
                ends_at: new Date(Date.now() + 60 * 60 * 1000).toISOString(),
            });
            assert.equal(res.status, 201, `POST /api/domains: ${res.text}`);
            assert.equal(res.body.domain.status, 'active');
            domainId = res.body.domain.id;
        });

        /**
         * Join `presence-auction.{id}` through Echo and record here/joining/leaving.
         * Echo hands these callbacks the members' user_info ({name}).
         */
        function joinAuction(echo, who) {
            const here = deferred();
            const joined = [];
            const left = [];
            const channel = echo
                .join(`auction.${domainId}`)
                .here((users) => here.resolve(users))
                .joining((user) => joined.push(user))
                .leaving((user) => left.push(user))
                .error((err) => here.reject(new Error(`presence join refused for ${who}: ${JSON.stringify(err)}`)));
            return {
                channel,
                joined,
                left,
                here: withTimeout(here.promise, `presence-auction.${domainId} here() for ${who}`),
                /** pusher-js's member list, keyed by the user_id string from channel_data. */
                members: () => channel.subscription.members,
            };
        }

        /** Poll `condition` every 20 ms until it holds, failing after ~10 s with `what`. */
        async function eventually(condition, what) {
            await withTimeout(
                (async () => {
                    while (!condition()) await sleep(20);
                })(),
                what,
            );
        }

        const names = (users) => users.map((u) => u.name).sort();

        it('shows bob alice joining and leaving', { timeout: TEST_TIMEOUT_MS }, async () => {
            const bobView = joinAuction(bobEcho, 'bob');
            assert.deepEqual(names(await bobView.here), ['bob']);
            assert.equal(bobView.members().me?.id, String(bob.user.id), 'channel_data.user_id must be the user id as a string');

            // A second connection for alice, so disconnecting it leaves her other tests alone.
            const alicePresenceEcho = connectEcho(alice.token);
            const aliceView = joinAuction(alicePresenceEcho, 'alice');
            assert.deepEqual(names(await aliceView.here), ['alice', 'bob']);

            await eventually(() => bobView.joined.length > 0, 'bob seeing alice join');
            assert.deepEqual(bobView.joined, [{ name: 'alice' }]);
            assert.ok(bobView.members().get(String(alice.user.id)), "alice's user_id must be in bob's member list");

            alicePresenceEcho.disconnect();
            await eventually(() => bobView.left.length > 0, 'bob seeing alice leave after she disconnected');
            assert.deepEqual(bobView.left, [{ name: 'alice' }]);
            assert.equal(bobView.members().count, 1);

            bobEcho.leave(`auction.${domainId}`);
        });

        it('counts a user with two connections as one member', { timeout: TEST_TIMEOUT_MS }, async () => {
            const bobView = joinAuction(bobEcho, 'bob');
            assert.deepEqual(names(await bobView.here), ['bob']);

            const aliceTab1 = connectEcho(alice.token);
            const aliceTab2 = connectEcho(alice.token);
            await joinAuction(aliceTab1, 'alice (tab 1)').here;
            await eventually(() => bobView.joined.length > 0, 'bob seeing alice join');
            const tab2Here = await joinAuction(aliceTab2, 'alice (tab 2)').here;
            assert.deepEqual(names(tab2Here), ['alice', 'bob'], 'alice must appear once in here()');

            // Closing one of alice's two connections must not remove her.
            aliceTab1.disconnect();
            await sleep(500);
            assert.deepEqual(bobView.left, [], 'member_removed sent while alice still had a connection');

            aliceTab2.disconnect();
            await eventually(() => bobView.left.length > 0, "bob seeing alice leave after her last connection closed");
            assert.deepEqual(bobView.joined, [{ name: 'alice' }], 'member_added must be sent once per user');
            assert.deepEqual(bobView.left, [{ name: 'alice' }]);

            bobEcho.leave(`auction.${domainId}`);
        });
    });

    it('stops cleanly on SIGTERM (exit code 0)', { timeout: TEST_TIMEOUT_MS }, async () => {
        for (const echo of echos) echo.disconnect();
        await server.stop(); // rejects unless the exit code is 0
    });
});
