/*-------------------------------------------------------------------------
 *
 * convert.c
 *		The one place where PostgreSQL values become Milvus column data
 *		(FieldData) for writes: which column types each Milvus field type
 *		accepts, how values are checked, and how a column is laid out.
 *
 * A column buffer collects one field's values across rows, in the columnar
 * layout Milvus's FieldData wants, so a batch is packed without another copy.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"

#include "milvus_fdw.h"
#include "milvus.pb-c.h"

#define DT(x) MILVUS__PROTO__SCHEMA__DATA_TYPE__##x

struct MilvusColumnBuffer
{
	MilvusField *field;
	char	   *column;			/* PostgreSQL column name, for errors */
	Oid			typid;			/* column type */
	Oid			elemtype;		/* its element type, for arrays */
	int			width;			/* bytes per row for fixed-size vectors */
	int			nrows;			/* rows appended */
	int			nvalues;		/* values stored (nulls store none) */
	int			capacity;		/* values that fit */
	bool	   *valid;			/* per row, only for nullable fields */
	void	   *values;			/* typed array, see value_size() */
};

/* Bytes one stored value takes in buffer->values. */
static size_t
value_size(const MilvusColumnBuffer *cb)
{
	switch (cb->field->data_type)
	{
		case DT(Bool):
			return sizeof(protobuf_c_boolean);
		case DT(Int8):
		case DT(Int16):
		case DT(Int32):
			return sizeof(int32);
		case DT(Int64):
			return sizeof(int64);
		case DT(Float):
			return sizeof(float);
		case DT(Double):
			return sizeof(double);
		case DT(VarChar):
			return sizeof(char *);
		case DT(JSON):
		case DT(SparseFloatVector):
			return sizeof(ProtobufCBinaryData);
		case DT(Array):
			return sizeof(Milvus__Proto__Schema__ScalarField *);
		default:
			return cb->width;	/* dense vectors */
	}
}

static bool
is_text_type(Oid typid)
{
	return typid == TEXTOID || typid == VARCHAROID || typid == BPCHAROID || typid == NAMEOID;
}

static bool
is_int_type(Oid typid)
{
	return typid == INT2OID || typid == INT4OID || typid == INT8OID;
}

static bool
is_number_type(Oid typid)
{
	return is_int_type(typid) || typid == FLOAT4OID || typid == FLOAT8OID || typid == NUMERICOID;
}

/* Does a column of type typid fit a field of this Milvus type? */
static bool
column_fits(int data_type, int element_type, Oid typid, Oid elemtype)
{
	switch (data_type)
	{
		case DT(Bool):
			return typid == BOOLOID;
		case DT(Int8):
		case DT(Int16):
		case DT(Int32):
		case DT(Int64):
			return is_int_type(typid);
		case DT(Float):
		case DT(Double):
			return is_number_type(typid);
		case DT(VarChar):
			return is_text_type(typid);
		case DT(JSON):
		case DT(SparseFloatVector):
			return typid == JSONBOID || typid == JSONOID;
		case DT(Array):
			return OidIsValid(elemtype) && typid != NAMEOID &&
				column_fits(element_type, DT(None), elemtype, InvalidOid);
		case DT(FloatVector):
			return elemtype == FLOAT4OID || elemtype == FLOAT8OID || elemtype == NUMERICOID;
		case DT(BinaryVector):
			return typid == BYTEAOID;
		case DT(Float16Vector):
		case DT(BFloat16Vector):
			return typid == BYTEAOID || elemtype == FLOAT4OID || elemtype == FLOAT8OID;
		default:
			return false;
	}
}

bool
milvus_column_fits(int data_type, int element_type, Oid typid)
{
	return column_fits(data_type, element_type, typid, get_element_type(typid));
}

/*
 * Can a value of this Milvus type be read into a column of type typid?  As
 * for writing, but integers also read into real, double, numeric and
 * boolean columns.
 */
bool
milvus_column_readable(int data_type, int element_type, Oid typid)
{
	Oid			elemtype = get_element_type(typid);

	switch (data_type)
	{
		case DT(Int8):
		case DT(Int16):
		case DT(Int32):
		case DT(Int64):
			return is_number_type(typid) || typid == BOOLOID;
		case DT(Array):
			return OidIsValid(elemtype) && typid != NAMEOID &&
				milvus_column_readable(element_type, DT(None), elemtype);
		default:
			return column_fits(data_type, element_type, typid, elemtype);
	}
}

/* The ERROR for a column whose type does not go with its field's. */
static void
report_type_mismatch(bool writing, const char *column, Oid typid, const char *field,
					 int data_type, int element_type)
{
	const char *field_type = data_type == DT(Array) ?
		psprintf("%s of %s", milvus_type_name(data_type), milvus_type_name(element_type)) :
		milvus_type_name(data_type);

	ereport(ERROR,
			(errcode(ERRCODE_DATATYPE_MISMATCH),
			 writing ?
			 errmsg("column \"%s\" of type %s cannot be written to Milvus field \"%s\" of type %s",
					column, format_type_be(typid), field, field_type) :
			 errmsg("column \"%s\" of type %s cannot hold Milvus field \"%s\" of type %s",
					column, format_type_be(typid), field, field_type),
			 errhint("Change the column's type, or map it to another field with the column option \"field\".")));
}

/* ERROR unless the field's values can become the column's. */
void
milvus_check_readable(int data_type, int element_type, Oid typid,
					  const char *column, const char *field)
{
	if (!milvus_column_readable(data_type, element_type, typid))
		report_type_mismatch(false, column, typid, field, data_type, element_type);
}

