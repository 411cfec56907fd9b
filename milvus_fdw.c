/*-------------------------------------------------------------------------
 *
 * milvus_fdw.c
 *		Entry points of milvus_fdw: the module, its GUCs and the handler
 *		that wires PostgreSQL's FDW callbacks to the modules in src/.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "executor/executor.h"
#include "foreign/fdwapi.h"
#include "foreign/foreign.h"
#include "optimizer/pathnode.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "utils/lsyscache.h"
#include "utils/guc.h"
#include "utils/rel.h"

#include "milvus_fdw.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(milvus_fdw_handler);

void		_PG_init(void);

static const struct config_enum_entry insert_method_options[] = {
	{"table", -1, false},
	{"insert", MILVUS_INSERT_INSERT, false},
	{"import", MILVUS_INSERT_IMPORT, false},
	{NULL, 0, false}
};

int			milvus_insert_method = -1;

void
_PG_init(void)
{
	/* gRPC starts lazily on the first call, never here */
	DefineCustomIntVariable("milvus_fdw.fetch_size",
							"Rows per Milvus Query page when reading a collection.",
							"Milvus caps a page at 16384 rows.",
							&milvus_fetch_size,
							8192, 1, 16384,
							PGC_USERSET, 0,
							NULL, NULL, NULL);
	DefineCustomStringVariable("milvus_fdw.search_params",
							   "Milvus search parameters, as JSON.",
							   "Passed as the \"params\" of every search, e.g. {\"ef\": 64} for HNSW or {\"nprobe\": 16} for IVF.",
							   &milvus_search_params,
							   "",
							   PGC_USERSET, 0,
							   NULL, NULL, NULL);
	DefineCustomIntVariable("milvus_fdw.binlog_min_rows",
							"Collections with at least this many rows are read from binlogs by scan_method 'auto'.",
							"Below it a Query scan is cheaper than the Flush a binlog scan starts with.",
							&milvus_binlog_min_rows,
							50000, 0, INT_MAX,
							PGC_USERSET, 0,
							NULL, NULL, NULL);
	DefineCustomBoolVariable("milvus_fdw.log_stats",
							 "Log this session's Milvus call counters at each commit.",
							 "One LOG line per commit that made calls, as milvus_fdw_stats() shows them.",
							 &milvus_log_stats,
							 false,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);
	milvus_register_log_stats();
	DefineCustomEnumVariable("milvus_fdw.insert_method",
							 "How INSERT and COPY send rows: the table's option, Insert calls, or a bulk Import.",
							 "\"table\" follows each foreign table's insert_method option.",
							 &milvus_insert_method,
							 -1, insert_method_options,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);
	MarkGUCPrefixReserved("milvus_fdw");
}

Datum
milvus_fdw_handler(PG_FUNCTION_ARGS)
{
	FdwRoutine *routine = makeNode(FdwRoutine);

	routine->GetForeignRelSize = milvusGetForeignRelSize;
	routine->GetForeignPaths = milvusGetForeignPaths;
	routine->GetForeignPlan = milvusGetForeignPlan;
	routine->BeginForeignScan = milvusBeginForeignScan;
	routine->IterateForeignScan = milvusIterateForeignScan;
	routine->ReScanForeignScan = milvusReScanForeignScan;
	routine->EndForeignScan = milvusEndForeignScan;
	routine->ExplainForeignScan = milvusExplainForeignScan;
	routine->AnalyzeForeignTable = milvusAnalyzeForeignTable;

	routine->PlanForeignModify = milvusPlanForeignModify;
	routine->BeginForeignModify = milvusBeginForeignModify;
	routine->ExecForeignInsert = milvusExecForeignInsert;
	routine->EndForeignModify = milvusEndForeignModify;
	routine->BeginForeignInsert = milvusBeginForeignInsert;
	routine->EndForeignInsert = milvusEndForeignInsert;
	routine->IsForeignRelUpdatable = milvusIsForeignRelUpdatable;
	routine->AddForeignUpdateTargets = milvusAddForeignUpdateTargets;
	routine->ExecForeignUpdate = milvusExecForeignUpdate;
	routine->ExecForeignDelete = milvusExecForeignDelete;
	routine->ExecForeignTruncate = milvusExecForeignTruncate;
	routine->PlanDirectModify = milvusPlanDirectModify;
	routine->BeginDirectModify = milvusBeginDirectModify;
	routine->IterateDirectModify = milvusIterateDirectModify;
	routine->EndDirectModify = milvusEndDirectModify;
	routine->ExplainDirectModify = milvusExplainForeignScan;
	routine->ImportForeignSchema = milvusImportForeignSchema;
	routine->GetForeignUpperPaths = milvusGetForeignUpperPaths;
	routine->IsForeignScanParallelSafe = milvusIsForeignScanParallelSafe;
	routine->EstimateDSMForeignScan = milvusEstimateDSMForeignScan;
	routine->InitializeDSMForeignScan = milvusInitializeDSMForeignScan;
	routine->ReInitializeDSMForeignScan = milvusReInitializeDSMForeignScan;
	routine->InitializeWorkerForeignScan = milvusInitializeWorkerForeignScan;

	PG_RETURN_POINTER(routine);
}
