#!/usr/bin/env bash
# The fleet's wall time (BENCHMARKS.md): the tracker's chain on 50 SQLite files,
# 20 PostgreSQL databases, 10 schemas of one PostgreSQL database and 10 MariaDB
# databases, upgraded to head by `migrate fleet upgrade -j 8`, against the same
# fleet one target after another (`-j 1`) and against a shell loop running
# `migrate upgrade` once per target. Each run starts from base. Needs the
# servers of the tests (PostgreSQL on 5432, MariaDB on 3306) and their clients.
#
#   bash bench/scripts/fleet.sh [REPS]
set -euo pipefail
cd "$(dirname "$0")/../.."
reps="${1:-3}"
cargo build --release -q -p tracker --features postgres,mysql --bin migrate
bin="$PWD/target/release/migrate"
pg="postgres://postgres@127.0.0.1:5432"
my="mysql://root@127.0.0.1:3306"
dir="$(mktemp -d)"
tag="fleetbench_$$"
cleanup() {
    for i in $(seq 0 19); do psql -q "$pg/test" -c "DROP DATABASE IF EXISTS ${tag}_$i" >/dev/null 2>&1 || true; done
    psql -q "$pg/test" -c "DROP DATABASE IF EXISTS ${tag}_s" >/dev/null 2>&1 || true
    for i in $(seq 0 9); do mariadb -h127.0.0.1 -uroot -e "DROP DATABASE IF EXISTS ${tag}_$i" >/dev/null 2>&1 || true; done
    rm -rf "$dir"
}
trap cleanup EXIT
targets="$dir/targets.txt"
: >"$targets"
for i in $(seq 0 49); do echo "sqlite:///$dir/t$i.db" >>"$targets"; done
for i in $(seq 0 19); do
    psql -q "$pg/test" -c "CREATE DATABASE ${tag}_$i" >/dev/null
    echo "$pg/${tag}_$i" >>"$targets"
done
psql -q "$pg/test" -c "CREATE DATABASE ${tag}_s" >/dev/null
for i in $(seq 0 9); do
    psql -q "$pg/${tag}_s" -c "CREATE SCHEMA tenant_$i" >/dev/null
    echo "$pg/${tag}_s schema=tenant_$i" >>"$targets"
done
for i in $(seq 0 9); do
    mariadb -h127.0.0.1 -uroot -e "CREATE DATABASE ${tag}_$i"
    echo "$my/${tag}_$i" >>"$targets"
done
n="$(wc -l <"$targets")"
now() { date +%s.%N; }
reset() { "$bin" fleet downgrade base --targets "$targets" -j 8 >/dev/null 2>&1; }
run_fleet() {
    reset
    local t0 t1
    t0="$(now)"
    "$bin" fleet upgrade --targets "$targets" -j "$1" >/dev/null 2>"$dir/err" || { cat "$dir/err"; exit 1; }
    t1="$(now)"
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'
}
run_loop() {
    reset
    local t0 t1
    t0="$(now)"
    while read -r url rest; do
        if [ -n "$rest" ]; then
            # A schema: libpq's options put it on the session.
            url="$url?options=-csearch_path%3D${rest#schema=}"
        fi
        "$bin" --url "$url" upgrade head >/dev/null 2>&1
    done <"$targets"
    t1="$(now)"
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'
}
echo "targets: $n"
for r in $(seq 1 "$reps"); do
    echo "rep $r: -j 8 $(run_fleet 8) s; -j 1 $(run_fleet 1) s; loop $(run_loop) s"
done
