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
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
minutes="${1:-30}"
seconds="$(awk -v m="$minutes" 'BEGIN { s = int(m * 60); if (s < 30) s = 30; print s }')"
bench_build
bench_scratch
port="${SOAK_PORT:-26101}"
# The per-user message limit is raised so 50 messages/s over 20 users never meets it in a burst.
bench_serve "$server" serve \
    --listen "127.0.0.1:$port" --data-dir "$work" --database "sqlite:$work/soak.sqlite" \
    --app-secret "soak-secret-$RANDOM$RANDOM" --message-rate 1000 \
    --max-connections-per-ip 0 --auth-rate-ip 0

status=0
"$bench" --port "$port" --soak "$seconds" \
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
