-- MariaDB -> Milvus in SQL, with mysql_fdw and milvus_fdw.
--
-- The Spark-Milvus connector's demo "MySQL -> embedding -> Milvus"
-- (Mysql2MilvusDemo) reads a MySQL table with Spark's JDBC source, computes
-- embeddings and writes them with format("milvus") into a collection it
-- creates.  Here the embeddings already sit in MariaDB, as applications often
-- keep them (a JSON array, or comma-separated text), and the whole move is one
-- statement inside PostgreSQL:
--
--   INSERT INTO <milvus table> SELECT id, title, category, <vector in SQL>
--     FROM <mariadb table> WHERE embedding IS NOT NULL;
--
-- mysql_fdw reads MariaDB (the WHERE clause runs in MariaDB), the conversion
-- from JSON to real[] happens in PostgreSQL, and milvus_fdw creates the
-- collection at the first row (options primary_key, vector_field, dim) and
-- sends the rows in batches of batch_size.  At the end the example checks its
-- own result: row counts and an md5 checksum of every row, source and Milvus.
--
-- Connector option        ->  here
--   jdbc url, dbtable     ->  mysql_fdw server (host, port) + foreign table (dbname, table_name)
--   user / password       ->  mysql_fdw user mapping (username, password)
--   MILVUS_HOST / PORT    ->  milvus_fdw server (host, port)
--   MILVUS_COLLECTION_*   ->  milvus_fdw foreign table (collection, primary_key, vector_field, dim)
--   mode(Append)          ->  INSERT (or insert_mode 'upsert' to make a re-run harmless)
--
-- Before: the MariaDB table mig_docs of examples/mariadb_source.sql.
-- Run:    source .run/env; mariadb ... < examples/mariadb_source.sql   (see that file)
--         psql -X -f examples/mariadb_to_milvus.sql
-- Connection settings come from the environment (.run/env) through \getenv.
-- test/test_migrations.py runs it and checks the collection with pymilvus.
\set ON_ERROR_STOP on
\pset footer off
\getenv milvus_host MILVUS_HOST
\getenv milvus_port MILVUS_PORT
\getenv mariadb_host MARIADB_HOST
\getenv mariadb_port MARIADB_PORT
\getenv mariadb_user MARIADB_USER
\getenv mariadb_password MARIADB_PASSWORD
\getenv mariadb_database MARIADB_DATABASE

CREATE EXTENSION IF NOT EXISTS milvus_fdw;
CREATE EXTENSION IF NOT EXISTS mysql_fdw;

-- The source: MariaDB through mysql_fdw.  character_set 'utf8mb4': without
-- it mysql_fdw asks for the database's encoding, "UTF8", which MariaDB takes
-- as its 3-byte utf8mb3, and every 4-byte character (emoji, some CJK) arrives
-- as '?' without an error.
DROP SERVER IF EXISTS mig_mariadb CASCADE;
CREATE SERVER mig_mariadb FOREIGN DATA WRAPPER mysql_fdw
  OPTIONS (host :'mariadb_host', port :'mariadb_port', character_set 'utf8mb4');
CREATE USER MAPPING FOR CURRENT_USER SERVER mig_mariadb
  OPTIONS (username :'mariadb_user', password :'mariadb_password');

-- MariaDB's JSON type is LONGTEXT: declared jsonb here, mysql_fdw parses it.
CREATE FOREIGN TABLE mig_mariadb_docs (
  id            bigint NOT NULL,
  title         text NOT NULL,
  category      text NOT NULL,
  embedding     jsonb,
  embedding_csv text
) SERVER mig_mariadb OPTIONS (dbname :'mariadb_database', table_name 'mig_docs');

-- The target: a Milvus collection that does not exist yet.
DROP SERVER IF EXISTS mig_milvus CASCADE;
CREATE SERVER mig_milvus FOREIGN DATA WRAPPER milvus_fdw
  OPTIONS (host :'milvus_host', port :'milvus_port');
