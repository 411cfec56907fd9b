"""Spark through milvus_fdw: Spark's JDBC sink and source against plain SQL.

The same n x 128-dim numpy vectors (100k; --quick: 20k) are loaded by COPY into
a local heap table spark_bench_src (untimed), then, on the Milvus 2.3 of
.run/env, into fresh collections (created before the clock starts):

  write   ours      Spark's JDBC sink with default options (one prepared INSERT
                    per row, executeBatch every 1000 rows, a transaction per
                    partition) from a cached DataFrame of the same rows (read
                    from spark_bench_src by JDBC, untimed), local[2]: 2 tasks
          baseline  INSERT INTO <foreign table> SELECT * FROM spark_bench_src
          also      the same Spark write into a local heap table (what Spark's
                    JDBC sink costs without Milvus), and into the foreign
                    table with pgJDBC's reWriteBatchedInserts=true
  read    ours      Spark's JDBC source partitioned by id (numPartitions 4,
                    each task's range pushed to Milvus), every row and its
                    vector fetched into Spark (sum of id and vec[0])
          baseline  one SQL session reading the whole foreign table into
                    the client (psycopg, SELECT id, vec)
          also      SELECT sum(id), sum(vec[1]) in the server: the scan alone

Each side runs --repeat times, alternating which goes first, after Milvus has
gone quiet; medians are reported.  The machine has 2 cores shared by Spark,
PostgreSQL and Milvus: these are end-to-end figures for that machine.

Run: $VENV/bin/python bench/spark.py [--quick] [--repeat N]
"""
import argparse
import os
import statistics
import sys
import time

import common

sys.path.insert(0, os.path.join(common.ROOT, "examples"))
import spark_common as sc  # noqa: E402

SERVER = "spark_bench"
DIM = 128


def fresh_table(conn, table):
    sc.create_table(conn, SERVER, table, "id bigint, vec real[]",
                    primary_key="id", vector_field="vec", dim=str(DIM))
    conn.execute(f"SELECT milvus_create_collection('{table}')")


def check_count(client, collection, n):
    res = client.query(collection, filter="", output_fields=["count(*)"],
                       consistency_level="Strong")
    if res[0]["count(*)"] != n:
        raise SystemExit(f"collection {collection} holds {res[0]['count(*)']} rows, not {n}")


def write_sql(conn, client, n):
    fresh_table(conn, "spark_bench_sql")
    common.wait_until_quiet()
    t0 = time.perf_counter()
    conn.execute("INSERT INTO spark_bench_sql SELECT id, vec FROM spark_bench_src")
    wall = time.perf_counter() - t0
    check_count(client, "spark_bench_sql", n)
    return wall


def write_spark(conn, client, df, n, **options):
    fresh_table(conn, "spark_bench_spark")
    common.wait_until_quiet()
    t0 = time.perf_counter()
    df.write.mode("append").format("jdbc") \
        .options(**sc.pg_jdbc("spark_bench_spark", **options)).save()
    wall = time.perf_counter() - t0
    check_count(client, "spark_bench_spark", n)
    return wall


def write_spark_heap(conn, df, n):
    conn.execute("DROP TABLE IF EXISTS spark_bench_heap")
    conn.execute("CREATE TABLE spark_bench_heap (id bigint, vec real[])")
    common.wait_until_quiet()
    t0 = time.perf_counter()
    df.write.mode("append").format("jdbc").options(**sc.pg_jdbc("spark_bench_heap")).save()
    wall = time.perf_counter() - t0
    if sc.count(conn, "spark_bench_heap") != n:
        raise SystemExit("spark_bench_heap is short")
    conn.execute("DROP TABLE spark_bench_heap")
    return wall


def read_spark(spark, n):
    from pyspark.sql import functions as F
    common.wait_until_quiet()
    t0 = time.perf_counter()
    df = spark.read.format("jdbc").options(**sc.pg_jdbc(
        "spark_bench_sql", partitionColumn="id", lowerBound=0, upperBound=n,
        numPartitions=4)).load()
    row = df.agg(F.count("*").alias("n"), F.sum("id").alias("ids"),
                 F.sum(F.col("vec")[0]).alias("v")).collect()[0]
    wall = time.perf_counter() - t0
    if row["n"] != n or row["ids"] != n * (n - 1) // 2:
        raise SystemExit(f"Spark read {row['n']} rows, sum(id) {row['ids']}")
    return wall


