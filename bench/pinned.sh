#!/usr/bin/env bash
# The issue's measurement setup: the server pinned to CPU 0 and the load generator to CPU 1
# (taskset), so server CPU per delivery and latency are not blurred by the generator.
# Usage: bench/pinned.sh connections events rate [payload]
# BENCH_SERVER_ARGS adds server options (e.g. "--io-uring off"), BENCH_ARGS generator options
# (e.g. "--in-flight 8").
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
connections="${1:?connections}" events="${2:?events}" rate="${3:?rate}" payload="${4:-100}"
bench_build
bench_scratch
port="${BENCH_PORT:-26002}"
# shellcheck disable=SC2086 # BENCH_SERVER_ARGS is a list of options
bench_serve taskset -c 0 "$server" serve \
    --listen "127.0.0.1:$port" --data-dir "$work" --app-secret bench-secret-pinned \
    --max-connections-per-ip 0 ${BENCH_SERVER_ARGS:-}
# shellcheck disable=SC2086 # BENCH_ARGS is a list of options
taskset -c 1 "$bench" --port "$port" --secret bench-secret-pinned \
    --connections "$connections" --threads 1 --events "$events" --rate "$rate" --payload "$payload" \
    --server-pid "$server_pid" ${BENCH_ARGS:-}
