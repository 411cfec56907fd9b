/*-------------------------------------------------------------------------
 *
 * milvus_fdw.h
 *		Shared structs of milvus_fdw and the exports of each module,
 *		grouped by the file that defines them.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MILVUS_FDW_H
#define MILVUS_FDW_H

#include "postgres.h"

#include "foreign/foreign.h"
#include "nodes/pg_list.h"

#include <protobuf-c/protobuf-c.h>

#define MILVUS_FDW_VERSION "1.0.0"

/* Defaults, shared by the validator, the docs and the connection code. */
#define MILVUS_DEFAULT_HOST			"localhost"
#define MILVUS_DEFAULT_PORT			19530
#define MILVUS_DEFAULT_TLS_PORT		443
#define MILVUS_DEFAULT_DATABASE		"default"
#define MILVUS_DEFAULT_TIMEOUT_MS	30000
#define MILVUS_DEFAULT_BATCH_SIZE	1000
#define MILVUS_MAX_DIM				32768

/* ConsistencyLevel values, as Milvus numbers them. */
typedef enum MilvusConsistency
{
	MILVUS_CONSISTENCY_STRONG = 0,
	MILVUS_CONSISTENCY_SESSION = 1,
	MILVUS_CONSISTENCY_BOUNDED = 2,
	MILVUS_CONSISTENCY_EVENTUALLY = 3
} MilvusConsistency;

/* ---- options.c ---- */

/* A foreign server's options, resolved with defaults. */
typedef struct MilvusServerOptions
{
	char	   *host;
	int			port;
	bool		use_tls;		/* uri 'https://…' */
	char	   *database;
	char	   *ca_cert;		/* file paths, NULL when unset */
	char	   *client_cert;
	char	   *client_key;
	char	   *server_name;	/* TLS name to verify, when it differs */
	int			timeout_ms;		/* deadline of every call */
	/* object storage, for binlog export and bulk import */
	char	   *storage_endpoint;
	char	   *bucket;
	char	   *root_path;
	bool		storage_use_ssl;
	char	   *storage_region;
	char	   *storage_path;
} MilvusServerOptions;

/* A user mapping's options; all NULL when the user has no mapping. */
typedef struct MilvusUserOptions
{
	bool		has_mapping;
	char	   *user;
	char	   *password;
	char	   *token;
	char	   *storage_user;
	char	   *storage_password;
	bool		password_required;
} MilvusUserOptions;

/* A foreign table's options, resolved with defaults. */
typedef struct MilvusTableOptions
{
	char	   *collection;
	char	   *partition;
	char	   *primary_key;
	char	   *vector_field;
	int			dim;			/* 0 when unset */
	bool		auto_id;
	int			batch_size;
	int			consistency_level;	/* -1: the collection's default */
} MilvusTableOptions;

extern void milvus_server_options(ForeignServer *server, MilvusServerOptions *opts);
extern void milvus_user_options(UserMapping *mapping, MilvusUserOptions *opts);
extern void milvus_table_options(ForeignTable *table, MilvusTableOptions *opts);
extern char *milvus_column_field_name(Oid relid, AttrNumber attnum);
extern const char *milvus_consistency_name(int level);

/* Any generated protobuf-c message, seen as its common header. */
#define PBMSG(m) ((ProtobufCMessage *) (m))

/* ---- connection.c ---- */

typedef struct MilvusConn MilvusConn;

extern MilvusConn *milvus_get_connection(ForeignServer *server, Oid userid);
extern MilvusConn *milvus_get_connection_by_name(const char *servername);
extern const char *milvus_conn_database(MilvusConn *conn);
extern ProtobufCMessage *milvus_call(MilvusConn *conn, const char *method,
									 const ProtobufCMessage *request,
									 const ProtobufCMessageDescriptor *response_type,
									 bool idempotent);
extern ProtobufCMessage *milvus_call_raw(MilvusConn *conn, const char *method,
										 const ProtobufCMessage *request,
										 const ProtobufCMessageDescriptor *response_type,
										 bool idempotent, int *grpc_code);
extern void milvus_check_status(MilvusConn *conn, const char *method,
								const ProtobufCMessage *response);

#endif							/* MILVUS_FDW_H */