MilvusColumnBuffer *
milvus_column_buffer_create(MilvusField *field, Oid typid, const char *column)
{
	MilvusColumnBuffer *cb = palloc0(sizeof(MilvusColumnBuffer));

	cb->field = field;
	cb->column = pstrdup(column);
	cb->typid = typid;
	cb->elemtype = get_element_type(typid);
	if (!column_fits(field->data_type, field->element_type, typid, cb->elemtype))
		report_type_mismatch(true, column, typid, field->name, field->data_type,
							 field->element_type);
	switch (field->data_type)
	{
		case DT(FloatVector):
			cb->width = field->dim * sizeof(float);
			break;
		case DT(BinaryVector):
			cb->width = field->dim / 8;
			break;
		case DT(Float16Vector):
		case DT(BFloat16Vector):
			cb->width = field->dim * 2;
			break;
		default:
			cb->width = 0;
	}
	cb->capacity = 64;
	cb->values = palloc(value_size(cb) * cb->capacity);
	if (field->nullable)
		cb->valid = palloc(sizeof(bool) * cb->capacity);
	return cb;
}

static void
ensure_room(MilvusColumnBuffer *cb)
{
	if (cb->nrows < cb->capacity && cb->nvalues < cb->capacity)
		return;
	cb->capacity *= 2;
	cb->values = repalloc_huge(cb->values, value_size(cb) * cb->capacity);
	if (cb->valid)
		cb->valid = repalloc_huge(cb->valid, sizeof(bool) * cb->capacity);
}

static void
value_error(MilvusColumnBuffer *cb, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("value of column \"%s\" does not fit Milvus field \"%s\" (%s)",
					cb->column, cb->field->name, milvus_type_name(cb->field->data_type)),
			 errdetail("%s", what)));
}

static int64
datum_to_int64(Datum d, Oid typid)
{
	switch (typid)
	{
		case INT2OID:
			return DatumGetInt16(d);
		case INT4OID:
			return DatumGetInt32(d);
		default:
			return DatumGetInt64(d);
	}
}

static double
datum_to_double(MilvusColumnBuffer *cb, Datum d, Oid typid)
{
	double		v;

	switch (typid)
	{
		case FLOAT4OID:
			v = DatumGetFloat4(d);
			break;
		case FLOAT8OID:
			v = DatumGetFloat8(d);
			break;
		case NUMERICOID:
			v = DatumGetFloat8(DirectFunctionCall1(numeric_float8, d));
			break;
		default:
			v = (double) datum_to_int64(d, typid);
	}
	if (isnan(v) || isinf(v))
		value_error(cb, psprintf("Milvus does not store %s.", isnan(v) ? "NaN" : "infinity"));
	return v;
}

/* A text value as UTF-8, checked against the field's max_length (bytes). */
static char *
text_value(MilvusColumnBuffer *cb, Datum d, Oid typid, int max_length)
{
	char	   *s;
	size_t		len;

	if (typid == NAMEOID)
		s = pstrdup(NameStr(*DatumGetName(d)));
	else
		s = TextDatumGetCString(d);
	s = pg_server_to_any(s, strlen(s), PG_UTF8);
	len = strlen(s);
	if (max_length > 0 && len > (size_t) max_length)
		ereport(ERROR,
				(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
				 errmsg("value of column \"%s\" is too long for Milvus field \"%s\"",
						cb->column, cb->field->name),
				 errdetail("The value has %zu bytes in UTF-8; the field's max_length is %d.",
						   len, max_length)));
	return s;
}

static char *
json_text(Datum d, Oid typid)
{
	if (typid == JSONBOID)
	{
		Jsonb	   *jb = DatumGetJsonbP(d);

		return JsonbToCString(NULL, &jb->root, VARSIZE(jb));
	}
	return TextDatumGetCString(d);
}

/* A one-dimensional array without NULLs, deconstructed. */
static int
array_elements(MilvusColumnBuffer *cb, Datum d, Datum **elems)
{
	ArrayType  *arr = DatumGetArrayTypeP(d);
	int16		typlen;
	bool		typbyval;
	char		typalign;
	bool	   *nulls;
	int			n,
				i;

	if (ARR_NDIM(arr) > 1)
		value_error(cb, psprintf("The array has %d dimensions; Milvus takes one.", ARR_NDIM(arr)));
	get_typlenbyvalalign(ARR_ELEMTYPE(arr), &typlen, &typbyval, &typalign);
	deconstruct_array(arr, ARR_ELEMTYPE(arr), typlen, typbyval, typalign, elems, &nulls, &n);
	for (i = 0; i < n; i++)
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("array in column \"%s\" has a NULL element at position %d",
							cb->column, i + 1),
					 errdetail("Milvus field \"%s\" stores no NULL elements.", cb->field->name)));
	return n;
}

static uint16
float_to_half(float f)
{
	uint32		x;
	uint32		sign,
				mant;
	int			exp;

	memcpy(&x, &f, 4);
	sign = (x >> 16) & 0x8000;
	exp = ((x >> 23) & 0xff) - 127 + 15;
	mant = x & 0x7fffff;
	if (exp <= 0)
	{
		if (exp < -10)
			return sign;
		mant |= 0x800000;
		return sign | ((mant >> (1 - exp)) + 0x1000) >> 13;
	}
	if (exp >= 31)
		return sign | 0x7c00;
	/* round to nearest */
	mant += 0x1000;
	if (mant & 0x800000)
	{
		mant = 0;
		exp++;
		if (exp >= 31)
			return sign | 0x7c00;
	}
	return sign | (exp << 10) | (mant >> 13);
}

