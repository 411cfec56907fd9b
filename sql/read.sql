--
-- Reading: Query scans paged by primary key, count(*), LIMIT, vector search,
-- IMPORT FOREIGN SCHEMA.  Needs the services of scripts/services.sh.
--
\set VERBOSITY default
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS milvus_fdw;
RESET client_min_messages;
\getenv milvus_port MILVUS_PORT
\getenv lite_port MILVUS_LITE_PORT
CREATE SERVER m23 FOREIGN DATA WRAPPER milvus_fdw
  OPTIONS (host '127.0.0.1', port :'milvus_port');
CREATE SERVER lite FOREIGN DATA WRAPPER milvus_fdw
  OPTIONS (host '127.0.0.1', port :'lite_port');

-- ===== Data: 20000 rows written through the FDW, and a local mirror =====
CREATE FOREIGN TABLE items (id bigint, grp integer, score double precision, label text, vec real[])
  SERVER m23
  OPTIONS (collection 'regress_items', primary_key 'id', vector_field 'vec', dim '4',
           index_type 'FLAT', metric_type 'L2');
SELECT milvus_drop_collection('items', true) IS NOT NULL AS clean;
INSERT INTO items
  SELECT i, i % 10, i * 0.5, 'item ' || i, ARRAY[i, i % 7, i % 11, 1]::real[]
    FROM generate_series(1, 20000) i;
CREATE TABLE items_local AS SELECT * FROM items;
SELECT count(*) FROM items_local;

-- ===== A whole-collection scan reads every row once, page by page =====
SET milvus_fdw.fetch_size = 1000;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id, label FROM items;
SELECT count(id), count(DISTINCT id), sum(id), sum(grp), sum(score), min(label), max(label)
  FROM items;
-- only the needed fields are fetched
EXPLAIN (VERBOSE, COSTS OFF) SELECT sum(grp) FROM items;
-- a cursor reads lazily: FETCH 10 costs one page, not the collection
BEGIN;
DECLARE c CURSOR FOR SELECT id FROM items;
SELECT milvus_fdw_stats_reset();
FETCH 10 FROM c;
SELECT method, calls FROM milvus_fdw_stats();
CLOSE c;
COMMIT;
RESET milvus_fdw.fetch_size;
-- identical to the local copy
SELECT count(*) AS differences FROM
  ((SELECT * FROM items EXCEPT ALL SELECT * FROM items_local)
   UNION ALL
   (SELECT * FROM items_local EXCEPT ALL SELECT * FROM items)) d;

-- pushed filters inside subqueries, UNION ALL and InitPlans
SELECT count(*) FROM (SELECT id FROM items WHERE grp = 3
                      UNION ALL SELECT id FROM items WHERE grp = 4) u;
SELECT count(*) FROM items WHERE grp = (SELECT max(grp) FROM items_local);

-- ===== count(*) is one Milvus call =====
EXPLAIN (VERBOSE, COSTS OFF) SELECT count(*) FROM items;
SELECT milvus_fdw_stats_reset();
SELECT count(*) FROM items;
-- (the planner's row count, GetCollectionStatistics, is read again only
-- when 10 s old, so it may or may not show here: left out)
SELECT method, calls FROM milvus_fdw_stats() WHERE method <> 'GetCollectionStatistics';

-- ===== LIMIT and OFFSET =====
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM items LIMIT 3 OFFSET 5;
SELECT count(*) FROM (SELECT id FROM items LIMIT 3 OFFSET 5) s;
-- SELECT 1 ... LIMIT 1 (a schema probe) is one small call
SELECT milvus_fdw_stats_reset();
SELECT 1 AS one FROM items LIMIT 1;
SELECT method, calls FROM milvus_fdw_stats() WHERE method <> 'GetCollectionStatistics';
-- a LIMIT above a join or an aggregate is not pushed
SET enable_hashjoin = off;
SET enable_mergejoin = off;
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT i.id FROM items i JOIN items_local l USING (id) LIMIT 3;
RESET enable_hashjoin;
RESET enable_mergejoin;
EXPLAIN (VERBOSE, COSTS OFF) SELECT grp, count(*) FROM items GROUP BY grp LIMIT 2;

