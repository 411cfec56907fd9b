/*-------------------------------------------------------------------------
 *
 * upper.c
 *		Planning what Milvus can do above the scan: count(*), LIMIT/OFFSET,
 *		and ORDER BY <vector> <distance op> <vector> LIMIT k as a Milvus
 *		search.  Only through upper relations, and only when the foreign
 *		table is the whole query level with every WHERE clause pushed, so
 *		a LIMIT never cuts rows a local filter or a join still needs.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_aggregate.h"
#include "catalog/pg_type.h"
#include "foreign/fdwapi.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/tlist.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"

#include "milvus_fdw.h"
#include "schema.pb-c.h"

#define DT(x) MILVUS__PROTO__SCHEMA__DATA_TYPE__##x

static const char *const metric_of_op[] = {"L2", "IP", "COSINE"};

/*
 * The distance operator of an expression: MILVUS_SEARCH_L2, _IP or _COSINE
 * when it is one of ours (recognised by its function, whatever the schema),
 * else -1.
 */
static int
distance_kind(Oid opno)
{
	char	   *fn = get_func_name(get_opcode(opno));

	if (fn == NULL)
		return -1;
	if (strcmp(fn, "milvus_l2_distance") == 0)
		return MILVUS_SEARCH_L2;
	if (strcmp(fn, "milvus_negative_inner_product") == 0)
		return MILVUS_SEARCH_IP;
	if (strcmp(fn, "milvus_cosine_distance") == 0)
		return MILVUS_SEARCH_COSINE;
	return -1;
}

/* The base relation of a query level Milvus can answer alone, or NULL. */
static MilvusRelInfo *
whole_query_rel(PlannerInfo *root, RelOptInfo *rel)
{
	Query	   *parse = root->parse;
	MilvusRelInfo *info;

	if (rel->reloptkind != RELOPT_BASEREL || rel->fdw_private == NULL)
		return NULL;
	info = rel->fdw_private;
	if (parse->commandType != CMD_SELECT || parse->rowMarks != NIL ||
		parse->hasTargetSRFs || parse->setOperations != NULL)
		return NULL;
	/* a local filter must see every row before any limit */
	if (info->local_conds != NIL || info->always_false)
		return NULL;
	return info;
}

/* A path that queries Milvus: as the leader's session, never in a worker. */
static void
add_query_path(RelOptInfo *rel, ForeignPath *path)
{
	path->path.parallel_safe = false;
	add_path(rel, (Path *) path);
}

/* ---- count(*) ---- */

static void
add_count_path(PlannerInfo *root, RelOptInfo *input_rel, RelOptInfo *grouped_rel,
			   GroupPathExtraData *extra)
{
	Query	   *parse = root->parse;
	MilvusRelInfo *info = whole_query_rel(root, input_rel);
	PathTarget *target = root->upper_targets[UPPERREL_GROUP_AGG];
	MilvusUpperInfo *upper;
	ListCell   *lc;

	if (info == NULL || extra->patype != PARTITIONWISE_AGGREGATE_NONE)
		return;
	if (parse->groupClause || parse->groupingSets || parse->hasWindowFuncs ||
		root->hasHavingQual || target->exprs == NIL)
		return;
	foreach(lc, target->exprs)
	{
		Aggref	   *agg = lfirst(lc);

		if (!IsA(agg, Aggref) || agg->aggfnoid != F_COUNT_ || !agg->aggstar ||
			agg->aggfilter || agg->aggdistinct || agg->aggorder ||
			agg->aggsplit != AGGSPLIT_SIMPLE)
			return;
	}

	upper = palloc0(sizeof(MilvusUpperInfo));
	upper->base = input_rel;
	upper->mode = MILVUS_SCAN_COUNT;
	upper->search_kind = -1;
	grouped_rel->fdw_private = upper;
	add_query_path(grouped_rel,
				   create_foreign_upper_path(root, grouped_rel, target, 1,
											 25.0, 35.0, NIL, NULL, NIL));
}

/* ---- ORDER BY distance: remember the search for the final stage ---- */

/* The Var of the table's vector column in a distance expression, or NULL. */
static Var *
vector_column(MilvusRelInfo *info, Index relid, Expr *expr)
{
	Var		   *var;
	MilvusScanColumn *col;

	if (IsA(expr, RelabelType))
		expr = ((RelabelType *) expr)->arg;
	if (!IsA(expr, Var))
		return NULL;
	var = (Var *) expr;
	if (var->varno != relid || var->varattno <= 0 || var->varlevelsup != 0)
		return NULL;
	col = &info->columns[var->varattno - 1];
	if (col->field == NULL || col->data_type != DT(FloatVector) || col->typid != FLOAT4ARRAYOID)
		return NULL;
	return var;
}

static bool
is_query_vector(Expr *expr)
{
	if (IsA(expr, Const))
		return !((Const *) expr)->constisnull;
	if (IsA(expr, Param))
		return ((Param *) expr)->paramkind == PARAM_EXTERN ||
			((Param *) expr)->paramkind == PARAM_EXEC;
	return false;
}

