/*-------------------------------------------------------------------------
 *
 * deparse.c
 *		WHERE clauses as Milvus boolean expressions: which clauses Milvus
 *		evaluates exactly as PostgreSQL would, and the text that asks it to.
 *
 * One walker does both jobs.  While planning (no ExprContext) it only has
 * to succeed or fail, and Params print as placeholders ($1, $exec1); at
 * execution it evaluates the Params and prints their values.  Keeping one
 * walker means the check and the text cannot drift apart.
 *
 * A clause is pushed only when Milvus gives the same answer as PostgreSQL
 * for every stored value, NULL, NaN and out-of-range constants included.
 * Without NOT, a NULL result and a false one both drop the row, so
 * PostgreSQL's three-valued logic matters only under NOT: NOT is pushed
 * only over expressions that can never be NULL.
 *
 * Milvus 2.3 and Milvus Lite 3.x have different parsers; what we print is
 * what both accept (see docs/milvus-filter-syntax.md): the field always on
 * the left, every sub-expression in parentheses, no bare true/false, float
 * literals always with a point or an exponent, integers in plain decimal,
 * strings without \x or \u escapes.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "access/htup_details.h"
#include "access/transam.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_database.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/pg_locale.h"
#include "utils/syscache.h"

#include "milvus_fdw.h"
#include "milvus.pb-c.h"

#define DT(x) MILVUS__PROTO__SCHEMA__DATA_TYPE__##x

/* Milvus 2.3 reads -9223372036854775808 as minus an out-of-range number. */
#define INT64_MIN_LITERAL "(-9223372036854775807 - 1)"

/* What a column can be compared as; anything else stays local. */
typedef enum FilterKind
{
	KIND_NONE,
	KIND_INT,					/* Int8..Int64 field, int2/int4/int8 column */
	KIND_FLOAT,					/* Float field, float4/float8 column */
	KIND_DOUBLE,				/* Double field, float8 column */
	KIND_BOOL,
	KIND_TEXT,					/* VarChar field, text/varchar column */
	KIND_JSON,					/* JSON field, jsonb column */
	KIND_INT_ARRAY,				/* Array of Int8..Int64, int2[]/int4[]/int8[] */
	KIND_TEXT_ARRAY				/* Array of VarChar, text[]/varchar[] */
} FilterKind;

typedef enum CmpOp
{
	CMP_EQ,
	CMP_NE,
	CMP_LT,
	CMP_LE,
	CMP_GT,
	CMP_GE
} CmpOp;

static const char *const cmp_milvus[] = {"==", "!=", "<", "<=", ">", ">="};

typedef struct DeparseContext
{
	MilvusRelInfo *info;
	StringInfo	buf;
	ExprContext *econtext;		/* NULL: Params print as placeholders */
} DeparseContext;

static bool deparse_expr(DeparseContext *ctx, Expr *node, bool *maybe_null);


/* ---- columns and values ---- */

static bool
is_int_type(Oid typid)
{
	return typid == INT2OID || typid == INT4OID || typid == INT8OID;
}

static bool
is_int_field(int data_type)
{
	return data_type == DT(Int8) || data_type == DT(Int16) ||
		data_type == DT(Int32) || data_type == DT(Int64);
}

static FilterKind
column_kind(const MilvusScanColumn *col)
{
	Oid			typid = col->typid;

	switch (col->data_type)
	{
		case DT(Bool):
			return typid == BOOLOID ? KIND_BOOL : KIND_NONE;
		case DT(Int8):
		case DT(Int16):
		case DT(Int32):
		case DT(Int64):
			return is_int_type(typid) ? KIND_INT : KIND_NONE;
		case DT(Float):
			/* a float widens to double exactly */
			return typid == FLOAT4OID || typid == FLOAT8OID ? KIND_FLOAT : KIND_NONE;
		case DT(Double):
			/* not into real: PostgreSQL would compare the rounded value */
			return typid == FLOAT8OID ? KIND_DOUBLE : KIND_NONE;
		case DT(VarChar):
			/* not bpchar (blank-padded semantics) nor name */
			return typid == TEXTOID || typid == VARCHAROID ? KIND_TEXT : KIND_NONE;
		case DT(JSON):
			return typid == JSONBOID ? KIND_JSON : KIND_NONE;
		case DT(Array):
			if (is_int_field(col->element_type) &&
				(typid == INT2ARRAYOID || typid == INT4ARRAYOID || typid == INT8ARRAYOID))
				return KIND_INT_ARRAY;
			if (col->element_type == DT(VarChar) &&
				(typid == TEXTARRAYOID || typid == VARCHARARRAYOID))
				return KIND_TEXT_ARRAY;
			return KIND_NONE;
		default:
			return KIND_NONE;
	}
}

/* The kind a scalar value of this type compares as. */
static FilterKind
value_kind(Oid typid)
{
	switch (typid)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
			return KIND_INT;
		case FLOAT4OID:
		case FLOAT8OID:
			return KIND_DOUBLE;
		case BOOLOID:
			return KIND_BOOL;
		case TEXTOID:
		case VARCHAROID:
			return KIND_TEXT;
		default:
			return KIND_NONE;
	}
}

/* Can a column of this kind be compared with a value of that kind? */
static bool
kinds_compare(FilterKind column, FilterKind value)
{
	if (column == KIND_FLOAT)
		column = KIND_DOUBLE;
	return column == value && column != KIND_NONE;
}

/*
 * Words the Milvus parsers take as keywords or function names; a field
 * named like one would not parse as a field.
 */
static const char *const milvus_keywords[] = {
	"and", "or", "not", "in", "like", "is", "null", "true", "false", "exists",
	"json_contains", "json_contains_all", "json_contains_any",
	"array_contains", "array_contains_all", "array_contains_any",
	"array_length", "text_match", "phrase_match", "random_sample", NULL
};

/* Can this field name be printed bare? */
static bool
is_plain_identifier(const char *name)
{
	const char *p;
	int			i;

	if (name == NULL || !(isalpha((unsigned char) name[0]) || name[0] == '_'))
		return false;
	for (p = name; *p; p++)
		if (!(isalnum((unsigned char) *p) || *p == '_'))
			return false;
	for (i = 0; milvus_keywords[i]; i++)
		if (pg_strcasecmp(name, milvus_keywords[i]) == 0)
			return false;
	return true;
}

