"""Spark end to end: Spark's JDBC source and sink through PostgreSQL and milvus_fdw.

One local Spark session (local[2,2]: two threads, a failed task is retried
once) with PostgreSQL's JDBC driver and MariaDB Connector/J runs the
Spark-Milvus connector's demos (examples/spark_*.py) and what Spark's JDBC data
source does to a foreign table: partitioned reads whose range predicates must
reach Milvus, Overwrite with truncate, task retries, large writes.  What Spark
wrote is checked with pymilvus; what Spark's sessions did inside PostgreSQL is
read from the server log (auto_explain plans, milvus_fdw.log_stats lines).

Servers, tables and collections are named spark_t_*.
"""
import os
import re
import subprocess
import sys
import threading
import time
import uuid

import numpy as np
import pytest

from conftest import ROOT, env
from milvus_client import client

sys.path.insert(0, os.path.join(ROOT, "examples"))
import spark_bulk_import as bulk_demo  # noqa: E402
import spark_common as sc  # noqa: E402
import spark_milvus_transform_milvus as transform_demo  # noqa: E402
import spark_mysql_embedding_milvus as mysql_demo  # noqa: E402
import spark_quickstart as quickstart  # noqa: E402

SERVER = "spark_t"          # the server of the tests that are not an example's
PREFIX = "spark_t"


@pytest.fixture(scope="module")
def spark():
    session = sc.spark_session("milvus_fdw test_spark", master="local[2,2]")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def pg():
    conn = sc.pg_connect()
    sc.create_server(conn, SERVER)
    yield conn
    # Every collection behind a foreign table of our servers, then the servers.
    tables = conn.execute(
        "SELECT ft.ftrelid::regclass::text, s.srvname FROM pg_foreign_table ft "
        "JOIN pg_foreign_server s ON s.oid = ft.ftserver WHERE s.srvname LIKE %s",
        (PREFIX + "%",)).fetchall()
    for table, _ in tables:
        conn.execute("SELECT milvus_drop_collection(%s::regclass, missing_ok => true)", (table,))
    for (server,) in conn.execute("SELECT srvname FROM pg_foreign_server WHERE srvname LIKE %s",
                                  (PREFIX + "%",)).fetchall():
        conn.execute(f"DROP SERVER {server} CASCADE")
    conn.close()


@pytest.fixture(scope="module")
def milvus():
    c = client("m23")
    yield c
    c.close()


# ------------------------------------------------------------------ helpers

def entities(c, collection, fields, limit=16384):
    """Every entity (up to limit), by primary key.  Milvus 2.3's query without
    a limit has been seen to return fewer entities when keys are duplicated:
    always give one."""
    pk = fields[0]
    rows = c.query(collection, filter=f"{pk} >= 0 or {pk} < 0", output_fields=fields,
                   consistency_level="Strong", limit=limit)
    return sorted((dict(r) for r in rows), key=lambda r: r[pk])


def milvus_count(c, collection):
    """count(*) of the collection: duplicated primary keys count twice."""
    rows = c.query(collection, filter="", output_fields=["count(*)"], consistency_level="Strong")
    return rows[0]["count(*)"]


def f32(values):
    return np.asarray(values, dtype=np.float32)


def pg_log_path(conn):
    """The scratch cluster's server log: $PG_LOG_FILE, the logging collector's
    current file, or the file scripts/services.sh gives pg_ctl -l."""
    if os.environ.get("PG_LOG_FILE"):
        return os.environ["PG_LOG_FILE"]
    current = conn.execute("SELECT pg_current_logfile()").fetchone()[0]
    if current:
        data = conn.execute("SHOW data_directory").fetchone()[0]
        return os.path.join(data, current)
    return os.path.join(ROOT, ".run", "logs", "postgres.log")


ENTRY = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? \S+ \[(\d+)\] ([A-Z]+\d?):  (.*)$")


