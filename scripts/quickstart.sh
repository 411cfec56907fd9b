#!/usr/bin/env bash
# The README's first command: sets everything up on a fresh machine
# (apt-get, pip, build, install, services) and runs the connector's quick
# start through SQL against the embedded Milvus 2.3 server.  Services stay up
# afterwards for ad-hoc SQL: `source .run/env; psql`.  Stop them with
# `scripts/services.sh stop`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

scripts/services.sh start
source "$RUN_DIR/env"

log "quick start on Milvus 2.3 at $MILVUS_HOST:$MILVUS_PORT"
psql -X -v milvus_host="$MILVUS_HOST" -v milvus_port="$MILVUS_PORT" -f examples/quickstart.sql

cat <<MSG

Done.  The services keep running; try:
  source .run/env && psql
  scripts/services.sh stop
MSG
