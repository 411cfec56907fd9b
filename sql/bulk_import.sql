--
-- Bulk import: with insert_method 'import' the rows of INSERT and COPY are
-- written as files into Milvus's own storage (here the MinIO of the Milvus 2.3
-- of scripts/services.sh) and loaded by Milvus's Import at commit;
-- milvus_bulk_import() imports files already there.
--
\set VERBOSITY default
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS milvus_fdw;
RESET client_min_messages;
\getenv s3_port MILVUS_S3_PORT
\getenv minio MINIO_ENDPOINT
\getenv bucket MINIO_BUCKET
\getenv root MINIO_ROOT_PATH
\getenv access_key MINIO_ACCESS_KEY
\getenv secret_key MINIO_SECRET_KEY
\getenv milvus_port MILVUS_PORT
\getenv lite_port MILVUS_LITE_PORT
CREATE SERVER m23_s3 FOREIGN DATA WRAPPER milvus_fdw
  OPTIONS (host '127.0.0.1', port :'s3_port',
           storage_endpoint :'minio', bucket :'bucket', root_path :'root');
CREATE USER MAPPING FOR CURRENT_USER SERVER m23_s3
  OPTIONS (storage_user :'access_key', storage_password :'secret_key');

-- ===== insert_method 'import': the rows reach Milvus at commit, as files =====
CREATE FOREIGN TABLE imported (id bigint, label text, vec real[])
  SERVER m23_s3
  OPTIONS (collection 'regress_import', primary_key 'id', vector_field 'vec', dim '2',
           insert_method 'import');
SELECT milvus_drop_collection('imported', true) IS NOT NULL AS clean;
SELECT milvus_create_collection('imported');
SELECT milvus_fdw_stats_reset();
BEGIN;
INSERT INTO imported SELECT i, 'row ' || i, ARRAY[i, -i]::real[]
  FROM generate_series(1, 5) i;
-- nothing has gone to Milvus yet: the rows wait in temporary files
SELECT method, calls FROM milvus_fdw_stats() WHERE method IN ('Insert', 'Import');
COMMIT;
-- one Import call at commit, none of Insert
SELECT method, calls FROM milvus_fdw_stats() WHERE method IN ('Insert', 'Import');
-- text makes it a JSON rows file (numbers and vectors only: NumPy files)
SELECT collection, state, progress, rows, reason,
       regexp_replace(files, '/[0-9TZ]+-[0-9]+-[0-9]+/', '/<time>-<pid>-<n>/') AS files
  FROM milvus_import_progress();
-- after success the files are gone
SELECT count(*) FROM milvus_storage_list('m23_s3', 'milvus_fdw_import/regress_import/');
-- imported rows are visible once Milvus has loaded their segments (seconds)
DO $$
BEGIN
  FOR i IN 1..360 LOOP
    EXIT WHEN (SELECT count(*) FROM imported) = 5;
    PERFORM pg_sleep(0.5);
  END LOOP;
END $$;
SELECT * FROM imported ORDER BY id;

-- ===== The GUC chooses per statement; a ROLLBACK imports nothing =====
SET milvus_fdw.insert_method = 'insert';
INSERT INTO imported VALUES (6, 'inserted', '{6,-6}');
SET milvus_fdw.insert_method = 'import';
BEGIN;
INSERT INTO imported VALUES (7, 'rolled back', '{7,-7}');
ROLLBACK;
RESET milvus_fdw.insert_method;
SELECT method, calls FROM milvus_fdw_stats() WHERE method IN ('Insert', 'Import');
SELECT id, label FROM imported WHERE id > 5 ORDER BY id;

-- ===== milvus_bulk_import(): files already in Milvus's storage =====
SELECT milvus_storage_write('m23_s3', 'regress_import/more.json',
  convert_to('{"rows": [{"id": 8, "label": "from a file", "vec": [8, -8]},
                        {"id": 9, "label": "from a file", "vec": [9, -9]}]}', 'UTF8'));
SELECT milvus_bulk_import('imported', ARRAY['regress_import/more.json']);
-- the files are the caller's: they stay
SELECT key FROM milvus_storage_list('m23_s3', 'regress_import/');
SELECT milvus_storage_delete('m23_s3', 'regress_import/more.json');

-- ===== A failing import: Milvus's reason, and none of its rows =====
-- (the second row has 3 dimensions; task ids differ from run to run)
SELECT milvus_storage_write('m23_s3', 'regress_import/bad.json',
  convert_to('{"rows": [{"id": 10, "label": "good", "vec": [10, -10]},
                        {"id": 11, "label": "bad", "vec": [11, -11, 0]}]}', 'UTF8'));
DO $$
DECLARE
  msg text;
  detail text;
BEGIN
  PERFORM milvus_bulk_import('imported', ARRAY['regress_import/bad.json']);
EXCEPTION WHEN fdw_error THEN
  GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL;
  RAISE NOTICE E'ERROR: %\nDETAIL: %', msg, regexp_replace(detail, 'task [0-9]+', 'task N');
END $$;
SELECT state, reason FROM milvus_import_progress() WHERE state <> 'Completed';
SELECT count(*) FROM imported WHERE id IN (10, 11);
SELECT milvus_storage_delete('m23_s3', 'regress_import/bad.json');

-- ===== Refused =====
-- NumPy files (one per field) make one import, JSON files one each: not mixed
SELECT milvus_bulk_import('imported', ARRAY['a/id.npy', 'a/rows.json']);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- keys stay inside the storage root
SELECT milvus_bulk_import('imported', ARRAY['../secret.json']);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- an import cannot upsert
ALTER FOREIGN TABLE imported OPTIONS (ADD insert_mode 'upsert');
INSERT INTO imported VALUES (12, 'upsert', '{12,-12}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ALTER FOREIGN TABLE imported OPTIONS (DROP insert_mode);
-- Milvus imports from its own storage only
CREATE SERVER m23_nofiles FOREIGN DATA WRAPPER milvus_fdw
  OPTIONS (host '127.0.0.1', port :'milvus_port');
CREATE FOREIGN TABLE nofiles (id bigint, vec real[]) SERVER m23_nofiles
  OPTIONS (collection 'regress_import_nofiles', primary_key 'id', vector_field 'vec', dim '2');
SELECT milvus_bulk_import('nofiles', ARRAY['rows.json']);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- Milvus Lite has no Import
CREATE SERVER lite_import FOREIGN DATA WRAPPER milvus_fdw
  OPTIONS (host '127.0.0.1', port :'lite_port');
CREATE FOREIGN TABLE lite_imported (id bigint, vec real[]) SERVER lite_import
  OPTIONS (collection 'regress_lite_import', primary_key 'id', vector_field 'vec', dim '2');
SELECT milvus_bulk_import('lite_imported', ARRAY['rows.json']);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- not a foreign table
CREATE TABLE heap_table (id bigint);
SELECT milvus_bulk_import('heap_table', ARRAY['rows.json']);
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- ===== Clean up =====
SELECT milvus_drop_collection('imported');
DROP TABLE heap_table;
SET client_min_messages = warning;
DROP SERVER m23_s3, m23_nofiles, lite_import CASCADE;
RESET client_min_messages;
