# shellcheck shell=bash
# Shared helpers of the milvus_fdw scripts (services.sh, test.sh, quickstart.sh).
# Source it; it defines variables and functions and runs nothing else.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
RUN_DIR="$ROOT/.run"
VENV="$RUN_DIR/venv"
PG_BIN=/usr/lib/postgresql/15/bin
export PG_CONFIG="${PG_CONFIG:-$PG_BIN/pg_config}"

# Debian packages the build and the services need.
APT_PACKAGES=(
  postgresql-15 postgresql-server-dev-15 postgresql-contrib
  libgrpc-dev libprotobuf-c-dev protobuf-c-compiler
  libcurl4-openssl-dev libzstd-dev libssl-dev
  pkg-config make gcc
)
# More packages for test suites: clang with libFuzzer for the S3 XML fuzzer
# (test/fuzz_s3xml); later suites add theirs (e.g. mariadb-server
# postgresql-15-mysql-fdw libpostgresql-jdbc-java libmariadb-java).
EXTRA_APT_PACKAGES=(clang-14 libclang-rt-14-dev)
# MariaDB (service mariadb, its own data directory and port; the system's
# MariaDB service is never started by us), mysql_fdw for the SQL migrations
# (examples/mariadb_to_milvus.sql) and MariaDB's JDBC driver for Spark.
EXTRA_APT_PACKAGES+=(mariadb-server postgresql-15-mysql-fdw libmariadb-java)
# Spark end to end (test/test_spark.py, examples/spark_*.py): a Java 17
# runtime for pyspark and PostgreSQL's JDBC driver (/usr/share/java/postgresql.jar).
EXTRA_APT_PACKAGES+=(openjdk-17-jre-headless libpostgresql-jdbc-java)

# Python packages of $VENV: the embedded Milvus 2.3 server (milvus-server CLI),
# Milvus Lite 3.x (imports pymilvus.grpc_gen, so pymilvus goes beside it), and
# the test tools.
PIP_REQUIREMENTS=(
  "milvus>=2.3,<2.4"
  "milvus-lite>=3,<4"
  "pymilvus"
  "pytest"
  "psycopg[binary]"
)
# Modules that must import once the requirements are installed.
PIP_IMPORTS=(milvus milvus_lite pymilvus pymilvus.grpc_gen pytest psycopg)
# Spark (pyspark 3.5: local[2] sessions with the JDBC drivers above; its ML
# needs numpy) and PyYAML for test/test_docker.py.
PIP_REQUIREMENTS+=("pyspark>=3.5,<3.6" "numpy" "pyyaml")
PIP_IMPORTS+=(pyspark pyspark.ml numpy yaml)

# MinIO, the S3 server behind the Milvus that keeps its binlogs in object
# storage (service milvus23_s3).  It is in neither Debian nor PyPI here, so it
# is built from its Go module into $BIN_DIR (about 2.5 minutes on 2 cores the
# first time; the Go module and build caches make later builds quick).
BIN_DIR="$RUN_DIR/bin"
MINIO_MODULE=github.com/minio/minio
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c

log() {
  printf '[milvus_fdw %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2
}

die() {
  log "ERROR: $*"
  exit 1
}

# Installs the missing APT_PACKAGES and EXTRA_APT_PACKAGES; one apt-get update
# first, and only when something is missing.
ensure_apt_packages() {
  local pkg missing=() installed
  local all=("${APT_PACKAGES[@]}" ${EXTRA_APT_PACKAGES[@]+"${EXTRA_APT_PACKAGES[@]}"})
  # dpkg-query fails when one of the packages is unknown: keep what it printed.
  installed=" $( { dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${all[@]}" 2>/dev/null || true; } \
                | awk '$2 == "installed" {print $1}' | tr '\n' ' ') "
  for pkg in "${all[@]}"; do
    [[ "$installed" == *" $pkg "* ]] || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  apt_install "${missing[@]}"
}

apt_install() {  # apt_install PKG...: apt-get update once, then install
  log "installing Debian packages: $*"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  if [ -z "${_APT_UPDATED:-}" ]; then
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 \
      || die "apt-get update failed"
    _APT_UPDATED=1
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends "$@" >&2 </dev/null \
    || die "apt-get install $* failed"
}

