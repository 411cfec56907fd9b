"""Shared fixtures of the end-to-end tests: live services from scripts/services.sh.

scripts/test.sh sources .run/env before running pytest, so the libpq variables
and the Milvus ports are in the environment.
"""
import contextlib
import os
import socket
import subprocess
import threading

import psycopg
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def env(name):
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run the tests through scripts/test.sh "
                    f"(or source .run/env after scripts/services.sh start)")
    return value


def connect(**kw):
    """A new session on the scratch cluster, in autocommit mode unless told."""
    kw.setdefault("autocommit", True)
    conn = psycopg.connect(host=env("PGHOST"), port=env("PGPORT"),
                           user=env("PGUSER"), dbname=env("PGDATABASE"), **kw)
    return conn


@pytest.fixture
def pg():
    conn = connect()
    conn.execute("CREATE EXTENSION IF NOT EXISTS milvus_fdw")
    yield conn
    conn.close()


def create_s3_milvus_server(conn, name, storage_endpoint=None, timeout=None):
    """CREATE SERVER NAME for the MinIO-backed Milvus 2.3 (milvus23_s3), with a
    user mapping holding MinIO's keys; its storage is reached at
    STORAGE_ENDPOINT (e.g. a fault proxy) when given."""
    options = ["host '127.0.0.1'", f"port '{env('MILVUS_S3_PORT')}'",
               f"storage_endpoint '{storage_endpoint or env('MINIO_ENDPOINT')}'",
               f"bucket '{env('MINIO_BUCKET')}'", f"root_path '{env('MINIO_ROOT_PATH')}'"]
    if timeout is not None:
        options.append(f"timeout '{timeout}'")
    conn.execute(f"CREATE SERVER {name} FOREIGN DATA WRAPPER milvus_fdw OPTIONS ({', '.join(options)})")
    conn.execute(f"CREATE USER MAPPING FOR CURRENT_USER SERVER {name} OPTIONS "
                 f"(storage_user '{env('MINIO_ACCESS_KEY')}', "
                 f"storage_password '{env('MINIO_SECRET_KEY')}')")


@contextlib.contextmanager
def binlog_table_behind_storage_proxy(prefix, timeout):
    """A foreign table PREFIX_binlog (scan_method 'binlog') over a flushed
    collection of 30000 64-dim rows on the MinIO-backed Milvus 2.3, whose
    storage the server PREFIX_s3 reaches through a FaultProxy; yields
    (proxy, session)."""
    from fault_proxy import FaultProxy
    from milvus_client import flushed_collection

    host, port = env("MINIO_ENDPOINT").rsplit(":", 1)
    proxy = FaultProxy(port, host)
    c = flushed_collection("m23s3", f"{prefix}_binlog", 30000, 64)
    conn = connect()
    conn.execute("CREATE EXTENSION IF NOT EXISTS milvus_fdw")
    conn.execute(f"DROP SERVER IF EXISTS {prefix}_s3 CASCADE")
    create_s3_milvus_server(conn, f"{prefix}_s3", storage_endpoint=f"127.0.0.1:{proxy.port}",
                            timeout=timeout)
    conn.execute(f"CREATE FOREIGN TABLE {prefix}_binlog (id bigint, vector real[]) "
                 f"SERVER {prefix}_s3 OPTIONS (scan_method 'binlog')")
    try:
        yield proxy, conn
    finally:
        proxy.set("pass")
        conn.execute(f"DROP SERVER {prefix}_s3 CASCADE")
        conn.close()
        proxy.close()
        c.drop_collection(f"{prefix}_binlog")
        c.close()


def services(*args):
    """Run scripts/services.sh with the given arguments; fail on error."""
    result = subprocess.run([os.path.join(ROOT, "scripts", "services.sh"), *args],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


class StallServer:
    """A TCP listener that accepts connections and never answers a byte.

    Stands in for a hung network peer, not for Milvus: calls to it must end
    by their deadline or by a cancel.
    """

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.stopped = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.stopped:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)

    def close(self):
        self.stopped = True
        self.sock.close()
        for c in self.conns:
            c.close()


@pytest.fixture
def stall():
    server = StallServer()
    yield server
    server.close()
