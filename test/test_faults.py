"""Faults between PostgreSQL and real servers: a slow, silent or broken network
(a TCP proxy in front of Milvus and of MinIO) and servers killed mid-statement.

Each test checks that the backend stays alive, that the error is clear and
comes within the configured deadline, that nothing is silently lost or
duplicated, and that the next statement works without a manual reconnect.
"""
import os
import signal
import threading
import time

import psycopg
import pytest

from conftest import ROOT, binlog_table_behind_storage_proxy, connect, env, services
from fault_proxy import FaultProxy


@pytest.fixture
def lite_proxy():
    proxy = FaultProxy(env("MILVUS_LITE_PORT"))
    conn = connect()
    conn.execute("CREATE EXTENSION IF NOT EXISTS milvus_fdw")
    conn.execute("DROP SERVER IF EXISTS fault_lite CASCADE")
    conn.execute(f"CREATE SERVER fault_lite FOREIGN DATA WRAPPER milvus_fdw "
                 f"OPTIONS (host '127.0.0.1', port '{proxy.port}', timeout '30')")
    conn.execute("""CREATE FOREIGN TABLE fault_items (id bigint, label text, vec real[])
                    SERVER fault_lite OPTIONS (collection 'fault_items', primary_key 'id',
                                               vector_field 'vec', dim '4', batch_size '2000')""")
    conn.execute("SELECT milvus_drop_collection('fault_items', true)")
    conn.execute("INSERT INTO fault_items SELECT i, 'row ' || i, ARRAY[i, 0, 0, 1]::real[] "
                 "FROM generate_series(1, 20000) i")
    # short deadlines for the faults; setup and cleanup (drops are slow on Lite) get 30 s
    conn.execute("ALTER SERVER fault_lite OPTIONS (SET timeout '3')")
    yield proxy, conn
    proxy.set("pass")
    conn.execute("ALTER SERVER fault_lite OPTIONS (SET timeout '30')")
    conn.execute("SELECT milvus_drop_collection('fault_items', true)")
    conn.execute("DROP SERVER fault_lite CASCADE")
    conn.close()
    proxy.close()


def count(conn):
    """Rows and their key sum, read whole with their vectors (the filter stays local)."""
    return conn.execute("SELECT count(*), sum(id) FROM fault_items WHERE vec[1] >= 0").fetchone()