static uint16
float_to_bfloat16(float f)
{
	uint32		x;

	memcpy(&x, &f, 4);
	/* round to nearest even on the dropped half */
	x += 0x7fff + ((x >> 16) & 1);
	return (uint16) (x >> 16);
}

static void
append_dense_vector(MilvusColumnBuffer *cb, Datum d, char *dst)
{
	MilvusField *f = cb->field;
	int			i;

	if (cb->typid == BYTEAOID)
	{
		bytea	   *b = DatumGetByteaPP(d);

		if (VARSIZE_ANY_EXHDR(b) != (size_t) cb->width)
			value_error(cb, psprintf("The vector has %zu bytes; dim %d needs %d.",
									 VARSIZE_ANY_EXHDR(b), f->dim, cb->width));
		memcpy(dst, VARDATA_ANY(b), cb->width);
		if ((Pointer) b != DatumGetPointer(d))
			pfree(b);			/* a detoasted copy: reuse its memory for the next */
		return;
	}

	if (cb->elemtype == FLOAT4OID && f->data_type == DT(FloatVector))
	{
		/* the common case: real[] straight into the request */
		ArrayType  *arr = DatumGetArrayTypeP(d);
		int			n = ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr));

		if (ARR_NDIM(arr) > 1)
			value_error(cb, psprintf("The array has %d dimensions; a vector has one.", ARR_NDIM(arr)));
		if (ARR_HASNULL(arr))
		{
			Datum	   *unused;

			(void) array_elements(cb, d, &unused);	/* reports the NULL */
		}
		if (n != f->dim)
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("vector in column \"%s\" has %d dimensions, Milvus field \"%s\" has %d",
							cb->column, n, f->name, f->dim)));
		memcpy(dst, ARR_DATA_PTR(arr), cb->width);
		if ((Pointer) arr != DatumGetPointer(d))
			pfree(arr);			/* a detoasted copy: reuse its memory for the next */
		/* NaN and infinities have every exponent bit set: one branch-free pass */
		{
			const uint32 *bits = (const uint32 *) dst;
			uint32		special = 0;

			for (i = 0; i < n; i++)
				special |= (uint32) ((bits[i] & 0x7f800000) == 0x7f800000);
			if (special)
				for (i = 0; i < n; i++)
				{
					float		v = ((float *) dst)[i];

					if (isnan(v) || isinf(v))
						value_error(cb, psprintf("Element %d is %s.", i + 1, isnan(v) ? "NaN" : "infinite"));
				}
		}
		return;
	}

	{
		Datum	   *elems;
		int			n = array_elements(cb, d, &elems);

		if (n != f->dim)
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("vector in column \"%s\" has %d dimensions, Milvus field \"%s\" has %d",
							cb->column, n, f->name, f->dim)));
		for (i = 0; i < n; i++)
		{
			float		v = (float) datum_to_double(cb, elems[i], cb->elemtype);

			if (f->data_type == DT(FloatVector))
				((float *) dst)[i] = v;
			else if (f->data_type == DT(Float16Vector))
				((uint16 *) dst)[i] = float_to_half(v);
			else
				((uint16 *) dst)[i] = float_to_bfloat16(v);
		}
	}
}

static ProtobufCBinaryData
sparse_vector(MilvusColumnBuffer *cb, Datum d)
{
	Jsonb	   *jb = DatumGetJsonbP(d);
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	StringInfoData buf;
	ProtobufCBinaryData out;
	int64		last = -1;

	if (!JB_ROOT_IS_OBJECT(jb))
		value_error(cb, "A sparse vector is a jsonb object {\"index\": value, ...}.");
	initStringInfo(&buf);
	it = JsonbIteratorInit(&jb->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			char	   *key = pnstrdup(v.val.string.val, v.val.string.len);
			char	   *end;
			int64		idx = strtoll(key, &end, 10);
			uint32		idx32;
			float		val;

			if (*end != '\0' || idx < 0 || idx >= (int64) UINT32_MAX)
				value_error(cb, psprintf("Sparse index \"%s\" is not an integer from 0 to 4294967294.", key));
			tok = JsonbIteratorNext(&it, &v, true);
			if (tok != WJB_VALUE || v.type != jbvNumeric)
				value_error(cb, psprintf("Sparse value at index %s is not a number.", key));
			val = (float) DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v.val.numeric)));
			if (isnan(val) || isinf(val))
				value_error(cb, psprintf("Sparse value at index %s is not finite.", key));
			/* jsonb orders keys by length then bytes: numeric order for digits */
			if (idx <= last)
				value_error(cb, "Sparse indexes must be distinct.");
			last = idx;
			idx32 = (uint32) idx;
			appendBinaryStringInfo(&buf, (char *) &idx32, 4);
			appendBinaryStringInfo(&buf, (char *) &val, 4);
		}
	}
	out.len = buf.len;
	out.data = (uint8_t *) buf.data;
	return out;
}

