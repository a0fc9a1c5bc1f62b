// Every error and close code flippdeal-server sends, provoked on the wire with
// the plain `ws` client (and node:net / node:http where `ws` cannot misbehave
// enough). The codes are those of the Pusher protocol
// (https://pusher.com/docs/channels/library_auth_reference/pusher-websockets-protocol/#error-codes);
// PROTOCOL.md "Error and close codes" says when this server uses each.
//
// Already covered by raw-protocol.test.mjs and not repeated here: 4001 for an
// unknown app key, 4009 (InvalidChannel) for bad channel names, 1001 on
// SIGTERM.
//
// Run: node --test raw-errors.test.mjs   (needs FLIPPDEAL_SERVER_BIN)

import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect as tcpConnect } from 'node:net';
import { after, before, describe, it } from 'node:test';

import { sleep, withTimeout } from './lib/async.mjs';
import { channelAuth, hmacHex, sdkFor, subscribeSigned } from './lib/clients.mjs';
import { PusherSocket } from './lib/pusher-socket.mjs';
import { APP_KEY, APP_SECRET, startServer } from './lib/server.mjs';

const TEST_TIMEOUT_MS = 30_000;

describe('error and close codes on the wire', () => {
    /** @type {import('./lib/server.mjs').FlippdealServer} */
    let server;
    const servers = [];
    const sockets = [];

    function open(url) {
        const socket = new PusherSocket(url);
        sockets.push(socket);
        return socket;
    }

    /** Open a connection to `srv` and wait for connection_established. */
    async function connect(srv = server) {
        const socket = open(srv.wsUrl());
        await withTimeout(socket.opened, 'WebSocket handshake');
        await socket.established();
        return socket;
    }

    async function extraServer(args) {
        const srv = await startServer(args);
        servers.push(srv);
        return srv;
    }

    /** The next pusher:error frame; asserts its data is {code, message}. */
    async function nextError(socket, code, what) {
        const frame = await socket.next('pusher:error', `pusher:error ${code} for ${what}`);
        assert.equal(typeof frame.data, 'object', `pusher:error data must be an object: ${JSON.stringify(frame)}`);
        assert.equal(frame.data.code, code, `${what}: expected code ${code}, got ${JSON.stringify(frame.data)}`);
        assert.equal(typeof frame.data.message, 'string', `${what}: message`);
        return frame;
    }

    /** pusher:error `code`, then the close frame with the same code. */
    async function errorThenClose(socket, code, what) {
        await withTimeout(socket.opened, `WebSocket handshake (${what})`);
        await nextError(socket, code, what);
        const closed = await withTimeout(socket.closed, `the close after ${what}`);
        assert.equal(closed.code, code, `${what}: close code`);
    }

    before(async () => {
        server = await startServer();
    });

    after(async () => {
        for (const socket of sockets) socket.terminate();
        await Promise.all([server, ...servers].map((srv) => srv?.kill()));
    });

    describe('refused before or at the handshake', () => {
        /** An upgrade request by hand; resolves with the HTTP status and body when it is refused. */
        function upgrade(headers) {
            return withTimeout(
                new Promise((resolve, reject) => {
                    const req = request({
                        host: server.host,
                        port: server.port,
                        path: `/app/${APP_KEY}?protocol=7`,
                        headers: { Connection: 'Upgrade', Upgrade: 'websocket', ...headers },
                    });
                    req.on('upgrade', (res, socket) => {
                        socket.destroy();
                        resolve({ status: res.statusCode, body: '' });
                    });
                    req.on('response', (res) => {
                        let body = '';
                        res.on('data', (c) => (body += c));
                        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
                    });
                    req.on('error', reject);
                    req.end();
                }),
                'the answer to a hand-made upgrade request',
            );
        }

        it('answers a WebSocket version other than 13 with HTTP 426', { timeout: TEST_TIMEOUT_MS }, async () => {
            const res = await upgrade({ 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version': '8' });
            assert.equal(res.status, 426, res.body);
            assert.equal(res.headers['sec-websocket-version'], '13');
        });

        it('answers an upgrade without Sec-WebSocket-Key with HTTP 400', { timeout: TEST_TIMEOUT_MS }, async () => {
            const res = await upgrade({ 'Sec-WebSocket-Version': '13' });
            assert.equal(res.status, 400, res.body);
        });

        for (const path of ['/ws', '/app', `/app/${APP_KEY}/extra`, `/apps/${APP_KEY}`]) {
            it(`sends 4005 and closes for the path ${path}`, { timeout: TEST_TIMEOUT_MS }, async () => {
                await errorThenClose(open(`ws://${server.host}:${server.port}${path}?protocol=7`), 4005, `path ${path}`);
            });
        }

        for (const protocol of ['8', '4', 'abc', '']) {
            it(`sends 4007 and closes for protocol=${JSON.stringify(protocol)}`, { timeout: TEST_TIMEOUT_MS }, async () => {
                // Pusher documents 4006 (bad version string) for "abc"; this server uses 4007 for all.
                const url = `ws://${server.host}:${server.port}/app/${APP_KEY}?protocol=${protocol}&client=js`;
                await errorThenClose(open(url), 4007, `protocol=${protocol}`);
            });
        }

        for (const query of ['protocol=5', 'protocol=6', 'client=js']) {
            it(`accepts ${query} (no 4007, and no 4008 for a missing protocol)`, { timeout: TEST_TIMEOUT_MS }, async () => {
                const socket = open(`ws://${server.host}:${server.port}/app/${APP_KEY}?${query}`);
                await withTimeout(socket.opened, 'WebSocket handshake');
                await socket.established();
                await socket.ping();
            });
        }
    });

    describe('4009: not authorized', () => {
        it('refuses a private subscription with a wrong signature (pusher:subscription_error, AuthError 401)', { timeout: TEST_TIMEOUT_MS }, async () => {
            const socket = await connect();
            socket.send('pusher:subscribe', { channel: 'private-errors', auth: `${APP_KEY}:${'0'.repeat(64)}` });
            const frame = await socket.next('pusher:subscription_error');
            assert.equal(frame.channel, 'private-errors');
            assert.deepEqual({ type: frame.data.type, status: frame.data.status }, { type: 'AuthError', status: 401 });

            // Signed for another socket: refused too.
            socket.send('pusher:subscribe', { channel: 'private-errors', auth: channelAuth('1.1', 'private-errors') });
            assert.equal((await socket.next('pusher:subscription_error')).data.status, 401);
            // No auth at all.
            socket.send('pusher:subscribe', { channel: 'presence-errors' });
            assert.equal((await socket.next('pusher:subscription_error')).data.status, 401);
            assert.ok(socket.isOpen, 'a refused subscription must not close the connection');
            await socket.ping();
        });

        it('refuses presence channel_data without a user_id (AuthError 400), even when signed', { timeout: TEST_TIMEOUT_MS }, async () => {
            const socket = await connect();
            const channelData = JSON.stringify({ user_info: { name: 'nobody' } });
            socket.send('pusher:subscribe', {
                channel: 'presence-errors',
                auth: channelAuth(socket.socketId, 'presence-errors', channelData),
                channel_data: channelData,
            });
            const frame = await socket.next('pusher:subscription_error');
            assert.deepEqual({ type: frame.data.type, status: frame.data.status }, { type: 'AuthError', status: 400 });
        });

        it('answers a client event on a channel the connection is not subscribed to with 4009, and stays open', { timeout: TEST_TIMEOUT_MS }, async () => {
            const socket = await connect();
            socket.send('client-sneak', { x: 1 }, 'private-not-mine');
            await nextError(socket, 4009, 'a client event on an unsubscribed channel');
            await socket.ping();
        });

        it('answers a sign-in with a wrong signature with 4009 and closes with 4009', { timeout: TEST_TIMEOUT_MS }, async () => {
            const socket = await connect();
            socket.send('pusher:signin', { auth: `${APP_KEY}:${'0'.repeat(64)}`, user_data: JSON.stringify({ id: '1' }) });
            await errorThenClose(socket, 4009, 'a forged pusher:signin');
        });

        it('answers a correctly signed sign-in whose user_data has no id with 4009 and closes', { timeout: TEST_TIMEOUT_MS }, async () => {
            const socket = await connect();
            const userData = JSON.stringify({ user_info: { name: 'no id' } });
            const auth = `${APP_KEY}:${hmacHex(APP_SECRET, `${socket.socketId}::user::${userData}`)}`;
            socket.send('pusher:signin', { auth, user_data: userData });
            await errorThenClose(socket, 4009, 'pusher:signin without user_data.id');
        });
    });

    describe('4302: invalid message (the connection stays open)', () => {
        const cases = {
            'invalid JSON': (s) => s.sendRaw('{"event": "pusher:ping", oops'),
            'a JSON array': (s) => s.sendRaw('[1, 2, 3]'),
            'an object without "event"': (s) => s.sendRaw('{"data": {}}'),
            'a non-string "channel"': (s) => s.sendRaw('{"event": "client-x", "channel": 5, "data": {}}'),
            'pusher:subscribe without data.channel': (s) => s.send('pusher:subscribe', {}),
            'pusher:unsubscribe without data.channel': (s) => s.send('pusher:unsubscribe', {}),
            'an unsupported pusher: event': (s) => s.send('pusher:dance', {}),
            'an event that is not pusher: or client-': (s) => s.send('MessageSent', {}),
            'a binary message': (s) => s.sendBinary(Buffer.from('{"event":"pusher:ping","data":{}}')),
            'a client event on a public channel': async (s) => {
                await s.subscribePublic('public-errors');
                s.send('client-x', {}, 'public-errors');
            },
            'a frame over 10 KB (and under 64 KB)': (s) => s.send('pusher:ping', { pad: 'x'.repeat(60 * 1024) }),
        };
        for (const [what, provoke] of Object.entries(cases)) {
            it(`answers ${what} with pusher:error 4302`, { timeout: TEST_TIMEOUT_MS }, async () => {
                const socket = await connect();
                await provoke(socket);
                await nextError(socket, 4302, what);
                assert.ok(socket.isOpen, 'the connection must stay open');
                await socket.ping();
            });
        }
    });

    it('closes with 4200 after more than 50 undecodable frames', { timeout: TEST_TIMEOUT_MS }, async () => {
        const socket = await connect();
        for (let i = 0; i < 50; i++) socket.sendRaw('not json');
        await socket.ping(); // 50 are tolerated
        assert.equal(socket.take((f) => f.event === 'pusher:error' && f.data?.code === 4302).length, 50);
        socket.sendRaw('not json');
        const { code } = await withTimeout(socket.closed, 'the close after the 51st bad frame');
        assert.equal(code, 4200);
    });

    it('relays client events up to the rate limit and answers the rest with 4301, staying open', { timeout: TEST_TIMEOUT_MS }, async () => {
        const sender = await connect();
        const receiver = await connect();
        await subscribeSigned(sender, 'private-rate');
        await subscribeSigned(receiver, 'private-rate');

        for (let i = 0; i < 25; i++) sender.send('client-burst', { i }, 'private-rate');
        await sender.ping(); // frames are handled in order: every answer is in before the pong
        const rejected = sender.take((f) => f.event === 'pusher:error');
        assert.ok(rejected.length > 0, 'no 4301 for 25 client events at once (limit: 10 per second)');
        for (const frame of rejected) assert.equal(frame.data.code, 4301, JSON.stringify(frame.data));

        await sdkFor(server).trigger('private-rate', 'marker', {});
        await receiver.next('marker');
        const relayed = receiver.take((f) => f.event === 'client-burst');
        assert.equal(relayed.length + rejected.length, 25, `relayed ${relayed.length}, rejected ${rejected.length}`);
        assert.ok(relayed.length >= 10 && relayed.length <= 15, `expected about the burst of 10 relayed (a few more with refill), got ${relayed.length}`);

        // The bucket refills: a second later, client events pass again.
        await sleep(1_100);
        sender.send('client-later', {}, 'private-rate');
        await receiver.next('client-later', 'a client event after the bucket refilled');
    });

    it('closes with 1009 for a message over 64 KB', { timeout: TEST_TIMEOUT_MS }, async () => {
        const socket = await connect();
        socket.send('pusher:ping', { pad: 'x'.repeat(64 * 1024) });
        const { code } = await withTimeout(socket.closed, 'the close after a 64 KB message');
        assert.equal(code, 1009);
    });

    it('closes with 1002 for an unmasked client frame (RFC 6455)', { timeout: TEST_TIMEOUT_MS }, async () => {
        // `ws` always masks; speak WebSocket by hand.
        const code = await withTimeout(
            new Promise((resolve, reject) => {
                const tcp = tcpConnect(server.port, server.host);
                let buffer = Buffer.alloc(0);
                let upgraded = false;
                tcp.on('connect', () =>
                    tcp.write(
                        `GET /app/${APP_KEY}?protocol=7 HTTP/1.1\r\nHost: ${server.host}\r\nUpgrade: websocket\r\n` +
                            'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
                    ),
                );
                tcp.on('data', (chunk) => {
                    buffer = Buffer.concat([buffer, chunk]);
                    if (!upgraded) {
                        const end = buffer.indexOf('\r\n\r\n');
                        if (end < 0) return;
                        if (!buffer.subarray(0, end).toString().startsWith('HTTP/1.1 101')) reject(new Error(buffer.toString()));
                        upgraded = true;
                        buffer = buffer.subarray(end + 4);
                        const payload = Buffer.from('{"event":"pusher:ping","data":{}}');
                        tcp.write(Buffer.concat([Buffer.from([0x81, payload.length]), payload])); // FIN+text, no mask bit
                    }
                    // Server frames: unmasked, lengths < 126 here except none; walk them.
                    while (buffer.length >= 2) {
                        let len = buffer[1] & 0x7f;
                        let offset = 2;
                        if (len === 126) {
                            if (buffer.length < 4) return;
                            len = buffer.readUInt16BE(2);
                            offset = 4;
                        }
                        if (buffer.length < offset + len) return;
                        const opcode = buffer[0] & 0x0f;
                        const body = buffer.subarray(offset, offset + len);
                        buffer = buffer.subarray(offset + len);
                        if (opcode === 0x8) {
                            tcp.destroy();
                            resolve(body.readUInt16BE(0));
                        }
                    }
                });
                tcp.on('error', reject);
                tcp.on('close', () => reject(new Error('closed without a close frame')));
            }),
            'the close frame after an unmasked frame',
        );
        assert.equal(code, 1002);
    });

    it('closes with 4201 when a silent client does not answer the server ping', { timeout: TEST_TIMEOUT_MS }, async () => {
        const idle = await extraServer(['--activity-timeout', '1', '--activity-grace', '1']);
        const started = Date.now();
        const silent = await connect(idle);
        const answering = await connect(idle);

        // A client that answers each ping stays (answered while the silent one is waited for).
        const answer = (async () => {
            for (let i = 0; i < 3; i++) {
                await answering.next('pusher:ping', `server ping ${i + 1} to the answering client`, 5_000);
                answering.send('pusher:pong', {});
            }
        })();

        await silent.next('pusher:ping', 'the server ping after 1 s of silence', 5_000);
        const { code } = await withTimeout(silent.closed, 'the 4201 close after the grace period', 5_000);
        assert.equal(code, 4201);
        // 1 s of silence before the ping, then 1 s of grace.
        assert.ok(Date.now() - started >= 1_900, `closed ${Date.now() - started} ms after connecting, before timeout + grace`);

        await answer;
        assert.ok(answering.isOpen, 'a client that answers pings was closed');
    });

    it('closes a client that stops reading with 4100 (slow consumer) without hurting others', { timeout: TEST_TIMEOUT_MS }, async () => {
        const srv = await extraServer(['--max-outbound', '65536']);
        const channels = Array.from({ length: 100 }, (_, i) => `flood-${i}`);
        const slow = await connect(srv);
        for (const channel of channels) slow.send('pusher:subscribe', { channel });
        for (const channel of channels) {
            await slow.next((f) => f.event === 'pusher_internal:subscription_succeeded' && f.channel === channel, `subscribed ${channel}`);
        }
        const healthy = await connect(srv);
        await healthy.subscribePublic('flood-0');

        const metric = async () => {
            const text = await (await fetch(`${srv.baseUrl}/metrics`)).text();
            return Number(/^flippdeal_slow_consumer_disconnects_total (\d+)/m.exec(text)?.[1] ?? NaN);
        };
        assert.equal(await metric(), 0);

        slow.pauseReading();
        const sdk = sdkFor(srv);
        const data = 'x'.repeat(10_000); // 100 channels × 10 KB = 1 MB per trigger
        let triggers = 0;
        while ((await metric()) === 0) {
            assert.ok(++triggers <= 60, 'no slow-consumer disconnect after 60 MB for a client that does not read');
            await sdk.trigger(channels, 'flood', data);
            healthy.take((f) => f.event === 'flood');
        }
        // Read again so the close frame (queued after the backlog) can get through within the 2 s deadline.
        slow.resumeReading();
        const { code } = await withTimeout(slow.closed, 'the slow consumer being closed');
        assert.equal(code, 4100, `expected close code 4100, got ${code}`);
        assert.equal(await metric(), 1);
        await healthy.ping();
    });
});
