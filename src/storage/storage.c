/*-------------------------------------------------------------------------
 *
 * storage.c
 *		milvus_fdw's access to Milvus's object storage: opening it from a
 *		foreign server's options, checking keys, and dispatching to the local
 *		directory (local.c) or S3 (s3.c) back end.  See storage.h.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_user_mapping.h"
#include "commands/defrem.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "milvus_fdw.h"
#include "storage_int.h"

/*
 * Refuse a key or prefix that could leave the root: a leading '/', a ".."
 * path component, a backslash (a separator to some servers).
 */
static void
check_key(const char *what, const char *key, bool prefix)
{
	const char *p = key;

	if (!prefix && key[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("object storage key must not be empty")));
	if (key[0] == '/')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("object storage %s \"%s\" must be relative to the storage root", what, key),
				 errhint("Leave out the leading \"/\": keys look like \"insert_log/1/2/3/100/4\".")));
	if (strchr(key, '\\') != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("object storage %s \"%s\" must not contain a backslash", what, key)));
	while (*p)
	{
		const char *slash = strchr(p, '/');
		size_t		len = slash ? (size_t) (slash - p) : strlen(p);

		if (len == 2 && p[0] == '.' && p[1] == '.')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("object storage %s \"%s\" must not contain a \"..\" component", what, key)));
		if (slash == NULL)
			break;
		p = slash + 1;
	}
	if (!prefix && key[strlen(key) - 1] == '/')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("object storage key \"%s\" names a directory, not an object", key)));
}

static char *
pstrdup_or_null(const char *s)
{
	return s ? pstrdup(s) : NULL;
}

MilvusStorage *
milvus_storage_open(const MilvusStorageConfig *cfg)
{
	MemoryContext cxt;
	MemoryContext oldcxt;
	MilvusStorage *storage;

	if (cfg->storage_path == NULL && (cfg->endpoint == NULL || cfg->endpoint[0] == '\0'))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("no object storage configured%s%s%s",
						cfg->server_name ? " for server \"" : "",
						cfg->server_name ? cfg->server_name : "",
						cfg->server_name ? "\"" : ""),
				 errhint("Set the server option storage_endpoint (MinIO or S3) or storage_path (a Milvus with local storage).")));

	cxt = AllocSetContextCreate(CurrentMemoryContext, "milvus_fdw storage",
								ALLOCSET_SMALL_SIZES);
	oldcxt = MemoryContextSwitchTo(cxt);
	storage = palloc0(sizeof(MilvusStorage));
	storage->cxt = cxt;
	storage->server_name = pstrdup_or_null(cfg->server_name);
	if (cfg->storage_path != NULL)
	{
		size_t		len;

		local_storage_check_root(cfg->storage_path);
		storage->root_dir = pstrdup(cfg->storage_path);
		/* "/data/" and "/data" are the same root */
		len = strlen(storage->root_dir);
		while (len > 1 && storage->root_dir[len - 1] == '/')
			storage->root_dir[--len] = '\0';
		storage->description = storage->root_dir;
	}
	else
	{
		storage->s3 = s3_client_create(cfg, cxt);
		storage->description = pstrdup(s3_client_describe(storage->s3));
	}
	MemoryContextSwitchTo(oldcxt);
	return storage;
}

void
milvus_storage_close(MilvusStorage *storage)
{
	/* the S3 client's reset callback frees its curl handles */
	if (storage != NULL)
		MemoryContextDelete(storage->cxt);
}

const char *
milvus_storage_describe(MilvusStorage *storage)
{
	return storage->description;
}

List *
milvus_storage_list(MilvusStorage *storage, const char *prefix)
{
	List	   *objects;

	if (prefix == NULL)
		prefix = "";
	check_key("prefix", prefix, true);
	if (storage->root_dir != NULL)
		objects = local_storage_list(storage, prefix);
	else
		objects = s3_client_list(storage->s3, prefix);
	return objects;
}

char *
milvus_storage_get(MilvusStorage *storage, const char *key, int64 offset,
				   int64 length, size_t *len_out)
{
	check_key("key", key, false);
	if (offset < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("offset of an object storage read must not be negative")));
	if (length < -1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("length of an object storage read must be -1 (to the end) or at least 0")));
	if (length > 0 && offset > PG_INT64_MAX - length)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("object storage read range is out of range")));
	if (storage->root_dir != NULL)
		return local_storage_get(storage, key, offset, length, len_out);
	return s3_client_get(storage->s3, key, offset, length, len_out);
}