/* The column a Var of our relation stands for, or NULL. */
static MilvusScanColumn *
var_column(DeparseContext *ctx, Expr *expr)
{
	Var		   *var;
	MilvusScanColumn *col;

	if (expr == NULL || !IsA(expr, Var))
		return NULL;
	var = (Var *) expr;
	if (var->varno != ctx->info->relindex || var->varlevelsup != 0 ||
		var->varattno <= 0 || var->varattno > ctx->info->ncolumns)
		return NULL;			/* other relations, system columns, whole rows */
	col = &ctx->info->columns[var->varattno - 1];
	if (col->field == NULL || !is_plain_identifier(col->field))
		return NULL;
	return col;
}

/* Binary-compatible casts (varchar to text) change nothing; look through them. */
static Expr *
strip_relabel(Expr *expr)
{
	while (expr && IsA(expr, RelabelType))
		expr = ((RelabelType *) expr)->arg;
	return expr;
}

/* A Const, or a Param whose value is fixed for the whole scan. */
static bool
is_value(Expr *expr)
{
	if (IsA(expr, Const))
		return true;
	if (IsA(expr, Param))
	{
		Param	   *param = (Param *) expr;

		return param->paramkind == PARAM_EXTERN || param->paramkind == PARAM_EXEC;
	}
	return false;
}

/*
 * The value of a Const, or of a Param when executing.  False for a Param
 * while planning or explaining: the caller prints a placeholder instead.
 */
static bool
fetch_value(DeparseContext *ctx, Expr *expr, Datum *value, bool *isnull)
{
	if (IsA(expr, Const))
	{
		*value = ((Const *) expr)->constvalue;
		*isnull = ((Const *) expr)->constisnull;
		return true;
	}
	if (ctx->econtext == NULL)
		return false;
	*value = ExecEvalExpr(ExecInitExpr(expr, NULL), ctx->econtext, isnull);
	return true;
}

static void
append_placeholder(StringInfo buf, Param *param)
{
	if (param->paramkind == PARAM_EXTERN)
		appendStringInfo(buf, "$%d", param->paramid);
	else
		appendStringInfo(buf, "$exec%d", param->paramid);
}

static int64
datum_to_int64(Datum value, Oid typid)
{
	switch (typid)
	{
		case INT2OID:
			return DatumGetInt16(value);
		case INT4OID:
			return DatumGetInt32(value);
		default:
			return DatumGetInt64(value);
	}
}

static double
datum_to_double(Datum value, Oid typid)
{
	return typid == FLOAT4OID ? (double) DatumGetFloat4(value) : DatumGetFloat8(value);
}

/* Does an integer fit an integer field of this type? */
static bool
int_fits_field(int64 v, int data_type)
{
	switch (data_type)
	{
		case DT(Int8):
			return v >= PG_INT8_MIN && v <= PG_INT8_MAX;
		case DT(Int16):
			return v >= PG_INT16_MIN && v <= PG_INT16_MAX;
		case DT(Int32):
			return v >= PG_INT32_MIN && v <= PG_INT32_MAX;
		default:
			return true;
	}
}

/* Is this double exactly a float? */
static bool
is_exact_float(double v)
{
	return isfinite(v) && fabs(v) <= FLT_MAX && (double) (float) v == v;
}

/*
 * A float or double literal.  17 significant digits give back the same
 * double; Lite compares Float fields in double precision, so a float's
 * value is printed as its exact double, never as a shorter decimal.  The
 * point or exponent matters: Lite refuses integer literals beyond 2^24 for
 * Float fields and 2^53 for Double ones.
 */
static void
append_float(StringInfo buf, double v)
{
	char		s[64];

	snprintf(s, sizeof(s), "%.17g", v);
	appendStringInfoString(buf, s);
	if (strpbrk(s, ".e") == NULL)
		appendStringInfoString(buf, ".0");
}

/* One non-NULL scalar value as a literal (INT64_MIN is the caller's). */
static void
append_scalar(StringInfo buf, Datum value, Oid typid)
{
	switch (value_kind(typid))
	{
		case KIND_INT:
			appendStringInfo(buf, INT64_FORMAT, datum_to_int64(value, typid));
			break;
		case KIND_DOUBLE:
			append_float(buf, datum_to_double(value, typid));
			break;
		case KIND_BOOL:
			appendStringInfoString(buf, DatumGetBool(value) ? "true" : "false");
			break;
		case KIND_TEXT:
			milvus_append_string_literal(buf, TextDatumGetCString(value));
			break;
		default:
			elog(ERROR, "milvus_fdw: unexpected value type %u", typid);
	}
}


/* ---- collations ---- */

static bool
is_c_utf8(const char *locale)
{
	return locale && (pg_strcasecmp(locale, "C.UTF-8") == 0 ||
					  pg_strcasecmp(locale, "C.utf8") == 0);
}

/*
 * Does this collation order strings byte by byte, as Milvus does?  C and
 * POSIX do.  So does glibc's C.UTF-8 from glibc 2.35 on (code point order,
 * which is UTF-8 byte order), when the database encoding is UTF-8;
 * PostgreSQL 15's lc_collate_is_c() does not know that.
 */
static bool
collation_orders_bytes(Oid collid)
{
	bool		result = false;

	if (!OidIsValid(collid))
		return false;
	if (lc_collate_is_c(collid))
		return true;
	if (GetDatabaseEncoding() != PG_UTF8)
		return false;
#if defined(__GLIBC_PREREQ)
#if __GLIBC_PREREQ(2, 35)
	if (collid == DEFAULT_COLLATION_OID)
	{
		HeapTuple	tup = SearchSysCache1(DATABASEOID, ObjectIdGetDatum(MyDatabaseId));
		Form_pg_database db;
		bool		isnull;
		Datum		collate;

		if (!HeapTupleIsValid(tup))
			return false;
		db = (Form_pg_database) GETSTRUCT(tup);
		collate = SysCacheGetAttr(DATABASEOID, tup, Anum_pg_database_datcollate, &isnull);
		result = db->datlocprovider == COLLPROVIDER_LIBC && !isnull &&
			is_c_utf8(TextDatumGetCString(collate));
		ReleaseSysCache(tup);
	}
	else
	{
		HeapTuple	tup = SearchSysCache1(COLLOID, ObjectIdGetDatum(collid));
		Form_pg_collation coll;
		bool		isnull;
		Datum		collate;

		if (!HeapTupleIsValid(tup))
			return false;
		coll = (Form_pg_collation) GETSTRUCT(tup);
		collate = SysCacheGetAttr(COLLOID, tup, Anum_pg_collation_collcollate, &isnull);
		result = coll->collprovider == COLLPROVIDER_LIBC && !isnull &&
			is_c_utf8(TextDatumGetCString(collate));
		ReleaseSysCache(tup);
	}
#endif
#endif
	return result;
}

