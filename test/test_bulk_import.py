"""Bulk import: insert_method 'import' and milvus_bulk_import() against the live
Milvus 2.3 servers, one with local storage (milvus23) and one keeping its files in
MinIO (milvus23_s3), and Milvus Lite, which has no Import.

What is checked with pymilvus, apart from our own code: 200k rows sent by COPY are
all there, bit for bit (NumPy files on local storage, JSON rows on MinIO); a failing
import is an ERROR carrying Milvus's reason and leaves none of its rows; the files
go after success and stay after failure; ROLLBACK and savepoints; the GUC per
statement; cancel while waiting; Milvus Lite's clear ERROR.

The tests use a database of their own, so that CREATE EXTENSION brings the
current SQL functions. On local storage the PostgreSQL server's OS user needs
write access to <MILVUS_DATA_DIR>/milvus_fdw_import: created here when the tests
run as root (as scripts/test.sh does), else the local tests are skipped.
"""
import os
import struct
import threading
import time

import numpy as np
import psycopg
import pytest

from conftest import connect, create_s3_milvus_server, env
from milvus_client import client

DB = "milvus_fdw_bulk_import"
N = 200_000
VISIBLE_WITHIN = 180        # seconds: imported segments load some seconds after Completed


# ---------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def db():
    """A fresh database with milvus_fdw, servers for the three Milvus and the
    local storage directory prepared; yields a factory of sessions."""
    admin = connect()
    admin.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    admin.execute(f"CREATE DATABASE {DB}")
    conn = psycopg.connect(host=env("PGHOST"), port=env("PGPORT"), user=env("PGUSER"),
                           dbname=DB, autocommit=True)
    conn.execute("CREATE EXTENSION milvus_fdw")
    conn.execute(f"CREATE SERVER m23 FOREIGN DATA WRAPPER milvus_fdw OPTIONS "
                 f"(host '127.0.0.1', port '{env('MILVUS_PORT')}', "
                 f"storage_path '{env('MILVUS_DATA_DIR')}')")
    conn.execute("CREATE USER MAPPING FOR CURRENT_USER SERVER m23")
    create_s3_milvus_server(conn, "m23s3")
    conn.execute(f"CREATE SERVER lite FOREIGN DATA WRAPPER milvus_fdw OPTIONS "
                 f"(host '127.0.0.1', port '{env('MILVUS_LITE_PORT')}')")
    conn.execute("CREATE USER MAPPING FOR CURRENT_USER SERVER lite")
    conn.close()

    def session():
        return psycopg.connect(host=env("PGHOST"), port=env("PGPORT"), user=env("PGUSER"),
                               dbname=DB, autocommit=True)
    yield session
    for server in ("m23", "m23s3"):
        c = client(server)
        for coll in c.list_collections():
            if coll.startswith("bulk_"):
                c.drop_collection(coll)
        c.close()
    admin.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    admin.close()


@pytest.fixture(scope="module")
def local_storage():
    """The directory our files go to in milvus23's local storage, writable by
    the PostgreSQL server (the owner of its data directory)."""
    path = os.path.join(env("MILVUS_DATA_DIR"), "milvus_fdw_import")
    if os.geteuid() == 0:
        os.makedirs(path, exist_ok=True)
        os.chown(path, os.stat(env("PGDATA")).st_uid, -1)
    elif not os.access(path, os.W_OK):
        pytest.skip(f"{path} is not writable for the PostgreSQL server (run as root)")
    return path


def foreign_table(conn, name, server, columns, dim, **options):
    """A foreign table over a fresh collection bulk_<name> (dropped first)."""
    opts = {"collection": f"bulk_{name}", "primary_key": "id", "vector_field": "vec",
            "dim": str(dim), **options}
    conn.execute(f"DROP FOREIGN TABLE IF EXISTS {name}")
    conn.execute(f"CREATE FOREIGN TABLE {name} ({columns}) SERVER {server} OPTIONS ("
                 + ", ".join(f"{k} '{v}'" for k, v in opts.items()) + ")")
    conn.execute(f"SELECT milvus_drop_collection('{name}', missing_ok => true)")
    conn.execute(f"SELECT milvus_create_collection('{name}')")


# ---------------------------------------------------------------- data

def vectors(n, dim, seed):
    return np.random.default_rng(seed).standard_normal((n, dim), dtype=np.float32)


