/*-------------------------------------------------------------------------
 *
 * schema.c
 *		A collection's schema as milvus_fdw sees it, and creating a collection
 *		from a foreign table's columns and options (the connector's
 *		auto-create), with its vector index, loaded and ready.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/tupdesc.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "milvus_fdw.h"
#include "grpc_call.h"
#include "milvus.pb-c.h"

#define DT(x) MILVUS__PROTO__SCHEMA__DATA_TYPE__##x

static int
type_param_int(Milvus__Proto__Schema__FieldSchema *fs, const char *key)
{
	size_t		i;

	for (i = 0; i < fs->n_type_params; i++)
		if (strcmp(fs->type_params[i]->key, key) == 0)
			return atoi(fs->type_params[i]->value);
	return 0;
}

static const char *index_metric(MilvusConn *conn, const char *collection, const char *field);

static const struct
{
	int			type;
	const char *name;
}			type_names[] = {
	{DT(Bool), "Bool"}, {DT(Int8), "Int8"}, {DT(Int16), "Int16"},
	{DT(Int32), "Int32"}, {DT(Int64), "Int64"}, {DT(Float), "Float"},
	{DT(Double), "Double"}, {DT(VarChar), "VarChar"}, {DT(Array), "Array"},
	{DT(JSON), "JSON"}, {DT(BinaryVector), "BinaryVector"},
	{DT(FloatVector), "FloatVector"}, {DT(Float16Vector), "Float16Vector"},
	{DT(BFloat16Vector), "BFloat16Vector"},
	{DT(SparseFloatVector), "SparseFloatVector"},
};

const char *
milvus_type_name(int data_type)
{
	int			i;

	for (i = 0; i < (int) lengthof(type_names); i++)
		if (type_names[i].type == data_type)
			return type_names[i].name;
	return psprintf("type %d", data_type);
}

int
milvus_type_from_name(const char *name)
{
	int			i;

	for (i = 0; i < (int) lengthof(type_names); i++)
		if (pg_strcasecmp(type_names[i].name, name) == 0)
			return type_names[i].type;
	return DT(None);
}

static bool
is_vector_type(int t)
{
	return t == DT(FloatVector) || t == DT(BinaryVector) || t == DT(Float16Vector) ||
		t == DT(BFloat16Vector) || t == DT(SparseFloatVector);
}

static MilvusField *
milvus_find_field_n(MilvusCollection *coll, int n, const char *name)
{
	int			i;

	for (i = 0; i < n; i++)
		if (strcmp(coll->fields[i].name, name) == 0)
			return &coll->fields[i];
	return NULL;
}

/*
 * DescribeCollection.  Returns NULL for a missing collection when missing_ok.
 */
