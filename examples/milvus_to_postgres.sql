-- Milvus -> PostgreSQL -> Milvus in SQL: a collection copied into an ordinary
-- table, and back into a new collection.
--
-- The Spark-Milvus connector reads a collection into a DataFrame
-- (spark.read.format("milvus") / readMilvusCollection) and writes a DataFrame
-- into a collection (df.write.format("milvus")); users then save the
-- DataFrame wherever they like.  In PostgreSQL the DataFrame is a table:
--
--   CREATE TABLE local AS SELECT * FROM milvus_table;   -- export, or a backup
--   INSERT INTO milvus_table SELECT * FROM local;       -- import, or a restore
--
-- Ten field types travel both ways: Int64 and Int16, Float and Double, Bool,
-- VarChar, JSON, Arrays of Int64 and of VarChar, and the FloatVector.  20000 rows, more than Milvus's 16384-row query window, so the
-- export reads the collection in pages.  At the end the example checks its
-- result: the three copies (collection, table, restored collection) hold the
-- same rows (counts, EXCEPT ALL both ways, an md5 checksum of every row).
--
-- Server: milvus23 from scripts/services.sh; settings from .run/env via \getenv.
-- Run:    source .run/env; psql -X -f examples/milvus_to_postgres.sql
-- test/test_migrations.py runs it and checks both collections with pymilvus.
\set ON_ERROR_STOP on
\pset footer off
\getenv milvus_host MILVUS_HOST
\getenv milvus_port MILVUS_PORT

CREATE EXTENSION IF NOT EXISTS milvus_fdw;

DROP SERVER IF EXISTS mig_pg CASCADE;
CREATE SERVER mig_pg FOREIGN DATA WRAPPER milvus_fdw
  OPTIONS (host :'milvus_host', port :'milvus_port');
CREATE USER MAPPING FOR CURRENT_USER SERVER mig_pg;

-- The collection to export (in real use it exists already: IMPORT FOREIGN
-- SCHEMA writes this definition for you).
CREATE FOREIGN TABLE mig_pg_items (
  id     bigint NOT NULL,
  title  varchar(100) NOT NULL,
  stock  smallint NOT NULL,
  score  real NOT NULL,
  price  double precision NOT NULL,
  active boolean NOT NULL,
  meta   jsonb NOT NULL,
  tags   text[] NOT NULL,
  parts  bigint[] NOT NULL,
  vec    real[] NOT NULL
) SERVER mig_pg
  OPTIONS (collection 'mig_pg_items', primary_key 'id', vector_field 'vec', dim '16',
           batch_size '5000');
SELECT milvus_drop_collection('mig_pg_items', missing_ok => true) AS dropped_old_source;
INSERT INTO mig_pg_items
SELECT i, 'item ' || i || CASE WHEN i % 7 = 0 THEN ' «special» ü' ELSE '' END,
       (i % 500)::smallint, (i % 1000) / 8.0, i * 0.01, i % 3 = 0,
       jsonb_build_object('i', i, 'kind', CASE i % 4 WHEN 0 THEN 'a' WHEN 1 THEN 'b' ELSE 'c' END,
                          'odd', i % 2 = 1),
       ARRAY['t' || i % 10, 'u' || i % 13],
       ARRAY[i, i * 2, -i],
       ARRAY(SELECT round(cos(i * j * 0.11)::numeric, 4)::real FROM generate_series(1, 16) j)
  FROM generate_series(1, 20000) i;

\echo '== export: the collection into an ordinary table'
DROP TABLE IF EXISTS mig_pg_local;
\timing on
CREATE TABLE mig_pg_local AS SELECT * FROM mig_pg_items;
\timing off
ALTER TABLE mig_pg_local ADD PRIMARY KEY (id);
\d mig_pg_local
SELECT * FROM mig_pg_local ORDER BY id LIMIT 2;

\echo '== what Milvus cannot do, the local table can: a GROUP BY on a JSON field'
SELECT meta->>'kind' AS kind, count(*), round(avg(price)::numeric, 2) AS avg_price
  FROM mig_pg_local GROUP BY 1 ORDER BY 1;

\echo '== and back: the table into a new collection, created by the INSERT'
CREATE FOREIGN TABLE mig_pg_restored (
  id     bigint NOT NULL,
  title  varchar(100) NOT NULL,
  stock  smallint NOT NULL,
  score  real NOT NULL,
  price  double precision NOT NULL,
  active boolean NOT NULL,
  meta   jsonb NOT NULL,
  tags   text[] NOT NULL,
  parts  bigint[] NOT NULL,
  vec    real[] NOT NULL
) SERVER mig_pg
  OPTIONS (collection 'mig_pg_restored', primary_key 'id', vector_field 'vec', dim '16',
           batch_size '5000');
SELECT milvus_drop_collection('mig_pg_restored', missing_ok => true) AS dropped_old_copy;
\timing on
INSERT INTO mig_pg_restored SELECT * FROM mig_pg_local;
\timing off

\echo '== check: the collection, the table and the restored collection hold the same rows'
CREATE TEMP TABLE mig_check AS
SELECT 'rows' AS what,
       (SELECT count(*) FROM mig_pg_items)::text AS collection,
       (SELECT count(*) FROM mig_pg_local)::text AS local_table,
       (SELECT count(*) FROM mig_pg_restored)::text AS restored
UNION ALL
SELECT 'collection rows missing from the copy',
       '0',
       (SELECT count(*) FROM (TABLE mig_pg_items EXCEPT ALL TABLE mig_pg_local) d)::text,
       (SELECT count(*) FROM (TABLE mig_pg_items EXCEPT ALL TABLE mig_pg_restored) d)::text
UNION ALL
SELECT 'copy rows not in the collection',
       '0',
       (SELECT count(*) FROM (TABLE mig_pg_local EXCEPT ALL TABLE mig_pg_items) d)::text,
       (SELECT count(*) FROM (TABLE mig_pg_restored EXCEPT ALL TABLE mig_pg_items) d)::text
UNION ALL
SELECT 'md5 of rows',
       (SELECT md5(string_agg(t::text, E'\n' ORDER BY id)) FROM mig_pg_items t),
       (SELECT md5(string_agg(t::text, E'\n' ORDER BY id)) FROM mig_pg_local t),
       (SELECT md5(string_agg(t::text, E'\n' ORDER BY id)) FROM mig_pg_restored t);
SELECT *, collection = local_table AND collection = restored AS ok FROM mig_check;
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM mig_check
              WHERE collection IS DISTINCT FROM local_table OR collection IS DISTINCT FROM restored) THEN
    RAISE EXCEPTION 'round trip check failed: the copies differ';
  END IF;
END
$$;
