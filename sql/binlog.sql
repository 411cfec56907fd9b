--
-- Binlog export: whole-collection scans that read Milvus's own files from
-- its storage (here the local storage of the Milvus 2.3 of
-- scripts/services.sh), with deletes and upserts applied by timestamp.
--
\set VERBOSITY default
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS milvus_fdw;
RESET client_min_messages;
\getenv milvus_port MILVUS_PORT
\getenv data_dir MILVUS_DATA_DIR
\getenv lite_port MILVUS_LITE_PORT
CREATE SERVER m23_files FOREIGN DATA WRAPPER milvus_fdw
  OPTIONS (host '127.0.0.1', port :'milvus_port', storage_path :'data_dir');

-- ===== Data: inserts, a delete, an upsert, a deleted key inserted again =====
CREATE FOREIGN TABLE files (id bigint, label text, tags text[], meta jsonb, vec real[])
  SERVER m23_files
  OPTIONS (collection 'regress_binlog', primary_key 'id', vector_field 'vec', dim '2');
SELECT milvus_drop_collection('files', true) IS NOT NULL AS clean;
INSERT INTO files SELECT i, 'row ' || i, ARRAY['t' || i, 'x'], jsonb_build_object('i', i),
                         ARRAY[i, -i]::real[]
  FROM generate_series(1, 8) i;
DELETE FROM files WHERE id IN (2, 3);
UPDATE files SET label = 'upserted' WHERE id = 4;
INSERT INTO files VALUES (3, 'three again', '{}', '{}', '{0,3}');

-- ===== scan_method 'auto' reads binlogs when the whole collection is wanted =====
-- (and the collection is big enough: milvus_fdw.binlog_min_rows, lowered here)
SET milvus_fdw.binlog_min_rows = 0;
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM files;
SELECT * FROM files ORDER BY id;
-- the Query scan returns the same rows
ALTER FOREIGN TABLE files OPTIONS (ADD scan_method 'query');
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM files;
SELECT * FROM files ORDER BY id;
ALTER FOREIGN TABLE files OPTIONS (SET scan_method 'auto');

-- ===== A WHERE clause Milvus can evaluate makes it a Query =====
EXPLAIN (VERBOSE, COSTS OFF) SELECT id, label FROM files WHERE id > 5;
-- one that stays local does not
EXPLAIN (VERBOSE, COSTS OFF) SELECT id, label FROM files WHERE label ~ 'row [67]';
SELECT id, label FROM files WHERE label ~ 'row [67]' ORDER BY id;

-- ===== scan_method 'binlog' always reads files, filtering here =====
ALTER FOREIGN TABLE files OPTIONS (SET scan_method 'binlog');
EXPLAIN (VERBOSE, COSTS OFF) SELECT id, label FROM files WHERE id > 5;
SELECT id, label FROM files WHERE id > 5 ORDER BY id;
-- count(*), LIMIT and searches still go to Milvus
EXPLAIN (VERBOSE, COSTS OFF) SELECT count(*) FROM files;
SELECT count(*) FROM files;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM files LIMIT 2;

-- ===== Below milvus_fdw.binlog_min_rows, 'auto' queries =====
ALTER FOREIGN TABLE files OPTIONS (SET scan_method 'auto');
RESET milvus_fdw.binlog_min_rows;
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM files;

-- ===== Milvus Lite keeps no binlogs =====
CREATE SERVER lite_files FOREIGN DATA WRAPPER milvus_fdw
  OPTIONS (host '127.0.0.1', port :'lite_port', storage_path '/tmp');
CREATE FOREIGN TABLE lite_files (id bigint, vec real[]) SERVER lite_files
  OPTIONS (collection 'regress_lite_binlog', primary_key 'id', vector_field 'vec', dim '2');
SELECT milvus_drop_collection('lite_files', true) IS NOT NULL AS clean;
INSERT INTO lite_files VALUES (1, '{1,1}');
SET milvus_fdw.binlog_min_rows = 0;
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM lite_files;
SELECT * FROM lite_files;
RESET milvus_fdw.binlog_min_rows;
SELECT milvus_drop_collection('lite_files');

-- ===== Refused =====
-- 'binlog' needs the storage
CREATE SERVER m23_nofiles FOREIGN DATA WRAPPER milvus_fdw
  OPTIONS (host '127.0.0.1', port :'milvus_port');
CREATE FOREIGN TABLE nofiles (id bigint) SERVER m23_nofiles
  OPTIONS (collection 'regress_binlog', scan_method 'binlog');
SELECT * FROM nofiles;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- and cannot read one partition only
CREATE FOREIGN TABLE one_part (id bigint) SERVER m23_files
  OPTIONS (collection 'regress_binlog', partition '_default', scan_method 'binlog');
SELECT * FROM one_part;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- an unknown method
CREATE FOREIGN TABLE bad_method (id bigint) SERVER m23_files
  OPTIONS (collection 'regress_binlog', scan_method 'parquet');
\echo SQLSTATE :LAST_ERROR_SQLSTATE

SELECT milvus_drop_collection('files');
DROP SERVER m23_files, m23_nofiles, lite_files CASCADE;