MilvusCollection *
milvus_describe_collection(MilvusConn *conn, const char *name, bool missing_ok)
{
	Milvus__Proto__Milvus__DescribeCollectionRequest req = MILVUS__PROTO__MILVUS__DESCRIBE_COLLECTION_REQUEST__INIT;
	Milvus__Proto__Milvus__DescribeCollectionResponse *resp;
	Milvus__Proto__Schema__CollectionSchema *schema;
	MilvusCollection *coll;
	size_t		i;
	int			n = 0;

	req.db_name = (char *) milvus_conn_database(conn);
	req.collection_name = (char *) name;
	resp = (Milvus__Proto__Milvus__DescribeCollectionResponse *)
		milvus_call_raw(conn, "DescribeCollection", PBMSG(&req),
						&milvus__proto__milvus__describe_collection_response__descriptor,
						true, NULL);
	if (missing_ok && resp->status &&
		(resp->status->code == 100 || resp->status->error_code == 4))
		return NULL;
	milvus_check_status(conn, "DescribeCollection", PBMSG(resp));

	schema = resp->schema;
	coll = palloc0(sizeof(MilvusCollection));
	coll->name = pstrdup(name);
	coll->id = resp->collectionid;
	coll->enable_dynamic_field = schema ? schema->enable_dynamic_field : false;
	coll->consistency_level = resp->consistency_level;
	coll->pk_index = -1;
	coll->fields = palloc0(sizeof(MilvusField) * (schema ? schema->n_fields + 1 : 1));
	for (i = 0; schema && i < schema->n_fields; i++)
	{
		Milvus__Proto__Schema__FieldSchema *fs = schema->fields[i];
		MilvusField *f = &coll->fields[n];

		/* the dynamic field is reached as "$meta", like pymilvus does */
		f->name = pstrdup(fs->is_dynamic ? "$meta" : fs->name);
		f->field_id = fs->fieldid;
		f->data_type = fs->data_type;
		f->element_type = fs->element_type;
		f->is_primary_key = fs->is_primary_key;
		f->auto_id = fs->autoid;
		f->nullable = fs->nullable;
		f->is_dynamic = fs->is_dynamic;
		f->has_default = fs->default_value != NULL;
		f->dim = type_param_int(fs, "dim");
		f->max_length = type_param_int(fs, "max_length");
		f->max_capacity = type_param_int(fs, "max_capacity");
		if (f->is_primary_key)
			coll->pk_index = n;
		n++;
	}
	/* some servers (Milvus Lite) list no field for the dynamic columns */
	if (coll->enable_dynamic_field && milvus_find_field_n(coll, n, "$meta") == NULL)
	{
		MilvusField *f = &coll->fields[n++];

		f->name = pstrdup("$meta");
		f->data_type = DT(JSON);
		f->is_dynamic = true;
		f->nullable = true;
	}
	coll->nfields = n;
	return coll;
}

/* ---- the backend's cache of collection descriptions ---- */

typedef struct CollectionCacheKey
{
	MilvusConn *conn;
	char		name[256];
} CollectionCacheKey;

typedef struct CollectionCacheEntry
{
	CollectionCacheKey key;
	MemoryContext cxt;
	MilvusCollection *coll;
} CollectionCacheEntry;

static HTAB *collection_cache = NULL;

static void
forget_entry(CollectionCacheEntry *e)
{
	if (e->cxt)
		MemoryContextDelete(e->cxt);
	hash_search(collection_cache, &e->key, HASH_REMOVE, NULL);
}

static double
collection_row_count(MilvusConn *conn, const char *name)
{
	Milvus__Proto__Milvus__GetCollectionStatisticsRequest req = MILVUS__PROTO__MILVUS__GET_COLLECTION_STATISTICS_REQUEST__INIT;
	Milvus__Proto__Milvus__GetCollectionStatisticsResponse *resp;
	size_t		i;

	req.db_name = (char *) milvus_conn_database(conn);
	req.collection_name = (char *) name;
	resp = (Milvus__Proto__Milvus__GetCollectionStatisticsResponse *)
		milvus_call(conn, "GetCollectionStatistics", PBMSG(&req),
					&milvus__proto__milvus__get_collection_statistics_response__descriptor, true);
	for (i = 0; i < resp->n_stats; i++)
		if (strcmp(resp->stats[i]->key, "row_count") == 0)
			return strtod(resp->stats[i]->value, NULL);
	return 0;
}

/*
 * The collection's description, described once per backend.
 * Which collection a foreign table maps to is read afresh every time; the
 * description is forgotten when milvus_fdw creates or drops the collection,
 * when Milvus reports it missing, and when the connection closes.
 * Raises an ERROR when the collection does not exist.
 */
