--
-- Writing: INSERT and COPY become batched Milvus Insert calls, buffered for
-- the whole transaction; missing collections are created from the table.
-- Needs the services of scripts/services.sh (.run/env).
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

-- ===== The connector's quick start, in SQL =====
CREATE FOREIGN TABLE hello_spark_milvus (id bigint, text varchar, vec real[])
  SERVER m23
  OPTIONS (collection 'regress_hello', primary_key 'id', vector_field 'vec', dim '8');
SELECT milvus_drop_collection('hello_spark_milvus', missing_ok => true) IS NOT NULL AS clean;
SELECT milvus_fdw_stats_reset();
-- the first INSERT creates the collection, indexes and loads it
INSERT INTO hello_spark_milvus VALUES
  (1, 'a', '{1,2,3,4,5,6,7,8}'), (2, 'b', '{1,2,3,4,5,6,7,8}'),
  (3, 'c', '{1,2,3,4,5,6,7,8}'), (4, 'd', '{1,2,3,4,5,6,7,8}');
SELECT method, calls FROM milvus_fdw_stats()
 WHERE method IN ('CreateCollection', 'CreateIndex', 'LoadCollection', 'Insert')
 ORDER BY method;
-- the collection now exists: creating it again is refused
SELECT milvus_create_collection('hello_spark_milvus');
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- ===== Transaction batching =====
-- one-row statements inside a transaction are buffered, not sent one by one
SELECT milvus_fdw_stats_reset();
BEGIN;
INSERT INTO hello_spark_milvus VALUES (5, 'e', '{1,1,1,1,1,1,1,1}');
INSERT INTO hello_spark_milvus VALUES (6, 'f', '{2,2,2,2,2,2,2,2}');
SELECT count(*) AS insert_calls_before_commit FROM milvus_fdw_stats() WHERE method = 'Insert';
COMMIT;
SELECT calls AS insert_calls_after_commit FROM milvus_fdw_stats() WHERE method = 'Insert';

-- 1000 single-row INSERT statements in one transaction: one Insert call
SELECT milvus_fdw_stats_reset();
BEGIN;
DO $$
BEGIN
  FOR i IN 1001..2000 LOOP
    INSERT INTO hello_spark_milvus VALUES (i, 'row ' || i, array_fill(i::real, ARRAY[8]));
  END LOOP;
END $$;
COMMIT;
SELECT calls AS insert_calls FROM milvus_fdw_stats() WHERE method = 'Insert';

-- batch_size bounds a request: 10 rows at batch_size 4 are 3 calls
ALTER FOREIGN TABLE hello_spark_milvus OPTIONS (ADD batch_size '4');
SELECT milvus_fdw_stats_reset();
INSERT INTO hello_spark_milvus
  SELECT i, 'batch', array_fill(1::real, ARRAY[8]) FROM generate_series(3001, 3010) i;
SELECT calls AS insert_calls FROM milvus_fdw_stats() WHERE method = 'Insert';
ALTER FOREIGN TABLE hello_spark_milvus OPTIONS (DROP batch_size);

-- ROLLBACK before anything was sent sends nothing
SELECT milvus_fdw_stats_reset();
BEGIN;
INSERT INTO hello_spark_milvus VALUES (9001, 'gone', '{1,2,3,4,5,6,7,8}');
ROLLBACK;
SELECT count(*) AS insert_calls FROM milvus_fdw_stats() WHERE method = 'Insert';
SELECT count(*) FROM hello_spark_milvus WHERE id = 9001;

-- a savepoint rolled back forgets its rows; the rest commit
BEGIN;
INSERT INTO hello_spark_milvus VALUES (9002, 'kept', '{1,2,3,4,5,6,7,8}');
SAVEPOINT s1;
INSERT INTO hello_spark_milvus VALUES (9003, 'dropped', '{1,2,3,4,5,6,7,8}');
ROLLBACK TO SAVEPOINT s1;
INSERT INTO hello_spark_milvus VALUES (9004, 'kept', '{1,2,3,4,5,6,7,8}');
COMMIT;
SELECT id, text FROM hello_spark_milvus WHERE id > 9000 ORDER BY id;

-- reads see the transaction's own buffered rows
BEGIN;
INSERT INTO hello_spark_milvus VALUES (9006, 'mine', '{1,2,3,4,5,6,7,8}');
SELECT id, text FROM hello_spark_milvus WHERE id = 9006;
COMMIT;

