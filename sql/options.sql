--
-- Options: where each option is allowed and how bad values are refused.
-- These cases need no Milvus: the validator runs at CREATE/ALTER time.
--
\set VERBOSITY default
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS milvus_fdw;
RESET client_min_messages;

-- ===== The wrapper and its functions =====
SELECT fdwname, fdwhandler::regproc, fdwvalidator::regproc
  FROM pg_foreign_data_wrapper WHERE fdwname = 'milvus_fdw';
SELECT milvus_fdw_version();

-- ===== A valid server, user mapping, table and column =====
CREATE SERVER opt_ok FOREIGN DATA WRAPPER milvus_fdw
  OPTIONS (host 'localhost', port '19530', database 'default', timeout '2.5',
           storage_endpoint 'localhost:9000', bucket 'a-bucket', root_path 'files',
           storage_use_ssl 'false', storage_region 'us-east-1');
CREATE USER MAPPING FOR CURRENT_USER SERVER opt_ok
  OPTIONS (user 'root', password 'Milvus', storage_user 'minioadmin', storage_password 'minioadmin');
CREATE FOREIGN TABLE opt_ok_t (id bigint, body text OPTIONS (field 'text'), vec real[])
  SERVER opt_ok
  OPTIONS (collection 'hello_spark_milvus', partition '_default', primary_key 'id',
           vector_field 'vec', dim '8', auto_id 'false', batch_size '500',
           consistency_level 'Strong', search_params '{"ef": 64}');
CREATE SERVER opt_uri FOREIGN DATA WRAPPER milvus_fdw
  OPTIONS (uri 'https://in01-abc.api.gcp-us-west1.zillizcloud.com:19530', server_name 'milvus.local');
CREATE SERVER opt_local FOREIGN DATA WRAPPER milvus_fdw
  OPTIONS (uri 'http://127.0.0.1:19530', storage_path '/var/lib/milvus/data');

