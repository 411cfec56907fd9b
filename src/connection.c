/*-------------------------------------------------------------------------
 *
 * connection.c
 *		The backend's cache of Milvus channels, one per (server, user), and
 *		the single place where a Milvus call becomes bytes and back, and
 *		where its failures become ERRORs.
 *
 * Channels live for the backend's life and are dropped when the server or
 * the user mapping changes (syscache invalidation), on request
 * (milvus_fdw_disconnect*), or when gRPC reports the connection failed, so
 * a restarted Milvus is reached again without the user doing anything.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_user_mapping.h"
#include "common/base64.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "datatype/timestamp.h"
#include "utils/tuplestore.h"

#include "milvus_fdw.h"
#include "grpc_call.h"
#include "common.pb-c.h"
#include "milvus.pb-c.h"

#define METHOD_PREFIX "/milvus.proto.milvus.MilvusService/"

typedef struct ConnKey
{
	Oid			serverid;
	Oid			userid;
} ConnKey;

struct MilvusConn
{
	ConnKey		key;			/* hash key: must be first */
	MemoryContext cxt;			/* holds everything below */
	MvChannel  *channel;
	MvChannelConfig config;		/* kept to rebuild the channel */
	bool		invalidated;	/* server or mapping changed: rebuild */
	uint32		server_hashvalue;
	uint32		mapping_hashvalue;	/* 0 when no mapping was found */
	char	   *server_name;
	char	   *host;
	int			port;
	char	   *database;
	char	   *authorization;	/* metadata value, or NULL */
	char	   *server_version; /* cached by milvus_conn_server_version */
	uint64		last_write_ts;	/* hybrid timestamp of our last write, 0 if none */
	int			timeout_ms;
	/* counters for milvus_fdw_get_connections() */
	int64		calls;
	int64		bytes_sent;
	int64		bytes_received;
};

static HTAB *conn_hash = NULL;

/*
 * Per-backend RPC counters by method, for milvus_fdw_stats(): how tests and
 * users see batching.
 */
typedef struct MethodStats
{
	char		method[48];
	int64		calls;
	int64		failures;
	int64		bytes_sent;
	int64		bytes_received;
} MethodStats;

#define MAX_METHODS 64
static MethodStats method_stats[MAX_METHODS];
static int	n_method_stats = 0;

static MethodStats *
stats_for(const char *method)
{
	int			i;

	for (i = 0; i < n_method_stats; i++)
		if (strcmp(method_stats[i].method, method) == 0)
			return &method_stats[i];
	if (n_method_stats == MAX_METHODS)
		return &method_stats[MAX_METHODS - 1];
	strlcpy(method_stats[n_method_stats].method, method, sizeof(method_stats[0].method));
	return &method_stats[n_method_stats++];
}

/* ---- protobuf-c memory in PostgreSQL memory contexts ---- */

static void *
pb_alloc(void *allocator_data, size_t size)
{
	return palloc_extended(size > 0 ? size : 1, MCXT_ALLOC_HUGE);
}

static void
pb_free(void *allocator_data, void *pointer)
{
	if (pointer)
		pfree(pointer);
}

ProtobufCAllocator milvus_pb_allocator = {pb_alloc, pb_free, NULL};

/* ---- cache maintenance ---- */

static void
close_channel(MilvusConn *conn)
{
	/* descriptions are per connection: a new one describes afresh */
	milvus_collection_forget(NULL);
	if (conn->channel)
	{
		mv_channel_destroy(conn->channel);
		conn->channel = NULL;
	}
	if (conn->cxt)
	{
		MemoryContextDelete(conn->cxt);
		conn->cxt = NULL;
	}
	/* they lived in cxt; a new channel may reach another server */
	conn->server_version = NULL;
}

