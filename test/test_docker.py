"""docker/: what can be checked without a Docker engine.

The compose file parses and is wired consistently (services, ports, hosts,
passwords, volumes), every file it and the Dockerfiles refer to exists, the
PostgreSQL image is built with the same Debian packages and make steps as
scripts/lib.sh, the examples image with the same Spark packages, and the
image's entrypoint really initialises a cluster with milvus_fdw (run here with
the machine's PostgreSQL 15, which is the image's Debian package).
"""
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import psycopg
import pytest
import yaml

from conftest import ROOT

DOCKER = os.path.join(ROOT, "docker")
COMPOSE = os.path.join(DOCKER, "compose.yaml")


def lib_sh(variable):
    """A bash array (or scalar) of scripts/lib.sh, as lib.sh defines it."""
    out = subprocess.run(
        ["bash", "-c", f'source scripts/lib.sh; printf "%s\\n" "${{{variable}[@]}}"'],
        cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if line]


def dockerfile_instructions(path):
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined."""
    with open(path) as f:
        text = re.sub(r"\\\n", " ", f.read())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def apt_installs(path):
    """The package lists of each `apt-get install` in the Dockerfile's RUNs."""
    lists = []
    for word, args in dockerfile_instructions(path):
        if word != "RUN":
            continue
        for command in re.split(r"&&|;", args):
            tokens = shlex.split(command)
            if "apt-get" in tokens and "install" in tokens:
                lists.append([t for t in tokens[tokens.index("install") + 1:]
                              if not t.startswith("-")])
    return lists


def pip_installs(path):
    reqs = []
    for word, args in dockerfile_instructions(path):
        if word == "RUN" and "pip install" in args:
            for command in args.split("&&"):
                tokens = shlex.split(command)
                if tokens[:2] == ["pip", "install"]:
                    reqs += [t for t in tokens[2:] if not t.startswith("-")]
    return reqs


@pytest.fixture(scope="module")
def compose():
    with open(COMPOSE) as f:
        return yaml.safe_load(f)


def container_ports(service):
    """Container ports a service publishes ("host:container")."""
    return {int(str(p).split(":")[-1]) for p in service.get("ports", [])}


def test_compose_services_and_images(compose):
    services = compose["services"]
    assert set(services) == {"etcd", "minio", "standalone", "postgres", "mariadb", "examples"}
    # Milvus 2.3 as the scripts run it (the PyPI milvus 2.3.x server), with
    # etcd and MinIO as Milvus's own compose file for v2.3.x has them.
    assert re.fullmatch(r"milvusdb/milvus:v2\.3\.\d+", services["standalone"]["image"])
    assert services["standalone"]["command"] == ["milvus", "run", "standalone"]
    assert services["etcd"]["image"].startswith("quay.io/coreos/etcd:v3.5.")
    assert services["minio"]["image"].startswith("minio/minio:RELEASE.")
    for name, service in services.items():
        assert "image" in service or "build" in service, name
        for dep in service.get("depends_on", []):
            assert dep in services, (name, dep)
        assert "healthcheck" in service or name == "examples", f"{name} has no healthcheck"
    assert services["examples"]["profiles"] == ["examples"]


def test_compose_referenced_files_exist(compose):
    for name, service in compose["services"].items():
        build = service.get("build")
        if build:
            context = os.path.normpath(os.path.join(DOCKER, build["context"]))
            assert context == ROOT, name
            dockerfile = os.path.join(context, build["dockerfile"])
            assert os.path.isfile(dockerfile), dockerfile
            # BuildKit's per-Dockerfile ignore file keeps .run/ and .git out.
            assert os.path.isfile(dockerfile + ".dockerignore"), dockerfile
            for word, args in dockerfile_instructions(dockerfile):
                if word == "COPY":
                    *sources, _ = shlex.split(args)
                    for src in sources:
                        assert os.path.exists(os.path.join(context, src)), (dockerfile, src)
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith((".", "/")):
                assert os.path.exists(os.path.join(DOCKER, source)), (name, volume)
            else:
                assert source in compose["volumes"], (name, volume)


