# Sourced by scripts/screenshots.sh and scripts/admin-screenshots.sh, which set $server first:
# a scratch folder and the background processes started into `pids`, both gone on exit; a port
# for the server; the server itself; and an Xvfb display for the client.

scratch="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$scratch"
}
trap cleanup EXIT

port=$((20000 + RANDOM % 5000))

# Starts "$server" serve in the background (configured through the FLIPPDEAL_* environment, on
# $port) with its log in $scratch/server.log, and waits up to 5 s for /health.
start_server() {
    "$server" serve >"$scratch/server.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
}

# start_display WIDTHxHEIGHT: an Xvfb display of that size for the Qt client (xcb), with HOME
# and XDG_CONFIG_HOME in the scratch folder so no real profile or keyring is touched.
start_display() {
    local display=":$((90 + RANDOM % 9))"
    Xvfb "$display" -screen 0 "${1}x24" -nolisten tcp >/dev/null 2>&1 &
    pids+=($!)
    sleep 1
    export DISPLAY="$display" HOME="$scratch/home" XDG_CONFIG_HOME="$scratch/home/.config" QT_QPA_PLATFORM=xcb
    mkdir -p "$HOME"
}
