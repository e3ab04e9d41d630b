#!/usr/bin/env bash
# A throwaway pgbouncer in transaction pooling mode on 127.0.0.1:6432, in front of
# the PostgreSQL on 127.0.0.1:5432, for tests and CI.
#
#   scripts/pgbouncer.sh start   # prints postgres://postgres@127.0.0.1:6432/test
#   scripts/pgbouncer.sh stop
#
# Needs the Debian packages pgbouncer and postgresql-client (psql, for the readiness check).
#
# Everything lives in its own dir with an explicit config, so Debian's packaged
# /etc/pgbouncer and its service are never used, and the system PostgreSQL is only
# ever a client's peer: nothing here signals or reconfigures it.
#
# Environment: PGBOUNCER_DIR (default /tmp/migrate-pgbouncer; stop must see the same value),
# PGBOUNCER_TIMEOUT (seconds to accept connections, default 30).
set -euo pipefail

DIR="${PGBOUNCER_DIR:-/tmp/migrate-pgbouncer}"
TIMEOUT="${PGBOUNCER_TIMEOUT:-30}"
PORT=6432
URL="postgres://postgres@127.0.0.1:$PORT/test"
# Guards the rm -rf against a PGBOUNCER_DIR that points somewhere we did not create.
MARKER="$DIR/.migrate-pgbouncer"
INI="$DIR/pgbouncer.ini"

log() { printf 'pgbouncer: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

find_bin() {
    # /usr/sbin is often not on a non-root PATH, and that is where pgbouncer lives.
    if command -v "$1" 2>/dev/null; then return; fi
    if [ -x "/usr/sbin/$1" ]; then echo "/usr/sbin/$1"; fi
}

recorded_pid() {
    if [ -f "$DIR/launch.pid" ]; then cat "$DIR/launch.pid"; fi
}

# True only if PID is a pgbouncer running our config, so a recycled PID or the
# packaged service can never be signalled.
is_ours() {
    local pid=$1 argv=()
    [ -n "$pid" ] || return 1
    mapfile -d '' argv 2>/dev/null <"/proc/$pid/cmdline" || return 1
    [ ${#argv[@]} -ge 2 ] || return 1
    [ "$(basename -- "${argv[0]}")" = pgbouncer ] || return 1
    [ "${argv[${#argv[@]} - 1]}" = "$INI" ]
}

accepts() {
    psql -X -h 127.0.0.1 -p "$PORT" -U postgres -d test -tAc 'SELECT 1' >/dev/null 2>&1
}

cmd_start() {
    local bouncer pid i user_opt=() start
    bouncer=$(find_bin pgbouncer)
    local missing=()
    [ -n "$bouncer" ] || missing+=(pgbouncer)
    command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
    if [ ${#missing[@]} -gt 0 ]; then
        die "missing packages; install them with: apt-get install -y ${missing[*]}"
    fi

    if is_ours "$(recorded_pid)" && accepts; then
        log "already running in $DIR"
        echo "$URL"
        return 0
    fi
    if [ -d "$DIR" ]; then
        log "removing leftovers of an earlier run in $DIR"
        cmd_stop
    fi
    if ss -ltnH "sport = :$PORT" 2>/dev/null | grep -q .; then
        die "port $PORT is already in use (Debian's pgbouncer service?)"
    fi

    mkdir -p "$DIR"
    chmod 755 "$DIR"
    touch "$MARKER"
    # trust still needs the user names in auth_file; the passwords are never checked.
    printf '"postgres" ""\n"root" ""\n' >"$DIR/userlist.txt"
    cat >"$INI" <<EOF
[databases]
; Tests create databases with random names on the fly.
* = host=127.0.0.1 port=5432

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PORT
; Keeps its socket out of /var/run/postgresql, where the packaged service puts its own.
unix_socket_dir = $DIR
pidfile = $DIR/pgbouncer.pid
logfile = $DIR/pgbouncer.log
auth_type = trust
auth_file = $DIR/userlist.txt
admin_users = postgres
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 20
; Some drivers send it at startup; pgbouncer would refuse the connection otherwise.
ignore_startup_parameters = extra_float_digits
EOF
    # pgbouncer refuses to run as root; -u makes it drop to postgres after reading its config.
    if [ "$(id -u)" = 0 ]; then
        chown -R postgres:postgres "$DIR"
        user_opt=(-u postgres)
    fi

    # setsid: it outlives the caller's process group; the redirects keep
    # $(pgbouncer.sh start) from hanging on its pipe.
    setsid "$bouncer" "${user_opt[@]}" "$INI" </dev/null >>"$DIR/stderr.log" 2>&1 &
    pid=$!
    disown "$pid"
    # Until the exec happens /proc/$pid is still this shell (or setsid).
    for ((i = 0; i < 100; i++)); do
        is_ours "$pid" && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    echo "$pid" >"$DIR/launch.pid"

    start=$SECONDS
    until accepts; do
        if ! is_ours "$pid" || ((SECONDS - start >= TIMEOUT)); then
            log "not accepting connections on 127.0.0.1:$PORT; last log lines:"
            tail -n 20 "$DIR/pgbouncer.log" "$DIR/stderr.log" >&2 2>/dev/null || true
            cmd_stop
            exit 1
        fi
        sleep 0.2
    done
    log "running (pid $pid, transaction pooling, ready after $((SECONDS - start))s)"
    echo "$URL"
}

cmd_stop() {
    local pid start killed=0
    if [ ! -d "$DIR" ]; then
        log "not running (no $DIR)"
        return 0
    fi
    [ -f "$MARKER" ] || die "$DIR was not made by this script; not touching it"
    pid=$(recorded_pid)
    if is_ours "$pid"; then
        kill -TERM "$pid" 2>/dev/null || true
        start=$SECONDS
        while kill -0 "$pid" 2>/dev/null; do
            if ((SECONDS - start >= 10)); then
                if [ "$killed" = 0 ]; then log "pid $pid ignored SIGTERM for 10s, SIGKILL"; fi
                killed=1
                kill -KILL "$pid" 2>/dev/null || true
            fi
            sleep 0.1
        done
        log "stopped pid $pid"
    fi
    rm -rf -- "$DIR"
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
