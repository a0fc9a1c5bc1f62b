#!/usr/bin/env bash
# The issue's measurement setup: the server pinned to CPU 0 and the load generator to CPU 1
# (taskset), so server CPU per delivery and latency are not blurred by the generator.
# Usage: bench/pinned.sh connections events rate [payload]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
connections="${1:?connections}" events="${2:?events}" rate="${3:?rate}" payload="${4:-100}"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
cd "$root"
cmake --preset release >/dev/null
cmake --build --preset release --target flippdeal-server flippdeal-bench >/dev/null
work=$(mktemp -d)
trap 'kill "$server_pid" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
port="${BENCH_PORT:-26002}"
FLIPPDEAL_LOG_LEVEL=warning taskset -c 0 "$root/build/release/server/flippdeal-server" serve \
    --listen "127.0.0.1:$port" --data-dir "$work" --app-secret bench-secret-pinned \
    --max-connections-per-ip 0 >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do grep -q "listening on" "$work/server.log" && break; sleep 0.1; done
taskset -c 1 "$root/build/release/bench/flippdeal-bench" --port "$port" --secret bench-secret-pinned \
    --connections "$connections" --threads 1 --events "$events" --rate "$rate" --payload "$payload" \
    --server-pid "$server_pid"
