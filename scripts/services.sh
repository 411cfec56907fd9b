#!/usr/bin/env bash
# Starts, stops and reports the live services that milvus_fdw's tests use:
#
#   postgres       a scratch PostgreSQL 15 cluster ($RUN_DIR/pgdata)
#   milvus23       the embedded Milvus 2.3 standalone server (PyPI `milvus`)
#   milvus23_auth  a second Milvus 2.3 with authorization enabled (root/Milvus)
#   milvus23_tls   a Milvus 2.3 serving TLS with a certificate of its own
#                  self-signed CA (.run/milvus23_tls/tls/ca.pem)
#   milvus23_mtls  a Milvus 2.3 serving mutual TLS: clients must show a
#                  certificate of its CA too (.run/milvus23_mtls/tls/client.pem)
#   minio          MinIO, an S3 server (built from its Go module into .run/bin)
#   milvus23_s3    a third Milvus 2.3 that keeps its binlogs in MinIO
#                  (bucket a-bucket, root path files); starts minio first
#   milvus_lite    Milvus Lite 3.x (PyPI `milvus-lite`)
#   mariadb        MariaDB (Debian mariadb-server) with database milvus_fdw and
#                  a password user, for mysql_fdw migrations and Spark's JDBC
#
# Usage: scripts/services.sh start [--no-build] [NAME...]
#        scripts/services.sh stop [--clean] [NAME...]
#        scripts/services.sh restart [--no-build] [NAME...]
#        scripts/services.sh status [NAME...]
#
# Everything lives under .run/: pids/, ports/, logs/, the data directories,
# the virtualenv and `env`, a file of export lines for the clients
# (`source .run/env`).  `start` is idempotent: running services are reused on
# the ports they have, and a stopped service comes back on its previous port
# when that port is still free.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ALL_SERVICES=(postgres milvus23 milvus23_auth milvus23_tls milvus23_mtls minio milvus23_s3 milvus_lite mariadb)
PID_DIR="$RUN_DIR/pids"
PORT_DIR="$RUN_DIR/ports"
LOG_DIR="$RUN_DIR/logs"
PGDATA_DIR="$RUN_DIR/pgdata"
MILVUS23_AUTH_USER=root
MILVUS23_AUTH_PASSWORD=Milvus
# MinIO's root credentials, not its defaults (minioadmin), so that a client
# that ignores the configured ones fails.  Milvus's bucket and root path are
# its defaults, as the Spark connector expects them.
MINIO_ROOT_USER=milvusfdw
MINIO_ROOT_PASSWORD=milvusfdw-minio-secret
MINIO_BUCKET=a-bucket
MINIO_ROOT_PATH=files
MINIO_DEADLINE=${MINIO_DEADLINE:-60}
MILVUS23_DEADLINE=${MILVUS23_DEADLINE:-240}
MILVUS_LITE_DEADLINE=${MILVUS_LITE_DEADLINE:-120}
# MariaDB's database and password user for the tests (mysql_fdw, Spark JDBC);
# its administrator is the OS user that runs this script (unix_socket auth).
MARIADB_DATABASE=milvus_fdw
MARIADB_USER=milvus_fdw
MARIADB_PASSWORD=milvusfdw-mariadb-secret
MARIADB_DEADLINE=${MARIADB_DEADLINE:-60}
STOP_GRACE=${STOP_GRACE:-30}
# Milvus 2.3 usually exits within a second of SIGTERM, but it has been seen
# to stop its coordinators and then have its nodes retry the gone rootcoord
# for minutes: SIGKILL it sooner.
MILVUS23_STOP_GRACE=${MILVUS23_STOP_GRACE:-10}

usage() {
  sed -n '2,25p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# ---------------------------------------------------------------- helpers

data_dir_of() {  # data directory of a service
  case "$1" in
    postgres) echo "$PGDATA_DIR" ;;
    *) echo "$RUN_DIR/$1" ;;
  esac
}

saved_port() {  # the port recorded for a service, or nothing
  [ -f "$PORT_DIR/$1" ] && cat "$PORT_DIR/$1" || true
}

save_port() {
  mkdir -p "$PORT_DIR"
  echo "$2" > "$PORT_DIR/$1"
}

port_is_free() {  # can a server bind 127.0.0.1:PORT now?
  local py=python3
  [ -x "$VENV/bin/python" ] && py="$VENV/bin/python"
  "$py" - "$1" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
PY
}