static void
invalidation_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	HASH_SEQ_STATUS scan;
	MilvusConn *conn;

	hash_seq_init(&scan, conn_hash);
	while ((conn = hash_seq_search(&scan)) != NULL)
	{
		if (conn->channel == NULL)
			continue;
		if (hashvalue == 0)
			conn->invalidated = true;
		else if (cacheid == FOREIGNSERVEROID && conn->server_hashvalue == hashvalue)
			conn->invalidated = true;
		/* a mapping appearing where there was none must be seen too */
		else if (cacheid == USERMAPPINGOID &&
				 (conn->mapping_hashvalue == hashvalue || conn->mapping_hashvalue == 0))
			conn->invalidated = true;
	}
}

static void
init_cache(void)
{
	HASHCTL		ctl;

	ctl.keysize = sizeof(ConnKey);
	ctl.entrysize = sizeof(MilvusConn);
	conn_hash = hash_create("milvus_fdw connections", 8, &ctl,
							HASH_ELEM | HASH_BLOBS);
	CacheRegisterSyscacheCallback(FOREIGNSERVEROID, invalidation_callback, (Datum) 0);
	CacheRegisterSyscacheCallback(USERMAPPINGOID, invalidation_callback, (Datum) 0);
}

/* The user's mapping for the server, else the PUBLIC one, else NULL. */
static UserMapping *
find_user_mapping(Oid userid, Oid serverid, Oid *umid)
{
	HeapTuple	tp;
	Oid			lookup_user = userid;

	tp = SearchSysCache2(USERMAPPINGUSERSERVER, ObjectIdGetDatum(userid),
						 ObjectIdGetDatum(serverid));
	if (!HeapTupleIsValid(tp))
	{
		lookup_user = InvalidOid;
		tp = SearchSysCache2(USERMAPPINGUSERSERVER, ObjectIdGetDatum(InvalidOid),
							 ObjectIdGetDatum(serverid));
	}
	if (!HeapTupleIsValid(tp))
	{
		*umid = InvalidOid;
		return NULL;
	}
	*umid = ((Form_pg_user_mapping) GETSTRUCT(tp))->oid;
	ReleaseSysCache(tp);
	return GetUserMapping(lookup_user == InvalidOid ? InvalidOid : userid, serverid);
}

static char *
read_pem_file(const char *option, const char *path)
{
	FILE	   *f = AllocateFile(path, "r");
	StringInfoData buf;
	char		chunk[4096];
	size_t		n;

	if (f == NULL)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open file \"%s\" given in option \"%s\": %m", path, option)));
	initStringInfo(&buf);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		appendBinaryStringInfo(&buf, chunk, n);
	FreeFile(f);
	return buf.data;
}

static char *
base64_of(const char *text)
{
	int			len = strlen(text);
	int			enclen = pg_b64_enc_len(len);
	char	   *out = palloc(enclen + 1);
	int			n = pg_b64_encode(text, len, out, enclen);

	if (n < 0)
		elog(ERROR, "could not encode Milvus credentials");
	out[n] = '\0';
	return out;
}

