"""The Spark-Milvus connector's "Milvus -> Transform -> Milvus" demo, through
PostgreSQL and milvus_fdw.

1. A collection (pk Int64, random Double, embeddings FloatVector dim 8) is read
   with Spark's JDBC source from a foreign table, in parallel partitions of
   primary-key ranges (each range is sent to Milvus as its filter).
2. PCA reduces the embeddings to 4 dimensions.
3. Spark's JDBC sink writes (pk, random, embeddings) into a second foreign
   table, whose collection (dim 4) milvus_fdw creates on the first INSERT.

    connector                                 milvus_fdw (set up once, in SQL)
    MILVUS_HOST, MILVUS_PORT                  CREATE SERVER ... OPTIONS (host, port)
    MILVUS_COLLECTION_NAME (source, target)   a foreign table for each: option collection
    MILVUS_BUCKET, MILVUS_ROOTPATH,           server options bucket, root_path,
    MILVUS_FS, MILVUS_STORAGE_ENDPOINT        storage_endpoint (or storage_path): only
                                              for binlog scans (scan_method) and bulk import
    MILVUS_STORAGE_USER / _PASSWORD           user mapping options storage_user / storage_password
    MilvusUtils.readMilvusCollection          spark.read.format("jdbc") of the source table
                                              (partitionColumn pk, numPartitions, bounds)
    write parquet + bulkInsertFromSpark       .write.format("jdbc").mode("append") into the
                                              target table (spark_bulk_import.py: the import path)

Run:  .run/venv/bin/python examples/spark_milvus_transform_milvus.py
(settings from the environment or .run/env: see spark_common.py)
"""
import numpy as np

import spark_common as sc

SERVER = "spark_milvus"
SOURCE = "spark_transform_source"    # the connector's hello_spark_milvus1
TARGET = "spark_transform_target"    # the connector's hello_spark_milvus2
SOURCE_DIM = 8
DIM = 4
ROWS = 1000


def setup(conn, server=SERVER, source=SOURCE, target=TARGET, rows=ROWS):
    """The source collection with `rows` random entities (written in SQL) and an
    empty target table (its collection is created by Spark's first INSERT)."""
    sc.create_server(conn, server)
    # Strong: Spark's sessions read the rows this session has just written, and
    # the check reads what Spark's sessions wrote (the collection's default,
    # Bounded, may not show them yet).
    sc.create_table(conn, server, source, "pk bigint, random double precision, embeddings real[]",
                    collection=source, primary_key="pk", vector_field="embeddings",
                    dim=str(SOURCE_DIM), consistency_level="Strong")
    sc.create_table(conn, server, target, "pk bigint, random double precision, embeddings real[]",
                    collection=target, primary_key="pk", vector_field="embeddings", dim=str(DIM),
                    consistency_level="Strong")
    # Vectors with unequal spread per direction, so that PCA has something to find.
    conn.execute("SELECT setseed(0.42)")
    conn.execute(f"""
        INSERT INTO {source}
        SELECT g, random(),
               ARRAY(SELECT ((random() - 0.5) * (9 - d) + g * 0)::real
                       FROM generate_series(1, {SOURCE_DIM}) d)
          FROM generate_series(1, {rows}) g""")


def read_source(spark, source=SOURCE, rows=ROWS):
    """MilvusUtils.readMilvusCollection: the whole collection, 4 partitions by pk."""
    return spark.read.format("jdbc").options(**sc.pg_jdbc(
        source, partitionColumn="pk", lowerBound=1, upperBound=rows + 1,
        numPartitions=4)).load()


def transform(collection_df):
    """PCA of the embeddings to DIM dimensions, as the demo does."""
    from pyspark.ml.feature import PCA
    from pyspark.ml.functions import array_to_vector, vector_to_array

    df = collection_df.withColumn("embeddings_vec", array_to_vector("embeddings")) \
                      .drop("embeddings")
    pca = PCA(inputCol="embeddings_vec", outputCol="pca_vec", k=DIM).fit(df)
    return pca.transform(df) \
              .withColumn("embeddings", vector_to_array("pca_vec", "float32")) \
              .select("pk", "random", "embeddings")


def write_target(pca_df, target=TARGET):
    pca_df.write.mode("append").format("jdbc").options(**sc.pg_jdbc(target)).save()


def run(spark, conn, server=SERVER, source=SOURCE, target=TARGET, rows=ROWS):
    """The whole demo; returns the rows Spark computed, {pk: (random, [floats])}."""
    setup(conn, server, source, target, rows)
    pca_df = transform(read_source(spark, source, rows)).cache()
    write_target(pca_df, target)
    result = {r["pk"]: (r["random"], list(r["embeddings"])) for r in pca_df.collect()}
    pca_df.unpersist()
    return result


def check_pca(source_vectors, target_vectors):
    """Spark's PCA projects the (uncentred) vectors on the covariance matrix's
    top DIM eigenvectors: the projections' variances are its top eigenvalues."""
    eigenvalues = np.sort(np.linalg.eigvalsh(np.cov(np.asarray(source_vectors, float).T)))[::-1]
    variances = np.sort(np.var(np.asarray(target_vectors, float), axis=0, ddof=1))[::-1]
    assert np.allclose(variances, eigenvalues[:DIM], rtol=1e-3), (variances, eigenvalues)
    return variances


def main():
    conn = sc.pg_connect()
    spark = sc.spark_session("spark_milvus_transform_milvus")
    try:
        computed = run(spark, conn)
    finally:
        spark.stop()
    assert sc.collection_exists(conn, SERVER, TARGET), f"no collection {TARGET}"
    source = conn.execute(f"SELECT pk, embeddings FROM {SOURCE} ORDER BY pk").fetchall()
    target = conn.execute(f"SELECT pk, random, embeddings FROM {TARGET} ORDER BY pk").fetchall()
    assert [r[0] for r in target] == [r[0] for r in source] == list(range(1, ROWS + 1))
    for pk, random, embeddings in target:
        assert random == computed[pk][0], pk
        assert np.array_equal(np.float32(embeddings), np.float32(computed[pk][1])), pk
    variances = check_pca([r[1] for r in source], [r[2] for r in target])
    print(f"{SOURCE} ({len(source)} x {SOURCE_DIM}) -> PCA -> {TARGET} ({len(target)} x {DIM})")
    print("  variance of each PCA dimension:", ", ".join(f"{v:.3f}" for v in variances))
    for pk, random, embeddings in target[:3]:
        print(f"  {pk}: random {random:.4f}, embeddings {[round(x, 4) for x in embeddings]}")
    print("OK")


if __name__ == "__main__":
    main()