def read_sql_client(n):
    common.wait_until_quiet()
    conn = sc.pg_connect()
    try:
        t0 = time.perf_counter()
        rows = 0
        with conn.cursor() as cur:
            cur.execute("SELECT id, vec FROM spark_bench_sql")
            while True:
                batch = cur.fetchmany(10000)
                if not batch:
                    break
                rows += len(batch)
        wall = time.perf_counter() - t0
    finally:
        conn.close()
    if rows != n:
        raise SystemExit(f"SQL read {rows} rows")
    return wall


def read_sql_server(conn, n):
    common.wait_until_quiet()
    t0 = time.perf_counter()
    count, ids = conn.execute("SELECT count(id), sum(id) FROM (SELECT id, vec[1] AS v "
                              "FROM spark_bench_sql OFFSET 0) s WHERE v IS NOT NULL").fetchone()
    wall = time.perf_counter() - t0
    if count != n or ids != n * (n - 1) // 2:
        raise SystemExit(f"SQL sum read {count} rows")
    return wall


def alternate(repeat, *sides):
    """Run each side `repeat` times, rotating which goes first; the medians."""
    walls = [[] for _ in sides]
    for rep in range(repeat):
        for k in range(len(sides)):
            i = (k + rep) % len(sides)
            walls[i].append(sides[i]())
    return [statistics.median(w) for w in walls]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="20k rows instead of 100k")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each side (default 3)")
    args = parser.parse_args()
    n = 20_000 if args.quick else 100_000

    print(common.machine_note(), flush=True)
    client = common.milvus_client()
    conn = sc.pg_connect()
    sc.create_server(conn, SERVER)
    spark = sc.spark_session("bench_spark")
    lines = []
    try:
        conn.execute("DROP TABLE IF EXISTS spark_bench_src")
        conn.execute("CREATE TABLE spark_bench_src (id bigint PRIMARY KEY, vec real[])")
        common.copy_vectors(conn, "spark_bench_src", list(range(n)),
                            common.random_vectors(n, DIM, seed=DIM))
        conn.execute("ANALYZE spark_bench_src")
        source = spark.read.format("jdbc").options(**sc.pg_jdbc(
            "spark_bench_src", partitionColumn="id", lowerBound=0, upperBound=n,
            numPartitions=2)).load().cache()
        assert source.count() == n

        print(f"== write: {n} rows x {DIM} dims, {args.repeat} runs each", flush=True)
        # The first JDBC write of a JVM is slower (JIT): one untimed.
        write_spark(conn, client, source, n)

        def side(label, fn):
            def run():
                wall = fn()
                print(f"  {label:34} {n / wall:6.0f} rows/s ({wall:.2f} s)", flush=True)
                return wall
            return run

        ours, base, heap, rewrite = alternate(
            args.repeat,
            side("ours Spark JDBC sink:", lambda: write_spark(conn, client, source, n)),
            side("baseline INSERT ... SELECT:", lambda: write_sql(conn, client, n)),
            side("Spark JDBC sink, local heap table:", lambda: write_spark_heap(conn, source, n)),
            side("Spark, reWriteBatchedInserts=true:",
                 lambda: write_spark(conn, client, source, n, reWriteBatchedInserts="true")))
        lines.append(common.ratio_line("spark_jdbc_write", n / ours, n / base, "rows/s"))
        lines.append(common.ratio_line("spark_jdbc_write_vs_heap", n / ours, n / heap, "rows/s"))
        lines.append(common.ratio_line("spark_jdbc_write_rewrite", n / rewrite, n / base,
                                       "rows/s"))
        source.unpersist()

        print(f"== read: {n} rows x {DIM} dims from spark_bench_sql, {args.repeat} runs each",
              flush=True)
        read_spark(spark, n)  # untimed, as for writes

        ours, base = alternate(
            args.repeat,
            side("ours Spark JDBC, 4 partitions:", lambda: read_spark(spark, n)),
            side("baseline SQL to the client:", lambda: read_sql_client(n)))
        lines.append(common.ratio_line("spark_jdbc_read", n / ours, n / base, "rows/s"))
        server = statistics.median(read_sql_server(conn, n) for _ in range(args.repeat))
        print(f"  {'SQL scan in the server:':34} {n / server:6.0f} rows/s ({server:.2f} s)")
        lines.append(common.ratio_line("spark_jdbc_read_vs_scan", n / ours, n / server, "rows/s"))
    finally:
        spark.stop()
        for table in ("spark_bench_sql", "spark_bench_spark"):
            if client.has_collection(table):
                client.drop_collection(table)
        conn.execute("DROP TABLE IF EXISTS spark_bench_src, spark_bench_heap")
        conn.execute(f"DROP SERVER IF EXISTS {SERVER} CASCADE")
        conn.close()
        client.close()

    print()
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