/* Is equality under this collation byte equality? */
static bool
collation_equals_bytes(Oid collid)
{
	return !OidIsValid(collid) || get_collation_isdeterministic(collid);
}


/* ---- pieces of output ---- */

/*
 * Constant true and false.  Milvus 2.3 refuses a bare true or false, but
 * every server takes an IN over an empty list, and the primary key is
 * never NULL.
 */
static bool
append_constant(DeparseContext *ctx, bool value)
{
	const char *pk = ctx->info->pk_field;

	if (!is_plain_identifier(pk))
		return false;
	appendStringInfo(ctx->buf, value ? "(%s not in [])" : "(%s in [])", pk);
	return true;
}

/* True for every row where the column is not NULL. */
static bool
append_not_null(DeparseContext *ctx, MilvusScanColumn *col)
{
	if (!col->nullable)
		return append_constant(ctx, true);
	appendStringInfo(ctx->buf, "(%s is not null)", col->field);
	return true;
}

/*
 * Before a negated test on a nullable field: Milvus may count NULL as
 * "not equal", PostgreSQL never does.  The caller closes the parenthesis.
 * Fields are nullable only on Milvus 2.5 and newer, which know "is not null".
 */
static void
open_not_null_guard(DeparseContext *ctx, MilvusScanColumn *col)
{
	if (col->nullable)
		appendStringInfo(ctx->buf, "((%s is not null) and ", col->field);
}

static void
close_not_null_guard(DeparseContext *ctx, MilvusScanColumn *col)
{
	if (col->nullable)
		appendStringInfoChar(ctx->buf, ')');
}

static bool
cmp_from_name(const char *name, CmpOp *op)
{
	static const char *const names[] = {"=", "<>", "<", "<=", ">", ">="};
	int			i;

	for (i = 0; i < lengthof(names); i++)
		if (strcmp(name, names[i]) == 0)
		{
			*op = (CmpOp) i;
			return true;
		}
	return false;
}

/* a < b is b > a */
static CmpOp
cmp_commute(CmpOp op)
{
	switch (op)
	{
		case CMP_LT:
			return CMP_GT;
		case CMP_LE:
			return CMP_GE;
		case CMP_GT:
			return CMP_LT;
		case CMP_GE:
			return CMP_LE;
		default:
			return op;
	}
}

/* The name of a built-in operator, or NULL for anything user-defined. */
static char *
builtin_opname(Oid opno)
{
	if (opno >= FirstGenbkiObjectId)
		return NULL;
	return get_opname(opno);
}


/* ---- comparisons ---- */

/*
 * field op c for a Float or Double field and a finite double c.
 *
 * A Float field's values are floats.  PostgreSQL compares them with a
 * double constant in double precision, Milvus 2.3 in float after rounding
 * the literal: they agree only on constants that are exactly floats, so
 * others are first replaced by the nearest float on the safe side (v < c
 * is v <= the largest float below c), and = / <> become constants.
 *
 * NaN: PostgreSQL sorts it above everything, IEEE compares it false, so
 * v > c is printed as not (v <= c) -- the two agree on NaN too.
 */
static bool
deparse_float_comparison(DeparseContext *ctx, MilvusScanColumn *col, FilterKind kind,
						 CmpOp op, double c)
{
	StringInfo	buf = ctx->buf;

	if (!isfinite(c))
		return false;			/* no literal for NaN or infinity */
	if (kind == KIND_FLOAT && !is_exact_float(c))
	{
		float		f;

		if (fabs(c) > FLT_MAX)
			return false;
		f = (float) c;
		switch (op)
		{
			case CMP_EQ:
				return append_constant(ctx, false);
			case CMP_NE:
				return append_not_null(ctx, col);
			case CMP_LT:
			case CMP_LE:
				if ((double) f > c)
					f = nextafterf(f, -INFINITY);
				op = CMP_LE;
				break;
			case CMP_GT:
			case CMP_GE:
				if ((double) f < c)
					f = nextafterf(f, INFINITY);
				op = CMP_GE;
				break;
		}
		c = (double) f;
	}

	switch (op)
	{
		case CMP_EQ:
		case CMP_LT:
		case CMP_LE:
			appendStringInfo(buf, "(%s %s ", col->field, cmp_milvus[op]);
			append_float(buf, c);
			appendStringInfoChar(buf, ')');
			break;
		case CMP_NE:
		case CMP_GT:
		case CMP_GE:
			open_not_null_guard(ctx, col);
			if (op == CMP_NE)
				appendStringInfo(buf, "(%s != ", col->field);
			else
				appendStringInfo(buf, "(not (%s %s ", col->field,
								 op == CMP_GT ? "<=" : "<");
			append_float(buf, c);
			appendStringInfoString(buf, op == CMP_NE ? ")" : "))");
			close_not_null_guard(ctx, col);
			break;
	}
	return true;
}

/*
 * A JSON path, j->'a'->>'b', as j["a"]["b"].  Keys must be constants; an
 * empty key does not parse on Milvus 2.3, and an all-digit key indexes
 * arrays there where PostgreSQL's text key never does.
 */
static bool
deparse_json_path(DeparseContext *ctx, Expr *expr, bool outermost, MilvusScanColumn **colp)
{
	OpExpr	   *op;
	Expr	   *keyexpr;
	Const	   *key;
	MilvusScanColumn *col;
	char	   *keystr;
	const char *p;

	expr = strip_relabel(expr);
	if ((col = var_column(ctx, expr)) != NULL)
	{
		if (outermost || column_kind(col) != KIND_JSON)
			return false;
		appendStringInfoString(ctx->buf, col->field);
		*colp = col;
		return true;
	}
	if (!IsA(expr, OpExpr))
		return false;
	op = (OpExpr *) expr;
	if (op->opfuncid != (outermost ? F_JSONB_OBJECT_FIELD_TEXT : F_JSONB_OBJECT_FIELD) ||
		list_length(op->args) != 2)
		return false;
	keyexpr = strip_relabel(lsecond(op->args));
	if (!IsA(keyexpr, Const))
		return false;
	key = (Const *) keyexpr;
	if (key->constisnull || key->consttype != TEXTOID)
		return false;
	keystr = TextDatumGetCString(key->constvalue);
	for (p = keystr; isdigit((unsigned char) *p); p++)
		;
	if (*p == '\0')
		return false;			/* empty or all digits */
	if (!deparse_json_path(ctx, linitial(op->args), false, colp))
		return false;
	appendStringInfoChar(ctx->buf, '[');
	milvus_append_string_literal(ctx->buf, keystr);
	appendStringInfoChar(ctx->buf, ']');
	return true;
}

