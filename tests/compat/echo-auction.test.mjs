// A live auction end to end, as a new user would see it through Laravel Echo 2
// + pusher-js 8: the seller lists a short auction, two bidders join its
// presence channel, bid against each other, one snipes at the end and the
// auction is extended, countdowns tick, the auction ends once with a winner
// and an escrow that only the parties may see, which the winner funds.
//
// See "Marketplace", "Notifications" and "Realtime" in the contract
// (shared/docs/contract.md).
//
// The server is started with `--anti-snipe-seconds 4` so that an auction
// ending 6 s after it is listed can be sniped and still end well inside the
// 30 s this file may take.
//
// Run: node --test echo-auction.test.mjs   (needs FLIPPDEAL_SERVER_BIN)

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';

import Echo from 'laravel-echo';
import Pusher from 'pusher-js';

import { deferred, sleep, withTimeout } from './lib/async.mjs';
import { APP_KEY, startServer } from './lib/server.mjs';

const FILE_TIMEOUT_MS = 30_000;
const TEST_TIMEOUT_MS = 15_000;
const PASSWORD = 'correct horse battery staple';
const ISO_UTC_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const ANTI_SNIPE_SECONDS = 4;
const AUCTION_SECONDS = 6;
const MIN_INCREMENT_CENTS = 500;
const RESERVE_CENTS = 1000;
/** Bob's opening bid, carol's answer, bob's snipe (carol's bid + the increment). */
const FIRST_BID_CENTS = 1000;
const SECOND_BID_CENTS = 1500;
const SNIPE_BID_CENTS = SECOND_BID_CENTS + MIN_INCREMENT_CENTS;
/** The platform fee is fixed at 5 % (docs/configuration.md, "Fixed values"). */
const EXPECTED_FEE_CENTS = Math.round((SNIPE_BID_CENTS * 5) / 100);

/** The events the contract sends on presence-auction.{id}. */
const AUCTION_EVENTS = ['BidPlaced', 'AuctionCountdown', 'AuctionExtended', 'AuctionEnded'];

// pusher-js is silent unless asked; FLIPPDEAL_COMPAT_VERBOSE=1 shows its log.
Pusher.logToConsole = Boolean(process.env.FLIPPDEAL_COMPAT_VERBOSE);

