// The end-to-end case over TLS: flippdeal-server started with FLIPPDEAL_TLS_CERT /
// FLIPPDEAL_TLS_KEY (a self-signed certificate this test makes with openssl) serves HTTPS and
// WSS on its one port, and the unchanged npm clients work against it as they would against
// hosted Pusher: Laravel Echo 2 + pusher-js 8 with `forceTLS: true` and `wssPort`, channel
// authorization through /broadcasting/auth over HTTPS, a message sent with POST /api/messages
// over HTTPS arriving as MessageSent, and the `pusher` server SDK with `useTLS: true`.
//
// Node reads extra trusted certificates only at start-up (NODE_EXTRA_CA_CERTS), and a
// certificate made by the test does not exist then. So this file runs twice: the outer run
// makes the certificate and checks that a process NOT trusting it is refused, then runs this
// same file in a child `node --test` with NODE_EXTRA_CA_CERTS naming the certificate; that
// inner run holds the client tests.
//
// Run: node --test echo-tls.test.mjs   (needs FLIPPDEAL_SERVER_BIN and the openssl command)

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';

import Echo from 'laravel-echo';
import PusherServer from 'pusher';
import Pusher from 'pusher-js';
import WebSocket from 'ws';

import { deferred, STEP_TIMEOUT_MS, withTimeout } from './lib/async.mjs';
import { APP_ID, APP_KEY, APP_SECRET, startServer } from './lib/server.mjs';

const TEST_TIMEOUT_MS = 40_000;
const PASSWORD = 'correct horse battery staple';
const INNER = process.env.FLIPPDEAL_COMPAT_TLS_CERT; // set for the inner run only

Pusher.logToConsole = Boolean(process.env.FLIPPDEAL_COMPAT_VERBOSE);

