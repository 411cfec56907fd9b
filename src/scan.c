/*-------------------------------------------------------------------------
 *
 * scan.c
 *		Reading a Milvus collection: planner callbacks that decide what
 *		Milvus evaluates, and an executor that pages through Query results.
 *
 * A scan asks Query for only the fields it needs, with the pushable WHERE
 * clauses as the Milvus expression, and pages by primary-key cursor
 * (`pk > last`), so collections far beyond Milvus's 16384-row window are
 * read whole, each row once.  Pages are fetched lazily, one at a time.
 * Servers that do not return pages in primary-key order (Milvus Lite 3.x)
 * are paged by offset instead.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "access/sysattr.h"
#include "access/table.h"
#include "catalog/pg_type.h"
#include "commands/explain.h"
#include "executor/executor.h"
#include "foreign/fdwapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "optimizer/tlist.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "milvus_fdw.h"
#include "milvus.pb-c.h"

#define DT(x) MILVUS__PROTO__SCHEMA__DATA_TYPE__##x

/* Milvus's status code for "collection not loaded" (2.3+ and Lite 3.x). */
#define MILVUS_CODE_NOT_LOADED 101

/* Offset pages (Milvus Lite) are this many fetch_size pages long. */
#define MILVUS_OFFSET_PAGES 8

/* Rows per Query page; Milvus caps limit + offset at 16384. */
int			milvus_fetch_size = 8192;
/* Collections this big are read from binlogs by scan_method 'auto'. */
int			milvus_binlog_min_rows = 50000;

/* Search parameters (JSON), e.g. {"ef": 64} or {"nprobe": 16}. */
char	   *milvus_search_params = "";

/* Indexes of ForeignScan->fdw_private. */
enum ScanPrivateIndex
{
	ScanPrivateCollection,		/* String: collection name */
	ScanPrivateAttnums,			/* IntList: attnums to fetch */
	ScanPrivateAlwaysFalse,		/* Integer: a pushed qual is constant false */
	ScanPrivateLimit,			/* Integer: rows to return at most, -1 = all */
	ScanPrivateOffset,			/* Integer: rows to skip first */
	ScanPrivateMode,			/* Integer: MILVUS_SCAN_* */
	ScanPrivateRelid,			/* Oid of the foreign table */
	ScanPrivateSearchKind,		/* Integer: MILVUS_SEARCH_*, or -1 */
	ScanPrivateSearchField,		/* String: the vector field searched */
	ScanPrivateNumConds,		/* Integer: fdw_exprs that are WHERE clauses */
	ScanPrivateRtIndex,			/* Integer: range table index of the table */
	ScanPrivateUpperConds,		/* List: pushed WHERE of an upper-rel scan */
	ScanPrivateMethod,			/* Integer: MILVUS_METHOD_QUERY or _BINLOG */
	ScanPrivateMethodReason		/* String: why, "" if no choice was made */
};

/* Executor state of one scan. */
typedef struct MilvusScanState
{
	MilvusConn *conn;
	MilvusRelInfo *info;
	char	   *collection;
	char	   *user_expr;		/* the pushed WHERE, "" if none */
	Relation	rel;			/* the foreign table */
	bool		own_rel;		/* opened here (upper-rel scans) */
	int			mode;			/* MILVUS_SCAN_* */
	int64		skip;			/* OFFSET rows still to skip */
	int			search_kind;
	char	   *search_field;
	List	   *cond_exprs;		/* pushed WHERE clauses (fdw_exprs prefix) */
	ExprState  *query_vector;	/* the search's vector, evaluated at start */
	List	   *attnums;		/* columns to fill */
	int		   *slot_pos;		/* per column: its place in the scan tuple */
	int			distance_pos;	/* where a search's distance goes, or -1 */
	int			method;			/* MILVUS_METHOD_QUERY or _BINLOG */
	char	   *method_reason;
	MilvusBinlogScan *binlog;	/* the binlog reader, for MILVUS_METHOD_BINLOG */
	void	   *binlog_plan;	/* parallel leader: planned, not yet in DSM */
	uint64		min_read_ts;	/* a Query sees at least this (binlog fallback) */
	char	  **fields;			/* their fields (output_fields) */
	int			nfields;
	bool		always_false;
	int64		limit;			/* -1: no limit */
	int64		returned;
	bool		offset_paging;	/* server pages are not PK-ordered */
	int64		offset;
	int			consistency_level;	/* the table's option, or -1 */
	bool		use_default;	/* the collection's own level */
	char	   *search_params;	/* the table's option, or NULL */
	uint64		guarantee_ts;	/* what every request of the scan sees */
	bool		strong_direct;	/* one request at Strong: Milvus picks the time */

	/* the current page */
	MemoryContext page_cxt;
	bool		have_page;
	size_t		page_nfields;
	Milvus__Proto__Schema__FieldData **page_fields;
	Milvus__Proto__Schema__FieldData **page_cols;	/* per fetched column */
	int		  **page_value_index;	/* row -> value, for compact nullable columns */
	Milvus__Proto__Schema__FieldData *page_pk;
	float	   *page_scores;	/* a search's scores, best first */
	int			page_rows;
	int			next_row;
	bool		done;
	bool		last_page;		/* offset paging: no page after this one */

	/* the cursor: last primary key returned */
	bool		have_cursor;
	int64		cursor_int;
	char	   *cursor_str;
} MilvusScanState;

static bool fetch_page(MilvusScanState *st);
static TupleTableSlot *query_row(MilvusScanState *st, ForeignScanState *node,
								 TupleTableSlot *slot);

/* ---- planning ---- */

/*
 * What milvus_fdw knows of a foreign table: each column's field and type,
 * the primary key.  Planning and execution both build it; planning and
 * ANALYZE add the row count.
 */
static MilvusRelInfo *
make_rel_info(MilvusConn *conn, Relation rel, Index relindex, const char *collection)
{
	MilvusRelInfo *info = palloc0(sizeof(MilvusRelInfo));
	MilvusCollection *coll = milvus_collection_cached(conn, collection);
	TupleDesc	tupdesc = RelationGetDescr(rel);
	int			i;

	info->relid = RelationGetRelid(rel);
	info->relindex = relindex;
	info->conn = conn;
	info->collection = pstrdup(collection);
	if (coll->pk_index < 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("Milvus collection \"%s\" has no primary key", collection)));
	/* copies: the cached description may be dropped at any invalidation */
	info->pk_field = pstrdup(coll->fields[coll->pk_index].name);
	info->pk_type = coll->fields[coll->pk_index].data_type;
	info->ncolumns = tupdesc->natts;
	info->columns = palloc0(sizeof(MilvusScanColumn) * (tupdesc->natts + 1));
	for (i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);
		MilvusScanColumn *col = &info->columns[i];
		MilvusField *field;

		col->attnum = att->attnum;
		col->name = pstrdup(NameStr(att->attname));
		col->typid = att->atttypid;
		col->collation = att->attcollation;
		if (att->attisdropped)
			continue;
		field = milvus_find_field(coll, milvus_column_field_name(info->relid, att->attnum));
		if (field == NULL)
			continue;			/* reads as NULL; never pushed */
		col->field = pstrdup(field->name);
		col->data_type = field->data_type;
		col->element_type = field->element_type;
		col->nullable = field->nullable;
		col->is_primary_key = field->is_primary_key;
	}
	return info;
}

/* The connection a scan of this table uses, as the checking user. */
static MilvusConn *
scan_connection(Oid relid, Oid userid, MilvusTableOptions *topts)
{
	ForeignTable *table = GetForeignTable(relid);

	milvus_table_options(table, topts);
	return milvus_get_connection(GetForeignServer(table->serverid),
								 OidIsValid(userid) ? userid : GetUserId());
}