def test_postgres_image_builds_as_the_scripts_do():
    dockerfile = os.path.join(DOCKER, "Dockerfile")
    installs = apt_installs(dockerfile)
    # The first install is scripts/lib.sh's APT_PACKAGES, the whole list and
    # nothing else; the image adds only CA certificates (TLS to Milvus or S3).
    assert sorted(installs[0]) == sorted(lib_sh("APT_PACKAGES"))
    assert installs[1:] == [["ca-certificates"]]
    instructions = dockerfile_instructions(dockerfile)
    assert instructions[0] == ("FROM", "debian:bookworm-slim")  # Debian 12, as the scripts
    env = " ".join(args for word, args in instructions if word == "ENV")
    assert f"PG_CONFIG={lib_sh('PG_CONFIG')[0]}" in env
    # build_extension: make, then make install, with PG_CONFIG.
    with open(os.path.join(ROOT, "scripts", "lib.sh")) as f:
        lib = f.read()
    body = re.search(r"^build_extension\(\) \{\n(.*?)^\}", lib, re.S | re.M).group(1)
    script_makes = [re.sub(r'-C "\$ROOT" ', "", m.strip())
                    for m in re.findall(r"^\s*(make [^>|]*?)\s*>&2", body, re.M)]
    assert script_makes == ['make -s PG_CONFIG="$PG_CONFIG"',
                            'make -s PG_CONFIG="$PG_CONFIG" install']
    runs = [args for word, args in instructions if word == "RUN"]
    build = next(r for r in runs if r.startswith("make "))
    assert [c.strip() for c in build.split("&&")][:2] == script_makes
    # Everything the Makefile builds from is copied into the image.
    copied = [shlex.split(args)[:-1] for word, args in instructions if word == "COPY"]
    copied = [os.path.normpath(s) for sources in copied for s in sources]
    needed = ["Makefile", "milvus_fdw.c", "milvus_fdw.h", "milvus_fdw.control",
              "sql/milvus_fdw--1.0.sql"]
    for directory, _, files in os.walk(os.path.join(ROOT, "src")):
        needed += [os.path.relpath(os.path.join(directory, f), ROOT) for f in files
                   if f.endswith((".c", ".h", ".proto")) and ".pb-c." not in f]
    for path in needed:
        assert any(path == c or path.startswith(c + "/") for c in copied), path
    with open(os.path.join(ROOT, "milvus_fdw.control")) as f:
        version = re.search(r"default_version\s*=\s*'([^']+)'", f.read()).group(1)
    assert f"sql/milvus_fdw--{version}.sql" in copied


def test_examples_image_matches_the_scripts():
    dockerfile = os.path.join(DOCKER, "Dockerfile.examples")
    installs = apt_installs(dockerfile)
    assert len(installs) == 1
    assert set(installs[0]) <= set(lib_sh("EXTRA_APT_PACKAGES"))
    assert {"openjdk-17-jre-headless", "libpostgresql-jdbc-java", "libmariadb-java"} <= \
        set(installs[0])
    reqs = pip_installs(dockerfile)
    assert set(reqs) <= set(lib_sh("PIP_REQUIREMENTS")), reqs
    # The third-party modules the examples import are installed.
    modules = {"pyspark": "pyspark", "numpy": "numpy", "psycopg": "psycopg"}
    imported = set()
    for name in os.listdir(os.path.join(ROOT, "examples")):
        if name.startswith("spark_") and name.endswith(".py"):
            with open(os.path.join(ROOT, "examples", name)) as f:
                imported |= set(re.findall(r"^\s*(?:from|import) (\w+)", f.read(), re.M))
    third_party = imported - {"os", "sys", "shlex", "time", "json", "spark_common"} \
        - {n[:-3] for n in os.listdir(os.path.join(ROOT, "examples")) if n.endswith(".py")}
    assert third_party <= set(modules), third_party
    for module in third_party:
        assert any(r.startswith(modules[module]) for r in reqs), module


def test_compose_wiring_is_consistent(compose):
    services = compose["services"]
    env = services["examples"]["environment"]
    # Every setting examples/spark_common.py documents is given.
    with open(os.path.join(ROOT, "examples", "spark_common.py")) as f:
        documented = set(re.findall(r"setting\(\"([A-Z_]+)\"", f.read()))
    optional = {"PGPASSWORD", "MILVUS_USER", "MILVUS_PASSWORD", "MILVUS_TOKEN",
                "POSTGRES_JDBC_JAR", "MARIADB_JDBC_JAR", "SPARK_MASTER", "SPARK_LOG_LEVEL",
                "SPARK_DRIVER_MEMORY",
                # the services of scripts/services.sh, when MILVUS_STORAGE_* are not set
                "MILVUS_S3_PORT", "MINIO_ENDPOINT", "MINIO_ACCESS_KEY", "MINIO_SECRET_KEY",
                "MINIO_BUCKET", "MINIO_ROOT_PATH"}
    assert documented - optional <= set(env), documented - optional - set(env)
    # Hosts are service names, ports are ports those services publish.
    assert env["PGHOST"] in services and int(env["PGPORT"]) in container_ports(services["postgres"])
    assert env["MILVUS_HOST"] == "standalone" and \
        int(env["MILVUS_PORT"]) in container_ports(services["standalone"])
    assert env["MARIADB_HOST"] == "mariadb" and \
        int(env["MARIADB_PORT"]) in container_ports(services["mariadb"])
    storage_host, storage_port = env["MILVUS_STORAGE_ENDPOINT"].split(":")
    assert storage_host == "minio" and int(storage_port) in container_ports(services["minio"])
    milvus_env = services["standalone"]["environment"]
    assert milvus_env["MINIO_ADDRESS"] == env["MILVUS_STORAGE_ENDPOINT"]
    assert milvus_env["ETCD_ENDPOINTS"].split(":")[0] == "etcd"
    # The same credentials on both sides.
    pg_env = services["postgres"]["environment"]
    assert env["PGPASSWORD"] == pg_env["POSTGRES_PASSWORD"]
    assert env["PGDATABASE"] == pg_env["POSTGRES_DB"]
    my_env = services["mariadb"]["environment"]
    assert (env["MARIADB_USER"], env["MARIADB_PASSWORD"], env["MARIADB_DATABASE"]) == \
        (my_env["MARIADB_USER"], my_env["MARIADB_PASSWORD"], my_env["MARIADB_DATABASE"])
    minio_env = services["minio"]["environment"]
    assert (env["MILVUS_STORAGE_USER"], env["MILVUS_STORAGE_PASSWORD"]) == \
        (minio_env["MINIO_ACCESS_KEY"], minio_env["MINIO_SECRET_KEY"]) == \
        (milvus_env["MINIO_ACCESS_KEY_ID"], milvus_env["MINIO_SECRET_ACCESS_KEY"])
    # The connector's defaults for Milvus's bucket and root path.
    assert (env["MILVUS_BUCKET"], env["MILVUS_ROOT_PATH"]) == ("a-bucket", "files")
    # The postgres image listens where compose publishes it.
    expose = [args for word, args in dockerfile_instructions(os.path.join(DOCKER, "Dockerfile"))
              if word == "EXPOSE"]
    assert expose == ["5432"] and container_ports(services["postgres"]) == {5432}
    assert services["postgres"]["depends_on"]["standalone"]["condition"] == "service_healthy"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.mark.skipif(os.geteuid() != 0, reason="runs the entrypoint as the postgres OS user")
