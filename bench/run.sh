#!/usr/bin/env bash
# Runs the benchmarks against a fresh release build of the server on a temporary SQLite file.
# Usage: bench/run.sh [connections] [events] [rate]    (defaults: 2000 200 0)
# Prints one JSON line per benchmark; docs/benchmarks.md records results and commands.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
connections="${1:-2000}"
events="${2:-200}"
rate="${3:-0}"
bench_build
bench_scratch
secret="bench-secret-$(date +%s)"
port="${BENCH_PORT:-26001}"
bench_serve "$server" serve \
    --listen "127.0.0.1:$port" --data-dir "$work" --database "sqlite:$work/bench.sqlite" \
    --app-secret "$secret" --message-rate 10000 --max-body 1048576 \
    --max-connections-per-ip 0

"$bench" --port "$port" --secret "$secret" --connections "$connections" --threads 2 \
    --events "$events" --rate "$rate" --server-pid "$server_pid"
"$root/build/release/bench/flippdeal-sqliteprobe" --file "$work/probe.sqlite" --transactions 2000
"$bench" --port "$port" --rest 50 --messages 2000 --in-flight 16
