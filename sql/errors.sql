--
-- When the collection under a foreign table changes: dropped between
-- statements or in the middle of a cursor, re-created with another schema,
-- or read into columns of the wrong type.  Each is a clear ERROR (SQLSTATE
-- shown), never a crash or wrong rows.
--
\set VERBOSITY default
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS milvus_fdw;
RESET client_min_messages;
\getenv milvus_port MILVUS_PORT
CREATE SERVER m23_err FOREIGN DATA WRAPPER milvus_fdw
  OPTIONS (host '127.0.0.1', port :'milvus_port');

CREATE FOREIGN TABLE err_items (id bigint, label text, vec real[]) SERVER m23_err
  OPTIONS (collection 'regress_err', primary_key 'id', vector_field 'vec', dim '2');
SELECT milvus_drop_collection('err_items', true) IS NOT NULL AS clean;
INSERT INTO err_items SELECT i, 'row ' || i, ARRAY[i, 1]::real[] FROM generate_series(1, 50) i;

-- ===== The collection dropped between statements =====
SELECT milvus_drop_collection('err_items');
SELECT * FROM err_items;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- and in the middle of a cursor (pages of 10 rows)
INSERT INTO err_items SELECT i, 'row ' || i, ARRAY[i, 1]::real[] FROM generate_series(1, 50) i;
SET milvus_fdw.fetch_size = 10;
BEGIN;
DECLARE c CURSOR FOR SELECT id FROM err_items;
FETCH 5 FROM c;
SELECT milvus_drop_collection('err_items');
\set VERBOSITY terse
FETCH 20 FROM c;
\set VERBOSITY default
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ROLLBACK;
RESET milvus_fdw.fetch_size;

-- ===== The collection re-created with another schema =====
-- label is now an Int64 and vec has 3 dimensions
CREATE FOREIGN TABLE err_items_v2 (id bigint, label bigint, vec real[]) SERVER m23_err
  OPTIONS (collection 'regress_err', primary_key 'id', vector_field 'vec', dim '3');
INSERT INTO err_items_v2 VALUES (1, 42, '{1,2,3}');
-- integers read into a text column are refused, not reinterpreted
SELECT label FROM err_items;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- writes through the old definition are checked against the new schema
INSERT INTO err_items VALUES (2, 'two', '{1,1}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- a column whose field is gone reads as NULL and is never pushed down
ALTER FOREIGN TABLE err_items ADD COLUMN gone text;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM err_items WHERE gone = 'x';
SELECT id, gone FROM err_items;

-- ===== Columns of a type the field cannot become =====
CREATE FOREIGN TABLE err_types (id bigint, label integer, vec text) SERVER m23_err
  OPTIONS (collection 'regress_err');
SELECT vec FROM err_types;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT id::int FROM err_types;

-- ===== A search whose vector does not fit =====
SELECT id FROM err_items_v2 ORDER BY vec <=> '{1,2}' LIMIT 1;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT id FROM err_items_v2 ORDER BY vec <=> '{1,NULL,3}' LIMIT 1;
\echo SQLSTATE :LAST_ERROR_SQLSTATE

SELECT milvus_drop_collection('err_items_v2');
-- a table whose collection does not exist
SELECT * FROM err_items;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO err_types VALUES (1, 1, 'x');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DROP SERVER m23_err CASCADE;
