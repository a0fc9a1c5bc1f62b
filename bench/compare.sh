#!/usr/bin/env bash
# Runs issue 13's fan-out scenarios against any Pusher-protocol server (this one, Soketi,
# another), so a peer is measured with the same generator in the same run.
#
# Usage: bench/compare.sh HOST PORT APP_ID KEY SECRET [SERVER_PID]
#
# The server must already run, on CPU 0 if it is to be compared with bench/pinned.sh figures
# (taskset -c 0 ...); the generator runs on CPU 1. With SERVER_PID (a process on this machine)
# each line also has the server's CPU per delivery, and the floor probe's cost of one bare
# send is printed first, so that figure can be read as a ratio. One JSON line per scenario,
# each tagged with "scenario"; SCENARIOS="300x100 1000x100 10000xmax order" picks some.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
if [ $# -lt 5 ] || [ $# -gt 6 ]; then
    echo "usage: bench/compare.sh HOST PORT APP_ID KEY SECRET [SERVER_PID]" >&2
    exit 2
fi
host="$1" port="$2" app_id="$3" key="$4" secret="$5" pid="${6:-0}"
case "$port" in '' | *[!0-9]*) echo "compare.sh: PORT must be a number" >&2; exit 2 ;; esac
case "$pid" in *[!0-9]*) echo "compare.sh: SERVER_PID must be a number" >&2; exit 2 ;; esac
bench_build
floorprobe="$root/build/release/bench/flippdeal-floorprobe"
cmake --build --preset release --target flippdeal-floorprobe >/dev/null

# name, connections, events, rate, extra generator options
scenarios=(
    "300x100 300 200 100"
    "1000x100 1000 200 100"
    "10000xmax 10000 200 0"
    "order 200 3000 0 --in-flight 8"
)
wanted="${SCENARIOS:-300x100 1000x100 10000xmax order}"

if [ "$pid" -gt 0 ]; then
    for sockets in 300 1000; do
        "$floorprobe" --sockets "$sockets" --rounds 1000 --rate 100 --pin | tail -n 1
    done
fi
for scenario in "${scenarios[@]}"; do
    read -r name connections events rate extra <<<"$scenario"
    case " $wanted " in *" $name "*) ;; *) continue ;; esac
    # shellcheck disable=SC2086 # $extra is a list of options
    line=$(taskset -c 1 "$bench" --host "$host" --port "$port" --app-id "$app_id" --key "$key" \
        --secret "$secret" --connections "$connections" --threads 1 --events "$events" \
        --rate "$rate" --server-pid "$pid" $extra | tail -n 1)
    echo "{\"scenario\":\"$name\",${line#\{}"
done
