// User authentication (https://pusher.com/docs/channels/using_channels/user-authentication/):
// pusher-js `userAuthentication` against FlippDeal's POST /broadcasting/user-auth
// with a bearer token, pusher.signin(), and events the `pusher` SDK sends to
// that user with sendToUser() (channel #server-to-user-{id}); a forged sign-in
// is refused with 4009 and the connection closed.
//
// Run: node --test signin.test.mjs   (needs FLIPPDEAL_SERVER_BIN)

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { deferred, sleep, withTimeout } from './lib/async.mjs';
import { connected, eventually, hmacHex, pusherFor, recorder, sdkFor } from './lib/clients.mjs';
import { PusherSocket } from './lib/pusher-socket.mjs';
import { APP_KEY, APP_SECRET, startServer } from './lib/server.mjs';

const TEST_TIMEOUT_MS = 30_000;
const PASSWORD = 'correct horse battery staple';

describe('pusher:signin with pusher-js and /broadcasting/user-auth', () => {
    /** @type {import('./lib/server.mjs').FlippdealServer} */
    let server;
    let sdk;
    let alice;
    let bob;
    const clients = [];
    const sockets = [];

    /** A pusher-js client that signs in through FlippDeal's endpoint with `token`. */
    function clientFor(token) {
        const pusher = pusherFor(server, {
            userAuthentication: {
                endpoint: `${server.baseUrl}/broadcasting/user-auth`,
                transport: 'ajax',
                headers: { Authorization: `Bearer ${token}` },
            },
        });
        clients.push(pusher);
        return pusher;
    }

    /** pusher.signin(), then wait for signin_success and the #server-to-user- subscription. */
    async function signIn(pusher, who) {
        const success = deferred();
        pusher.connection.bind('message', (event) => {
            if (event.event === 'pusher:signin_success') success.resolve(event.data);
        });
        pusher.user.bind('pusher:signin_error', (err) => success.reject(new Error(`signin of ${who} failed: ${JSON.stringify(err)}`)));
        await connected(pusher);
        pusher.signin();
        const data = await withTimeout(success.promise, `pusher:signin_success for ${who}`);
        await eventually(() => pusher.user.serverToUserChannel?.subscribed, `${who}'s #server-to-user- subscription`);
        return data;
    }

    before(async () => {
        server = await startServer();
        sdk = sdkFor(server);
        alice = await server.register('alice', 'alice@signin.test', PASSWORD);
        bob = await server.register('bob', 'bob@signin.test', PASSWORD);
    });

    after(async () => {
        for (const pusher of clients) pusher.disconnect();
        for (const socket of sockets) socket.terminate();
        await server?.kill();
    });

    it('signs in with /broadcasting/user-auth and receives sdk.sendToUser() events; others do not', { timeout: TEST_TIMEOUT_MS }, async () => {
        const aliceClient = clientFor(alice.token);
        const bobClient = clientFor(bob.token);
        const signin = await signIn(aliceClient, 'alice');
        await signIn(bobClient, 'bob');

        const userData = JSON.parse(signin.user_data);
        assert.equal(userData.id, String(alice.user.id), 'user_data.id must be the user id as a string');
        assert.equal(aliceClient.user.user_data.id, String(alice.user.id));
        assert.equal(aliceClient.user.serverToUserChannel.name, `#server-to-user-${alice.user.id}`);

        const aliceEvents = recorder(aliceClient.user, ['my-event']);
        const bobEvents = recorder(bobClient.user, ['my-event']);
        await sdk.sendToUser(String(alice.user.id), 'my-event', { hello: 'alice' });
        const { data } = await aliceEvents.next('my-event', () => true, "alice's my-event via pusher.user.bind");
        assert.deepEqual(data, { hello: 'alice' });

        await sdk.sendToUser(String(bob.user.id), 'my-event', { hello: 'bob' });
        await bobEvents.next('my-event', (d) => d.hello === 'bob', "bob's my-event");
        assert.deepEqual(bobEvents.received.map((e) => e.data), [{ hello: 'bob' }], 'bob got an event meant for alice');
        assert.equal(aliceEvents.count('my-event'), 1, 'alice got an event meant for bob');
    });

    it('reaches every signed-in connection of the user', { timeout: TEST_TIMEOUT_MS }, async () => {
        const tabs = [clientFor(alice.token), clientFor(alice.token)];
        for (const [i, tab] of tabs.entries()) await signIn(tab, `alice (tab ${i + 1})`);
        const recorders = tabs.map((tab) => recorder(tab.user, ['both-tabs']));
        await sdk.sendToUser(String(alice.user.id), 'both-tabs', { n: 1 });
        for (const [i, events] of recorders.entries()) await events.next('both-tabs', () => true, `both-tabs on tab ${i + 1}`);
    });

    it('refuses /broadcasting/user-auth without a bearer token (401)', { timeout: TEST_TIMEOUT_MS }, async () => {
        const res = await server.api('POST', '/broadcasting/user-auth', null, { socket_id: '123.456' });
        assert.equal(res.status, 401, res.text);
        const bad = await server.api('POST', '/broadcasting/user-auth', alice.token, { socket_id: 'nope' });
        assert.equal(bad.status, 422, bad.text);
    });

    it('refuses #server-to-user-{id} to a connection that is not signed in as {id}', { timeout: TEST_TIMEOUT_MS }, async () => {
        const socket = new PusherSocket(server.wsUrl());
        sockets.push(socket);
        await withTimeout(socket.opened, 'WebSocket handshake');
        await socket.established();
        const channel = `#server-to-user-${alice.user.id}`;
        socket.send('pusher:subscribe', { channel });
        const refused = await socket.next('pusher:subscription_error', `pusher:subscription_error for ${channel}`);
        assert.equal(refused.channel, channel);
        assert.equal(refused.data.status, 403, JSON.stringify(refused.data));

        // Signed in as bob, alice's channel is still refused.
        const userData = JSON.stringify({ id: String(bob.user.id), user_info: {} });
        socket.send('pusher:signin', {
            auth: `${APP_KEY}:${hmacHex(APP_SECRET, `${socket.socketId}::user::${userData}`)}`,
            user_data: userData,
        });
        await socket.next('pusher:signin_success');
        socket.send('pusher:subscribe', { channel });
        await socket.next('pusher:subscription_error', `pusher:subscription_error for ${channel} as bob`);
        socket.send('pusher:subscribe', { channel: `#server-to-user-${bob.user.id}` });
        await socket.next('pusher_internal:subscription_succeeded', "bob's own #server-to-user- channel");
    });

    it('answers a forged sign-in with pusher:error 4009 and closes the connection', { timeout: TEST_TIMEOUT_MS }, async () => {
        const pusher = pusherFor(server, {
            userAuthentication: {
                // A client that makes up its own identity instead of asking the backend.
                customHandler: (_params, callback) =>
                    callback(null, { auth: `${APP_KEY}:${'0'.repeat(64)}`, user_data: JSON.stringify({ id: String(alice.user.id) }) }),
            },
        });
        clients.push(pusher);
        await connected(pusher);
        const error = deferred();
        pusher.connection.bind('error', (err) => error.resolve(err));
        const signedIn = deferred();
        pusher.connection.bind('message', (e) => e.event === 'pusher:signin_success' && signedIn.resolve());
        pusher.signin();

        const err = await withTimeout(error.promise, 'pusher-js error event after a forged sign-in');
        assert.equal(err?.data?.code, 4009, JSON.stringify(err));
        await eventually(() => pusher.connection.state === 'disconnected', `pusher-js leaving "connected" (now ${pusher.connection.state})`);
        await sleep(300);
        assert.equal(pusher.connection.state, 'disconnected', 'pusher-js must not reconnect after 4009');
        await assert.rejects(withTimeout(signedIn.promise, 'forged signin_success', 0), /timed out/);
    });
});