MilvusCollection *
milvus_collection_cached(MilvusConn *conn, const char *name)
{
	CollectionCacheKey key;
	CollectionCacheEntry *e;
	bool		found;
	MemoryContext oldcxt;
	MemoryContext cxt;
	MilvusCollection *coll;

	if (collection_cache == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(CollectionCacheKey);
		ctl.entrysize = sizeof(CollectionCacheEntry);
		collection_cache = hash_create("milvus_fdw collections", 16, &ctl,
									   HASH_ELEM | HASH_BLOBS);
	}
	memset(&key, 0, sizeof(key));
	key.conn = conn;
	strlcpy(key.name, name, sizeof(key.name));
	e = hash_search(collection_cache, &key, HASH_FIND, &found);
	if (found)
		return e->coll;

	cxt = AllocSetContextCreate(CacheMemoryContext, "milvus_fdw collection",
								ALLOCSET_SMALL_SIZES);
	oldcxt = MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		coll = milvus_describe_collection(conn, name, true);
		if (coll == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_TABLE_NOT_FOUND),
					 errmsg("Milvus collection \"%s\" does not exist in database \"%s\"",
							name, milvus_conn_database(conn)),
					 errhint("An INSERT creates it when the foreign table has the options primary_key, vector_field and dim; so does milvus_create_collection().")));
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcxt);
		MemoryContextDelete(cxt);
		PG_RE_THROW();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(oldcxt);

	e = hash_search(collection_cache, &key, HASH_ENTER, &found);
	e->cxt = cxt;
	e->coll = coll;
	return coll;
}

/*
 * The collection's row count for the planner.  Rows come and go between
 * statements (and Milvus 2.3 counts a row only once it is persisted), so a
 * count kept for the backend's life goes stale.  Where the count decides
 * between Query and binlog export, or costs a parallel binlog scan
 * (FRESH), it is read once per transaction; elsewhere it only shapes join
 * estimates and is read again when older than ROW_COUNT_MAX_AGE_MS, which
 * spares an autocommit search its own GetCollectionStatistics round trip.
 */
#define ROW_COUNT_MAX_AGE_MS	10000

double
milvus_collection_row_count(MilvusConn *conn, const char *name, bool fresh)
{
	MilvusCollection *coll = milvus_collection_cached(conn, name);
	TimestampTz now = GetCurrentTimestamp();

	if (fresh ? coll->row_count_lxid != MyProc->lxid :
		(coll->row_count_lxid == InvalidLocalTransactionId ||
		 TimestampDifferenceExceeds(coll->row_count_time, now, ROW_COUNT_MAX_AGE_MS)))
	{
		coll->row_count = collection_row_count(conn, name);
		coll->row_count_lxid = MyProc->lxid;
		coll->row_count_time = now;
	}
	return coll->row_count;
}

/* Drop cached descriptions of a collection (NULL: of every collection). */
void
milvus_collection_forget(const char *name)
{
	HASH_SEQ_STATUS scan;
	CollectionCacheEntry *e;

	if (collection_cache == NULL)
		return;
	hash_seq_init(&scan, collection_cache);
	while ((e = hash_seq_search(&scan)) != NULL)
		if (name == NULL || strcmp(e->key.name, name) == 0)
			forget_entry(e);
}

MilvusField *
milvus_find_field(MilvusCollection *coll, const char *name)
{
	return milvus_find_field_n(coll, coll->nfields, name);
}

/*
 * Load a collection and wait until Milvus reports it loaded, within the
 * server's timeout.  Reads need it after a server restart or a release.
 */