port_open() {  # does something accept connections on 127.0.0.1:PORT?
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

choose_port() {  # previous port of a service when still free, else a new one
  local name=$1 port
  port=$(saved_port "$name")
  if [ -n "$port" ] && port_is_free "$port"; then
    echo "$port"
    return
  fi
  [ -n "$port" ] && log "$name: port $port is taken now, choosing another"
  free_port
}

# Processes of a process group (pgid = the pid we started with setsid).
group_pids() {  # group_pids PGID
  local pgid=$1 stat line rest state pgrp pid
  for stat in /proc/[0-9]*/stat; do
    read -r line 2>/dev/null < "$stat" || continue
    rest=${line##*) }
    read -r state _ pgrp _ <<< "$rest"
    # Zombies (state Z) are dead already: the milvus-server wrapper never
    # reaps the binary it started.
    if [ "$pgrp" = "$pgid" ] && [ "$state" != Z ]; then
      pid=${stat#/proc/}
      echo "${pid%/stat}"
    fi
  done
}

group_alive() {  # any process left in group PGID?
  [ -n "$(group_pids "$1")" ]
}

# Is there a process named COMM (exactly, as in /proc/PID/comm) in group PGID?
group_has_comm() {
  local pgid=$1 comm=$2 pid c
  for pid in $(group_pids "$pgid"); do
    c=$(cat "/proc/$pid/comm" 2>/dev/null || true)
    [ "$c" = "$comm" ] && return 0
  done
  return 1
}

pid_of() {  # pid (= process group) recorded for a service
  local f="$PID_DIR/$1.pid"
  [ -f "$f" ] && cat "$f" || true
}

# Is PID alive and the one we started for NAME (its command line names the
# service's data directory)?  Guards against a reused pid.
ours() {  # ours NAME PID
  local cmdline
  kill -0 "$2" 2>/dev/null || return 1
  cmdline=" $(tr '\0' ' ' < "/proc/$2/cmdline" 2>/dev/null || true)"
  [[ "$cmdline" == *" $(data_dir_of "$1") "* ]]
}

# Is the background service NAME (not postgres) running?  The pid file must
# name a live process whose command line mentions the service's data
# directory; for Milvus 2.3 the server binary under the milvus-server wrapper
# must be alive too (the wrapper lingers after the binary died).
bg_running() {
  local name=$1 pid
  pid=$(pid_of "$name")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  ours "$name" "$pid" || return 1
  case "$name" in
    milvus23*) group_has_comm "$pid" milvus || return 1 ;;
  esac
  return 0
}

# Starts "$@" in its own session and process group, in the background, with
# stdin from /dev/null and output to LOG; the pid (= pgid) goes to PIDFILE.
spawn() {
  local pidfile=$1 logfile=$2; shift 2
  mkdir -p "$(dirname "$pidfile")" "$(dirname "$logfile")"
  rm -f "$pidfile"
  # The lock fd (9) must not leak into the daemon.
  setsid bash -c 'echo $$ > "$0"; exec "$@"' "$pidfile" "$@" \
    </dev/null >>"$logfile" 2>&1 9>&- &
  local i
  for i in $(seq 1 100); do
    [ -s "$pidfile" ] && return 0
    sleep 0.05
  done
  die "could not start $1 (no pid file $pidfile)"
}

# SIGTERM to the process group, up to STOP_GRACE seconds, then SIGKILL.
kill_group() {
  local name=$1 pgid=$2 i grace=$STOP_GRACE
  case "$name" in milvus23*) grace=$MILVUS23_STOP_GRACE ;; esac
  group_alive "$pgid" || return 0
  kill -TERM -- "-$pgid" 2>/dev/null || true
  for i in $(seq 1 $((grace * 5))); do
    group_alive "$pgid" || return 0
    sleep 0.2
  done
  log "$name: still running after ${grace}s, sending SIGKILL"
  kill -KILL -- "-$pgid" 2>/dev/null || true
  for i in $(seq 1 50); do
    group_alive "$pgid" || return 0
    sleep 0.1
  done
  log "$name: process group $pgid did not go away"
}

show_log_tail() {  # show_log_tail FILE...
  local f
  for f in "$@"; do
    [ -s "$f" ] || continue
    echo "----- last 30 lines of $f -----" >&2
    tail -n 30 "$f" >&2
  done
}

# Exits 0 when the Milvus on 127.0.0.1:PORT answers get_server_version (with
# the given credentials), through the venv's pymilvus.
# MILVUS_PING_CA: TLS with this CA; MILVUS_PING_CLIENT: and this client's .pem/.key
milvus_ping() {  # milvus_ping PORT [USER PASSWORD]
  timeout 30 env MILVUS_PING_CA="${MILVUS_PING_CA:-}" MILVUS_PING_CLIENT="${MILVUS_PING_CLIENT:-}" \
    "$VENV/bin/python" - "$@" <<'PY' >/dev/null 2>&1
import os
import sys
from pymilvus import MilvusClient
port = sys.argv[1]
kw = {}
if len(sys.argv) > 3:
    kw = dict(user=sys.argv[2], password=sys.argv[3])
scheme = "http"
if os.environ.get("MILVUS_PING_CA"):
    scheme = "https"
    kw.update(secure=True, server_pem_path=os.environ["MILVUS_PING_CA"], server_name="localhost")
if os.environ.get("MILVUS_PING_CLIENT"):
    client = os.environ["MILVUS_PING_CLIENT"]
    kw.update(ca_pem_path=os.environ["MILVUS_PING_CA"], client_pem_path=client + ".pem",
              client_key_path=client + ".key")
    del kw["server_pem_path"]
c = MilvusClient(uri=f"{scheme}://127.0.0.1:{port}", timeout=10, **kw)
print(c.get_server_version())
c.close()
PY
}

# ---------------------------------------------------------------- postgres

pg_as() {  # run a PostgreSQL server binary as the postgres OS user
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

pg_socket_dir() {
  local d="$RUN_DIR/pgsock"
  # sun_path holds 107 bytes; "/.s.PGSQL.NNNNN" takes 15 of them.
  if [ ${#d} -gt 90 ]; then d=/tmp; fi
  echo "$d"
}

postgres_running() {
  [ -f "$PGDATA_DIR/postmaster.pid" ] || return 1
  local pid
  pid=$(head -n 1 "$PGDATA_DIR/postmaster.pid" 2>/dev/null || true)
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = postgres ]
}

postgres_port() {  # the port the running cluster listens on (postmaster.pid line 4)
  sed -n 4p "$PGDATA_DIR/postmaster.pid" 2>/dev/null || true
}

# Lets the postgres user reach $RUN_DIR: adds o+x to every directory above it
# that lacks it (traverse only, no read).
make_traversable() {
  local d=$1 dirs=() i
  while [ "$d" != / ] && [ -n "$d" ]; do dirs+=("$d"); d=$(dirname "$d"); done
  # From the top down: a directory is reachable only when its parents are.
  for ((i = ${#dirs[@]} - 1; i >= 0; i--)); do
    d=${dirs[i]}
    if [ -d "$d" ] && ! runuser -u postgres -- test -x "$d" 2>/dev/null; then
      log "chmod o+x $d (so that the postgres user can reach $1)"
      chmod o+x "$d"
    fi
  done
}

start_postgres() {
  local port sockdir logfile="$LOG_DIR/postgres.log" t0=$SECONDS
  if postgres_running; then
    port=$(postgres_port)
    save_port postgres "$port"
    log "postgres: already running on 127.0.0.1:$port"
    return 0
  fi
  [ -x "$PG_BIN/initdb" ] || die "$PG_BIN/initdb not found (is postgresql-15 installed?)"
  mkdir -p "$RUN_DIR" "$LOG_DIR"
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || die "no 'postgres' OS user (is postgresql-15 installed?)"
    make_traversable "$RUN_DIR"
    chmod o+x "$RUN_DIR" "$LOG_DIR"
  fi
  sockdir=$(pg_socket_dir)
  if [ "$sockdir" != /tmp ]; then
    mkdir -p "$sockdir"
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$sockdir"; fi
  fi
  touch "$logfile"
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$logfile"; fi

  if [ ! -s "$PGDATA_DIR/PG_VERSION" ]; then
    log "postgres: initdb $PGDATA_DIR"
    rm -rf "$PGDATA_DIR"
    mkdir -p "$PGDATA_DIR"
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$PGDATA_DIR"; fi
    chmod 700 "$PGDATA_DIR"
    local locale=C
    if locale -a 2>/dev/null | grep -qix 'c.utf-\{0,1\}8'; then locale=C.UTF-8; fi
    pg_as "$PG_BIN/initdb" -D "$PGDATA_DIR" -U postgres --auth=trust \
      --encoding=UTF8 --locale="$locale" >"$LOG_DIR/initdb.log" 2>&1 9>&- \
      || { show_log_tail "$LOG_DIR/initdb.log"; die "postgres: initdb failed"; }
    echo "include_if_exists = 'milvus_fdw_services.conf'" >> "$PGDATA_DIR/postgresql.conf"
  fi
  # A stale postmaster.pid (killed cluster) is handled by postgres itself.
  port=$(choose_port postgres)
  cat > "$PGDATA_DIR/milvus_fdw_services.conf" <<CONF
# written by scripts/services.sh on every start
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$sockdir'
max_connections = 50
shared_buffers = 512MB
fsync = off
max_prepared_transactions = 10
logging_collector = off
CONF
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$PGDATA_DIR/milvus_fdw_services.conf"; fi
  log "postgres: starting on 127.0.0.1:$port"
  if ! pg_as "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$logfile" -w -t 120 start >/dev/null 2>&1 9>&-; then
    show_log_tail "$logfile"
    die "postgres: pg_ctl start failed"
  fi
  local i
  for i in $(seq 1 120); do
    pg_isready -q -h 127.0.0.1 -p "$port" && break
    sleep 0.5
  done
  pg_isready -q -h 127.0.0.1 -p "$port" || { show_log_tail "$logfile"; die "postgres: not ready on port $port"; }
  save_port postgres "$port"

  local psql=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres)
  if [ -z "$("${psql[@]}" -d postgres -At -c "SELECT 1 FROM pg_database WHERE datname = 'milvus_fdw'")" ]; then
    "${psql[@]}" -d postgres -c 'CREATE DATABASE milvus_fdw' || die "postgres: CREATE DATABASE failed"
  fi
  "${psql[@]}" -d postgres -c "DO \$\$BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'alice') THEN
        CREATE ROLE alice LOGIN NOSUPERUSER;
      END IF;
    END\$\$" || die "postgres: CREATE ROLE alice failed"
  STARTED_IN[postgres]=$((SECONDS - t0))
  log "postgres: ready on 127.0.0.1:$port ($((SECONDS - t0))s)"
}

stop_postgres() {
  if ! postgres_running; then
    log "postgres: not running"
    return 0
  fi
  log "postgres: stopping"
  if ! pg_as "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w -t "$STOP_GRACE" stop >/dev/null 2>&1; then
    log "postgres: fast shutdown timed out, immediate shutdown"
    pg_as "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m immediate -w -t 10 stop >/dev/null 2>&1 || true
  fi
  if postgres_running; then
    local pid
    pid=$(head -n 1 "$PGDATA_DIR/postmaster.pid")
    log "postgres: killing postmaster $pid"
    kill -KILL "$pid" 2>/dev/null || true
  fi
}

# ---------------------------------------------------------------- Milvus 2.3

MILVUS_SERVER_MAIN='
import socket, sys
import milvus
def try_bind_port(self, port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
        sock.listen()
        return sock
    except (OSError, OverflowError, ValueError):
        sock.close()
        return None
milvus.MilvusServerConfig.try_bind_port = try_bind_port
sys.argv[0] = "milvus-server"
sys.exit(milvus.main())
'

# Port keys of milvus-server's config template (each has a --<key> flag).
MILVUS23_PORT_KEYS=(root_coord proxy_internal query_coord query_node
                    index_coord index_node data_coord data_node)

# Milvus 2.3 keeps its components' sessions in etcd under leases of
# common.session.ttl (30 s), and its graceful stop leaves most of them behind.
# etcd renews every lease to its full TTL when it restarts, so the next start
# waits for those stale sessions ("node not match", "CompareAndSwap ... false
# for key: datacoord") and takes about a minute instead of a few seconds.
# Revoking the session leases through the embedded etcd's JSON gateway just
# before stopping avoids that.  Best effort: errors are ignored.
milvus23_drop_sessions() {  # milvus23_drop_sessions NAME
  local port
  port=$(saved_port "$1.etcd_client")
  [ -n "$port" ] && port_open "$port" || return 0
  timeout 10 "$VENV/bin/python" - "$port" <<'PY' >/dev/null 2>&1 || true
import base64, json, sys, urllib.request
url = f"http://127.0.0.1:{sys.argv[1]}/v3"
def post(path, body):
    req = urllib.request.Request(url + path, json.dumps(body).encode(),
                                 {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=3) as r:
        return json.load(r)
b64 = lambda s: base64.b64encode(s.encode()).decode()
kvs = post("/kv/range", {"key": b64("by-dev/meta/session/"),
                         "range_end": b64("by-dev/meta/session0"),
                         "keys_only": True}).get("kvs", [])
for lease in {kv["lease"] for kv in kvs if kv.get("lease")}:
    try:
        post("/lease/revoke", {"ID": lease})
    except Exception:
        pass
PY
}

milvus23_config_port() {  # milvus23_config_port BASE SECTION KEY: value of SECTION.KEY in milvus.yaml
  awk -v sec="$2" -v key="$3" '
    /^[A-Za-z]/ { insec = ($0 ~ "^" sec ":") }
    insec && $0 ~ "^  " key ":" { sub(/#.*/, ""); gsub(/[^0-9]/, "", $2); print $2; exit }
  ' "$1/configs/milvus.yaml" 2>/dev/null || true
}

milvus23_port_of() {  # milvus23_port_of BASE KEY: the port milvus.yaml has for a --KEY-port flag
  case "$2" in
    root_coord) milvus23_config_port "$1" rootCoord port ;;
    proxy_internal) milvus23_config_port "$1" proxy internalPort ;;
    query_coord) milvus23_config_port "$1" queryCoord port ;;
    query_node) milvus23_config_port "$1" queryNode port ;;
    index_coord) awk '/^indexCoord:/ {e=1} e && /address:/ {sub(/.*:/, ""); print $1; exit}' \
            "$1/configs/milvus.yaml" 2>/dev/null || true ;;
    index_node) milvus23_config_port "$1" indexNode port ;;
    data_coord) milvus23_config_port "$1" dataCoord port ;;
    data_node) milvus23_config_port "$1" dataNode port ;;
  esac
}

milvus23_storage_dir() {  # localStorage.path of an instance
  awk '
    /^[A-Za-z]/ { insec = ($0 ~ /^localStorage:/) }
    insec && /^  path:/ { sub(/#.*/, ""); print $2; exit }
  ' "$1/configs/milvus.yaml" 2>/dev/null || true
}

# A CA and a server certificate for localhost / 127.0.0.1, made once.
make_tls_files() {  # make_tls_files DIR
  local dir=$1
  [ -s "$dir/server.pem" ] && [ -s "$dir/ca.pem" ] && return 0
  mkdir -p "$dir"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=milvus_fdw test CA" \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" >/dev/null 2>&1 || die "openssl: CA failed"
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
    -keyout "$dir/server.key" -out "$dir/server.csr" >/dev/null 2>&1 || die "openssl: CSR failed"
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > "$dir/san.ext"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
    -CAcreateserial -days 3650 -extfile "$dir/san.ext" -out "$dir/server.pem" >/dev/null 2>&1 \
    || die "openssl: server certificate failed"
  # the PostgreSQL backend (another OS user) reads the CA
  chmod o+rx "$dir"; chmod o+r "$dir/ca.pem"
}

# A client certificate and key signed by DIR's CA, for mutual TLS; and, as
# something the server must refuse, one of another CA (other-client.*).
make_client_files() {  # make_client_files DIR
  local dir=$1 who
  [ -s "$dir/client.pem" ] && [ -s "$dir/other-client.pem" ] && return 0
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=another CA" \
    -keyout "$dir/other-ca.key" -out "$dir/other-ca.pem" >/dev/null 2>&1 || die "openssl: other CA failed"
  for who in client other-client; do
    local ca=ca
    [ "$who" = other-client ] && ca=other-ca
    openssl req -newkey rsa:2048 -nodes -subj "/CN=milvus_fdw $who" \
      -keyout "$dir/$who.key" -out "$dir/$who.csr" >/dev/null 2>&1 || die "openssl: $who CSR failed"
    openssl x509 -req -in "$dir/$who.csr" -CA "$dir/$ca.pem" -CAkey "$dir/$ca.key" \
      -CAcreateserial -days 3650 -out "$dir/$who.pem" >/dev/null 2>&1 \
      || die "openssl: $who certificate failed"
    # test keys, read by the PostgreSQL backend (another OS user)
    chmod o+r "$dir/$who.pem" "$dir/$who.key"
  done
}

start_milvus23() {  # start_milvus23 NAME [auth|s3|tls|mtls]
  local name=$1 mode=${2:-} auth="" base logfile pidfile port t0=$SECONDS
  [ "$mode" = auth ] && auth=1
  local MILVUS_PING_CA= MILVUS_PING_CLIENT=
  base=$(data_dir_of "$name")
  logfile="$LOG_DIR/$name.log"
  pidfile="$PID_DIR/$name.pid"
  local cred=()
  [ -n "$auth" ] && cred=("$MILVUS23_AUTH_USER" "$MILVUS23_AUTH_PASSWORD")

  if bg_running "$name"; then
    port=$(milvus23_config_port "$base" proxy port)
    if [ -n "$port" ] && port_open "$port"; then
      save_port "$name" "$port"
      log "$name: already running on 127.0.0.1:$port"
      return 0
    fi
  fi
  # Leftovers of an instance that died (e.g. the wrapper without its binary).
  local old
  old=$(pid_of "$name")
  if [ -n "$old" ] && ours "$name" "$old"; then
    log "$name: cleaning up a broken instance (pgid $old)"
    kill_group "$name" "$old"
  fi
  rm -f "$pidfile"

  mkdir -p "$base" "$LOG_DIR"
  port=$(choose_port "$name")
  local args=(--data "$base" --proxy-port "$port")
  [ -n "$auth" ] && args+=(--authorization-enabled true)
  if [ "$mode" = tls ] || [ "$mode" = mtls ]; then
    make_tls_files "$base/tls"
    chmod o+x "$base"
    local tls_mode=1
    if [ "$mode" = mtls ]; then
      make_client_files "$base/tls"
      tls_mode=2
      MILVUS_PING_CLIENT="$base/tls/client"
    fi
    args+=(--tls-mode "$tls_mode" --server-pem-path "$base/tls/server.pem"
           --server-key-path "$base/tls/server.key" --ca-pem-path "$base/tls/ca.pem")
    MILVUS_PING_CA="$base/tls/ca.pem"
  fi
  # Binlogs in MinIO instead of localStorage.path: milvus-server's template
  # has these keys, so --extra-config sets them (it creates the bucket).
  if [ "$mode" = s3 ]; then
    args+=(--extra-config common.storageType=remote
           --extra-config minio.address=127.0.0.1
           --extra-config "minio.port=$(saved_port minio)"
           --extra-config "minio.accessKeyID=$MINIO_ROOT_USER"
           --extra-config "minio.secretAccessKey=$MINIO_ROOT_PASSWORD"
           --extra-config "minio.bucketName=$MINIO_BUCKET"
           --extra-config "minio.rootPath=$MINIO_ROOT_PATH")
  fi
  # Components register 127.0.0.1 in etcd, not "the first unicastable
  # address" of the machine (which may be missing or change).
  local section
  for section in rootCoord proxy queryCoord queryNode indexNode dataCoord dataNode; do
    args+=(--extra-config "$section.ip=127.0.0.1")
  done
  # Every other port milvus-server knows: the previous ones if still free
  # (milvus-server slides a busy port to the next free one itself), so that
  # a restarted instance looks like the one before.
  local key p
  for key in "${MILVUS23_PORT_KEYS[@]}"; do
    p=$(saved_port "$name.$key")
    if [ -n "$p" ] && port_is_free "$p"; then
      args+=("--${key//_/-}-port" "$p")
    fi
  done
  # The embedded etcd listens on 127.0.0.1:2379 and :2380 whatever
  # etcd.endpoints says (two instances clash there): give it its own ports
  # through an etcd config file, named by the ETCD_CONFIG_PATH environment
  # variable (= etcd.config.path; milvus-server's template lacks the key).
  local etcd_client etcd_peer etcd_conf="$base/embedEtcd.yaml"
  etcd_client=$(choose_port "$name.etcd_client")
  save_port "$name.etcd_client" "$etcd_client"
  etcd_peer=$(choose_port "$name.etcd_peer")
  [ "$etcd_peer" = "$etcd_client" ] && etcd_peer=$(free_port)
  save_port "$name.etcd_peer" "$etcd_peer"
  args+=(--etcd-port "$etcd_client")
  cat > "$etcd_conf" <<ETCD
# written by scripts/services.sh: the embedded etcd of $name
name: default
listen-client-urls: http://127.0.0.1:$etcd_client
advertise-client-urls: http://127.0.0.1:$etcd_client
listen-peer-urls: http://127.0.0.1:$etcd_peer
initial-advertise-peer-urls: http://127.0.0.1:$etcd_peer
initial-cluster: default=http://127.0.0.1:$etcd_peer
ETCD
  # milvus-server writes configs/milvus.yaml before it starts the binary:
  # wait for the new one to read the ports it settled on.
  rm -f "$base/configs/milvus.yaml"
  log "$name: starting Milvus 2.3 (milvus-server ${args[*]}; etcd on $etcd_client/$etcd_peer)"
  echo "=== $(date '+%F %T') services.sh: milvus-server ${args[*]}; etcd $etcd_client/$etcd_peer" >> "$logfile"
  # This is `milvus-server ARGS` with one fix: it tests whether a port is
  # free by binding it without SO_REUSEADDR, so a port with connections in
  # TIME_WAIT (the server closed them when it stopped) looks busy for a
  # minute, and a quick restart would move the proxy to another port.  The
  # server itself binds with SO_REUSEADDR, as the patched test does.
  spawn "$pidfile" "$logfile" env -u METRICS_PORT ETCD_CONFIG_PATH="$etcd_conf" \
    "$VENV/bin/python" -c "$MILVUS_SERVER_MAIN" "${args[@]}"
  local pid
  pid=$(cat "$pidfile")
  STARTING_NAME=$name STARTING_PGID=$pid

  local deadline=$((SECONDS + MILVUS23_DEADLINE)) real=""
  while [ $SECONDS -lt "$deadline" ]; do
    if ! kill -0 "$pid" 2>/dev/null; then break; fi
    if [ -z "$real" ]; then
      real=$(milvus23_config_port "$base" proxy port)
      if [ -n "$real" ] && [ "$real" != "$port" ]; then
        log "$name: port $port was taken, milvus-server moved to $real"
      fi
    fi
    if [ -n "$real" ] && group_has_comm "$pid" milvus && port_open "$real" \
       && milvus_ping "$real" ${cred[@]+"${cred[@]}"}; then
      save_port "$name" "$real"
      for key in "${MILVUS23_PORT_KEYS[@]}"; do
        p=$(milvus23_port_of "$base" "$key")
        [ -n "$p" ] && save_port "$name.$key" "$p"
      done
      STARTING_PGID=""
      STARTED_IN[$name]=$((SECONDS - t0))
      log "$name: ready on 127.0.0.1:$real ($((SECONDS - t0))s)"
      # bulk import (insert_method 'import') writes its files into local
      # storage as the PostgreSQL server's OS user: give it a directory there
      if [ "$mode" != s3 ] && [ "$(id -u)" -eq 0 ] && id postgres >/dev/null 2>&1; then
        local storage
        storage=$(milvus23_storage_dir "$base")
        if [ -n "$storage" ] && [ -d "$storage" ]; then
          mkdir -p "$storage/milvus_fdw_import"
          chown postgres: "$storage/milvus_fdw_import"
        fi
      fi
      return 0
    fi
    # The wrapper outlives a crashed binary: stop waiting once it is gone.
    if [ -n "$real" ] && [ $((SECONDS - t0)) -gt 20 ] && ! group_has_comm "$pid" milvus; then
      break
    fi
    sleep 2
  done
  show_log_tail "$logfile" "$base/logs/milvus-stdout.log" "$base/logs/milvus-stderr.log"
  kill_group "$name" "$pid"
  rm -f "$pidfile"
  die "$name: Milvus 2.3 did not answer on 127.0.0.1:${real:-$port} within $((SECONDS - t0))s"
}

# ---------------------------------------------------------------- MinIO

# Does the MinIO on 127.0.0.1:PORT say it is ready?
minio_ready() {  # minio_ready PORT
  curl -sf -o /dev/null --max-time 5 "http://127.0.0.1:$1/minio/health/ready"
}

# Creates BUCKET unless it exists: a PUT signed with SigV4 by curl itself
# (no mc, no boto3).  409 BucketAlreadyOwnedByYou counts as done.
minio_make_bucket() {  # minio_make_bucket PORT BUCKET
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X PUT \
           --aws-sigv4 "aws:amz:us-east-1:s3" --user "$MINIO_ROOT_USER:$MINIO_ROOT_PASSWORD" \
           "http://127.0.0.1:$1/$2") || true
  case "$code" in
    200|409) return 0 ;;
    *) log "minio: creating bucket $2 answered HTTP $code"; return 1 ;;
  esac
}

