#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and runs the server on its
# embedded SQLite default with demo data. Ctrl-C stops it.
# Environment: FLIPPDEAL_LISTEN (default 127.0.0.1:6001) and the other FLIPPDEAL_* settings.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

scripts/bootstrap.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target flippdeal-server

server="$root/build/release/server/flippdeal-server"
"$server" migrate
"$server" demo:seed
echo
echo "Open a pusher-js / Laravel Echo page with key '${FLIPPDEAL_APP_KEY:-flippdeal-key}',"
listen="${FLIPPDEAL_LISTEN:-127.0.0.1:6001}"
echo "wsHost ${listen%:*}, wsPort ${listen##*:} and authEndpoint /broadcasting/auth (docs/quickstart.md)."
exec "$server" serve
