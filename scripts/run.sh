#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, runs the server on its embedded
# SQLite default with demo data, and opens two desktop clients signed in as two demo users
# (Alice the seller and Bob the buyer), as the seed's manual test did with two browser windows.
#
#   scripts/run.sh                 server + two clients; Ctrl-C stops the server only
#   scripts/run.sh --server-only   server alone (to restart it while the clients stay open)
#
# Environment: FLIPPDEAL_LISTEN (default 127.0.0.1:6001) and the other FLIPPDEAL_* settings.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

clients=1
case "${1:-}" in
"") ;;
--server-only) clients=0 ;;
-h | --help)
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
*)
    echo "run.sh: unknown option '$1' (try --help)" >&2
    exit 2
    ;;
esac

scripts/bootstrap.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target flippdeal-server flippdeal-desktop

server="$root/build/release/server/flippdeal-server"
desktop="$root/build/release/client-desktop/app/flippdeal-desktop"
listen="${FLIPPDEAL_LISTEN:-127.0.0.1:6001}"
url="http://$listen"
"$server" migrate
"$server" demo:seed

"$server" serve &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true' INT TERM
for _ in $(seq 100); do
    curl -sf "$url/health" >/dev/null 2>&1 && break
    sleep 0.1
done

echo
echo "FlippDeal Live is serving on $url (app key '${FLIPPDEAL_APP_KEY:-flippdeal-key}')."
echo "Pusher clients: wsHost ${listen%:*}, wsPort ${listen##*:}, authEndpoint /broadcasting/auth (docs/quickstart.md)."
if ((clients)); then
    if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
        echo "No display: not opening the desktop clients (run them with $desktop --help)."
    else
        for who in alice bob; do
            # setsid: the windows stay open when Ctrl-C stops the server, and reconnect when
            # 'scripts/run.sh --server-only' starts it again.
            setsid "$desktop" --server "$url" --profile "demo-$who" \
                --email "$who@demo.flippdeal.test" --password demo-password >/dev/null 2>&1 &
        done
        echo "Opened two desktop clients: Alice Seller and Bob Buyer (password 'demo-password')."
    fi
fi
echo "Ctrl-C stops the server; 'scripts/run.sh --server-only' starts it again."
wait "$server_pid"
