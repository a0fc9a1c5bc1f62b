#!/usr/bin/env bash
# Issue 13's I/O threads, on this machine: the same fan-out scenarios against a release server
# with --io-threads 1 (WebSocket I/O on the event loop) and 2 (two I/O threads), interleaved,
# server and generator both free to use every core (a 2-core machine cannot keep them apart
# once the server has two busy threads). One JSON line per run from the generator, tagged.
# Usage: bench/iothreads.sh [rounds, default 2]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
rounds="${1:-2}"
case "$rounds" in '' | *[!0-9]*) echo "iothreads.sh: rounds must be a number" >&2; exit 2 ;; esac
bench_build
port="${BENCH_PORT:-26003}"
# name, connections, events, rate
scenarios=("10000xmax 10000 200 0" "1000x100 1000 200 100" "300x100 300 200 100")
for ((round = 1; round <= rounds; ++round)); do
    for scenario in "${scenarios[@]}"; do
        read -r name connections events rate <<<"$scenario"
        for threads in 1 2; do
            (
                bench_scratch
                bench_serve "$server" serve --listen "127.0.0.1:$port" --data-dir "$work" \
                    --app-secret bench-secret-iothreads --max-connections-per-ip 0 \
                    --io-threads "$threads"
                echo -n "{\"scenario\":\"$name\",\"io_threads\":$threads,\"round\":$round} "
                "$bench" --port "$port" --secret bench-secret-iothreads \
                    --connections "$connections" --threads 1 --events "$events" --rate "$rate" \
                    --server-pid "$server_pid" | tail -n 1
            )
        done
    done
done