# Prints a Python >= 3.10 that can create a virtualenv ($PYTHON first).
find_python() {
  local py
  for py in ${PYTHON:-} python3.11 python3.12 python3.10 python3 /usr/bin/python3; do
    if command -v "$py" >/dev/null 2>&1 \
       && "$py" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 10))' >/dev/null 2>&1; then
      echo "$py"
      return 0
    fi
  done
}

# Creates $VENV and installs PIP_REQUIREMENTS into it.  A stamp file holding
# a hash of the requirement list makes the second run a no-op.
ensure_venv() {
  local stamp="$VENV/.requirements.sha256" want
  want="$(printf '%s\n' "${PIP_REQUIREMENTS[@]}" "${PIP_IMPORTS[@]}" | sha256sum | cut -d' ' -f1)"
  if [ -x "$VENV/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  mkdir -p "$RUN_DIR"
  if [ ! -x "$VENV/bin/python" ]; then
    local py
    py=$(find_python)
    if [ -z "$py" ]; then
      # Debian 12's python3 is 3.11; its venv needs python3-venv (ensurepip).
      apt_install python3 python3-venv
      py=$(find_python)
    fi
    [ -n "$py" ] || die "no python3 >= 3.10 with venv and ensurepip found (Milvus Lite 3.x needs one)"
    log "creating virtualenv $VENV ($("$py" --version 2>&1))"
    rm -rf "$VENV"
    "$py" -m venv "$VENV" >&2 || { rm -rf "$VENV"; die "$py -m venv $VENV failed"; }
  fi
  log "installing Python packages into $VENV: ${PIP_REQUIREMENTS[*]}"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check "${PIP_REQUIREMENTS[@]}" >&2 \
    || die "pip install failed"
  "$VENV/bin/python" - "${PIP_IMPORTS[@]}" <<'PY' >&2 || die "the venv's packages do not import"
import importlib, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
PY
  [ -x "$VENV/bin/milvus-server" ] || die "$VENV/bin/milvus-server is missing"
  [ -x "$VENV/bin/milvus-lite" ] || die "$VENV/bin/milvus-lite is missing"
  echo "$want" > "$stamp"
}

# Prints the go command: the one on PATH, else the usual /usr/local/go.
find_go() {
  if command -v go >/dev/null 2>&1; then
    command -v go
  elif [ -x /usr/local/go/bin/go ]; then
    echo /usr/local/go/bin/go
  fi
}

# Builds the MinIO server into $BIN_DIR/minio unless it is there already.  A
# stamp file names the version built, so changing MINIO_VERSION rebuilds it.
ensure_minio() {
  local stamp="$BIN_DIR/.minio.version" go t0=$SECONDS
  if [ -x "$BIN_DIR/minio" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$MINIO_VERSION" ]; then
    return 0
  fi
  go=$(find_go)
  [ -n "$go" ] || die "no go command found: MinIO is built with 'go install' (Go >= 1.24)"
  mkdir -p "$BIN_DIR"
  log "building MinIO $MINIO_VERSION with $("$go" version | cut -d' ' -f3) (a few minutes the first time)"
  # -mod=mod: the module is built from its own go.mod, whatever directory we
  # are in.  Logged to a file: go prints a line per downloaded module.
  mkdir -p "$RUN_DIR/logs"
  if ! (cd "$BIN_DIR" && GOBIN="$BIN_DIR" GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=mod" \
          "$go" install "$MINIO_MODULE@$MINIO_VERSION") >"$RUN_DIR/logs/minio-build.log" 2>&1; then
    tail -n 30 "$RUN_DIR/logs/minio-build.log" >&2
    die "building MinIO failed (log: $RUN_DIR/logs/minio-build.log)"
  fi
  [ -x "$BIN_DIR/minio" ] || die "go install did not leave $BIN_DIR/minio"
  echo "$MINIO_VERSION" > "$stamp"
  log "MinIO built in $((SECONDS - t0))s"
}

# Builds and installs the extension when there is a Makefile.
build_extension() {
  if [ ! -f "$ROOT/Makefile" ]; then
    log "no Makefile: skipping the build"
    return 0
  fi
  log "building and installing the extension"
  make -C "$ROOT" -s PG_CONFIG="$PG_CONFIG" >&2 || die "make failed"
  make -C "$ROOT" -s PG_CONFIG="$PG_CONFIG" install >&2 || die "make install failed"
}

# Prints a TCP port that is free on 127.0.0.1 right now.
free_port() {
  local py=python3
  [ -x "$VENV/bin/python" ] && py="$VENV/bin/python"
  "$py" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}