static bool
is_const_false(Expr *clause)
{
	return IsA(clause, Const) && !((Const *) clause)->constisnull &&
		!DatumGetBool(((Const *) clause)->constvalue);
}

/* The server keeps Milvus's object storage in its options. */
static bool
server_has_storage(Oid foreigntableid)
{
	MilvusServerOptions sopts;

	milvus_server_options(GetForeignServer(GetForeignTable(foreigntableid)->serverid), &sopts);
	return sopts.storage_path != NULL || sopts.storage_endpoint != NULL;
}

/*
 * Query or binlog export.  'auto' reads binlogs when the whole collection
 * is wanted (no WHERE clause for Milvus) and it is big enough to pay for
 * the Flush a binlog scan starts with; a binlog scan filters every WHERE
 * clause locally.
 */
static void
choose_scan_method(RelOptInfo *baserel, MilvusRelInfo *info, Oid foreigntableid,
				   MilvusTableOptions *topts)
{
	bool		has_storage = server_has_storage(foreigntableid);
	const char *version;

	info->scan_method = MILVUS_METHOD_QUERY;
	if (topts->scan_method == MILVUS_METHOD_QUERY)
	{
		info->method_reason = has_storage ? "table option scan_method 'query'" : NULL;
		return;
	}
	if (!has_storage)
	{
		if (topts->scan_method == MILVUS_METHOD_BINLOG)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
					 errmsg("scan_method 'binlog' of foreign table \"%s\" needs Milvus's object storage",
							get_rel_name(foreigntableid)),
					 errhint("Set the server's storage_path (local storage) or storage_endpoint (MinIO/S3).")));
		return;
	}
	version = milvus_conn_server_version(info->conn, false);
	/* the choice, and a binlog scan's parallel costing, want today's count */
	info->row_count = milvus_collection_row_count(info->conn, info->collection, true);
	if (topts->scan_method == MILVUS_METHOD_BINLOG)
	{
		if (topts->partition)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					 errmsg("scan_method 'binlog' of foreign table \"%s\" cannot read only partition \"%s\"",
							get_rel_name(foreigntableid), topts->partition),
					 errhint("Use scan_method 'query' or 'auto' for a table bound to a partition.")));
		info->scan_method = MILVUS_METHOD_BINLOG;
		info->method_reason = "table option scan_method 'binlog'";
		/* Milvus filters nothing: every clause is checked here */
		info->local_conds = list_concat(info->local_conds, info->remote_conds);
		info->remote_conds = NIL;
		info->always_false = false;
		return;
	}
	if (version && strncmp(version, "milvus_lite", 11) == 0)
		info->method_reason = "Milvus Lite keeps no binlogs";
	else if (topts->partition)
		info->method_reason = "the table reads one partition";
	else if (info->remote_conds != NIL)
		info->method_reason = "a WHERE clause goes to Milvus";
	else if (info->row_count < milvus_binlog_min_rows)
		info->method_reason = psprintf("%.0f rows, fewer than milvus_fdw.binlog_min_rows",
									   info->row_count);
	else
	{
		info->scan_method = MILVUS_METHOD_BINLOG;
		info->method_reason = "whole collection";
	}
}

void
milvusGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	MilvusTableOptions topts;
	MilvusConn *conn = scan_connection(foreigntableid, baserel->userid, &topts);
	Relation	rel = table_open(foreigntableid, NoLock);
	MilvusRelInfo *info = make_rel_info(conn, rel, baserel->relid, topts.collection);
	ListCell   *lc;
	Selectivity sel;

	table_close(rel, NoLock);
	/* planning's alone: the executor never needs the count */
	info->row_count = milvus_collection_row_count(conn, topts.collection, false);
	info->metric_type = topts.metric_type;

	baserel->fdw_private = info;
	milvus_classify_conditions(root, baserel, baserel->baserestrictinfo,
							   &info->remote_conds, &info->local_conds);
	foreach(lc, info->remote_conds)
		if (is_const_false(lfirst_node(RestrictInfo, lc)->clause))
			info->always_false = true;

	choose_scan_method(baserel, info, foreigntableid, &topts);

	sel = clauselist_selectivity(root, extract_actual_clauses(baserel->baserestrictinfo, false),
								 baserel->relid, JOIN_INNER, NULL);
	baserel->tuples = Max(info->row_count, 1);
	baserel->rows = info->always_false ? 0 : clamp_row_est(baserel->tuples * sel);
}

/* Cost of reading `rows` rows: a round trip per page plus transfer. */
static void
estimate_costs(RelOptInfo *baserel, double rows, Cost *startup, Cost *total)
{
	double		pages = ceil(Max(rows, 1) / milvus_fetch_size);

	*startup = 25.0;
	*total = *startup + pages * 10.0 + rows * (cpu_tuple_cost + 0.01 * baserel->reltarget->width / 8);
}

/*
 * Cost of a binlog scan: the Flush and listing first, then decoding every
 * row of the collection (the filter is local), cheaper per row than a
 * Query page's transfer and conversion.
 */
static void
estimate_binlog_costs(RelOptInfo *baserel, double divisor, Cost *startup, Cost *total)
{
	double		tuples = baserel->tuples;

	*startup = 500.0;
	*total = *startup + tuples * (cpu_tuple_cost + 0.0001 * baserel->reltarget->width) / divisor;
}

void
milvusGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	MilvusRelInfo *info = baserel->fdw_private;
	Cost		startup,
				total;
	ForeignPath *path;
	int			workers;

	if (info->scan_method == MILVUS_METHOD_QUERY)
	{
		estimate_costs(baserel, baserel->rows, &startup, &total);
		path = create_foreignscan_path(root, baserel, NULL, baserel->rows,
									   startup, total, NIL,
									   baserel->lateral_relids, NULL, NIL);
		/* Query scans read as the leader's session: never in a worker */
		path->path.parallel_safe = false;
		add_path(baserel, (Path *) path);
		return;
	}

	estimate_binlog_costs(baserel, 1.0, &startup, &total);
	add_path(baserel, (Path *)
			 create_foreignscan_path(root, baserel, NULL, baserel->rows,
									 startup, total, NIL,
									 baserel->lateral_relids, NULL, NIL));

	/* a parallel scan shares out the batches: a worker per 50k rows */
	if (!baserel->consider_parallel || baserel->lateral_relids)
		return;
	workers = Min(max_parallel_workers_per_gather, (int) (baserel->tuples / 50000.0));
	if (workers <= 0)
		return;
	{
		double		divisor = workers;

		if (parallel_leader_participation && workers < 4)
			divisor += 1.0 - 0.3 * workers;
		estimate_binlog_costs(baserel, divisor, &startup, &total);
		path = create_foreignscan_path(root, baserel, NULL,
									   clamp_row_est(baserel->rows / divisor),
									   startup, total, NIL,
									   baserel->lateral_relids, NULL, NIL);
		path->path.parallel_aware = true;
		path->path.parallel_safe = true;
		path->path.parallel_workers = workers;
		add_partial_path(baserel, (Path *) path);
	}
}

/* Parallel plans only read binlogs; a Query path says it is not safe. */
bool
milvusIsForeignScanParallelSafe(PlannerInfo *root, RelOptInfo *rel, RangeTblEntry *rte)
{
	return true;
}

