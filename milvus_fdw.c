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
#include "utils/rel.h"

#include "milvus_fdw.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(milvus_fdw_handler);

void		_PG_init(void);

void
_PG_init(void)
{
	/* nothing to set up yet: gRPC starts lazily on the first call */
}

/* ---- scans: planned, not yet executed (the read path comes next) ---- */

static void
milvusGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	baserel->rows = 1000;
}

static void
milvusGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	add_path(baserel, (Path *)
			 create_foreignscan_path(root, baserel, NULL, baserel->rows,
									 10, 10 + baserel->rows, NIL,
									 baserel->lateral_relids, NULL, NIL));
}

static ForeignScan *
milvusGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid,
					 ForeignPath *best_path, List *tlist, List *scan_clauses,
					 Plan *outer_plan)
{
	scan_clauses = extract_actual_clauses(scan_clauses, false);
	return make_foreignscan(tlist, scan_clauses, baserel->relid, NIL, NIL,
							NIL, NIL, outer_plan);
}

static void
milvusBeginForeignScan(ForeignScanState *node, int eflags)
{
	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("reading foreign table \"%s\" is not supported yet",
					RelationGetRelationName(node->ss.ss_currentRelation))));
}

static TupleTableSlot *
milvusIterateForeignScan(ForeignScanState *node)
{
	return ExecClearTuple(node->ss.ss_ScanTupleSlot);
}

static void
milvusReScanForeignScan(ForeignScanState *node)
{
}

static void
milvusEndForeignScan(ForeignScanState *node)
{
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

	routine->PlanForeignModify = milvusPlanForeignModify;
	routine->BeginForeignModify = milvusBeginForeignModify;
	routine->ExecForeignInsert = milvusExecForeignInsert;
	routine->EndForeignModify = milvusEndForeignModify;
	routine->BeginForeignInsert = milvusBeginForeignInsert;
	routine->EndForeignInsert = milvusEndForeignInsert;
	routine->IsForeignRelUpdatable = milvusIsForeignRelUpdatable;

	PG_RETURN_POINTER(routine);
}
