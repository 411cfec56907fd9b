/*-------------------------------------------------------------------------
 *
 * storage_sql.c
 *		SQL functions over a foreign server's object storage, to check its
 *		configuration and to test the storage code from SQL:
 *
 *		milvus_storage_list(server name, prefix text, page_size integer)
 *			RETURNS TABLE (key text, size bigint)
 *		milvus_storage_read(server name, key text, "offset" bigint, length bigint)
 *			RETURNS bytea
 *		milvus_storage_write(server name, key text, data bytea) RETURNS void
 *		milvus_storage_delete(server name, key text) RETURNS void
 *
 * All need USAGE on the server and use the caller's user mapping (or
 * PUBLIC's) for the storage credentials.  Local storage (storage_path) is
 * the database server's own files, so reading also needs the privileges of
 * pg_read_server_files, writing and deleting those of pg_write_server_files.
 * Writing puts files for milvus_bulk_import() where Milvus can read them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_authid.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/tuplestore.h"

#include "storage.h"

PG_FUNCTION_INFO_V1(milvus_storage_list_sql);
PG_FUNCTION_INFO_V1(milvus_storage_read_sql);
PG_FUNCTION_INFO_V1(milvus_storage_write_sql);
PG_FUNCTION_INFO_V1(milvus_storage_delete_sql);

/* The milvus_fdw server NAME, checked for USAGE. */
static ForeignServer *
usable_server(Name name)
{
	ForeignServer *server = GetForeignServerByName(NameStr(*name), false);
	ForeignDataWrapper *fdw = GetForeignDataWrapper(server->fdwid);
	char	   *handler = OidIsValid(fdw->fdwhandler) ? get_func_name(fdw->fdwhandler) : NULL;
	AclResult	aclresult;

	if (handler == NULL || strcmp(handler, "milvus_fdw_handler") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("server \"%s\" does not use milvus_fdw", server->servername)));
	aclresult = pg_foreign_server_aclcheck(server->serverid, GetUserId(), ACL_USAGE);
	if (aclresult != ACLCHECK_OK)
		aclcheck_error(aclresult, OBJECT_FOREIGN_SERVER, server->servername);
	return server;
}

static MilvusStorage *
open_server_storage(Name name, int page_size, bool write)
{
	ForeignServer *server = usable_server(name);
	MilvusStorageConfig cfg;

	milvus_storage_config_for(server, GetUserId(), &cfg);
	if (cfg.storage_path != NULL && !write &&
		!has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to read the local storage of server \"%s\"",
						server->servername),
				 errdetail("Only roles with privileges of the \"pg_read_server_files\" role may read files of the database server.")));
	if (cfg.storage_path != NULL && write &&
		!has_privs_of_role(GetUserId(), ROLE_PG_WRITE_SERVER_FILES))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to write the local storage of server \"%s\"",
						server->servername),
				 errdetail("Only roles with privileges of the \"pg_write_server_files\" role may write files of the database server.")));
	if (page_size < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("page_size must not be negative")));
	cfg.max_keys = page_size;
	return milvus_storage_open(&cfg);
}

Datum
milvus_storage_list_sql(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MilvusStorage *storage;
	char	   *prefix = text_to_cstring(PG_GETARG_TEXT_PP(1));
	List	   *objects;
	ListCell   *lc;

	InitMaterializedSRF(fcinfo, 0);
	storage = open_server_storage(PG_GETARG_NAME(0), PG_GETARG_INT32(2), false);
	objects = milvus_storage_list(storage, prefix);
	foreach(lc, objects)
	{
		StorageObject *obj = lfirst(lc);
		Datum		values[2];
		bool		nulls[2] = {false, false};

		values[0] = CStringGetTextDatum(obj->key);
		values[1] = Int64GetDatum(obj->size);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	milvus_storage_close(storage);
	PG_RETURN_VOID();
}

Datum
milvus_storage_read_sql(PG_FUNCTION_ARGS)
{
	MilvusStorage *storage = open_server_storage(PG_GETARG_NAME(0), 0, false);
	char	   *key = text_to_cstring(PG_GETARG_TEXT_PP(1));
	int64		offset = PG_GETARG_INT64(2);
	int64		length = PG_GETARG_INT64(3);
	size_t		len;
	char	   *data;
	bytea	   *result;

	data = milvus_storage_get(storage, key, offset, length, &len);
	if (len > MaxAllocSize - VARHDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%zu bytes of object \"%s\" do not fit in a bytea", len, key),
				 errhint("Read it in ranges (\"offset\" and length).")));
	result = palloc(len + VARHDRSZ);
	SET_VARSIZE(result, len + VARHDRSZ);
	memcpy(VARDATA(result), data, len);
	pfree(data);
	milvus_storage_close(storage);
	PG_RETURN_BYTEA_P(result);
}

Datum
milvus_storage_write_sql(PG_FUNCTION_ARGS)
{
	MilvusStorage *storage = open_server_storage(PG_GETARG_NAME(0), 0, true);
	char	   *key = text_to_cstring(PG_GETARG_TEXT_PP(1));
	bytea	   *data = PG_GETARG_BYTEA_PP(2);

	milvus_storage_put(storage, key, VARDATA_ANY(data), VARSIZE_ANY_EXHDR(data));
	milvus_storage_close(storage);
	PG_RETURN_VOID();
}

Datum
milvus_storage_delete_sql(PG_FUNCTION_ARGS)
{
	MilvusStorage *storage = open_server_storage(PG_GETARG_NAME(0), 0, true);
	char	   *key = text_to_cstring(PG_GETARG_TEXT_PP(1));

	milvus_storage_delete(storage, key);
	milvus_storage_close(storage);
	PG_RETURN_VOID();
}