/*
 * Can j->>'k' = s be j["k"] == "s"?  ->> gives the text of any JSON value,
 * so '1' matches {"k": 1} in PostgreSQL while Milvus compares strings with
 * strings only.  They agree when s cannot be the text of a number, a
 * boolean, an object or an array (JSON null gives SQL NULL: no match).
 */
static bool
json_text_is_only_string(const char *s)
{
	if (strcmp(s, "true") == 0 || strcmp(s, "false") == 0)
		return false;
	return !(s[0] == '-' || isdigit((unsigned char) s[0]) || s[0] == '{' || s[0] == '[');
}

/*
 * A JSON path printed on its own, so that it is checked before anything
 * else is decided.  NULL if it cannot be pushed.
 */
static char *
json_path_text(DeparseContext *ctx, Expr *path)
{
	StringInfo	save = ctx->buf;
	StringInfoData pathbuf;
	MilvusScanColumn *col;
	bool		ok;

	initStringInfo(&pathbuf);
	ctx->buf = &pathbuf;
	ok = deparse_json_path(ctx, path, true, &col);
	ctx->buf = save;
	return ok ? pathbuf.data : NULL;
}

/* j->>'k' = 'text', given as path and value. */
static bool
deparse_json_equality(DeparseContext *ctx, Expr *path, Expr *value, Oid collid)
{
	Const	   *c;
	char	   *pathtext;
	char	   *s;

	if (!IsA(value, Const) || !collation_equals_bytes(collid))
		return false;
	c = (Const *) value;
	if (value_kind(c->consttype) != KIND_TEXT || (pathtext = json_path_text(ctx, path)) == NULL)
		return false;
	if (c->constisnull)
		return append_constant(ctx, false);
	s = TextDatumGetCString(c->constvalue);
	if (!json_text_is_only_string(s))
		return false;
	appendStringInfo(ctx->buf, "(%s == ", pathtext);
	milvus_append_string_literal(ctx->buf, s);
	appendStringInfoChar(ctx->buf, ')');
	return true;
}

/*
 * column op value, or value op column, for = <> < <= > >= on the column's
 * own kind of value; and the JSON equality above.
 */
static bool
deparse_comparison(DeparseContext *ctx, OpExpr *opexpr, CmpOp op, bool *maybe_null)
{
	Expr	   *left = strip_relabel(linitial(opexpr->args));
	Expr	   *right = strip_relabel(lsecond(opexpr->args));
	Expr	   *value;
	MilvusScanColumn *col;
	FilterKind	kind;
	Oid			valtype;
	Datum		datum;
	bool		isnull;
	StringInfo	buf = ctx->buf;

	if ((col = var_column(ctx, left)) != NULL && is_value(right))
		value = right;
	else if ((col = var_column(ctx, right)) != NULL && is_value(left))
	{
		value = left;
		op = cmp_commute(op);
	}
	else if (op == CMP_EQ && IsA(right, Const) && !IsA(left, Var))
	{
		*maybe_null = true;
		return deparse_json_equality(ctx, left, right, opexpr->inputcollid);
	}
	else if (op == CMP_EQ && IsA(left, Const) && !IsA(right, Var))
	{
		*maybe_null = true;
		return deparse_json_equality(ctx, right, left, opexpr->inputcollid);
	}
	else
		return false;

	kind = column_kind(col);
	valtype = exprType((Node *) value);
	if (!kinds_compare(kind, value_kind(valtype)))
		return false;
	if (kind == KIND_BOOL && op != CMP_EQ && op != CMP_NE)
		return false;
	if (kind == KIND_TEXT &&
		!(op == CMP_EQ || op == CMP_NE ? collation_equals_bytes(opexpr->inputcollid)
		  : collation_orders_bytes(opexpr->inputcollid)))
		return false;
	/* a Float field needs the constant itself; see deparse_float_comparison */
	if ((kind == KIND_FLOAT || kind == KIND_DOUBLE) && !IsA(value, Const))
		return false;

	*maybe_null = col->nullable || IsA(value, Param) || ((Const *) value)->constisnull;

	if (!fetch_value(ctx, value, &datum, &isnull))
	{
		/* planning or EXPLAIN: int, bool or text Param */
		appendStringInfo(buf, "(%s %s ", col->field, cmp_milvus[op]);
		append_placeholder(buf, (Param *) value);
		appendStringInfoChar(buf, ')');
		return true;
	}
	if (isnull)
		return append_constant(ctx, false); /* a comparison with NULL is never true */

	if (kind == KIND_FLOAT || kind == KIND_DOUBLE)
		return deparse_float_comparison(ctx, col, kind, op, datum_to_double(datum, valtype));

	if (op == CMP_NE)
		open_not_null_guard(ctx, col);
	appendStringInfo(buf, "(%s %s ", col->field, cmp_milvus[op]);
	if (kind == KIND_INT && datum_to_int64(datum, valtype) == PG_INT64_MIN)
		appendStringInfoString(buf, INT64_MIN_LITERAL);
	else
		append_scalar(buf, datum, valtype);
	appendStringInfoChar(buf, ')');
	if (op == CMP_NE)
		close_not_null_guard(ctx, col);
	return true;
}


/* ---- LIKE ---- */

/*
 * text LIKE 'prefix%'.  Milvus 2.3 knows only prefix patterns, takes '_'
 * literally where later versions take it as a wildcard, and treats '\'
 * differently again: so only patterns whose prefix has none of % _ \ are
 * pushed.  A pattern without wildcards is an equality; '%' alone matches
 * every non-NULL string (Milvus 2.3 matches everything for like "").
 */