/* Attnums the scan must fill: the target list and the local quals. */
static List *
needed_attnums(RelOptInfo *baserel, List *local_conds)
{
	MilvusRelInfo *info = baserel->fdw_private;
	Bitmapset  *attrs = NULL;
	List	   *result = NIL;
	ListCell   *lc;
	int			i;
	bool		whole_row;

	pull_varattnos((Node *) baserel->reltarget->exprs, baserel->relid, &attrs);
	foreach(lc, local_conds)
		pull_varattnos((Node *) lfirst_node(RestrictInfo, lc)->clause, baserel->relid, &attrs);
	whole_row = bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, attrs);
	for (i = 1; i <= info->ncolumns; i++)
	{
		if (info->columns[i - 1].field == NULL)
			continue;
		if (whole_row || bms_is_member(i - FirstLowInvalidHeapAttributeNumber, attrs))
			result = lappend_int(result, i);
	}
	return result;
}

/* What search_scan_tlist() collects from a target list. */
typedef struct SearchTlistContext
{
	Expr	   *distance;		/* the expression Milvus scores */
	List	   *vars;			/* Vars read outside it */
	bool		has_distance;
	bool		whole_row;
} SearchTlistContext;

static bool
search_tlist_walker(Node *node, SearchTlistContext *cxt)
{
	if (node == NULL)
		return false;
	if (equal(node, cxt->distance))
	{
		cxt->has_distance = true;
		return false;			/* its vector need not be fetched */
	}
	if (IsA(node, Var))
	{
		Var		   *var = (Var *) node;

		if (var->varattno <= 0)
			cxt->whole_row = true;
		else if (!list_member(cxt->vars, var))
			cxt->vars = lappend(cxt->vars, var);
		return false;
	}
	return expression_tree_walker(node, search_tlist_walker, cxt);
}

/*
 * The scan tuple of a search: the columns the query reads, then the
 * distance, which Milvus returns as each hit's score.  So the ORDER BY
 * expression is never recomputed here, and a vector column only selected
 * through it is not fetched.  NIL (compute locally) when the query needs
 * a whole row or a system column.
 */
static List *
search_scan_tlist(List *tlist, Expr *distance, List **attnums)
{
	SearchTlistContext cxt = {distance, NIL, false, false};
	List	   *scan_tlist = NIL;
	ListCell   *lc;

	search_tlist_walker((Node *) tlist, &cxt);
	if (cxt.whole_row)
		return NIL;
	*attnums = NIL;
	foreach(lc, cxt.vars)
	{
		Var		   *var = lfirst(lc);

		*attnums = lappend_int(*attnums, var->varattno);
		scan_tlist = lappend(scan_tlist,
							 makeTargetEntry((Expr *) copyObject(var),
											 list_length(scan_tlist) + 1, NULL, false));
	}
	if (cxt.has_distance)
		scan_tlist = lappend(scan_tlist,
							 makeTargetEntry((Expr *) copyObject(distance),
											 list_length(scan_tlist) + 1, NULL, false));
	return scan_tlist;
}

ForeignScan *
milvusGetForeignPlan(PlannerInfo *root, RelOptInfo *foreignrel, Oid foreigntableid,
					 ForeignPath *best_path, List *tlist, List *scan_clauses,
					 Plan *outer_plan)
{
	RelOptInfo *baserel = foreignrel;
	MilvusRelInfo *info;
	List	   *local_exprs = NIL;
	List	   *remote_exprs = NIL;
	List	   *fdw_exprs;
	List	   *fdw_private;
	List	   *fdw_scan_tlist = NIL;
	List	   *path_private = best_path->fdw_private;
	ListCell   *lc;
	Index		scan_relid = foreignrel->relid;
	int			mode = MILVUS_SCAN_QUERY;
	int			limit = -1,
				offset = 0,
				search_kind = -1;
	char	   *search_field = "";
	Expr	   *query_vector = NULL;
	List	   *attnums;
	bool		conds_in_private;

	if (IS_UPPER_REL(foreignrel))
	{
		/* count(*): one row computed by Milvus, described by fdw_scan_tlist */
		MilvusUpperInfo *upper = foreignrel->fdw_private;

		baserel = upper->base;
		mode = upper->mode;
		scan_relid = 0;
		fdw_scan_tlist = add_to_flat_tlist(NIL, foreignrel->reltarget->exprs);
		scan_clauses = baserel->baserestrictinfo;
	}
	info = baserel->fdw_private;

	/* scan_clauses may hold parameterised clauses too: classify each */
	foreach(lc, scan_clauses)
	{
		RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);

		if (rinfo->pseudoconstant)
			continue;
		if (list_member_ptr(info->remote_conds, rinfo))
			remote_exprs = lappend(remote_exprs, rinfo->clause);
		else if (list_member_ptr(info->local_conds, rinfo))
			local_exprs = lappend(local_exprs, rinfo->clause);
		else if (milvus_is_foreign_expr(root, baserel, rinfo->clause))
			remote_exprs = lappend(remote_exprs, rinfo->clause);
		else
			local_exprs = lappend(local_exprs, rinfo->clause);
	}

	attnums = needed_attnums(baserel, info->local_conds);

	/* a final path: LIMIT/OFFSET, and maybe a search (upper.c) */
	if (path_private != NIL)
	{
		limit = intVal(linitial(path_private));
		offset = intVal(lsecond(path_private));
		search_kind = intVal(lthird(path_private));
		if (search_kind >= 0)
		{
			List	   *search_attnums;

			mode = MILVUS_SCAN_SEARCH;
			query_vector = (Expr *) lfourth(path_private);
			search_field = strVal(list_nth(path_private, 4));
			fdw_scan_tlist = search_scan_tlist(tlist, (Expr *) list_nth(path_private, 5),
											   &search_attnums);
			if (fdw_scan_tlist != NIL)
				attnums = search_attnums;
		}
	}

	/*
	 * The pushed WHERE clauses go in fdw_exprs, where setrefs processes
	 * their parameters; but when the scan tuple is not the table's row (an
	 * upper-rel scan, a search returning its distance) their Vars have no
	 * place in it, so there they travel in fdw_private.
	 */
	conds_in_private = scan_relid == 0 || fdw_scan_tlist != NIL;
	fdw_exprs = conds_in_private ? NIL : list_copy(remote_exprs);
	if (query_vector)
		fdw_exprs = lappend(fdw_exprs, query_vector);
	fdw_private = list_make4(makeString(info->collection), attnums,
							 makeInteger(info->always_false),
							 makeInteger(limit));
	fdw_private = lappend(fdw_private, makeInteger(offset));
	fdw_private = lappend(fdw_private, makeInteger(mode));
	fdw_private = lappend(fdw_private, makeInteger((int) info->relid));
	fdw_private = lappend(fdw_private, makeInteger(search_kind));
	fdw_private = lappend(fdw_private, makeString(search_field));
	fdw_private = lappend(fdw_private, makeInteger(conds_in_private ? 0 : list_length(remote_exprs)));
	fdw_private = lappend(fdw_private, makeInteger((int) baserel->relid));
	fdw_private = lappend(fdw_private, conds_in_private ? remote_exprs : NIL);
	/* binlogs only for the plain scan; LIMIT, count, search always query */
	fdw_private = lappend(fdw_private,
						  makeInteger(mode == MILVUS_SCAN_QUERY && limit < 0 ?
									  info->scan_method : MILVUS_METHOD_QUERY));
	fdw_private = lappend(fdw_private,
						  makeString(info->method_reason ? info->method_reason : ""));

	return make_foreignscan(tlist, local_exprs, scan_relid, fdw_exprs,
							fdw_private, fdw_scan_tlist, NIL, outer_plan);
}

/*
 * A scan that reads rows only to find them again, so a DELETE over it can
 * go to Milvus as one expression: no local filter, no limit, no search.
 */
