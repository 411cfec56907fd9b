/*-------------------------------------------------------------------------
 *
 * admin.c
 *		SQL functions that ask a Milvus server about itself: its version and
 *		its collections.  Not for table access (see scan.c and modify.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"

#include "milvus_fdw.h"
#include "grpc_call.h"
#include "milvus.pb-c.h"

PG_FUNCTION_INFO_V1(milvus_fdw_version);
PG_FUNCTION_INFO_V1(milvus_server_version);
PG_FUNCTION_INFO_V1(milvus_list_collections);
PG_FUNCTION_INFO_V1(milvus_create_collection);
PG_FUNCTION_INFO_V1(milvus_drop_collection);

Datum
milvus_fdw_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(MILVUS_FDW_VERSION));
}

Datum
milvus_server_version(PG_FUNCTION_ARGS)
{
	MilvusConn *conn = milvus_get_connection_by_name(NameStr(*PG_GETARG_NAME(0)));

	PG_RETURN_TEXT_P(cstring_to_text(milvus_conn_server_version(conn, true)));
}

Datum
milvus_list_collections(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MilvusConn *conn = milvus_get_connection_by_name(NameStr(*PG_GETARG_NAME(0)));
	Milvus__Proto__Milvus__ShowCollectionsRequest req = MILVUS__PROTO__MILVUS__SHOW_COLLECTIONS_REQUEST__INIT;
	Milvus__Proto__Milvus__ShowCollectionsResponse *resp;
	size_t		i;

	/* SETOF text: the one-column descriptor the executor expects */
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	req.db_name = (char *) milvus_conn_database(conn);
	resp = (Milvus__Proto__Milvus__ShowCollectionsResponse *)
		milvus_call(conn, "ShowCollections", PBMSG(&req),
					&milvus__proto__milvus__show_collections_response__descriptor, true);
	for (i = 0; i < resp->n_collection_names; i++)
	{
		Datum		value = CStringGetTextDatum(resp->collection_names[i]);
		bool		isnull = false;

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &value, &isnull);
	}
	PG_RETURN_VOID();
}

/* The foreign table's relation, options and connection, checked. */
static Relation
open_milvus_table(Oid relid, MilvusTableOptions *topts, MilvusConn **conn)
{
	Relation	rel = table_open(relid, AccessShareLock);
	ForeignTable *table;

	if (rel->rd_rel->relkind != RELKIND_FOREIGN_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a foreign table", RelationGetRelationName(rel))));
	table = GetForeignTable(relid);
	milvus_table_options(table, topts);
	*conn = milvus_get_connection_by_name(GetForeignServer(table->serverid)->servername);
	return rel;
}

/*
 * Create the collection behind a foreign table, as its first INSERT would.
 */
Datum
milvus_create_collection(PG_FUNCTION_ARGS)
{
	MilvusTableOptions topts;
	MilvusConn *conn;
	Relation	rel = open_milvus_table(PG_GETARG_OID(0), &topts, &conn);

	if (milvus_describe_collection(conn, topts.collection, true) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_TABLE),
				 errmsg("Milvus collection \"%s\" already exists", topts.collection)));
	milvus_create_collection_for_table(conn, rel, &topts);
	table_close(rel, AccessShareLock);
	PG_RETURN_VOID();
}

/*
 * Drop the collection behind a foreign table; the foreign table stays.
 */
Datum
milvus_drop_collection(PG_FUNCTION_ARGS)
{
	MilvusTableOptions topts;
	MilvusConn *conn;
	Relation	rel = open_milvus_table(PG_GETARG_OID(0), &topts, &conn);
	bool		missing_ok = PG_GETARG_BOOL(1);
	Milvus__Proto__Milvus__DropCollectionRequest req = MILVUS__PROTO__MILVUS__DROP_COLLECTION_REQUEST__INIT;

	if (milvus_describe_collection(conn, topts.collection, true) == NULL)
	{
		if (!missing_ok)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_TABLE_NOT_FOUND),
					 errmsg("Milvus collection \"%s\" does not exist", topts.collection)));
		table_close(rel, AccessShareLock);
		PG_RETURN_BOOL(false);
	}
	req.db_name = (char *) milvus_conn_database(conn);
	req.collection_name = topts.collection;
	(void) milvus_call(conn, "DropCollection", PBMSG(&req),
					   &milvus__proto__common__status__descriptor, false);
	milvus_collection_forget(topts.collection);
	table_close(rel, AccessShareLock);
	PG_RETURN_BOOL(true);
}
