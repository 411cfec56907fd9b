"""Milvus 2.3 killed (SIGKILL) while four statements are in flight: a large
INSERT, a Query scan, a binlog scan and an import wait.

One kill of the MinIO-backed Milvus 2.3 (milvus23_s3) serves all four, so the
suite pays for one restart (the server answers again ~10 s after it starts,
and serves a collection again ~30 s later, once its query node has recovered).
What each statement must do:

- the INSERT fails with a connection ERROR (SQLSTATE class 08); what reached
  Milvus before the kill is whole batches, never a row twice;
- the Query scan fails with a connection ERROR: never a short result;
- the binlog scan, already past its Flush, finishes with the exact result:
  it reads immutable files from MinIO, not from Milvus;
- the import wait fails with a connection ERROR naming the task and keeping
  its files, and the import is all or nothing;
- after the restart every one of these sessions works again at once, without
  a manual reconnect.
"""
import threading
import time

import psycopg
import pytest

from conftest import connect, create_s3_milvus_server, env, services
from milvus_client import client
from test_faults import kill_service

N = 100_000         # rows in the collection the scans read
DIM = 32
BATCH = 5_000       # batch_size of the INSERT that is cut off


def sum_of(n):
    return n * (n + 1) // 2


DB = "milvus_fdw_crash23"


def session(**kw):
    kw.setdefault("autocommit", True)
    return psycopg.connect(host=env("PGHOST"), port=env("PGPORT"), user=env("PGUSER"),
                           dbname=DB, **kw)


@pytest.fixture(scope="module")
def crash():
    """A database of its own (so CREATE EXTENSION brings the current SQL
    functions) with foreign tables over three fresh collections."""
    admin = connect()
    admin.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    admin.execute(f"CREATE DATABASE {DB}")
    conn = session()
    conn.execute("CREATE EXTENSION milvus_fdw")
    create_s3_milvus_server(conn, "crash23", timeout=60)
    for name, extra in (("crash_items", ""), ("crash_writes", ""),
                        ("crash_import", ", insert_method 'import'")):
        conn.execute(f"CREATE FOREIGN TABLE {name} (id bigint, vec real[]) SERVER crash23 "
                     f"OPTIONS (collection '{name}', primary_key 'id', vector_field 'vec', "
                     f"dim '{DIM}', batch_size '{BATCH}'{extra})")
        conn.execute(f"SELECT milvus_drop_collection('{name}', true)")
        conn.execute(f"SELECT milvus_create_collection('{name}')")
    conn.execute("CREATE FOREIGN TABLE crash_items_binlog (id bigint, vec real[]) SERVER crash23 "
                 "OPTIONS (collection 'crash_items', scan_method 'binlog')")
    conn.execute(f"INSERT INTO crash_items SELECT i, array_fill(i::real, ARRAY[{DIM}]) "
                 f"FROM generate_series(1, {N}) i")
    yield conn
    c = client("m23s3")
    for name in ("crash_items", "crash_writes", "crash_import"):
        if c.has_collection(name):
            c.drop_collection(name)
    c.close()
    conn.close()
    admin.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    admin.close()


def in_background(fn):
    """Runs fn in a thread; the box gets its result or its psycopg error."""
    box = {}

    def run():
        try:
            box["result"] = fn()
        except psycopg.Error as e:
            box["error"] = e
    t = threading.Thread(target=run)
    t.start()
    box["thread"] = t
    return box


def import_tasks(conn):
    return {r[0] for r in conn.execute(
        "SELECT task_id FROM milvus_import_tasks('crash_import', 1000)")}


def wait_until_milvus_serves(collection, deadline_s=180):
    """Waits until pymilvus reads the collection again: Milvus's own recovery."""
    deadline = time.monotonic() + deadline_s
    last = None
    while time.monotonic() < deadline:
        try:
            c = client("m23s3")
            c.query(collection, filter="id >= 0", output_fields=["count(*)"],
                    consistency_level="Strong", timeout=5)
            c.close()
            return
        except Exception as e:      # noqa: BLE001 - anything means "not yet"
            last = e
            time.sleep(1)
    pytest.fail(f"Milvus 2.3 did not serve {collection} again: {last}")


