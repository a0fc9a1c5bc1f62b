// Starts a real flippdeal-server for one test file and gives the tests small
// REST helpers to talk to it.
//
// The binary comes from FLIPPDEAL_SERVER_BIN (falling back to the usual CMake
// build location). Each server gets a fresh SQLite database in its own temp
// folder, fixed Pusher credentials and an OS-chosen port, so test files can run
// side by side without sharing state.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

import { STEP_TIMEOUT_MS } from './async.mjs';

/** Pusher app credentials the server is started with. */
export const APP_ID = 'compat-app';
export const APP_KEY = 'compat-key';
export const APP_SECRET = 'compat-secret';

const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;
const READY_LINE = /listening on ([0-9.]+):(\d+)/;
// Keep only the end of the server's stderr: enough to explain a failure.
const STDERR_TAIL_CHARS = 16_000;

const DEFAULT_BIN = fileURLToPath(
    new URL('../../../build/server/flippdeal-server', import.meta.url),
);

/**
 * Start `$FLIPPDEAL_SERVER_BIN serve` and wait until it says it is listening.
 *
 * @param {string[]} [extraArgs]  more command-line arguments after `serve`, e.g.
 *   `['--history-days', '1']`; command-line options override the fixed environment.
 * @param {Record<string, string>} [extraEnv]  more environment variables, e.g.
 *   `{FLIPPDEAL_TLS_CERT: cert, FLIPPDEAL_TLS_KEY: key}`. With TLS on (here or with
 *   `--tls-cert`), `baseUrl` and `wsUrl()` are https:// and wss://.
 * @returns {Promise<FlippdealServer>}
 */