-- ===== Rejected: unknown options, listing the valid ones =====
CREATE SERVER opt_bad FOREIGN DATA WRAPPER milvus_fdw OPTIONS (hostname 'x');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE USER MAPPING FOR CURRENT_USER SERVER opt_local OPTIONS (username 'root');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE opt_bad_t (id bigint) SERVER opt_ok OPTIONS (table_name 'x');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE opt_bad_t (id bigint OPTIONS (column_name 'x')) SERVER opt_ok;
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- ===== Rejected: an option of another object =====
CREATE SERVER opt_bad FOREIGN DATA WRAPPER milvus_fdw OPTIONS (collection 'c');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE opt_bad_t (id bigint) SERVER opt_ok OPTIONS (host 'h');
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- ===== Rejected: secrets outside user mappings =====
CREATE SERVER opt_bad FOREIGN DATA WRAPPER milvus_fdw OPTIONS (password 'Milvus');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE SERVER opt_bad FOREIGN DATA WRAPPER milvus_fdw OPTIONS (token 'root:Milvus');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ALTER SERVER opt_ok OPTIONS (ADD storage_password 'minioadmin');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE opt_bad_t (id bigint) SERVER opt_ok OPTIONS (user 'root');
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- ===== Rejected: bad values =====
CREATE SERVER opt_bad FOREIGN DATA WRAPPER milvus_fdw OPTIONS (port 'abc');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE SERVER opt_bad FOREIGN DATA WRAPPER milvus_fdw OPTIONS (port '0');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE SERVER opt_bad FOREIGN DATA WRAPPER milvus_fdw OPTIONS (port '70000');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE SERVER opt_bad FOREIGN DATA WRAPPER milvus_fdw OPTIONS (host '');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE SERVER opt_bad FOREIGN DATA WRAPPER milvus_fdw OPTIONS (uri 'grpc://h:1');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE SERVER opt_bad FOREIGN DATA WRAPPER milvus_fdw OPTIONS (uri 'http://h:99999');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE SERVER opt_bad FOREIGN DATA WRAPPER milvus_fdw OPTIONS (uri 'http://:19530');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE SERVER opt_bad FOREIGN DATA WRAPPER milvus_fdw OPTIONS (timeout '0');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE SERVER opt_bad FOREIGN DATA WRAPPER milvus_fdw OPTIONS (timeout 'soon');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE SERVER opt_bad FOREIGN DATA WRAPPER milvus_fdw OPTIONS (storage_use_ssl 'maybe');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE SERVER opt_bad FOREIGN DATA WRAPPER milvus_fdw OPTIONS (database 'my-db');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE SERVER opt_bad FOREIGN DATA WRAPPER milvus_fdw OPTIONS (ca_cert 'relative/ca.pem');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE SERVER opt_bad FOREIGN DATA WRAPPER milvus_fdw OPTIONS (storage_endpoint 'local host');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE opt_bad_t (id bigint) SERVER opt_ok OPTIONS (batch_size '-1');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE opt_bad_t (id bigint) SERVER opt_ok OPTIONS (batch_size '0');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE opt_bad_t (id bigint) SERVER opt_ok OPTIONS (dim '0');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE opt_bad_t (id bigint) SERVER opt_ok OPTIONS (dim '40000');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE opt_bad_t (id bigint) SERVER opt_ok OPTIONS (dim '8.5');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE opt_bad_t (id bigint) SERVER opt_ok OPTIONS (auto_id 'yes please');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE opt_bad_t (id bigint) SERVER opt_ok OPTIONS (consistency_level 'Immediate');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE opt_bad_t (id bigint) SERVER opt_ok OPTIONS (collection '1st');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE opt_bad_t (id bigint) SERVER opt_ok OPTIONS (collection 'drop table;');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE FOREIGN TABLE opt_bad_t (id bigint OPTIONS (field 'a b')) SERVER opt_ok;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ALTER FOREIGN TABLE opt_ok_t OPTIONS (SET dim '-8');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ALTER FOREIGN TABLE opt_ok_t OPTIONS (SET search_params '[64]');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
ALTER FOREIGN TABLE opt_ok_t OPTIONS (SET search_params 'ef=64');
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- ===== Rejected: options that conflict =====
CREATE SERVER opt_bad FOREIGN DATA WRAPPER milvus_fdw OPTIONS (uri 'http://h:1', port '2');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE SERVER opt_bad FOREIGN DATA WRAPPER milvus_fdw
  OPTIONS (storage_path '/data', storage_endpoint 'localhost:9000');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE SERVER opt_bad FOREIGN DATA WRAPPER milvus_fdw OPTIONS (client_cert '/c.pem');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE USER MAPPING FOR CURRENT_USER SERVER opt_local OPTIONS (token 't', password 'p');
\echo SQLSTATE :LAST_ERROR_SQLSTATE

-- ===== Non-superusers: file options and password_required =====
CREATE ROLE milvus_opt_user;
GRANT USAGE ON FOREIGN DATA WRAPPER milvus_fdw TO milvus_opt_user;
SET ROLE milvus_opt_user;
CREATE SERVER opt_user_srv FOREIGN DATA WRAPPER milvus_fdw OPTIONS (ca_cert '/etc/passwd');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE SERVER opt_user_srv FOREIGN DATA WRAPPER milvus_fdw OPTIONS (host 'localhost');
CREATE USER MAPPING FOR CURRENT_USER SERVER opt_user_srv OPTIONS (password_required 'false');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE USER MAPPING FOR CURRENT_USER SERVER opt_user_srv OPTIONS (user 'root', password 'Milvus');
-- the user's own secrets are visible to itself, not to other non-superusers
SELECT srvname, umoptions FROM pg_user_mappings WHERE srvname = 'opt_user_srv';
RESET ROLE;
DROP SERVER opt_user_srv CASCADE;
REVOKE USAGE ON FOREIGN DATA WRAPPER milvus_fdw FROM milvus_opt_user;
DROP ROLE milvus_opt_user;

-- ===== What was stored =====
SELECT srvname, srvoptions FROM pg_foreign_server WHERE srvname LIKE 'opt_%' ORDER BY 1;
SELECT ftoptions FROM pg_foreign_table WHERE ftrelid = 'opt_ok_t'::regclass;
SELECT attname, attfdwoptions FROM pg_attribute
 WHERE attrelid = 'opt_ok_t'::regclass AND attfdwoptions IS NOT NULL;

DROP SERVER opt_ok, opt_uri, opt_local CASCADE;
