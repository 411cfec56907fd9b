-- Milvus -> transform -> Milvus in SQL.
--
-- The Spark-Milvus connector's demo "Milvus -> Transform -> Milvus"
-- (TransformDemo) reads collection hello_spark_milvus1 (pk Int64, random
-- Double, embeddings FloatVector dim 8) from its binlogs in MinIO with
-- MilvusUtils.readMilvusCollection, reduces the vectors to 4 dimensions (PCA)
-- and bulk-inserts the result into a second collection.  The same here, with
-- the transformation written in SQL:
--
--   * read the source from its binlog files in MinIO (scan_method 'binlog',
--     the connector's readMilvusCollection / format("milvusbinlog")),
--   * keep the rows with random < 0.75 (filtering),
--   * keep the first 4 of the 8 dimensions and normalise them to unit length
--     (dropping dimensions, normalising),
--   * write into a new collection with dim 4 on the same server, created by
--     the INSERT,
--   * and copy that collection to another server (Milvus Lite 3.x): a plain
--     Milvus -> Milvus migration between servers of different versions.
--
-- Connector option              ->  here
--   MILVUS_HOST / PORT          ->  server (host, port)
--   MILVUS_FS, STORAGE_ENDPOINT ->  server (storage_endpoint, bucket, root_path)
--   STORAGE_USER / PASSWORD     ->  user mapping (storage_user, storage_password)
--   readMilvusCollection        ->  foreign table option scan_method 'binlog'
--   bulkInsertFromSpark         ->  INSERT ... SELECT (batched Insert requests)
--
-- Servers: milvus23_s3 (a Milvus 2.3 keeping its binlogs in MinIO) and
-- milvus_lite, from scripts/services.sh; settings from .run/env via \getenv.
-- Run:     source .run/env; psql -X -f examples/milvus_to_milvus.sql
-- test/test_migrations.py runs it and checks both targets with pymilvus.
\set ON_ERROR_STOP on
\pset footer off
\getenv milvus_host MILVUS_HOST
\getenv milvus_s3_port MILVUS_S3_PORT
\getenv milvus_lite_port MILVUS_LITE_PORT
\getenv minio_endpoint MINIO_ENDPOINT
\getenv minio_bucket MINIO_BUCKET
\getenv minio_root_path MINIO_ROOT_PATH
\getenv minio_access_key MINIO_ACCESS_KEY
\getenv minio_secret_key MINIO_SECRET_KEY

CREATE EXTENSION IF NOT EXISTS milvus_fdw;

-- The Milvus 2.3 whose files are in MinIO: the connector's source and target.
DROP SERVER IF EXISTS mig_s3 CASCADE;
CREATE SERVER mig_s3 FOREIGN DATA WRAPPER milvus_fdw
  OPTIONS (host :'milvus_host', port :'milvus_s3_port',
           storage_endpoint :'minio_endpoint', bucket :'minio_bucket',
           root_path :'minio_root_path');
CREATE USER MAPPING FOR CURRENT_USER SERVER mig_s3
  OPTIONS (storage_user :'minio_access_key', storage_password :'minio_secret_key');

-- Another server: Milvus Lite 3.x.
DROP SERVER IF EXISTS mig_lite CASCADE;
CREATE SERVER mig_lite FOREIGN DATA WRAPPER milvus_fdw
  OPTIONS (host :'milvus_host', port :'milvus_lite_port');
CREATE USER MAPPING FOR CURRENT_USER SERVER mig_lite;

-- The source collection, the demo's hello_spark_milvus1 (here: filled with
-- 3000 rows that anyone can recompute; in real use it exists already).
CREATE FOREIGN TABLE mig_transform_src (
  pk         bigint NOT NULL,
  random     double precision NOT NULL,
  embeddings real[] NOT NULL
) SERVER mig_s3
  OPTIONS (collection 'mig_transform_src', primary_key 'pk', vector_field 'embeddings',
           dim '8', scan_method 'binlog');
SELECT milvus_drop_collection('mig_transform_src', missing_ok => true) AS dropped_old_source;
INSERT INTO mig_transform_src
SELECT pk, (pk * 7919 % 1000) / 1000.0,
       ARRAY(SELECT round(sin(pk * j * 0.3 + j)::numeric, 5)::real FROM generate_series(1, 8) j)
  FROM generate_series(1, 3000) pk;

-- The targets, dim 4: a new collection on the same server, and the same
-- collection name on Milvus Lite.
CREATE FOREIGN TABLE mig_transform_dst (
  pk         bigint NOT NULL,
  random     double precision NOT NULL,
  embeddings real[] NOT NULL
) SERVER mig_s3
  OPTIONS (collection 'mig_transform_dst', primary_key 'pk', vector_field 'embeddings', dim '4');