void
milvus_load_collection(MilvusConn *conn, const char *name)
{
	Milvus__Proto__Milvus__LoadCollectionRequest lreq = MILVUS__PROTO__MILVUS__LOAD_COLLECTION_REQUEST__INIT;
	Milvus__Proto__Milvus__GetLoadStateRequest sreq = MILVUS__PROTO__MILVUS__GET_LOAD_STATE_REQUEST__INIT;
	TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
													   milvus_conn_timeout_ms(conn));

	lreq.db_name = (char *) milvus_conn_database(conn);
	lreq.collection_name = (char *) name;
	(void) milvus_call(conn, "LoadCollection", PBMSG(&lreq),
					   &milvus__proto__common__status__descriptor, true);

	sreq.db_name = lreq.db_name;
	sreq.collection_name = (char *) name;
	for (;;)
	{
		Milvus__Proto__Milvus__GetLoadStateResponse *resp;
		int			code;

		resp = (Milvus__Proto__Milvus__GetLoadStateResponse *)
			milvus_call_raw(conn, "GetLoadState", PBMSG(&sreq),
							&milvus__proto__milvus__get_load_state_response__descriptor,
							true, &code);
		if (resp == NULL)
			return;				/* no GetLoadState: it loads synchronously */
		milvus_check_status(conn, "GetLoadState", PBMSG(resp));
		if (resp->state == MILVUS__PROTO__COMMON__LOAD_STATE__LoadStateLoaded)
			return;
		if (GetCurrentTimestamp() >= deadline)
			ereport(ERROR,
					(errcode(ERRCODE_CONNECTION_FAILURE),
					 errmsg("Milvus collection \"%s\" did not finish loading within %d ms",
							name, milvus_conn_timeout_ms(conn)),
					 errhint("Raise the server's \"timeout\" option.")));
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 100, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

/*
 * A Milvus expression every entity matches, for reads and deletes of the
 * whole collection (Milvus wants an expression; 2.3 has no bare "true").
 */
char *
milvus_all_rows_expr(const char *pk_field, int pk_type)
{
	if (pk_type == DT(VarChar))
		return psprintf("%s >= \"\"", pk_field);
	return psprintf("(%s < 0 or %s >= 0)", pk_field, pk_field);
}

/* ---- auto-create ---- */

/* The Milvus scalar type for a PostgreSQL scalar type, or None. */
static int
scalar_type_for(Oid typid)
{
	switch (typid)
	{
		case BOOLOID:
			return DT(Bool);
		case INT2OID:
			return DT(Int16);
		case INT4OID:
			return DT(Int32);
		case INT8OID:
			return DT(Int64);
		case FLOAT4OID:
			return DT(Float);
		case FLOAT8OID:
			return DT(Double);
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
		case NAMEOID:
			return DT(VarChar);
		case JSONOID:
		case JSONBOID:
			return DT(JSON);
		default:
			return DT(None);
	}
}

static void
add_type_param(Milvus__Proto__Schema__FieldSchema *fs, const char *key, int value)
{
	fs->type_params = repalloc(fs->type_params,
							   sizeof(*fs->type_params) * (fs->n_type_params + 1));
	fs->type_params[fs->n_type_params++] = milvus_kv(key, psprintf("%d", value));
}

/*
 * The field a column becomes: its "type" option if it has one, else a
 * vector for the vector_field column and the natural type of the rest.
 */
static Milvus__Proto__Schema__FieldSchema *
field_for_column(Relation rel, Form_pg_attribute att, const char *field_name,
				 const MilvusTableOptions *topts, bool *is_dynamic_column)
{
	const char *relname = RelationGetRelationName(rel);
	Milvus__Proto__Schema__FieldSchema *fs = palloc(sizeof(*fs));
	Oid			typid = att->atttypid;
	Oid			elemtype = get_element_type(typid);
	char	   *type_opt = milvus_column_option(RelationGetRelid(rel), att->attnum, "type");
	bool		is_pk = topts->primary_key && strcmp(field_name, topts->primary_key) == 0;
	bool		is_vec = topts->vector_field && strcmp(field_name, topts->vector_field) == 0;
	int			t;

	milvus__proto__schema__field_schema__init(fs);
	fs->name = (char *) field_name;
	fs->type_params = palloc(sizeof(*fs->type_params));
	*is_dynamic_column = false;

	if (strcmp(field_name, "$meta") == 0)
	{
		if (typid != JSONBOID && typid != JSONOID)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"%s\" of foreign table \"%s\" holds the dynamic field \"$meta\" and must be jsonb or json",
							NameStr(att->attname), relname)));
		*is_dynamic_column = true;
		return NULL;
	}

	if (type_opt)
		t = milvus_type_from_name(type_opt);
	else if (is_vec)
		t = typid == BYTEAOID ? DT(BinaryVector) : DT(FloatVector);
	else if (OidIsValid(elemtype) && typid != NAMEOID)
		t = DT(Array);
	else
		t = scalar_type_for(typid);
	if (t == DT(Array))
		fs->element_type = scalar_type_for(elemtype);

	if (t == DT(None) || (t == DT(Array) && (fs->element_type == DT(None) ||
											 fs->element_type == DT(JSON))))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("column \"%s\" of type %s has no Milvus field type",
						NameStr(att->attname), format_type_be(typid)),
				 errhint("Milvus fields hold boolean, smallint, integer, bigint, real, double precision, text, varchar, jsonb, arrays of those, and vectors (real[], bytea, jsonb for sparse).")));
	if (!milvus_column_fits(t, fs->element_type, typid))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column \"%s\" of type %s cannot hold a Milvus %s field",
						NameStr(att->attname), format_type_be(typid), milvus_type_name(t))));
	fs->data_type = t;

	if (is_vector_type(t) && t != DT(SparseFloatVector))
	{
		if (topts->dim <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
					 errmsg("foreign table \"%s\" needs option \"dim\" to create collection \"%s\"",
							relname, topts->collection),
					 errhint("ALTER FOREIGN TABLE %s OPTIONS (ADD dim '...').", relname)));
		if (t == DT(BinaryVector) && topts->dim % 8 != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("dim %d of binary vector column \"%s\" is not a multiple of 8",
							topts->dim, NameStr(att->attname))));
		add_type_param(fs, "dim", topts->dim);
	}
	else if (t == DT(VarChar))
	{
		int			maxlen = 65535;

		/* varchar(n) is n characters: at most 4 bytes each in UTF-8 */
		if (att->atttypmod > VARHDRSZ)
			maxlen = Min(65535, (att->atttypmod - VARHDRSZ) * 4);
		add_type_param(fs, "max_length", maxlen);
	}
	else if (t == DT(Array))
	{
		add_type_param(fs, "max_capacity", 4096);
		if (fs->element_type == DT(VarChar))
			add_type_param(fs, "max_length", 65535);
	}

	if (is_pk)
	{
		/* as the connector does: small integer keys become Int64 */
		if (!type_opt && (t == DT(Int16) || t == DT(Int32)))
			fs->data_type = DT(Int64);
		if (fs->data_type != DT(Int64) && fs->data_type != DT(VarChar))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("primary key column \"%s\" has type %s",
							NameStr(att->attname), format_type_be(typid)),
					 errhint("A Milvus primary key is Int64 (bigint) or VarChar (text).")));
		fs->is_primary_key = true;
		fs->autoid = topts->auto_id;
	}
	return fs;
}

