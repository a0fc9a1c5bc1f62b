// Starts a real redis-server for one test file: no persistence, on a free loopback port, in a
// temp folder of its own. restart() stops it and starts it again on the same port (an outage).

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { sleep } from './async.mjs';

const READY_TIMEOUT_MS = 10_000;

/** A free TCP port on 127.0.0.1 (the OS picks it; free again once this returns). */
export function freePort() {
    return new Promise((resolve, reject) => {
        const probe = net.createServer();
        probe.once('error', reject);
        probe.listen(0, '127.0.0.1', () => {
            const { port } = probe.address();
            probe.close(() => resolve(port));
        });
    });
}

/** Resolves once something accepts a TCP connection on `port` and answers PING. */
async function waitForPing(port) {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
        const ok = await new Promise((resolve) => {
            const socket = net.connect(port, '127.0.0.1');
            socket.once('error', () => resolve(false));
            socket.once('connect', () => socket.write('PING\r\n'));
            socket.once('data', (data) => {
                socket.destroy();
                resolve(data.toString().startsWith('+PONG'));
            });
        });
        if (ok) return;
        await sleep(50);
    }
    throw new Error(`redis-server did not answer PING on port ${port} within ${READY_TIMEOUT_MS} ms`);
}

export class RedisServer {
    port = 0;
    #dir = '';
    #child = null;
    #log = '';

    static async start() {
        const redis = new RedisServer();
        redis.#dir = await mkdtemp(path.join(tmpdir(), 'flippdeal-redis-'));
        redis.port = await freePort();
        await redis.#spawn();
        return redis;
    }

    get url() {
        return `redis://127.0.0.1:${this.port}/0`;
    }

    /** The server's recent output, for failure messages. */
    get log() {
        return this.#log;
    }

    async #spawn() {
        this.#child = spawn('redis-server', [
            '--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
            '--dir', this.#dir, '--loglevel', 'warning',
        ], { stdio: ['ignore', 'pipe', 'pipe'] });
        const keep = (chunk) => { this.#log = (this.#log + chunk).slice(-8000); };
        this.#child.stdout.on('data', keep);
        this.#child.stderr.on('data', keep);
        await waitForPing(this.port);
    }

    /** Stops the server (SIGKILL: an outage, not a shutdown) and waits until it is gone. */
    async stop() {
        const child = this.#child;
        if (!child || child.exitCode !== null) return;
        const gone = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGCONT'); // a frozen one too
        child.kill('SIGKILL');
        await gone;
        this.#child = null;
    }

    /** Stops it answering without closing anything (SIGSTOP): a stalled Redis keeps its data. */
    freeze() {
        this.#child?.kill('SIGSTOP');
    }

    /** Lets it go on (SIGCONT). */
    thaw() {
        this.#child?.kill('SIGCONT');
    }

    /** Starts it again on the same port. */
    async restart() {
        await this.stop();
        await this.#spawn();
    }

    async close() {
        await this.stop();
        await rm(this.#dir, { recursive: true, force: true });
    }
}