bool
milvus_scan_can_delete_directly(ForeignScan *fscan)
{
	return fscan->scan.plan.qual == NIL &&
		intVal(list_nth(fscan->fdw_private, ScanPrivateMode)) == MILVUS_SCAN_QUERY &&
		intVal(list_nth(fscan->fdw_private, ScanPrivateLimit)) < 0 &&
		!intVal(list_nth(fscan->fdw_private, ScanPrivateAlwaysFalse));
}

/*
 * For a direct DELETE: the Milvus expression of the scan's WHERE (matching
 * every row when there is none), its connection and collection.  Answers
 * once; false after that.
 */
bool
milvus_scan_claim_expression(ForeignScanState *node, MilvusConn **conn,
							 const char **collection, const char **expr)
{
	MilvusScanState *st = node->fdw_state;

	if (st->done)
		return false;
	st->done = true;
	*conn = st->conn;
	*collection = st->collection;
	*expr = st->user_expr[0] ? st->user_expr :
		milvus_all_rows_expr(st->info->pk_field, st->info->pk_type);
	return true;
}

/* ---- execution ---- */

/*
 * The timestamp every request of a scan reads at: without a
 * consistency_level option, the collection's own level, or Session at this
 * session's last write once it wrote (read your writes); Strong reads at the
 * server's clock when the scan starts, so all its pages see one moment and
 * only the first waits for it; Session at our last write; Bounded and
 * Eventually by Milvus's conventions (2 and 1).
 */
static void
choose_consistency(MilvusScanState *st, bool one_request)
{
	uint64		last = milvus_conn_last_write(st->conn);

	st->use_default = false;
	st->strong_direct = false;
	switch (st->consistency_level)
	{
		case MILVUS_CONSISTENCY_STRONG:
			if (one_request && st->min_read_ts == 0)
			{
				/* nothing to keep consistent with: Milvus takes the time */
				st->strong_direct = true;
				st->guarantee_ts = 0;
			}
			else
			{
				/* not inside Max(): the macro would ask the server twice */
				uint64		now = milvus_conn_now(st->conn);

				st->guarantee_ts = Max(now, last);
			}
			break;
		case MILVUS_CONSISTENCY_SESSION:
			st->guarantee_ts = last > 0 ? last : 1;
			break;
		case MILVUS_CONSISTENCY_BOUNDED:
			st->guarantee_ts = 2;
			break;
		case MILVUS_CONSISTENCY_EVENTUALLY:
			st->guarantee_ts = 1;
			break;
		default:
			if (last > 0)
			{
				/* our own writes first: Session at the last one */
				st->consistency_level = MILVUS_CONSISTENCY_SESSION;
				st->guarantee_ts = last;
			}
			else
			{
				st->use_default = true;
				st->guarantee_ts = 1;
			}
			break;
	}
	/* a binlog scan's fallback sees what its Flush saw, in any process */
	if (st->min_read_ts > st->guarantee_ts)
	{
		st->use_default = false;
		if (st->consistency_level != MILVUS_CONSISTENCY_STRONG)
			st->consistency_level = MILVUS_CONSISTENCY_SESSION;
		st->guarantee_ts = st->min_read_ts;
	}
}

/* Sets a read request's consistency fields from the scan's choice. */
#define SET_CONSISTENCY(req, st) \
	do { \
		(req).use_default_consistency = (st)->use_default; \
		(req).consistency_level = (Milvus__Proto__Common__ConsistencyLevel) \
			((st)->consistency_level == MILVUS_CONSISTENCY_STRONG && !(st)->strong_direct ? \
			 (int) MILVUS_CONSISTENCY_SESSION : Max((st)->consistency_level, 0)); \
		(req).guarantee_timestamp = (st)->guarantee_ts; \
	} while (0)

/*
 * Where each fetched column goes in the scan tuple: its attribute, or its
 * place in fdw_scan_tlist, where a search also puts its distance.
 */
static void
map_scan_tuple(MilvusScanState *st, ForeignScan *fsplan)
{
	ListCell   *lc;
	int			i = 0;

	st->slot_pos = palloc(sizeof(int) * (list_length(st->attnums) + 1));
	st->distance_pos = -1;
	foreach(lc, st->attnums)
		st->slot_pos[i++] = lfirst_int(lc) - 1;
	if (st->mode != MILVUS_SCAN_SEARCH || fsplan->fdw_scan_tlist == NIL)
		return;
	i = 0;
	foreach(lc, fsplan->fdw_scan_tlist)
	{
		TargetEntry *tle = lfirst_node(TargetEntry, lc);

		if (IsA(tle->expr, Var))
		{
			ListCell   *lc2;
			int			j = 0;

			foreach(lc2, st->attnums)
			{
				if (lfirst_int(lc2) == ((Var *) tle->expr)->varattno)
					st->slot_pos[j] = i;
				j++;
			}
		}
		else
			st->distance_pos = i;
		i++;
	}
}

void
milvusBeginForeignScan(ForeignScanState *node, int eflags)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	List	   *priv = fsplan->fdw_private;
	MilvusScanState *st = palloc0(sizeof(MilvusScanState));
	MilvusTableOptions topts;
	EState	   *estate = node->ss.ps.state;
	Oid			relid = (Oid) intVal(list_nth(priv, ScanPrivateRelid));
	/*
	 * setrefs may renumber a base scan (subqueries, UNION ALL): its own
	 * scanrelid is right then; an upper-rel scan keeps the planning index,
	 * as do the Vars of its pushed clauses.
	 */
	Index		rtindex = fsplan->scan.scanrelid > 0 ? fsplan->scan.scanrelid :
		(Index) intVal(list_nth(priv, ScanPrivateRtIndex));
	RangeTblEntry *rte = exec_rt_fetch(rtindex, estate);
	bool		conds_in_private = fsplan->scan.scanrelid == 0 || fsplan->fdw_scan_tlist != NIL;
	Index		cond_rtindex = conds_in_private ?
		(Index) intVal(list_nth(priv, ScanPrivateRtIndex)) : rtindex;
	Oid			userid = rte->checkAsUser;
	int			nconds = intVal(list_nth(priv, ScanPrivateNumConds));
	ListCell   *lc;
	int			i = 0;

	node->fdw_state = st;
	st->collection = strVal(list_nth(priv, ScanPrivateCollection));
	st->attnums = (List *) list_nth(priv, ScanPrivateAttnums);
	st->always_false = intVal(list_nth(priv, ScanPrivateAlwaysFalse));
	st->limit = intVal(list_nth(priv, ScanPrivateLimit));
	st->skip = intVal(list_nth(priv, ScanPrivateOffset));
	st->mode = intVal(list_nth(priv, ScanPrivateMode));
	st->search_kind = intVal(list_nth(priv, ScanPrivateSearchKind));
	st->search_field = strVal(list_nth(priv, ScanPrivateSearchField));
	st->cond_exprs = conds_in_private ?
		(List *) list_nth(priv, ScanPrivateUpperConds) :
		list_copy_head(fsplan->fdw_exprs, nconds);
	if (st->limit >= 0 && st->mode == MILVUS_SCAN_QUERY)
		st->limit += st->skip;	/* fetched, then skipped */

	/* an upper-rel scan (count) has no scan relation of its own */
	if (fsplan->scan.scanrelid > 0)
		st->rel = node->ss.ss_currentRelation;
	else
	{
		st->rel = table_open(relid, NoLock);
		st->own_rel = true;
	}

	st->conn = scan_connection(relid, userid, &topts);
	st->consistency_level = topts.consistency_level;
	st->search_params = topts.search_params;
	st->info = make_rel_info(st->conn, st->rel, cond_rtindex, st->collection);
	if (st->mode == MILVUS_SCAN_SEARCH)
		st->query_vector = ExecInitExpr(llast(fsplan->fdw_exprs), &node->ss.ps);
	map_scan_tuple(st, fsplan);

	st->method = intVal(list_nth(priv, ScanPrivateMethod));
	st->method_reason = strVal(list_nth(priv, ScanPrivateMethodReason));
	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;

	/* read your own writes: send this table's buffered rows first */
	milvus_flush_table(relid);

	st->offset_paging = !milvus_conn_pages_in_pk_order(st->conn);
	st->fields = palloc(sizeof(char *) * (list_length(st->attnums) + 1));
	foreach(lc, st->attnums)
	{
		MilvusScanColumn *col = &st->info->columns[lfirst_int(lc) - 1];

		/* a column that cannot hold its field fails here, not row by row */
		milvus_check_readable(col->data_type, col->element_type, col->typid,
							  col->name, col->field);
		st->fields[i++] = col->field;
	}
	st->nfields = i;
	st->page_cxt = AllocSetContextCreate(estate->es_query_cxt, "milvus_fdw page",
										 ALLOCSET_DEFAULT_SIZES);
	st->user_expr = milvus_deparse_conditions(st->cond_exprs, st->info,
											  node->ss.ps.ps_ExprContext);
	if (st->method == MILVUS_METHOD_BINLOG)
		st->binlog = milvus_binlog_scan_create(st->conn,
											   GetForeignServer(GetForeignTable(relid)->serverid),
											   OidIsValid(userid) ? userid : GetUserId(),
											   st->info, st->attnums, !topts.binlog_no_flush,
											   estate->es_query_cxt);
}