def test_milvus23_killed_during_insert_scans_and_import(crash):
    watcher = crash
    # setup had a long deadline (DDL on a busy Milvus is slow); faults get 5 s
    watcher.execute("ALTER SERVER crash23 OPTIONS (SET timeout '5')")

    # a Query scan and a binlog scan, each with its first rows fetched
    query_s = session(autocommit=False)
    query_s.execute("SET milvus_fdw.fetch_size = 1000")
    query_cur = query_s.cursor("q")
    query_cur.execute("SELECT id FROM crash_items WHERE vec[1] >= 0")
    assert len(query_cur.fetchmany(100)) == 100
    binlog_s = session(autocommit=False)
    binlog_cur = binlog_s.cursor("b")
    binlog_cur.execute("SELECT id, vec[1] FROM crash_items_binlog")
    first = binlog_cur.fetchmany(100)
    assert len(first) == 100

    # a large INSERT, sending batches of BATCH rows as it goes
    insert_s = session()
    insert = in_background(lambda: insert_s.execute(
        f"INSERT INTO crash_writes SELECT i, array_fill(i::real, ARRAY[{DIM}]) "
        f"FROM generate_series(1, 2000000) i"))

    # an import, killed while its commit waits for Milvus
    import_s = session()
    old_tasks = import_tasks(watcher)
    imported = in_background(lambda: import_s.execute(
        f"INSERT INTO crash_import SELECT i, array_fill(i::real, ARRAY[{DIM}]) "
        f"FROM generate_series(1, 200000) i"))
    deadline = time.monotonic() + 120
    while not import_tasks(watcher) - old_tasks and time.monotonic() < deadline:
        time.sleep(0.05)
    assert import_tasks(watcher) - old_tasks, "the import never started"
    time.sleep(1)       # the Import call has returned: the commit waits for the task

    kill_service("milvus23_s3")
    killed = time.monotonic()

    for box in (insert, imported):
        box["thread"].join(30)
        assert not box["thread"].is_alive()
    # the deadline is the server's timeout (5 s); a dead peer usually ends sooner
    assert time.monotonic() - killed < 5 + 2

    # the INSERT: a connection error; only whole batches reached Milvus
    err = insert.get("error")
    assert err is not None and err.sqlstate.startswith("08"), insert
    # the import wait: a connection error that names the task and keeps its files
    err = imported.get("error")
    assert err is not None and err.sqlstate.startswith("08"), imported
    context = err.diag.context or ""
    assert ("waiting for Milvus import task" in context
            or "Milvus may have started its task" in context), (str(err), context)
    assert "milvus_fdw_import/crash_import/" in context, context

    # the Query scan needs Milvus for its next page: an error, never a short result
    with pytest.raises(psycopg.Error) as qerr:
        query_cur.fetchall()
    assert qerr.value.sqlstate.startswith("08"), str(qerr.value)
    query_s.rollback()

    # the binlog scan reads MinIO only: it finishes, exactly
    rest = binlog_cur.fetchall()
    ids = [r[0] for r in first + rest]
    assert len(ids) == N and sum(ids) == sum_of(N)
    assert all(float(r[0]) == r[1] for r in first + rest)
    binlog_s.rollback()

    services("start", "milvus23_s3")
    wait_until_milvus_serves("crash_items")
    wait_until_milvus_serves("crash_writes")

    # every session works again at once
    for s in (query_s, binlog_s, insert_s, import_s):
        s.autocommit = True
        assert s.execute("SELECT count(*), sum(id) FROM crash_items").fetchone() == (N, sum_of(N))
    n, distinct = insert_s.execute(
        "SELECT count(*), count(DISTINCT id) FROM crash_writes WHERE vec[1] >= 0").fetchone()
    assert n == distinct and n % BATCH == 0 and n < 2000000, n
    insert_s.execute("INSERT INTO crash_writes VALUES (0, array_fill(0::real, ARRAY[32]))")
    assert insert_s.execute("SELECT count(*) FROM crash_writes WHERE id = 0").fetchone() == (1,)

    # the import: all of its rows or none, never part
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        states = [r[0] for r in watcher.execute(
            "SELECT state FROM milvus_import_tasks('crash_import', 10)")]
        if states and states[0] in ("Completed", "Failed", "FailedAndCleaned"):
            break
        time.sleep(1)
    print("import states after restart:", states)
    got = import_s.execute("SELECT count(*) FROM crash_import").fetchone()[0]
    assert got in (0, 200000), got
    for s in (query_s, binlog_s, insert_s, import_s):
        s.close()
