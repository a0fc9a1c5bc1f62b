#!/usr/bin/env bash
# Screenshots of flippdeal-desktop for docs/screenshots/: starts a server with demo data on a
# scratch SQLite file and the client under Xvfb (with trayer as the tray host and a throwaway
# gnome-keyring session), signs in as Bob, and saves sign-in, chat, the bell's dropdown and the
# live auction, in the light and the dark palette.
# Usage: scripts/screenshots.sh [build-dir] [out-dir]   (defaults: build/release docs/screenshots)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build/release}"
out="$(realpath -m "${2:-$root/docs/screenshots}")"
server="$build/server/flippdeal-server"
desktop="$build/client-desktop/app/flippdeal-desktop"
for tool in Xvfb trayer dbus-run-session gnome-keyring-daemon import; do
    command -v "$tool" >/dev/null || { echo "screenshots.sh: $tool is missing (scripts/bootstrap.sh installs it)" >&2; exit 2; }
done
[[ -x "$server" && -x "$desktop" ]] || { echo "screenshots.sh: build first ($build)" >&2; exit 2; }

source "$root/scripts/screenshot-session.sh"
export FLIPPDEAL_DATABASE="sqlite:$scratch/demo.sqlite" FLIPPDEAL_LISTEN="127.0.0.1:$port"
"$server" migrate >/dev/null
"$server" demo:seed >/dev/null
start_server

# Alice writes to Bob once more, so Bob has something unread.
token=$(curl -s -X POST -H 'Content-Type: application/json' \
    -d '{"email":"alice@demo.flippdeal.test","password":"demo-password"}' \
    "http://127.0.0.1:$port/api/login" | sed -E 's/.*"token":"([^"]+)".*/\1/')
curl -s -o /dev/null -X POST -H 'Content-Type: application/json' -H "Authorization: Bearer $token" \
    -d '{"to_user_id":2,"domain_id":1,"body":"Two more bidders joined, <b>good luck</b>!"}' \
    "http://127.0.0.1:$port/api/messages"

# Alice accepts Bob's demo offer on quietpine.io: Bob gets an escrow to look at.
curl -s -o /dev/null -X PATCH -H 'Content-Type: application/json' -H "Authorization: Bearer $token" \
    -d '{"action":"accept"}' "http://127.0.0.1:$port/api/offers/1"

start_display 1280x760
trayer --edge bottom --align right --widthtype pixel --width 60 --heighttype pixel --height 24 \
    --transparent false --tint 0x333333 >/dev/null 2>&1 &
pids+=($!)
mkdir -p "$out"

dbus-run-session -- sh -c '
    echo -n screenshots | gnome-keyring-daemon --unlock --components=secrets >/dev/null
    "$0" --screenshots "$1/signin" --profile shots-signin --server "http://127.0.0.1:$2"
    "$0" --screenshots "$1/small" --profile shots-bob --server "http://127.0.0.1:$2" \
        --email bob@demo.flippdeal.test --password demo-password --size 800x600
    "$0" --screenshots "$1/bob" --profile shots-bob --server "http://127.0.0.1:$2" \
        --email bob@demo.flippdeal.test --password demo-password &
    app=$!
    sleep 9; import -window root "$1/desktop.png"
    wait $app
' "$desktop" "$scratch/shots" "$port"

cp "$scratch/shots/signin/sign-in.png" "$out/sign-in.png"
for shot in chat notifications escrow auction auction-dark chat-dark; do
    cp "$scratch/shots/bob/$shot.png" "$out/$shot.png"
done
cp "$scratch/shots/desktop.png" "$out/desktop-with-tray.png"
for shot in chat auction; do cp "$scratch/shots/small/$shot.png" "$out/$shot-800x600.png"; done
echo "screenshots in $out:"
ls "$out"