describe('a live auction through Laravel Echo 2 + pusher-js 8', { timeout: FILE_TIMEOUT_MS }, () => {
    /** @type {import('./lib/server.mjs').FlippdealServer} */
    let server;
    /** @type {{user: any, token: string}} */
    let alice;
    /** @type {{user: any, token: string}} */
    let bob;
    /** @type {{user: any, token: string}} */
    let carol;
    /** Bob's and carol's Echo clients (see connectEcho()). */
    let bobClient;
    let carolClient;
    /** Bob's private-user channel, recording NotificationCreated. */
    let bobNotifications;
    /** The auction (a domain with bidding) alice lists, as POST /api/domains returned it. */
    let domain;
    /** Presence views of the auction channel (see joinAuction()). */
    let bobView;
    let carolView;
    /** ends_at of the auction before bob's late bid, and the bid's answer. */
    let endsAtBeforeSnipe;
    let snipe;
    /** The AuctionEnded payloads bob and carol received first. */
    let bobEnded;
    let carolEnded;
    /** Every Echo instance created, disconnected in after() whatever happened. */
    const echos = [];

    // The steps below build on each other: once one fails, the rest are
    // skipped instead of failing with messages that only repeat the first cause.
    let failedStep = null;
    function step(name, fn) {
        it(name, { timeout: TEST_TIMEOUT_MS }, async (t) => {
            if (failedStep) {
                t.skip(`an earlier step failed: ${failedStep}`);
                return;
            }
            try {
                await fn(t);
            } catch (err) {
                failedStep = name;
                throw err;
            }
        });
    }

    /**
     * A Laravel Echo client configured the way a page of the original system
     * configures it (the same options as echo-private.test.mjs), plus a tap on
     * what arrives on its WebSocket:
     *
     * - `frames`: every frame as the server sent it, parsed. pusher-js's
     *   Protocol.decodeMessage() keeps only event, channel, data and user_id,
     *   so the top-level "seq" of the contract is only visible here, on the
     *   transport underneath echo.connector.pusher.connection.
     * - `delivered`: every message pusher-js's connection hands on to its
     *   channels (pusher.connection.bind('message')), to check that the tap
     *   saw the same event frames pusher-js did.
     */
    function connectEcho(token, who) {
        const echo = new Echo({
            broadcaster: 'pusher',
            Pusher,
            key: APP_KEY,
            cluster: 'mt1', // required by pusher-js, unused with wsHost
            wsHost: '127.0.0.1',
            wsPort: server.port,
            forceTLS: false,
            enabledTransports: ['ws'],
            enableStats: false, // never talk to stats.pusher.com
            authEndpoint: `${server.baseUrl}/broadcasting/auth`,
            auth: { headers: { Authorization: `Bearer ${token}` } },
        });
        echos.push(echo);

        const pusher = echo.connector.pusher;
        const frames = [];
        const delivered = [];
        const connections = [];
        pusher.connection.bind('message', (event) => delivered.push(event));
        // 'connected' is emitted once the handshake is done and before any
        // subscription is answered; bind to each new transport (reconnects too).
        pusher.connection.bind('connected', () => {
            const transport = pusher.connection.connection?.transport;
            assert.ok(transport, `${who}: pusher-js connected without a transport to tap`);
            connections.push(pusher.connection.socket_id);
            transport.bind('message', (messageEvent) => {
                try {
                    frames.push(JSON.parse(messageEvent.data));
                } catch {
                    frames.push({ unparsable: String(messageEvent.data) });
                }
            });
        });
        return { echo, who, frames, delivered, connections };
    }

    /**
     * Resolve when Echo's channel is subscribed; reject with pusher-js's error
     * (e.g. {type: 'AuthError', status: 403}) when the subscription is refused.
     */
    function subscribed(channel, what) {
        const result = deferred();
        channel.subscribed(() => result.resolve());
        channel.error((err) => result.reject(new Error(`subscription to ${what} refused: ${JSON.stringify(err)}`)));
        return withTimeout(result.promise, `subscription to ${what}`);
    }

    /**
     * Record every event of `eventNames` on an Echo channel, in arrival order,
     * and let a step wait for one that may already have arrived.
     *
     * The server broadcasts bare event names ("BidPlaced"); the leading dot
     * tells Echo 2 not to prefix its "App.Events" namespace.
     */
    function recorder(channel, eventNames, who) {
        const events = [];
        const waiters = new Set();
        for (const eventName of eventNames) {
            channel.listen(`.${eventName}`, (payload) => {
                const event = { eventName, payload, receivedAt: Date.now() };
                events.push(event);
                for (const waiter of waiters) {
                    if (waiter.match(event)) {
                        waiters.delete(waiter);
                        waiter.resolve(payload);
                    }
                }
            });
        }
        return {
            events,
            /** The payloads of every `eventName` event so far, oldest first. */
            all: (eventName) => events.filter((e) => e.eventName === eventName).map((e) => e.payload),
            /** The first `eventName` event (received or still to come) whose payload satisfies `match`. */
            next(eventName, match, what, ms) {
                const pred = (e) => e.eventName === eventName && match(e.payload);
                const found = events.find(pred);
                if (found) return Promise.resolve(found.payload);
                const waiter = { ...deferred(), match: pred };
                waiters.add(waiter);
                return withTimeout(waiter.promise, `${what} (${who})`, ms).finally(() => waiters.delete(waiter));
            },
        };
    }

    /**
     * Join `presence-auction.{id}` through Echo, record here/joining/leaving
     * and the auction events. Echo hands here/joining the members' user_info ({name}).
     */
    function joinAuction(client) {
        const here = deferred();
        const joined = [];
        const channel = client.echo
            .join(`auction.${domain.id}`)
            .here((users) => here.resolve(users))
            .joining((user) => joined.push(user))
            .error((err) => here.reject(new Error(`presence join refused for ${client.who}: ${JSON.stringify(err)}`)));
        return {
            channel,
            joined,
            events: recorder(channel, AUCTION_EVENTS, client.who),
            here: withTimeout(here.promise, `presence-auction.${domain.id} here() for ${client.who}`),
            /** pusher-js's member list, keyed by the user_id string from channel_data. */
            members: () => channel.subscription.members,
        };
    }

    /** Poll `condition` every 20 ms until it holds, failing after `ms` with `what`. */
    async function eventually(condition, what, ms) {
        await withTimeout(
            (async () => {
                while (!condition()) await sleep(20);
            })(),
            what,
            ms,
        );
    }

    async function placeBid(who, amountCents) {
        return server.api('POST', `/api/domains/${domain.id}/bids`, who.token, { amount_cents: amountCents });
    }

    /** Milliseconds from now until an ISO time. */
    const msUntil = (iso) => Date.parse(iso) - Date.now();
    const names = (users) => users.map((u) => u.name).sort();
    const presenceChannel = () => `presence-auction.${domain.id}`;

    before(async () => {
        const args = ['--anti-snipe-seconds', String(ANTI_SNIPE_SECONDS)];
        try {
            server = await startServer(args);
        } catch (err) {
            throw new Error(`could not start the server with ${args.join(' ')}: ${err.message}`, { cause: err });
        }
        alice = await server.register('alice', 'alice@example.test', PASSWORD);
        bob = await server.register('bob', 'bob@example.test', PASSWORD);
        carol = await server.register('carol', 'carol@example.test', PASSWORD);

        bobClient = connectEcho(bob.token, 'bob');
        carolClient = connectEcho(carol.token, 'carol');
        const bobPrivate = bobClient.echo.private(`user.${bob.user.id}`);
        bobNotifications = recorder(bobPrivate, ['NotificationCreated'], 'bob');
        await subscribed(bobPrivate, `private-user.${bob.user.id} as bob`);
    });

    after(async () => {
        for (const echo of echos) echo.disconnect();
        await server?.kill();
    });

    step('alice lists a 6 s auction; bob and carol join its presence channel', async () => {
        const name = `sunrise-${randomBytes(4).toString('hex')}.com`;
        const endsAt = new Date(Date.now() + AUCTION_SECONDS * 1000).toISOString();
        assert.match(endsAt, ISO_UTC_MS);
        const res = await server.api('POST', '/api/domains', alice.token, {
            name,
            enable_bidding: true,
            min_increment_cents: MIN_INCREMENT_CENTS,
            reserve_cents: RESERVE_CENTS,
            ends_at: endsAt,
        });
        assert.equal(res.status, 201, `POST /api/domains: ${res.text}`);
        domain = res.body.domain;
        assert.equal(domain.name, name);
        assert.equal(domain.owner_id, alice.user.id);
        assert.equal(domain.status, 'active');
        assert.equal(domain.enable_bidding, true);
        assert.equal(domain.current_bid_cents, 0);
        assert.equal(domain.bid_count, 0);
        assert.equal(domain.ends_at, endsAt, 'ends_at must come back as sent (ISO-8601 UTC with milliseconds)');

        bobView = joinAuction(bobClient);
        assert.deepEqual(names(await bobView.here), ['bob']);
        carolView = joinAuction(carolClient);
        assert.deepEqual(names(await carolView.here), ['bob', 'carol'], "carol's here() must list both bidders");

        await eventually(() => bobView.joined.length > 0, 'bob seeing carol join (Echo .joining())');
        assert.deepEqual(bobView.joined, [{ name: 'carol' }]);
        assert.equal(bobView.members().count, 2, "bob's member list must hold both bidders");
        assert.deepEqual(carolView.joined, [], 'carol must not see bob "join": he was already in here()');
    });

    step('bob opens at 1000: both bidders get BidPlaced', async () => {
        assert.ok(msUntil(domain.ends_at) > ANTI_SNIPE_SECONDS * 1000, 'setup too slow: the first bid would already be a late one');
        const res = await placeBid(bob, FIRST_BID_CENTS);
        assert.equal(res.status, 201, `bob's bid of ${FIRST_BID_CENTS}: ${res.text}`);
        assert.equal(res.body.bid.amount_cents, FIRST_BID_CENTS);
        assert.equal(res.body.auction.current_bid_cents, FIRST_BID_CENTS);
        const bidId = res.body.bid.id;

        for (const view of [bobView, carolView]) {
            const placed = await view.events.next('BidPlaced', (p) => p?.bid?.id === bidId, `BidPlaced for bid ${bidId}`);
            assert.equal(placed.bid.domain_id, domain.id);
            assert.equal(placed.bid.user_id, bob.user.id);
            assert.equal(placed.bid.amount_cents, FIRST_BID_CENTS);
            assert.match(placed.bid.created_at ?? '', ISO_UTC_MS, 'BidPlaced bid.created_at');
            assert.equal(placed.auction.domain_id, domain.id);
            assert.equal(placed.auction.current_bid_cents, FIRST_BID_CENTS);
            assert.equal(placed.auction.bid_count, 1);
            assert.match(placed.auction.ends_at, ISO_UTC_MS);
            assert.match(placed.auction.server_time ?? '', ISO_UTC_MS, 'BidPlaced auction.server_time');
        }
    });

    step('carol bids 1500: bob gets a bid.outbid notification', async () => {
        const res = await placeBid(carol, SECOND_BID_CENTS);
        assert.equal(res.status, 201, `carol's bid of ${SECOND_BID_CENTS}: ${res.text}`);
        endsAtBeforeSnipe = res.body.auction.ends_at;
        assert.match(endsAtBeforeSnipe, ISO_UTC_MS);
        const bidId = res.body.bid.id;
        for (const view of [bobView, carolView]) {
            const placed = await view.events.next('BidPlaced', (p) => p?.bid?.id === bidId, `BidPlaced for bid ${bidId}`);
            assert.equal(placed.bid.user_id, carol.user.id);
            assert.equal(placed.auction.current_bid_cents, SECOND_BID_CENTS);
            assert.equal(placed.auction.bid_count, 2);
        }

        const { notification } = await bobNotifications.next(
            'NotificationCreated',
            (p) => p?.notification?.type === 'bid.outbid',
            "NotificationCreated of type bid.outbid on bob's channel",
        );
        assert.equal(typeof notification.id, 'number');
        assert.equal(notification.read_at, null);
        assert.match(notification.created_at, ISO_UTC_MS);
        assert.equal(notification.data.domain_id, domain.id);
    });

    step('refuses a bid below the minimum and a bid on your own domain (422)', async () => {
        const low = await placeBid(bob, SECOND_BID_CENTS + MIN_INCREMENT_CENTS - 1);
        assert.equal(low.status, 422, `bob bidding below current + increment: ${low.text}`);
        assert.ok(Array.isArray(low.body?.errors?.amount_cents), `422 must name amount_cents in errors: ${low.text}`);
        assert.equal(typeof low.body.message, 'string');

        const own = await placeBid(alice, 10 * SECOND_BID_CENTS);
        assert.equal(own.status, 422, `alice bidding on her own domain: ${own.text}`);
        assert.ok(Array.isArray(own.body?.errors?.amount_cents), `422 must name amount_cents in errors: ${own.text}`);
    });

    step('a late bid by bob extends the auction (AuctionExtended)', async () => {
        // Wait until fewer than ANTI_SNIPE_SECONDS - 1 s are left, well inside the window.
        const wait = msUntil(endsAtBeforeSnipe) - (ANTI_SNIPE_SECONDS - 1) * 1000;
        if (wait > 0) await sleep(wait);
        assert.ok(msUntil(endsAtBeforeSnipe) > 1000, 'too late to snipe: the steps before took too long');

        const res = await placeBid(bob, SNIPE_BID_CENTS);
        assert.equal(res.status, 201, `bob's late bid of ${SNIPE_BID_CENTS}: ${res.text}`);
        snipe = res.body;
        assert.ok(
            Date.parse(snipe.auction.ends_at) > Date.parse(endsAtBeforeSnipe),
            `the late bid must move ends_at past ${endsAtBeforeSnipe}, got ${snipe.auction.ends_at}`,
        );

        const later = (p) => Date.parse(p?.ends_at) > Date.parse(endsAtBeforeSnipe);
        for (const view of [bobView, carolView]) {
            const extended = await view.events.next('AuctionExtended', later, `AuctionExtended past ${endsAtBeforeSnipe}`);
            assert.equal(extended.domain_id, domain.id);
            assert.equal(extended.ends_at, snipe.auction.ends_at, "AuctionExtended ends_at must be the bid's new ends_at");
            assert.match(extended.server_time ?? '', ISO_UTC_MS, 'AuctionExtended server_time');
            const placed = await view.events.next('BidPlaced', (p) => p?.bid?.id === snipe.bid.id, `BidPlaced for bid ${snipe.bid.id}`);
            assert.equal(placed.auction.ends_at, snipe.auction.ends_at);
        }
    });

    step('AuctionEnded arrives exactly once per bidder, bob wins, with an escrow', async () => {
        const waitMs = Math.max(0, msUntil(snipe.auction.ends_at)) + 3000;
        [bobEnded, carolEnded] = await Promise.all(
            [bobView, carolView].map((view) => view.events.next('AuctionEnded', () => true, 'AuctionEnded', waitMs)),
        );
        for (const ended of [bobEnded, carolEnded]) {
            assert.equal(ended.domain_id, domain.id);
            assert.equal(ended.winner_user_id, bob.user.id, `winner_user_id: ${JSON.stringify(ended)}`);
            assert.equal(ended.final_bid_cents, SNIPE_BID_CENTS, `final_bid_cents: ${JSON.stringify(ended)}`);
            assert.ok(Number.isInteger(ended.escrow_id) && ended.escrow_id > 0, `escrow_id: ${JSON.stringify(ended)}`);
        }
        assert.deepEqual(carolEnded, bobEnded, 'both bidders must get the same AuctionEnded');
        assert.ok(
            Date.now() >= Date.parse(snipe.auction.ends_at),
            `AuctionEnded arrived before the extended ends_at ${snipe.auction.ends_at}`,
        );

        // Four scheduler ticks' worth of time for a duplicate to show up.
        await sleep(1000);
        assert.equal(bobView.events.all('AuctionEnded').length, 1, 'bob got AuctionEnded more than once');
        assert.equal(carolView.events.all('AuctionEnded').length, 1, 'carol got AuctionEnded more than once');
        // The two refused bids must not have been broadcast.
        assert.equal(bobView.events.all('BidPlaced').length, 3, 'bob must have seen exactly the 3 accepted bids');
        assert.equal(carolView.events.all('BidPlaced').length, 3, 'carol must have seen exactly the 3 accepted bids');

        const listed = await server.api('GET', `/api/domains/${domain.id}`, bob.token);
        assert.equal(listed.status, 200, `GET /api/domains/${domain.id}: ${listed.text}`);
        assert.equal(listed.body.domain.status, 'ended');
        assert.equal(listed.body.domain.current_bid_cents, SNIPE_BID_CENTS);
        assert.equal(listed.body.domain.bid_count, 3);
    });

    step('bob gets an auction.won notification with the escrow id', async () => {
        const { notification } = await bobNotifications.next(
            'NotificationCreated',
            (p) => p?.notification?.type === 'auction.won',
            "NotificationCreated of type auction.won on bob's channel",
        );
        assert.equal(notification.data.domain_id, domain.id);
        assert.equal(notification.data.escrow_id, bobEnded.escrow_id, 'auction.won data.escrow_id must be the escrow of AuctionEnded');
        assert.equal(notification.data.final_bid_cents, SNIPE_BID_CENTS);
    });

    step('the escrow is visible to bob (pending_funding) and not to carol (403)', async () => {
        const id = bobEnded.escrow_id;
        const asBob = await server.api('GET', `/api/escrows/${id}`, bob.token);
        assert.equal(asBob.status, 200, `GET /api/escrows/${id} as the buyer: ${asBob.text}`);
        const { escrow } = asBob.body;
        assert.equal(escrow.id, id);
        assert.equal(escrow.domain_id, domain.id);
        assert.equal(escrow.buyer_id, bob.user.id);
        assert.equal(escrow.seller_id, alice.user.id);
        assert.equal(escrow.status, 'pending_funding');
        assert.equal(escrow.amount_cents, SNIPE_BID_CENTS);
        assert.equal(escrow.fee_cents, EXPECTED_FEE_CENTS, 'fee_cents must be the 5 % platform fee');

        const asCarol = await server.api('GET', `/api/escrows/${id}`, carol.token);
        assert.equal(asCarol.status, 403, `GET /api/escrows/${id} as a losing bidder: ${asCarol.text}`);
        assert.equal(typeof asCarol.body?.message, 'string', `a 403 must be JSON {message}: ${asCarol.text}`);
    });

    step('bob funds the escrow: charged exactly once, for exactly the amount', async () => {
        const id = bobEnded.escrow_id;
        const funded = await server.api('POST', `/api/escrows/${id}/fund`, bob.token, {});
        assert.equal(funded.status, 200, `POST /api/escrows/${id}/fund: ${funded.text}`);
        assert.equal(funded.body.escrow.status, 'funded');
        assert.equal(funded.body.escrow.charge_status, 'settled');
        assert.equal(funded.body.escrow.charged_cents, SNIPE_BID_CENTS);
        const again = await server.api('POST', `/api/escrows/${id}/fund`, bob.token, {});
        assert.equal(again.status, 409, `a second fund must be refused: ${again.text}`);
        const asCarol = await server.api('POST', `/api/escrows/${id}/fund`, carol.token, {});
        assert.equal(asCarol.status, 403, `a stranger may not fund: ${asCarol.text}`);
    });

    step('AuctionCountdown ticked down with server_time', async () => {
        for (const view of [bobView, carolView]) {
            const who = view === bobView ? 'bob' : 'carol';
            const countdowns = view.events.all('AuctionCountdown');
            // In the last minute the scheduler sends one a second; the auction lived ~7 s.
            assert.ok(countdowns.length >= 3, `${who} got only ${countdowns.length} AuctionCountdown events`);
            let previous = null;
            for (const c of countdowns) {
                const shown = JSON.stringify(c);
                assert.equal(c.domain_id, domain.id, shown);
                assert.match(c.server_time ?? '', ISO_UTC_MS, `AuctionCountdown server_time: ${shown}`);
                assert.match(c.ends_at ?? '', ISO_UTC_MS, `AuctionCountdown ends_at: ${shown}`);
                assert.ok(Number.isInteger(c.seconds_remaining) && c.seconds_remaining > 0, `seconds_remaining: ${shown}`);
                assert.equal(
                    c.seconds_remaining,
                    Math.ceil((Date.parse(c.ends_at) - Date.parse(c.server_time)) / 1000),
                    `seconds_remaining must be what is left from server_time to ends_at, rounded up: ${shown}`,
                );
                if (previous) {
                    assert.ok(Date.parse(c.server_time) > Date.parse(previous.server_time), `server_time must advance: ${shown}`);
                    // An extension may add time; until then the count only goes down.
                    if (c.ends_at === previous.ends_at) {
                        assert.ok(c.seconds_remaining <= previous.seconds_remaining, `seconds_remaining went up without an extension: ${shown}`);
                    }
                }
                previous = c;
            }
            const first = countdowns[0];
            const last = countdowns.at(-1);
            assert.equal(last.ends_at, snipe.auction.ends_at, 'the last countdown must count to the extended end');
            assert.ok(last.seconds_remaining < first.seconds_remaining, `${who}'s countdown did not go down: ${first.seconds_remaining} .. ${last.seconds_remaining}`);
            assert.ok(last.seconds_remaining <= 2, `${who}'s last countdown said ${last.seconds_remaining} s were left`);
        }
    });

    step('every private and presence event frame carried a seq, +1 per channel (countdowns none)', async () => {
        const seqsByClient = [];
        for (const client of [bobClient, carolClient]) {
            assert.equal(client.connections.length, 1, `${client.who} reconnected during the test: ${client.connections}`);
            const isEvent = (f) => typeof f.event === 'string' && !f.event.startsWith('pusher:') && !f.event.startsWith('pusher_internal:');
            const gapFree = (name) => name.startsWith('private-') || name.startsWith('presence-');

            const byChannel = new Map();
            for (const frame of client.frames.filter((f) => isEvent(f) && gapFree(f.channel ?? ''))) {
                if (!byChannel.has(frame.channel)) byChannel.set(frame.channel, []);
                byChannel.get(frame.channel).push(frame);
            }
            // AuctionCountdown is transient (contract, "Gap-free delivery"): a clock beat with
            // no seq, not in the history.
            const isCountdown = (f) => f.event === 'AuctionCountdown';
            for (const frame of client.frames.filter((f) => isEvent(f) && isCountdown(f))) {
                assert.equal(frame.seq, undefined, `${client.who}: AuctionCountdown has a seq: ${JSON.stringify(frame).slice(0, 300)}`);
            }
            for (const [channel, frames] of byChannel) {
                let previous = null;
                for (const frame of frames.filter((f) => !isCountdown(f))) {
                    assert.ok(
                        Number.isInteger(frame.seq) && frame.seq > 0,
                        `${client.who}: ${frame.event} on ${channel} has no integer seq: ${JSON.stringify(frame).slice(0, 300)}`,
                    );
                    if (previous) {
                        assert.equal(
                            frame.seq,
                            previous.seq + 1,
                            `${client.who}: on ${channel}, ${frame.event} has seq ${frame.seq} after ${previous.event} with seq ${previous.seq}`,
                        );
                    }
                    previous = frame;
                }
            }

            // The auction channel's frames are exactly the events Echo handed to the listeners...
            const view = client === bobClient ? bobView : carolView;
            const auctionFrames = byChannel.get(presenceChannel()) ?? [];
            assert.deepEqual(
                auctionFrames.map((f) => f.event),
                view.events.events.map((e) => e.eventName),
                `${client.who}: the event frames on ${presenceChannel()} and the events Echo delivered differ`,
            );
            // ...and the ones pusher-js's connection passed on (which carry no seq: it drops unknown fields).
            assert.deepEqual(
                auctionFrames.map((f) => f.event),
                client.delivered.filter((e) => e.channel === presenceChannel() && isEvent(e)).map((e) => e.event),
                `${client.who}: the tap on the transport and pusher.connection 'message' saw different frames`,
            );
            seqsByClient.push(new Map(auctionFrames.filter((f) => !isCountdown(f)).map((f) => [f.seq, f.event])));
        }
        // Same channel, same numbering for everybody.
        const [bobSeqs, carolSeqs] = seqsByClient;
        for (const [seq, event] of carolSeqs) {
            if (bobSeqs.has(seq)) assert.equal(bobSeqs.get(seq), event, `seq ${seq} on ${presenceChannel()} is ${bobSeqs.get(seq)} for bob and ${event} for carol`);
        }
        assert.ok(bobClient.frames.some((f) => f.channel === `private-user.${bob.user.id}` && f.event === 'NotificationCreated'));
    });

    step('stops cleanly on SIGTERM (exit code 0)', async () => {
        for (const echo of echos) echo.disconnect();
        await server.stop(); // rejects unless the exit code is 0
    });
});
