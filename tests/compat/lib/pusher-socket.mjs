// A thin test client for the Pusher protocol 7 wire format on top of `ws`.
//
// It buffers every frame the server sends, so a test can ask for "the next
// frame matching X" without racing the server: frames that arrived before the
// test started waiting are found too, and frames that do not match stay in
// the buffer for later waits.

import WebSocket from 'ws';

import { STEP_TIMEOUT_MS } from './async.mjs';

/**
 * A decoded Pusher frame: the JSON object as sent (`event`, `channel`, `data`,
 * ...) plus `payload`, which is `data` parsed again when `data` is a JSON
 * string (protocol 7 sends event data as a string) and `data` itself otherwise.
 *
 * @typedef {{event: string, channel?: string, data?: any, payload: any, [key: string]: any}} Frame
 */

export class PusherSocket {
    /** @type {Frame[]} frames received and not yet consumed by next() */
    #frames = [];
    /** @type {{match: (f: Frame) => boolean, resolve: Function, reject: Function, what: string}[]} */
    #waiters = [];
    #ws;

    /** Resolves when the WebSocket handshake is done; rejects if it fails. */
    opened;
    /** Resolves with {code, reason} when the connection closes, for whatever reason. */
    closed;

    /** @param {string} url  e.g. ws://127.0.0.1:PORT/app/KEY?protocol=7&client=js&version=8.4.0 */
    constructor(url) {
        this.url = url;
        this.#ws = new WebSocket(url);

        this.opened = new Promise((resolve, reject) => {
            this.#ws.once('open', resolve);
            this.#ws.once('error', (err) => reject(new Error(`WebSocket to ${url} failed: ${err.message}`)));
        });
        // Avoid an unhandled rejection when a test never awaits `opened`.
        this.opened.catch(() => {});

        this.closed = new Promise((resolve) => {
            this.#ws.once('close', (code, reason) => {
                const info = { code, reason: reason.toString() };
                for (const w of this.#waiters.splice(0)) {
                    w.reject(new Error(`connection closed (code ${code} "${info.reason}") while waiting for ${w.what}`));
                }
                resolve(info);
            });
        });

        this.#ws.on('message', (raw, isBinary) => this.#onFrame(raw, isBinary));
    }

    /** True while the WebSocket is open. */
    get isOpen() {
        return this.#ws.readyState === WebSocket.OPEN;
    }

    #onFrame(raw, isBinary) {
        const text = raw.toString();
        let frame;
        try {
            frame = JSON.parse(text);
        } catch {
            // Not something a pusher-js client could read: keep it visible to tests.
            frame = { event: '(invalid json)', data: text };
        }
        if (isBinary) frame.binary = true;
        frame.payload = frame.data;
        if (typeof frame.data === 'string') {
            try {
                frame.payload = JSON.parse(frame.data);
            } catch {
                // data is a plain string; payload stays the same string.
            }
        }

        const waiter = this.#waiters.find((w) => w.match(frame));
        if (waiter) {
            this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
            waiter.resolve(frame);
        } else {
            this.#frames.push(frame);
        }
    }

    /**
     * Wait for (and consume) the first frame that satisfies `match`.
     *
     * @param {string | ((f: Frame) => boolean)} match  an event name or a predicate
     * @param {string} [what]  description for timeout messages
     * @returns {Promise<Frame>}
     */
    next(match, what, ms = STEP_TIMEOUT_MS) {
        const pred = typeof match === 'string' ? (f) => f.event === match : match;
        what ??= typeof match === 'string' ? `a "${match}" frame` : 'a matching frame';

        const i = this.#frames.findIndex(pred);
        if (i >= 0) return Promise.resolve(this.#frames.splice(i, 1)[0]);

        return new Promise((resolve, reject) => {
            if (this.#ws.readyState >= WebSocket.CLOSING) {
                reject(new Error(`connection already closed while waiting for ${what}`));
                return;
            }
            const waiter = {
                match: pred,
                what,
                resolve: (frame) => {
                    clearTimeout(timer);
                    resolve(frame);
                },
                reject: (err) => {
                    clearTimeout(timer);
                    reject(err);
                },
            };
            const timer = setTimeout(() => {
                this.#waiters = this.#waiters.filter((w) => w !== waiter);
                const unconsumed = this.#frames.map((f) => JSON.stringify(f.event)).join(', ') || 'none';
                reject(new Error(`timed out after ${ms} ms waiting for ${what} (frames received but not matched: ${unconsumed})`));
            }, ms);
            this.#waiters.push(waiter);
        });
    }

    /** Remove and return every frame received so far (and not consumed) that satisfies `match`. */
    take(match) {
        const taken = this.#frames.filter(match);
        this.#frames = this.#frames.filter((f) => !taken.includes(f));
        return taken;
    }

    /** Send one Pusher event. */
    send(event, data = {}, channel = undefined) {
        const frame = { event, data };
        if (channel !== undefined) frame.channel = channel;
        this.#ws.send(JSON.stringify(frame));
    }

    /** Send an arbitrary text frame, e.g. deliberately broken JSON. */
    sendRaw(text) {
        this.#ws.send(text);
    }

    /** Send a binary WebSocket message. */
    sendBinary(bytes) {
        this.#ws.send(bytes, { binary: true });
    }

    /**
     * Stop reading from the TCP socket (the server's output then piles up in
     * the kernel buffers and in the server): a client that stopped reading.
     */
    pauseReading() {
        this.#ws._socket.pause();
    }

    /** Read from the TCP socket again after pauseReading(). */
    resumeReading() {
        this.#ws._socket.resume();
    }

    /** Wait for the pusher:connection_established frame; also sets `socketId`. */
    async established() {
        const frame = await this.next('pusher:connection_established');
        this.socketId = frame.payload?.socket_id;
        return frame;
    }

    /** pusher:ping, then wait for pusher:pong: proves the connection still works. */
    async ping() {
        this.send('pusher:ping', {});
        return this.next('pusher:pong', 'pusher:pong in answer to pusher:ping');
    }

    /** Subscribe to a channel that needs no auth and wait for the server's answer. */
    async subscribePublic(channel) {
        this.send('pusher:subscribe', { channel });
        return this.next(
            (f) => f.event === 'pusher_internal:subscription_succeeded' && f.channel === channel,
            `pusher_internal:subscription_succeeded for ${channel}`,
        );
    }

    /** Close politely; used in cleanup, never throws. */
    close() {
        try {
            if (this.#ws.readyState === WebSocket.CONNECTING) this.#ws.terminate();
            else if (this.#ws.readyState === WebSocket.OPEN) this.#ws.close(1000);
        } catch {
            // Already gone.
        }
    }

    /** Drop the TCP connection without a close handshake; used in cleanup. */
    terminate() {
        this.#ws.terminate();
    }
}

/**
 * True when the number `code` appears as a value anywhere inside `value`
 * (objects, arrays, or JSON strings are searched). Used for error frames,
 * whose exact shape differs between Pusher implementations
 * ({code}, {status}, nested under data...).
 */
export function containsCode(value, code) {
    if (value === code || value === String(code)) return true;
    if (typeof value === 'string') {
        try {
            const parsed = JSON.parse(value);
            return typeof parsed === 'object' && parsed !== null && containsCode(parsed, code);
        } catch {
            return false;
        }
    }
    if (typeof value === 'object' && value !== null) {
        return Object.values(value).some((v) => containsCode(v, code));
    }
    return false;
}