def copy_binary(conn, table, columns, n, parts):
    """COPY n rows in binary: PARTS is a list of (numpy field dtype, values) in
    column order, each value already in PostgreSQL's binary form."""
    row = np.dtype([("nfields", ">i2")] + [(f"f{i}", dt) for i, (dt, _) in enumerate(parts)])
    buf = np.zeros(n, dtype=row)
    buf["nfields"] = len(parts)
    for i, (_, values) in enumerate(parts):
        buf[f"f{i}"] = values
    with conn.cursor().copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT binary)") as copy:
        copy.write(b"PGCOPY\n\xff\r\n\0" + struct.pack(">ii", 0, 0))
        step = 20_000
        for s in range(0, n, step):
            copy.write(buf[s:s + step].tobytes())
        copy.write(struct.pack(">h", -1))


def int8_part(values):
    dt = np.dtype([("len", ">i4"), ("v", ">i8")])
    out = np.zeros(len(values), dtype=dt)
    out["len"], out["v"] = 8, values
    return dt, out


def int4_part(values):
    dt = np.dtype([("len", ">i4"), ("v", ">i4")])
    out = np.zeros(len(values), dtype=dt)
    out["len"], out["v"] = 4, values
    return dt, out


def text_part(strings, width):
    """Fixed-width ASCII text values (binary text is its bytes)."""
    dt = np.dtype([("len", ">i4"), ("v", f"S{width}")])
    out = np.zeros(len(strings), dtype=dt)
    out["len"], out["v"] = width, [s.encode() for s in strings]
    return dt, out


def real_array_part(vecs):
    n, dim = vecs.shape
    dt = np.dtype([("len", ">i4"), ("ndim", ">i4"), ("flags", ">i4"), ("elemtype", ">u4"),
                   ("nelems", ">i4"), ("lbound", ">i4"),
                   ("elems", [("len", ">i4"), ("val", ">f4")], (dim,))])
    out = np.zeros(n, dtype=dt)
    out["len"] = 20 + 8 * dim
    out["ndim"], out["elemtype"], out["nelems"], out["lbound"] = 1, 700, dim, 1
    out["elems"]["len"] = 4
    out["elems"]["val"] = vecs
    return dt, out


def wait_visible(c, collection, n):
    """Strong count(*) until it sees n rows: imported segments become visible
    when Milvus's query nodes load them."""
    deadline = time.monotonic() + VISIBLE_WITHIN
    while True:
        count = c.query(collection, filter="", output_fields=["count(*)"],
                        consistency_level="Strong")[0]["count(*)"]
        if count == n or time.monotonic() > deadline:
            return count
        time.sleep(1)


def read_all(c, collection, fields):
    it = c.query_iterator(collection, batch_size=16384, output_fields=fields)
    rows = []
    while True:
        page = it.next()
        if not page:
            break
        rows.extend(page)
    it.close()
    return rows


def stored_rows(c, collection):
    """Rows Milvus has persisted, loaded or not (imports persist at once)."""
    c.flush(collection)
    return c.get_collection_stats(collection)["row_count"]


def storage_keys(conn, server, prefix):
    return [k for (k,) in conn.execute("SELECT key FROM milvus_storage_list(%s, %s)",
                                       (server, prefix))]


def last_import(conn):
    return conn.execute("SELECT task_id, state, rows, files, reason FROM milvus_import_progress() "
                        "ORDER BY started DESC LIMIT 1").fetchone()


# ---------------------------------------------------------------- 200k rows through COPY