/*
 * Create the collection behind a foreign table from its columns and options,
 * index its vector field and load it.
 */
void
milvus_create_collection_for_table(MilvusConn *conn, Relation rel, const MilvusTableOptions *topts)
{
	TupleDesc	tupdesc = RelationGetDescr(rel);
	const char *relname = RelationGetRelationName(rel);
	Milvus__Proto__Schema__CollectionSchema schema = MILVUS__PROTO__SCHEMA__COLLECTION_SCHEMA__INIT;
	Milvus__Proto__Milvus__CreateCollectionRequest creq = MILVUS__PROTO__MILVUS__CREATE_COLLECTION_REQUEST__INIT;
	Milvus__Proto__Milvus__CreateIndexRequest ireq = MILVUS__PROTO__MILVUS__CREATE_INDEX_REQUEST__INIT;
	Milvus__Proto__Common__KeyValuePair *index_params[3];
	bool		has_pk = false,
				has_vec = false;
	int			vec_type = DT(FloatVector);
	const char *index_type;
	const char *metric_type;
	int			i;

	if (topts->primary_key == NULL || topts->vector_field == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("collection \"%s\" does not exist and foreign table \"%s\" cannot create it",
						topts->collection, relname),
				 errdetail("Creating a collection needs the table options primary_key, vector_field and dim."),
				 errhint("ALTER FOREIGN TABLE %s OPTIONS (ADD primary_key '...', ADD vector_field '...', ADD dim '...').",
						 relname)));

	schema.name = topts->collection;
	schema.fields = palloc(sizeof(*schema.fields) * tupdesc->natts);
	for (i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);
		char	   *fname;
		bool		dynamic;
		Milvus__Proto__Schema__FieldSchema *fs;

		if (att->attisdropped)
			continue;
		fname = milvus_column_field_name(RelationGetRelid(rel), att->attnum);
		fs = field_for_column(rel, att, fname, topts, &dynamic);
		if (dynamic)
		{
			schema.enable_dynamic_field = true;
			continue;
		}
		has_pk |= fs->is_primary_key;
		if (strcmp(fname, topts->vector_field) == 0)
		{
			has_vec = true;
			vec_type = fs->data_type;
		}
		schema.fields[schema.n_fields++] = fs;
	}
	if (!has_pk || !has_vec)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("foreign table \"%s\" has no column for %s field \"%s\"",
						relname, has_pk ? "vector" : "primary key",
						has_pk ? topts->vector_field : topts->primary_key)));

	creq.db_name = (char *) milvus_conn_database(conn);
	creq.collection_name = topts->collection;
	creq.schema.len = protobuf_c_message_get_packed_size(PBMSG(&schema));
	creq.schema.data = palloc(creq.schema.len);
	protobuf_c_message_pack(PBMSG(&schema), creq.schema.data);
	creq.consistency_level = topts->consistency_level >= 0 ?
		topts->consistency_level : (int) MILVUS_CONSISTENCY_BOUNDED;
	(void) milvus_call(conn, "CreateCollection", PBMSG(&creq),
					   &milvus__proto__common__status__descriptor, false);

	/* defaults that every server accepts for the vector's kind */
	index_type = topts->index_type ? topts->index_type :
		vec_type == DT(BinaryVector) ? "BIN_FLAT" :
		vec_type == DT(SparseFloatVector) ? "SPARSE_INVERTED_INDEX" : "AUTOINDEX";
	metric_type = topts->metric_type ? topts->metric_type :
		vec_type == DT(BinaryVector) ? "HAMMING" :
		vec_type == DT(SparseFloatVector) ? "IP" : "COSINE";
	index_params[0] = milvus_kv("index_type", index_type);
	index_params[1] = milvus_kv("metric_type", metric_type);
	index_params[2] = milvus_kv("params", "{}");
	ireq.db_name = creq.db_name;
	ireq.collection_name = topts->collection;
	ireq.field_name = topts->vector_field;
	ireq.extra_params = index_params;
	ireq.n_extra_params = 3;
	(void) milvus_call(conn, "CreateIndex", PBMSG(&ireq),
					   &milvus__proto__common__status__descriptor, false);

	milvus_load_collection(conn, topts->collection);

	milvus_collection_forget(topts->collection);
	ereport(NOTICE,
			(errmsg("created Milvus collection \"%s\" for foreign table \"%s\"",
					topts->collection, relname),
			 errdetail("Index %s with metric %s on field \"%s\" (dim %d).",
					   index_type, metric_type, topts->vector_field, topts->dim)));
}