def test_entrypoint_initialises_a_cluster_with_milvus_fdw():
    """docker/docker-entrypoint.sh, run as the image runs it (user postgres,
    PostgreSQL 15's bin directory first on PATH) on a scratch data directory."""
    entrypoint = os.path.join(DOCKER, "docker-entrypoint.sh")
    assert os.access(entrypoint, os.X_OK)
    subprocess.run(["bash", "-n", entrypoint], check=True)
    work = tempfile.mkdtemp(prefix="spark_docker_")
    os.chmod(work, 0o755)
    initdb_dir = os.path.join(work, "initdb.d")
    os.mkdir(initdb_dir)
    with open(os.path.join(initdb_dir, "10-table.sql"), "w") as f:
        f.write("CREATE TABLE from_initdb_d (x int);\n")
    shutil.chown(work, "postgres", "postgres")
    port = free_port()
    env = dict(PATH="/usr/lib/postgresql/15/bin:/usr/bin:/bin", LANG="C.UTF-8",
               PGDATA=os.path.join(work, "data"), PGPORT=str(port),
               POSTGRES_PASSWORD="docker-test-secret", POSTGRES_SOCKET_DIR=work,
               INITDB_DIR=initdb_dir)
    proc = subprocess.Popen([shutil.which("runuser"), "-u", "postgres", "--", entrypoint,
                             "-c", "listen_addresses=127.0.0.1"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            cwd=work, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        conn = None
        while conn is None:
            try:
                conn = psycopg.connect(host="127.0.0.1", port=port, user="postgres",
                                       password="docker-test-secret", dbname="milvus_fdw",
                                       connect_timeout=2, autocommit=True)
            except psycopg.OperationalError:
                assert proc.poll() is None, proc.stdout.read()
                assert time.monotonic() < deadline, "the entrypoint's server did not come up"
                time.sleep(0.5)
        with conn:
            assert conn.execute("SELECT extname FROM pg_extension WHERE extname = 'milvus_fdw'") \
                .fetchone() == ("milvus_fdw",)
            assert conn.execute("SELECT milvus_fdw_version()").fetchone()[0]
            assert conn.execute("SELECT to_regclass('from_initdb_d')").fetchone()[0]
        with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
            psycopg.connect(host="127.0.0.1", port=port, user="postgres", password="wrong",
                            dbname="milvus_fdw", connect_timeout=5)
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # STOPSIGNAL SIGINT: a fast shutdown
        try:
            output, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            output, _ = proc.communicate()
        shutil.rmtree(work, ignore_errors=True)
    assert "database milvus_fdw with milvus_fdw is ready" in output, output
    assert "running " + os.path.join(initdb_dir, "10-table.sql") in output, output


def test_readme_refers_to_existing_files():
    with open(os.path.join(DOCKER, "README.md")) as f:
        readme = f.read()
    assert "placeholder" not in readme.lower() and "not built yet" not in readme.lower()
    for path in set(re.findall(r"((?:docker|examples)/[\w./-]+\.(?:py|yaml|sh|sql|md)|"
                               r"docker/Dockerfile(?:\.examples)?)\b", readme)):
        assert os.path.exists(os.path.join(ROOT, path)), path