/* Fill a cache entry from the catalogs and open its channel. */
static void
open_channel(MilvusConn *conn, ForeignServer *server)
{
	MilvusServerOptions sopts;
	MilvusUserOptions uopts;
	UserMapping *mapping;
	Oid			umid;
	MemoryContext oldcxt;

	conn->cxt = AllocSetContextCreate(TopMemoryContext, "milvus_fdw connection",
									  ALLOCSET_SMALL_SIZES);
	oldcxt = MemoryContextSwitchTo(conn->cxt);

	milvus_server_options(server, &sopts);
	mapping = find_user_mapping(conn->key.userid, server->serverid, &umid);
	milvus_user_options(mapping, &uopts);

	/* postgres_fdw's rule: a non-superuser brings its own credentials */
	if (!superuser_arg(conn->key.userid) && uopts.password_required &&
		uopts.password == NULL && uopts.token == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_S_R_E_PROHIBITED_SQL_STATEMENT_ATTEMPTED),
				 errmsg("password or token is required to use server \"%s\"", server->servername),
				 errdetail("Non-superusers must supply a password or token in the user mapping."),
				 errhint("Ask a superuser to run CREATE USER MAPPING ... OPTIONS (user '...', password '...'), or to set password_required 'false' on your mapping.")));

	conn->server_name = pstrdup(server->servername);
	conn->host = pstrdup(sopts.host);
	conn->port = sopts.port;
	conn->database = pstrdup(sopts.database);
	conn->timeout_ms = sopts.timeout_ms;
	if (uopts.token)
		conn->authorization = base64_of(uopts.token);
	else if (uopts.password)
		conn->authorization = base64_of(psprintf("%s:%s",
												 uopts.user ? uopts.user : "root",
												 uopts.password));
	else
		conn->authorization = NULL;

	memset(&conn->config, 0, sizeof(conn->config));
	conn->config.target = psprintf("%s:%d", sopts.host, sopts.port);
	conn->config.use_tls = sopts.use_tls;
	if (sopts.ca_cert)
		conn->config.ca_pem = read_pem_file("ca_cert", sopts.ca_cert);
	if (sopts.client_cert)
	{
		conn->config.cert_pem = read_pem_file("client_cert", sopts.client_cert);
		conn->config.key_pem = read_pem_file("client_key", sopts.client_key);
	}
	if (sopts.server_name)
		conn->config.server_name = pstrdup(sopts.server_name);

	conn->server_hashvalue = GetSysCacheHashValue1(FOREIGNSERVEROID,
												   ObjectIdGetDatum(server->serverid));
	conn->mapping_hashvalue = OidIsValid(umid) ?
		GetSysCacheHashValue1(USERMAPPINGOID, ObjectIdGetDatum(umid)) : 0;
	MemoryContextSwitchTo(oldcxt);

	conn->channel = mv_channel_create(&conn->config);
	conn->invalidated = false;
}

/*
 * The cached connection of (server, user), opened or rebuilt as needed.
 */
MilvusConn *
milvus_get_connection(ForeignServer *server, Oid userid)
{
	ConnKey		key;
	MilvusConn *conn;
	bool		found;

	if (conn_hash == NULL)
		init_cache();

	key.serverid = server->serverid;
	key.userid = userid;
	conn = hash_search(conn_hash, &key, HASH_ENTER, &found);
	if (!found)
	{
		memset(((char *) conn) + sizeof(ConnKey), 0, sizeof(MilvusConn) - sizeof(ConnKey));
		conn->key = key;
	}
	if (conn->channel && conn->invalidated)
		close_channel(conn);
	if (conn->channel == NULL)
	{
		PG_TRY();
		{
			open_channel(conn, server);
		}
		PG_CATCH();
		{
			close_channel(conn);
			PG_RE_THROW();
		}
		PG_END_TRY();
	}
	return conn;
}

/* For SQL functions taking a server name: checks USAGE and the wrapper. */
MilvusConn *
milvus_get_connection_by_name(const char *servername)
{
	ForeignServer *server = GetForeignServerByName(servername, false);
	ForeignDataWrapper *fdw = GetForeignDataWrapper(server->fdwid);
	AclResult	aclresult;
	char	   *handler = OidIsValid(fdw->fdwhandler) ? get_func_name(fdw->fdwhandler) : NULL;

	if (handler == NULL || strcmp(handler, "milvus_fdw_handler") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("server \"%s\" does not use milvus_fdw", servername)));
	aclresult = pg_foreign_server_aclcheck(server->serverid, GetUserId(), ACL_USAGE);
	if (aclresult != ACLCHECK_OK)
		aclcheck_error(aclresult, OBJECT_FOREIGN_SERVER, server->servername);
	return milvus_get_connection(server, GetUserId());
}

const char *
milvus_conn_database(MilvusConn *conn)
{
	return conn->database;
}

int
milvus_conn_timeout_ms(MilvusConn *conn)
{
	return conn->timeout_ms;
}