-- COPY FROM goes through the same buffer
SELECT milvus_fdw_stats_reset();
COPY hello_spark_milvus FROM STDIN;
4001	copied	{1,2,3,4,5,6,7,8}
4002	copied	{8,7,6,5,4,3,2,1}
\.
SELECT calls AS insert_calls FROM milvus_fdw_stats() WHERE method = 'Insert';

-- ===== Upsert mode: re-running a write leaves no duplicates =====
ALTER FOREIGN TABLE hello_spark_milvus OPTIONS (ADD insert_mode 'upsert');
SELECT milvus_fdw_stats_reset();
INSERT INTO hello_spark_milvus VALUES (1, 'a again', '{1,2,3,4,5,6,7,8}');
SELECT method, calls FROM milvus_fdw_stats() WHERE method IN ('Insert', 'Upsert');
SELECT id, text FROM hello_spark_milvus WHERE id = 1;
ALTER FOREIGN TABLE hello_spark_milvus OPTIONS (DROP insert_mode);
SELECT count(*) AS entities FROM hello_spark_milvus;

-- ===== Every type, on an auto-created collection =====
CREATE FOREIGN TABLE typed (
    id bigint,
    flag boolean,
    tiny smallint OPTIONS (type 'Int8'),
    small smallint,
    i32 integer,
    i64 bigint,
    f real,
    d double precision,
    s varchar(4),
    j jsonb,
    arr integer[],
    vec real[])
  SERVER m23
  OPTIONS (collection 'regress_typed', primary_key 'id', vector_field 'vec', dim '4',
           metric_type 'L2');
SELECT milvus_drop_collection('typed', true) IS NOT NULL AS clean;
INSERT INTO typed VALUES
  (1, true, -128, -32768, -2147483648, -9223372036854775808, -1.5, -2.25, 'abcd',
   '{"a": 1, "b": [1, 2], "c": "x\"y"}', '{1,2,3}', '{0.1,0.2,0.3,0.4}'),
  (2, false, 127, 32767, 2147483647, 9223372036854775807, 3.4e38, 1e308, 'ü€',
   '{"list": [1, "two", null]}', '{}', '{1,2,3,4}');
-- a second table over the same collection with wider column types;
-- float8[] and numeric[] vectors are accepted too
CREATE FOREIGN TABLE typed_wide (id bigint, flag boolean, tiny integer, small integer,
    i32 bigint, i64 bigint, f double precision, d numeric, s text, j json,
    arr bigint[], vec numeric[])
  SERVER m23 OPTIONS (collection 'regress_typed');
INSERT INTO typed_wide VALUES
  (3, true, 0, 0, 0, 0, 0.5, 0.125, '', '{}', '{7}', '{1,2,3,4}');
-- every value reads back as written
SELECT * FROM typed ORDER BY id;
SELECT id, f, left(d::text, 12) AS d, arr, vec FROM typed_wide ORDER BY id;