-- ===== WHERE 1=0 (Spark's schema probe) calls no Milvus at all =====
SELECT milvus_fdw_stats_reset();
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM items WHERE 1 = 0;
SELECT * FROM items WHERE 1 = 0;
SELECT count(*) AS calls FROM milvus_fdw_stats();

-- ===== Vector search: ORDER BY distance LIMIT k =====
-- three collections, one per metric, with distinct distances
CREATE FOREIGN TABLE vl2 (id bigint, vec real[]) SERVER m23
  OPTIONS (collection 'regress_l2', primary_key 'id', vector_field 'vec', dim '4',
           index_type 'FLAT', metric_type 'L2');
CREATE FOREIGN TABLE vip (id bigint, vec real[]) SERVER m23
  OPTIONS (collection 'regress_ip', primary_key 'id', vector_field 'vec', dim '4',
           index_type 'FLAT', metric_type 'IP');
CREATE FOREIGN TABLE vcos (id bigint, vec real[]) SERVER m23
  OPTIONS (collection 'regress_cos', primary_key 'id', vector_field 'vec', dim '4',
           index_type 'FLAT', metric_type 'COSINE');
SELECT milvus_drop_collection(t, true) IS NOT NULL AS clean
  FROM unnest(ARRAY['vl2', 'vip', 'vcos']::regclass[]) t;
INSERT INTO vl2 SELECT i, ARRAY[i, 0, 0, 0]::real[] FROM generate_series(1, 100) i;
INSERT INTO vip SELECT i, ARRAY[i, 1, 0, 0]::real[] FROM generate_series(1, 100) i;
INSERT INTO vcos SELECT i, ARRAY[1, i / 100.0, 0, 0]::real[] FROM generate_series(1, 100) i;

-- L2: <-> is Euclidean distance
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT id, vec <-> '{10.3,0,0,0}' AS distance FROM vl2 ORDER BY vec <-> '{10.3,0,0,0}' LIMIT 4;
SELECT id, round((vec <-> '{10.3,0,0,0}')::numeric, 4) AS distance
  FROM vl2 ORDER BY vec <-> '{10.3,0,0,0}' LIMIT 4;
-- IP: <#> is the negative inner product, smallest first
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT id FROM vip ORDER BY vec <#> '{1,0,0,0}' LIMIT 3;
SELECT id, vec <#> '{1,0,0,0}' AS neg_ip FROM vip ORDER BY vec <#> '{1,0,0,0}' LIMIT 3;
-- COSINE: <=> is 1 - cosine similarity
SELECT id, round((vec <=> '{1,0,0,0}')::numeric, 6) AS distance
  FROM vcos ORDER BY vec <=> '{1,0,0,0}' LIMIT 3;
-- the distance is Milvus's score, converted; the vector is fetched only
-- when the query selects it, and then the two agree
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT id, vec, vec <=> '{1,0,0,0}' AS d FROM vcos ORDER BY vec <=> '{1,0,0,0}' LIMIT 2;
SELECT id, round((vec <=> '{1,0,0,0}')::numeric, 6) AS remote,
       round(milvus_cosine_distance(vec, '{1,0,0,0}')::numeric, 6) AS local
  FROM vcos ORDER BY vec <=> '{1,0,0,0}' LIMIT 2;
-- an expression over the distance uses the score too
SELECT id, round((2 * (vec <-> '{10.3,0,0,0}'))::numeric, 4) AS twice
  FROM vl2 ORDER BY vec <-> '{10.3,0,0,0}' LIMIT 2;
-- OFFSET goes to Milvus too
SELECT id FROM vl2 ORDER BY vec <-> '{10.3,0,0,0}' LIMIT 2 OFFSET 2;
-- a prepared statement with the vector as a parameter
PREPARE knn(real[], bigint) AS
  SELECT id FROM vl2 ORDER BY vec <-> $1 LIMIT $2;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE knn('{50,0,0,0}', 3);
EXECUTE knn('{50,0,0,0}', 3);
DEALLOCATE knn;
-- search parameters come from the table's option, else the GUC
ALTER FOREIGN TABLE vl2 OPTIONS (ADD search_params '{"nprobe": 8}');
SELECT id FROM vl2 ORDER BY vec <-> '{50,0,0,0}' LIMIT 1;
ALTER FOREIGN TABLE vl2 OPTIONS (DROP search_params);
SET milvus_fdw.search_params = '{"nprobe": 4}';
SELECT id FROM vl2 ORDER BY vec <-> '{50,0,0,0}' LIMIT 1;
RESET milvus_fdw.search_params;
-- the same answers as a local sort
SELECT count(*) AS differences FROM (
  (SELECT id FROM vl2 ORDER BY vec <-> '{33.3,0,0,0}' LIMIT 10)
  EXCEPT
  (SELECT i FROM generate_series(1, 100) i ORDER BY abs(i - 33.3) LIMIT 10)) d;

-- what is not pushed: an operator that does not match the index metric,
-- a descending order, no LIMIT, a volatile filter
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM vl2 ORDER BY vec <=> '{1,0,0,0}' LIMIT 3;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM vl2 ORDER BY vec <-> '{1,0,0,0}' DESC LIMIT 3;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM vl2 ORDER BY vec <-> '{1,0,0,0}';
EXPLAIN (VERBOSE, COSTS OFF)
  SELECT id FROM vl2 WHERE random() < 2 ORDER BY vec <-> '{1,0,0,0}' LIMIT 3;
-- a query vector of the wrong length
SELECT id FROM vl2 ORDER BY vec <-> '{1,0,0}' LIMIT 3;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- the distance operators also work on local arrays
SELECT '{3,4}'::real[] <-> '{0,0}'::real[] AS l2,
       '{1,2}'::real[] <#> '{3,4}'::real[] AS neg_ip,
       '{1,0}'::real[] <=> '{0,1}'::real[] AS cosine;
SELECT '{1,2}'::real[] <-> '{1,2,3}'::real[];
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- ===== Milvus Lite 3.x: the same reads =====
CREATE FOREIGN TABLE lite_items (id bigint, grp integer, label text, vec real[]) SERVER lite
  OPTIONS (collection 'regress_items', primary_key 'id', vector_field 'vec', dim '4',
           metric_type 'L2');
SELECT milvus_drop_collection('lite_items', true) IS NOT NULL AS clean;
INSERT INTO lite_items
  SELECT i, i % 10, 'item ' || i, ARRAY[i, i % 7, i % 11, 1]::real[]
    FROM generate_series(1, 3000) i;
-- Milvus Lite pages by offset, in pages of 8 x fetch_size rows
SET milvus_fdw.fetch_size = 100;
SELECT count(id), count(DISTINCT id), sum(id), sum(grp) FROM lite_items;
RESET milvus_fdw.fetch_size;
SELECT count(*) FROM lite_items;
SELECT id FROM lite_items ORDER BY vec <-> '{10,3,10,1}' LIMIT 1;

-- ===== IMPORT FOREIGN SCHEMA =====
CREATE SCHEMA imported;
IMPORT FOREIGN SCHEMA "default" LIMIT TO (regress_items, regress_cos)
  FROM SERVER m23 INTO imported;
\d imported.regress_items
\d imported.regress_cos
SELECT count(*) FROM imported.regress_items;
SELECT id FROM imported.regress_cos ORDER BY vec <=> '{1,0,0,0}' LIMIT 1;
IMPORT FOREIGN SCHEMA "elsewhere" FROM SERVER m23 INTO imported;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SET client_min_messages = warning;
DROP SCHEMA imported CASCADE;
RESET client_min_messages;

DROP TABLE items_local;
DROP SERVER m23, lite CASCADE;