class PgLog:
    """What the server logged since this object was made, as (pid, level, text)
    entries (a plan's continuation lines belong to its entry)."""

    def __init__(self, conn):
        self.path = pg_log_path(conn)
        self.offset = os.path.getsize(self.path)

    def entries(self):
        with open(self.path, errors="replace") as f:
            f.seek(self.offset)
            text = f.read()
        out = []
        for line in text.splitlines():
            m = ENTRY.match(line)
            if m:
                out.append([int(m.group(1)), m.group(2), m.group(3)])
            elif out and line[:1] in ("\t", " "):
                out[-1][2] += "\n" + line
        return [tuple(e) for e in out]

    def wait_for(self, predicate, count, timeout=10.0):
        """Entries matching predicate, waiting until there are `count` of them."""
        deadline = time.monotonic() + timeout
        while True:
            found = [e for e in self.entries() if predicate(e)]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.2)


# auto_explain in Spark's sessions: every statement's plan, with VERBOSE's
# "Milvus request" line, goes to the server log.
AUTO_EXPLAIN = ("LOAD 'auto_explain'; SET auto_explain.log_min_duration = 0; "
                "SET auto_explain.log_verbose = on")


def plans_of(log, table, count):
    """auto_explain plans of the queries of `table` that have a WHERE clause."""
    def is_plan(e):
        return (e[1] == "LOG" and "plan:" in e[2] and f"FROM {table} " in e[2]
                and "WHERE 1=0" not in e[2])
    return [e[2] for e in log.wait_for(is_plan, count)]


def query_text(plan):
    return re.search(r"Query Text: (.*)", plan).group(1).strip()


def milvus_expr(plan):
    m = re.search(r"Milvus request: query\(collection=\S+, expr=(.*), output_fields=", plan)
    return m.group(1) if m else None


def assert_pushed(plan):
    """Each comparison of Spark's WHERE is in the Milvus expression, and nothing
    is filtered locally."""
    where = query_text(plan).split(" WHERE ", 1)[1]
    expr = milvus_expr(plan)
    assert expr is not None, plan
    for column, op, value in re.findall(r'"(\w+)" (<=|>=|<|>|=) (\d+)', where):
        assert f"{column} {'==' if op == '=' else op} {value}" in expr, (where, expr)
    assert "Filter:" not in plan, plan
    return where, expr


class BackendWatch:
    """The pids of the backends whose application_name is `name`, polled from
    pg_stat_activity while a Spark job runs (Spark's task connections are
    their own sessions, gone when the job ends)."""

    def __init__(self, name):
        self.name = name
        self.pids = set()
        self._stop = threading.Event()
        self._conn = sc.pg_connect()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self):
        while not self._stop.is_set():
            for (pid,) in self._conn.execute(
                    "SELECT pid FROM pg_stat_activity WHERE application_name = %s",
                    (self.name,)).fetchall():
                self.pids.add(pid)
            self._stop.wait(0.05)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self._conn.close()


STATS = re.compile(r"(\w+) calls=(\d+) failures=(\d+) bytes_sent=(\d+) bytes_received=(\d+)")


def last_stats(log, pids):
    """The last milvus_fdw.log_stats line of each backend: {pid: {method: (calls, sent)}}."""
    out = {}
    for pid, level, text in log.entries():
        if pid in pids and level == "LOG" and text.startswith("milvus_fdw stats"):
            out[pid] = {m[0]: (int(m[1]), int(m[3])) for m in STATS.findall(text)}
    return out


# ------------------------------------------------------------------ the connector's demos