start_minio() {
  local name=minio base logfile pidfile port t0=$SECONDS
  # `start minio milvus23_s3` asks twice: once is enough.
  [ -n "${MINIO_CHECKED:-}" ] && return 0
  MINIO_CHECKED=1
  base=$(data_dir_of "$name")
  logfile="$LOG_DIR/$name.log"
  pidfile="$PID_DIR/$name.pid"
  if bg_running "$name"; then
    port=$(saved_port "$name")
    if [ -n "$port" ] && minio_ready "$port"; then
      minio_make_bucket "$port" "$MINIO_BUCKET" || die "$name: could not create bucket $MINIO_BUCKET"
      log "$name: already running on 127.0.0.1:$port"
      return 0
    fi
    log "$name: process $(pid_of "$name") does not answer on ${port:-?}: restarting it"
    kill_group "$name" "$(pid_of "$name")"
  fi
  rm -f "$pidfile"
  ensure_minio
  mkdir -p "$base" "$LOG_DIR"
  port=$(choose_port "$name")
  # The web console would take a random port of its own: it is off.
  log "$name: starting MinIO on 127.0.0.1:$port"
  echo "=== $(date '+%F %T') services.sh: minio server --address 127.0.0.1:$port $base" >> "$logfile"
  spawn "$pidfile" "$logfile" env MINIO_ROOT_USER="$MINIO_ROOT_USER" \
    MINIO_ROOT_PASSWORD="$MINIO_ROOT_PASSWORD" MINIO_BROWSER=off MINIO_UPDATE=off \
    "$BIN_DIR/minio" server --quiet --address "127.0.0.1:$port" "$base"
  local pid
  pid=$(cat "$pidfile")
  STARTING_NAME=$name STARTING_PGID=$pid
  local deadline=$((SECONDS + MINIO_DEADLINE))
  while [ $SECONDS -lt "$deadline" ]; do
    kill -0 "$pid" 2>/dev/null || break
    if minio_ready "$port" && minio_make_bucket "$port" "$MINIO_BUCKET"; then
      save_port "$name" "$port"
      STARTING_PGID=""
      STARTED_IN[$name]=$((SECONDS - t0))
      log "$name: ready on 127.0.0.1:$port, bucket $MINIO_BUCKET ($((SECONDS - t0))s)"
      return 0
    fi
    sleep 0.5
  done
  show_log_tail "$logfile"
  kill_group "$name" "$pid"
  rm -f "$pidfile"
  die "$name: MinIO did not answer on 127.0.0.1:$port within $((SECONDS - t0))s"
}