/*
 * The metric a vector field is searched with: the table's metric_type
 * option, else that of the field's index (asked once per backend).
 */
const char *
milvus_vector_metric(MilvusRelInfo *info, const char *field)
{
	MilvusCollection *coll;
	MilvusField *f;

	if (info->metric_type)
		return info->metric_type;
	coll = milvus_collection_cached(info->conn, info->collection);
	f = milvus_find_field(coll, field);
	if (f == NULL)
		return NULL;
	if (!f->metric_known)
	{
		const char *metric = index_metric(info->conn, coll->name, field);

		f->metric = metric ? MemoryContextStrdup(GetMemoryChunkContext(coll), metric) : NULL;
		f->metric_known = true;
	}
	return f->metric;
}

/* ---- IMPORT FOREIGN SCHEMA ---- */

/* The column type (and type option) a field is read into. */
static const char *
column_type_for(MilvusField *f, const char **type_option)
{
	*type_option = NULL;
	switch (f->data_type)
	{
		case DT(Bool):
			return "boolean";
		case DT(Int8):
			*type_option = "Int8";
			return "smallint";
		case DT(Int16):
			return "smallint";
		case DT(Int32):
			return "integer";
		case DT(Int64):
			return "bigint";
		case DT(Float):
			return "real";
		case DT(Double):
			return "double precision";
		case DT(VarChar):
			/* max_length counts bytes, so it bounds the characters too */
			return f->max_length > 0 && f->max_length < 10485760 ?
				psprintf("varchar(%d)", f->max_length) : "text";
		case DT(JSON):
			return "jsonb";
		case DT(Array):
			{
				const char *elem_option;
				MilvusField elem = *f;

				elem.data_type = f->element_type;
				return psprintf("%s[]", column_type_for(&elem, &elem_option));
			}
		case DT(FloatVector):
			return "real[]";
		case DT(BinaryVector):
			return "bytea";
		case DT(Float16Vector):
			*type_option = "Float16Vector";
			return "real[]";
		case DT(BFloat16Vector):
			*type_option = "BFloat16Vector";
			return "real[]";
		case DT(SparseFloatVector):
			*type_option = "SparseFloatVector";
			return "jsonb";
		default:
			return NULL;
	}
}

