--
-- Connecting: server versions, collections, the connection cache, failures
-- and authentication.  Needs the services of scripts/services.sh (.run/env).
--
\set VERBOSITY default
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS milvus_fdw;
RESET client_min_messages;
\getenv milvus_host MILVUS_HOST
\getenv milvus_port MILVUS_PORT
\getenv lite_port MILVUS_LITE_PORT
\getenv auth_port MILVUS_AUTH_PORT
\set lite_uri 'http://127.0.0.1:' :lite_port

-- ===== Two real servers: Milvus 2.3 standalone and Milvus Lite 3.x =====
CREATE SERVER m23 FOREIGN DATA WRAPPER milvus_fdw
  OPTIONS (host :'milvus_host', port :'milvus_port', timeout '20');
CREATE SERVER lite FOREIGN DATA WRAPPER milvus_fdw
  OPTIONS (uri :'lite_uri');

-- versions, masked to their series
SELECT regexp_replace(milvus_server_version('m23'), '^(v2\.3)\.[0-9]+', '\1.N') AS m23_version;
SELECT regexp_replace(milvus_server_version('lite'), '-3\.[0-9.]+$', '-3.N') AS lite_version;

-- collections of the "default" database (none created by this suite)
SELECT count(*) >= 0 AS listed FROM milvus_list_collections('m23');
SELECT count(*) >= 0 AS listed FROM milvus_list_collections('lite');

-- ===== The connection cache =====
SELECT server_name, valid, rpc_calls > 0 AS used
  FROM milvus_fdw_get_connections() ORDER BY 1;
-- ALTER SERVER invalidates that server's channel; the next call rebuilds it
ALTER SERVER lite OPTIONS (ADD timeout '15');
SELECT server_name, valid FROM milvus_fdw_get_connections() ORDER BY 1;
SELECT milvus_server_version('lite') LIKE 'milvus_lite-%' AS lite_again;
SELECT milvus_fdw_disconnect('m23');
SELECT server_name FROM milvus_fdw_get_connections() ORDER BY 1;
SELECT milvus_fdw_disconnect_all();
SELECT milvus_fdw_disconnect_all();
SELECT count(*) FROM milvus_fdw_get_connections();

-- ===== Errors: nothing listening, not a milvus_fdw server, no such server =====
CREATE SERVER nowhere FOREIGN DATA WRAPPER milvus_fdw
  OPTIONS (host '127.0.0.1', port '9', timeout '3');

SELECT milvus_server_version('nowhere');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\set VERBOSITY default
CREATE FOREIGN DATA WRAPPER not_milvus;
CREATE SERVER other FOREIGN DATA WRAPPER not_milvus;
SELECT milvus_server_version('other');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT milvus_server_version('no_such_server');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
DROP FOREIGN DATA WRAPPER not_milvus CASCADE;

-- ===== Authentication (Milvus 2.3 started with --authorization-enabled) =====
CREATE SERVER m23_auth FOREIGN DATA WRAPPER milvus_fdw
  OPTIONS (host :'milvus_host', port :'auth_port');
-- no user mapping: no credentials
SELECT milvus_server_version('m23_auth');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
CREATE USER MAPPING FOR CURRENT_USER SERVER m23_auth
  OPTIONS (user 'root', password 'wrong');
SELECT milvus_server_version('m23_auth');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- the right password: the mapping change reaches the cached channel
ALTER USER MAPPING FOR CURRENT_USER SERVER m23_auth
  OPTIONS (SET password 'Milvus');
SELECT milvus_server_version('m23_auth') LIKE 'v2.3.%' AS authenticated;
-- a token is "user:password" (or an API key)
ALTER USER MAPPING FOR CURRENT_USER SERVER m23_auth
  OPTIONS (DROP user, DROP password, ADD token 'root:Milvus');
SELECT count(*) >= 0 AS listed FROM milvus_list_collections('m23_auth');

-- ===== Non-superusers bring their own credentials =====
CREATE ROLE milvus_connect_user;
GRANT USAGE ON FOREIGN SERVER m23 TO milvus_connect_user;
SET ROLE milvus_connect_user;
SELECT milvus_server_version('m23');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT milvus_server_version('lite');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET ROLE;
CREATE USER MAPPING FOR milvus_connect_user SERVER m23 OPTIONS (password_required 'false');
SET ROLE milvus_connect_user;
SELECT milvus_server_version('m23') LIKE 'v2.3.%' AS allowed;
RESET ROLE;

DROP USER MAPPING FOR milvus_connect_user SERVER m23;
REVOKE USAGE ON FOREIGN SERVER m23 FROM milvus_connect_user;
DROP ROLE milvus_connect_user;
DROP SERVER m23, lite, nowhere, m23_auth CASCADE;
