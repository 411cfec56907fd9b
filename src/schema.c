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
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

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

const char *
milvus_type_name(int data_type)
{
	switch (data_type)
	{
		case DT(Bool):
			return "Bool";
		case DT(Int8):
			return "Int8";
		case DT(Int16):
			return "Int16";
		case DT(Int32):
			return "Int32";
		case DT(Int64):
			return "Int64";
		case DT(Float):
			return "Float";
		case DT(Double):
			return "Double";
		case DT(VarChar):
			return "VarChar";
		case DT(Array):
			return "Array";
		case DT(JSON):
			return "JSON";
		case DT(BinaryVector):
			return "BinaryVector";
		case DT(FloatVector):
			return "FloatVector";
		case DT(Float16Vector):
			return "Float16Vector";
		case DT(BFloat16Vector):
			return "BFloat16Vector";
		case DT(SparseFloatVector):
			return "SparseFloatVector";
		default:
			return psprintf("type %d", data_type);
	}
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
	coll->nfields = n;
	return coll;
}

MilvusField *
milvus_find_field(MilvusCollection *coll, const char *name)
{
	int			i;

	for (i = 0; i < coll->nfields; i++)
		if (strcmp(coll->fields[i].name, name) == 0)
			return &coll->fields[i];
	return NULL;
}

/* ---- auto-create ---- */

static Milvus__Proto__Common__KeyValuePair *
kv(const char *key, const char *value)
{
	Milvus__Proto__Common__KeyValuePair *p = palloc(sizeof(*p));

	milvus__proto__common__key_value_pair__init(p);
	p->key = (char *) key;
	p->value = (char *) value;
	return p;
}

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
	fs->type_params[fs->n_type_params++] = kv(key, psprintf("%d", value));
}

static Milvus__Proto__Schema__FieldSchema *
field_for_column(Form_pg_attribute att, const char *field_name,
				 const MilvusTableOptions *topts, const char *relname,
				 bool *is_dynamic_column)
{
	Milvus__Proto__Schema__FieldSchema *fs = palloc(sizeof(*fs));
	Oid			typid = att->atttypid;
	Oid			elemtype = get_element_type(typid);
	bool		is_pk = topts->primary_key && strcmp(field_name, topts->primary_key) == 0;
	bool		is_vec = topts->vector_field && strcmp(field_name, topts->vector_field) == 0;

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

	if (is_vec)
	{
		if (topts->dim <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
					 errmsg("foreign table \"%s\" needs option \"dim\" to create collection \"%s\"",
							relname, topts->collection),
					 errhint("ALTER FOREIGN TABLE %s OPTIONS (ADD dim '...').", relname)));
		if (elemtype == FLOAT4OID || elemtype == FLOAT8OID || elemtype == NUMERICOID)
			fs->data_type = DT(FloatVector);
		else if (typid == BYTEAOID)
		{
			if (topts->dim % 8 != 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("dim %d of binary vector column \"%s\" is not a multiple of 8",
								topts->dim, NameStr(att->attname))));
			fs->data_type = DT(BinaryVector);
		}
		else
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("vector column \"%s\" of foreign table \"%s\" has type %s",
							NameStr(att->attname), relname, format_type_be(typid)),
					 errhint("Use real[] for a FloatVector field or bytea for a BinaryVector field.")));
		add_type_param(fs, "dim", topts->dim);
		return fs;
	}

	if (OidIsValid(elemtype) && typid != NAMEOID)
	{
		int			et = scalar_type_for(elemtype);

		if (et == DT(None) || et == DT(JSON))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("column \"%s\" of type %s has no Milvus field type",
							NameStr(att->attname), format_type_be(typid))));
		fs->data_type = DT(Array);
		fs->element_type = et;
		add_type_param(fs, "max_capacity", 4096);
		if (et == DT(VarChar))
			add_type_param(fs, "max_length", 65535);
	}
	else
	{
		fs->data_type = scalar_type_for(typid);
		if (fs->data_type == DT(None))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("column \"%s\" of type %s has no Milvus field type",
							NameStr(att->attname), format_type_be(typid)),
					 errhint("Milvus fields hold boolean, smallint, integer, bigint, real, double precision, text, varchar, jsonb, arrays of those, and vectors (real[], bytea).")));
		if (fs->data_type == DT(VarChar))
		{
			int			maxlen = 65535;

			/* varchar(n) is n characters: at most 4 bytes each in UTF-8 */
			if (att->atttypmod > VARHDRSZ)
				maxlen = Min(65535, (att->atttypmod - VARHDRSZ) * 4);
			add_type_param(fs, "max_length", maxlen);
		}
	}

	if (is_pk)
	{
		if (fs->data_type == DT(Int16) || fs->data_type == DT(Int32))
			fs->data_type = DT(Int64);	/* as the connector does */
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
	Milvus__Proto__Milvus__LoadCollectionRequest lreq = MILVUS__PROTO__MILVUS__LOAD_COLLECTION_REQUEST__INIT;
	Milvus__Proto__Common__KeyValuePair *index_params[3];
	bool		has_pk = false,
				has_vec = false;
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
		fs = field_for_column(att, fname, topts, relname, &dynamic);
		if (dynamic)
		{
			schema.enable_dynamic_field = true;
			continue;
		}
		has_pk |= fs->is_primary_key;
		has_vec |= strcmp(fname, topts->vector_field) == 0;
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

	index_params[0] = kv("index_type", topts->index_type);
	index_params[1] = kv("metric_type", topts->metric_type);
	index_params[2] = kv("params", "{}");
	ireq.db_name = creq.db_name;
	ireq.collection_name = topts->collection;
	ireq.field_name = topts->vector_field;
	ireq.extra_params = index_params;
	ireq.n_extra_params = 3;
	(void) milvus_call(conn, "CreateIndex", PBMSG(&ireq),
					   &milvus__proto__common__status__descriptor, false);

	lreq.db_name = creq.db_name;
	lreq.collection_name = topts->collection;
	(void) milvus_call(conn, "LoadCollection", PBMSG(&lreq),
					   &milvus__proto__common__status__descriptor, true);

	ereport(NOTICE,
			(errmsg("created Milvus collection \"%s\" for foreign table \"%s\"",
					topts->collection, relname),
			 errdetail("Index %s with metric %s on field \"%s\" (dim %d).",
					   topts->index_type, topts->metric_type, topts->vector_field, topts->dim)));
}