/* The expression of the next page: the cursor and the pushed WHERE. */
static char *
page_expression(MilvusScanState *st)
{
	StringInfoData buf;
	const char *pk = st->info->pk_field;

	initStringInfo(&buf);
	if (st->offset_paging || !st->have_cursor)
	{
		if (st->user_expr[0])
			return st->user_expr;
		/* an empty expression needs a limit; this one matches every row */
		return milvus_all_rows_expr(pk, st->info->pk_type);
	}
	if (st->info->pk_type == DT(VarChar))
	{
		appendStringInfo(&buf, "%s > ", pk);
		milvus_append_string_literal(&buf, st->cursor_str);
	}
	else
		appendStringInfo(&buf, "%s > " INT64_FORMAT, pk, st->cursor_int);
	if (st->user_expr[0])
		appendStringInfo(&buf, " and (%s)", st->user_expr);
	return buf.data;
}

static Milvus__Proto__Schema__FieldData *
find_column(MilvusScanState *st, const char *field)
{
	size_t		i;

	for (i = 0; i < st->page_nfields; i++)
	{
		Milvus__Proto__Schema__FieldData *fd = st->page_fields[i];

		if (strcmp(fd->field_name, field) == 0 ||
			(fd->is_dynamic && strcmp(field, "$meta") == 0))
			return fd;
	}
	return NULL;
}

/* Find the page's column of each fetched field. */
static void
bind_page_columns(MilvusScanState *st, const char *method)
{
	int			i;

	st->page_cols = palloc(sizeof(*st->page_cols) * (st->nfields + 1));
	st->page_value_index = palloc0(sizeof(*st->page_value_index) * (st->nfields + 1));
	for (i = 0; i < st->nfields; i++)
	{
		Milvus__Proto__Schema__FieldData *fd = find_column(st, st->fields[i]);

		st->page_cols[i] = fd;
		if (st->page_rows > 0 && fd == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("Milvus %s on collection \"%s\" returned no field \"%s\"",
							method, st->collection, st->fields[i])));
		/* the collection may have changed since planning: check what came */
		if (fd && fd->type != 0)
		{
			MilvusScanColumn *col = &st->info->columns[list_nth_int(st->attnums, i) - 1];
			int			element = 0;

			if (fd->field_case == MILVUS__PROTO__SCHEMA__FIELD_DATA__FIELD_SCALARS &&
				fd->scalars->data_case == MILVUS__PROTO__SCHEMA__SCALAR_FIELD__DATA_ARRAY_DATA)
				element = fd->scalars->array_data->element_type;
			if (fd->type != DT(Array) || element != 0)
				milvus_check_readable(fd->type, element, col->typid, col->name, st->fields[i]);
		}
		/* compact form: values only for valid rows; index them once a page */
		if (fd && fd->n_valid_data > 0 &&
			milvus_field_values(fd) < (int) fd->n_valid_data)
		{
			int		   *index = palloc(sizeof(int) * fd->n_valid_data);
			int			row,
						next = 0;

			for (row = 0; row < (int) fd->n_valid_data; row++)
			{
				index[row] = next;
				next += fd->valid_data[row] ? 1 : 0;
			}
			st->page_value_index[i] = index;
		}
	}
}

/*
 * A read call; a collection Milvus reports as not loaded (released, or the
 * server restarted) is loaded and asked again.
 */
static ProtobufCMessage *
call_loaded(MilvusScanState *st, const char *method, ProtobufCMessage *req,
			const ProtobufCMessageDescriptor *desc)
{
	ProtobufCMessage *resp = milvus_call_raw(st->conn, method, req, desc, true, NULL);
	Milvus__Proto__Common__Status *status =
		*(Milvus__Proto__Common__Status **) ((char *) resp + desc->fields[0].offset);

	if (status && status->code == MILVUS_CODE_NOT_LOADED)
	{
		milvus_load_collection(st->conn, st->collection);
		resp = milvus_call_raw(st->conn, method, req, desc, true, NULL);
		status = *(Milvus__Proto__Common__Status **) ((char *) resp + desc->fields[0].offset);
	}
	/* dropped behind our back: describe it again next time */
	if (status && (status->code == 100 || status->error_code == 4))
		milvus_collection_forget(st->collection);
	milvus_check_status(st->conn, method, resp);
	return resp;
}

/*
 * Offset pages end with a short one.  Milvus Lite ignores the offset of a
 * primary-key lookup (`pk in [...]`) and sends the same rows again: a page
 * that starts where the previous one did means that, and rows beyond the
 * first page would be lost, so it is an ERROR, never a silent loop.
 */
static void
check_offset_page(MilvusScanState *st, int64 want)
{
	Milvus__Proto__Schema__ScalarField *sf = st->page_pk->scalars;
	bool		varchar = st->info->pk_type == DT(VarChar);

	if (st->offset > 0 &&
		(varchar ? (st->cursor_str && strcmp(sf->string_data->data[0], st->cursor_str) == 0)
		 : (st->have_cursor && sf->long_data->data[0] == st->cursor_int)))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("Milvus repeated the first page of collection \"%s\" instead of the next one",
						st->collection),
				 errdetail("The server ignored the query offset; the scan stops rather than miss rows."),
				 errhint("Raise milvus_fdw.fetch_size above the number of matching rows.")));
	/* remember the page's first key, to recognise a repeat */
	if (varchar)
		st->cursor_str = MemoryContextStrdup(GetMemoryChunkContext(st), sf->string_data->data[0]);
	else
		st->cursor_int = sf->long_data->data[0];
	st->have_cursor = true;
	if (st->page_rows != want)
		st->last_page = true;	/* short: the end; long: the server sent all */
}

