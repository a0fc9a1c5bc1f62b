# SPDX-License-Identifier: MIT
# Sourced by the bench scripts (run.sh, pinned.sh, soak.sh): $root, the release build of the
# server and the load generator, and a server on a scratch folder that goes away on exit.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# BENCH_SERVER runs another server binary (an older build, for a before/after comparison).
server="${BENCH_SERVER:-$root/build/release/server/flippdeal-server}"
bench="$root/build/release/bench/flippdeal-bench"

# Raises the descriptor limit (thousands of connections, on both ends) and builds the release
# server and load generator, from $root.
bench_build() {
    ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
    cd "$root"
    cmake --preset release >/dev/null
    cmake --build --preset release --target flippdeal-server flippdeal-bench \
        flippdeal-floorprobe flippdeal-sqliteprobe >/dev/null
}

# Makes $work, a scratch folder removed on exit together with the server bench_serve starts.
bench_scratch() {
    work=$(mktemp -d)
    server_pid=""
    trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"' EXIT
}

# bench_serve COMMAND...: runs the server command line (perhaps behind taskset) in the
# background with warnings only, its log in $work/server.log; sets $server_pid and waits until
# it listens (10 s at the most, else prints the log and exits 1).
bench_serve() {
    FLIPPDEAL_LOG_LEVEL=warning "$@" >"$work/server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 100); do grep -q "listening on" "$work/server.log" && break; sleep 0.1; done
    grep -q "listening on" "$work/server.log" || { cat "$work/server.log" >&2; exit 1; }
}
