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