/* Remember a write's timestamp: this session's reads must see it. */
void
milvus_conn_note_write(MilvusConn *conn, uint64 timestamp)
{
	conn->last_write_ts = Max(conn->last_write_ts, timestamp);
}

uint64
milvus_conn_last_write(MilvusConn *conn)
{
	return conn->last_write_ts;
}

/*
 * The server's current hybrid timestamp (AllocTimestamp), for reads that
 * must see everything committed before they start; servers without it get
 * the client's clock in the same (ms << 18) form.
 */
uint64
milvus_conn_now(MilvusConn *conn)
{
	Milvus__Proto__Milvus__AllocTimestampRequest req = MILVUS__PROTO__MILVUS__ALLOC_TIMESTAMP_REQUEST__INIT;
	Milvus__Proto__Milvus__AllocTimestampResponse *resp;
	int			code;

	resp = (Milvus__Proto__Milvus__AllocTimestampResponse *)
		milvus_call_raw(conn, "AllocTimestamp", PBMSG(&req),
						&milvus__proto__milvus__alloc_timestamp_response__descriptor, true, &code);
	if (resp && (resp->status == NULL || (resp->status->code == 0 && resp->status->error_code == 0)) &&
		resp->timestamp > 0)
		return resp->timestamp;
	{
		/* PostgreSQL timestamps count microseconds from 2000-01-01 */
		int64		unix_ms = GetCurrentTimestamp() / 1000 +
			(int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * 1000;

		return ((uint64) unix_ms) << 18;
	}
}

/*
 * The server's version: GetVersion, or on servers without it (Milvus Lite
 * 2.4/2.5) the build tags Connect reports.  Asked again when refresh is set.
 */
const char *
milvus_conn_server_version(MilvusConn *conn, bool refresh)
{
	Milvus__Proto__Milvus__GetVersionRequest req = MILVUS__PROTO__MILVUS__GET_VERSION_REQUEST__INIT;
	Milvus__Proto__Milvus__GetVersionResponse *resp;
	Milvus__Proto__Milvus__ConnectRequest creq = MILVUS__PROTO__MILVUS__CONNECT_REQUEST__INIT;
	Milvus__Proto__Milvus__ConnectResponse *cresp;
	const char *version = "unknown";
	int			code;

	if (conn->server_version && !refresh)
		return conn->server_version;

	resp = (Milvus__Proto__Milvus__GetVersionResponse *)
		milvus_call_raw(conn, "GetVersion", PBMSG(&req),
						&milvus__proto__milvus__get_version_response__descriptor,
						true, &code);
	if (resp)
	{
		milvus_check_status(conn, "GetVersion", PBMSG(resp));
		version = resp->version ? resp->version : "";
	}
	else
	{
		cresp = (Milvus__Proto__Milvus__ConnectResponse *)
			milvus_call(conn, "Connect", PBMSG(&creq),
						&milvus__proto__milvus__connect_response__descriptor, true);
		if (cresp->server_info && cresp->server_info->build_tags &&
			cresp->server_info->build_tags[0])
			version = cresp->server_info->build_tags;
	}
	conn->server_version = MemoryContextStrdup(conn->cxt, version);
	return conn->server_version;
}

/*
 * Does Query return the smallest primary keys first, so a scan can page by
 * primary-key cursor?  Milvus does (with the iterator flags); Milvus Lite 3.x
 * returns rows in insertion order, so scans page by offset there.
 */
bool
milvus_conn_pages_in_pk_order(MilvusConn *conn)
{
	return strncmp(milvus_conn_server_version(conn, false), "milvus_lite", 11) != 0;
}

/* ---- errors ---- */

static void
report_grpc_error(MilvusConn *conn, const char *method, const MvCallResult *r)
{
	const char *status = mv_grpc_status_name(r->status);

	switch (r->status)
	{
		case MV_GRPC_UNAVAILABLE:
			if (strstr(r->message, "certificate verify failed") || strstr(r->message, "Ssl handshake failed"))
				ereport(ERROR,
						(errcode(ERRCODE_SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION),
						 errmsg("TLS handshake with Milvus server \"%s\" failed", conn->server_name),
						 errdetail("gRPC %s: %s", status, r->message),
						 errhint("The server option ca_cert names the CA that signed the server's certificate, server_name the name it was issued for.")));
			/*
			 * A server asking for a client certificate (mutual TLS) ends the
			 * handshake of a client without an acceptable one by closing the
			 * connection: gRPC says no more than that it could not read.
			 */
			if (conn->config.use_tls && strstr(r->message, "Endpoint read failed"))
				ereport(ERROR,
						(errcode(ERRCODE_SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION),
						 errmsg("TLS handshake with Milvus server \"%s\" failed: the server closed the connection", conn->server_name),
						 errdetail("gRPC %s: %s", status, r->message),
						 errhint(conn->config.cert_pem ?
								 "The server did not accept the certificate in client_cert: it must be signed by a CA the server trusts." :
								 "The server may require a client certificate (mutual TLS): set the server options client_cert and client_key.")));
			ereport(ERROR,
					(errcode(ERRCODE_SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION),
					 errmsg("could not reach Milvus server \"%s\" for %s", conn->server_name, method),
					 errdetail("gRPC %s: %s", status, r->message),
					 errhint("Check that Milvus is running and listening at %s:%d.", conn->host, conn->port)));
			break;
		case MV_GRPC_DEADLINE_EXCEEDED:
			ereport(ERROR,
					(errcode(ERRCODE_CONNECTION_FAILURE),
					 errmsg("Milvus server \"%s\" did not answer %s within %d ms",
							conn->server_name, method, conn->timeout_ms),
					 errdetail("gRPC %s: %s", status, r->message),
					 errhint("Check the server at %s:%d, or raise the server's \"timeout\" option.",
							 conn->host, conn->port)));
			break;
		case MV_GRPC_UNAUTHENTICATED:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
					 errmsg("authentication to Milvus server \"%s\" failed", conn->server_name),
					 errdetail("Milvus: %s", r->message),
					 errhint("Check the user and password, or the token, in the user mapping for server \"%s\".",
							 conn->server_name)));
			break;
		case MV_GRPC_PERMISSION_DENIED:
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("Milvus server \"%s\" denied %s", conn->server_name, method),
					 errdetail("Milvus: %s", r->message)));
			break;
		case MV_GRPC_UNIMPLEMENTED:
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("Milvus server \"%s\" does not implement %s", conn->server_name, method),
					 errdetail("gRPC %s: %s", status, r->message)));
			break;
		case MV_GRPC_RESOURCE_EXHAUSTED:
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("Milvus %s exceeded a message size or resource limit", method),
					 errdetail("gRPC %s: %s (request of %zu bytes)", status, r->message, r->request_len),
					 errhint("Lower the foreign table's batch_size option.")));
			break;
		default:
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("Milvus %s on server \"%s\" failed", method, conn->server_name),
					 errdetail("gRPC %s: %s", status, r->message)));
	}
}

