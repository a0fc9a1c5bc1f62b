#!/usr/bin/env bash
# Screenshots of flippdeal-admin for docs/screenshots/: starts a server with demo data on a
# scratch SQLite file, adds an administrator, more users and auctions, two disputed escrows,
# pending and failed jobs and a banned user, keeps some live traffic going (WebSocket clients on
# private, presence and public channels, and chat messages, through the `ws` package of
# tests/compat), and runs the console under Xvfb with a throwaway gnome-keyring session. The
# console's --screenshots mode saves admin-<tab>.png of every tab at 1280x720, and
# admin-sign-in.png comes from a run without credentials.
# Usage: scripts/admin-screenshots.sh [build-dir] [out-dir]   (defaults: build/release docs/screenshots)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$(realpath -m "${1:-$root/build/release}")"
out="$(realpath -m "${2:-$root/docs/screenshots}")"
server="$build/server/flippdeal-server"
admin="$build/client-desktop/admin/flippdeal-admin"
compat="$root/tests/compat"
for tool in Xvfb dbus-run-session gnome-keyring-daemon curl sqlite3; do
    command -v "$tool" >/dev/null || { echo "admin-screenshots.sh: $tool is missing (apt-get install xvfb dbus gnome-keyring curl sqlite3)" >&2; exit 2; }
done
[[ -x "$server" && -x "$admin" ]] || { echo "admin-screenshots.sh: build first ($build)" >&2; exit 2; }
traffic=1
if ! command -v node >/dev/null || [[ ! -d "$compat/node_modules/ws" ]]; then
    echo "admin-screenshots.sh: no live traffic (needs node and 'npm ci' in tests/compat)" >&2
    traffic=0
fi

source "$root/scripts/screenshot-session.sh"
base="http://127.0.0.1:$port"
db="$scratch/demo.sqlite"
export FLIPPDEAL_DATABASE="sqlite:$db" FLIPPDEAL_LISTEN="127.0.0.1:$port" \
    FLIPPDEAL_APP_ID=flippdeal FLIPPDEAL_APP_KEY=flippdeal-key \
    FLIPPDEAL_APP_SECRET=screenshots-secret-0123456789 FLIPPDEAL_DATA_DIR="$scratch/data"
"$server" migrate >/dev/null
"$server" demo:seed >/dev/null
echo -n admin-password | "$server" user:create --admin --name "Dana Ops" \
    --email ops@demo.flippdeal.test --password-stdin >/dev/null

# The payout queue: two payouts that cannot succeed (they fail at once and land in failed_jobs),
# one waiting for its backoff after a provider timeout, and two scheduled for later.
now_ms=$(($(date +%s) * 1000))
sqlite3 "$db" <<SQL
INSERT INTO jobs (type, payload, attempts, max_attempts, available_at, created_at)
    VALUES ('ProcessPayout', '{"escrow_id":42}', 0, 1, $now_ms, $((now_ms - 3600000)));
INSERT INTO jobs (type, payload, attempts, max_attempts, available_at, created_at)
    VALUES ('ProcessPayout', '{"escrow_id":1}', 0, 1, $now_ms, $((now_ms - 1800000)));
INSERT INTO jobs (type, payload, attempts, max_attempts, available_at, last_error, created_at)
    VALUES ('ProcessPayout', '{"escrow_id":7}', 1, 3, $((now_ms + 90000)),
            'payment provider timed out after 30 s', $((now_ms - 60000)));
INSERT INTO jobs (type, payload, attempts, max_attempts, available_at, created_at)
    VALUES ('ProcessPayout', '{"escrow_id":8}', 0, 3, $((now_ms + 3600000)), $now_ms);
INSERT INTO jobs (type, payload, attempts, max_attempts, available_at, created_at)
    VALUES ('ProcessPayout', '{"escrow_id":9}', 0, 3, $((now_ms + 7200000)), $now_ms);
SQL

start_server

# api METHOD PATH TOKEN [BODY]: the JSON answer.
api() {
    curl -s -X "$1" -H 'Content-Type: application/json' -H 'Accept: application/json' \
        ${3:+-H "Authorization: Bearer $3"} ${4:+-d "$4"} "$base$2"
}
token_of() { sed -E 's/.*"token":"([^"]+)".*/\1/'; }
# The id of the object under KEY (QJsonObject writes keys in alphabetical order).
id_of() { sed -E "s/.*\"$1\":\\{[^}]*\"id\":([0-9]+).*/\\1/"; }
login() { api POST /api/login "" "{\"email\":\"$1\",\"password\":\"${2:-demo-password}\"}" | token_of; }

alice=$(login alice@demo.flippdeal.test)
bob=$(login bob@demo.flippdeal.test)
carol=$(login carol@demo.flippdeal.test)
ops=$(login ops@demo.flippdeal.test admin-password)
declare -A tokens
for who in "Erin Reseller:erin" "Frank Domainer:frank" "Grace Holdings:grace" \
           "Hank Flipper:hank" "Ivy Brokers:ivy" "Jules Parker:jules"; do
    name="${who%%:*}" key="${who##*:}"
    tokens[$key]=$(api POST /api/register "" \
        "{\"name\":\"$name\",\"email\":\"$key@demo.flippdeal.test\",\"password\":\"demo-password\"}" |
        token_of)
done