CREATE USER MAPPING FOR CURRENT_USER SERVER mig_milvus;

CREATE FOREIGN TABLE mig_docs (
  id       bigint NOT NULL,
  title    varchar(200) NOT NULL,
  category varchar(20) NOT NULL,
  vec      real[] NOT NULL
) SERVER mig_milvus
  OPTIONS (collection 'mig_docs', primary_key 'id', vector_field 'vec', dim '8');
SELECT milvus_drop_collection('mig_docs', missing_ok => true) AS dropped_old_copy;

\echo '== the source in MariaDB'
SELECT count(*) AS documents, count(embedding) AS with_embedding FROM mig_mariadb_docs;
SELECT id, title, embedding FROM mig_mariadb_docs WHERE id IN (1, 5, 100) ORDER BY id;

\echo '== the vector in SQL: JSON array -> real[] (and the same from comma-separated text)'
SELECT id,
       ARRAY(SELECT jsonb_array_elements_text(embedding)::real) AS from_json,
       string_to_array(embedding_csv, ',')::real[]                AS from_csv
  FROM mig_mariadb_docs WHERE id = 1;

\echo '== the migration: WHERE goes to MariaDB, the rows to Milvus'
EXPLAIN (VERBOSE, COSTS OFF)
INSERT INTO mig_docs
SELECT id, title, category, ARRAY(SELECT jsonb_array_elements_text(embedding)::real)
  FROM mig_mariadb_docs
 WHERE embedding IS NOT NULL;

\timing on
INSERT INTO mig_docs
SELECT id, title, category, ARRAY(SELECT jsonb_array_elements_text(embedding)::real)
  FROM mig_mariadb_docs
 WHERE embedding IS NOT NULL;
\timing off

\echo '== a collection created by the INSERT'
SELECT * FROM milvus_list_collections('mig_milvus') AS collection WHERE collection = 'mig_docs';

\echo '== check: counts and checksums, MariaDB (converted) against Milvus'
-- Each row as text, vector included (real[]'s text form is exact for
-- float32), in key order; md5 over all of them.
CREATE TEMP TABLE mig_check AS
WITH src AS (
  SELECT id, title, category, ARRAY(SELECT jsonb_array_elements_text(embedding)::real) AS vec,
         string_to_array(embedding_csv, ',')::real[] AS vec_csv
    FROM mig_mariadb_docs WHERE embedding IS NOT NULL
), dst AS (
  SELECT id, title, category, vec FROM mig_docs
)
SELECT 'rows' AS what,
       (SELECT count(*) FROM src)::text AS mariadb,
       (SELECT count(*) FROM dst)::text AS milvus
UNION ALL
SELECT 'sum(id)', (SELECT sum(id) FROM src)::text, (SELECT sum(id) FROM dst)::text
UNION ALL
SELECT 'md5 of rows',
       (SELECT md5(string_agg(format('%s|%s|%s|%s', id, title, category, vec), E'\n' ORDER BY id)) FROM src),
       (SELECT md5(string_agg(format('%s|%s|%s|%s', id, title, category, vec), E'\n' ORDER BY id)) FROM dst)
UNION ALL
SELECT 'JSON and CSV vectors differ', (SELECT count(*) FROM src WHERE vec IS DISTINCT FROM vec_csv)::text, '0';
SELECT what, mariadb, milvus, mariadb = milvus AS ok FROM mig_check;
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM mig_check WHERE mariadb IS DISTINCT FROM milvus) THEN
    RAISE EXCEPTION 'migration check failed: MariaDB and Milvus differ';
  END IF;
END
$$;

\echo '== and the migrated documents are searchable: the nearest to document 1'
SELECT vec AS q FROM mig_docs WHERE id = 1 \gset
SELECT id, title, round((vec <=> :'q')::numeric, 4) AS cosine_distance
  FROM mig_docs ORDER BY vec <=> :'q' LIMIT 3;
