"""pg_cancel_backend() and statement_timeout during each long operation:
a Query scan, a search, a large INSERT (Milvus Lite behind a delaying TCP
proxy), a binlog scan (MinIO behind one) and the commit's wait for a bulk
import (Milvus 2.3 with MinIO).

Each case starts the operation in a session, triggers the cancel (or lets
the statement time out) while it waits on a server, and checks that the
statement ends with SQLSTATE 57014 within 1 s of the trigger and that the
same session works at once afterwards.  The commit case matters: PostgreSQL
stops timing a statement before its commit, and milvus_fdw times the
commit's wait for Milvus itself.
"""
import threading
import time

import psycopg
import pytest

from conftest import binlog_table_behind_storage_proxy, connect, create_s3_milvus_server, env
from fault_proxy import FaultProxy

TRIGGER_S = 1.0             # when the cancel or the timeout comes
WITHIN_S = 1.0              # how soon after it the statement must have ended
ROWS = 20_000
BATCH = 1_000


@pytest.fixture(scope="module")
def lite():
    """Milvus Lite behind a proxy, a collection of ROWS rows."""
    proxy = FaultProxy(env("MILVUS_LITE_PORT"))
    conn = connect()
    conn.execute("CREATE EXTENSION IF NOT EXISTS milvus_fdw")
    conn.execute("DROP SERVER IF EXISTS cancel_lite CASCADE")
    conn.execute(f"CREATE SERVER cancel_lite FOREIGN DATA WRAPPER milvus_fdw "
                 f"OPTIONS (host '127.0.0.1', port '{proxy.port}', timeout '60')")
    conn.execute(f"""CREATE FOREIGN TABLE cancel_items (id bigint, vec real[]) SERVER cancel_lite
                     OPTIONS (collection 'cancel_items', primary_key 'id', vector_field 'vec',
                              dim '4', batch_size '{BATCH}')""")
    conn.execute("SELECT milvus_drop_collection('cancel_items', true)")
    conn.execute(f"INSERT INTO cancel_items SELECT i, ARRAY[i, 0, 0, 1]::real[] "
                 f"FROM generate_series(1, {ROWS}) i")
    yield proxy, conn
    proxy.set("pass")
    conn.execute("SELECT milvus_drop_collection('cancel_items', true)")
    conn.execute("DROP SERVER cancel_lite CASCADE")
    conn.close()
    proxy.close()


@pytest.fixture(scope="module")
def minio():
    """The MinIO-backed Milvus 2.3 with its storage behind a proxy, and a
    flushed collection to scan from binlogs (cancel_binlog)."""
    with binlog_table_behind_storage_proxy("cancel", timeout=60) as proxy_and_session:
        yield proxy_and_session


DB = "milvus_fdw_cancel"


@pytest.fixture(scope="module")
def importer():
    """A database of its own (the current SQL functions) with a bulk-import
    table on the MinIO-backed Milvus 2.3."""
    admin = connect()
    admin.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    admin.execute(f"CREATE DATABASE {DB}")

    def session():
        return psycopg.connect(host=env("PGHOST"), port=env("PGPORT"), user=env("PGUSER"),
                               dbname=DB, autocommit=True)
    conn = session()
    conn.execute("CREATE EXTENSION milvus_fdw")
    create_s3_milvus_server(conn, "m23s3")
    conn.execute("""CREATE FOREIGN TABLE cancel_import (id bigint, vec real[]) SERVER m23s3
                    OPTIONS (collection 'cancel_import', primary_key 'id', vector_field 'vec',
                             dim '32', insert_method 'import')""")
    conn.execute("SELECT milvus_drop_collection('cancel_import', true)")
    conn.execute("SELECT milvus_create_collection('cancel_import')")
    yield session
    conn.execute("SELECT milvus_drop_collection('cancel_import', true)")
    conn.close()
    admin.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    admin.close()