# More live auctions, with bids.
ends() { date -u -d "+$1" +%Y-%m-%dT%H:%M:%S.000Z; }
auction() { # owner-token name ends-in min-increment reserve
    api POST /api/domains "$1" "{\"name\":\"$2\",\"enable_bidding\":true,\"min_increment_cents\":$4,\"reserve_cents\":$5,\"ends_at\":\"$(ends "$3")\"}" | id_of domain
}
bid() { api POST "/api/domains/$2/bids" "$1" "{\"amount_cents\":$3}" >/dev/null; }
d1=$(auction "${tokens[erin]}" northwind.io "25 minutes" 1000 500000)
d2=$(auction "$alice" pixelforge.ai "2 hours" 2500 1200000)
d3=$(auction "${tokens[grace]}" tidepool.app "50 minutes" 500 80000)
d4=$(auction "${tokens[frank]}" quillmark.co "6 hours" 500 null)
bid "$bob" "$d1" 520000; bid "${tokens[ivy]}" "$d1" 545000; bid "$bob" "$d1" 560000
bid "$carol" "$d2" 900000
bid "${tokens[jules]}" "$d3" 60000; bid "${tokens[hank]}" "$d3" 82500
bid "${tokens[ivy]}" "$d4" 30000

# Disputes: carol disputes the demo escrow of oldmaple.net; a second sale through an offer,
# funded, then disputed by its seller.
api POST /api/escrows/1/dispute "$carol" >/dev/null
listing=$(api POST /api/domains "${tokens[erin]}" '{"name":"bluecanyon.dev","buy_now_cents":185000}' | id_of domain)
offer=$(api POST "/api/domains/$listing/offers" "${tokens[frank]}" '{"amount_cents":172500}' | id_of offer)
escrow=$(api PATCH "/api/offers/$offer" "${tokens[erin]}" '{"action":"accept"}' |
    sed -E 's/.*"escrow_id":([0-9]+).*/\1/')
api POST "/api/escrows/$escrow/fund" "${tokens[frank]}" >/dev/null
api POST "/api/escrows/$escrow/dispute" "${tokens[erin]}" >/dev/null

# One banned user.
hank_id=$(api GET "/api/admin/users?search=hank" "$ops" | sed -E 's/.*"data":\[\{[^}]*"id":([0-9]+).*/\1/')
api POST "/api/admin/users/$hank_id/ban" "$ops" >/dev/null

# Live traffic: the demo users online on their own channels and in the sunrise.com auction room,
# chatting (a few durable events per second), and spectators joining public channels one by one.
if [[ $traffic == 1 ]]; then
    cat >"$scratch/traffic.mjs" <<'JS'
import { createRequire } from 'node:module';
const require = createRequire(process.env.COMPAT + '/package.json');
const WebSocket = require('ws');
const base = process.env.BASE, port = Number(process.env.PORT);
const url = `ws://127.0.0.1:${port}/app/flippdeal-key?protocol=7&client=js&version=8.4.0`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const call = async (token, method, path, body) => (await fetch(base + path, {
    method, body: body && JSON.stringify(body),
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Accept: 'application/json' },
})).json();
function connect(onReady) {
    const ws = new WebSocket(url);
    ws.on('message', (raw) => {
        const frame = JSON.parse(raw.toString());
        if (frame.event === 'pusher:connection_established')
            onReady(ws, JSON.parse(frame.data).socket_id);
        if (frame.event === 'pusher:ping') ws.send(JSON.stringify({ event: 'pusher:pong', data: {} }));
    });
    ws.on('error', () => {});
    return ws;
}
const users = [];
for (const token of process.env.TOKENS.split(' ')) {
    const me = (await call(token, 'GET', '/api/me')).user;
    users.push({ token, id: me.id });
    for (const channel of [`private-user.${me.id}`, `presence-auction.${process.env.AUCTION}`]) {
        connect(async (ws, socketId) => {
            const auth = await call(token, 'POST', '/broadcasting/auth', { socket_id: socketId, channel_name: channel });
            ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel, ...auth } }));
        });
    }
}
// Buyers and sellers chatting: durable events (messages, notifications) at a few per second.
const lines = ['Is the reserve negotiable?', 'I can do the transfer today.', 'Escrow is funded on my side.',
               'Sent the auth code by message.', 'Thanks, confirming now.'];
let n = 0;
setInterval(() => {
    const from = users[n % users.length], to = users[(n + 1) % users.length];
    call(from.token, 'POST', '/api/messages', { to_user_id: to.id, body: lines[n % lines.length] }).catch(() => {});
    ++n;
}, 150);
// Spectators joining the public channels one by one.
for (let i = 0; i < 28; ++i) {
    connect((ws) => ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: i % 3 ? 'market-ticker' : 'auctions.live' } })));
    await sleep(350);
}
await sleep(600000);
JS
    COMPAT="$compat" BASE="$base" PORT="$port" TOKENS="$alice $bob $carol ${tokens[ivy]}" AUCTION=1 \
        node "$scratch/traffic.mjs" >"$scratch/traffic.log" 2>&1 &
    pids+=($!)
    sleep 2
fi

start_display 1280x800
mkdir -p "$out"

dbus-run-session -- sh -c '
    echo -n screenshots | gnome-keyring-daemon --unlock --components=secrets >/dev/null
    "$0" --screenshots "$1/signin" --profile shots-signin --server "$2" --size 1280x720
    "$0" --screenshots "$1/ops" --profile shots-ops --server "$2" --size 1280x720 \
        --email ops@demo.flippdeal.test --password admin-password --poll-interval 500
    "$0" --screenshots "$1/refused" --profile shots-refused --server "$2" --size 1280x720 \
        --email bob@demo.flippdeal.test --password demo-password || true
' "$admin" "$scratch/shots" "$base"

cp "$scratch/shots/signin/admin-sign-in.png" "$out/admin-sign-in.png"
cp "$scratch/shots/refused/admin-sign-in.png" "$out/admin-not-admin.png"
for tab in dashboard users channels jobs escrows auctions announce; do
    cp "$scratch/shots/ops/admin-$tab.png" "$out/admin-$tab.png"
done
echo "screenshots in $out:"
ls "$out"/admin-*
