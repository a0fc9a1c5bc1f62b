#!/bin/sh
# Runs a command inside a throwaway D-Bus session with an unlocked gnome-keyring (Secret
# Service only), in a throwaway HOME, so keychain tests use a real keychain and never the
# user's. Usage: with-keyring.sh COMMAND [ARGS...]
# Needs dbus-run-session (dbus) and gnome-keyring-daemon (gnome-keyring). Do not install
# dbus-x11: with it, QtKeychain can pop up a "new keyring password" dialog and hang.
set -eu
if [ "$#" -eq 0 ]; then
    echo "usage: $0 COMMAND [ARGS...]" >&2
    exit 2
fi
for tool in dbus-run-session gnome-keyring-daemon; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "with-keyring.sh: $tool is missing (apt-get install dbus gnome-keyring)" >&2
        exit 1
    fi
done
home="$(mktemp -d)"
trap 'rm -rf "$home"' EXIT INT TERM
mkdir -m 700 "$home/runtime"
unset DBUS_SESSION_BUS_ADDRESS GNOME_KEYRING_CONTROL
# Not exec: the trap removes the throwaway HOME (and the keyring in it) afterwards.
status=0
HOME="$home" XDG_RUNTIME_DIR="$home/runtime" XDG_DATA_HOME="$home/.local/share" \
    XDG_CONFIG_HOME="$home/.config" XDG_CACHE_HOME="$home/.cache" \
    dbus-run-session -- sh -c \
    'echo -n test-pass | gnome-keyring-daemon --unlock --components=secrets >/dev/null; exec "$@"' \
    sh "$@" || status=$?
exit "$status"