/* Fetch the next page; false when the collection is exhausted. */
static bool
fetch_page(MilvusScanState *st)
{
	Milvus__Proto__Milvus__QueryRequest req = MILVUS__PROTO__MILVUS__QUERY_REQUEST__INIT;
	Milvus__Proto__Common__KeyValuePair *params[4];
	char	  **output;

	/*
	 * Offset pages cost a rescan each, and servers that need them (Milvus
	 * Lite) have no 16384-row window: take large pages there.
	 */
	int64		want = st->offset_paging ? (int64) milvus_fetch_size * MILVUS_OFFSET_PAGES :
		milvus_fetch_size;
	MemoryContext oldcxt;
	int			i;

	/* a LIMIT within one page needs no timestamp of its own */
	if (!st->have_page && st->offset == 0)
		choose_consistency(st, st->limit >= 0 && st->limit <= want && !st->offset_paging);
	if (st->limit >= 0)
		want = Min(want, st->limit - st->returned);
	if (want <= 0 || st->last_page)
		return false;

	MemoryContextReset(st->page_cxt);
	oldcxt = MemoryContextSwitchTo(st->page_cxt);

	output = palloc(sizeof(char *) * (st->nfields + 1));
	output[0] = st->info->pk_field;
	for (i = 0; i < st->nfields; i++)
		output[i + 1] = st->fields[i];

	req.db_name = (char *) milvus_conn_database(st->conn);
	req.collection_name = st->collection;
	req.expr = page_expression(st);
	req.output_fields = output;
	req.n_output_fields = st->nfields + 1;
	params[0] = milvus_kv("limit", psprintf(INT64_FORMAT, want));
	if (st->offset_paging)
	{
		params[1] = milvus_kv("offset", psprintf(INT64_FORMAT, st->offset));
		req.n_query_params = 2;
	}
	else
	{
		/* pymilvus's iterator flags: per-segment results merged in PK order */
		params[1] = milvus_kv("iterator", "True");
		params[2] = milvus_kv("reduce_stop_for_best", "True");
		req.n_query_params = 3;
	}
	req.query_params = params;
	SET_CONSISTENCY(req, st);

	{
		Milvus__Proto__Milvus__QueryResults *page = (Milvus__Proto__Milvus__QueryResults *)
			call_loaded(st, "Query", PBMSG(&req), &milvus__proto__milvus__query_results__descriptor);

		st->page_fields = page->fields_data;
		st->page_nfields = page->n_fields_data;
	}
	st->have_page = true;
	st->page_pk = find_column(st, st->info->pk_field);
	st->page_rows = st->page_pk ? milvus_field_rows(st->page_pk) : 0;
	bind_page_columns(st, "Query");
	st->next_row = 0;
	MemoryContextSwitchTo(oldcxt);
	if (st->offset_paging && st->page_rows > 0)
		check_offset_page(st, want);
	st->offset += st->page_rows;
	return st->page_rows > 0;
}

/* Move the cursor to a page's last row, checking pages come in PK order. */
static void
advance_cursor(MilvusScanState *st, int row)
{
	Milvus__Proto__Schema__ScalarField *sf = st->page_pk->scalars;

	if (st->info->pk_type == DT(VarChar))
	{
		char	   *pk = sf->string_data->data[row];

		if (st->have_cursor && strcmp(pk, st->cursor_str) <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("Milvus returned collection \"%s\" out of primary-key order", st->collection),
					 errdetail("Key \"%s\" came after \"%s\"; rows could be missed, so the scan stops.",
							   pk, st->cursor_str)));
		if (st->cursor_str)
			pfree(st->cursor_str);
		st->cursor_str = MemoryContextStrdup(GetMemoryChunkContext(st), pk);
	}
	else
	{
		int64		pk = sf->long_data->data[row];

		if (st->have_cursor && pk <= st->cursor_int)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("Milvus returned collection \"%s\" out of primary-key order", st->collection),
					 errdetail("Key " INT64_FORMAT " came after " INT64_FORMAT "; rows could be missed, so the scan stops.",
							   pk, st->cursor_int)));
		st->cursor_int = pk;
	}
	st->have_cursor = true;
}

/* count(*): one Query for the count, one row with it in every column. */
static TupleTableSlot *
count_row(MilvusScanState *st, TupleTableSlot *slot)
{
	Milvus__Proto__Milvus__QueryRequest req = MILVUS__PROTO__MILVUS__QUERY_REQUEST__INIT;
	Milvus__Proto__Milvus__QueryResults *resp;
	char	   *output[1] = {"count(*)"};
	int64		count = 0;
	int			i;

	choose_consistency(st, true);
	req.db_name = (char *) milvus_conn_database(st->conn);
	req.collection_name = st->collection;
	req.expr = st->user_expr;
	req.output_fields = output;
	req.n_output_fields = 1;
	SET_CONSISTENCY(req, st);
	resp = (Milvus__Proto__Milvus__QueryResults *)
		call_loaded(st, "Query", PBMSG(&req), &milvus__proto__milvus__query_results__descriptor);
	if (resp->n_fields_data > 0 &&
		resp->fields_data[0]->field_case == MILVUS__PROTO__SCHEMA__FIELD_DATA__FIELD_SCALARS &&
		resp->fields_data[0]->scalars->data_case == MILVUS__PROTO__SCHEMA__SCALAR_FIELD__DATA_LONG_DATA &&
		resp->fields_data[0]->scalars->long_data->n_data > 0)
		count = resp->fields_data[0]->scalars->long_data->data[0];
	else
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("Milvus returned no count(*) for collection \"%s\"", st->collection)));

	for (i = 0; i < slot->tts_tupleDescriptor->natts; i++)
	{
		slot->tts_values[i] = Int64GetDatum(count);
		slot->tts_isnull[i] = false;
	}
	ExecStoreVirtualTuple(slot);
	st->done = true;
	return slot;
}

/*
 * The search: the query vector, the pushed WHERE as the filter, topk = the
 * LIMIT.  Its hits are one page, best first.  False when there are none.
 */