static Milvus__Proto__Schema__ScalarField *
array_value(MilvusColumnBuffer *cb, Datum d)
{
	Milvus__Proto__Schema__ScalarField *sf = palloc(sizeof(*sf));
	Datum	   *elems;
	int			n = array_elements(cb, d, &elems);
	int			i;

	if (cb->field->max_capacity > 0 && n > cb->field->max_capacity)
		value_error(cb, psprintf("The array has %d elements; max_capacity is %d.",
								 n, cb->field->max_capacity));
	milvus__proto__schema__scalar_field__init(sf);
	switch (cb->field->element_type)
	{
		case DT(Bool):
			{
				Milvus__Proto__Schema__BoolArray *a = palloc(sizeof(*a));

				milvus__proto__schema__bool_array__init(a);
				a->n_data = n;
				a->data = palloc(sizeof(protobuf_c_boolean) * (n + 1));
				for (i = 0; i < n; i++)
					a->data[i] = DatumGetBool(elems[i]);
				sf->data_case = MILVUS__PROTO__SCHEMA__SCALAR_FIELD__DATA_BOOL_DATA;
				sf->bool_data = a;
				break;
			}
		case DT(Int8):
		case DT(Int16):
		case DT(Int32):
			{
				Milvus__Proto__Schema__IntArray *a = palloc(sizeof(*a));
				int64		lo = cb->field->element_type == DT(Int8) ? PG_INT8_MIN :
				cb->field->element_type == DT(Int16) ? PG_INT16_MIN : PG_INT32_MIN;
				int64		hi = -lo - 1;

				milvus__proto__schema__int_array__init(a);
				a->n_data = n;
				a->data = palloc(sizeof(int32) * (n + 1));
				for (i = 0; i < n; i++)
				{
					int64		v = datum_to_int64(elems[i], cb->elemtype);

					if (v < lo || v > hi)
						value_error(cb, psprintf("Element %d (" INT64_FORMAT ") is out of range for %s.",
												 i + 1, v, milvus_type_name(cb->field->element_type)));
					a->data[i] = (int32) v;
				}
				sf->data_case = MILVUS__PROTO__SCHEMA__SCALAR_FIELD__DATA_INT_DATA;
				sf->int_data = a;
				break;
			}
		case DT(Int64):
			{
				Milvus__Proto__Schema__LongArray *a = palloc(sizeof(*a));

				milvus__proto__schema__long_array__init(a);
				a->n_data = n;
				a->data = palloc(sizeof(int64) * (n + 1));
				for (i = 0; i < n; i++)
					a->data[i] = datum_to_int64(elems[i], cb->elemtype);
				sf->data_case = MILVUS__PROTO__SCHEMA__SCALAR_FIELD__DATA_LONG_DATA;
				sf->long_data = a;
				break;
			}
		case DT(Float):
			{
				Milvus__Proto__Schema__FloatArray *a = palloc(sizeof(*a));

				milvus__proto__schema__float_array__init(a);
				a->n_data = n;
				a->data = palloc(sizeof(float) * (n + 1));
				for (i = 0; i < n; i++)
					a->data[i] = (float) datum_to_double(cb, elems[i], cb->elemtype);
				sf->data_case = MILVUS__PROTO__SCHEMA__SCALAR_FIELD__DATA_FLOAT_DATA;
				sf->float_data = a;
				break;
			}
		case DT(Double):
			{
				Milvus__Proto__Schema__DoubleArray *a = palloc(sizeof(*a));

				milvus__proto__schema__double_array__init(a);
				a->n_data = n;
				a->data = palloc(sizeof(double) * (n + 1));
				for (i = 0; i < n; i++)
					a->data[i] = datum_to_double(cb, elems[i], cb->elemtype);
				sf->data_case = MILVUS__PROTO__SCHEMA__SCALAR_FIELD__DATA_DOUBLE_DATA;
				sf->double_data = a;
				break;
			}
		case DT(VarChar):
			{
				Milvus__Proto__Schema__StringArray *a = palloc(sizeof(*a));

				milvus__proto__schema__string_array__init(a);
				a->n_data = n;
				a->data = palloc(sizeof(char *) * (n + 1));
				for (i = 0; i < n; i++)
					a->data[i] = text_value(cb, elems[i], cb->elemtype, cb->field->max_length);
				sf->data_case = MILVUS__PROTO__SCHEMA__SCALAR_FIELD__DATA_STRING_DATA;
				sf->string_data = a;
				break;
			}
		default:
			value_error(cb, "Unsupported array element type.");
	}
	return sf;
}

/*
 * Append one value; returns roughly how many bytes it adds to a request.
 */
