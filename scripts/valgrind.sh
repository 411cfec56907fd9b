#!/usr/bin/env bash
# Runs the pg_regress suites against a PostgreSQL whose every backend runs
# under valgrind (memcheck), then reads valgrind's reports and fails on any
# error whose stack passes through milvus_fdw.so: invalid reads or writes,
# use of uninitialised values, and definite leaks.  Errors entirely inside
# PostgreSQL or system libraries are counted and shown, not failed on.
#
# Needs the services of scripts/services.sh (Milvus, MinIO) running and
# .run/env written; starts and stops its own PostgreSQL in .run/valgrind.
#
# Usage: scripts/valgrind.sh [SUITE...]     (default: every suite)
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
source "$RUN_DIR/env"

VG_DIR="$RUN_DIR/valgrind"
PGBIN=/usr/lib/postgresql/15/bin
rm -rf "$VG_DIR"
mkdir -p "$VG_DIR/logs"

as_pg() {  # the server runs as the postgres OS user when we are root
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
if [ "$(id -u)" -eq 0 ]; then chown -R postgres: "$VG_DIR"; fi

command -v valgrind >/dev/null || apt_install valgrind

port=$(free_port)
as_pg "$PGBIN/initdb" -D "$VG_DIR/pgdata" -U "$PGUSER" --auth=trust >"$VG_DIR/initdb.log" 2>&1 </dev/null ||
  { cat "$VG_DIR/initdb.log"; exit 1; }

# every forked backend stays under valgrind; leaks are checked when each exits
as_pg valgrind --quiet --tool=memcheck --trace-children=yes --child-silent-after-fork=no \
  --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
  --num-callers=40 --error-limit=no --read-var-info=no --fullpath-after= \
  --log-file="$VG_DIR/logs/vg.%p.log" \
  "$PGBIN/postgres" -D "$VG_DIR/pgdata" -p "$port" -k "$VG_DIR" -c listen_addresses=127.0.0.1 \
  -c max_parallel_workers_per_gather=0 -c fsync=off -c shared_buffers=32MB \
  >"$VG_DIR/postgres.log" 2>&1 &
vg_pid=$!
stop_pg() {
  as_pg "$PGBIN/pg_ctl" -D "$VG_DIR/pgdata" -m fast -w -t 300 stop >/dev/null 2>&1 || kill "$vg_pid" 2>/dev/null
  wait "$vg_pid" 2>/dev/null
}
trap stop_pg EXIT

for _ in $(seq 1 240); do
  "$PGBIN/pg_isready" -h 127.0.0.1 -p "$port" -q && break
  sleep 1
done
"$PGBIN/pg_isready" -h 127.0.0.1 -p "$port" -q || { echo "postgres under valgrind did not start"; cat "$VG_DIR/postgres.log"; exit 1; }

suites=${*:-$(make -s print-regress)}
pg_regress="$(dirname "$(pg_config --pgxs)")/../../src/test/regress/pg_regress"
log "pg_regress under valgrind: $suites"
"$pg_regress" --inputdir=. --outputdir="$VG_DIR/regress" --bindir="$PGBIN" \
  --host=127.0.0.1 --port="$port" --user="$PGUSER" --dbname=contrib_regression \
  $suites | tee "$VG_DIR/regress.log"
regress_ok=$?
stop_pg
trap - EXIT

# One report per process; an error block runs from "==pid== <kind>" to a blank
# line.  It is ours when a frame is in milvus_fdw.so: valgrind names such a
# frame by our source file (--fullpath-after=: its full path, under this
# checkout, where the .so was built) or, without debug info, by the .so.
ours=0
theirs=0
for f in "$VG_DIR"/logs/vg.*.log; do
  [ -s "$f" ] || continue
  awk -v file="$f" -v src="($(pwd)/" '
    /^==[0-9]+== (Invalid |Conditional jump|Use of uninitialised|Syscall param|Mismatched|Source and destination overlap|Argument .* of function|[0-9,]+ (\([0-9,]+ direct, [0-9,]+ indirect\) )?bytes in [0-9,]+ blocks are definitely lost)/ {
      inblock = 1; block = $0 "\n"; next }
    inblock && /^==[0-9]+== *$/ {
      mine = index(block, "milvus_fdw.so") > 0 || index(block, src) > 0
      print (mine ? "OURS" : "THEIRS") "\t" file
      if (mine) printf "%s\n", block > "/dev/stderr"
      inblock = 0; next }
    inblock { block = block $0 "\n" }
  ' "$f" 2>>"$VG_DIR/ours.txt"
done >"$VG_DIR/summary.tsv"
ours=$(grep -c '^OURS' "$VG_DIR/summary.tsv" || true)
theirs=$(grep -c '^THEIRS' "$VG_DIR/summary.tsv" || true)
echo "valgrind: $ours error(s) through milvus_fdw.so, $theirs elsewhere (reports in $VG_DIR/logs)"
if [ "$ours" -gt 0 ]; then
  head -c 20000 "$VG_DIR/ours.txt"
fi
grep -q "All [0-9]* tests passed" "$VG_DIR/regress.log" || regress_ok=1
[ "$ours" -eq 0 ] && [ "$regress_ok" -eq 0 ]