static bool
search(MilvusScanState *st, ForeignScanState *node)
{
	static const char *const metrics[] = {"L2", "IP", "COSINE"};
	Milvus__Proto__Milvus__SearchRequest req = MILVUS__PROTO__MILVUS__SEARCH_REQUEST__INIT;
	Milvus__Proto__Milvus__SearchResults *resp;
	Milvus__Proto__Common__PlaceholderGroup group = MILVUS__PROTO__COMMON__PLACEHOLDER_GROUP__INIT;
	Milvus__Proto__Common__PlaceholderValue value = MILVUS__PROTO__COMMON__PLACEHOLDER_VALUE__INIT;
	Milvus__Proto__Common__PlaceholderValue *values[1] = {&value};
	Milvus__Proto__Common__KeyValuePair *params[6];
	ProtobufCBinaryData vector;
	MilvusField *field;
	ArrayType  *arr;
	char	  **output;
	bool		isnull;
	Datum		d;
	int			n,
				i;
	MemoryContext oldcxt;

	d = ExecEvalExpr(st->query_vector, node->ss.ps.ps_ExprContext, &isnull);
	if (isnull)
	{
		/* every distance is NULL: any k rows will do, as locally */
		st->mode = MILVUS_SCAN_QUERY;
		return fetch_page(st);
	}
	MemoryContextReset(st->page_cxt);
	oldcxt = MemoryContextSwitchTo(st->page_cxt);

	arr = DatumGetArrayTypePCopy(d);
	n = ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr));
	field = milvus_find_field(milvus_collection_cached(st->conn, st->collection), st->search_field);
	if (ARR_HASNULL(arr))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("query vector for Milvus field \"%s\" holds NULL elements", st->search_field)));
	if (ARR_NDIM(arr) != 1 || n != field->dim)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("query vector has %d dimensions, Milvus field \"%s\" has %d",
						n, st->search_field, field->dim)));
	vector.data = (uint8_t *) ARR_DATA_PTR(arr);
	vector.len = sizeof(float) * n;
	value.tag = "$0";
	value.type = MILVUS__PROTO__COMMON__PLACEHOLDER_TYPE__FloatVector;
	value.values = &vector;
	value.n_values = 1;
	group.placeholders = values;
	group.n_placeholders = 1;

	choose_consistency(st, true);
	req.db_name = (char *) milvus_conn_database(st->conn);
	req.collection_name = st->collection;
	req.dsl = st->user_expr;
	req.dsl_type = MILVUS__PROTO__COMMON__DSL_TYPE__BoolExprV1;
	req.search_input_case = MILVUS__PROTO__MILVUS__SEARCH_REQUEST__SEARCH_INPUT_PLACEHOLDER_GROUP;
	req.placeholder_group.len = protobuf_c_message_get_packed_size(PBMSG(&group));
	req.placeholder_group.data = palloc(req.placeholder_group.len);
	protobuf_c_message_pack(PBMSG(&group), req.placeholder_group.data);
	output = palloc(sizeof(char *) * (st->nfields + 1));
	for (i = 0; i < st->nfields; i++)
		output[i] = st->fields[i];
	req.output_fields = output;
	req.n_output_fields = st->nfields;
	params[0] = milvus_kv("anns_field", st->search_field);
	params[1] = milvus_kv("topk", psprintf(INT64_FORMAT, st->limit));
	params[2] = milvus_kv("metric_type", metrics[st->search_kind]);
	params[3] = milvus_kv("params", st->search_params ? st->search_params :
						  milvus_search_params[0] ? milvus_search_params : "{}");
	params[4] = milvus_kv("round_decimal", "-1");
	params[5] = milvus_kv("offset", psprintf(INT64_FORMAT, st->skip));
	req.search_params = params;
	req.n_search_params = 6;
	req.nq = 1;
	SET_CONSISTENCY(req, st);

	resp = (Milvus__Proto__Milvus__SearchResults *)
		call_loaded(st, "Search", PBMSG(&req), &milvus__proto__milvus__search_results__descriptor);
	st->have_page = true;
	st->next_row = 0;
	st->page_rows = 0;
	if (resp->results && resp->results->n_topks > 0)
	{
		st->page_fields = resp->results->fields_data;
		st->page_nfields = resp->results->n_fields_data;
		st->page_rows = (int) resp->results->topks[0];
		if (resp->results->n_scores < (size_t) st->page_rows)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("Milvus Search on collection \"%s\" returned %zu scores for %d hits",
							st->collection, resp->results->n_scores, st->page_rows)));
		st->page_scores = resp->results->scores;
	}
	bind_page_columns(st, "Search");
	MemoryContextSwitchTo(oldcxt);
	return st->page_rows > 0;
}

/*
 * A hit's score in the distance operator's meaning (pgvector's): Milvus
 * scores L2 as the squared distance, IP and COSINE as similarities.
 */
static double
score_distance(int kind, float score)
{
	switch (kind)
	{
		case MILVUS_SEARCH_L2:
			return sqrt(Max((double) score, 0.0));
		case MILVUS_SEARCH_IP:
			return -(double) score;
		default:
			return 1.0 - (double) score;
	}
}

/* Row `row` of the current page as the scan tuple's values. */
static void
fill_row(MilvusScanState *st, int row, TupleDesc tupdesc, Datum *values, bool *nulls)
{
	ListCell   *lc;
	int			i = 0;

	memset(nulls, true, sizeof(bool) * tupdesc->natts);
	foreach(lc, st->attnums)
	{
		MilvusScanColumn *col = &st->info->columns[lfirst_int(lc) - 1];
		int		   *index = st->page_value_index[i];
		int			pos = st->slot_pos[i];
		Milvus__Proto__Schema__FieldData *fd = st->page_cols[i++];
		int			idx = index ? index[row] : row;

		if (fd->n_valid_data > 0 && !fd->valid_data[row])
			continue;
		values[pos] = milvus_field_datum(fd, idx, col->typid, col->name);
		nulls[pos] = false;
	}
	/* a search's distance; NULL when a NULL query vector made it a query */
	if (st->distance_pos >= 0 && st->mode == MILVUS_SCAN_SEARCH)
	{
		values[st->distance_pos] =
			Float8GetDatum(score_distance(st->search_kind, st->page_scores[row]));
		nulls[st->distance_pos] = false;
	}
}

/*
 * The next row of a binlog scan.  If the files cannot be read (segments.c
 * says why) one participant reads the collection by Query instead, at
 * least as fresh as the Flush.
 */
static TupleTableSlot *
binlog_row(MilvusScanState *st, ForeignScanState *node, TupleTableSlot *slot)
{
	TupleDesc	tupdesc = slot->tts_tupleDescriptor;

	if (!milvus_binlog_scan_started(st->binlog))
		milvus_binlog_scan_start(st->binlog);
	if (milvus_binlog_scan_fallback(st->binlog))
	{
		st->method = MILVUS_METHOD_QUERY;
		if (!milvus_binlog_scan_claim_query(st->binlog))
		{
			st->done = true;
			return slot;
		}
		ereport(NOTICE,
				(errmsg("reading Milvus collection \"%s\" by Query instead of binlogs", st->collection),
				 errdetail("%s", milvus_binlog_scan_fallback(st->binlog))));
		st->min_read_ts = milvus_binlog_scan_snapshot(st->binlog);
		return query_row(st, node, slot);
	}
	memset(slot->tts_isnull, true, sizeof(bool) * tupdesc->natts);
	if (!milvus_binlog_scan_next(st->binlog, slot->tts_values, slot->tts_isnull, st->slot_pos))
	{
		st->done = true;
		return slot;
	}
	ExecStoreVirtualTuple(slot);
	st->returned++;
	return slot;
}

/* The next row of a Query or a search. */
static TupleTableSlot *
query_row(MilvusScanState *st, ForeignScanState *node, TupleTableSlot *slot)
{
	TupleDesc	tupdesc = slot->tts_tupleDescriptor;
	int			row;

	for (;;)
	{
		if (!st->have_page || st->next_row >= st->page_rows)
		{
			if (st->mode == MILVUS_SCAN_SEARCH ? st->have_page : !fetch_page(st))
			{
				st->done = true;
				return slot;
			}
			if (st->mode == MILVUS_SCAN_SEARCH && !search(st, node))
			{
				st->done = true;
				return slot;
			}
		}
		row = st->next_row++;
		if (st->mode == MILVUS_SCAN_QUERY && !st->offset_paging)
			advance_cursor(st, row);
		if (st->skip > 0 && st->mode == MILVUS_SCAN_QUERY)
		{
			st->skip--;			/* OFFSET */
			st->returned++;
			continue;
		}
		break;
	}

	fill_row(st, row, tupdesc, slot->tts_values, slot->tts_isnull);
	ExecStoreVirtualTuple(slot);
	st->returned++;
	return slot;
}

TupleTableSlot *
milvusIterateForeignScan(ForeignScanState *node)
{
	MilvusScanState *st = node->fdw_state;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;

	ExecClearTuple(slot);
	if (st->always_false || st->done)
		return slot;
	if (st->limit >= 0 && st->returned >= st->limit)
		return slot;
	if (st->mode == MILVUS_SCAN_COUNT)
		return count_row(st, slot);
	if (st->method == MILVUS_METHOD_BINLOG)
		return binlog_row(st, node, slot);
	return query_row(st, node, slot);
}

void
milvusReScanForeignScan(ForeignScanState *node)
{
	MilvusScanState *st = node->fdw_state;
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;

	st->have_page = false;
	st->done = false;
	st->last_page = false;
	st->have_cursor = false;
	st->offset = 0;
	st->returned = 0;
	st->skip = intVal(list_nth(fsplan->fdw_private, ScanPrivateOffset));
	if (st->binlog && st->method == MILVUS_METHOD_BINLOG)
		milvus_binlog_scan_rescan(st->binlog);
	/* parameters may have changed */
	st->user_expr = milvus_deparse_conditions(st->cond_exprs, st->info,
											  node->ss.ps.ps_ExprContext);
}