def test_copy_200k_numpy_local(db, local_storage):
    """Fixed-width fields go as NumPy files into local storage; every row and
    every float arrives; the files are gone afterwards."""
    dim = 32
    conn = db()
    foreign_table(conn, "copy_local", "m23", "id bigint, grp integer, vec real[]", dim,
                  insert_method="import")
    ids = np.arange(N, dtype=np.int64) * 7 + 3
    grp = (ids % 1000).astype(np.int32)
    vecs = vectors(N, dim, seed=1)
    t0 = time.monotonic()
    copy_binary(conn, "copy_local", "id, grp, vec", N,
                [int8_part(ids), int4_part(grp), real_array_part(vecs)])
    print(f"COPY {N} rows with insert_method 'import' (local): {time.monotonic() - t0:.1f} s")

    task, state, rows, files, reason = last_import(conn)
    assert (state, rows, reason) == ("Completed", N, None)
    assert files.startswith(os.path.join(env("MILVUS_DATA_DIR"), "milvus_fdw_import/bulk_copy_local/"))
    assert sorted(f.rsplit("/", 1)[1] for f in files.split(",")) == ["grp.npy", "id.npy", "vec.npy"]
    assert storage_keys(conn, "m23", "milvus_fdw_import/bulk_copy_local/") == []
    assert not os.path.exists(os.path.dirname(files.split(",")[0]))

    c = client("m23")
    assert wait_visible(c, "bulk_copy_local", N) == N
    got = sorted(read_all(c, "bulk_copy_local", ["id", "grp", "vec"]), key=lambda r: r["id"])
    assert np.array_equal(np.array([r["id"] for r in got]), ids)
    assert np.array_equal(np.array([r["grp"] for r in got], dtype=np.int32), grp)
    assert np.array_equal(np.array([r["vec"] for r in got], dtype=np.float32), vecs)
    conn.close()


def test_copy_200k_json_minio(db):
    """With text the rows go as one JSON file into MinIO (the GUC chooses import
    for a table whose option says insert); exact floats and text."""
    dim = 16
    conn = db()
    foreign_table(conn, "copy_s3", "m23s3", "id bigint, title varchar(20), vec real[]", dim)
    conn.execute("SET milvus_fdw.insert_method = 'import'")
    ids = np.arange(N, dtype=np.int64) - 50_000
    titles = [f"t{i:+011d}" for i in ids.tolist()]
    vecs = vectors(N, dim, seed=2)
    conn.execute("SELECT milvus_fdw_stats_reset()")
    t0 = time.monotonic()
    copy_binary(conn, "copy_s3", "id, title, vec", N,
                [int8_part(ids), text_part(titles, 12), real_array_part(vecs)])
    print(f"COPY {N} rows with insert_method 'import' (MinIO, JSON): {time.monotonic() - t0:.1f} s")
    calls = dict(conn.execute("SELECT method, calls FROM milvus_fdw_stats()").fetchall())
    assert calls.get("Import") == 1 and "Insert" not in calls

    task, state, rows, files, reason = last_import(conn)
    assert (state, rows, reason) == ("Completed", N, None)
    assert files.startswith(f"{env('MINIO_ROOT_PATH')}/milvus_fdw_import/bulk_copy_s3/")
    assert files.endswith("/rows.json")
    assert storage_keys(conn, "m23s3", "milvus_fdw_import/bulk_copy_s3/") == []

    c = client("m23s3")
    assert wait_visible(c, "bulk_copy_s3", N) == N
    got = sorted(read_all(c, "bulk_copy_s3", ["id", "title", "vec"]), key=lambda r: r["id"])
    assert np.array_equal(np.array([r["id"] for r in got]), ids)
    assert [r["title"] for r in got] == titles
    assert np.array_equal(np.array([r["vec"] for r in got], dtype=np.float32), vecs)
    conn.close()


# ---------------------------------------------------------------- failures

@pytest.mark.parametrize("server", ["m23s3", "m23"])
def test_failed_import_carries_milvus_reason(db, server, request):
    """A file whose second row has the wrong dimension: Milvus fails the task,
    the ERROR says why, and none of the file's rows (not even the good first
    one) reach the collection."""
    if server == "m23":
        request.getfixturevalue("local_storage")
    conn = db()
    name = f"bad_{server}"
    foreign_table(conn, name, server, "id bigint, vec real[]", 4)
    conn.execute(f"INSERT INTO {name} VALUES (1, '{{1,2,3,4}}')")
    key = f"milvus_fdw_import/test/{name}/bad.json"
    conn.execute("SELECT milvus_storage_write(%s, %s, %s)",
                 (server, key, b'{"rows":[{"id":2,"vec":[1,2,3,4]},{"id":3,"vec":[1,2,3]}]}'))
    with pytest.raises(psycopg.Error) as e:
        conn.execute(f"SELECT milvus_bulk_import('{name}', ARRAY['{key}'])")
    diag = e.value.diag
    assert diag.sqlstate == "HV000"
    assert diag.message_primary == f'Milvus import into collection "bulk_{name}" failed'
    assert "array size 3 doesn't equal to vector dimension 4" in diag.message_detail
    # the files are the user's: they stay
    assert storage_keys(conn, server, key) == [key]
    state, reason = conn.execute(f"SELECT state, reason FROM milvus_import_tasks('{name}', 10) "
                                 f"WHERE files LIKE '%bad.json'").fetchone()
    assert state in ("Failed", "FailedAndCleaned") and "vector dimension 4" in reason

    c = client(server)
    assert stored_rows(c, f"bulk_{name}") == 1
    assert c.query(f"bulk_{name}", filter="id in [2, 3]", consistency_level="Strong") == []
    conn.execute("SELECT milvus_storage_delete(%s, %s)", (server, key))
    conn.close()