/* SQLSTATE for a Milvus status: merr codes (2.3+) and legacy error_code. */
static int
status_sqlstate(int code, int error_code)
{
	if (code == 100 || error_code == 4)
		return ERRCODE_FDW_TABLE_NOT_FOUND;
	if (code == 800)
		return ERRCODE_UNDEFINED_DATABASE;
	if (code == 1100 || error_code == 5)
		return ERRCODE_INVALID_PARAMETER_VALUE;
	if (code == 8 || code == 9 || error_code == 48 || error_code == 49)
		return ERRCODE_INSUFFICIENT_RESOURCES;
	if (error_code == 3 || (code >= 1400 && code < 1500))
		return ERRCODE_INSUFFICIENT_PRIVILEGE;
	if (error_code == 2)
		return ERRCODE_CONNECTION_FAILURE;
	return ERRCODE_FDW_ERROR;
}

/*
 * Raise an ERROR when a response's common.Status (the message itself, or its
 * field 1) reports a failure.
 */
void
milvus_check_status(MilvusConn *conn, const char *method, const ProtobufCMessage *response)
{
	const Milvus__Proto__Common__Status *st = NULL;

	if (response->descriptor == &milvus__proto__common__status__descriptor)
		st = (const Milvus__Proto__Common__Status *) response;
	else
	{
		const ProtobufCFieldDescriptor *f =
			protobuf_c_message_descriptor_get_field(response->descriptor, 1);

		if (f && f->type == PROTOBUF_C_TYPE_MESSAGE &&
			f->descriptor == &milvus__proto__common__status__descriptor)
			st = *(const Milvus__Proto__Common__Status *const *) ((const char *) response + f->offset);
	}
	if (st == NULL || (st->error_code == 0 && st->code == 0))
		return;

	ereport(ERROR,
			(errcode(status_sqlstate(st->code, st->error_code)),
			 errmsg("Milvus %s on server \"%s\" failed", method, conn->server_name),
			 errdetail("Milvus: %s (code %d)",
					   st->reason && st->reason[0] ? st->reason : "no reason given",
					   st->code ? st->code : (int) st->error_code)));
}

