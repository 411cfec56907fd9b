-- The Spark-Milvus connector's quick start, through SQL.
-- Run by scripts/quickstart.sh against the embedded Milvus 2.3 server;
-- psql variables milvus_host and milvus_port come from .run/env.
\set ON_ERROR_STOP on
\pset footer off
CREATE EXTENSION IF NOT EXISTS milvus_fdw;

-- milvus.host / milvus.port  ->  a foreign server
DROP SERVER IF EXISTS quickstart CASCADE;
CREATE SERVER quickstart FOREIGN DATA WRAPPER milvus_fdw
  OPTIONS (host :'milvus_host', port :'milvus_port');

-- milvus.username / milvus.password  ->  a user mapping (this server has no auth)
CREATE USER MAPPING FOR CURRENT_USER SERVER quickstart
  OPTIONS (user 'root', password 'Milvus');

\echo '== milvus_fdw and the Milvus it reached'
SELECT milvus_fdw_version() AS milvus_fdw, milvus_server_version('quickstart') AS milvus;

-- milvus.collection.name / vectorField / vectorDim / primaryKeyField
--   ->  a foreign table; the collection is created by the first INSERT
CREATE FOREIGN TABLE hello_spark_milvus (id bigint, text varchar, vec real[])
  SERVER quickstart
  OPTIONS (collection 'hello_spark_milvus', primary_key 'id',
           vector_field 'vec', dim '8');
SELECT milvus_drop_collection('hello_spark_milvus', missing_ok => true) AS dropped_old_copy;

\echo '== the sample DataFrame, written with mode("append")'
INSERT INTO hello_spark_milvus VALUES
  (1, 'a', '{1.0,2.0,3.0,4.0,5.0,6.0,7.0,8.0}'),
  (2, 'b', '{1.0,2.0,3.0,4.0,5.0,6.0,7.0,8.0}'),
  (3, 'c', '{1.0,2.0,3.0,4.0,5.0,6.0,7.0,8.0}'),
  (4, 'd', '{1.0,2.0,3.0,4.0,5.0,6.0,7.0,8.0}');

\echo '== a collection named hello_spark_milvus with 4 entities'
SELECT * FROM milvus_list_collections('quickstart') AS collection
 WHERE collection = 'hello_spark_milvus';
SELECT count(*) AS entities FROM hello_spark_milvus;
SELECT * FROM hello_spark_milvus ORDER BY id;

\echo '== and, beyond the connector, a vector search from SQL'
EXPLAIN (VERBOSE, COSTS OFF)
SELECT id, text FROM hello_spark_milvus
 ORDER BY vec <=> '{8,7,6,5,4,3,2,1}' LIMIT 2;
SELECT id, text, round((vec <=> '{8,7,6,5,4,3,2,1}')::numeric, 4) AS cosine_distance
  FROM hello_spark_milvus ORDER BY vec <=> '{8,7,6,5,4,3,2,1}' LIMIT 2;