/* The metric of the index on a vector field, or NULL. */
static const char *
index_metric(MilvusConn *conn, const char *collection, const char *field)
{
	Milvus__Proto__Milvus__DescribeIndexRequest req = MILVUS__PROTO__MILVUS__DESCRIBE_INDEX_REQUEST__INIT;
	Milvus__Proto__Milvus__DescribeIndexResponse *resp;
	size_t		i,
				j;
	int			code;

	req.db_name = (char *) milvus_conn_database(conn);
	req.collection_name = (char *) collection;
	req.field_name = (char *) field;
	resp = (Milvus__Proto__Milvus__DescribeIndexResponse *)
		milvus_call_raw(conn, "DescribeIndex", PBMSG(&req),
						&milvus__proto__milvus__describe_index_response__descriptor, true, &code);
	if (resp == NULL || (resp->status && (resp->status->code || resp->status->error_code)))
		return NULL;			/* no index: no metric */
	for (i = 0; i < resp->n_index_descriptions; i++)
	{
		Milvus__Proto__Milvus__IndexDescription *d = resp->index_descriptions[i];

		if (strcmp(d->field_name, field) != 0)
			continue;
		for (j = 0; j < d->n_params; j++)
			if (strcmp(d->params[j]->key, "metric_type") == 0)
				return pstrdup(d->params[j]->value);
	}
	return NULL;
}

static void
append_literal(StringInfo buf, const char *s)
{
	appendStringInfoString(buf, quote_literal_cstr(s));
}