/* ---- calls ---- */

/* A key-value pair for request parameters, in the current context. */
Milvus__Proto__Common__KeyValuePair *
milvus_kv(const char *key, const char *value)
{
	Milvus__Proto__Common__KeyValuePair *p = palloc(sizeof(*p));

	milvus__proto__common__key_value_pair__init(p);
	p->key = (char *) key;
	p->value = (char *) value;
	return p;
}

static bool
retry_is_safe(const MvCallResult *r, bool idempotent)
{
	if (r->status != MV_GRPC_UNAVAILABLE)
		return false;
	/* a connection that never came up sent nothing: safe for writes too */
	return idempotent || strncmp(r->message, "failed to connect", 17) == 0;
}

/*
 * Send one request and decode the response.  When the server does not
 * implement the method and grpc_code is given, sets it and returns NULL;
 * other gRPC failures raise an ERROR.
 * The response is allocated in CurrentMemoryContext.
 */
ProtobufCMessage *
milvus_call_raw(MilvusConn *conn, const char *method,
				const ProtobufCMessage *request,
				const ProtobufCMessageDescriptor *response_type,
				bool idempotent, int *grpc_code)
{
	char	   *path = psprintf(METHOD_PREFIX "%s", method);
	size_t		len = protobuf_c_message_get_packed_size(request);
	MvRequest  *volatile body;
	MvMetadata	md[2];
	int			nmd = 0;
	MvCallResult result;
	ProtobufCMessage *response;
	int			attempt;
	TimestampTz start = GetCurrentTimestamp();
	int			remaining_ms = conn->timeout_ms;

	/* milvus_fdw_disconnect*() closed it under a running statement */
	if (conn->channel == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_CONNECTION_DOES_NOT_EXIST),
				 errmsg("the Milvus connection was closed while a statement was using it")));
	/* encoded straight into gRPC's buffer: no copy of a large batch */
	body = mv_request_create(len);
	protobuf_c_message_pack(request, mv_request_data(body));
	md[nmd].key = "dbname";
	md[nmd++].value = conn->database;
	if (conn->authorization)
	{
		md[nmd].key = "authorization";
		md[nmd++].value = conn->authorization;
	}

	PG_TRY();
	{
		for (attempt = 0;; attempt++)
		{
			/* a channel in connect back-off would fail at once: start afresh */
			if (mv_channel_failed(conn->channel))
			{
				mv_channel_destroy(conn->channel);
				conn->channel = mv_channel_create(&conn->config);
			}
			mv_unary_call(conn->channel, path, md, nmd, body, remaining_ms, &result);
			conn->calls++;
			conn->bytes_sent += len;
			conn->bytes_received += result.response_len;
			{
				MethodStats *ms = stats_for(method);

				ms->calls++;
				ms->failures += result.status != MV_GRPC_OK ? 1 : 0;
				ms->bytes_sent += len;
				ms->bytes_received += result.response_len;
			}
			/* one retry, within what is left of the same deadline */
			remaining_ms = conn->timeout_ms -
				(int) ((GetCurrentTimestamp() - start) / 1000);
			if (attempt == 0 && remaining_ms > 0 && retry_is_safe(&result, idempotent))
			{
				mv_channel_destroy(conn->channel);
				conn->channel = mv_channel_create(&conn->config);
				continue;
			}
			break;
		}
	}
	PG_FINALLY();
	{
		mv_request_release(body);
	}
	PG_END_TRY();

	/*
	 * A call that ran out of time may sit on a connection that went silent
	 * (a half-open TCP connection gRPC would keep using): the next call
	 * starts on a fresh one.
	 */
	if (result.status == MV_GRPC_DEADLINE_EXCEEDED)
	{
		mv_channel_destroy(conn->channel);
		conn->channel = mv_channel_create(&conn->config);
	}

	if (result.status != MV_GRPC_OK)
	{
		if (grpc_code && result.status == MV_GRPC_UNIMPLEMENTED)
		{
			*grpc_code = result.status;
			return NULL;
		}
		report_grpc_error(conn, method, &result);
	}
	if (grpc_code)
		*grpc_code = MV_GRPC_OK;

	response = protobuf_c_message_unpack(response_type, &milvus_pb_allocator,
										 result.response_len, result.response);
	if (response == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
				 errmsg("could not decode the response of Milvus %s from server \"%s\"",
						method, conn->server_name),
				 errdetail("%zu bytes did not parse as %s.", result.response_len,
						   response_type->name)));
	pfree(result.response);
	return response;
}

