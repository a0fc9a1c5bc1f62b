// Publish order with several requests in flight: a Node backend triggering
// through the official `pusher` SDK on 8 keep-alive connections at once must
// see its events delivered in the order the server received them.
//
// Each trigger is written to its connection only after the one before it was
// written to its own (the SDK call order is the write order), so the server
// receives them in index order; every subscriber must then see 0, 1, 2, ...
// with none missing and none swapped. A server that serves ready connections
// in descriptor order instead of arrival order swaps about a fifth of them.
//
// Run: node --test publish-order.test.mjs   (needs FLIPPDEAL_SERVER_BIN)

import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';

import { withTimeout } from './lib/async.mjs';
import { connected, eventually, pusherFor, recorder, sdkChannelAuthorization, sdkFor, signedEventsTarget, subscribed } from './lib/clients.mjs';
import { APP_ID, APP_KEY, APP_SECRET, startServer } from './lib/server.mjs';

const EVENTS = 3000;
const IN_FLIGHT = 8;
const SUBSCRIBERS = 4;

describe('publish order with requests in flight', () => {
    let server;
    const clients = [];

    before(async () => {
        server = await startServer(['--app-id', APP_ID, '--app-key', APP_KEY, '--app-secret', APP_SECRET]);
    });

    after(async () => {
        for (const pusher of clients) pusher.disconnect();
        await server?.kill();
    });

    /**
     * Publishes EVENTS `tick`s on `channelName` through `trigger(index)`, IN_FLIGHT at a time
     * (each lane sends the next index as soon as its previous one is answered), and checks that
     * every one of SUBSCRIBERS pusher-js clients gets 0, 1, 2, ... with none missing or swapped.
     * `pusherOptions` go to each subscriber's pusher-js client (channel authorization).
     */
    async function publishInOrder(channelName, trigger, pusherOptions = {}) {
        const recorders = [];
        for (let i = 0; i < SUBSCRIBERS; ++i) {
            const pusher = pusherFor(server, pusherOptions);
            clients.push(pusher);
            await connected(pusher);
            const channel = pusher.subscribe(channelName);
            recorders.push(recorder(channel, ['tick']));
            await subscribed(channel);
        }
        let next = 0;
        const lane = async () => {
            while (next < EVENTS) {
                const index = next++;
                const status = await trigger(index);
                assert.equal(status, 200, `trigger ${index}: HTTP ${status}`);
            }
        };
        await withTimeout(Promise.all(Array.from({ length: IN_FLIGHT }, lane)), 'the triggers', 90_000);

        for (const [s, events] of recorders.entries()) {
            await eventually(() => events.received.length === EVENTS, `subscriber ${s} got ${EVENTS} events`, 20_000);
            const indexes = events.received.map((event) => event.data.index);
            const swapped = indexes.filter((index, i) => i > 0 && index < indexes[i - 1]);
            assert.equal(
                swapped.length,
                0,
                `subscriber ${s}: ${swapped.length} of ${EVENTS} events arrived after a later one ` +
                    `(${swapped.slice(0, 10).join(', ')}${swapped.length > 10 ? ', ...' : ''})`,
            );
            assert.deepEqual(indexes, Array.from({ length: EVENTS }, (_, i) => i), `subscriber ${s}: every event once, in order`);
        }
    }

    it(`keeps the order of ${EVENTS} events sent ${IN_FLIGHT} at a time on raw keep-alive connections`, { timeout: 120_000 }, async () => {
        const publisher = rawPublisher(server, IN_FLIGHT);
        try {
            await publishInOrder('publish-order-raw', (index) =>
                publisher.send(JSON.stringify({ name: 'tick', channel: 'publish-order-raw', data: JSON.stringify({ index }) })),
            );
        } finally {
            publisher.close();
        }
    });

    it(`keeps the order of ${EVENTS} events the pusher SDK sends ${IN_FLIGHT} at a time`, { timeout: 120_000 }, async () => {
        const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
        const sockets = new Set();
        agent.on('free', (socket) => sockets.add(socket));
        const sdk = sdkFor(server);
        sdk.config.agent = agent;
        try {
            await publishInOrder('publish-order-sdk', async (index) => (await sdk.trigger('publish-order-sdk', 'tick', { index })).status);
            assert.ok(sockets.size > 1, `the triggers went out on ${sockets.size} connection(s), not several`);
        } finally {
            agent.destroy();
        }
    });

    it(`keeps the order of ${EVENTS} events on a private channel, stored through the writer thread`, { timeout: 120_000 }, async () => {
        const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
        const sdk = sdkFor(server);
        sdk.config.agent = agent;
        try {
            await publishInOrder(
                'private-publish-order',
                async (index) => (await sdk.trigger('private-publish-order', 'tick', { index })).status,
                { channelAuthorization: sdkChannelAuthorization(sdk) },
            );
        } finally {
            agent.destroy();
        }
    });
});

/**
 * A publisher on `count` raw keep-alive connections: send(body) writes one signed
 * `POST /apps/{id}/events` with a single write() on the first idle connection (so the
 * kernel has the requests in the order send() was called) and resolves with the status.
 */
function rawPublisher(server, count) {
    const lanes = [];
    const idle = [];
    const waiting = [];
    for (let i = 0; i < count; ++i) {
        const socket = net.connect(server.port, '127.0.0.1');
        socket.setNoDelay(true);
        const lane = { socket, buffer: '', pending: null };
        socket.setEncoding('latin1');
        socket.on('data', (chunk) => {
            lane.buffer += chunk;
            // Answers are small and carry Content-Length.
            const head = lane.buffer.indexOf('\r\n\r\n');
            if (head < 0) return;
            const length = Number(/content-length: *(\d+)/i.exec(lane.buffer.slice(0, head))?.[1] ?? 0);
            if (lane.buffer.length < head + 4 + length) return;
            const status = Number(lane.buffer.slice(9, 12));
            lane.buffer = lane.buffer.slice(head + 4 + length);
            const resolve = lane.pending;
            lane.pending = null;
            resolve(status);
            release(lane);
        });
        lanes.push(lane);
        idle.push(lane);
    }
    function release(lane) {
        const next = waiting.shift();
        if (next) next(lane);
        else idle.push(lane);
    }
    return {
        async send(body) {
            const lane = idle.shift() ?? (await new Promise((resolve) => waiting.push(resolve)));
            const answered = new Promise((resolve) => (lane.pending = resolve));
            lane.socket.write(
                `POST ${signedEventsTarget(body)} HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
                    `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
            );
            return answered;
        },
        close() {
            for (const lane of lanes) lane.socket.destroy();
        },
    };
}