static char *
foreign_table_sql(MilvusConn *conn, MilvusCollection *coll, const char *server,
				  const char *local_schema)
{
	StringInfoData buf;
	const char *vector_field = NULL;
	int			dim = 0;
	bool		auto_id = false;
	int			i;
	bool		first = true;

	initStringInfo(&buf);
	appendStringInfo(&buf, "CREATE FOREIGN TABLE %s (\n",
					 quote_qualified_identifier(local_schema, coll->name));
	for (i = 0; i < coll->nfields; i++)
	{
		MilvusField *f = &coll->fields[i];
		const char *type_option;
		const char *type = column_type_for(f, &type_option);
		const char *colname = f->is_dynamic ? "dynamic" : f->name;

		if (type == NULL)
		{
			ereport(NOTICE,
					(errmsg("skipping field \"%s\" of collection \"%s\": %s has no column type",
							f->name, coll->name, milvus_type_name(f->data_type))));
			continue;
		}
		appendStringInfo(&buf, "%s  %s %s", first ? "" : ",\n", quote_identifier(colname), type);
		first = false;
		if (type_option || f->is_dynamic)
		{
			appendStringInfoString(&buf, " OPTIONS (");
			if (f->is_dynamic)
				appendStringInfoString(&buf, "field '$meta'");
			else
			{
				appendStringInfoString(&buf, "type ");
				append_literal(&buf, type_option);
			}
			appendStringInfoChar(&buf, ')');
		}
		if (!f->nullable && !f->is_dynamic)
			appendStringInfoString(&buf, " NOT NULL");
		if (f->is_primary_key)
			auto_id = f->auto_id;
		if (vector_field == NULL && f->data_type >= DT(BinaryVector))
		{
			vector_field = f->name;
			dim = f->dim;
		}
	}
	appendStringInfo(&buf, "\n) SERVER %s\nOPTIONS (collection ", quote_identifier(server));
	append_literal(&buf, coll->name);
	if (coll->pk_index >= 0)
	{
		appendStringInfoString(&buf, ", primary_key ");
		append_literal(&buf, coll->fields[coll->pk_index].name);
	}
	if (vector_field)
	{
		const char *metric = index_metric(conn, coll->name, vector_field);

		appendStringInfoString(&buf, ", vector_field ");
		append_literal(&buf, vector_field);
		if (dim > 0)
			appendStringInfo(&buf, ", dim '%d'", dim);
		if (metric)
		{
			appendStringInfoString(&buf, ", metric_type ");
			append_literal(&buf, metric);
		}
	}
	if (auto_id)
		appendStringInfoString(&buf, ", auto_id 'true'");
	appendStringInfoString(&buf, ")");
	return buf.data;
}

List *
milvusImportForeignSchema(ImportForeignSchemaStmt *stmt, Oid serverOid)
{
	ForeignServer *server = GetForeignServer(serverOid);
	MilvusConn *conn = milvus_get_connection(server, GetUserId());
	Milvus__Proto__Milvus__ShowCollectionsRequest req = MILVUS__PROTO__MILVUS__SHOW_COLLECTIONS_REQUEST__INIT;
	Milvus__Proto__Milvus__ShowCollectionsResponse *resp;
	List	   *commands = NIL;
	size_t		i;

	if (strcmp(stmt->remote_schema, milvus_conn_database(conn)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_SCHEMA_NOT_FOUND),
				 errmsg("server \"%s\" reads Milvus database \"%s\", not \"%s\"",
						server->servername, milvus_conn_database(conn), stmt->remote_schema),
				 errhint("Import FROM SERVER a server whose \"database\" option is \"%s\".",
						 stmt->remote_schema)));

	req.db_name = (char *) milvus_conn_database(conn);
	resp = (Milvus__Proto__Milvus__ShowCollectionsResponse *)
		milvus_call(conn, "ShowCollections", PBMSG(&req),
					&milvus__proto__milvus__show_collections_response__descriptor, true);
	for (i = 0; i < resp->n_collection_names; i++)
	{
		const char *name = resp->collection_names[i];
		bool		listed = false;
		ListCell   *lc;
		MilvusCollection *coll;

		foreach(lc, stmt->table_list)
			if (strcmp(((RangeVar *) lfirst(lc))->relname, name) == 0)
				listed = true;
		if ((stmt->list_type == FDW_IMPORT_SCHEMA_LIMIT_TO && !listed) ||
			(stmt->list_type == FDW_IMPORT_SCHEMA_EXCEPT && listed))
			continue;
		coll = milvus_describe_collection(conn, name, true);
		if (coll == NULL)
			continue;			/* dropped meanwhile */
		commands = lappend(commands,
						   foreign_table_sql(conn, coll, server->servername, stmt->local_schema));
	}
	return commands;
}