/* A call whose gRPC and Milvus failures both raise ERRORs. */
ProtobufCMessage *
milvus_call(MilvusConn *conn, const char *method,
			const ProtobufCMessage *request,
			const ProtobufCMessageDescriptor *response_type,
			bool idempotent)
{
	ProtobufCMessage *response = milvus_call_raw(conn, method, request, response_type,
												 idempotent, NULL);

	milvus_check_status(conn, method, response);
	return response;
}

/* ---- the counters in the server log (milvus_fdw.log_stats) ---- */

bool		milvus_log_stats = false;
static int64 calls_logged = 0;	/* total calls at the last LOG line */

/*
 * At commit, one LOG line with this backend's counters when calls were made
 * since the last one: how a client whose sessions we cannot query (Spark's
 * JDBC tasks) can still see its writes were batched.
 */
static void
log_stats_callback(XactEvent event, void *arg)
{
	StringInfoData buf;
	int64		total = 0;
	int			i;

	if (!milvus_log_stats || (event != XACT_EVENT_COMMIT && event != XACT_EVENT_PARALLEL_COMMIT))
		return;
	for (i = 0; i < n_method_stats; i++)
		total += method_stats[i].calls;
	if (total == calls_logged)
		return;
	calls_logged = total;
	initStringInfo(&buf);
	for (i = 0; i < n_method_stats; i++)
		appendStringInfo(&buf, "%s%s calls=" INT64_FORMAT " failures=" INT64_FORMAT
						 " bytes_sent=" INT64_FORMAT " bytes_received=" INT64_FORMAT,
						 i ? "; " : "", method_stats[i].method, method_stats[i].calls,
						 method_stats[i].failures, method_stats[i].bytes_sent,
						 method_stats[i].bytes_received);
	/* which client it was: log_line_prefix may not say */
	ereport(LOG, (errmsg("milvus_fdw stats (pid %d, application \"%s\"): %s", MyProcPid,
						 application_name ? application_name : "", buf.data),
				  errhidestmt(true)));
	pfree(buf.data);
}