static bool
deparse_like(DeparseContext *ctx, OpExpr *opexpr, bool negate, bool *maybe_null)
{
	Expr	   *left = strip_relabel(linitial(opexpr->args));
	Expr	   *right = strip_relabel(lsecond(opexpr->args));
	MilvusScanColumn *col = var_column(ctx, left);
	Const	   *c;
	char	   *pattern;
	int			len,
				prefix_len,
				i;
	StringInfo	buf = ctx->buf;

	if (col == NULL || column_kind(col) != KIND_TEXT || !IsA(right, Const))
		return false;
	/* nondeterministic collations: PostgreSQL raises an error; let it */
	if (!collation_equals_bytes(opexpr->inputcollid))
		return false;
	c = (Const *) right;
	if (value_kind(c->consttype) != KIND_TEXT)
		return false;
	*maybe_null = col->nullable || c->constisnull;
	if (c->constisnull)
		return append_constant(ctx, false);

	pattern = TextDatumGetCString(c->constvalue);
	len = strlen(pattern);
	for (prefix_len = len; prefix_len > 0 && pattern[prefix_len - 1] == '%'; prefix_len--)
		;
	for (i = 0; i < prefix_len; i++)
		if (pattern[i] == '%' || pattern[i] == '_' || pattern[i] == '\\')
			return false;

	if (prefix_len == len)
	{
		/* no wildcard: plain (in)equality */
		if (negate)
			open_not_null_guard(ctx, col);
		appendStringInfo(buf, "(%s %s ", col->field, negate ? "!=" : "==");
		milvus_append_string_literal(buf, pattern);
		appendStringInfoChar(buf, ')');
		if (negate)
			close_not_null_guard(ctx, col);
		return true;
	}
	if (prefix_len == 0)
		return negate ? append_constant(ctx, false) : append_not_null(ctx, col);

	pattern[prefix_len + 1] = '\0';		/* one trailing % */
	if (negate)
	{
		open_not_null_guard(ctx, col);
		appendStringInfoString(buf, "(not ");
	}
	appendStringInfo(buf, "(%s like ", col->field);
	milvus_append_string_literal(buf, pattern);
	appendStringInfoChar(buf, ')');
	if (negate)
	{
		appendStringInfoChar(buf, ')');
		close_not_null_guard(ctx, col);
	}
	return true;
}


/* ---- array fields ---- */

/*
 * The elements of a constant array, for an array field's function.  Fails
 * on NULL elements and on INT64_MIN (no list syntax that both Milvus 2.3
 * and Lite accept).  Integers the field's elements cannot hold are counted
 * in *out_of_range and left out.
 */
static bool
constant_array_elements(Const *c, MilvusScanColumn *col, Datum **values, int *nvalues,
						int *out_of_range)
{
	ArrayType  *arr = DatumGetArrayTypeP(c->constvalue);
	Oid			elemtype = ARR_ELEMTYPE(arr);
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Datum	   *elems;
	bool	   *nulls;
	int			n,
				i;

	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	deconstruct_array(arr, elemtype, typlen, typbyval, typalign, &elems, &nulls, &n);
	*values = elems;
	*nvalues = 0;
	*out_of_range = 0;
	for (i = 0; i < n; i++)
	{
		if (nulls[i])
			return false;
		if (is_int_type(elemtype))
		{
			int64		v = datum_to_int64(elems[i], elemtype);

			if (v == PG_INT64_MIN)
				return false;
			if (!int_fits_field(v, col->element_type))
			{
				(*out_of_range)++;
				continue;
			}
		}
		elems[(*nvalues)++] = elems[i];
	}
	return true;
}

static void
append_datum_list(StringInfo buf, Datum *values, int n, Oid elemtype)
{
	int			i;

	appendStringInfoChar(buf, '[');
	for (i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoString(buf, ", ");
		append_scalar(buf, values[i], elemtype);
	}
	appendStringInfoChar(buf, ']');
}

/* Does a value of this type compare with this array column's elements? */
static bool
element_type_fits(FilterKind kind, Oid elemtype)
{
	return (kind == KIND_INT_ARRAY && value_kind(elemtype) == KIND_INT) ||
		(kind == KIND_TEXT_ARRAY && value_kind(elemtype) == KIND_TEXT);
}

/*
 * arr @> ARRAY[...] (or ARRAY[...] <@ arr) as array_contains_all, and
 * arr && ARRAY[...] as array_contains_any.  Both ignore order and
 * duplicates, as PostgreSQL does.  The arrays must be constants.
 */
static bool
deparse_array_op(DeparseContext *ctx, OpExpr *opexpr, bool contains_all, bool *maybe_null)
{
	Expr	   *left = strip_relabel(linitial(opexpr->args));
	Expr	   *right = strip_relabel(lsecond(opexpr->args));
	MilvusScanColumn *col;
	FilterKind	kind;
	Const	   *c;
	Datum	   *values;
	int			nvalues;
	int			out_of_range;
	Oid			elemtype;

	if (opexpr->opfuncid == F_ARRAYCONTAINED)
	{
		/* const <@ arr is arr @> const */
		Expr	   *tmp = left;

		left = right;
		right = tmp;
	}
	col = var_column(ctx, left);
	if (col == NULL && !contains_all)
	{
		/* && is symmetric */
		col = var_column(ctx, right);
		right = left;
	}
	if (col == NULL || !IsA(right, Const))
		return false;
	kind = column_kind(col);
	c = (Const *) right;
	elemtype = get_element_type(c->consttype);
	if (!element_type_fits(kind, elemtype))
		return false;
	if (kind == KIND_TEXT_ARRAY && !collation_equals_bytes(opexpr->inputcollid))
		return false;
	*maybe_null = col->nullable || c->constisnull;
	if (c->constisnull)
		return append_constant(ctx, false);
	if (!constant_array_elements(c, col, &values, &nvalues, &out_of_range))
		return false;

	if (contains_all)
	{
		if (out_of_range > 0)
			return append_constant(ctx, false);
		if (nvalues == 0)
			return append_not_null(ctx, col);	/* arr @> '{}' */
	}
	else if (nvalues == 0)
		return append_constant(ctx, false); /* arr && '{}' */

	appendStringInfo(ctx->buf, "(%s(%s, ",
					 contains_all ? "array_contains_all" : "array_contains_any", col->field);
	append_datum_list(ctx->buf, values, nvalues, elemtype);
	appendStringInfoString(ctx->buf, "))");
	return true;
}

/*
 * const = ANY(arr) as array_contains_any(arr, [const]): Lite does not
 * parse a negative number as array_contains's second argument.
 */