export async function startServer(extraArgs = [], extraEnv = {}) {
    if (!Array.isArray(extraArgs) || !extraArgs.every((a) => typeof a === 'string')) {
        throw new TypeError(`startServer(extraArgs): expected an array of strings, got ${JSON.stringify(extraArgs)}`);
    }
    const bin = process.env.FLIPPDEAL_SERVER_BIN || DEFAULT_BIN;
    if (!existsSync(bin)) {
        throw new Error(
            `server binary not found: ${bin} (build it, or set FLIPPDEAL_SERVER_BIN)`,
        );
    }

    const dataDir = await mkdtemp(path.join(tmpdir(), 'flippdeal-compat-'));
    const child = spawn(bin, ['serve', ...extraArgs], {
        env: {
            ...process.env,
            FLIPPDEAL_LISTEN: '127.0.0.1:0',
            FLIPPDEAL_DATABASE: `sqlite:${path.join(dataDir, 'flippdeal.sqlite')}`,
            FLIPPDEAL_APP_ID: APP_ID,
            FLIPPDEAL_APP_KEY: APP_KEY,
            FLIPPDEAL_APP_SECRET: APP_SECRET,
            FLIPPDEAL_LOG_LEVEL: 'warning',
            ...extraEnv,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
    });

    const secure = Boolean(extraEnv.FLIPPDEAL_TLS_CERT) || extraArgs.includes('--tls-cert');
    const server = new FlippdealServer(child, dataDir, secure);
    try {
        await server.waitUntilReady();
    } catch (err) {
        await server.kill();
        throw err;
    }
    return server;
}

/** A running server process plus helpers bound to its address. */
export class FlippdealServer {
    /** @type {string} */ host = '';
    /** @type {number} */ port = 0;
    /** @type {boolean} */ secure = false; // serving HTTPS and WSS

    #child;
    #dataDir;
    #stderr = '';
    #exit; // Promise<{code, signal}>, settles when the process is gone
    #exited = null; // {code, signal} once the process has exited
    #stopping = null;

    constructor(child, dataDir, secure = false) {
        this.secure = secure;
        this.#child = child;
        this.#dataDir = dataDir;

        // Always drain both pipes, so a chatty server never blocks on a full pipe.
        child.stderr.setEncoding('utf8');
        child.stderr.on('data', (chunk) => {
            this.#stderr = (this.#stderr + chunk).slice(-STDERR_TAIL_CHARS);
            if (process.env.FLIPPDEAL_COMPAT_VERBOSE) process.stderr.write(chunk);
        });
        this.stdoutLines = readline.createInterface({ input: child.stdout });

        this.#exit = new Promise((resolve) => {
            child.on('exit', (code, signal) => {
                this.#exited = { code, signal };
                resolve(this.#exited);
            });
            // spawn failures (ENOENT, EACCES) arrive as 'error' with no 'exit'.
            child.on('error', (err) => {
                this.#stderr += `\n[spawn error] ${err.message}`;
                this.#exited = { code: null, signal: null, error: err };
                resolve(this.#exited);
            });
        });
    }

    /** The server's recent stderr output, for failure messages. */
    get stderr() {
        return this.#stderr;
    }

    get baseUrl() {
        return `${this.secure ? 'https' : 'http'}://${this.host}:${this.port}`;
    }

    /** WebSocket URL of the Pusher endpoint for `key`, as pusher-js 8 builds it. */
    wsUrl(key = APP_KEY) {
        return `${this.secure ? 'wss' : 'ws'}://${this.host}:${this.port}/app/${key}?protocol=7&client=js&version=8.4.0`;
    }

    /** Resolve once the "listening on HOST:PORT" line is on stdout. */
    waitUntilReady() {
        return new Promise((resolve, reject) => {
            const fail = (why) => {
                clearTimeout(timer);
                reject(new Error(`${why}\n--- server stderr ---\n${this.#stderr || '(empty)'}`));
            };
            const timer = setTimeout(() => {
                const hint = READY_LINE.test(this.#stderr)
                    ? ' (a "listening on" line was printed on stderr, but it must go to stdout)'
                    : '';
                fail(`server did not report "listening on HOST:PORT" within ${READY_TIMEOUT_MS} ms${hint}`);
            }, READY_TIMEOUT_MS);

            this.stdoutLines.on('line', (line) => {
                if (process.env.FLIPPDEAL_COMPAT_VERBOSE) process.stderr.write(`[server stdout] ${line}\n`);
                const m = READY_LINE.exec(line);
                if (m && !this.port) {
                    clearTimeout(timer);
                    this.host = m[1];
                    this.port = Number(m[2]);
                    resolve();
                }
            });
            this.#exit.then(({ code, signal }) => {
                if (!this.port) fail(`server exited before it was ready (code ${code}, signal ${signal})`);
            });
        });
    }

    /**
     * Send SIGTERM and wait for the process to exit. Resolves with the exit
     * status when it exits with code 0; rejects (with the stderr tail) when it
     * exits otherwise or does not exit within 10 s (it is then SIGKILLed).
     * Safe to call more than once.
     */
    stop() {
        this.#stopping ??= (async () => {
            const exitedBefore = this.#exited !== null;
            if (!exitedBefore) this.#child.kill('SIGTERM');
            let timer;
            const timedOut = new Promise((resolve) => {
                timer = setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS);
            });
            const result = await Promise.race([this.#exit, timedOut]);
            clearTimeout(timer);
            if (result === 'timeout') {
                await this.kill();
                throw new Error(
                    `server did not exit within ${STOP_TIMEOUT_MS} ms of SIGTERM\n--- server stderr ---\n${this.#stderr}`,
                );
            }
            await this.#removeDataDir();
            if (result.code !== 0) {
                const when = exitedBefore ? 'before it was asked to stop' : 'after SIGTERM';
                throw new Error(
                    `server exited with code ${result.code} (signal ${result.signal}) ${when}, expected 0\n` +
                        `--- server stderr ---\n${this.#stderr}`,
                );
            }
            return result;
        })();
        return this.#stopping;
    }

    /** Last-resort cleanup for after() hooks: SIGKILL if still running. Never throws. */
    async kill() {
        if (!this.#exited) {
            this.#child.kill('SIGKILL');
            await this.#exit;
        }
        await this.#removeDataDir();
    }

    async #removeDataDir() {
        await rm(this.#dataDir, { recursive: true, force: true }).catch(() => {});
    }

    /**
     * Call the REST API.
     *
     * @param {string} method  'GET', 'POST', 'PATCH', ...
     * @param {string} urlPath  e.g. '/api/messages'
     * @param {string|null} [token]  bearer token, or null for none
     * @param {any} [body]  sent as JSON when given
     * @returns {Promise<{status: number, headers: Headers, body: any, text: string}>}
     *   `body` is the parsed JSON response, or null when it is not JSON.
     */
    async api(method, urlPath, token = null, body = undefined) {
        const headers = { Accept: 'application/json' };
        if (token) headers.Authorization = `Bearer ${token}`;
        if (body !== undefined) headers['Content-Type'] = 'application/json';

        let res;
        try {
            res = await fetch(this.baseUrl + urlPath, {
                method,
                headers,
                body: body === undefined ? undefined : JSON.stringify(body),
                signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
            });
        } catch (err) {
            const dead = this.#exited ? ` (the server has exited with code ${this.#exited.code})` : '';
            throw new Error(`${method} ${urlPath} failed: ${err.message}${dead}`, { cause: err });
        }
        const text = await res.text();
        let parsed = null;
        try {
            parsed = text ? JSON.parse(text) : null;
        } catch {
            // Not JSON: leave body null, callers can look at `text`.
        }
        return { status: res.status, headers: res.headers, body: parsed, text };
    }

    /**
     * Register an account; throws unless the server answers 201 {user, token}.
     *
     * @returns {Promise<{user: {id: number|string, name: string, email: string, role: string}, token: string}>}
     */
    async register(name, email, password) {
        const res = await this.api('POST', '/api/register', null, { name, email, password });
        if (res.status !== 201 || !res.body?.user || typeof res.body?.token !== 'string') {
            throw new Error(`POST /api/register for ${email}: expected 201 {user, token}, got ${res.status} ${res.text}`);
        }
        return res.body;
    }
}