char *
milvus_storage_get_with(MilvusStorage *storage, const char *key,
						StorageAllocFn alloc, void *ctx, size_t *len_out)
{
	check_key("key", key, false);
	if (storage->root_dir != NULL)
		return local_storage_get_with(storage, key, 0, -1, alloc, ctx, len_out);
	return s3_client_get(storage->s3, key, 0, -1, len_out);
}

void
milvus_storage_put_file(MilvusStorage *storage, const char *key, const char *head,
						size_t head_len, File file, int64 file_len)
{
	check_key("key", key, false);
	if (file_len < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("length of an object storage write must not be negative")));
	if (storage->root_dir != NULL)
		local_storage_put(storage, key, head, head_len, file, file_len);
	else
		s3_client_put(storage->s3, key, head, head_len, file, file_len);
}

void
milvus_storage_put(MilvusStorage *storage, const char *key, const char *data, size_t len)
{
	milvus_storage_put_file(storage, key, data, len, -1, 0);
}

void
milvus_storage_delete(MilvusStorage *storage, const char *key)
{
	check_key("key", key, false);
	if (storage->root_dir != NULL)
		local_storage_delete(storage, key);
	else
		s3_client_delete(storage->s3, key);
}

char *
milvus_storage_milvus_path(MilvusStorage *storage, const char *key)
{
	check_key("key", key, false);
	if (storage->root_dir != NULL)
		return psprintf("%s/%s", storage->root_dir, key);
	return s3_client_full_key(storage->s3, key);
}

int
storage_object_cmp(const ListCell *a, const ListCell *b)
{
	const StorageObject *oa = lfirst(a);
	const StorageObject *ob = lfirst(b);

	return strcmp(oa->key, ob->key);
}

void
storage_range_error(const char *key, int64 offset, int64 size)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("offset " INT64_FORMAT " is past the end of object \"%s\"", offset, key),
			 size >= 0 ? errdetail("The object has " INT64_FORMAT " bytes.", size) : 0));
}

/* ---------------------------------------------------------------- foreign servers */

/* The user's mapping for the server, else PUBLIC's, else NULL. */
static UserMapping *
find_user_mapping(Oid userid, Oid serverid)
{
	HeapTuple	tp;

	tp = SearchSysCache2(USERMAPPINGUSERSERVER, ObjectIdGetDatum(userid),
						 ObjectIdGetDatum(serverid));
	if (!HeapTupleIsValid(tp))
		tp = SearchSysCache2(USERMAPPINGUSERSERVER, ObjectIdGetDatum(InvalidOid),
							 ObjectIdGetDatum(serverid));
	if (!HeapTupleIsValid(tp))
		return NULL;
	ReleaseSysCache(tp);
	/* GetUserMapping falls back to PUBLIC the same way */
	return GetUserMapping(userid, serverid);
}

/* A server option by name that options.c may not know yet, or NULL. */
static char *
raw_server_option(ForeignServer *server, const char *name)
{
	ListCell   *lc;

	foreach(lc, server->options)
	{
		DefElem    *def = lfirst(lc);

		if (strcmp(def->defname, name) == 0)
			return defGetString(def);
	}
	return NULL;
}

void
milvus_storage_config_for(ForeignServer *server, Oid userid, MilvusStorageConfig *cfg)
{
	MilvusServerOptions sopts;
	MilvusUserOptions uopts;

	milvus_server_options(server, &sopts);
	milvus_user_options(find_user_mapping(userid, server->serverid), &uopts);

	memset(cfg, 0, sizeof(*cfg));
	cfg->server_name = server->servername;
	cfg->storage_path = sopts.storage_path;
	cfg->endpoint = sopts.storage_endpoint;
	cfg->bucket = sopts.bucket;
	cfg->root_path = sopts.root_path;
	cfg->use_ssl = sopts.storage_use_ssl;
	cfg->region = sopts.storage_region;
	cfg->access_key = uopts.storage_user;
	cfg->secret_key = uopts.storage_password;
	cfg->timeout_ms = sopts.timeout_ms;

	/*
	 * Not the server's ca_cert: that one is for Milvus, and S3 is often
	 * signed by a public CA that a private ca_cert would shut out.
	 */
	cfg->ca_cert = raw_server_option(server, "storage_ca_cert");
}

MilvusStorage *
milvus_storage_open_for(ForeignServer *server, Oid userid)
{
	MilvusStorageConfig cfg;

	milvus_storage_config_for(server, userid, &cfg);
	return milvus_storage_open(&cfg);
}
