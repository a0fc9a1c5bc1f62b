#!/usr/bin/env bash
# Runs the benchmarks against a fresh release build of the server on a temporary SQLite file.
# Usage: bench/run.sh [connections] [events] [rate]    (defaults: 2000 200 0)
# Prints one JSON line per benchmark; docs/benchmarks.md records results and commands.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
connections="${1:-2000}"
events="${2:-200}"
rate="${3:-0}"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

cd "$root"
cmake --preset release >/dev/null
cmake --build --preset release --target flippdeal-server flippdeal-bench >/dev/null

work=$(mktemp -d)
trap 'kill "$server_pid" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
secret="bench-secret-$(date +%s)"
port="${BENCH_PORT:-26001}"
FLIPPDEAL_LOG_LEVEL=warning "$root/build/release/server/flippdeal-server" serve \
    --listen "127.0.0.1:$port" --data-dir "$work" --database "sqlite:$work/bench.sqlite" \
    --app-secret "$secret" --message-rate 10000 --max-body 1048576 \
    --max-connections-per-ip 0 >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do grep -q "listening on" "$work/server.log" && break; sleep 0.1; done
grep -q "listening on" "$work/server.log" || { cat "$work/server.log" >&2; exit 1; }

bench="$root/build/release/bench/flippdeal-bench"
"$bench" --port "$port" --secret "$secret" --connections "$connections" --threads 2 \
    --events "$events" --rate "$rate" --server-pid "$server_pid"
"$bench" --port "$port" --rest 50 --messages 2000 --in-flight 16