-- ===== Bad input: each is a clear ERROR and sends nothing =====
SELECT milvus_fdw_stats_reset();
INSERT INTO typed (id, vec) VALUES (10, '{1,2,3,4}');                   -- NULL into a field that is not nullable
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO typed_wide VALUES (10, true, 0, 0, 0, 0, 0, 0, 'x', '{}', '{}', '{1,2,3}');            -- wrong dim
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO typed_wide VALUES (10, true, 0, 0, 0, 0, 0, 0, 'x', '{}', '{}', '{1,2,3,4,5}');        -- wrong dim
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO typed_wide VALUES (10, true, 0, 0, 0, 0, 0, 0, 'x', '{}', '{}', '{1,NULL,3,4}');       -- NULL element
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO typed VALUES (10, true, 0, 0, 0, 0, 0, 0, 'x', '{}', '{}', '{1,NaN,3,4}');             -- NaN
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO typed VALUES (10, true, 0, 0, 0, 0, 0, 0, 'x', '{}', '{}', '{{1,2},{3,4}}');           -- nested array
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO typed VALUES (10, true, 0, 0, 0, 0, 0, 0, 'x', '{}', '{}', NULL);                      -- NULL vector
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO typed VALUES (NULL, true, 0, 0, 0, 0, 0, 0, 'x', '{}', '{}', '{1,2,3,4}');             -- missing primary key
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO typed VALUES (10, true, 200, 0, 0, 0, 0, 0, 'x', '{}', '{}', '{1,2,3,4}');             -- Int8 overflow
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO typed_wide VALUES (10, true, -129, 0, 0, 0, 0, 0, 'x', '{}', '{}', '{1,2,3,4}');       -- Int8 underflow
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO typed_wide VALUES (10, true, 0, 40000, 0, 0, 0, 0, 'x', '{}', '{}', '{1,2,3,4}');      -- Int16 overflow
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO typed_wide VALUES (10, true, 0, 0, 3000000000, 0, 0, 0, 'x', '{}', '{}', '{1,2,3,4}'); -- Int32 overflow
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO typed VALUES (10, true, 0, 0, 0, 0, 'NaN', 0, 'x', '{}', '{}', '{1,2,3,4}');           -- NaN into Float
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO typed VALUES (10, true, 0, 0, 0, 0, 0, 'Infinity', 'x', '{}', '{}', '{1,2,3,4}');      -- Infinity into Double
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO typed_wide VALUES (10, true, 0, 0, 0, 0, 1e39, 0, 'x', '{}', '{}', '{1,2,3,4}');       -- Float overflow
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO typed_wide VALUES (10, true, 0, 0, 0, 0, 0, 0, 'seventeen bytes!!', '{}', '{}', '{1,2,3,4}'); -- text too long
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO typed VALUES (10, true, 0, 0, 0, 0, 0, 0, 'x', '{}', '{1,NULL}', '{1,2,3,4}');         -- NULL array element
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO typed VALUES (10, true, 0, 0, 0, 0, 0, 0, 'x', '{}', array_fill(1, ARRAY[5000]), '{1,2,3,4}'); -- array above max_capacity
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO typed VALUES (10, true, 0, 0, 0, 0, 0, 0, 'x', '{}', '{{1},{2}}', '{1,2,3,4}');        -- 2-D array
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO typed_wide VALUES (10, true, 0, 0, 0, 0, 0, 0, 'x', '{}', '{3000000000}', '{1,2,3,4}'); -- array element overflow
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- tables that do not match the collection
CREATE FOREIGN TABLE typed_extra (id bigint, nosuch integer, vec real[])
  SERVER m23 OPTIONS (collection 'regress_typed');
INSERT INTO typed_extra VALUES (10, 1, '{1,2,3,4}');                     -- column without a field
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE typed_short (id bigint, vec real[])
  SERVER m23 OPTIONS (collection 'regress_typed');
INSERT INTO typed_short VALUES (10, '{1,2,3,4}');                        -- field without a column
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE typed_wrong (id bigint, flag boolean, tiny smallint, small smallint,
    i32 integer, i64 bigint, f text, d double precision, s text, j jsonb, arr integer[], vec real[])
  SERVER m23 OPTIONS (collection 'regress_typed');
INSERT INTO typed_wrong VALUES (10, true, 0, 0, 0, 0, '1', 0, 'x', '{}', '{}', '{1,2,3,4}'); -- wrong column type
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) AS calls_after_bad_input FROM milvus_fdw_stats() WHERE method = 'Insert';
-- what Milvus itself refuses comes back with its reason (2.3 keeps JSON objects only)
INSERT INTO typed VALUES (10, true, 0, 0, 0, 0, 0, 0, 'x', '[1, 2]', '{}', '{1,2,3,4}');
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- ===== Auto-create: what it needs =====
CREATE FOREIGN TABLE no_options (id bigint, vec real[]) SERVER m23
  OPTIONS (collection 'regress_no_options');
INSERT INTO no_options VALUES (1, '{1}');                                  -- no primary_key/vector_field
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE no_dim (id bigint, vec real[]) SERVER m23
  OPTIONS (collection 'regress_no_dim', primary_key 'id', vector_field 'vec');
INSERT INTO no_dim VALUES (1, '{1}');                                      -- no dim
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE bad_type (id bigint, born date, vec real[]) SERVER m23
  OPTIONS (collection 'regress_bad_type', primary_key 'id', vector_field 'vec', dim '1');
INSERT INTO bad_type VALUES (1, '2024-01-01', '{1}');                      -- date has no Milvus type
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE bad_pk (id real, vec real[]) SERVER m23
  OPTIONS (collection 'regress_bad_pk', primary_key 'id', vector_field 'vec', dim '1');
INSERT INTO bad_pk VALUES (1, '{1}');                                      -- primary key must be Int64 or VarChar
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE bad_bin (id bigint, vec bytea) SERVER m23
  OPTIONS (collection 'regress_bad_bin', primary_key 'id', vector_field 'vec', dim '12');
INSERT INTO bad_bin VALUES (1, '\x00');                                    -- binary dim not a multiple of 8
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE bad_vec (id bigint, vec text) SERVER m23
  OPTIONS (collection 'regress_bad_vec', primary_key 'id', vector_field 'vec', dim '2');