def test_bulk_import_of_numpy_files(db):
    """Files already in storage (NumPy, one per field) make one import; the
    rows count comes back and the files stay."""
    conn = db()
    foreign_table(conn, "npy", "m23s3", "id bigint, vec real[]", 8)
    ids = np.arange(1000, dtype=np.int64)
    vecs = vectors(1000, 8, seed=3)
    keys = []
    for field, values in (("id", ids), ("vec", vecs)):
        path = f"/tmp/bulk_import_{os.getpid()}_{field}.npy"
        np.save(path, values)
        with open(path, "rb") as f:
            data = f.read()
        os.unlink(path)
        key = f"milvus_fdw_import/test/npy/{field}.npy"
        conn.execute("SELECT milvus_storage_write('m23s3', %s, %s)", (key, data))
        keys.append(key)
    assert conn.execute("SELECT milvus_bulk_import('npy', %s)", (keys,)).fetchone()[0] == 1000
    assert storage_keys(conn, "m23s3", "milvus_fdw_import/test/npy/") == keys
    assert stored_rows(client("m23s3"), "bulk_npy") == 1000
    for key in keys:
        conn.execute("SELECT milvus_storage_delete('m23s3', %s)", (key,))

    with pytest.raises(psycopg.errors.InvalidParameterValue):
        conn.execute("SELECT milvus_bulk_import('npy', ARRAY['a/id.npy', 'a/rows.json'])")
    with pytest.raises(psycopg.errors.InvalidParameterValue, match=r'"\.\." component'):
        conn.execute("SELECT milvus_bulk_import('npy', ARRAY['../x.json'])")
    conn.close()


def test_milvus_lite_has_no_import(db):
    conn = db()
    conn.execute("DROP FOREIGN TABLE IF EXISTS lite_t")
    conn.execute("CREATE FOREIGN TABLE lite_t (id bigint, vec real[]) SERVER lite OPTIONS "
                 "(collection 'bulk_lite', primary_key 'id', vector_field 'vec', dim '2', "
                 "insert_method 'import')")
    for sql in ("INSERT INTO lite_t VALUES (1, '{1,2}')",
                "SELECT milvus_bulk_import('lite_t', ARRAY['rows.json'])"):
        with pytest.raises(psycopg.errors.FeatureNotSupported) as e:
            conn.execute(sql)
        assert "Milvus Lite has no bulk import" in e.value.diag.message_primary
        assert e.value.diag.message_hint == "Use insert_method 'insert' with this server."
    conn.execute("SELECT milvus_drop_collection('lite_t', missing_ok => true)")
    conn.close()


def test_refused_where_import_cannot_go(db):
    """Upserts and RETURNING of auto_id keys need Insert/Upsert calls."""
    conn = db()
    foreign_table(conn, "upsert_t", "m23s3", "id bigint, vec real[]", 2,
                  insert_mode="upsert", insert_method="import")
    with pytest.raises(psycopg.errors.FeatureNotSupported, match="cannot upsert"):
        conn.execute("INSERT INTO upsert_t VALUES (1, '{1,2}')")
    foreign_table(conn, "auto_t", "m23s3", "id bigint, vec real[]", 2,
                  auto_id="true", insert_method="import")
    with pytest.raises(psycopg.errors.FeatureNotSupported, match="cannot return the keys"):
        conn.execute("INSERT INTO auto_t (vec) VALUES ('{1,2}') RETURNING id")
    conn.close()


# ---------------------------------------------------------------- transactions