size_t
milvus_column_append(MilvusColumnBuffer *cb, Datum value, bool isnull)
{
	MilvusField *f = cb->field;
	char	   *slot;
	size_t		bytes = value_size(cb);

	ensure_room(cb);
	if (isnull)
	{
		if (!f->nullable)
			ereport(ERROR,
					(errcode(ERRCODE_NOT_NULL_VIOLATION),
					 errmsg("null value in column \"%s\" for Milvus field \"%s\", which is not nullable",
							cb->column, f->name),
					 f->is_primary_key ?
					 errhint("Give every row a primary key, or create the collection with auto_id.") : 0));
		cb->valid[cb->nrows++] = false;
		return 1;
	}
	if (cb->valid)
		cb->valid[cb->nrows] = true;
	slot = (char *) cb->values + value_size(cb) * cb->nvalues;

	switch (f->data_type)
	{
		case DT(Bool):
			*(protobuf_c_boolean *) slot = DatumGetBool(value);
			break;
		case DT(Int8):
		case DT(Int16):
		case DT(Int32):
			{
				int64		v = datum_to_int64(value, cb->typid);
				int64		lo = f->data_type == DT(Int8) ? PG_INT8_MIN :
				f->data_type == DT(Int16) ? PG_INT16_MIN : PG_INT32_MIN;

				if (v < lo || v > -lo - 1)
					value_error(cb, psprintf(INT64_FORMAT " is out of range for %s.",
											 v, milvus_type_name(f->data_type)));
				*(int32 *) slot = (int32) v;
				break;
			}
		case DT(Int64):
			*(int64 *) slot = datum_to_int64(value, cb->typid);
			break;
		case DT(Float):
			{
				double		v = datum_to_double(cb, value, cb->typid);

				if (fabs(v) > FLT_MAX)
					value_error(cb, psprintf("%g is out of range for Float.", v));
				*(float *) slot = (float) v;
				break;
			}
		case DT(Double):
			*(double *) slot = datum_to_double(cb, value, cb->typid);
			break;
		case DT(VarChar):
			{
				char	   *s = text_value(cb, value, cb->typid, f->max_length);

				*(char **) slot = s;
				bytes += strlen(s);
				break;
			}
		case DT(JSON):
			{
				ProtobufCBinaryData *b = (ProtobufCBinaryData *) slot;
				char	   *s = json_text(value, cb->typid);

				if (f->is_dynamic && s[0] != '{')
					value_error(cb, "The dynamic field \"$meta\" holds a JSON object.");
				b->data = (uint8_t *) s;
				b->len = strlen(s);
				bytes += b->len;
				break;
			}
		case DT(SparseFloatVector):
			*(ProtobufCBinaryData *) slot = sparse_vector(cb, value);
			bytes += ((ProtobufCBinaryData *) slot)->len;
			break;
		case DT(Array):
			*(Milvus__Proto__Schema__ScalarField **) slot = array_value(cb, value);
			bytes += protobuf_c_message_get_packed_size(*(ProtobufCMessage **) slot);
			break;
		default:
			append_dense_vector(cb, value, slot);
			break;
	}
	cb->nvalues++;
	cb->nrows++;
	return bytes;
}

int
milvus_column_rows(MilvusColumnBuffer *cb)
{
	return cb->nrows;
}

/* Forget rows from nrows on (a rolled-back savepoint). */
void
milvus_column_truncate(MilvusColumnBuffer *cb, int nrows)
{
	int			nvalues = nrows;
	int			i;

	if (nrows >= cb->nrows)
		return;
	if (cb->valid)
	{
		nvalues = 0;
		for (i = 0; i < nrows; i++)
			nvalues += cb->valid[i] ? 1 : 0;
	}
	cb->nrows = nrows;
	cb->nvalues = nvalues;
}

/*
 * The buffer as one FieldData, pointing into the buffer's arrays (valid
 * until the buffer changes).
 */
Milvus__Proto__Schema__FieldData *
milvus_column_field_data(MilvusColumnBuffer *cb)
{
	MilvusField *f = cb->field;
	Milvus__Proto__Schema__FieldData *fd = palloc(sizeof(*fd));
	Milvus__Proto__Schema__ScalarField *sf = NULL;
	Milvus__Proto__Schema__VectorField *vf = NULL;
	size_t		n = cb->nvalues;

	milvus__proto__schema__field_data__init(fd);
	fd->type = f->data_type;
	fd->field_name = f->name;
	fd->is_dynamic = f->is_dynamic;
	if (cb->valid)
	{
		int			i;

		fd->n_valid_data = cb->nrows;
		fd->valid_data = palloc(sizeof(protobuf_c_boolean) * (cb->nrows + 1));
		for (i = 0; i < cb->nrows; i++)
			fd->valid_data[i] = cb->valid[i];
	}

	switch (f->data_type)
	{
		case DT(BinaryVector):
		case DT(FloatVector):
		case DT(Float16Vector):
		case DT(BFloat16Vector):
		case DT(SparseFloatVector):
			vf = palloc(sizeof(*vf));
			milvus__proto__schema__vector_field__init(vf);
			vf->dim = f->dim;
			fd->field_case = MILVUS__PROTO__SCHEMA__FIELD_DATA__FIELD_VECTORS;
			fd->vectors = vf;
			break;
		default:
			sf = palloc(sizeof(*sf));
			milvus__proto__schema__scalar_field__init(sf);
			fd->field_case = MILVUS__PROTO__SCHEMA__FIELD_DATA__FIELD_SCALARS;
			fd->scalars = sf;
	}

#define SCALAR_ARRAY(Type, type, member, CASE) \
	do { \
		Milvus__Proto__Schema__##Type *a = palloc(sizeof(*a)); \
		milvus__proto__schema__##type##__init(a); \
		a->n_data = n; \
		a->data = cb->values; \
		sf->data_case = MILVUS__PROTO__SCHEMA__SCALAR_FIELD__DATA_##CASE; \
		sf->member = a; \
	} while (0)

	switch (f->data_type)
	{
		case DT(Bool):
			SCALAR_ARRAY(BoolArray, bool_array, bool_data, BOOL_DATA);
			break;
		case DT(Int8):
		case DT(Int16):
		case DT(Int32):
			SCALAR_ARRAY(IntArray, int_array, int_data, INT_DATA);
			break;
		case DT(Int64):
			SCALAR_ARRAY(LongArray, long_array, long_data, LONG_DATA);
			break;
		case DT(Float):
			SCALAR_ARRAY(FloatArray, float_array, float_data, FLOAT_DATA);
			break;
		case DT(Double):
			SCALAR_ARRAY(DoubleArray, double_array, double_data, DOUBLE_DATA);
			break;
		case DT(VarChar):
			SCALAR_ARRAY(StringArray, string_array, string_data, STRING_DATA);
			break;
		case DT(JSON):
			SCALAR_ARRAY(JSONArray, jsonarray, json_data, JSON_DATA);
			break;
		case DT(Array):
			SCALAR_ARRAY(ArrayArray, array_array, array_data, ARRAY_DATA);
			sf->array_data->element_type = f->element_type;
			break;
		case DT(FloatVector):
			{
				Milvus__Proto__Schema__FloatArray *a = palloc(sizeof(*a));

				milvus__proto__schema__float_array__init(a);
				a->n_data = n * f->dim;
				a->data = cb->values;
				vf->data_case = MILVUS__PROTO__SCHEMA__VECTOR_FIELD__DATA_FLOAT_VECTOR;
				vf->float_vector = a;
				break;
			}
		case DT(BinaryVector):
			vf->data_case = MILVUS__PROTO__SCHEMA__VECTOR_FIELD__DATA_BINARY_VECTOR;
			vf->binary_vector.data = cb->values;
			vf->binary_vector.len = n * cb->width;
			break;
		case DT(Float16Vector):
			vf->data_case = MILVUS__PROTO__SCHEMA__VECTOR_FIELD__DATA_FLOAT16_VECTOR;
			vf->float16_vector.data = cb->values;
			vf->float16_vector.len = n * cb->width;
			break;
		case DT(BFloat16Vector):
			vf->data_case = MILVUS__PROTO__SCHEMA__VECTOR_FIELD__DATA_BFLOAT16_VECTOR;
			vf->bfloat16_vector.data = cb->values;
			vf->bfloat16_vector.len = n * cb->width;
			break;
		case DT(SparseFloatVector):
			{
				Milvus__Proto__Schema__SparseFloatArray *a = palloc(sizeof(*a));
				size_t		i;
				int64		dim = 0;

				milvus__proto__schema__sparse_float_array__init(a);
				a->n_contents = n;
				a->contents = cb->values;
				for (i = 0; i < n; i++)
					if (a->contents[i].len >= 8)
					{
						uint32		last;

						memcpy(&last, a->contents[i].data + a->contents[i].len - 8, 4);
						dim = Max(dim, (int64) last + 1);
					}
				a->dim = dim;
				vf->dim = dim;
				vf->data_case = MILVUS__PROTO__SCHEMA__VECTOR_FIELD__DATA_SPARSE_FLOAT_VECTOR;
				vf->sparse_float_vector = a;
				break;
			}
	}
	return fd;
}

