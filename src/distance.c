/*-------------------------------------------------------------------------
 *
 * distance.c
 *		Vector distances on real[] with pgvector's meanings, usable locally
 *		and recognised by the planner for search pushdown:
 *		  <->  Euclidean (L2) distance
 *		  <#>  negative inner product
 *		  <=>  cosine distance (1 - cosine similarity)
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"

#include "milvus_fdw.h"

PG_FUNCTION_INFO_V1(milvus_l2_distance);
PG_FUNCTION_INFO_V1(milvus_negative_inner_product);
PG_FUNCTION_INFO_V1(milvus_cosine_distance);

/* The elements of a one-dimensional real[] without NULLs. */
static const float *
vector_elements(ArrayType *a, int *n)
{
	if (ARR_ELEMTYPE(a) != FLOAT4OID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("vector distance needs real[] arguments")));
	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("a vector has one dimension, not %d", ARR_NDIM(a))));
	if (ARR_HASNULL(a) && array_contains_nulls(a))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("a vector has no NULL elements")));
	*n = ARR_NDIM(a) == 0 ? 0 : ARR_DIMS(a)[0];
	return (const float *) ARR_DATA_PTR(a);
}

/* The two real[] arguments of a distance function, of one dimension. */
static int
vector_args(FunctionCallInfo fcinfo, const float **a, const float **b)
{
	int			na,
				nb;

	*a = vector_elements(PG_GETARG_ARRAYTYPE_P(0), &na);
	*b = vector_elements(PG_GETARG_ARRAYTYPE_P(1), &nb);
	if (na != nb)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("different vector dimensions %d and %d", na, nb)));
	return na;
}

Datum
milvus_l2_distance(PG_FUNCTION_ARGS)
{
	const float *a,
			   *b;
	int			n = vector_args(fcinfo, &a, &b);
	int			i;
	double		sum = 0;

	for (i = 0; i < n; i++)
	{
		double		d = (double) a[i] - b[i];

		sum += d * d;
	}
	PG_RETURN_FLOAT8(sqrt(sum));
}

Datum
milvus_negative_inner_product(PG_FUNCTION_ARGS)
{
	const float *a,
			   *b;
	int			n = vector_args(fcinfo, &a, &b);
	int			i;
	double		sum = 0;

	for (i = 0; i < n; i++)
		sum += (double) a[i] * b[i];
	PG_RETURN_FLOAT8(-sum);
}

Datum
milvus_cosine_distance(PG_FUNCTION_ARGS)
{
	const float *a,
			   *b;
	int			n = vector_args(fcinfo, &a, &b);
	int			i;
	double		dot = 0,
				norma = 0,
				normb = 0,
				sim;

	for (i = 0; i < n; i++)
	{
		dot += (double) a[i] * b[i];
		norma += (double) a[i] * a[i];
		normb += (double) b[i] * b[i];
	}
	if (norma == 0 || normb == 0)
		PG_RETURN_FLOAT8(NAN);	/* as pgvector: undefined for zero vectors */
	sim = dot / sqrt(norma * normb);
	sim = Max(-1.0, Min(1.0, sim));
	PG_RETURN_FLOAT8(1.0 - sim);
}