def test_rollback_savepoints_and_guc_per_statement(db):
    """Nothing reaches Milvus before commit; a rolled-back savepoint takes its
    spooled rows back; the GUC picks the method statement by statement."""
    conn = db()
    foreign_table(conn, "tx", "m23s3", "id bigint, vec real[]", 2, batch_size="100")
    conn.execute("SELECT milvus_fdw_stats_reset()")
    before = conn.execute("SELECT count(*) FROM milvus_import_progress()").fetchone()[0]

    conn.execute("BEGIN")
    conn.execute("SET LOCAL milvus_fdw.insert_method = 'import'")
    conn.execute("INSERT INTO tx SELECT i, ARRAY[i, 0] FROM generate_series(1, 250) i")
    conn.execute("ROLLBACK")
    assert conn.execute("SELECT count(*) FROM milvus_import_progress()").fetchone()[0] == before

    conn.execute("BEGIN")
    conn.execute("INSERT INTO tx SELECT i, ARRAY[i, 0] FROM generate_series(1, 150) i")
    conn.execute("SET LOCAL milvus_fdw.insert_method = 'import'")
    conn.execute("INSERT INTO tx SELECT i, ARRAY[i, 1] FROM generate_series(1001, 1250) i")
    conn.execute("SAVEPOINT s")
    conn.execute("INSERT INTO tx SELECT i, ARRAY[i, 2] FROM generate_series(2001, 2999) i")
    conn.execute("ROLLBACK TO SAVEPOINT s")
    conn.execute("INSERT INTO tx SELECT i, ARRAY[i, 3] FROM generate_series(3001, 3007) i")
    conn.execute("COMMIT")

    calls = dict(conn.execute("SELECT method, calls FROM milvus_fdw_stats()").fetchall())
    assert calls["Insert"] == 2            # 150 rows, batch_size 100
    assert calls["Import"] == 1
    task, state, rows, files, reason = last_import(conn)
    assert (state, rows) == ("Completed", 257)
    c = client("m23s3")
    assert stored_rows(c, "bulk_tx") == 150 + 257
    conn.close()


def test_cancel_while_waiting(db):
    """A cancel ends the wait at once (Milvus's task goes on: a WARNING says
    so, and the files stay where Milvus reads them)."""
    conn = db()
    n = 100_000
    foreign_table(conn, "cancel_t", "m23s3", "id bigint, vec real[]", 64, insert_method="import")
    pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    notices = []
    conn.add_notice_handler(lambda d: notices.append(d.message_primary or ""))
    result = {}

    def insert():
        try:
            conn.execute(f"INSERT INTO cancel_t SELECT i, array_fill(i::real, ARRAY[64]) "
                         f"FROM generate_series(1, {n}) i")
        except psycopg.Error as e:
            result["error"] = e
        result["ended"] = time.monotonic()

    watcher = db()
    # tasks of an earlier collection of the same name may be listed too
    old = {r[0] for r in watcher.execute("SELECT task_id FROM milvus_import_tasks('cancel_t', 1000)")}
    t = threading.Thread(target=insert)
    t.start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        now = {r[0] for r in watcher.execute("SELECT task_id FROM milvus_import_tasks('cancel_t', 1000)")}
        if now - old:
            break
        time.sleep(0.05)
    canceled = time.monotonic()
    watcher.execute("SELECT pg_cancel_backend(%s)", (pid,))
    t.join(60)
    assert isinstance(result.get("error"), psycopg.errors.QueryCanceled)
    assert result["ended"] - canceled < 1.0
    assert "the task goes on in Milvus" in (result["error"].diag.context or "")
    assert any("goes on after this transaction's abort" in m for m in notices)
    task, state, rows, files, reason = last_import(conn)
    prefix = files.split(",")[0].split(f"{env('MINIO_ROOT_PATH')}/", 1)[1].rsplit("/", 1)[0] + "/"

    # Milvus finishes the task: its rows appear, and the files are left to us
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        state = watcher.execute("SELECT state FROM milvus_import_tasks('cancel_t', 10) "
                                "WHERE task_id = %s", (task,)).fetchone()[0]
        if state in ("Completed", "Failed", "FailedAndCleaned"):
            break
        time.sleep(0.5)
    assert state == "Completed"
    assert stored_rows(client("m23s3"), "bulk_cancel_t") == n
    keys = storage_keys(watcher, "m23s3", prefix)
    assert [k.rsplit("/", 1)[1] for k in keys] == ["id.npy", "vec.npy"]
    for key in keys:
        watcher.execute("SELECT milvus_storage_delete('m23s3', %s)", (key,))
    watcher.close()
    conn.close()
