// Client-side helpers shared by the compatibility tests that use pusher-js and
// the `pusher` server SDK the way an application would: an SDK "backend"
// pointed at the test's server, pusher-js clients configured with only a host
// and port changed, and small waiting helpers around their callback APIs.

import { createHash, createHmac } from 'node:crypto';

import Pusher from 'pusher-js';
import PusherServer from 'pusher';

import { deferred, sleep, STEP_TIMEOUT_MS, withTimeout } from './async.mjs';
import { APP_ID, APP_KEY, APP_SECRET } from './server.mjs';

// pusher-js is silent unless asked; FLIPPDEAL_COMPAT_VERBOSE=1 shows its log.
Pusher.logToConsole = Boolean(process.env.FLIPPDEAL_COMPAT_VERBOSE);

export { Pusher, PusherServer };

/**
 * The `pusher` server SDK pointed at `server`, as a Node backend configures it
 * for the hosted service, except for host and port.
 *
 * @param {import('./server.mjs').FlippdealServer} server
 * @param {{secret?: string, encryptionMasterKeyBase64?: string}} [options]
 */
export function sdkFor(server, { secret = APP_SECRET, encryptionMasterKeyBase64 } = {}) {
    return new PusherServer({
        appId: APP_ID,
        key: APP_KEY,
        secret,
        host: '127.0.0.1',
        port: String(server.port),
        useTLS: false,
        timeout: STEP_TIMEOUT_MS,
        ...(encryptionMasterKeyBase64 ? { encryptionMasterKeyBase64 } : {}),
    });
}

/**
 * A pusher-js 8 client pointed at `server`. `options` are passed to pusher-js
 * as is (channelAuthorization, userAuthentication, ...).
 *
 * @param {import('./server.mjs').FlippdealServer} server
 * @param {object} [options]
 * @returns {Pusher}
 */
export function pusherFor(server, options = {}) {
    return new Pusher(APP_KEY, {
        cluster: 'mt1', // required by pusher-js, unused with wsHost
        wsHost: '127.0.0.1',
        wsPort: server.port,
        forceTLS: false,
        enabledTransports: ['ws'],
        enableStats: false, // never talk to stats.pusher.com
        ...options,
    });
}

/**
 * pusher-js channelAuthorization.customHandler that signs like a Node
 * backend using the SDK: `sdk.authorizeChannel(socketId, channel, presenceData)`.
 * `presence` is the {user_id, user_info} to sign for presence channels.
 */
export function sdkChannelAuthorization(sdk, presence = undefined) {
    return {
        customHandler: ({ socketId, channelName }, callback) => {
            try {
                const data = channelName.startsWith('presence-') ? presence : undefined;
                callback(null, sdk.authorizeChannel(socketId, channelName, data));
            } catch (err) {
                callback(err, null);
            }
        },
    };
}

/**
 * pusher-js (Node build) calls close() on its faye-websocket socket after the
 * socket has already closed when the server closes with a 4000-4099 code, and
 * faye-websocket then arms a 30 s timer that nothing clears, which keeps Node
 * alive for 30 s after the tests. This is the client's doing (it happens with
 * any Pusher server); make close() on a closed socket a no-op so test files end
 * promptly.
 */
function patchClosedSocketTimer(pusher) {
    let proto = pusher.connection?.connection?.transport?.socket;
    while (proto && !Object.hasOwn(proto, 'close')) proto = Object.getPrototypeOf(proto);
    if (!proto || proto.close.flippdealPatched) return;
    const close = proto.close;
    const CLOSED = 3;
    proto.close = function patchedClose(...args) {
        if (this.readyState === CLOSED) return undefined;
        return close.apply(this, args);
    };
    proto.close.flippdealPatched = true;
}

/** Resolve when `pusher` is connected (at once if it already is). */
export function connected(pusher, what = 'pusher-js connecting') {
    if (pusher.connection.state === 'connected') {
        patchClosedSocketTimer(pusher);
        return Promise.resolve(pusher.connection.socket_id);
    }
    const done = deferred();
    const onChange = ({ current }) => {
        if (current === 'connected') {
            pusher.connection.unbind('state_change', onChange);
            patchClosedSocketTimer(pusher);
            done.resolve(pusher.connection.socket_id);
        }
    };
    pusher.connection.bind('state_change', onChange);
    return withTimeout(done.promise, what);
}