INSERT INTO bad_vec VALUES (1, '[1,2]');                                   -- vector column of a text type
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- ===== auto_id: Milvus assigns the keys =====
CREATE FOREIGN TABLE auto (id bigint, note text, vec real[]) SERVER m23
  OPTIONS (collection 'regress_auto', primary_key 'id', vector_field 'vec', dim '2',
           auto_id 'true');
SELECT milvus_drop_collection('auto', true) IS NOT NULL AS clean;
INSERT INTO auto (note, vec) VALUES ('first', '{1,2}'), ('second', '{3,4}');
INSERT INTO auto VALUES (5, 'keyed', '{1,2}');                             -- PK given with auto_id
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- RETURNING gives the keys Milvus assigned (each such row is sent at once)
INSERT INTO auto (note, vec) VALUES ('returned', '{1,2}') RETURNING id > 0 AS has_key, note;
SELECT count(*) FROM auto WHERE note = 'returned';

-- ===== Binary vectors =====
CREATE FOREIGN TABLE bin (id bigint, vec bytea) SERVER m23
  OPTIONS (collection 'regress_bin', primary_key 'id', vector_field 'vec', dim '16');
SELECT milvus_drop_collection('bin', true) IS NOT NULL AS clean;
INSERT INTO bin VALUES (1, '\xff00'), (2, '\x0f0f');
INSERT INTO bin VALUES (3, '\xff');                                        -- 1 byte for dim 16
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- ===== UPDATE upserts the whole row; DELETE deletes by primary key =====
UPDATE hello_spark_milvus SET text = 'updated' WHERE id BETWEEN 2 AND 3;
SELECT id, text FROM hello_spark_milvus WHERE id <= 4 ORDER BY id;
-- changing the primary key moves the entity
UPDATE hello_spark_milvus SET id = 104 WHERE id = 4;
SELECT id, text FROM hello_spark_milvus WHERE id IN (4, 104) ORDER BY id;
-- a WHERE Milvus evaluates whole: one Delete, no rows fetched
EXPLAIN (VERBOSE, COSTS OFF) DELETE FROM hello_spark_milvus WHERE id > 9000;
SELECT milvus_fdw_stats_reset();
DELETE FROM hello_spark_milvus WHERE id > 9000;
SELECT method, calls FROM milvus_fdw_stats()
 WHERE method <> 'GetCollectionStatistics' ORDER BY method;  -- the planner's, now and then
SELECT count(*) FROM hello_spark_milvus WHERE id > 9000;
-- a WHERE with a local part: rows are fetched, then deleted by key
EXPLAIN (VERBOSE, COSTS OFF) DELETE FROM hello_spark_milvus WHERE text || '!' = 'batch!';
DELETE FROM hello_spark_milvus WHERE text || '!' = 'batch!';
SELECT count(*) FROM hello_spark_milvus WHERE text = 'batch';
UPDATE hello_spark_milvus SET id = NULL WHERE id = 1;
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- ===== TRUNCATE empties the collection; its schema and index stay =====
TRUNCATE auto;
SELECT count(*) FROM auto;
INSERT INTO auto (note, vec) VALUES ('after truncate', '{1,2}');
SELECT note FROM auto;

-- ===== Statements that are not supported =====
INSERT INTO hello_spark_milvus VALUES (1, 'a', '{1,2,3,4,5,6,7,8}') ON CONFLICT DO NOTHING;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
BEGIN;
INSERT INTO hello_spark_milvus VALUES (9005, 'p', '{1,2,3,4,5,6,7,8}');
PREPARE TRANSACTION 'milvus';
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- ===== Milvus Lite 3.x: the same writes, and nullable fields =====
CREATE FOREIGN TABLE lite_hello (id bigint, text varchar, vec real[])
  SERVER lite
  OPTIONS (collection 'regress_hello', primary_key 'id', vector_field 'vec', dim '8');
SELECT milvus_drop_collection('lite_hello', true) IS NOT NULL AS clean;
INSERT INTO lite_hello VALUES
  (1, 'a', '{1,2,3,4,5,6,7,8}'), (2, 'b', '{1,2,3,4,5,6,7,8}'),
  (3, 'c', '{1,2,3,4,5,6,7,8}'), (4, 'd', '{1,2,3,4,5,6,7,8}');
INSERT INTO lite_hello VALUES (5, NULL, '{1,2,3,4,5,6,7,8}');             -- not nullable
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM lite_hello ORDER BY id;

DROP SERVER m23, lite CASCADE;