def interrupt(victim, how, run):
    """Runs RUN(victim) in a thread and interrupts it TRIGGER_S later, by
    pg_cancel_backend() or by statement_timeout; returns the error and how
    long after the trigger the statement ended."""
    if how == "statement_timeout":
        victim.execute(f"SET statement_timeout = '{int(TRIGGER_S * 1000)}ms'")
    box = {}

    def target():
        try:
            run(victim)
        except psycopg.Error as e:
            box["error"] = e
        box["ended"] = time.monotonic()

    t = threading.Thread(target=target)
    started = time.monotonic()
    t.start()
    time.sleep(TRIGGER_S)
    if how == "cancel":
        with connect() as other:
            other.execute("SELECT pg_cancel_backend(%s)", (victim.info.backend_pid,))
    t.join(30)
    assert not t.is_alive()
    if how == "statement_timeout":
        victim.execute("RESET statement_timeout")
    error = box.get("error")
    assert isinstance(error, psycopg.errors.QueryCanceled), box
    if how == "statement_timeout":
        assert "statement timeout" in str(error)
    return error, box["ended"] - (started + TRIGGER_S)


HOW = ["cancel", "statement_timeout"]


@pytest.mark.parametrize("how", HOW)
def test_query_scan(lite, how):
    proxy, _ = lite
    victim = connect()
    victim.execute(f"SET milvus_fdw.fetch_size = {BATCH}")
    proxy.set("delay", delay=0.5)               # every page of the scan takes 0.5 s or more
    _, late = interrupt(victim, how, lambda s: s.execute(
        "SELECT count(*) FROM cancel_items WHERE vec[4] = 1").fetchall())
    proxy.set("pass")
    assert late < WITHIN_S, late
    assert victim.execute("SELECT count(*) FROM cancel_items WHERE vec[4] = 1").fetchone() == (ROWS,)
    victim.close()


@pytest.mark.parametrize("how", HOW)
def test_search(lite, how):
    proxy, _ = lite
    victim = connect()
    victim.execute("SELECT count(*) FROM cancel_items")     # connected and described
    proxy.set("delay", delay=5.0)               # the one Search call takes 5 s or more
    _, late = interrupt(victim, how, lambda s: s.execute(
        "SELECT id FROM cancel_items ORDER BY vec <-> '{5,0,0,1}' LIMIT 3").fetchall())
    proxy.set("pass")
    assert late < WITHIN_S, late
    assert victim.execute("SELECT id FROM cancel_items ORDER BY vec <-> '{5,0,0,1}' "
                          "LIMIT 1").fetchone() == (5,)
    victim.close()


@pytest.mark.parametrize("how", HOW)
def test_large_insert(lite, how):
    proxy, _ = lite
    victim = connect()
    victim.execute("SELECT count(*) FROM cancel_items")
    proxy.set("delay", delay=0.5)               # every Insert call takes 0.5 s or more
    base = 1_000_000 if how == "cancel" else 2_000_000
    _, late = interrupt(victim, how, lambda s: s.execute(
        f"INSERT INTO cancel_items SELECT i, ARRAY[i, 1, 1, 1]::real[] "
        f"FROM generate_series({base + 1}, {base + ROWS}) i"))
    proxy.set("pass")
    assert late < WITHIN_S, late
    # the batches Milvus took stay, whole; the rest was never sent
    n = victim.execute(f"SELECT count(*) FROM cancel_items WHERE id > {base} "
                       f"AND id <= {base + ROWS}").fetchone()[0]
    assert n % BATCH == 0 and n < ROWS, n
    victim.close()


@pytest.mark.parametrize("how", HOW)
def test_binlog_scan(minio, how):
    proxy, _ = minio
    victim = connect()
    proxy.set("delay", delay=0.5)               # every storage response takes 0.5 s or more
    proxy.cut_all()
    _, late = interrupt(victim, how, lambda s: s.execute(
        "SELECT count(*), sum(id) FROM (SELECT id, vector FROM cancel_binlog) s").fetchall())
    proxy.set("pass")
    assert late < WITHIN_S, late
    assert victim.execute("SELECT count(*), sum(id) FROM (SELECT id, vector FROM cancel_binlog) s"
                          ).fetchone() == (30000, 30000 * 29999 // 2)
    victim.close()


@pytest.mark.parametrize("how", HOW)
def test_import_wait_at_commit(importer, how):
    """The rows are imported at commit; the commit waits for Milvus's task."""
    victim = importer()
    victim.execute("BEGIN")
    victim.execute("INSERT INTO cancel_import SELECT i, array_fill(i::real, ARRAY[32]) "
                   "FROM generate_series(1, 200000) i")
    error, late = interrupt(victim, how, lambda s: s.execute("COMMIT"))
    assert late < WITHIN_S, late
    assert "Milvus import" in (error.diag.context or ""), error.diag.context
    assert victim.execute("SELECT 1").fetchone() == (1,)
    victim.close()