static bool
deparse_contains_element(DeparseContext *ctx, ScalarArrayOpExpr *saop, Expr *value,
						 MilvusScanColumn *col, bool *maybe_null)
{
	FilterKind	kind = column_kind(col);
	Const	   *c;
	Oid			valtype;

	if (!IsA(value, Const))
		return false;
	c = (Const *) value;
	valtype = c->consttype;
	if (!element_type_fits(kind, valtype))
		return false;
	if (kind == KIND_TEXT_ARRAY && !collation_equals_bytes(saop->inputcollid))
		return false;
	*maybe_null = col->nullable || c->constisnull;
	if (c->constisnull)
		return append_constant(ctx, false);
	if (kind == KIND_INT_ARRAY)
	{
		int64		v = datum_to_int64(c->constvalue, valtype);

		if (v == PG_INT64_MIN)
			return false;
		if (!int_fits_field(v, col->element_type))
			return append_constant(ctx, false);
	}
	appendStringInfo(ctx->buf, "(array_contains_any(%s, [", col->field);
	append_scalar(ctx->buf, c->constvalue, valtype);
	appendStringInfoString(ctx->buf, "]))");
	return true;
}


/* ---- IN lists ---- */

/*
 * The values of an IN list: a constant array, an ARRAY[...] of Consts and
 * Params, or one array Param.  While planning, Params have no value: an
 * element Param is then a placeholder, and so is a whole-list Param.
 */
typedef struct ValueList
{
	int			n;				/* -1: the array itself is NULL */
	Datum	   *values;
	bool	   *nulls;
	Param	  **placeholders;	/* per element: a Param not evaluated, or NULL */
	Param	   *list_placeholder;	/* the whole list is a Param not evaluated */
	bool		all_const;		/* every value is a Const */
	bool		maybe_null;		/* some element is, or may be, NULL */
} ValueList;

static bool
collect_values(DeparseContext *ctx, Expr *arrayexpr, Oid elemtype, ValueList *vl)
{
	Datum		datum;
	bool		isnull;
	int16		typlen;
	bool		typbyval;
	char		typalign;
	int			i;

	memset(vl, 0, sizeof(*vl));
	if (IsA(arrayexpr, ArrayExpr))
	{
		ArrayExpr  *ae = (ArrayExpr *) arrayexpr;
		ListCell   *lc;

		if (ae->multidims)
			return false;
		vl->n = list_length(ae->elements);
		vl->values = palloc0(sizeof(Datum) * (vl->n + 1));
		vl->nulls = palloc0(sizeof(bool) * (vl->n + 1));
		vl->placeholders = palloc0(sizeof(Param *) * (vl->n + 1));
		vl->all_const = true;
		i = 0;
		foreach(lc, ae->elements)
		{
			Expr	   *elem = strip_relabel(lfirst(lc));

			if (!is_value(elem))
				return false;
			if (IsA(elem, Param))
			{
				vl->all_const = false;
				vl->maybe_null = true;
			}
			if (!fetch_value(ctx, elem, &vl->values[i], &vl->nulls[i]))
				vl->placeholders[i] = (Param *) elem;
			else if (vl->nulls[i])
				vl->maybe_null = true;
			i++;
		}
		return true;
	}

	if (!is_value(arrayexpr))
		return false;
	vl->all_const = IsA(arrayexpr, Const);
	vl->maybe_null = !vl->all_const;
	if (!fetch_value(ctx, arrayexpr, &datum, &isnull))
	{
		vl->list_placeholder = (Param *) arrayexpr;
		return true;
	}
	if (isnull)
	{
		vl->n = -1;
		vl->maybe_null = true;
		return true;
	}
	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	deconstruct_array(DatumGetArrayTypeP(datum), elemtype, typlen, typbyval, typalign,
					  &vl->values, &vl->nulls, &vl->n);
	for (i = 0; i < vl->n; i++)
		if (vl->nulls[i])
			vl->maybe_null = true;
	return true;
}

/*
 * j->>'k' IN ('a', 'b'): Lite takes IN on fields only, so it is a chain of
 * equalities.  Constants only, each checked as in deparse_json_equality.
 */
static bool
deparse_json_in(DeparseContext *ctx, ScalarArrayOpExpr *saop, Expr *path, ValueList *vl,
				Oid elemtype)
{
	StringInfo	buf = ctx->buf;
	char	   *pathtext;
	bool		first = true;
	int			i;

	if (!vl->all_const || !collation_equals_bytes(saop->inputcollid) ||
		value_kind(elemtype) != KIND_TEXT || (pathtext = json_path_text(ctx, path)) == NULL)
		return false;

	if (vl->n < 0)
		return append_constant(ctx, false);
	for (i = 0; i < vl->n; i++)
	{
		char	   *s;

		if (vl->nulls[i])
			continue;			/* never equal; the row may still match another */
		s = TextDatumGetCString(vl->values[i]);
		if (!json_text_is_only_string(s))
			return false;
		appendStringInfo(buf, "%s(%s == ", first ? "(" : " or ", pathtext);
		milvus_append_string_literal(buf, s);
		appendStringInfoChar(buf, ')');
		first = false;
	}
	if (first)
		return append_constant(ctx, false);
	appendStringInfoChar(buf, ')');
	return true;
}

/*
 * x = ANY(list) as "x in [...]" and x <> ALL(list) as "x not in [...]";
 * and const = ANY(array field).
 *
 * NULL elements: x = ANY is true only through a non-NULL element, so NULLs
 * are dropped; x <> ALL with a NULL element is never true.  A Float field
 * never equals a constant that is not exactly a float: such elements are
 * dropped either way.  INT64_MIN goes in a comparison of its own.
 */
