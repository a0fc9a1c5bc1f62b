#!/usr/bin/env bash
# Soak test: a release server on a fresh SQLite database in a temporary folder, under a mixed load
# for MINUTES (default 30): chat at 50 messages/s through POST /api/messages (half the users
# subscribed live), bids on 8 auctions, 10 presence joins/s, 2 000 idle connections and a
# reconnect storm every 2 minutes (at least one per run). The server's RSS, descriptors and CPU
# are sampled every 10 s. Passes (exit 0) when RSS drifts less than 10% after warm-up, with no
# error and every acknowledged message and bid delivered; exits 1 with the reason otherwise.
# All traffic goes to 127.0.0.1 and stops by itself. Usage: bench/soak.sh [minutes]
# (fractions work: 0.5). docs/benchmarks.md records a 30-minute run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
minutes="${1:-30}"
seconds="$(awk -v m="$minutes" 'BEGIN { s = int(m * 60); if (s < 30) s = 30; print s }')"
# 2 000 idle connections plus the rest, on both ends.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

cd "$root"
cmake --preset release >/dev/null
cmake --build --preset release --target flippdeal-server flippdeal-bench >/dev/null

work=$(mktemp -d)
server_pid=""
trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"' EXIT
port="${SOAK_PORT:-26101}"
# The per-user message limit is raised so 50 messages/s over 20 users never meets it in a burst.
FLIPPDEAL_LOG_LEVEL=warning "$root/build/release/server/flippdeal-server" serve \
    --listen "127.0.0.1:$port" --data-dir "$work" --database "sqlite:$work/soak.sqlite" \
    --app-secret "soak-secret-$RANDOM$RANDOM" --message-rate 1000 \
    --max-connections-per-ip 0 --auth-rate-ip 0 >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do grep -q "listening on" "$work/server.log" && break; sleep 0.1; done
grep -q "listening on" "$work/server.log" || { cat "$work/server.log" >&2; exit 1; }

status=0
"$root/build/release/bench/flippdeal-bench" --port "$port" --soak "$seconds" \
    --server-pid "$server_pid" --idle "${SOAK_IDLE:-2000}" --storm-every 120 || status=$?
if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "soak: FAIL: the server exited" >&2
    status=1
fi
if grep -qiE "critical|fatal|sanitizer" "$work/server.log"; then
    echo "soak: the server logged:" >&2
    grep -iE "critical|fatal|sanitizer" "$work/server.log" | head -n 20 >&2
    status=1
fi
exit $status
