#!/usr/bin/env bash
# Runs every milvus_fdw benchmark (bench/insert.py, read.py, scan.py, and
# import.py and spark.py when present) against the live services, starting
# them first if needed, and ends with one table of every ratio against its
# goal (bench/report.py) and a chart of them, bench/results.png.
#
# Usage: bench/run.sh [--quick]     (--quick: smaller sizes)
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
   "$ROOT/scripts/services.sh" status postgres milvus23 minio milvus23_s3 | grep -q stopped; then
  "$ROOT/scripts/services.sh" start postgres milvus23 minio milvus23_s3
fi
# shellcheck source=/dev/null
source "$ROOT/.run/env"

LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT
echo "milvus_fdw benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores," \
     "Milvus $("$VENV/bin/python" -c 'import milvus; print(milvus.__version__)' 2>/dev/null || echo '?')," \
     "pymilvus $("$VENV/bin/python" -c 'import pymilvus; print(pymilvus.__version__)')"
for bench in insert read scan import spark; do
  [ -f "$ROOT/bench/$bench.py" ] || continue
  echo
  echo "### bench/$bench.py ${ARGS[*]:-}"
  "$VENV/bin/python" -u "$ROOT/bench/$bench.py" ${ARGS[@]+"${ARGS[@]}"} | tee -a "$LOG" ||
    echo "bench/$bench.py failed" | tee -a "$LOG"
done

echo
echo "### results (ratio > 1: milvus_fdw better; goals from the issues)"
"$VENV/bin/python" -c 'import matplotlib' 2>/dev/null || "$VENV/bin/pip" install -q matplotlib >/dev/null
"$VENV/bin/python" "$ROOT/bench/report.py" "$LOG" --png "$ROOT/bench/results.png"