void
milvus_register_log_stats(void)
{
	RegisterXactCallback(log_stats_callback, NULL);
}

/* ---- SQL-visible cache functions ---- */

PG_FUNCTION_INFO_V1(milvus_fdw_stats);
PG_FUNCTION_INFO_V1(milvus_fdw_stats_reset);
PG_FUNCTION_INFO_V1(milvus_fdw_get_connections);

Datum
milvus_fdw_stats(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < n_method_stats; i++)
	{
		Datum		values[5];
		bool		nulls[5] = {false};

		values[0] = CStringGetTextDatum(method_stats[i].method);
		values[1] = Int64GetDatum(method_stats[i].calls);
		values[2] = Int64GetDatum(method_stats[i].failures);
		values[3] = Int64GetDatum(method_stats[i].bytes_sent);
		values[4] = Int64GetDatum(method_stats[i].bytes_received);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	PG_RETURN_VOID();
}

Datum
milvus_fdw_stats_reset(PG_FUNCTION_ARGS)
{
	n_method_stats = 0;
	calls_logged = 0;
	memset(method_stats, 0, sizeof(method_stats));
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(milvus_fdw_disconnect_all);
PG_FUNCTION_INFO_V1(milvus_fdw_disconnect);

Datum
milvus_fdw_get_connections(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	HASH_SEQ_STATUS scan;
	MilvusConn *conn;

	InitMaterializedSRF(fcinfo, 0);
	if (conn_hash == NULL)
		PG_RETURN_VOID();

	hash_seq_init(&scan, conn_hash);
	while ((conn = hash_seq_search(&scan)) != NULL)
	{
		Datum		values[7];
		bool		nulls[7];
		ForeignServer *server;
		char	   *user;

		if (conn->channel == NULL)
			continue;
		memset(nulls, 0, sizeof(nulls));
		server = GetForeignServerExtended(conn->key.serverid, FSV_MISSING_OK);
		user = GetUserNameFromId(conn->key.userid, true);
		if (server)
			values[0] = CStringGetTextDatum(server->servername);
		else
			nulls[0] = true;
		if (user)
			values[1] = CStringGetTextDatum(user);
		else
			nulls[1] = true;
		values[2] = CStringGetTextDatum(conn->config.target);
		values[3] = BoolGetDatum(!conn->invalidated && server != NULL);
		values[4] = Int64GetDatum(conn->calls);
		values[5] = Int64GetDatum(conn->bytes_sent);
		values[6] = Int64GetDatum(conn->bytes_received);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	PG_RETURN_VOID();
}

static bool
disconnect_where(Oid serverid)
{
	HASH_SEQ_STATUS scan;
	MilvusConn *conn;
	bool		any = false;

	if (conn_hash == NULL)
		return false;
	hash_seq_init(&scan, conn_hash);
	while ((conn = hash_seq_search(&scan)) != NULL)
	{
		if (conn->channel == NULL)
			continue;
		if (OidIsValid(serverid) && conn->key.serverid != serverid)
			continue;
		/* as postgres_fdw: a connection the transaction still needs stays */
		if (milvus_conn_has_pending_writes(conn))
		{
			ereport(WARNING,
					(errmsg("cannot close the connection to Milvus server \"%s\": this transaction has unsent writes",
							conn->server_name)));
			continue;
		}
		close_channel(conn);
		any = true;
	}
	return any;
}

Datum
milvus_fdw_disconnect_all(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(disconnect_where(InvalidOid));
}

Datum
milvus_fdw_disconnect(PG_FUNCTION_ARGS)
{
	ForeignServer *server = GetForeignServerByName(NameStr(*PG_GETARG_NAME(0)), false);

	PG_RETURN_BOOL(disconnect_where(server->serverid));
}
