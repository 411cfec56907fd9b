#!/usr/bin/env bash
# Runs every test of milvus_fdw from nothing: installs what is missing
# (apt-get, pip), builds and installs the extension, starts the real services
# (scripts/services.sh), runs the pg_regress suites and the pytest suites
# against them, stops what it started, and ends with "N passed, N failed".
#
# Usage: scripts/test.sh [--long]
#   The regress suites also run under valgrind (scripts/valgrind.sh, a few
#   minutes), and a soak test of 8 mixed sessions (test/long/) runs for
#   SOAK_SECONDS (default 300: CI runs it).  --long makes the soak 30 minutes.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

LONG=
for arg in "$@"; do
  case "$arg" in
    --long) LONG=1 ;;
    *) echo "usage: scripts/test.sh [--long]" >&2; exit 2 ;;
  esac
done

passed=0
failed=0
failures=()
count() {  # count NAME STATUS
  if [ "$2" = ok ]; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=("$1"); fi
}

# Leave running what was running before us; stop what we started.
was_running=$(scripts/services.sh status 2>/dev/null | grep -c running || true)
finish() {
  if [ "${was_running:-0}" -eq 0 ] && [ -z "${KEEP_SERVICES:-}" ]; then
    scripts/services.sh stop >/dev/null 2>&1 || true
  fi
  echo
  if [ ${#failures[@]} -gt 0 ]; then echo "failed: ${failures[*]}"; fi
  echo "$passed passed, $failed failed"
  # an EXIT trap's last status is not the script's: exit explicitly
  [ "$failed" -eq 0 ] || exit 1
}
trap 'exit 130' INT TERM
trap finish EXIT

if ! scripts/services.sh start; then
  count "services" failed
  exit 1
fi
source "$RUN_DIR/env"

# ---- pg_regress suites (sql/*.sql against expected/*.out) ----
log "pg_regress"
regress_out="$RUN_DIR/regress"
rm -rf "$regress_out"; mkdir -p "$regress_out"
pg_regress="$(dirname "$(pg_config --pgxs)")/../../src/test/regress/pg_regress"
suites=$(make -s print-regress)
"$pg_regress" --inputdir=. --outputdir="$regress_out" --bindir=/usr/lib/postgresql/15/bin \
  --host="$PGHOST" --port="$PGPORT" --user="$PGUSER" --dbname=contrib_regression \
  $suites > "$regress_out/summary.log" 2>&1
cat "$regress_out/summary.log"
for suite in $suites; do
  if grep -Eq "^(test| )? *$suite +\.\.\. ok" "$regress_out/summary.log"; then
    count "regress/$suite" ok
  else
    count "regress/$suite" failed
  fi
done
if [ -s "$regress_out/regression.diffs" ]; then
  head -c 20000 "$regress_out/regression.diffs"
fi

# ---- pytest suites (test/) ----
log "pytest"
pytest_log="$RUN_DIR/pytest.log"
(cd test && "$VENV/bin/python" -m pytest -q -p no:cacheprovider -rfE --ignore=long . ) 2>&1 | tee "$pytest_log"
summary=$(tail -n 1 "$pytest_log")
p=$(grep -oE '[0-9]+ passed' <<<"$summary" | grep -oE '[0-9]+' || echo 0)
f=$(grep -oE '[0-9]+ (failed|error|errors)' <<<"$summary" | awk '{s += $1} END {print s + 0}')
passed=$((passed + ${p:-0}))
if [ "${f:-0}" -gt 0 ]; then failed=$((failed + f)); failures+=("pytest($f)"); fi
if [ "${p:-0}" -eq 0 ] && [ "${f:-0}" -eq 0 ]; then count "pytest(no result)" failed; fi

# ---- valgrind: the regress suites with every backend under memcheck ----
log "valgrind"
if scripts/valgrind.sh; then count "valgrind" ok; else count "valgrind" failed; fi

# ---- soak: 8 sessions for SOAK_SECONDS (--long: 30 minutes) ----
if [ -n "$LONG" ]; then export SOAK_SECONDS=${SOAK_SECONDS:-1800}; fi
log "soak (${SOAK_SECONDS:-300} s)"
if (cd test && "$VENV/bin/python" -m pytest -q -s -p no:cacheprovider long/); then
  count "soak" ok
else
  count "soak" failed
fi
