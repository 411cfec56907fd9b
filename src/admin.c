/*-------------------------------------------------------------------------
 *
 * admin.c
 *		SQL functions that ask a Milvus server about itself: its version and
 *		its collections.  Not for table access (see scan.c and modify.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

#include "milvus_fdw.h"
#include "grpc_call.h"
#include "milvus.pb-c.h"

PG_FUNCTION_INFO_V1(milvus_fdw_version);
PG_FUNCTION_INFO_V1(milvus_server_version);
PG_FUNCTION_INFO_V1(milvus_list_collections);

Datum
milvus_fdw_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(MILVUS_FDW_VERSION));
}

/*
 * GetVersion; servers without it (Milvus Lite 2.4/2.5) answer Connect, whose
 * server_info carries the build tags.
 */
Datum
milvus_server_version(PG_FUNCTION_ARGS)
{
	MilvusConn *conn = milvus_get_connection_by_name(NameStr(*PG_GETARG_NAME(0)));
	Milvus__Proto__Milvus__GetVersionRequest req = MILVUS__PROTO__MILVUS__GET_VERSION_REQUEST__INIT;
	Milvus__Proto__Milvus__GetVersionResponse *resp;
	Milvus__Proto__Milvus__ConnectRequest creq = MILVUS__PROTO__MILVUS__CONNECT_REQUEST__INIT;
	Milvus__Proto__Milvus__ConnectResponse *cresp;
	int			code;

	resp = (Milvus__Proto__Milvus__GetVersionResponse *)
		milvus_call_raw(conn, "GetVersion", PBMSG(&req),
						&milvus__proto__milvus__get_version_response__descriptor,
						true, &code);
	if (resp)
	{
		milvus_check_status(conn, "GetVersion", PBMSG(resp));
		PG_RETURN_TEXT_P(cstring_to_text(resp->version ? resp->version : ""));
	}
	if (code != MV_GRPC_UNIMPLEMENTED)
		(void) milvus_call(conn, "GetVersion", PBMSG(&req),
						   &milvus__proto__milvus__get_version_response__descriptor, true);

	cresp = (Milvus__Proto__Milvus__ConnectResponse *)
		milvus_call(conn, "Connect", PBMSG(&creq),
					&milvus__proto__milvus__connect_response__descriptor, true);
	if (cresp->server_info && cresp->server_info->build_tags &&
		cresp->server_info->build_tags[0])
		PG_RETURN_TEXT_P(cstring_to_text(cresp->server_info->build_tags));
	PG_RETURN_TEXT_P(cstring_to_text("unknown"));
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
