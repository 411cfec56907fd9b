"""The Spark-Milvus connector's bulk insert (MilvusUtils.bulkInsertFromSpark),
through PostgreSQL and milvus_fdw's insert_method 'import'.

The connector has Spark write Parquet files into Milvus's bucket and then calls
Milvus's bulk insert on them.  Here Spark's ordinary JDBC sink writes into a
foreign table with insert_method 'import': milvus_fdw spools each Spark task's
rows into files, writes them into Milvus's object storage at the task's
commit and has Milvus Import them, waiting until the import is done (an
Insert call per batch_size rows is what insert_method 'insert' sends).  One
Spark partition = one transaction = one Import.

    connector option                          milvus_fdw (set up once, in SQL)
    milvus.host, milvus.port                  CREATE SERVER ... OPTIONS (host, port)
    milvus.bucket                             server option bucket ('a-bucket')
    milvus.rootpath                           server option root_path ('files')
    milvus.fs, milvus.storage.endpoint        server option storage_endpoint 'host:port' (S3
                                              API; storage_path for a Milvus with local files)
    milvus.storage.useSSL                     server option storage_use_ssl
    milvus.storage.user, .password            user mapping options storage_user, storage_password
    milvus.collection.name / primaryKeyField  foreign table options collection, primary_key,
      / vectorField / vectorDim                 vector_field, dim
    df.write.format("parquet").save(path) +   df.write.format("jdbc").mode("append") into a
    MilvusUtils.bulkInsertFromSpark(...)      table with OPTIONS (insert_method 'import'), or
                                              per job: pgJDBC property
                                              options=-c milvus_fdw.insert_method=import
    files already in the bucket               SELECT milvus_bulk_import('table', ARRAY[keys])

Imported rows become visible once Milvus's query nodes load the new
segments, a few seconds after the import completes; the check below waits.

Run:  .run/venv/bin/python examples/spark_bulk_import.py [rows]
(needs a Milvus whose storage PostgreSQL can reach: MILVUS_STORAGE_ENDPOINT
and friends, or scripts/services.sh's milvus23_s3; see spark_common.py)
"""
import sys
import time

import spark_common as sc

SERVER = "spark_milvus_storage"
TABLE = "spark_bulk_import"
DIM = 128
ROWS = 50_000


def setup(conn, server=SERVER, table=TABLE):
    sc.create_server(conn, server, storage=True)
    sc.create_table(conn, server, table, "id bigint, vec real[]",
                    collection=table, primary_key="id", vector_field="vec", dim=str(DIM),
                    insert_method="import")
    # A second table over the same collection, with Strong reads, for the check.
    conn.execute(f"DROP FOREIGN TABLE IF EXISTS {table}_check")
    conn.execute(f"CREATE FOREIGN TABLE {table}_check (id bigint, vec real[]) SERVER {server} "
                 f"OPTIONS (collection {sc.literal(table)}, consistency_level 'Strong')")


def dataframe(spark, rows=ROWS, partitions=2):
    """rows x DIM random vectors, made in Spark: id, vec array<float>."""
    from pyspark.sql import functions as F
    return spark.range(0, rows, numPartitions=partitions).select(
        "id", F.array(*[F.rand(seed=k).cast("float") for k in range(DIM)]).alias("vec"))


def write(df, table=TABLE):
    df.write.mode("append").format("jdbc").options(**sc.pg_jdbc(table)).save()


def wait_visible(conn, table, rows, timeout=120.0):
    """Seconds until count(*) of the Strong-consistency table sees every row."""
    t0 = time.monotonic()
    while True:
        count = sc.count(conn, f"{table}_check")
        if count == rows:
            return time.monotonic() - t0
        if count > rows or time.monotonic() - t0 > timeout:
            raise SystemExit(f"{table} holds {count} rows, not {rows}")
        time.sleep(1)


def main():
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else ROWS
    conn = sc.pg_connect()
    setup(conn)
    spark = sc.spark_session("spark_bulk_import")
    try:
        df = dataframe(spark, rows).cache()
        expected = df.selectExpr("sum(id)", "sum(vec[0])", "sum(vec[127])").collect()[0]
        t0 = time.monotonic()
        write(df)
        seconds = time.monotonic() - t0
    finally:
        spark.stop()
    visible = wait_visible(conn, TABLE, rows)
    ids, first, last = conn.execute(
        f"SELECT sum(id), sum(vec[1]), sum(vec[{DIM}]) FROM {TABLE}_check").fetchone()
    assert ids == expected[0], (ids, expected)
    assert abs(first - expected[1]) < 1e-3 * rows and abs(last - expected[2]) < 1e-3 * rows
    print(f"{rows} rows x {DIM} dims imported into {TABLE} by Spark's JDBC sink in "
          f"{seconds:.1f} s ({rows / seconds:.0f} rows/s), all visible {visible:.1f} s later")
    print(f"  sum(id) {ids}, sum(vec[1]) {first:.2f}, sum(vec[{DIM}]) {last:.2f}: as Spark's")
    print("OK")


if __name__ == "__main__":
    main()
