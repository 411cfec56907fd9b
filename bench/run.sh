#!/usr/bin/env bash
# Runs every milvus_fdw benchmark (bench/insert.py, then bench/read.py) against
# the live services, starting PostgreSQL and Milvus 2.3 first if needed, and
# ends with all result lines again, as a table.
#
# Usage: bench/run.sh [--quick]     (--quick: smaller sizes, about 3 minutes; full: about 5)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ARGS=()
for arg in "$@"; do
  case "$arg" in
    --quick) ARGS+=(--quick) ;;
    *) echo "usage: bench/run.sh [--quick]" >&2; exit 2 ;;
  esac
done

if [ ! -f "$ROOT/.run/env" ] ||
   "$ROOT/scripts/services.sh" status postgres milvus23 | grep -q stopped; then
  "$ROOT/scripts/services.sh" start postgres milvus23
fi
# shellcheck source=/dev/null
source "$ROOT/.run/env"

LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
echo "milvus_fdw benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores," \
     "Milvus $("$VENV/bin/python" -c 'import milvus; print(milvus.__version__)' 2>/dev/null || echo '?')," \
     "pymilvus $("$VENV/bin/python" -c 'import pymilvus; print(pymilvus.__version__)')"
for bench in insert read; do
  echo
  echo "### bench/$bench.py ${ARGS[*]:-}"
  "$VENV/bin/python" -u "$ROOT/bench/$bench.py" "${ARGS[@]}" | tee -a "$LOG"
done

echo
echo "### results (ratio > 1: milvus_fdw better)"
grep -E '^[a-z0-9_]+: ratio ' "$LOG" |
  sed -E 's/^([a-z0-9_]+): ratio ([^ ]+) \(ours (.+), baseline (.+)\)$/\1|\2|\3|\4/' |
  awk -F'|' 'BEGIN { printf "%-22s %7s  %-20s %-20s\n", "benchmark", "ratio", "ours", "baseline" }
             { printf "%-22s %7s  %-20s %-20s\n", $1, $2, $3, $4 }'