CREATE FOREIGN TABLE mig_transform_dst_lite (
  pk         bigint NOT NULL,
  random     double precision NOT NULL,
  embeddings real[] NOT NULL
) SERVER mig_lite
  OPTIONS (collection 'mig_transform_dst', primary_key 'pk', vector_field 'embeddings', dim '4');
SELECT milvus_drop_collection('mig_transform_dst', missing_ok => true) AS dropped_old_target,
       milvus_drop_collection('mig_transform_dst_lite', missing_ok => true) AS dropped_old_lite_target;

-- The transformation: a vector scaled to unit length (norm summed in
-- double precision, each element rounded once to real).
CREATE FUNCTION pg_temp.unit(v real[]) RETURNS real[]
LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT array_agg((x / n.norm)::real ORDER BY i)
    FROM unnest(v) WITH ORDINALITY AS u(x, i),
         (SELECT sqrt(sum(y::float8 * y::float8)) AS norm FROM unnest(v) AS y) AS n
$$;

\echo '== the source: 3000 rows, dim 8, read from its binlogs in MinIO'
EXPLAIN (VERBOSE, COSTS OFF) SELECT count(random) FROM mig_transform_src;
SELECT * FROM mig_transform_src WHERE pk <= 10 ORDER BY pk LIMIT 5;

\echo '== transform: filter, first 4 dimensions, unit length; into a new collection (same server)'
\timing on
INSERT INTO mig_transform_dst
SELECT pk, random, pg_temp.unit(embeddings[1:4])
  FROM mig_transform_src
 WHERE random < 0.75;
\timing off
SELECT * FROM mig_transform_dst WHERE pk <= 10 ORDER BY pk LIMIT 3;

\echo '== copy the new collection to another server (Milvus Lite)'
\timing on
INSERT INTO mig_transform_dst_lite SELECT * FROM mig_transform_dst;
\timing off
SELECT milvus_server_version('mig_s3') AS source_server, milvus_server_version('mig_lite') AS other_server;

\echo '== check: counts and checksums of the expected rows, the target and its copy'
-- Each row as text (real[]'s text form is exact for float32), in key order.
CREATE TEMP TABLE mig_check AS
WITH expected AS (
  SELECT pk, random, pg_temp.unit(embeddings[1:4]) AS embeddings
    FROM mig_transform_src WHERE random < 0.75
)
SELECT 'rows' AS what,
       (SELECT count(*) FROM expected)::text AS expected,
       (SELECT count(*) FROM mig_transform_dst)::text AS same_server,
       (SELECT count(*) FROM mig_transform_dst_lite)::text AS milvus_lite
UNION ALL
SELECT 'dim',
       (SELECT string_agg(DISTINCT array_length(embeddings, 1)::text, ',') FROM expected),
       (SELECT string_agg(DISTINCT array_length(embeddings, 1)::text, ',') FROM mig_transform_dst),
       (SELECT string_agg(DISTINCT array_length(embeddings, 1)::text, ',') FROM mig_transform_dst_lite)
UNION ALL
SELECT 'max | |norm| - 1 | < 1e-6',
       (SELECT (max(abs(sqrt(l2) - 1)) < 1e-6)::text FROM expected,
          LATERAL (SELECT sum(x::float8 * x::float8) AS l2 FROM unnest(embeddings) x) s),
       (SELECT (max(abs(sqrt(l2) - 1)) < 1e-6)::text FROM mig_transform_dst,
          LATERAL (SELECT sum(x::float8 * x::float8) AS l2 FROM unnest(embeddings) x) s),
       (SELECT (max(abs(sqrt(l2) - 1)) < 1e-6)::text FROM mig_transform_dst_lite,
          LATERAL (SELECT sum(x::float8 * x::float8) AS l2 FROM unnest(embeddings) x) s)
UNION ALL
SELECT 'md5 of rows',
       (SELECT md5(string_agg(format('%s|%s|%s', pk, random, embeddings), E'\n' ORDER BY pk)) FROM expected),
       (SELECT md5(string_agg(format('%s|%s|%s', pk, random, embeddings), E'\n' ORDER BY pk)) FROM mig_transform_dst),
       (SELECT md5(string_agg(format('%s|%s|%s', pk, random, embeddings), E'\n' ORDER BY pk)) FROM mig_transform_dst_lite);
SELECT *, expected = same_server AND expected = milvus_lite AS ok FROM mig_check;
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM mig_check
              WHERE expected IS DISTINCT FROM same_server OR expected IS DISTINCT FROM milvus_lite) THEN
    RAISE EXCEPTION 'migration check failed: the targets differ from the transformed source';
  END IF;
END
$$;