# ---------------------------------------------------------------- Milvus Lite

start_milvus_lite() {
  local name=milvus_lite base logfile pidfile port t0=$SECONDS
  base=$(data_dir_of "$name")
  logfile="$LOG_DIR/$name.log"
  pidfile="$PID_DIR/$name.pid"
  if bg_running "$name"; then
    port=$(saved_port "$name")
    if [ -n "$port" ] && port_open "$port"; then
      log "$name: already running on 127.0.0.1:$port"
      return 0
    fi
    log "$name: process $(pid_of "$name") does not listen on ${port:-?}: restarting it"
    kill_group "$name" "$(pid_of "$name")"
  fi
  rm -f "$pidfile"
  mkdir -p "$base" "$LOG_DIR"
  port=$(choose_port "$name")
  log "$name: starting Milvus Lite on 127.0.0.1:$port"
  echo "=== $(date '+%F %T') services.sh: milvus-lite server --data-dir $base --port $port" >> "$logfile"
  spawn "$pidfile" "$logfile" "$VENV/bin/milvus-lite" server --data-dir "$base" \
    --host 127.0.0.1 --port "$port"
  local pid
  pid=$(cat "$pidfile")
  STARTING_NAME=$name STARTING_PGID=$pid
  local deadline=$((SECONDS + MILVUS_LITE_DEADLINE))
  while [ $SECONDS -lt "$deadline" ]; do
    kill -0 "$pid" 2>/dev/null || break
    if port_open "$port" && milvus_ping "$port"; then
      save_port "$name" "$port"
      STARTING_PGID=""
      STARTED_IN[$name]=$((SECONDS - t0))
      log "$name: ready on 127.0.0.1:$port ($((SECONDS - t0))s)"
      return 0
    fi
    sleep 1
  done
  show_log_tail "$logfile"
  kill_group "$name" "$pid"
  rm -f "$pidfile"
  die "$name: Milvus Lite did not answer on 127.0.0.1:$port within $((SECONDS - t0))s"
}

