#!/usr/bin/env bash
# Cluster mode against one node (docs/benchmarks.md, "Cluster"): Redis and two serve nodes on
# one database, subscribers split between the nodes, events published to node one.
# Usage: bench/cluster.sh [connections] [events] [rate]   (default 300 300 100)
# Pinned as the other benchmarks: the servers on CPU 0, the generator and Redis on CPU 1.
# Prints two JSON lines, "single" (one node, every subscriber on it) and "cluster", each with
# the publish→receive latencies, server CPU per delivery (both nodes together in the cluster)
# and, for the cluster, Redis CPU per event.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
connections="${1:-300}" events="${2:-300}" rate="${3:-100}"
command -v redis-server >/dev/null || { echo "cluster.sh: needs redis-server (apt install redis-server)" >&2; exit 2; }
bench_build
bench_scratch
redis_port="${BENCH_REDIS_PORT:-26379}" port1="${BENCH_PORT:-26011}" port2=$((port1 + 1))
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"' EXIT

# start_node NAME PORT DATABASE [--redis URL]: a node on CPU 0 with its own log; sets $node_pid.
start_node() {
    local name="$1" port="$2" database="$3"
    shift 3
    FLIPPDEAL_LOG_LEVEL=warning taskset -c 0 "$server" serve --listen "127.0.0.1:$port" \
        --data-dir "$work/$name" --database "sqlite:$work/$database.sqlite" \
        --app-secret bench-secret-cluster --max-connections-per-ip 0 "$@" \
        >"$work/$name.log" 2>&1 &
    node_pid=$!
    pids+=("$node_pid")
    for _ in $(seq 100); do grep -q "listening on" "$work/$name.log" && break; sleep 0.1; done
    grep -q "listening on" "$work/$name.log" || { cat "$work/$name.log" >&2; exit 1; }
}

generate() {
    taskset -c 1 "$bench" --port "$port1" --secret bench-secret-cluster \
        --connections "$connections" --threads 1 --events "$events" --rate "$rate" "$@"
}

# One node alone.
start_node single "$port1" single
single_pid=$node_pid
echo -n '{"setup":"single",'
generate --server-pid "$single_pid" | sed 's/^{//'
kill "$single_pid"; wait "$single_pid" 2>/dev/null || true

# Redis and two nodes on one database.
taskset -c 1 redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$work" --loglevel warning >"$work/redis.log" 2>&1 &
redis_pid=$!
pids+=("$redis_pid")
for _ in $(seq 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
start_node one "$port1" cluster --redis "redis://127.0.0.1:$redis_port"
one_pid=$node_pid
start_node two "$port2" cluster --redis "redis://127.0.0.1:$redis_port"
two_pid=$node_pid
sleep 1 # both linked through Redis
echo -n '{"setup":"cluster",'
generate --server-pid "$one_pid" --other-pid "$two_pid" --redis-pid "$redis_pid" \
    --subscribe-port "$port2" | sed 's/^{//'
