# Sourced by scripts/test.sh (and usable by hand): a throwaway PostgreSQL 15 cluster on
# 127.0.0.1 for the test matrix. initdb refuses to run as root, so the cluster belongs to the
# `postgres` user. pg_start exports FLIPPDEAL_TEST_DATABASE; the cluster is removed on exit.

pg_bin() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [ -n "$dir" ] || { echo "postgres.sh: PostgreSQL is not installed" >&2; return 1; }
    echo "$dir"
}

pg_start() {
    local bin port as=()
    bin=$(pg_bin) || return 1
    port="${FLIPPDEAL_PG_PORT:-25432}"
    PG_DIR=$(mktemp -d /tmp/flippdeal-pg.XXXXXX)
    chmod 755 "$PG_DIR"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres:postgres "$PG_DIR"
        as=(runuser -u postgres --)
    fi
    "${as[@]}" "$bin/initdb" -D "$PG_DIR/data" -U flippdeal --auth=trust -E UTF8 >/dev/null
    "${as[@]}" "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" \
        -o "-p $port -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" -w start >/dev/null
    export FLIPPDEAL_TEST_DATABASE="postgres://flippdeal@127.0.0.1:$port/postgres"
    PG_STOP_CMD=("${as[@]}" "$bin/pg_ctl" -D "$PG_DIR/data" -m immediate stop)
    trap pg_stop EXIT
    echo "postgres.sh: PostgreSQL on 127.0.0.1:$port ($PG_DIR)"
}

pg_stop() {
    if [ -n "${PG_DIR:-}" ]; then
        "${PG_STOP_CMD[@]}" >/dev/null 2>&1 || true
        rm -rf "$PG_DIR"
        PG_DIR=""
    fi
}