# ---------------------------------------------------------------- MariaDB

# The data directory is $RUN_DIR/mariadb itself (mariadb-install-db), the
# socket is beside it in $RUN_DIR.  mariadbd gets --no-defaults: the system's
# /etc/mysql configuration, its port 3306 and its socket are never used, and
# the system's MariaDB service is left alone.
mariadb_socket() {
  local s="$RUN_DIR/mariadb.sock"
  # sun_path holds 107 bytes.
  if [ ${#s} -gt 100 ]; then s="/tmp/milvus_fdw-mariadb-$(id -u).sock"; fi
  echo "$s"
}

# The administrator's client: the OS user, authenticated by unix_socket.
mariadb_admin_sql() {  # SQL on stdin
  mariadb --no-defaults --protocol=socket --socket="$(mariadb_socket)" -u "$(id -un)"
}

mariadb_ready() {
  timeout 10 mariadb-admin --no-defaults --protocol=socket --socket="$(mariadb_socket)" \
    -u "$(id -un)" --connect-timeout=5 ping >/dev/null 2>&1
}

# The tests' database and user (from anywhere: TCP from 127.0.0.1 as mysql_fdw
# and JDBC connect, or the socket); the password is set again each time.
mariadb_bootstrap() {
  local u=$MARIADB_USER pw=$MARIADB_PASSWORD db=$MARIADB_DATABASE
  mariadb_admin_sql <<SQL
CREATE DATABASE IF NOT EXISTS \`$db\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE USER IF NOT EXISTS '$u'@'%' IDENTIFIED BY '$pw';
CREATE USER IF NOT EXISTS '$u'@'localhost' IDENTIFIED BY '$pw';
ALTER USER '$u'@'%' IDENTIFIED BY '$pw';
ALTER USER '$u'@'localhost' IDENTIFIED BY '$pw';
GRANT ALL PRIVILEGES ON \`$db\`.* TO '$u'@'%';
GRANT ALL PRIVILEGES ON \`$db\`.* TO '$u'@'localhost';
SQL
}

start_mariadb() {
  local name=mariadb base logfile pidfile port sock t0=$SECONDS
  base=$(data_dir_of "$name")
  logfile="$LOG_DIR/$name.log"
  pidfile="$PID_DIR/$name.pid"
  sock=$(mariadb_socket)
  if bg_running "$name"; then
    port=$(saved_port "$name")
    if [ -n "$port" ] && port_open "$port" && mariadb_ready; then
      mariadb_bootstrap || die "$name: creating database $MARIADB_DATABASE and user $MARIADB_USER failed"
      log "$name: already running on 127.0.0.1:$port"
      return 0
    fi
    log "$name: process $(pid_of "$name") does not answer on ${port:-?}: restarting it"
    kill_group "$name" "$(pid_of "$name")"
  fi
  rm -f "$pidfile"
  local mariadbd=/usr/sbin/mariadbd user=()
  [ -x "$mariadbd" ] || die "$name: $mariadbd not found (is mariadb-server installed?)"
  # mariadbd refuses to run as root unless told to.
  if [ "$(id -u)" -eq 0 ]; then user=(--user=root); fi
  mkdir -p "$LOG_DIR"
  if [ ! -d "$base/mysql" ]; then
    log "$name: mariadb-install-db --datadir=$base"
    rm -rf "$base"
    mkdir -p "$base"
    mariadb-install-db --no-defaults --datadir="$base" ${user[@]+"${user[@]}"} \
      --skip-test-db --skip-name-resolve --auth-root-authentication-method=socket \
      >"$LOG_DIR/mariadb-install.log" 2>&1 9>&- \
      || { show_log_tail "$LOG_DIR/mariadb-install.log"; rm -rf "$base"; die "$name: mariadb-install-db failed"; }
  fi
  port=$(choose_port "$name")
  # A socket left by a killed server would be in the way.
  rm -f "$sock"
  local args=(--no-defaults --datadir "$base" ${user[@]+"${user[@]}"}
              --bind-address=127.0.0.1 --port="$port" --socket="$sock"
              --pid-file="$base/mariadbd.pid" --skip-name-resolve
              --character-set-server=utf8mb4 --collation-server=utf8mb4_bin
              --innodb-buffer-pool-size=64M --max-connections=100)
  log "$name: starting MariaDB on 127.0.0.1:$port (socket $sock)"
  echo "=== $(date '+%F %T') services.sh: mariadbd ${args[*]}" >> "$logfile"
  spawn "$pidfile" "$logfile" "$mariadbd" "${args[@]}"
  local pid
  pid=$(cat "$pidfile")
  STARTING_NAME=$name STARTING_PGID=$pid
  local deadline=$((SECONDS + MARIADB_DEADLINE))
  while [ $SECONDS -lt "$deadline" ]; do
    kill -0 "$pid" 2>/dev/null || break
    if port_open "$port" && mariadb_ready; then
      mariadb_bootstrap || die "$name: creating database $MARIADB_DATABASE and user $MARIADB_USER failed"
      save_port "$name" "$port"
      STARTING_PGID=""
      STARTED_IN[$name]=$((SECONDS - t0))
      log "$name: ready on 127.0.0.1:$port, database $MARIADB_DATABASE ($((SECONDS - t0))s)"
      return 0
    fi
    sleep 0.5
  done
  show_log_tail "$logfile"
  kill_group "$name" "$pid"
  rm -f "$pidfile"
  die "$name: MariaDB did not answer on 127.0.0.1:$port within $((SECONDS - t0))s"
}

# ---------------------------------------------------------------- dispatch

start_one() {
  case "$1" in
    postgres) start_postgres ;;
    milvus23) start_milvus23 milvus23 ;;
    milvus23_auth) start_milvus23 milvus23_auth auth ;;
    milvus23_tls) start_milvus23 milvus23_tls tls ;;
    milvus23_mtls) start_milvus23 milvus23_mtls mtls ;;
    minio) start_minio ;;
    milvus23_s3) start_minio && start_milvus23 milvus23_s3 s3 ;;
    milvus_lite) start_milvus_lite ;;
    mariadb) start_mariadb ;;
  esac
}

stop_one() {
  local name=$1 pid
  if [ "$name" = postgres ]; then
    stop_postgres
  else
    pid=$(pid_of "$name")
    if [ -n "$pid" ] && ours "$name" "$pid"; then
      log "$name: stopping (process group $pid)"
      local binaries=() p
      case "$name" in
        milvus23*)
          milvus23_drop_sessions "$name"
          for p in $(group_pids "$pid"); do
            [ "$(cat "/proc/$p/comm" 2>/dev/null)" = milvus ] && binaries+=("$p")
          done ;;
      esac
      kill_group "$name" "$pid"
      # Milvus 2.3 leaves a file per process in $TMPDIR/milvus.
      for p in ${binaries[@]+"${binaries[@]}"}; do
        rm -f "${TMPDIR:-/tmp}/milvus/server_id_$p"
      done
    elif [ -n "$pid" ] && group_alive "$pid"; then
      # The leader died, children of ours may linger in its group.
      log "$name: stopping what is left of process group $pid"
      kill_group "$name" "$pid"
    else
      log "$name: not running"
    fi
    rm -f "$PID_DIR/$name.pid"
  fi
  if [ -n "$CLEAN" ]; then
    log "$name: removing $(data_dir_of "$name")"
    rm -rf "$(data_dir_of "$name")"
    rm -f "$PORT_DIR/$name" "$PORT_DIR/$name".*
  fi
}

is_running() {
  case "$1" in
    postgres) postgres_running ;;
    *) bg_running "$1" ;;
  esac
}

status_one() {
  local name=$1 port
  port=$(saved_port "$name")
  [ "$name" = postgres ] && postgres_running && port=$(postgres_port)
  if is_running "$name"; then
    printf '%-14s running  127.0.0.1:%s\n' "$name" "${port:-?}"
  else
    printf '%-14s stopped  (last port %s)\n' "$name" "${port:--}"
  fi
}

write_env() {
  local base23="$RUN_DIR/milvus23" storage
  storage=$(milvus23_storage_dir "$base23")
  storage=${storage:-$base23/data}
  local tmp="$RUN_DIR/env.tmp" var val
  {
    echo "# written by scripts/services.sh start; use: source .run/env"
    for var in \
        "PGHOST=127.0.0.1" \
        "PGPORT=$(saved_port postgres)" \
        "PGUSER=postgres" \
        "PGDATABASE=milvus_fdw" \
        "PGDATA=$PGDATA_DIR" \
        "MILVUS_HOST=127.0.0.1" \
        "MILVUS_PORT=$(saved_port milvus23)" \
        "MILVUS_BASE_DIR=$base23" \
        "MILVUS_DATA_DIR=$storage" \
        "MILVUS_AUTH_PORT=$(saved_port milvus23_auth)" \
        "MILVUS_AUTH_USER=$MILVUS23_AUTH_USER" \
        "MILVUS_AUTH_PASSWORD=$MILVUS23_AUTH_PASSWORD" \
        "MILVUS_TLS_PORT=$(saved_port milvus23_tls)" \
        "MILVUS_TLS_CA=$(data_dir_of milvus23_tls)/tls/ca.pem" \
        "MILVUS_MTLS_PORT=$(saved_port milvus23_mtls)" \
        "MILVUS_MTLS_DIR=$(data_dir_of milvus23_mtls)/tls" \
        "MINIO_ENDPOINT=127.0.0.1:$(saved_port minio)" \
        "MINIO_ACCESS_KEY=$MINIO_ROOT_USER" \
        "MINIO_SECRET_KEY=$MINIO_ROOT_PASSWORD" \
        "MINIO_BUCKET=$MINIO_BUCKET" \
        "MINIO_ROOT_PATH=$MINIO_ROOT_PATH" \
        "MILVUS_S3_PORT=$(saved_port milvus23_s3)" \
        "MILVUS_LITE_PORT=$(saved_port milvus_lite)" \
        "MILVUS_LITE_DATA_DIR=$(data_dir_of milvus_lite)" \
        "MARIADB_HOST=127.0.0.1" \
        "MARIADB_PORT=$(saved_port mariadb)" \
        "MARIADB_USER=$MARIADB_USER" \
        "MARIADB_PASSWORD=$MARIADB_PASSWORD" \
        "MARIADB_DATABASE=$MARIADB_DATABASE" \
        "MARIADB_SOCKET=$(mariadb_socket)" \
        "VENV=$VENV"; do
      val=${var#*=}
      printf 'export %s=%q\n' "${var%%=*}" "$val"
    done
    printf 'case ":$PATH:" in *:%q:*) ;; *) export PATH=%q:"$PATH" ;; esac\n' "$VENV/bin" "$VENV/bin"
  } > "$tmp"
  mv "$tmp" "$RUN_DIR/env"
}

# ---------------------------------------------------------------- main

cmd=${1:-}
[ -n "$cmd" ] || usage
shift
NO_BUILD=""
CLEAN=""
names=()
for arg in "$@"; do
  case "$arg" in
    --no-build) NO_BUILD=1 ;;
    --clean) CLEAN=1 ;;
    -h|--help) usage ;;
    postgres|milvus23|milvus23_auth|milvus23_tls|milvus23_mtls|minio|milvus23_s3|milvus_lite|mariadb) names+=("$arg") ;;
    *) echo "unknown argument: $arg" >&2; usage ;;
  esac
done
[ ${#names[@]} -gt 0 ] || names=("${ALL_SERVICES[@]}")

mkdir -p "$RUN_DIR" "$PID_DIR" "$PORT_DIR" "$LOG_DIR"
# One services.sh at a time.
exec 9>"$RUN_DIR/.services.lock"
if ! flock -w 900 9; then die "another scripts/services.sh holds $RUN_DIR/.services.lock"; fi

declare -A STARTED_IN=()
# A service being started when the script fails is not left behind.
STARTING_NAME=""
STARTING_PGID=""
on_exit() {
  local rc=$?
  if [ "$rc" -ne 0 ] && [ -n "$STARTING_PGID" ]; then
    kill_group "$STARTING_NAME" "$STARTING_PGID" || true
    rm -f "$PID_DIR/$STARTING_NAME.pid"
  fi
}
trap on_exit EXIT

do_start() {
  ensure_apt_packages
  ensure_venv
  local name
  # The extension matters to postgres only: `start milvus_lite` (as the
  # tests do to restart Milvus Lite) does not rebuild it.
  if [ -z "$NO_BUILD" ] && [[ " $* " == *" postgres "* ]]; then build_extension; fi
  # One after another: milvus-server picks its ports when it starts.
  for name in "$@"; do start_one "$name"; done
  write_env
  echo "services (environment: source $RUN_DIR/env):"
  for name in "${ALL_SERVICES[@]}"; do
    printf '  %s' "$(status_one "$name")"
    [ -n "${STARTED_IN[$name]:-}" ] && printf '   (started in %ss)' "${STARTED_IN[$name]}"
    echo
  done
  echo "  Milvus 2.3 local storage (binlogs): $(grep '^export MILVUS_DATA_DIR=' "$RUN_DIR/env" | cut -d= -f2-)"
  if is_running minio; then
    echo "  MinIO (binlogs of milvus23_s3): s3://$MINIO_BUCKET/$MINIO_ROOT_PATH/ at 127.0.0.1:$(saved_port minio)"
  fi
}

do_stop() {
  local i
  # Reverse order of ALL_SERVICES, whatever the order given: a Milvus stops
  # before the MinIO it keeps its data in.
  for ((i = ${#ALL_SERVICES[@]} - 1; i >= 0; i--)); do
    if [[ " $* " == *" ${ALL_SERVICES[i]} "* ]]; then stop_one "${ALL_SERVICES[i]}"; fi
  done
}

case "$cmd" in
  start) do_start "${names[@]}" ;;
  stop) do_stop "${names[@]}" ;;
  restart) do_stop "${names[@]}"; do_start "${names[@]}" ;;
  status) for n in "${names[@]}"; do status_one "$n"; done ;;
  *) usage ;;
esac
