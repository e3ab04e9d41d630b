#!/usr/bin/env bash
# A throwaway 3-node MariaDB Galera cluster on 127.0.0.1 for tests and CI.
#
#   scripts/galera.sh start    # prints mysql://root@127.0.0.1:3311/test (and 3312, 3313)
#   scripts/galera.sh status   # exit 0 only if all three nodes are Synced
#   scripts/galera.sh stop
#   scripts/galera.sh kill N / rejoin N   # SIGKILL node N; start it again to rejoin
#
# Needs the Debian packages mariadb-server mariadb-client galera-4 rsync iproute2
# (the rsync SST script looks for listening ports with `ss`).
#
# It must coexist with the MariaDB on 127.0.0.1:3306: every server and client call
# uses --defaults-file/--no-defaults, so the system my.cnf and the default socket
# are never read, and stop only signals the PIDs this script recorded.
# Measured facts and pitfalls behind the settings: /work/shared/notes/galera.md.
#
# Environment: GALERA_DIR (default /tmp/migrate-galera; stop must see the same value),
# GALERA_TIMEOUT (seconds per node to reach Synced, default 120),
# GALERA_STOP_TIMEOUT (seconds before SIGKILL, default 20).
set -euo pipefail

DIR="${GALERA_DIR:-/tmp/migrate-galera}"
TIMEOUT="${GALERA_TIMEOUT:-120}"
STOP_TIMEOUT="${GALERA_STOP_TIMEOUT:-20}"
# A fixed dir name is what lets `stop` and `status` find the cluster that `start` made;
# the marker guards the rm -rf against a GALERA_DIR that points somewhere we did not create.
MARKER="$DIR/.migrate-galera"
LOCK="${DIR%/}.lock"
NODES=(1 2 3)
CLUSTER_NAME=migrate-galera
GCOMM="gcomm://127.0.0.1:4571,127.0.0.1:4572,127.0.0.1:4573"