static bool
deparse_scalar_array_op(DeparseContext *ctx, ScalarArrayOpExpr *saop, bool *maybe_null)
{
	Expr	   *left = strip_relabel(linitial(saop->args));
	Expr	   *right = strip_relabel(lsecond(saop->args));
	char	   *opname = builtin_opname(saop->opno);
	MilvusScanColumn *col;
	FilterKind	kind;
	Oid			elemtype;
	ValueList	vl;
	bool		is_in;
	bool		has_min = false;
	bool		first = true;
	StringInfo	buf = ctx->buf;
	int			i;

	if (opname == NULL)
		return false;
	if (saop->useOr && strcmp(opname, "=") == 0)
		is_in = true;
	else if (!saop->useOr && strcmp(opname, "<>") == 0)
		is_in = false;
	else
		return false;

	/* const = ANY(array field) */
	if ((col = var_column(ctx, right)) != NULL)
	{
		kind = column_kind(col);
		if (!is_in || (kind != KIND_INT_ARRAY && kind != KIND_TEXT_ARRAY))
			return false;
		return deparse_contains_element(ctx, saop, left, col, maybe_null);
	}

	elemtype = get_element_type(exprType((Node *) right));
	if (!OidIsValid(elemtype) || !collect_values(ctx, right, elemtype, &vl))
		return false;

	col = var_column(ctx, left);
	if (col == NULL)
	{
		*maybe_null = true;
		return is_in && deparse_json_in(ctx, saop, left, &vl, elemtype);
	}

	kind = column_kind(col);
	if (!kinds_compare(kind, value_kind(elemtype)) ||
		(kind == KIND_TEXT && !collation_equals_bytes(saop->inputcollid)))
		return false;
	if (kind == KIND_FLOAT || kind == KIND_DOUBLE)
	{
		/* floats: constants only, and no NaN (equal to itself in PostgreSQL only) */
		if (!vl.all_const)
			return false;
		for (i = 0; i < vl.n; i++)
			if (!vl.nulls[i] && !isfinite(datum_to_double(vl.values[i], elemtype)))
				return false;
	}
	*maybe_null = col->nullable || vl.maybe_null;

	if (vl.list_placeholder)
	{
		appendStringInfo(buf, "(%s %s ", col->field, is_in ? "in" : "not in");
		append_placeholder(buf, vl.list_placeholder);
		appendStringInfoChar(buf, ')');
		return true;
	}
	if (vl.n < 0)
		return append_constant(ctx, false); /* x = ANY(NULL) is NULL */
	for (i = 0; i < vl.n; i++)
	{
		if (vl.placeholders && vl.placeholders[i])
			continue;
		if (vl.nulls[i] && !is_in)
			return append_constant(ctx, false);
		if (!vl.nulls[i] && kind == KIND_INT &&
			datum_to_int64(vl.values[i], elemtype) == PG_INT64_MIN)
			has_min = true;
	}

	if (!is_in)
		open_not_null_guard(ctx, col);
	if (has_min)
		appendStringInfoChar(buf, '(');
	appendStringInfo(buf, "(%s %s [", col->field, is_in ? "in" : "not in");
	for (i = 0; i < vl.n; i++)
	{
		if (vl.placeholders && vl.placeholders[i])
		{
			appendStringInfoString(buf, first ? "" : ", ");
			append_placeholder(buf, vl.placeholders[i]);
			first = false;
			continue;
		}
		if (vl.nulls[i])
			continue;
		if (kind == KIND_INT && datum_to_int64(vl.values[i], elemtype) == PG_INT64_MIN)
			continue;
		if (kind == KIND_FLOAT && !is_exact_float(datum_to_double(vl.values[i], elemtype)))
			continue;
		appendStringInfoString(buf, first ? "" : ", ");
		first = false;
		if ((kind == KIND_FLOAT || kind == KIND_DOUBLE) &&
			datum_to_double(vl.values[i], elemtype) == 0.0)
		{
			/* Lite's IN compares floats bit by bit: -0.0 is not 0.0 there */
			appendStringInfoString(buf, "0.0, -0.0");
			continue;
		}
		append_scalar(buf, vl.values[i], elemtype);
	}
	appendStringInfoString(buf, "])");
	if (has_min)
		appendStringInfo(buf, " %s (%s %s " INT64_MIN_LITERAL "))",
						 is_in ? "or" : "and", col->field, is_in ? "==" : "!=");
	if (!is_in)
		close_not_null_guard(ctx, col);
	return true;
}


/* ---- booleans ---- */

/* flag IS [NOT] TRUE/FALSE/UNKNOWN; never NULL itself. */
static bool
deparse_boolean_test(DeparseContext *ctx, BooleanTest *bt)
{
	MilvusScanColumn *col = var_column(ctx, strip_relabel(bt->arg));
	StringInfo	buf = ctx->buf;
	bool		value;

	if (col == NULL || column_kind(col) != KIND_BOOL)
		return false;
	switch (bt->booltesttype)
	{
		case IS_TRUE:
		case IS_FALSE:
			appendStringInfo(buf, "(%s == %s)", col->field,
							 bt->booltesttype == IS_TRUE ? "true" : "false");
			return true;
		case IS_NOT_TRUE:
		case IS_NOT_FALSE:
			/* the other value, or NULL */
			value = bt->booltesttype == IS_NOT_FALSE;
			if (col->nullable)
				appendStringInfo(buf, "((%s is null) or (%s == %s))", col->field,
								 col->field, value ? "true" : "false");
			else
				appendStringInfo(buf, "(%s == %s)", col->field, value ? "true" : "false");
			return true;
		case IS_UNKNOWN:
			if (!col->nullable)
				return append_constant(ctx, false);
			appendStringInfo(buf, "(%s is null)", col->field);
			return true;
		case IS_NOT_UNKNOWN:
			return append_not_null(ctx, col);
	}
	return false;
}

/* IS [NOT] NULL on a column; vectors stay local. */
static bool
deparse_null_test(DeparseContext *ctx, NullTest *nt)
{
	MilvusScanColumn *col = var_column(ctx, strip_relabel(nt->arg));

	if (col == NULL || nt->argisrow || col->data_type == DT(None) ||
		col->data_type >= DT(BinaryVector))
		return false;
	if (nt->nulltesttype == IS_NOT_NULL)
		return append_not_null(ctx, col);
	if (!col->nullable)
		return append_constant(ctx, false);
	appendStringInfo(ctx->buf, "(%s is null)", col->field);
	return true;
}

static bool
deparse_bool_expr(DeparseContext *ctx, BoolExpr *be, bool *maybe_null)
{
	StringInfo	buf = ctx->buf;
	ListCell   *lc;
	bool		first = true;

	if (be->boolop == NOT_EXPR)
	{
		Expr	   *arg = strip_relabel(linitial(be->args));
		MilvusScanColumn *col = var_column(ctx, arg);
		bool		arg_null;

		/* NOT flag: flag == false is false for NULL too, as PostgreSQL's NULL */
		if (col != NULL && column_kind(col) == KIND_BOOL)
		{
			*maybe_null = col->nullable;
			appendStringInfo(buf, "(%s == false)", col->field);
			return true;
		}
		appendStringInfoString(buf, "(not ");
		if (!deparse_expr(ctx, arg, &arg_null) || arg_null)
			return false;		/* NOT NULL is NULL; Milvus's NOT would say true */
		appendStringInfoChar(buf, ')');
		*maybe_null = false;
		return true;
	}

	*maybe_null = false;
	appendStringInfoChar(buf, '(');
	foreach(lc, be->args)
	{
		bool		arg_null;

		if (!first)
			appendStringInfoString(buf, be->boolop == AND_EXPR ? " and " : " or ");
		first = false;
		if (!deparse_expr(ctx, lfirst(lc), &arg_null))
			return false;
		*maybe_null |= arg_null;
	}
	appendStringInfoChar(buf, ')');
	return true;
}


