/* milvus_fdw extension script: the wrapper, its helper functions. */

\echo Use "CREATE EXTENSION milvus_fdw" to load this file. \quit

CREATE FUNCTION milvus_fdw_handler()
RETURNS fdw_handler
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FUNCTION milvus_fdw_validator(text[], oid)
RETURNS void
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FOREIGN DATA WRAPPER milvus_fdw
  HANDLER milvus_fdw_handler
  VALIDATOR milvus_fdw_validator;

-- Version of this extension's shared library.
CREATE FUNCTION milvus_fdw_version()
RETURNS text
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT PARALLEL SAFE;

-- Version string the Milvus server behind a foreign server reports.
CREATE FUNCTION milvus_server_version(server name)
RETURNS text
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT PARALLEL RESTRICTED;

-- Collections of the server's database (the server's "database" option).
CREATE FUNCTION milvus_list_collections(server name)
RETURNS SETOF text
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT PARALLEL RESTRICTED;

-- Cached Milvus channels of this backend, like postgres_fdw_get_connections().
CREATE FUNCTION milvus_fdw_get_connections(
    OUT server_name text,
    OUT user_name text,
    OUT target text,
    OUT valid boolean,
    OUT rpc_calls bigint,
    OUT bytes_sent bigint,
    OUT bytes_received bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT PARALLEL RESTRICTED;

-- Close every cached channel; true if any was open.
CREATE FUNCTION milvus_fdw_disconnect_all()
RETURNS boolean
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT PARALLEL RESTRICTED;

-- Close the channels to one server; true if any was open.
CREATE FUNCTION milvus_fdw_disconnect(server name)
RETURNS boolean
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT PARALLEL RESTRICTED;

-- This backend's Milvus calls by method since the last reset: shows batching.
CREATE FUNCTION milvus_fdw_stats(
    OUT method text,
    OUT calls bigint,
    OUT failures bigint,
    OUT bytes_sent bigint,
    OUT bytes_received bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT PARALLEL RESTRICTED;

CREATE FUNCTION milvus_fdw_stats_reset()
RETURNS void
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT PARALLEL RESTRICTED;

-- Create the collection behind a foreign table from its columns and options
-- (primary_key, vector_field, dim, auto_id, index_type, metric_type).
CREATE FUNCTION milvus_create_collection(regclass)
RETURNS void
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT PARALLEL UNSAFE;

-- Drop the Milvus collection behind a foreign table (the foreign table stays).
CREATE FUNCTION milvus_drop_collection(regclass, missing_ok boolean DEFAULT false)
RETURNS boolean
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT PARALLEL UNSAFE;

-- Vector distances on real[] with pgvector's meanings.  On a Milvus foreign
-- table, ORDER BY <vector column> <op> <vector> LIMIT k becomes a Milvus
-- search when the operator matches the collection's index metric.
CREATE FUNCTION milvus_l2_distance(real[], real[]) RETURNS float8
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION milvus_negative_inner_product(real[], real[]) RETURNS float8
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION milvus_cosine_distance(real[], real[]) RETURNS float8
AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OPERATOR <-> (LEFTARG = real[], RIGHTARG = real[],
  FUNCTION = milvus_l2_distance, COMMUTATOR = '<->');
CREATE OPERATOR <#> (LEFTARG = real[], RIGHTARG = real[],
  FUNCTION = milvus_negative_inner_product, COMMUTATOR = '<#>');
CREATE OPERATOR <=> (LEFTARG = real[], RIGHTARG = real[],
  FUNCTION = milvus_cosine_distance, COMMUTATOR = '<=>');

-- Milvus's object storage as the server's options and the caller's user
-- mapping reach it: the keys under a prefix, and the bytes of one object.
-- Both need USAGE on the server; on a storage_path (local) server also the
-- rights of pg_read_server_files.
CREATE FUNCTION milvus_storage_list(server name, prefix text DEFAULT '', page_size integer DEFAULT 0)
RETURNS TABLE (key text, size bigint)
AS 'MODULE_PATHNAME', 'milvus_storage_list_sql'
LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION milvus_storage_read(server name, key text, "offset" bigint DEFAULT 0, length bigint DEFAULT -1)
RETURNS bytea
AS 'MODULE_PATHNAME', 'milvus_storage_read_sql'
LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE;

-- Bulk import (issue #6).  Writing and deleting objects of Milvus's storage,
-- to put files where milvus_bulk_import() can hand them to Milvus.  Both need
-- USAGE on the server; on a storage_path (local) server also the rights of
-- pg_write_server_files.
CREATE FUNCTION milvus_storage_write(server name, key text, data bytea)
RETURNS void
AS 'MODULE_PATHNAME', 'milvus_storage_write_sql'
LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION milvus_storage_delete(server name, key text)
RETURNS void
AS 'MODULE_PATHNAME', 'milvus_storage_delete_sql'
LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE;

-- Bulk import (issue #6).  Files already in the server's storage (keys as
-- milvus_storage_list() shows them) imported into the table's collection by
-- Milvus's Import, waiting for it; returns the rows imported.  NumPy files
-- (one per field) make one import, each JSON or Parquet file its own.  Needs
-- INSERT on the table; on a storage_path server also pg_read_server_files.
CREATE FUNCTION milvus_bulk_import(foreign_table regclass, files text[])
RETURNS bigint
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE;

-- The imports this backend started (insert_method 'import' and
-- milvus_bulk_import()), the last 100, as last seen.
CREATE FUNCTION milvus_import_progress()
RETURNS TABLE (task_id bigint, collection text, state text, progress integer,
               rows bigint, files text, started timestamptz, finished timestamptz,
               reason text)
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

-- Milvus's list of the import tasks of a table's collection, whoever
-- started them (ListImportTasks): to follow an import from another session.
CREATE FUNCTION milvus_import_tasks(foreign_table regclass, max_tasks integer DEFAULT 100)
RETURNS TABLE (task_id bigint, state text, progress integer, rows bigint,
               files text, created timestamptz, reason text)
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE;
