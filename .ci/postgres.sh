# A throwaway PostgreSQL server for the inventory tests (marker `postgres`).
#
# Source it (`. .ci/postgres.sh`), then call `postgres_start`: it installs
# PostgreSQL from the Debian packages if missing, starts a private cluster in a
# temporary folder (Unix socket only, no TCP port, trust auth) and exports
# KEYSWEEP_TEST_PG_URL. `postgres_stop` stops the server and removes the folder.
# Idempotent: starting again while the server runs reuses it. Runs as root (the
# cluster then belongs to the `postgres` user) or as any user, and is safe under
# `set -euo pipefail`. On failure it prints one line, leaves
# KEYSWEEP_TEST_PG_URL unset and returns 1.
#
#   bash -c '. .ci/postgres.sh && postgres_start && .venv/bin/pytest -m postgres; postgres_stop' 

keysweep_pg__log() { echo "postgres.sh: $*" >&2; }

keysweep_pg__bindir() {
    for dir in /usr/lib/postgresql/*/bin; do
        [ -x "$dir/initdb" ] && echo "$dir"
    done | sort -V | tail -n 1
}

keysweep_pg__install() {
    [ -n "$(keysweep_pg__bindir)" ] && return 0
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        keysweep_pg__log "PostgreSQL is not installed and cannot be installed here (need root and apt-get)"
        return 1
    fi
    keysweep_pg__log "installing PostgreSQL from the Debian packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null &&
        apt-get install -y -qq --no-install-recommends postgresql >/dev/null || {
        keysweep_pg__log "apt-get install postgresql failed"
        return 1
    }
    # The package may start (and enable) its default cluster; we do not need it.
    command -v pg_ctlcluster >/dev/null 2>&1 &&
        for conf in /etc/postgresql/*/main; do
            [ -d "$conf" ] || continue
            version=$(basename "$(dirname "$conf")")
            pg_ctlcluster "$version" main stop >/dev/null 2>&1 || true
        done
    [ -n "$(keysweep_pg__bindir)" ]
}

# Run a PostgreSQL program as the cluster's owner.
keysweep_pg__as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

postgres_start() {
    if [ -n "${KEYSWEEP_PG_DIR:-}" ] && [ -S "$KEYSWEEP_PG_DIR/.s.PGSQL.5432" ]; then
        return 0
    fi
    keysweep_pg__install || return 1
    bin=$(keysweep_pg__bindir)
    KEYSWEEP_PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/keysweep-pg.XXXXXX") || return 1
    export KEYSWEEP_PG_DIR
    [ "$(id -u)" = 0 ] && chown postgres: "$KEYSWEEP_PG_DIR"
    keysweep_pg__as_owner "$bin/initdb" -D "$KEYSWEEP_PG_DIR/data" -U keysweep -A trust \
        --no-sync -E UTF8 >"$KEYSWEEP_PG_DIR/initdb.log" 2>&1 || {
        keysweep_pg__log "initdb failed: $(tail -n 1 "$KEYSWEEP_PG_DIR/initdb.log")"
        return 1
    }
    keysweep_pg__as_owner "$bin/pg_ctl" -D "$KEYSWEEP_PG_DIR/data" -l "$KEYSWEEP_PG_DIR/server.log" \
        -o "-c listen_addresses='' -k $KEYSWEEP_PG_DIR -c fsync=off -c full_page_writes=off" \
        -w -t 60 start >/dev/null || {
        keysweep_pg__log "the server did not start: $(tail -n 1 "$KEYSWEEP_PG_DIR/server.log")"
        return 1
    }
    export KEYSWEEP_TEST_PG_URL="postgresql+psycopg://keysweep@/postgres?host=$KEYSWEEP_PG_DIR"
    keysweep_pg__log "PostgreSQL running in $KEYSWEEP_PG_DIR"
}

postgres_stop() {
    [ -n "${KEYSWEEP_PG_DIR:-}" ] || return 0
    bin=$(keysweep_pg__bindir)
    if [ -n "$bin" ] && [ -d "$KEYSWEEP_PG_DIR/data" ]; then
        keysweep_pg__as_owner "$bin/pg_ctl" -D "$KEYSWEEP_PG_DIR/data" -m fast -w stop >/dev/null 2>&1
    fi
    rm -rf "$KEYSWEEP_PG_DIR"
    unset KEYSWEEP_PG_DIR KEYSWEEP_TEST_PG_URL
}