/**
 * Resolve when pusher-js reports the channel subscribed; reject with the
 * subscription error it reports otherwise.
 */
export function subscribed(channel, what = `subscription to ${channel.name}`) {
    if (channel.subscribed) return Promise.resolve();
    const done = deferred();
    channel.bind('pusher:subscription_succeeded', () => done.resolve());
    channel.bind('pusher:subscription_error', (err) =>
        done.reject(new Error(`${what} refused: ${JSON.stringify(err)}`)),
    );
    return withTimeout(done.promise, what);
}

/**
 * Record every event a pusher-js channel (or Echo channel, or pusher.user)
 * emits through `bind(eventName, cb)`, so a test can wait for one that may
 * already have arrived.
 */
export function recorder(target, eventNames) {
    const received = [];
    const waiters = [];
    for (const name of eventNames) {
        target.bind(name, (data) => {
            const event = { name, data, at: Date.now() };
            const waiter = waiters.find((w) => w.match(event));
            if (waiter) {
                waiters.splice(waiters.indexOf(waiter), 1);
                waiter.resolve(event);
            }
            received.push(event);
        });
    }
    return {
        received,
        /** Wait for the first event (already received or not yet) named `name` that satisfies `match`. */
        next(name, match = () => true, what = `event ${name}`, ms = STEP_TIMEOUT_MS) {
            const pred = (e) => e.name === name && match(e.data);
            const found = received.find(pred);
            if (found) return Promise.resolve(found);
            const waiter = { ...deferred(), match: pred };
            waiters.push(waiter);
            return withTimeout(waiter.promise, what, ms);
        },
        count(name) {
            return received.filter((e) => e.name === name).length;
        },
    };
}

/** Poll `condition` every 20 ms until it holds; fail after `ms` with `what`. */
export async function eventually(condition, what, ms = STEP_TIMEOUT_MS) {
    await withTimeout(
        (async () => {
            while (!(await condition())) await sleep(20);
        })(),
        what,
        ms,
    );
}

/** hex HMAC-SHA256, as every Pusher signature is. */
export function hmacHex(secret, text) {
    return createHmac('sha256', secret).update(text).digest('hex');
}

/**
 * The signed request target of `POST /apps/{APP_ID}/events` with `body`, as the Pusher HTTP API
 * wants it: `/apps/…/events?auth_key=…&auth_signature=…`. `timestamp` (seconds) defaults to
 * now; `md5Of` is what body_md5 is computed over (the body itself unless a test forges it).
 */
export function signedEventsTarget(body, { timestamp = Math.floor(Date.now() / 1000), md5Of = body } = {}) {
    const path = `/apps/${APP_ID}/events`;
    const query = [
        `auth_key=${APP_KEY}`,
        `auth_timestamp=${timestamp}`,
        'auth_version=1.0',
        `body_md5=${createHash('md5').update(md5Of).digest('hex')}`,
    ].join('&');
    return `${path}?${query}&auth_signature=${hmacHex(APP_SECRET, `POST\n${path}\n${query}`)}`;
}

/** `auth` for a private channel (or presence, with its channel_data string), signed by hand. */
export function channelAuth(socketId, channel, channelData = undefined, secret = APP_SECRET) {
    const text = channelData === undefined ? `${socketId}:${channel}` : `${socketId}:${channel}:${channelData}`;
    return `${APP_KEY}:${hmacHex(secret, text)}`;
}

/**
 * On a raw PusherSocket (after established()): subscribe to a private,
 * presence or encrypted channel with an `auth` signed by hand; for presence,
 * `member` is the {user_id, user_info} object. Resolves with the
 * subscription_succeeded frame; rejects with the error frame's data otherwise.
 */
export async function subscribeSigned(socket, channel, member = undefined) {
    const channelData = member === undefined ? undefined : JSON.stringify(member);
    const data = { channel, auth: channelAuth(socket.socketId, channel, channelData) };
    if (channelData !== undefined) data.channel_data = channelData;
    socket.send('pusher:subscribe', data);
    const answer = await socket.next(
        (f) =>
            f.channel === channel &&
            (f.event === 'pusher_internal:subscription_succeeded' || f.event === 'pusher:subscription_error'),
        `the answer to pusher:subscribe for ${channel}`,
    );
    if (answer.event !== 'pusher_internal:subscription_succeeded') {
        throw new Error(`subscription to ${channel} refused: ${JSON.stringify(answer.data)}`);
    }
    return answer;
}