log() { printf 'galera: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

client_port() { echo $((3310 + $1)); }
node_dir() { echo "$DIR/node$1"; }
url() { echo "mysql://root@127.0.0.1:$(client_port "$1")/test"; }

find_bin() {
    # /usr/sbin is often not on a non-root PATH, and that is where mariadbd lives.
    if command -v "$1" 2>/dev/null; then return; fi
    if [ -x "/usr/sbin/$1" ]; then echo "/usr/sbin/$1"; fi
}

find_provider() {
    local p
    if command -v dpkg >/dev/null 2>&1; then
        p=$(dpkg -L galera-4 2>/dev/null | grep -m1 '/libgalera_smm\.so$' || true)
        [ -n "$p" ] && [ -e "$p" ] && { echo "$p"; return; }
    fi
    for p in /usr/lib/galera/libgalera_smm.so /usr/lib/libgalera_smm.so /usr/lib64/galera-4/libgalera_smm.so; do
        [ -e "$p" ] && { echo "$p"; return; }
    done
    true
}

check_deps() {
    local missing=()
    MARIADBD=$(find_bin mariadbd)
    INSTALL_DB=$(find_bin mariadb-install-db)
    CLIENT=$(find_bin mariadb)
    PROVIDER=$(find_provider)
    if [ -z "$MARIADBD" ] || [ -z "$INSTALL_DB" ]; then missing+=(mariadb-server); fi
    [ -n "$CLIENT" ] || missing+=(mariadb-client)
    [ -n "$PROVIDER" ] || missing+=(galera-4)
    command -v rsync >/dev/null 2>&1 || missing+=(rsync)
    command -v ss >/dev/null 2>&1 || missing+=(iproute2)
    if [ ${#missing[@]} -gt 0 ]; then
        log "missing packages; install them with:"
        log "  apt-get install -y ${missing[*]}"
        exit 1
    fi
}

# Socket client: works before root@127.0.0.1 exists, and never falls back to
# the system server's default socket.
sql() {
    local n=$1; shift
    "$CLIENT" --no-defaults --protocol=socket -S "$(node_dir "$n")/mysqld.sock" \
        -u root --connect-timeout=2 -N -B "$@"
}

# Prints "ready state size" for a node, or nothing when it does not answer.
node_wsrep() {
    sql "$1" -e "SELECT
          MAX(IF(VARIABLE_NAME='WSREP_READY', VARIABLE_VALUE, NULL)),
          MAX(IF(VARIABLE_NAME='WSREP_LOCAL_STATE_COMMENT', VARIABLE_VALUE, NULL)),
          MAX(IF(VARIABLE_NAME='WSREP_CLUSTER_SIZE', VARIABLE_VALUE, NULL))
        FROM information_schema.GLOBAL_STATUS" 2>/dev/null || true
}

recorded_pid() {
    local f
    f="$(node_dir "$1")/launch.pid"
    if [ -f "$f" ]; then cat "$f"; fi
}

# True only if PID is a mariadbd started with this node's my.cnf, so a recycled
# PID or the system server can never be signalled.
is_our_node() {
    local pid=$1 n=$2 argv=()
    [ -n "$pid" ] || return 1
    mapfile -d '' argv 2>/dev/null <"/proc/$pid/cmdline" || return 1
    [ ${#argv[@]} -ge 2 ] || return 1
    [ "$(basename -- "${argv[0]}")" = mariadbd ] || return 1
    [ "${argv[1]}" = "--defaults-file=$(node_dir "$n")/my.cnf" ]
}

node_synced() {
    local n=$1 want_size=$2 ready state size
    is_our_node "$(recorded_pid "$n")" "$n" || return 1
    read -r ready state size <<<"$(node_wsrep "$n")" || return 1
    [ "$ready" = ON ] && [ "$state" = Synced ] && [ "$size" -ge "$want_size" ] 2>/dev/null
}

all_synced() {
    local n
    [ -f "$MARKER" ] || return 1
    for n in "${NODES[@]}"; do node_synced "$n" 3 || return 1; done
}

write_cnf() {
    local n=$1 d
    d=$(node_dir "$n")
    {
        echo "[mysqld]"
        # As root, mariadbd drops to mysql itself: a root joiner cannot receive an rsync SST.
        if [ "$(id -u)" = 0 ]; then echo "user=mysql"; fi
        cat <<EOF
datadir=$d/data
socket=$d/mysqld.sock
pid-file=$d/mysqld.pid
log-error=$d/error.log
# Its own: a starting server removes the #sql temp files it finds in its tmpdir,
# and the other nodes' mariadb-install-db runs at the same time would lose theirs.
tmpdir=$d/tmp
port=$(client_port "$n")
bind-address=127.0.0.1
skip-name-resolve
performance_schema=OFF
innodb_buffer_pool_size=64M
innodb_flush_log_at_trx_commit=2
binlog_format=ROW
default_storage_engine=InnoDB
innodb_autoinc_lock_mode=2
wsrep_on=ON
wsrep_provider=$PROVIDER
wsrep_cluster_name=$CLUSTER_NAME
wsrep_cluster_address=$GCOMM
wsrep_node_name=node$n
wsrep_node_address=127.0.0.1:457$n
# Without gmcast.listen_addr Galera binds 0.0.0.0; IST defaults to base_port+1,
# which is the next node's gcomm port.
wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:457$n;base_host=127.0.0.1;base_port=457$n;ist.recv_addr=127.0.0.1:458$n;gcache.size=64M"
wsrep_sst_method=rsync
wsrep_sst_receive_address=127.0.0.1:459$n
EOF
    } >"$d/my.cnf"
}

launch() {
    local n=$1; shift
    local d pid i
    d=$(node_dir "$n")
    # setsid: the node outlives the caller's process group and gets its own group,
    # which stop uses to reap SST helpers. 9>&- keeps the start lock from leaking
    # into the daemon; the redirects keep $(galera.sh start) from hanging on its pipe.
    setsid "$MARIADBD" --defaults-file="$d/my.cnf" "$@" \
        </dev/null >>"$d/stdout.log" 2>&1 9>&- &
    pid=$!
    # Not a job of this shell: no "Killed" notices when stop_nodes runs in the same shell.
    disown "$pid"
    # Until the exec happens /proc/$pid is still this shell (or setsid).
    for ((i = 0; i < 100; i++)); do
        is_our_node "$pid" "$n" && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    is_our_node "$pid" "$n" || { show_log "$n"; die "node$n did not start"; }
    echo "$pid" >"$d/launch.pid"
    log "node$n started (pid $pid, port $(client_port "$n"))"
}

show_log() {
    local f
    f="$(node_dir "$1")/error.log"
    [ -f "$f" ] || f="$(node_dir "$1")/stdout.log"
    [ -f "$f" ] || return 0
    log "last lines of $f:"
    tail -n 30 "$f" >&2 || true
}

wait_synced() {
    local n=$1 want_size=$2 start=$SECONDS
    while ! node_synced "$n" "$want_size"; do
        if ! is_our_node "$(recorded_pid "$n")" "$n"; then
            show_log "$n"; return 1
        fi
        if ((SECONDS - start >= TIMEOUT)); then
            local now
            now=$(node_wsrep "$n" | tr '\t' ' ')
            log "node$n not Synced after ${TIMEOUT}s (ready/state/size: ${now:-no answer on its socket yet})"
            show_log "$n"; return 1
        fi
        sleep 0.5
    done
    log "node$n Synced after $((SECONDS - start))s"
}

port_busy() { ss -ltnH "sport = :$1" 2>/dev/null | grep -q .; }

stop_nodes() {
    local n pid pids=() start killed=0
    for n in "${NODES[@]}"; do
        pid=$(recorded_pid "$n")
        if is_our_node "$pid" "$n"; then
            pids+=("$pid")
            kill -TERM "$pid" 2>/dev/null || true
        fi
    done
    [ ${#pids[@]} -gt 0 ] || return 0
    log "stopping pids ${pids[*]}"
    start=$SECONDS
    # A joining node can ignore SIGTERM, hence the deadline and SIGKILL.
    while :; do
        local alive=()
        for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive+=("$pid"); done
        [ ${#alive[@]} -eq 0 ] && break
        if ((SECONDS - start >= STOP_TIMEOUT)); then
            if [ "$killed" = 0 ]; then log "still running after ${STOP_TIMEOUT}s, SIGKILL ${alive[*]}"; fi
            killed=1
            kill -KILL "${alive[@]}" 2>/dev/null || true
        fi
        sleep 0.2
    done
    # A killed node can leave its SST script and rsync daemon behind, in the node's
    # own process group; only those that mention our dir are touched.
    local member argv=()
    for pid in "${pids[@]}"; do
        for member in $(pgrep -g "$pid" 2>/dev/null || true); do
            mapfile -d '' argv 2>/dev/null <"/proc/$member/cmdline" || continue
            if [[ "${argv[*]}" == *"$DIR/"* ]]; then kill -KILL "$member" 2>/dev/null || true; fi
        done
    done
}

remove_dir() {
    if [ -d "$DIR" ]; then
        [ -f "$MARKER" ] || die "$DIR exists but was not made by this script; not removing it"
        rm -rf -- "$DIR"
    fi
}

install_db() {
    local n=$1 user_opt=()
    if [ "$(id -u)" = 0 ]; then user_opt=(--user=mysql); fi
    if ! "$INSTALL_DB" --no-defaults --datadir="$(node_dir "$n")/data" "${user_opt[@]}" \
        --tmpdir="$(node_dir "$n")/tmp" \
        --auth-root-authentication-method=normal --skip-test-db \
        </dev/null >"$(node_dir "$n")/install.log" 2>&1 9>&-; then
        tail -n 20 "$(node_dir "$n")/install.log" >&2
        log "mariadb-install-db failed for node$n"
        return 1
    fi
}

cmd_start() {
    check_deps
    mkdir -p "$(dirname -- "$LOCK")"
    # Parallel test binaries may all call start; one builds, the rest wait and reuse.
    exec 9>"$LOCK"
    flock -w $((TIMEOUT * 4)) 9 || die "timed out waiting for $LOCK"

    if all_synced; then
        log "cluster already running in $DIR"
        for n in "${NODES[@]}"; do url "$n"; done
        return 0
    fi
    if [ -d "$DIR" ]; then
        log "removing leftovers of an earlier cluster in $DIR"
        stop_nodes
        remove_dir
    fi

    local n p t0=$SECONDS
    for n in "${NODES[@]}"; do
        for p in "$(client_port "$n")" "457$n" "458$n" "459$n"; do
            port_busy "$p" && die "port $p on 127.0.0.1 is already in use"
        done
    done

    mkdir -p "$DIR"
    chmod 755 "$DIR"
    touch "$MARKER"
    for n in "${NODES[@]}"; do
        mkdir -p "$(node_dir "$n")/data" "$(node_dir "$n")/tmp"
        write_cnf "$n"
        if [ "$(id -u)" = 0 ]; then chown -R mysql:mysql "$(node_dir "$n")"; fi
    done

    # On failure, leave no servers behind but keep the logs for a look. The bare
    # wait lets a background mariadb-install-db finish (the nodes are disowned).
    trap 'log "start failed; logs kept in $DIR"; stop_nodes; wait' EXIT

    install_db 1
    # The joiners' datadirs are initialised while node 1 boots: it is a third of the run.
    install_db 2 & local inst2=$!
    install_db 3 & local inst3=$!
    launch 1 --wsrep-new-cluster
    wait_synced 1 1
    wait "$inst2" || die "mariadb-install-db failed for node2"
    wait "$inst3" || die "mariadb-install-db failed for node3"
    # Done before the joiners exist so their SST copies it (it would replicate anyway).
    sql 1 -e "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '';
              GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
              CREATE DATABASE IF NOT EXISTS test;"

    # One joiner at a time: node 1 is the only donor and rsync SST serves one joiner.
    launch 2
    wait_synced 2 2
    launch 3
    wait_synced 3 3
    for n in "${NODES[@]}"; do wait_synced "$n" 3; done
    trap - EXIT

    log "cluster ready in $((SECONDS - t0))s"
    for n in "${NODES[@]}"; do url "$n"; done
}

cmd_stop() {
    if [ ! -d "$DIR" ]; then
        log "no cluster in $DIR"
        return 0
    fi
    [ -f "$MARKER" ] || die "$DIR was not made by this script"
    # Waits for a start in progress instead of deleting the dir under it.
    exec 9>"$LOCK"
    flock -w $((TIMEOUT * 4)) 9 || die "timed out waiting for $LOCK"
    stop_nodes
    remove_dir
    log "stopped; removed $DIR"
}

cmd_status() {
    local n pid ok=0 ready state size
    CLIENT=$(find_bin mariadb)
    [ -n "$CLIENT" ] || die "mariadb client missing (apt-get install -y mariadb-client)"
    [ -f "$MARKER" ] || { echo "no cluster in $DIR"; return 1; }
    for n in "${NODES[@]}"; do
        pid=$(recorded_pid "$n")
        if ! is_our_node "$pid" "$n"; then
            echo "node$n 127.0.0.1:$(client_port "$n") down"
            ok=1; continue
        fi
        read -r ready state size <<<"$(node_wsrep "$n")" || true
        echo "node$n 127.0.0.1:$(client_port "$n") pid=$pid ready=${ready:-?} state=${state:-?} cluster_size=${size:-?}"
        if [ "${ready:-}" != ON ] || [ "${state:-}" != Synced ] || [ "${size:-0}" != 3 ]; then ok=1; fi
    done
    return $ok
}

# Tests of a node dying: SIGKILL one node (as a crash would), and start it again
# to rejoin the cluster (a state transfer from a surviving node).
cmd_kill() {
    local n=${1:-} pid
    [[ "$n" =~ ^[123]$ ]] || die "usage: $0 kill 1|2|3"
    pid=$(recorded_pid "$n")
    is_our_node "$pid" "$n" || die "node$n is not running"
    kill -KILL "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
    log "node$n killed (pid $pid)"
}

cmd_rejoin() {
    local n=${1:-} m
    [[ "$n" =~ ^[123]$ ]] || die "usage: $0 rejoin 1|2|3"
    check_deps
    is_our_node "$(recorded_pid "$n")" "$n" && die "node$n is running"
    if [ "$(id -u)" = 0 ]; then chown -R mysql:mysql "$(node_dir "$n")"; fi
    launch "$n"
    for m in "${NODES[@]}"; do wait_synced "$m" 3; done
    log "node$n rejoined"
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    kill) cmd_kill "${2:-}" ;;
    rejoin) cmd_rejoin "${2:-}" ;;
    *) echo "usage: $0 start|stop|status|kill N|rejoin N" >&2; exit 2 ;;
esac
