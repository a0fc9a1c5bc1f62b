// pusher-js against the connection caps: a client over `max-connections-per-ip`
// completes its handshake, gets pusher:error 4100 ("over capacity"), backs off
// and tries again by itself, and connects once a place is free. A plain HTTP
// request over the cap gets 503 with Retry-After and a JSON message.
//
// Run: node --test capacity.test.mjs   (needs FLIPPDEAL_SERVER_BIN)

import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';

import { withTimeout } from './lib/async.mjs';
import { connected, eventually, pusherFor } from './lib/clients.mjs';
import { startServer } from './lib/server.mjs';

const TEST_TIMEOUT_MS = 40_000;

/** GET `path` on a connection of its own that is not kept alive. */
function getOnce(server, path) {
    return new Promise((resolve, reject) => {
        const req = request(
            { host: '127.0.0.1', port: server.port, path, agent: false, headers: { Connection: 'close' } },
            (res) => {
                let body = '';
                res.setEncoding('utf8');
                res.on('data', (chunk) => (body += chunk));
                res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
            },
        );
        req.on('error', reject);
        req.end();
    });
}

describe('connection caps', () => {
    /** @type {import('./lib/server.mjs').FlippdealServer} */
    let server;
    const clients = [];

    before(async () => {
        server = await startServer(['--max-connections-per-ip', '2']);
    });

    after(async () => {
        for (const client of clients) client.disconnect();
        await server?.kill();
    });

    it('pusher-js over the per-address cap gets 4100, backs off and connects once there is room', { timeout: TEST_TIMEOUT_MS }, async () => {
        for (let i = 0; i < 2; ++i) {
            const client = pusherFor(server);
            clients.push(client);
            await connected(client, `client ${i + 1} connecting`);
        }

        const http = await getOnce(server, '/health');
        assert.equal(http.status, 503);
        assert.ok(Number(http.headers['retry-after']) > 0, 'Retry-After');
        assert.match(JSON.parse(http.body).message, /too many connections/i);

        const third = pusherFor(server);
        clients.push(third);
        const errors = [];
        // pusher-js reports it as {type: 'WebSocketError', error: {type: 'PusherError', data}}.
        third.connection.bind('error', (error) => errors.push(error?.error?.data ?? error?.data));
        const states = [];
        third.connection.bind('state_change', ({ current }) => states.push(current));
        const retries = [];
        third.connection.bind('connecting_in', (seconds) => retries.push(seconds));
        await eventually(() => errors.some((data) => data?.code === 4100), 'pusher:error 4100 reported to pusher-js');
        await eventually(() => retries.length > 0, 'pusher-js scheduling a retry (backoff)');
        assert.ok(!states.includes('failed'), `pusher-js keeps trying (states: ${states.join(', ')})`);
        assert.notEqual(third.connection.state, 'connected');

        clients[0].disconnect(); // a place frees up
        await withTimeout(connected(third, 'the third client connecting after backing off'), 'reconnect', 20_000);
        assert.ok(third.connection.socket_id);
    });
});