def test_slow_network_within_deadline_succeeds(lite_proxy):
    proxy, conn = lite_proxy
    proxy.set("delay", delay=0.05)
    assert count(conn) == (20000, 20000 * 20001 // 2)


def test_stalled_response_ends_at_the_deadline(lite_proxy):
    proxy, conn = lite_proxy
    conn.execute("SELECT milvus_fdw_disconnect_all()")
    proxy.set("stall", budget=300)     # the HTTP/2 handshake, then silence
    start = time.monotonic()
    with pytest.raises(psycopg.errors.ConnectionFailure) as err:
        count(conn)
    elapsed = time.monotonic() - start
    assert elapsed < 3.0 + 1.5, elapsed
    assert "did not answer" in str(err.value)
    proxy.set("pass")
    assert conn.execute("SELECT 1").fetchone() == (1,)
    assert count(conn) == (20000, 20000 * 20001 // 2)


def test_connection_dropped_mid_response_is_an_error_then_recovers(lite_proxy):
    proxy, conn = lite_proxy
    conn.execute("SET milvus_fdw.fetch_size = 1000")
    conn.execute("SELECT milvus_fdw_disconnect_all()")
    proxy.set("drop", budget=150000)   # a page or two, then the connection is cut
    start = time.monotonic()
    with pytest.raises(psycopg.Error) as err:
        count(conn)
    assert time.monotonic() - start < 3.0 + 1.5
    assert err.value.sqlstate in ("08006", "08001", "08000"), (err.value.sqlstate, str(err.value))
    proxy.set("pass")
    # no reconnect by hand: the same session reads everything, once
    assert count(conn) == (20000, 20000 * 20001 // 2)


def test_write_cut_off_mid_batch_is_an_error_and_leaves_whole_batches(lite_proxy):
    proxy, conn = lite_proxy
    conn.execute("SELECT milvus_fdw_disconnect_all()")
    proxy.set("drop", budget=2000)
    with pytest.raises(psycopg.Error) as err:
        conn.execute("INSERT INTO fault_items SELECT i, 'new', ARRAY[i, 1, 1, 1]::real[] "
                     "FROM generate_series(100001, 110000) i")
    assert err.value.sqlstate.startswith("08"), (err.value.sqlstate, str(err.value))
    proxy.set("pass")
    # whatever was sent is whole batches of batch_size rows; nothing half-written
    n = conn.execute("SELECT count(*) FROM fault_items WHERE id > 100000").fetchone()[0]
    assert n % 2000 == 0, n
    assert conn.execute("SELECT count(*) FROM fault_items WHERE id <= 20000").fetchone()[0] == 20000


def kill_service(name):
    """SIGKILL a service's whole process group (as a crash would), by its pid file."""
    with open(os.path.join(ROOT, ".run", "pids", f"{name}.pid")) as f:
        pid = int(f.read().split()[0])
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        os.kill(pid, signal.SIGKILL)


def test_milvus_killed_during_a_scan_and_an_insert(lite_proxy):
    proxy, conn = lite_proxy
    victim = connect()
    victim.execute("SET milvus_fdw.fetch_size = 500")
    box = {}

    def scan():
        try:
            box["rows"] = victim.execute("SELECT id, pg_sleep(0.0005) FROM fault_items").fetchall()
        except psycopg.Error as e:
            box["error"] = e

    t = threading.Thread(target=scan)
    t.start()
    time.sleep(1.0)
    kill_service("milvus_lite")
    t.join(30)
    assert not t.is_alive()
    assert "error" in box, "a scan whose server died must not end as if complete"
    assert box["error"].sqlstate.startswith("08"), (box["error"].sqlstate, str(box["error"]))
    # an insert while it is down fails clearly, within the deadline
    start = time.monotonic()
    with pytest.raises(psycopg.Error) as err:
        victim.execute("INSERT INTO fault_items VALUES (999999, 'x', '{1,1,1,1}')")
    assert time.monotonic() - start < 3.0 + 1.5
    assert err.value.sqlstate.startswith("08")
    services("start", "milvus_lite")
    # the same sessions work again without reconnecting by hand
    assert count(victim) == (20000, 20000 * 20001 // 2)
    victim.execute("INSERT INTO fault_items VALUES (999999, 'x', '{1,1,1,1}')")
    assert victim.execute("SELECT count(*) FROM fault_items WHERE id = 999999").fetchone()[0] == 1
    victim.close()


@pytest.fixture
def minio_proxy():
    """A binlog-scanning server whose object storage is reached through a
    proxy (fault_binlog), with short deadlines."""
    with binlog_table_behind_storage_proxy("fault", timeout=3) as proxy_and_session:
        yield proxy_and_session


BINLOG_SQL = "SELECT count(*), sum(id) FROM (SELECT id, vector FROM fault_binlog) s"


def test_binlog_scan_through_a_broken_storage_network(minio_proxy):
    proxy, conn = minio_proxy
    assert conn.execute(BINLOG_SQL).fetchone() == (30000, 30000 * 29999 // 2)
    # the storage goes silent: the scan ends at the server's deadline
    proxy.set("stall", budget=0)
    proxy.cut_all()
    start = time.monotonic()
    with pytest.raises(psycopg.Error) as err:
        conn.execute(BINLOG_SQL)
    assert time.monotonic() - start < 3.0 + 2.0
    assert err.value.sqlstate.startswith("08"), (err.value.sqlstate, str(err.value))
    # bodies cut short are retried, then an error: never a short result
    proxy.set("drop", budget=100000)
    proxy.cut_all()
    with pytest.raises(psycopg.Error) as err:
        conn.execute(BINLOG_SQL)
    assert err.value.sqlstate.startswith("08"), (err.value.sqlstate, str(err.value))
    proxy.set("pass")
    assert conn.execute(BINLOG_SQL).fetchone() == (30000, 30000 * 29999 // 2)


def test_binlog_scan_cancel_returns_quickly(minio_proxy):
    proxy, conn = minio_proxy
    proxy.set("delay", delay=0.5)
    proxy.cut_all()
    victim = connect()
    pid = victim.info.backend_pid
    box = {}

    def scan():
        try:
            victim.execute(BINLOG_SQL)
        except psycopg.Error as e:
            box["error"] = e
        box["ended"] = time.monotonic()

    t = threading.Thread(target=scan)
    t.start()
    time.sleep(1.5)
    cancelled = time.monotonic()
    conn.execute("SELECT pg_cancel_backend(%s)", (pid,))
    t.join(10)
    assert isinstance(box.get("error"), psycopg.errors.QueryCanceled), box
    assert box["ended"] - cancelled < 1.0
    proxy.set("pass")
    assert victim.execute("SELECT 1").fetchone() == (1,)
    victim.close()
