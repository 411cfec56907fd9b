"""The Spark-Milvus connector's quick start, through PostgreSQL and milvus_fdw.

The connector writes its sample DataFrame with format("milvus"); here Spark's
own JDBC sink writes it into a milvus_fdw foreign table, and milvus_fdw creates
the collection on the first INSERT, as the connector does.

    connector option                      milvus_fdw (set up once, in SQL)
    milvus.host, milvus.port              CREATE SERVER ... OPTIONS (host, port)
    milvus.username, milvus.password      CREATE USER MAPPING ... OPTIONS (user, password)
    milvus.token                          CREATE USER MAPPING ... OPTIONS (token)
    milvus.collection.name                foreign table option collection
    milvus.collection.primaryKeyField     foreign table option primary_key
    milvus.collection.vectorField         foreign table option vector_field
    milvus.collection.vectorDim           foreign table option dim
    milvus.collection.autoID              foreign table option auto_id
    .format("milvus").mode("append")      .format("jdbc").mode("append") with
                                          url, driver, user, dbtable = the foreign table

The DataFrame's vec is array<double> as in the connector's code; Spark sends it
as float8[], which PostgreSQL casts to the table's real[] (Milvus FloatVector).

Run:  .run/venv/bin/python examples/spark_quickstart.py
(settings from the environment or .run/env: see spark_common.py)
"""
import spark_common as sc

SERVER = "spark_milvus"
TABLE = "spark_hello_milvus"        # the connector's hello_spark_milvus
COLUMNS = ["id", "text", "vec"]
DATA = [(1, "a", [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]),
        (2, "b", [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]),
        (3, "c", [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]),
        (4, "d", [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0])]


def setup(conn, server=SERVER, table=TABLE, collection=None):
    """The connector's milvus.* options as a server, a user mapping and a foreign
    table; an old copy of the collection is dropped."""
    sc.create_server(conn, server)
    sc.create_table(conn, server, table, "id bigint, text varchar, vec real[]",
                    collection=collection or table,   # milvus.collection.name
                    primary_key="id",                 # milvus.collection.primaryKeyField
                    vector_field="vec",               # milvus.collection.vectorField
                    dim="8",                          # milvus.collection.vectorDim
                    # Reads see every row already written, also by other
                    # sessions (Spark's tasks): the check below reads them.
                    consistency_level="Strong")


def write_sample(spark, table=TABLE):
    """The connector's demo, with format("jdbc") instead of format("milvus")."""
    sample_df = spark.sparkContext.parallelize(DATA).toDF(COLUMNS)
    sample_df.write \
        .mode("append") \
        .format("jdbc") \
        .options(**sc.pg_jdbc(table)) \
        .save()
    return sample_df


def main():
    conn = sc.pg_connect()
    setup(conn)
    spark = sc.spark_session("spark_quickstart")
    try:
        write_sample(spark)
    finally:
        spark.stop()
    # What the connector's page says to expect: a collection with 4 entities.
    assert sc.collection_exists(conn, SERVER, TABLE), f"no collection {TABLE}"
    rows = conn.execute(f"SELECT id, text, vec FROM {TABLE} ORDER BY id").fetchall()
    assert [(r[0], r[1]) for r in rows] == [(1, "a"), (2, "b"), (3, "c"), (4, "d")], rows
    assert all(list(r[2]) == DATA[0][2] for r in rows), rows
    print(f"collection {TABLE} in Milvus {sc.setting('MILVUS_HOST', 'localhost')}:"
          f"{sc.setting('MILVUS_PORT', '19530')}: {len(rows)} entities")
    for r in rows:
        print(f"  {r[0]} {r[1]} {list(r[2])}")
    print("OK")


if __name__ == "__main__":
    main()