void
milvusEndForeignScan(ForeignScanState *node)
{
	MilvusScanState *st = node->fdw_state;

	/* page memory belongs to the query's context */
	if (st && st->own_rel)
		table_close(st->rel, NoLock);
}

static char *
binlog_field_list(MilvusScanState *st)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '[');
	foreach(lc, st->attnums)
		appendStringInfo(&buf, "%s%s", buf.len > 1 ? ", " : "",
						 st->info->columns[lfirst_int(lc) - 1].field);
	appendStringInfoChar(&buf, ']');
	return buf.data;
}

/* ---- parallel binlog scans: the leader plans, everyone claims batches ---- */

Size
milvusEstimateDSMForeignScan(ForeignScanState *node, ParallelContext *pcxt)
{
	MilvusScanState *st = node->fdw_state;

	if (st->binlog == NULL)
		return 0;
	return milvus_binlog_scan_dsm_size(st->binlog, &st->binlog_plan);
}

void
milvusInitializeDSMForeignScan(ForeignScanState *node, ParallelContext *pcxt,
							   void *coordinate)
{
	MilvusScanState *st = node->fdw_state;

	if (st->binlog)
		milvus_binlog_scan_dsm_init(st->binlog, st->binlog_plan, coordinate);
}

void
milvusReInitializeDSMForeignScan(ForeignScanState *node, ParallelContext *pcxt,
								 void *coordinate)
{
	MilvusScanState *st = node->fdw_state;

	if (st->binlog)
		milvus_binlog_scan_dsm_reinit(coordinate);
}

void
milvusInitializeWorkerForeignScan(ForeignScanState *node, shm_toc *toc, void *coordinate)
{
	MilvusScanState *st = node->fdw_state;

	if (st->binlog)
		milvus_binlog_scan_dsm_attach(st->binlog, coordinate);
}

void
milvusExplainForeignScan(ForeignScanState *node, ExplainState *es)
{
	MilvusScanState *st = node->fdw_state;
	StringInfoData buf;
	ListCell   *lc;
	bool		first = true;
	char	   *expr;
	static const char *const metrics[] = {"L2", "IP", "COSINE"};

	if (!es->verbose)
		return;
	if (st->always_false)
	{
		ExplainPropertyText("Milvus request", "none (a WHERE clause is always false)", es);
		return;
	}
	/* which way the rows come, when there was a choice */
	if (st->method_reason[0])
		ExplainPropertyText("Milvus scan",
							psprintf("%s (%s)", st->method == MILVUS_METHOD_BINLOG ? "binlog" : "query",
									 st->method_reason), es);
	if (st->method == MILVUS_METHOD_BINLOG)
	{
		ExplainPropertyText("Milvus request",
							psprintf("flush and read binlogs(collection=%s, fields=%s)",
									 st->collection, binlog_field_list(st)), es);
		return;
	}

	/* parameters show as placeholders */
	expr = milvus_deparse_conditions(st->cond_exprs, st->info, NULL);

	initStringInfo(&buf);
	if (((ForeignScan *) node->ss.ps.plan)->operation == CMD_DELETE)
	{
		/* a direct DELETE: one Delete with the pushed WHERE */
		appendStringInfo(&buf, "delete(collection=%s, expr=%s)", st->collection,
						 expr[0] ? expr : "<every entity>");
		ExplainPropertyText("Milvus request", buf.data, es);
		return;
	}
	appendStringInfo(&buf, "%s(collection=%s",
					 st->mode == MILVUS_SCAN_SEARCH ? "search" : "query", st->collection);
	if (expr[0])
		appendStringInfo(&buf, ", expr=%s", expr);
	if (st->mode == MILVUS_SCAN_COUNT)
		appendStringInfoString(&buf, ", output_fields=[count(*)]");
	else
	{
		appendStringInfoString(&buf, ", output_fields=[");
		foreach(lc, st->attnums)
		{
			appendStringInfo(&buf, "%s%s", first ? "" : ", ",
							 st->info->columns[lfirst_int(lc) - 1].field);
			first = false;
		}
		appendStringInfoChar(&buf, ']');
	}
	if (st->mode == MILVUS_SCAN_SEARCH)
	{
		appendStringInfo(&buf, ", anns_field=%s, metric=%s, topk=" INT64_FORMAT,
						 st->search_field, metrics[st->search_kind], st->limit);
		if (st->distance_pos >= 0)
			appendStringInfoString(&buf, ", distance=score");
	}
	else if (st->limit >= 0)
		appendStringInfo(&buf, ", limit=" INT64_FORMAT, st->limit - st->skip);
	if (st->skip > 0)
		appendStringInfo(&buf, ", offset=" INT64_FORMAT, st->skip);
	appendStringInfo(&buf, ", consistency=%s)", milvus_consistency_name(st->consistency_level));
	ExplainPropertyText("Milvus request", buf.data, es);
}

/* ---- ANALYZE ---- */

/*
 * A sample of at most targrows rows (one Query, the first keys) and the row
 * count Milvus keeps: ANALYZE never reads the whole collection.
 */
static int
acquire_sample_rows(Relation rel, int elevel, HeapTuple *rows, int targrows,
					double *totalrows, double *totaldeadrows)
{
	MilvusScanState st;
	MilvusTableOptions topts;
	TupleDesc	tupdesc = RelationGetDescr(rel);
	Datum	   *values = palloc(sizeof(Datum) * tupdesc->natts);
	bool	   *nulls = palloc(sizeof(bool) * tupdesc->natts);
	int			n = 0;
	int			i;

	memset(&st, 0, sizeof(st));
	st.conn = scan_connection(RelationGetRelid(rel), InvalidOid, &topts);
	st.collection = topts.collection;
	/* a fresh row count */
	milvus_collection_forget(topts.collection);
	st.info = make_rel_info(st.conn, rel, 1, topts.collection);
	st.info->row_count = milvus_collection_row_count(st.conn, topts.collection, true);
	st.consistency_level = topts.consistency_level;
	st.user_expr = "";
	st.limit = Min(targrows, 16384);
	st.offset_paging = true;	/* one page, no cursor */
	st.fields = palloc(sizeof(char *) * (tupdesc->natts + 1));
	for (i = 0; i < tupdesc->natts; i++)
		if (st.info->columns[i].field)
		{
			st.attnums = lappend_int(st.attnums, i + 1);
			st.fields[st.nfields++] = st.info->columns[i].field;
		}
	st.page_cxt = AllocSetContextCreate(CurrentMemoryContext, "milvus_fdw analyze",
										ALLOCSET_DEFAULT_SIZES);
	if (fetch_page(&st))
	{
		for (i = 0; i < st.page_rows && n < targrows; i++)
		{
			fill_row(&st, i, tupdesc, values, nulls);
			rows[n++] = heap_form_tuple(tupdesc, values, nulls);
		}
	}
	*totalrows = Max(st.info->row_count, n);
	*totaldeadrows = 0;
	ereport(elevel,
			(errmsg("\"%s\": sampled %d of about %.0f rows of Milvus collection \"%s\"",
					RelationGetRelationName(rel), n, *totalrows, topts.collection)));
	return n;
}

bool
milvusAnalyzeForeignTable(Relation relation, AcquireSampleRowsFunc *func,
						  BlockNumber *totalpages)
{
	*func = acquire_sample_rows;
	*totalpages = 1;
	return true;
}