static void
note_search(PlannerInfo *root, RelOptInfo *input_rel, RelOptInfo *ordered_rel)
{
	MilvusRelInfo *info = whole_query_rel(root, input_rel);
	PathKey    *pathkey;
	ListCell   *lc;

	if (info == NULL || list_length(root->sort_pathkeys) != 1 ||
		root->parse->groupClause || root->parse->hasAggs || root->parse->distinctClause)
		return;
	pathkey = linitial(root->sort_pathkeys);
	if (pathkey->pk_strategy != BTLessStrategyNumber || pathkey->pk_nulls_first)
		return;

	foreach(lc, pathkey->pk_eclass->ec_members)
	{
		EquivalenceMember *em = lfirst(lc);
		OpExpr	   *op = (OpExpr *) em->em_expr;
		int			kind;
		Var		   *var;
		Expr	   *vec;
		const char *metric;

		if (!IsA(op, OpExpr) || list_length(op->args) != 2)
			continue;
		kind = distance_kind(op->opno);
		if (kind < 0)
			continue;
		var = vector_column(info, input_rel->relid, linitial(op->args));
		vec = lsecond(op->args);
		if (var == NULL)
		{
			var = vector_column(info, input_rel->relid, lsecond(op->args));
			vec = linitial(op->args);
		}
		if (var == NULL || !is_query_vector(vec))
			continue;
		/* Milvus orders by the index's metric: the operator must agree */
		metric = milvus_vector_metric(info, info->columns[var->varattno - 1].field);
		if (metric == NULL || pg_strcasecmp(metric, metric_of_op[kind]) != 0)
			continue;

		{
			MilvusUpperInfo *upper = palloc0(sizeof(MilvusUpperInfo));

			upper->base = input_rel;
			upper->mode = MILVUS_SCAN_SEARCH;
			upper->search_kind = kind;
			upper->search_field = info->columns[var->varattno - 1].field;
			upper->query_vector = vec;
			upper->distance = (Expr *) op;
			ordered_rel->fdw_private = upper;
		}
		return;
	}
}

/* ---- LIMIT/OFFSET, with or without a search ---- */

static bool
const_int8(Node *node, int64 *value)
{
	Const	   *c = (Const *) node;

	if (node == NULL)
	{
		*value = 0;
		return true;
	}
	if (!IsA(c, Const) || c->consttype != INT8OID)
		return false;
	*value = c->constisnull ? -1 : DatumGetInt64(c->constvalue);
	return true;
}

static void
add_final_path(PlannerInfo *root, RelOptInfo *input_rel, RelOptInfo *final_rel,
			   FinalPathExtraData *extra)
{
	Query	   *parse = root->parse;
	MilvusUpperInfo *ordered = NULL;
	RelOptInfo *base = input_rel;
	MilvusRelInfo *info;
	int64		limit,
				offset;
	List	   *fdw_private;
	List	   *pathkeys = NIL;
	double		rows;

	if (!extra->limit_needed)
		return;
	if (input_rel->reloptkind == RELOPT_UPPER_REL)
	{
		/* only the ordered rel of a search, never a grouped or distinct one */
		ordered = input_rel->fdw_private;
		if (ordered == NULL || ordered->mode != MILVUS_SCAN_SEARCH)
			return;
		base = ordered->base;
		pathkeys = root->sort_pathkeys;
	}
	else if (parse->sortClause || parse->distinctClause || parse->hasAggs ||
			 parse->groupClause || parse->hasWindowFuncs)
		return;
	info = whole_query_rel(root, base);
	if (info == NULL)
		return;
	if (!const_int8(parse->limitCount, &limit) || !const_int8(parse->limitOffset, &offset))
		return;
	if (parse->limitCount == NULL || limit < 0 || offset < 0 || parse->limitOption != LIMIT_OPTION_COUNT)
		return;
	/* Milvus caps limit + offset at 16384 */
	if (limit + offset > 16384)
		return;

	rows = Min((double) limit, Max(base->rows - offset, 0));
	fdw_private = list_make4(makeInteger((int) limit), makeInteger((int) offset),
							 makeInteger(ordered ? ordered->search_kind : -1),
							 ordered ? (Node *) ordered->query_vector : NULL);
	if (ordered)
	{
		fdw_private = lappend(fdw_private, makeString(ordered->search_field));
		fdw_private = lappend(fdw_private, ordered->distance);
	}
	add_query_path(final_rel,
				   create_foreign_upper_path(root, base, root->upper_targets[UPPERREL_FINAL],
											 rows, 25.0, 25.0 + rows * 0.02, pathkeys,
											 NULL, fdw_private));
}

void
milvusGetForeignUpperPaths(PlannerInfo *root, UpperRelationKind stage,
						   RelOptInfo *input_rel, RelOptInfo *output_rel,
						   void *extra)
{
	/* paths of ours already added to this rel: nothing more to do */
	if (output_rel->fdw_private)
		return;
	switch (stage)
	{
		case UPPERREL_GROUP_AGG:
			add_count_path(root, input_rel, output_rel, (GroupPathExtraData *) extra);
			break;
		case UPPERREL_ORDERED:
			note_search(root, input_rel, output_rel);
			break;
		case UPPERREL_FINAL:
			add_final_path(root, input_rel, output_rel, (FinalPathExtraData *) extra);
			break;
		default:
			break;
	}
}