def test_quickstart_example_script():
    """examples/spark_quickstart.py as a user runs it: settings from the
    environment, its own check of the result."""
    try:
        result = subprocess.run(
            [sys.executable, os.path.join(ROOT, "examples", "spark_quickstart.py")],
            capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
        assert "spark_hello_milvus" in result.stdout and result.stdout.rstrip().endswith("OK")
    finally:
        # What the example leaves for its user, gone (other suites list collections).
        conn = sc.pg_connect()
        if conn.execute("SELECT to_regclass(%s)", (quickstart.TABLE,)).fetchone()[0]:
            conn.execute("SELECT milvus_drop_collection(%s::regclass, missing_ok => true)",
                         (quickstart.TABLE,))
        conn.execute(f"DROP SERVER IF EXISTS {quickstart.SERVER} CASCADE")
        conn.close()


def test_quickstart_sample_dataframe(spark, pg, milvus):
    """The connector's sample DataFrame, mode("append") through JDBC: a new
    collection with the 4 entities and their vectors."""
    table = "spark_t_hello"
    quickstart.setup(pg, server="spark_t_qs", table=table)
    assert table not in milvus.list_collections()
    df = quickstart.write_sample(spark, table)
    assert [f.dataType.simpleString() for f in df.schema.fields] == \
        ["bigint", "string", "array<double>"]
    assert table in milvus.list_collections()
    rows = entities(milvus, table, ["id", "text", "vec"])
    assert [(r["id"], r["text"]) for r in rows] == [(1, "a"), (2, "b"), (3, "c"), (4, "d")]
    for r in rows:
        assert list(f32(r["vec"])) == [1, 2, 3, 4, 5, 6, 7, 8]
    fields = {f["name"]: f for f in milvus.describe_collection(table)["fields"]}
    assert fields["vec"]["params"]["dim"] == 8 and fields["id"]["is_primary"]


def test_mysql_embedding_milvus(spark, pg, milvus):
    """MariaDB -> Spark JDBC -> Tokenizer + Word2Vec (128) -> Spark JDBC -> an
    auto-created collection, checked with pymilvus."""
    env("MARIADB_PORT")  # the mariadb service of scripts/services.sh
    table = "spark_t_text_embedding"
    try:
        computed = mysql_demo.run(spark, pg, server="spark_t_my", table=table,
                                  mysql_table="spark_t_demo")
    finally:
        opts = sc.mariadb_jdbc()
        jdbc = spark.sparkContext._jvm.java.sql.DriverManager.getConnection(
            opts["url"], opts["user"], opts.get("password", ""))
        try:
            jdbc.createStatement().execute("DROP TABLE IF EXISTS spark_t_demo")
        finally:
            jdbc.close()
    assert sorted(computed) == [1, 2, 3, 4]
    fields = {f["name"]: f for f in milvus.describe_collection(table)["fields"]}
    assert fields["embedding"]["params"]["dim"] == 128
    rows = entities(milvus, table, ["id", "text", "embedding"])
    assert [r["id"] for r in rows] == [1, 2, 3, 4]
    for r in rows:
        assert r["text"] == dict(mysql_demo.TEXTS)[r["id"]]
        assert np.array_equal(f32(r["embedding"]), f32(computed[r["id"]]))
        assert np.any(f32(r["embedding"]) != 0)
    # Each text's embedding is nearest to itself, searched by pymilvus.
    hits = milvus.search(table, data=[list(map(float, computed[i])) for i in (1, 2, 3, 4)],
                         limit=1, consistency_level="Strong")
    assert [h[0]["id"] for h in hits] == [1, 2, 3, 4]


def test_milvus_transform_milvus(spark, pg, milvus):
    """A collection read by Spark JDBC (4 partitions), PCA to 4 dimensions,
    written into a second, auto-created collection."""
    rows = 2000
    source, target = "spark_t_transform_src", "spark_t_transform_dst"
    computed = transform_demo.run(spark, pg, server="spark_t_tr", source=source, target=target,
                                  rows=rows)
    assert sorted(computed) == list(range(1, rows + 1))
    fields = {f["name"]: f for f in milvus.describe_collection(target)["fields"]}
    assert fields["embeddings"]["params"]["dim"] == 4
    src = entities(milvus, source, ["pk", "embeddings"])
    dst = entities(milvus, target, ["pk", "random", "embeddings"])
    assert [r["pk"] for r in dst] == [r["pk"] for r in src] == list(range(1, rows + 1))
    for r in dst:
        assert r["random"] == computed[r["pk"]][0]
        assert np.array_equal(f32(r["embeddings"]), f32(computed[r["pk"]][1]))
    transform_demo.check_pca([r["embeddings"] for r in src], [r["embeddings"] for r in dst])


def test_bulk_import_through_spark_jdbc(spark, pg):
    """Spark's JDBC sink into a table with insert_method 'import' (the
    connector's bulkInsertFromSpark): each task's rows reach Milvus (the one
    keeping its files in MinIO) by an Import at the task's commit."""
    rows, table = 10_000, "spark_t_bulk_import"
    bulk_demo.setup(pg, server="spark_t_bulk", table=table)
    log = PgLog(pg)
    df = bulk_demo.dataframe(spark, rows, partitions=2).cache()
    expected = df.selectExpr("sum(id) AS ids", "sum(vec[0]) AS v0").collect()[0]
    app = f"spark_t_bulk_{uuid.uuid4().hex[:8]}"
    with BackendWatch(app) as watch:
        df.write.mode("append").format("jdbc").options(**sc.pg_jdbc(
            table, options="-c milvus_fdw.log_stats=on", ApplicationName=app)).save()
    df.unpersist()
    bulk_demo.wait_visible(pg, table, rows)
    c = client("m23s3")
    try:
        got = c.query(table, filter="", output_fields=["count(*)"], consistency_level="Strong")
        assert got[0]["count(*)"] == rows
        sample = c.query(table, filter="id in [0, 4999, 9999]", output_fields=["id", "vec"],
                         consistency_level="Strong")
        assert sorted(r["id"] for r in sample) == [0, 4999, 9999]
        assert all(len(r["vec"]) == bulk_demo.DIM for r in sample)
    finally:
        c.close()
    ids, v0 = pg.execute(f"SELECT sum(id), sum(vec[1]) FROM {table}_check").fetchone()
    assert ids == expected["ids"] and abs(v0 - expected["v0"]) < 1e-2
    # One Import per Spark task (= partition = transaction), no Insert call.
    stats = last_stats(log, watch.pids)
    writers = {pid: s for pid, s in stats.items() if "Import" in s}
    assert len(writers) == 2, stats
    assert all(s["Import"][0] == 1 and s.get("Insert", (0, 0))[0] == 0
               for s in writers.values()), stats


# ------------------------------------------------------------------ JDBC source

READ_ROWS = 2000


@pytest.fixture(scope="module")
def read_table(pg):
    table = "spark_t_read"
    # Strong: Spark's sessions must see the rows this session has just written
    # (Bounded, the collection's default, may not show them yet).
    sc.create_table(pg, SERVER, table, "id bigint, grp integer, vec real[]",
                    primary_key="id", vector_field="vec", dim="4", consistency_level="Strong")
    pg.execute(f"INSERT INTO {table} SELECT g, g % 7, ARRAY[g, g / 2.0, -g, 0.5]::real[] "
               f"FROM generate_series(1, {READ_ROWS}) g")
    return table


def expected_vec(i):
    return [i, i / 2.0, -i, 0.5]


def test_jdbc_source_plain(spark, pg, read_table):
    """spark.read.format("jdbc") of a foreign table: every row once, with its
    vector as array<float>."""
    df = spark.read.format("jdbc").options(**sc.pg_jdbc(read_table)).load()
    assert [(f.name, f.dataType.simpleString()) for f in df.schema.fields] == \
        [("id", "bigint"), ("grp", "int"), ("vec", "array<float>")]
    rows = df.collect()
    ids = sorted(r["id"] for r in rows)
    assert len(ids) == READ_ROWS and len(set(ids)) == READ_ROWS, \
        (len(ids), len(set(ids)), sorted(set(range(1, READ_ROWS + 1)) - set(ids))[:20])
    assert ids == list(range(1, READ_ROWS + 1))
    for r in rows:
        assert r["grp"] == r["id"] % 7
        assert list(f32(r["vec"])) == list(f32(expected_vec(r["id"])))


def test_jdbc_source_partitioned_ranges_pushed_down(spark, pg, read_table):
    """partitionColumn=id, numPartitions=4: every row exactly once, and each
    partition's range predicate, the first one's `OR id IS NULL` included, is
    Milvus's filter: auto_explain in Spark's sessions shows the Milvus request
    of the very SQL Spark sent, with no local Filter."""
    log = PgLog(pg)
    df = spark.read.format("jdbc").options(**sc.pg_jdbc(
        read_table, partitionColumn="id", lowerBound=1, upperBound=READ_ROWS + 1,
        numPartitions=4, sessionInitStatement=AUTO_EXPLAIN)).load()
    assert df.rdd.getNumPartitions() == 4
    ids = [r["id"] for r in df.select("id").collect()]
    assert len(ids) == READ_ROWS and len(set(ids)) == READ_ROWS, (len(ids), len(set(ids)))
    assert sorted(ids) == list(range(1, READ_ROWS + 1))

    plans = plans_of(log, read_table, 4)
    assert len(plans) == 4, plans
    pushed = dict(assert_pushed(p) for p in plans)
    stride = READ_ROWS // 4
    first = f'"id" < {1 + stride} or "id" is null'
    assert first in pushed, pushed
    # A NOT NULL primary key is never NULL: Milvus gets "in []" (false) for it.
    assert pushed[first] == f"((id < {1 + stride}) or (id in []))", pushed[first]
    assert f'"id" >= {1 + 3 * stride}' in pushed, pushed
    assert pushed[f'"id" >= {1 + 3 * stride}'] == f"(id >= {1 + 3 * stride})"


def test_jdbc_source_partitioned_with_filter(spark, pg, read_table):
    """A Spark filter is ANDed to each partition's range; both reach Milvus."""
    log = PgLog(pg)
    df = spark.read.format("jdbc").options(**sc.pg_jdbc(
        read_table, partitionColumn="id", lowerBound=1, upperBound=READ_ROWS + 1,
        numPartitions=4, sessionInitStatement=AUTO_EXPLAIN)).load()
    ids = sorted(r["id"] for r in df.where("grp = 3 AND id <= 1500").select("id").collect())
    assert ids == [i for i in range(1, 1501) if i % 7 == 3]
    plans = plans_of(log, read_table, 4)
    assert len(plans) == 4
    for plan in plans:
        _, expr = assert_pushed(plan)
        assert "grp == 3" in expr and "id <= 1500" in expr, expr


# ------------------------------------------------------------------ JDBC sink

def sample_df(spark, ids, dim=8, tag="x"):
    """(id bigint, text string, vec array<float>) rows, vec = [id, id+1, ...]."""
    from pyspark.sql import functions as F
    return spark.range(ids.start, ids.stop, numPartitions=2).select(
        F.col("id"),
        F.concat(F.lit(tag + "-"), F.col("id").cast("string")).alias("text"),
        F.array(*[(F.col("id") + k).cast("float") for k in range(dim)]).alias("vec"))


def test_overwrite_with_truncate_replaces_contents(spark, pg, milvus):
    """mode("overwrite") + truncate=true: Spark TRUNCATEs the foreign table
    (the collection is emptied, not dropped) and writes the new rows."""
    table = "spark_t_overwrite"
    sc.create_table(pg, SERVER, table, "id bigint, text varchar, vec real[]",
                    primary_key="id", vector_field="vec", dim="8")
    sample_df(spark, range(1, 301), tag="old").write.mode("append").format("jdbc") \
        .options(**sc.pg_jdbc(table)).save()
    assert milvus_count(milvus, table) == 300
    sample_df(spark, range(1001, 1051), tag="new").write.mode("overwrite").format("jdbc") \
        .options(**sc.pg_jdbc(table, truncate="true")).save()
    rows = entities(milvus, table, ["id", "text", "vec"])
    assert [r["id"] for r in rows] == list(range(1001, 1051))
    assert all(r["text"] == f"new-{r['id']}" for r in rows)
    assert all(list(f32(r["vec"])) == list(range(r["id"], r["id"] + 8)) for r in rows)
    assert milvus_count(milvus, table) == 50
    # Without truncate Spark would DROP TABLE: refused on a foreign table, and
    # the collection is left as it was.
    with pytest.raises(Exception, match="DROP FOREIGN TABLE|is not a table"):
        sample_df(spark, range(1, 3)).write.mode("overwrite").format("jdbc") \
            .options(**sc.pg_jdbc(table)).save()
    assert milvus_count(milvus, table) == 50


def fail_first_attempt(rows, at=2900):
    """Rows of a partition; the first attempt of partition 0 fails after `at`
    rows, as a task that died half-way (Spark retries it: local[2,2])."""
    from pyspark import TaskContext
    ctx = TaskContext.get()
    for n, row in enumerate(rows):
        if n == at and ctx.partitionId() == 0 and ctx.attemptNumber() == 0:
            raise RuntimeError("simulated task failure")
        yield row


def test_task_retry_with_upsert_leaves_no_duplicates(spark, pg, milvus):
    """A task that fails after Spark's JDBC sink sent two batches is retried.
    The rows the failed attempt sent stay in Milvus (rollback cannot take
    them back): with insert_mode 'insert' they are duplicates, with 'upsert'
    the retry overwrites them; so does a re-run of the whole job."""
    n = 6000
    df = sample_df(spark, range(1, n + 1))
    retried = spark.createDataFrame(df.rdd.mapPartitions(fail_first_attempt), df.schema)
    counts = {}
    for mode in ("insert", "upsert"):
        table = f"spark_t_retry_{mode}"
        sc.create_table(pg, SERVER, table, "id bigint, text varchar, vec real[]",
                        primary_key="id", vector_field="vec", dim="8", insert_mode=mode)
        log = PgLog(pg)
        spark.sparkContext.setLogLevel("FATAL")  # the planned failure is no news
        try:
            retried.write.mode("append").format("jdbc").options(**sc.pg_jdbc(table)).save()
        finally:
            spark.sparkContext.setLogLevel("ERROR")
        warnings = log.wait_for(lambda e: e[1] == "WARNING" and f'collection "{table}"' in e[2]
                                and "not rolled back" in e[2], 1)
        assert warnings, f"the failed attempt sent no rows to {table}: the test proves nothing"
        counts[mode] = milvus_count(milvus, table)
    assert counts["insert"] > n, counts       # the failed attempt's rows, twice
    assert counts["upsert"] == n, counts
    table = "spark_t_retry_upsert"
    df.write.mode("append").format("jdbc").options(**sc.pg_jdbc(table)).save()
    assert milvus_count(milvus, table) == n
    rows = entities(milvus, table, ["id", "vec"])
    assert [r["id"] for r in rows] == list(range(1, n + 1))


def test_large_write_is_batched(spark, pg, milvus):
    """100k x 128-dim rows with Spark's default JDBC options (one INSERT per
    row, executeBatch every 1000, one transaction per partition) arrive in
    Milvus in Insert calls of batch_size rows: the backends' log_stats lines."""
    from pyspark.sql import functions as F
    n, dim = 100_000, 128
    table = "spark_t_large"
    sc.create_table(pg, SERVER, table, "id bigint, vec real[]",
                    primary_key="id", vector_field="vec", dim=str(dim))
    pg.execute(f"SELECT milvus_create_collection('{table}')")
    df = spark.range(0, n, numPartitions=2).select(
        "id", F.array(*[F.rand(seed=k).cast("float") for k in range(dim)]).alias("vec"))
    app = f"spark_t_large_{uuid.uuid4().hex[:8]}"
    log = PgLog(pg)
    t0 = time.monotonic()
    with BackendWatch(app) as watch:
        # Spark's sessionInitStatement is for reads only: the GUC goes in the
        # connection's startup options (pgJDBC's "options" property).
        df.write.mode("append").format("jdbc").options(**sc.pg_jdbc(
            table, options="-c milvus_fdw.log_stats=on", ApplicationName=app)).save()
    seconds = time.monotonic() - t0
    assert milvus_count(milvus, table) == n
    stats = {}
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        stats = last_stats(log, watch.pids)
        if sum(s.get("Insert", (0, 0))[0] for s in stats.values()) >= n // 1000:
            break
        time.sleep(0.2)
    calls = sum(s.get("Insert", (0, 0))[0] for s in stats.values())
    sent = sum(s.get("Insert", (0, 0))[1] for s in stats.values())
    writers = [pid for pid, s in stats.items() if "Insert" in s]
    print(f"\nSpark JDBC write of {n} x {dim}: {seconds:.1f} s ({n / seconds:.0f} rows/s), "
          f"{len(writers)} task sessions, {calls} Insert calls, {sent / 1e6:.1f} MB sent")
    assert len(writers) == 2, stats
    # batch_size 1000: 50 full batches per partition (plus none or one short
    # one at commit), never a call per row or per JDBC executeBatch flush.
    assert n // 1000 <= calls <= n // 1000 + len(writers), stats
    assert sent >= n * dim * 4, stats