/** A self-signed certificate for 127.0.0.1, as the README's openssl example makes it. */
function makeCertificate(folder) {
    const cert = path.join(folder, 'cert.pem');
    const key = path.join(folder, 'key.pem');
    execFileSync('openssl', [
        'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1',
        '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '1', '-keyout', key, '-out', cert,
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    return { cert, key };
}

/** Start the server with TLS from the environment, as a service file would configure it. */
function startTlsServer({ cert, key }) {
    return startServer([], { FLIPPDEAL_TLS_CERT: cert, FLIPPDEAL_TLS_KEY: key });
}

if (!INNER) {
    describe('flippdeal-server over TLS (outer run: the certificate and a client that does not trust it)', () => {
        let folder;
        let files;
        let server;

        before(async () => {
            folder = mkdtempSync(path.join(tmpdir(), 'flippdeal-compat-tls-'));
            files = makeCertificate(folder);
            server = await startTlsServer(files);
        });

        after(async () => {
            await server?.kill();
            if (folder) rmSync(folder, { recursive: true, force: true });
        });

        it('refuses clients that do not trust the certificate, and plain HTTP on the TLS port', { timeout: TEST_TIMEOUT_MS }, async () => {
            await assert.rejects(
                fetch(`${server.baseUrl}/health`, { signal: AbortSignal.timeout(STEP_TIMEOUT_MS) }),
                (err) => /self[- ]signed|certificate/i.test(`${err.cause?.code} ${err.cause?.message}`),
                'fetch without the certificate must fail with a certificate error',
            );
            const socketError = deferred();
            const ws = new WebSocket(server.wsUrl());
            ws.on('open', () => socketError.reject(new Error('an untrusting WebSocket client connected')));
            ws.on('error', (err) => socketError.resolve(err));
            const err = await withTimeout(socketError.promise, 'WebSocket certificate error');
            assert.equal(err.code, 'DEPTH_ZERO_SELF_SIGNED_CERT', err.message);

            const plain = await fetch(`http://127.0.0.1:${server.port}/health`, {
                signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
            });
            assert.equal(plain.status, 400);
            assert.match((await plain.json()).message, /https:\/\//);
        });

        it('passes the client suite in a process that trusts the certificate', { timeout: 150_000 }, async (t) => {
            await server.stop();
            const env = { ...process.env };
            delete env.NODE_TEST_CONTEXT; // (else node:test refuses to run a nested file)
            const args = ['--test', '--test-reporter=tap', fileURLToPath(import.meta.url)];
            const child = spawn(process.execPath, args, {
                env: {
                    ...env,
                    NODE_EXTRA_CA_CERTS: files.cert,
                    FLIPPDEAL_COMPAT_TLS_CERT: files.cert,
                    FLIPPDEAL_COMPAT_TLS_KEY: files.key,
                },
                stdio: ['ignore', 'pipe', 'pipe'],
            });
            let output = '';
            child.stdout.on('data', (chunk) => { output += chunk; });
            child.stderr.on('data', (chunk) => { output += chunk; });
            const code = await new Promise((resolve) => child.on('exit', resolve));
            assert.equal(code, 0, `inner run (NODE_EXTRA_CA_CERTS) failed:\n${output}`);
            assert.match(output, /# fail 0/);
            for (const line of output.split('\n').filter((l) => /^\s+ok \d+ - /.test(l))) {
                t.diagnostic(`inner: ${line.trim()}`);
            }
        });
    });
} else {
    describe('Laravel Echo 2 + pusher-js 8 + pusher SDK over HTTPS and WSS (inner run)', () => {
        const files = { cert: INNER, key: process.env.FLIPPDEAL_COMPAT_TLS_KEY };
        let server;
        let alice;
        let bob;
        const echos = [];

        /** Echo as a page served over HTTPS configures it for a self-hosted Pusher server. */
        function connectEcho(token) {
            const echo = new Echo({
                broadcaster: 'pusher',
                Pusher,
                key: APP_KEY,
                cluster: 'mt1', // required by pusher-js, unused with wsHost
                wsHost: '127.0.0.1',
                wssPort: server.port,
                forceTLS: true,
                enabledTransports: ['ws', 'wss'],
                enableStats: false,
                authEndpoint: `${server.baseUrl}/broadcasting/auth`,
                auth: { headers: { Authorization: `Bearer ${token}` } },
            });
            echos.push(echo);
            return echo;
        }

        function subscribed(channel, what) {
            const result = deferred();
            channel.subscribed(() => result.resolve());
            channel.error((err) => result.reject(new Error(`subscription to ${what} refused: ${JSON.stringify(err)}`)));
            return withTimeout(result.promise, `subscription to ${what}`);
        }

        function nextEvent(channel, eventName, what) {
            const result = deferred();
            channel.listen(`.${eventName}`, (payload) => result.resolve(payload));
            return withTimeout(result.promise, what);
        }

        before(async () => {
            server = await startTlsServer(files);
            assert.ok(server.baseUrl.startsWith('https://'));
            alice = await server.register('alice', 'alice@example.test', PASSWORD);
            bob = await server.register('bob', 'bob@example.test', PASSWORD);
        });

        after(async () => {
            for (const echo of echos) echo.disconnect();
            await server?.stop();
        });

        it('serves the REST API over HTTPS', { timeout: TEST_TIMEOUT_MS }, async () => {
            const health = await server.api('GET', '/health');
            assert.equal(health.status, 200, health.text);
            const me = await server.api('GET', '/api/me', bob.token);
            assert.equal(me.status, 200, me.text);
            assert.equal(me.body.user.id, bob.user.id);
        });

        it('delivers MessageSent on a private channel authorized over HTTPS, through WSS', { timeout: TEST_TIMEOUT_MS }, async () => {
            const echo = connectEcho(bob.token);
            const channel = echo.private(`user.${bob.user.id}`);
            const arrived = nextEvent(channel, 'MessageSent', `MessageSent on private-user.${bob.user.id}`);
            await subscribed(channel, `private-user.${bob.user.id} as bob`);
            // (Connected at all means WSS: the server answers plain connections with a 400.)
            assert.equal(echo.connector.pusher.connection.state, 'connected');
            assert.equal(echo.connector.pusher.connection.usingTLS, true, 'pusher-js must use TLS');

            const sent = await server.api('POST', '/api/messages', alice.token, {
                to_user_id: bob.user.id,
                body: 'Over <i>TLS</i>',
            });
            assert.equal(sent.status, 201, sent.text);
            const payload = await arrived;
            assert.equal(payload.message.id, sent.body.message.id);
            assert.equal(payload.message.body, 'Over TLS');

            // The refused case still arrives as Echo's .error() (403 from /broadcasting/auth).
            const refused = deferred();
            echo.private(`user.${alice.user.id}`)
                .subscribed(() => refused.reject(new Error('bob got into alice\'s channel')))
                .error((err) => refused.resolve(err));
            const err = await withTimeout(refused.promise, 'Echo .error() for alice\'s channel');
            assert.equal(err.status, 403, JSON.stringify(err));
        });

        it('takes events from the pusher server SDK with useTLS', { timeout: TEST_TIMEOUT_MS }, async () => {
            const echo = connectEcho(alice.token);
            const channel = echo.channel('tls-news');
            const arrived = nextEvent(channel, 'headline', 'headline on tls-news');
            await subscribed(channel, 'tls-news');

            const sdk = new PusherServer({
                appId: APP_ID,
                key: APP_KEY,
                secret: APP_SECRET,
                host: '127.0.0.1',
                port: String(server.port),
                useTLS: true,
                timeout: STEP_TIMEOUT_MS,
            });
            const response = await withTimeout(sdk.trigger('tls-news', 'headline', { text: 'secure' }), 'SDK trigger over HTTPS');
            assert.equal(response.status, 200);
            assert.deepEqual(await arrived, { text: 'secure' });

            const channels = await withTimeout(sdk.get({ path: '/channels' }), 'SDK GET /channels over HTTPS');
            assert.equal(channels.status, 200);
            assert.ok('tls-news' in (await channels.json()).channels);
        });

        it('refuses a WSS client that trusts only the public authorities', { timeout: TEST_TIMEOUT_MS }, async () => {
            const socketError = deferred();
            const ws = new WebSocket(server.wsUrl(), { ca: tls.rootCertificates });
            ws.on('open', () => socketError.reject(new Error('connected without trusting the certificate')));
            ws.on('error', (err) => socketError.resolve(err));
            const err = await withTimeout(socketError.promise, 'WebSocket certificate error');
            assert.equal(err.code, 'DEPTH_ZERO_SELF_SIGNED_CERT', err.message);
        });
    });
}
