// pusher-js and Laravel Echo reconnecting after a server restart: the server
// stops (close 1001), starts again on the same port with the same database,
// and the clients come back by themselves, get a new socket_id, authorize
// again and re-subscribe every channel (public, private through
// /broadcasting/auth with the same bearer token, presence signed by the SDK),
// then receive events as before.
//
// Run: node --test reconnect.test.mjs   (needs FLIPPDEAL_SERVER_BIN)

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import Echo from 'laravel-echo';

import { eventually, Pusher, pusherFor, recorder, sdkChannelAuthorization, sdkFor } from './lib/clients.mjs';
import { APP_KEY, startServer } from './lib/server.mjs';

const TEST_TIMEOUT_MS = 50_000;
// Normally about 1 s; up to ~16 s if pusher-js tries while the server is still starting.
const RECONNECT_TIMEOUT_MS = 35_000;
const PASSWORD = 'correct horse battery staple';

describe('reconnecting after a server restart', () => {
    let dataDir;
    let database;
    /** @type {import('./lib/server.mjs').FlippdealServer} */
    let server;
    let port;
    let alice;
    let echo;
    let pusher;
    const servers = [];

    before(async () => {
        dataDir = await mkdtemp(path.join(tmpdir(), 'flippdeal-compat-restart-'));
        database = `sqlite:${path.join(dataDir, 'flippdeal.sqlite')}`;
        server = await startServer(['--database', database]);
        servers.push(server);
        port = server.port;
        alice = await server.register('alice', 'alice@restart.test', PASSWORD);
    });

    after(async () => {
        echo?.disconnect();
        pusher?.disconnect();
        for (const srv of servers) await srv.kill();
        await rm(dataDir, { recursive: true, force: true });
    });

    it('Echo and pusher-js come back, re-authorize and re-subscribe, and receive events again', { timeout: TEST_TIMEOUT_MS }, async () => {
        echo = new Echo({
            broadcaster: 'pusher',
            Pusher,
            key: APP_KEY,
            cluster: 'mt1',
            wsHost: '127.0.0.1',
            wsPort: port,
            forceTLS: false,
            enabledTransports: ['ws'],
            enableStats: false,
            authEndpoint: `http://127.0.0.1:${port}/broadcasting/auth`,
            auth: { headers: { Authorization: `Bearer ${alice.token}` } },
        });
        const echoPusher = echo.connector.pusher;
        let sdk = sdkFor(server);
        pusher = pusherFor(server, {
            channelAuthorization: sdkChannelAuthorization(sdk, { user_id: 'restart-user', user_info: { name: 'R' } }),
        });

        // Count subscription_succeeded per channel: it must fire again after the restart.
        const subscriptions = {};
        const track = (channel, name) => {
            subscriptions[name] = 0;
            channel.bind('pusher:subscription_succeeded', () => (subscriptions[name] += 1));
            return recorder(channel, ['Ping']);
        };
        const userChannel = `private-user.${alice.user.id}`;
        const news = track(echo.channel('restart-news').subscription, 'restart-news');
        const inbox = track(echo.private(`user.${alice.user.id}`).subscription, userChannel);
        const room = track(pusher.subscribe('presence-restart'), 'presence-restart');
        const allSubscribed = (n) => Object.values(subscriptions).every((count) => count >= n);
        await eventually(allSubscribed.bind(null, 1), `the first subscriptions: ${JSON.stringify(subscriptions)}`);

        const firstIds = [echoPusher.connection.socket_id, pusher.connection.socket_id];
        await sdk.trigger(['restart-news', userChannel, 'presence-restart'], 'Ping', { round: 1 });
        for (const events of [news, inbox, room]) await events.next('Ping', (d) => d.round === 1);

        const states = [];
        echoPusher.connection.bind('state_change', ({ current }) => states.push(current));

        await server.stop(); // close 1001 to every client
        // Back at once: pusher-js retries 1 s after the close; an attempt that finds no
        // server makes its (Node) strategy wait out a 15 s timeout before the next one.
        const restarting = startServer(['--database', database, '--listen', `127.0.0.1:${port}`]);
        restarting.then((srv) => servers.push(srv), () => {});
        server = await restarting;
        sdk = sdkFor(server);

        for (const [who, client, oldId] of [['Echo', echoPusher, firstIds[0]], ['pusher-js', pusher, firstIds[1]]]) {
            await eventually(
                () => client.connection.state === 'connected' && client.connection.socket_id !== oldId,
                `${who} reconnecting to the restarted server (state ${client.connection.state})`,
                RECONNECT_TIMEOUT_MS,
            );
        }
        assert.notDeepEqual([echoPusher.connection.socket_id, pusher.connection.socket_id], firstIds, 'new connections get new socket ids');
        assert.ok(states.includes('connecting'), `Echo's states after the stop: ${states}`);
        await eventually(allSubscribed.bind(null, 2), `every channel re-subscribed: ${JSON.stringify(subscriptions)}`, 15_000);
        assert.equal(room.received.length, 1);
        assert.equal(pusher.channel('presence-restart').members.count, 1, 'the presence channel lists its member again');

        await sdk.trigger(['restart-news', userChannel, 'presence-restart'], 'Ping', { round: 2 });
        for (const [name, events] of [['restart-news', news], [userChannel, inbox], ['presence-restart', room]]) {
            await events.next('Ping', (d) => d.round === 2, `round 2 on ${name} after the restart`);
        }
    });
});