/* ---- reading: Milvus values as Datums ---- */

static void
read_error(const char *column, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("Milvus value does not fit column \"%s\"", column),
			 errdetail("%s", what)));
}

static Datum
int_datum(int64 v, Oid typid, const char *column)
{
	switch (typid)
	{
		case INT2OID:
			if (v < PG_INT16_MIN || v > PG_INT16_MAX)
				read_error(column, psprintf(INT64_FORMAT " is out of range for smallint.", v));
			return Int16GetDatum((int16) v);
		case INT4OID:
			if (v < PG_INT32_MIN || v > PG_INT32_MAX)
				read_error(column, psprintf(INT64_FORMAT " is out of range for integer.", v));
			return Int32GetDatum((int32) v);
		case INT8OID:
			return Int64GetDatum(v);
		case FLOAT4OID:
			return Float4GetDatum((float4) v);
		case FLOAT8OID:
			return Float8GetDatum((float8) v);
		case NUMERICOID:
			return NumericGetDatum(int64_to_numeric(v));
		case BOOLOID:
			return BoolGetDatum(v != 0);
		default:
			read_error(column, "An integer needs an integer, real, double precision, numeric or boolean column.");
			return (Datum) 0;
	}
}

static Datum
float_datum(double v, Oid typid, const char *column)
{
	switch (typid)
	{
		case FLOAT4OID:
			return Float4GetDatum((float4) v);
		case FLOAT8OID:
			return Float8GetDatum(v);
		case NUMERICOID:
			return DirectFunctionCall1(float8_numeric, Float8GetDatum(v));
		default:
			read_error(column, "A floating-point value needs a real, double precision or numeric column.");
			return (Datum) 0;
	}
}

static Datum
text_datum(const char *s, size_t len, Oid typid)
{
	/* bytes fields are not NUL-terminated; conversion may return its input */
	char	   *server = pg_any_to_server(pnstrdup(s, len), len, PG_UTF8);

	if (typid == JSONBOID)
		return DirectFunctionCall1(jsonb_in, CStringGetDatum(server));
	if (typid == JSONOID)
		return DirectFunctionCall1(json_in, CStringGetDatum(server));
	if (typid == NAMEOID)
		return DirectFunctionCall1(namein, CStringGetDatum(server));
	return PointerGetDatum(cstring_to_text(server));
}

