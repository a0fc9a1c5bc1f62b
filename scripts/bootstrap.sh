#!/usr/bin/env bash
# Installs what building and testing FlippDeal Live needs on Debian 12, only what is missing.
# Safe to run repeatedly; used by scripts/run.sh, scripts/test.sh and .ci/run.
set -euo pipefail

packages=(
    cmake ninja-build g++ pkg-config ccache git clang-format
    # scripts/function-lengths.py (the 60-line rule in scripts/test.sh)
    python3
    qt6-base-dev qt6-websockets-dev libqt6sql6-sqlite libqt6sql6-psql qt6-qpa-plugins
    libsodium-dev libgumbo-dev
    # the WebSocket engine batches its sends through io_uring (with a sendmsg() fallback)
    liburing-dev
    # the fuzz preset (scripts/fuzz.sh): clang, libFuzzer and the sanitizer runtimes of clang 14
    # (libclang-rt-14-dev), llvm-symbolizer for readable reports (llvm)
    clang libclang-rt-14-dev llvm
    # TLS: libcrypto checks that the key matches the certificate; the tests make certificates
    libssl-dev openssl sqlite3
    # bench/sqliteprobe.cpp: raw SQLite commits per second, beside the server's
    libsqlite3-dev
    # the desktop client: Qt Quick, every QML module it imports (Debian's do not pull each
    # other in), SVG icons, the keychain
    qt6-declarative-dev qt6-declarative-dev-tools qt6-svg-dev libqt6svg6 qtkeychain-qt6-dev
    qml6-module-qtqml qml6-module-qtqml-models qml6-module-qtqml-workerscript
    qml6-module-qtquick qml6-module-qtquick-templates qml6-module-qtquick-controls
    qml6-module-qtquick-layouts qml6-module-qtquick-window qml6-module-qttest
    # headless GUI tests and screenshots: a display, a tray host, a throwaway keyring
    # (never dbus-x11: with it the keyring pops a dialog and tests hang)
    xvfb xauth trayer dbus-daemon gnome-keyring libsecret-tools imagemagick curl
    nodejs npm
    postgresql
    # cluster mode (server/cluster/): Debian's Redis 7 and hiredis with its Qt adapter
    redis-server libhiredis-dev
    # the Debian packages (installer/packaging.cmake) and their test (tests/packaging):
    # dpkg-shlibdeps and file for CPack, systemd-analyze, desktop-file-validate, appstreamcli
    dpkg-dev file systemd desktop-file-utils appstream
)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done
# Node may come from outside Debian (nvm, nodesource); only install Debian's if none is on PATH.
if command -v node >/dev/null 2>&1; then
    missing=("${missing[@]/nodejs/}")
    missing=("${missing[@]/npm/}")
fi
read -r -a missing <<<"${missing[*]:-}"

if ((${#missing[@]})); then
    echo "bootstrap: installing ${missing[*]}"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The end-to-end compatibility suite runs the real npm clients.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
compat="$root/tests/compat"
if [ ! -d "$compat/node_modules" ] || [ "$compat/package-lock.json" -nt "$compat/node_modules/.package-lock.json" ]; then
    echo "bootstrap: npm ci in tests/compat"
    (cd "$compat" && npm ci --no-audit --no-fund --loglevel=error)
fi
