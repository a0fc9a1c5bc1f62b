#!/usr/bin/env bash
# End-to-end smoke test of flippdeal-desktop: the real app under Xvfb with a tray host and a
# throwaway keyring, against a real server with demo data (scripts/screenshots.sh), signed in
# as Bob. Passes when every screen was captured, the PNGs are real images, and the tray was
# there.
set -euo pipefail
build="$1"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
log="$out/log.txt"
"$root/scripts/screenshots.sh" "$build" "$out/shots" >"$log" 2>&1 || { cat "$log"; exit 1; }
grep -q '^tray: available' "$log" || { cat "$log"; echo "FAIL: no system tray"; exit 1; }
for shot in sign-in chat notifications escrow auction auction-dark chat-dark desktop-with-tray; do
    file="$out/shots/$shot.png"
    [ -s "$file" ] || { cat "$log"; echo "FAIL: $shot.png missing"; exit 1; }
    size=$(identify -format '%wx%h' "$file")
    [ "$size" != "" ] || { echo "FAIL: $shot.png is not an image"; exit 1; }
    # A blank window would compress to almost nothing.
    [ "$(stat -c %s "$file")" -gt 8000 ] || { echo "FAIL: $shot.png looks empty"; exit 1; }
    echo "ok $shot.png $size"
done