/* A real[] (or float8[]) of n floats, built directly. */
static Datum
float_array_datum(const float *v, int n, Oid elemtype)
{
	ArrayType  *arr;
	int			i;

	if (elemtype == FLOAT4OID)
	{
		size_t		nbytes = ARR_OVERHEAD_NONULLS(1) + sizeof(float) * n;

		arr = palloc0(nbytes);
		SET_VARSIZE(arr, nbytes);
		arr->ndim = 1;
		arr->dataoffset = 0;
		arr->elemtype = FLOAT4OID;
		ARR_DIMS(arr)[0] = n;
		ARR_LBOUND(arr)[0] = 1;
		memcpy(ARR_DATA_PTR(arr), v, sizeof(float) * n);
		return PointerGetDatum(arr);
	}
	else
	{
		Datum	   *d = palloc(sizeof(Datum) * (n + 1));

		for (i = 0; i < n; i++)
			d[i] = elemtype == FLOAT8OID ? Float8GetDatum(v[i]) :
				DirectFunctionCall1(float4_numeric, Float4GetDatum(v[i]));
		if (elemtype == FLOAT8OID)
			return PointerGetDatum(construct_array(d, n, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		return PointerGetDatum(construct_array(d, n, NUMERICOID, -1, false, TYPALIGN_INT));
	}
}

static float
half_to_float(uint16 h)
{
	uint32		sign = (h & 0x8000) << 16;
	int			exp = (h >> 10) & 0x1f;
	uint32		mant = h & 0x3ff;
	uint32		x;
	float		f;

	if (exp == 0)
	{
		f = ldexpf((float) mant, -24);
		return sign ? -f : f;
	}
	if (exp == 31)
		x = sign | 0x7f800000 | (mant << 13);
	else
		x = sign | ((exp - 15 + 127) << 23) | (mant << 13);
	memcpy(&f, &x, 4);
	return f;
}

static Datum
bytes_datum(const uint8 *p, size_t len)
{
	bytea	   *b = palloc(VARHDRSZ + len);

	SET_VARSIZE(b, VARHDRSZ + len);
	memcpy(VARDATA(b), p, len);
	return PointerGetDatum(b);
}

static Datum scalar_datum(Milvus__Proto__Schema__ScalarField *sf, int idx, Oid typid,
						  const char *column);

/* Values in a ScalarField, whichever array carries them. */
static int
scalar_count(Milvus__Proto__Schema__ScalarField *sf)
{
	switch (sf->data_case)
	{
		case MILVUS__PROTO__SCHEMA__SCALAR_FIELD__DATA_BOOL_DATA:
			return sf->bool_data->n_data;
		case MILVUS__PROTO__SCHEMA__SCALAR_FIELD__DATA_INT_DATA:
			return sf->int_data->n_data;
		case MILVUS__PROTO__SCHEMA__SCALAR_FIELD__DATA_LONG_DATA:
			return sf->long_data->n_data;
		case MILVUS__PROTO__SCHEMA__SCALAR_FIELD__DATA_FLOAT_DATA:
			return sf->float_data->n_data;
		case MILVUS__PROTO__SCHEMA__SCALAR_FIELD__DATA_DOUBLE_DATA:
			return sf->double_data->n_data;
		case MILVUS__PROTO__SCHEMA__SCALAR_FIELD__DATA_STRING_DATA:
			return sf->string_data->n_data;
		case MILVUS__PROTO__SCHEMA__SCALAR_FIELD__DATA_JSON_DATA:
			return sf->json_data->n_data;
		case MILVUS__PROTO__SCHEMA__SCALAR_FIELD__DATA_ARRAY_DATA:
			return sf->array_data->n_data;
		default:
			return 0;
	}
}

/* One element array (a Milvus Array value) as a PostgreSQL array. */
static Datum
scalar_array_datum(Milvus__Proto__Schema__ScalarField *sf, Oid elemtype, const char *column)
{
	int			n = scalar_count(sf);
	Datum	   *d = palloc(sizeof(Datum) * (n + 1));
	int			i;
	int16		typlen;
	bool		typbyval;
	char		typalign;

	for (i = 0; i < n; i++)
		d[i] = scalar_datum(sf, i, elemtype, column);
	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	return PointerGetDatum(construct_array(d, n, elemtype, typlen, typbyval, typalign));
}

/* Value `idx` of a ScalarField as a Datum of type typid. */
static Datum
scalar_datum(Milvus__Proto__Schema__ScalarField *sf, int idx, Oid typid, const char *column)
{
	switch (sf->data_case)
	{
		case MILVUS__PROTO__SCHEMA__SCALAR_FIELD__DATA_BOOL_DATA:
			if (typid != BOOLOID)
				read_error(column, "A boolean needs a boolean column.");
			return BoolGetDatum(sf->bool_data->data[idx]);
		case MILVUS__PROTO__SCHEMA__SCALAR_FIELD__DATA_INT_DATA:
			return int_datum(sf->int_data->data[idx], typid, column);
		case MILVUS__PROTO__SCHEMA__SCALAR_FIELD__DATA_LONG_DATA:
			return int_datum(sf->long_data->data[idx], typid, column);
		case MILVUS__PROTO__SCHEMA__SCALAR_FIELD__DATA_FLOAT_DATA:
			return float_datum(sf->float_data->data[idx], typid, column);
		case MILVUS__PROTO__SCHEMA__SCALAR_FIELD__DATA_DOUBLE_DATA:
			return float_datum(sf->double_data->data[idx], typid, column);
		case MILVUS__PROTO__SCHEMA__SCALAR_FIELD__DATA_STRING_DATA:
			return text_datum(sf->string_data->data[idx],
							  strlen(sf->string_data->data[idx]), typid);
		case MILVUS__PROTO__SCHEMA__SCALAR_FIELD__DATA_JSON_DATA:
			{
				ProtobufCBinaryData *b = &sf->json_data->data[idx];

				return text_datum((const char *) b->data, b->len,
								  typid == JSONOID ? JSONOID : JSONBOID);
			}
		case MILVUS__PROTO__SCHEMA__SCALAR_FIELD__DATA_ARRAY_DATA:
			return scalar_array_datum(sf->array_data->data[idx],
									  get_element_type(typid), column);
		default:
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
					 errmsg("cannot read a Milvus value into column \"%s\"", column)));
			return (Datum) 0;
	}
}