/* ---- the walker ---- */

/*
 * Print one boolean expression; false if Milvus cannot evaluate it as
 * PostgreSQL would (the output is then garbage).  *maybe_null tells
 * whether PostgreSQL's result can be NULL for some row.
 */
static bool
deparse_expr(DeparseContext *ctx, Expr *node, bool *maybe_null)
{
	check_stack_depth();

	*maybe_null = true;
	if (node == NULL)
		return false;
	node = strip_relabel(node);

	switch (nodeTag(node))
	{
		case T_Const:
			{
				Const	   *c = (Const *) node;

				if (c->consttype != BOOLOID)
					return false;
				*maybe_null = c->constisnull;
				return append_constant(ctx, !c->constisnull && DatumGetBool(c->constvalue));
			}
		case T_Var:
			{
				/* a bare boolean column */
				MilvusScanColumn *col = var_column(ctx, node);

				if (col == NULL || column_kind(col) != KIND_BOOL)
					return false;
				*maybe_null = col->nullable;
				appendStringInfo(ctx->buf, "(%s == true)", col->field);
				return true;
			}
		case T_BoolExpr:
			return deparse_bool_expr(ctx, (BoolExpr *) node, maybe_null);
		case T_NullTest:
			*maybe_null = false;
			return deparse_null_test(ctx, (NullTest *) node);
		case T_BooleanTest:
			*maybe_null = false;
			return deparse_boolean_test(ctx, (BooleanTest *) node);
		case T_ScalarArrayOpExpr:
			{
				ScalarArrayOpExpr *saop = (ScalarArrayOpExpr *) node;

				if (list_length(saop->args) != 2)
					return false;
				return deparse_scalar_array_op(ctx, saop, maybe_null);
			}
		case T_OpExpr:
			{
				OpExpr	   *op = (OpExpr *) node;
				char	   *opname;
				CmpOp		cmp;

				if (list_length(op->args) != 2 || op->opresulttype != BOOLOID ||
					(opname = builtin_opname(op->opno)) == NULL)
					return false;
				switch (op->opfuncid)
				{
					case F_TEXTLIKE:
					case F_TEXTNLIKE:
						return deparse_like(ctx, op, op->opfuncid == F_TEXTNLIKE, maybe_null);
					case F_ARRAYCONTAINS:
					case F_ARRAYCONTAINED:
					case F_ARRAYOVERLAP:
						return deparse_array_op(ctx, op, op->opfuncid != F_ARRAYOVERLAP,
												maybe_null);
				}
				if (cmp_from_name(opname, &cmp))
					return deparse_comparison(ctx, op, cmp, maybe_null);
				return false;
			}
		default:
			return false;
	}
}


/* ---- the module's interface ---- */

bool
milvus_is_foreign_expr(PlannerInfo *root, RelOptInfo *baserel, Expr *expr)
{
	MilvusRelInfo *info = (MilvusRelInfo *) baserel->fdw_private;
	DeparseContext ctx;
	StringInfoData scratch;
	bool		maybe_null;
	bool		ok;

	if (info == NULL)
		return false;
	initStringInfo(&scratch);
	ctx.info = info;
	ctx.buf = &scratch;
	ctx.econtext = NULL;
	ok = deparse_expr(&ctx, expr, &maybe_null);
	pfree(scratch.data);
	return ok;
}

void
milvus_classify_conditions(PlannerInfo *root, RelOptInfo *baserel, List *input_conds,
						   List **remote_conds, List **local_conds)
{
	ListCell   *lc;

	*remote_conds = NIL;
	*local_conds = NIL;
	foreach(lc, input_conds)
	{
		RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);

		if (milvus_is_foreign_expr(root, baserel, rinfo->clause))
			*remote_conds = lappend(*remote_conds, rinfo);
		else
			*local_conds = lappend(*local_conds, rinfo);
	}
}

/*
 * The work, Param evaluation included, happens in a memory context of its
 * own, so a scan rescanned for every outer row does not grow its caller's.
 */
char *
milvus_deparse_conditions(List *exprs, MilvusRelInfo *info, ExprContext *econtext)
{
	MemoryContext work = AllocSetContextCreate(CurrentMemoryContext,
											   "milvus_fdw deparse",
											   ALLOCSET_SMALL_SIZES);
	MemoryContext oldcxt = MemoryContextSwitchTo(work);
	StringInfoData buf;
	DeparseContext ctx;
	ListCell   *lc;
	char	   *result;

	initStringInfo(&buf);
	ctx.info = info;
	ctx.buf = &buf;
	ctx.econtext = econtext;
	foreach(lc, exprs)
	{
		bool		maybe_null;

		if (buf.len > 0)
			appendStringInfoString(&buf, " and ");
		if (!deparse_expr(&ctx, lfirst(lc), &maybe_null))
			elog(ERROR, "milvus_fdw: a pushed-down condition cannot be translated");
	}
	MemoryContextSwitchTo(oldcxt);
	result = pstrdup(buf.data);
	MemoryContextDelete(work);
	return result;
}

/*
 * A Milvus string literal.  Milvus 2.3 reads it with Go's strconv.Unquote,
 * Lite with its own parser that knows only \" \\ \n \r \t (and \'): so
 * those five are escaped and every other character, control characters
 * included, is passed through raw, which both accept.  Milvus wants UTF-8.
 */
void
milvus_append_string_literal(StringInfo buf, const char *s)
{
	char	   *utf8 = pg_server_to_any(s, strlen(s), PG_UTF8);
	const char *p;

	appendStringInfoChar(buf, '"');
	for (p = utf8; *p; p++)
	{
		switch (*p)
		{
			case '"':
				appendStringInfoString(buf, "\\\"");
				break;
			case '\\':
				appendStringInfoString(buf, "\\\\");
				break;
			case '\n':
				appendStringInfoString(buf, "\\n");
				break;
			case '\r':
				appendStringInfoString(buf, "\\r");
				break;
			case '\t':
				appendStringInfoString(buf, "\\t");
				break;
			default:
				appendStringInfoChar(buf, *p);
		}
	}
	appendStringInfoChar(buf, '"');
	if (utf8 != s)
		pfree(utf8);
}