/*
 * Value number `idx` of a result column as a Datum of type typid.
 * The caller handles NULLs (valid_data) and maps rows to value indexes.
 */
Datum
milvus_field_datum(Milvus__Proto__Schema__FieldData *fd, int idx, Oid typid, const char *column)
{
	Oid			elemtype = get_element_type(typid);

	if (fd->field_case == MILVUS__PROTO__SCHEMA__FIELD_DATA__FIELD_SCALARS)
		return scalar_datum(fd->scalars, idx, typid, column);
	else if (fd->field_case == MILVUS__PROTO__SCHEMA__FIELD_DATA__FIELD_VECTORS)
	{
		Milvus__Proto__Schema__VectorField *vf = fd->vectors;
		int			dim = (int) vf->dim;

		switch (vf->data_case)
		{
			case MILVUS__PROTO__SCHEMA__VECTOR_FIELD__DATA_FLOAT_VECTOR:
				return float_array_datum(vf->float_vector->data + (size_t) idx * dim, dim, elemtype);
			case MILVUS__PROTO__SCHEMA__VECTOR_FIELD__DATA_BINARY_VECTOR:
				return bytes_datum(vf->binary_vector.data + (size_t) idx * (dim / 8), dim / 8);
			case MILVUS__PROTO__SCHEMA__VECTOR_FIELD__DATA_FLOAT16_VECTOR:
			case MILVUS__PROTO__SCHEMA__VECTOR_FIELD__DATA_BFLOAT16_VECTOR:
				{
					bool		bf = vf->data_case == MILVUS__PROTO__SCHEMA__VECTOR_FIELD__DATA_BFLOAT16_VECTOR;
					const uint8 *p = (bf ? vf->bfloat16_vector.data : vf->float16_vector.data) +
						(size_t) idx * dim * 2;
					float	   *v;
					int			i;

					if (typid == BYTEAOID)
						return bytes_datum(p, (size_t) dim * 2);
					v = palloc(sizeof(float) * (dim + 1));
					for (i = 0; i < dim; i++)
					{
						uint16		h;

						memcpy(&h, p + 2 * i, 2);
						if (bf)
						{
							uint32		x = (uint32) h << 16;

							memcpy(&v[i], &x, 4);
						}
						else
							v[i] = half_to_float(h);
					}
					return float_array_datum(v, dim, elemtype);
				}
			case MILVUS__PROTO__SCHEMA__VECTOR_FIELD__DATA_SPARSE_FLOAT_VECTOR:
				{
					ProtobufCBinaryData *b = &vf->sparse_float_vector->contents[idx];
					StringInfoData buf;
					size_t		off;

					initStringInfo(&buf);
					appendStringInfoChar(&buf, '{');
					for (off = 0; off + 8 <= b->len; off += 8)
					{
						uint32		i32;
						float		val;

						memcpy(&i32, b->data + off, 4);
						memcpy(&val, b->data + off + 4, 4);
						appendStringInfo(&buf, "%s\"%u\": %.9g", off ? ", " : "", i32, val);
					}
					appendStringInfoChar(&buf, '}');
					return DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data));
				}
			default:
				break;
		}
	}
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
			 errmsg("cannot read Milvus field \"%s\" into column \"%s\"", fd->field_name, column)));
	return (Datum) 0;
}

/*
 * One row of an Array field as Milvus stores it in a binlog: a serialized
 * ScalarField.  NULL when the bytes do not parse.
 */
Milvus__Proto__Schema__ScalarField *
milvus_unpack_scalar_field(const uint8 *data, size_t len)
{
	return milvus__proto__schema__scalar_field__unpack(&milvus_pb_allocator, len, data);
}

/* Rows in a result column. */
int
milvus_field_rows(Milvus__Proto__Schema__FieldData *fd)
{
	if (fd->n_valid_data > 0)
		return (int) fd->n_valid_data;
	return milvus_field_values(fd);
}

/* Values stored in a result column (fewer than rows in compact form). */
int
milvus_field_values(Milvus__Proto__Schema__FieldData *fd)
{
	if (fd->field_case == MILVUS__PROTO__SCHEMA__FIELD_DATA__FIELD_SCALARS)
		return scalar_count(fd->scalars);
	if (fd->field_case == MILVUS__PROTO__SCHEMA__FIELD_DATA__FIELD_VECTORS)
	{
		Milvus__Proto__Schema__VectorField *vf = fd->vectors;

		switch (vf->data_case)
		{
			case MILVUS__PROTO__SCHEMA__VECTOR_FIELD__DATA_FLOAT_VECTOR:
				return vf->dim ? vf->float_vector->n_data / vf->dim : 0;
			case MILVUS__PROTO__SCHEMA__VECTOR_FIELD__DATA_BINARY_VECTOR:
				return vf->dim ? vf->binary_vector.len / (vf->dim / 8) : 0;
			case MILVUS__PROTO__SCHEMA__VECTOR_FIELD__DATA_FLOAT16_VECTOR:
				return vf->dim ? vf->float16_vector.len / (vf->dim * 2) : 0;
			case MILVUS__PROTO__SCHEMA__VECTOR_FIELD__DATA_BFLOAT16_VECTOR:
				return vf->dim ? vf->bfloat16_vector.len / (vf->dim * 2) : 0;
			case MILVUS__PROTO__SCHEMA__VECTOR_FIELD__DATA_SPARSE_FLOAT_VECTOR:
				return vf->sparse_float_vector->n_contents;
			default:
				return 0;
		}
	}
	return 0;
}
