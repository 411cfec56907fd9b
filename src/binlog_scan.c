/*-------------------------------------------------------------------------
 *
 * binlog_scan.c
 *		Whole-collection reads straight from Milvus's binlog files: a batch
 *		at a time (the i-th file of each field of a segment), deletes
 *		applied by timestamp, rows handed to scan.c as Datums.  Batches are
 *		claimed through a counter, shared in DSM by a parallel scan.
 *
 * What a scan sees is the collection at its Flush (segments.c): rows
 * inserted after that timestamp are skipped, deletes after it ignored.
 * A row with primary key p and insert timestamp t is deleted when some
 * delete of p has a timestamp above t (an upsert deletes and re-inserts
 * with the same timestamp, so the new row survives).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "milvus_fdw.h"
#include "storage/storage.h"
#include "binlog/binlog.h"
#include "binlog/parquet.h"
#include "schema.pb-c.h"

#define DT(x) MILVUS__PROTO__SCHEMA__DATA_TYPE__##x

/* System fields (Milvus's pkg/common). */
#define TIMESTAMP_FIELD_ID	1

/* The plan, flattened so it can live in DSM: keys NUL-terminated. */
typedef struct BinlogShared
{
	pg_atomic_uint32 next_unit; /* the next batch to claim */
	pg_atomic_uint32 query_taken;	/* fallback: one participant queries */
	uint64		snapshot_ts;
	int32		nunits;
	int32		nfields;
	int32		ndeltas;
	int32		has_fallback;
	Size		data_len;
	char		data[FLEXIBLE_ARRAY_MEMBER];	/* [fallback] unit keys, delta keys */
} BinlogShared;

/* A field read by the scan and where its values go. */
typedef struct ReadField
{
	MilvusField *field;
	int64		field_id;
	bool		fetched;		/* feeds a column */
} ReadField;

/* A deleted primary key and its latest delete. */
typedef struct DeleteEntry
{
	int64		ipk;			/* the key: an int64, or */
	char	   *spk;			/* a string (hashed by content) */
	uint64		ts;
} DeleteEntry;

struct MilvusBinlogScan
{
	MilvusConn *conn;
	struct MilvusStorage *storage;
	MilvusCollection *coll;
	MilvusRelInfo *info;
	MemoryContext cxt;			/* the scan's life */
	MemoryContext batch_cxt;	/* one batch */
	List	   *big_buffers;	/* BigBuffers, reused batch after batch */
	bool		pk_is_string;
	bool		flush;			/* Flush before planning */

	/* fields read: [0] timestamp, [1] primary key, then the columns' */
	int			nread;
	ReadField  *read;
	int			ncols;			/* fetched columns, in attnums order */
	int		   *col_read;		/* column -> index in read */
	Oid		   *col_typid;
	char	  **col_name;

	/* the plan, here or in DSM */
	BinlogShared *shared;
	char	  **unit_keys;		/* [unit * nread + field] */
	char	  **delta_keys;
	const char *fallback;
	HTAB	   *deletes;		/* built on first use */

	/* the current batch */
	bool		in_batch;
	int64		batch_rows;
	int64		next_row;
	PqColumn   *cols;			/* per read field */
	Milvus__Proto__Schema__FieldData **fd;	/* per read field, for convert.c */
};

/* ---- memory for the Parquet and binlog readers ---- */

static void *
pq_palloc(void *ctx, size_t size)
{
	return MemoryContextAllocHuge((MemoryContext) ctx, Max(size, 1));
}

static PqMem
scan_mem(MemoryContext cxt)
{
	PqMem		mem = {pq_palloc, NULL, cxt, 0};

	mem.max_alloc = MaxAllocHugeSize;
	return mem;
}

/*
 * A batch's big buffers (decoded columns of many MB) are kept for the next
 * batch instead of being freed: fresh ones would cost a page fault per 4 kB
 * each time, more than decoding them.
 */
#define BIG_BUFFER	(1024 * 1024)

typedef struct BigBuffer
{
	void	   *ptr;
	size_t		cap;
	bool		in_use;
} BigBuffer;

static void *
batch_alloc(void *ctx, size_t size)
{
	MilvusBinlogScan *bs = ctx;
	BigBuffer  *best = NULL;
	ListCell   *lc;

	if (size < BIG_BUFFER)
		return MemoryContextAllocHuge(bs->batch_cxt, Max(size, 1));
	foreach(lc, bs->big_buffers)
	{
		BigBuffer  *b = lfirst(lc);

		if (!b->in_use && b->cap >= size && (best == NULL || b->cap < best->cap))
			best = b;
	}
	if (best == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(bs->cxt);

		best = palloc(sizeof(BigBuffer));
		best->ptr = MemoryContextAllocHuge(bs->cxt, size);
		best->cap = size;
		bs->big_buffers = lappend(bs->big_buffers, best);
		MemoryContextSwitchTo(old);
	}
	best->in_use = true;
	return best->ptr;
}

/* A new batch: every big buffer is free again, the small ones are gone. */
static PqMem
batch_mem(MilvusBinlogScan *bs)
{
	PqMem		mem = {batch_alloc, NULL, bs, MaxAllocHugeSize};
	ListCell   *lc;

	MemoryContextReset(bs->batch_cxt);
	foreach(lc, bs->big_buffers)
		((BigBuffer *) lfirst(lc))->in_use = false;
	return mem;
}

/* ---- deletes ---- */

static uint32
delete_hash(const void *key, Size keysize)
{
	const DeleteEntry *e = key;

	if (e->spk)
		return string_hash(e->spk, strlen(e->spk) + 1);
	return hash_bytes((const unsigned char *) &e->ipk, sizeof(int64));
}

static int
delete_match(const void *a, const void *b, Size keysize)
{
	const DeleteEntry *x = a,
			   *y = b;

	if (x->spk || y->spk)
		return (x->spk && y->spk) ? strcmp(x->spk, y->spk) : 1;
	return x->ipk == y->ipk ? 0 : 1;
}

static void *
delete_keycopy(void *dest, const void *src, Size keysize)
{
	return memcpy(dest, src, offsetof(DeleteEntry, ts));
}

/*
 * The latest delete of each primary key up to the snapshot, from every
 * delta log of a live segment.
 */
static void
load_deletes(MilvusBinlogScan *bs, int ndeltas)
{
	HASHCTL		ctl;
	int			i;
	uint64		snapshot = bs->shared->snapshot_ts;
	MemoryContext tmp = AllocSetContextCreate(CurrentMemoryContext, "milvus_fdw delta log",
											  ALLOCSET_DEFAULT_SIZES);

	ctl.keysize = offsetof(DeleteEntry, ts);
	ctl.entrysize = sizeof(DeleteEntry);
	ctl.hash = delete_hash;
	ctl.match = delete_match;
	ctl.keycopy = delete_keycopy;
	ctl.hcxt = bs->cxt;
	bs->deletes = hash_create("milvus_fdw deletes", 1024, &ctl,
							  HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_KEYCOPY | HASH_CONTEXT);

	for (i = 0; i < ndeltas; i++)
	{
		const char *key = bs->delta_keys[i];
		size_t		len;
		char	   *buf;
		BinlogDeletes dels;
		PqError		err;
		PqMem		mem = scan_mem(tmp);
		MemoryContext old = MemoryContextSwitchTo(tmp);
		int64		j;

		buf = milvus_storage_get(bs->storage, key, 0, -1, &len);
		if (!binlog_read_deletes((const uint8_t *) buf, len, &mem, &dels, &err))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("cannot read Milvus delta log \"%s\" of collection \"%s\"",
							key, bs->coll->name),
					 errdetail("%s", err.msg)));
		MemoryContextSwitchTo(bs->cxt);
		for (j = 0; j < dels.count; j++)
		{
			DeleteEntry probe = {0};
			DeleteEntry *e;
			bool		found;

			uint64		ts = dels.timestamps[j];

			if (ts > snapshot)
				continue;		/* after the scan's snapshot */
			if (dels.pk_is_string)
				probe.spk = pnstrdup((const char *) dels.pk_data + dels.pk_offsets[j],
									 dels.pk_offsets[j + 1] - dels.pk_offsets[j]);
			else
				probe.ipk = dels.int_pks[j];
			e = hash_search(bs->deletes, &probe, HASH_ENTER, &found);
			if (!found)
			{
				e->spk = probe.spk;	/* already in the scan's context */
				e->ts = ts;
			}
			else if (ts > e->ts)
				e->ts = ts;
		}
		MemoryContextSwitchTo(old);
		MemoryContextReset(tmp);
	}
	MemoryContextDelete(tmp);
}

/* ---- the plan ---- */

/* The fields to read: timestamp, primary key, then the fetched columns'. */
static void
choose_fields(MilvusBinlogScan *bs, List *attnums)
{
	MilvusCollection *coll = bs->coll;
	MilvusField *pk = &coll->fields[coll->pk_index];
	ListCell   *lc;
	int			i = 0;

	bs->read = palloc0(sizeof(ReadField) * (list_length(attnums) + 2));
	bs->read[0].field_id = TIMESTAMP_FIELD_ID;
	bs->read[1].field = pk;
	bs->read[1].field_id = pk->field_id;
	bs->nread = 2;
	bs->pk_is_string = pk->data_type == DT(VarChar);

	bs->ncols = list_length(attnums);
	bs->col_read = palloc(sizeof(int) * (bs->ncols + 1));
	bs->col_typid = palloc(sizeof(Oid) * (bs->ncols + 1));
	bs->col_name = palloc(sizeof(char *) * (bs->ncols + 1));
	foreach(lc, attnums)
	{
		MilvusScanColumn *col = &bs->info->columns[lfirst_int(lc) - 1];
		MilvusField *f = milvus_find_field(coll, col->field);
		int			r;

		if (f == NULL || f->field_id <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_COLUMN_NAME_NOT_FOUND),
					 errmsg("Milvus collection \"%s\" has no field \"%s\" for column \"%s\"",
							coll->name, col->field, col->name)));
		for (r = 1; r < bs->nread; r++)
			if (bs->read[r].field_id == f->field_id)
				break;
		if (r == bs->nread)
		{
			bs->read[r].field = f;
			bs->read[r].field_id = f->field_id;
			bs->nread++;
		}
		bs->read[r].fetched = true;
		bs->col_read[i] = r;
		bs->col_typid[i] = col->typid;
		bs->col_name[i] = col->name;
		i++;
	}
}

/* Lay the plan out flat in `shared` (sized by plan_size()). */
static Size
plan_size(MilvusBinlogPlan *plan, int nread)
{
	Size		size = offsetof(BinlogShared, data);
	int			s,
				b,
				f;
	ListCell   *lc;

	if (plan->fallback)
		return size + strlen(plan->fallback) + 1;
	for (s = 0; s < plan->nsegments; s++)
		for (b = 0; b < plan->segments[s].nbatches; b++)
			for (f = 0; f < nread; f++)
				size += strlen(plan->segments[s].logs[f][b].key) + 1;
	foreach(lc, plan->delta_keys)
		size += strlen(lfirst(lc)) + 1;
	return size;
}

static void
plan_write(MilvusBinlogPlan *plan, int nread, BinlogShared *shared)
{
	char	   *p = shared->data;
	int			s,
				b,
				f;
	ListCell   *lc;

	pg_atomic_init_u32(&shared->next_unit, 0);
	pg_atomic_init_u32(&shared->query_taken, 0);
	shared->snapshot_ts = plan->snapshot_ts;
	shared->nfields = nread;
	shared->nunits = 0;
	shared->ndeltas = 0;
	shared->has_fallback = plan->fallback != NULL;
	if (plan->fallback)
	{
		strcpy(p, plan->fallback);
		return;
	}
	for (s = 0; s < plan->nsegments; s++)
		for (b = 0; b < plan->segments[s].nbatches; b++)
		{
			for (f = 0; f < nread; f++)
			{
				strcpy(p, plan->segments[s].logs[f][b].key);
				p += strlen(p) + 1;
			}
			shared->nunits++;
		}
	foreach(lc, plan->delta_keys)
	{
		strcpy(p, lfirst(lc));
		p += strlen(p) + 1;
		shared->ndeltas++;
	}
	shared->data_len = p - shared->data;
}

/* Point unit_keys and delta_keys into the flat plan. */
static void
plan_attach(MilvusBinlogScan *bs, BinlogShared *shared)
{
	char	   *p = shared->data;
	int			i;

	bs->shared = shared;
	if (shared->has_fallback)
	{
		bs->fallback = p;
		return;
	}
	bs->unit_keys = MemoryContextAlloc(bs->cxt, sizeof(char *) * ((Size) shared->nunits * shared->nfields + 1));
	for (i = 0; i < shared->nunits * shared->nfields; i++)
	{
		bs->unit_keys[i] = p;
		p += strlen(p) + 1;
	}
	bs->delta_keys = MemoryContextAlloc(bs->cxt, sizeof(char *) * (shared->ndeltas + 1));
	for (i = 0; i < shared->ndeltas; i++)
	{
		bs->delta_keys[i] = p;
		p += strlen(p) + 1;
	}
}

MilvusBinlogScan *
milvus_binlog_scan_create(MilvusConn *conn, ForeignServer *server, Oid userid,
						  MilvusRelInfo *info, List *attnums, bool flush,
						  MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	MilvusBinlogScan *bs = palloc0(sizeof(MilvusBinlogScan));

	bs->conn = conn;
	bs->cxt = cxt;
	bs->flush = flush;
	bs->info = info;
	bs->coll = milvus_collection_cached(conn, info->collection);
	if (bs->coll->pk_index < 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("Milvus collection \"%s\" has no primary key", info->collection)));
	bs->storage = milvus_storage_open_for(server, userid);
	bs->batch_cxt = AllocSetContextCreate(cxt, "milvus_fdw binlog batch",
										  ALLOCSET_DEFAULT_SIZES);
	choose_fields(bs, attnums);
	MemoryContextSwitchTo(old);
	return bs;
}

/* Flush, list and check the files (segments.c); once, in the leader. */
static MilvusBinlogPlan *
make_plan(MilvusBinlogScan *bs)
{
	int64	   *ids = palloc(sizeof(int64) * bs->nread);
	int			i;

	for (i = 0; i < bs->nread; i++)
		ids[i] = bs->read[i].field_id;
	return milvus_binlog_plan(bs->conn, bs->storage, bs->coll, bs->flush, bs->nread, ids);
}

/* Serial scan: the plan in backend memory. */
void
milvus_binlog_scan_start(MilvusBinlogScan *bs)
{
	MemoryContext old = MemoryContextSwitchTo(bs->cxt);
	MilvusBinlogPlan *plan = make_plan(bs);
	BinlogShared *shared = palloc(plan_size(plan, bs->nread));

	plan_write(plan, bs->nread, shared);
	plan_attach(bs, shared);
	MemoryContextSwitchTo(old);
}

/* Parallel scan, leader: plan now, to size the DSM. */
Size
milvus_binlog_scan_dsm_size(MilvusBinlogScan *bs, void **plan_out)
{
	MemoryContext old = MemoryContextSwitchTo(bs->cxt);
	MilvusBinlogPlan *plan = make_plan(bs);

	MemoryContextSwitchTo(old);
	*plan_out = plan;
	return plan_size(plan, bs->nread);
}

void
milvus_binlog_scan_dsm_init(MilvusBinlogScan *bs, void *plan, void *coordinate)
{
	plan_write((MilvusBinlogPlan *) plan, bs->nread, coordinate);
	plan_attach(bs, coordinate);
}

void
milvus_binlog_scan_dsm_attach(MilvusBinlogScan *bs, void *coordinate)
{
	plan_attach(bs, coordinate);
}

void
milvus_binlog_scan_dsm_reinit(void *coordinate)
{
	BinlogShared *shared = coordinate;

	pg_atomic_write_u32(&shared->next_unit, 0);
	pg_atomic_write_u32(&shared->query_taken, 0);
}

bool
milvus_binlog_scan_started(MilvusBinlogScan *bs)
{
	return bs->shared != NULL;
}

/* Why the files cannot be read (then the scan queries), or NULL. */
const char *
milvus_binlog_scan_fallback(MilvusBinlogScan *bs)
{
	return bs->fallback;
}

/* Fallback: true for the one participant that runs the Query. */
bool
milvus_binlog_scan_claim_query(MilvusBinlogScan *bs)
{
	return pg_atomic_fetch_add_u32(&bs->shared->query_taken, 1) == 0;
}

uint64
milvus_binlog_scan_snapshot(MilvusBinlogScan *bs)
{
	return bs->shared->snapshot_ts;
}

int
milvus_binlog_scan_batches(MilvusBinlogScan *bs)
{
	return bs->shared ? bs->shared->nunits : 0;
}

/* A rescan of a serial scan reads the same files again. */
void
milvus_binlog_scan_rescan(MilvusBinlogScan *bs)
{
	bs->in_batch = false;
	MemoryContextReset(bs->batch_cxt);
	if (bs->shared)
		milvus_binlog_scan_dsm_reinit(bs->shared);
}

/* ---- one batch ---- */

/*
 * A decoded column as the FieldData convert.c reads, sharing its buffers
 * where the layouts agree (vectors, numbers, JSON bytes).
 */
static Milvus__Proto__Schema__FieldData *
column_field_data(MilvusField *f, PqColumn *col, const char *key)
{
	Milvus__Proto__Schema__FieldData *fd = palloc(sizeof(*fd));
	int64		n = col->num_rows,
				i;
	int			dt = f->data_type;

	milvus__proto__schema__field_data__init(fd);
	fd->field_name = f->name;
	fd->type = dt;

#define EXPECT(phys, width) \
	do { \
		if (col->physical_type != (phys) || ((width) > 0 && col->value_width != (width))) \
			ereport(ERROR, \
					(errcode(ERRCODE_FDW_INVALID_DATA_TYPE), \
					 errmsg("binlog \"%s\" of Milvus field \"%s\" holds %s values of %d bytes, expected %s", \
							key, f->name, pq_type_name(col->physical_type), col->value_width, \
							pq_type_name(phys)))); \
	} while (0)

	if (dt == DT(FloatVector) || dt == DT(BinaryVector) || dt == DT(Float16Vector) ||
		dt == DT(BFloat16Vector) || dt == DT(SparseFloatVector))
	{
		Milvus__Proto__Schema__VectorField *vf = palloc(sizeof(*vf));

		milvus__proto__schema__vector_field__init(vf);
		vf->dim = f->dim;
		fd->field_case = MILVUS__PROTO__SCHEMA__FIELD_DATA__FIELD_VECTORS;
		fd->vectors = vf;
		if (dt == DT(FloatVector))
		{
			Milvus__Proto__Schema__FloatArray *fa = palloc(sizeof(*fa));

			EXPECT(PQ_FIXED_LEN_BYTE_ARRAY, f->dim * 4);
			milvus__proto__schema__float_array__init(fa);
			fa->n_data = (size_t) n * f->dim;
			fa->data = (float *) col->values;
			vf->data_case = MILVUS__PROTO__SCHEMA__VECTOR_FIELD__DATA_FLOAT_VECTOR;
			vf->float_vector = fa;
		}
		else if (dt == DT(SparseFloatVector))
		{
			Milvus__Proto__Schema__SparseFloatArray *sa = palloc(sizeof(*sa));

			EXPECT(PQ_BYTE_ARRAY, 0);
			milvus__proto__schema__sparse_float_array__init(sa);
			sa->n_contents = n;
			sa->contents = palloc(sizeof(ProtobufCBinaryData) * (n + 1));
			for (i = 0; i < n; i++)
			{
				sa->contents[i].data = col->data + col->offsets[i];
				sa->contents[i].len = col->offsets[i + 1] - col->offsets[i];
			}
			vf->data_case = MILVUS__PROTO__SCHEMA__VECTOR_FIELD__DATA_SPARSE_FLOAT_VECTOR;
			vf->sparse_float_vector = sa;
		}
		else
		{
			int			width = dt == DT(BinaryVector) ? (f->dim + 7) / 8 : f->dim * 2;
			ProtobufCBinaryData bytes;

			EXPECT(PQ_FIXED_LEN_BYTE_ARRAY, width);
			bytes.data = col->values;
			bytes.len = (size_t) n * width;
			if (dt == DT(BinaryVector))
			{
				vf->data_case = MILVUS__PROTO__SCHEMA__VECTOR_FIELD__DATA_BINARY_VECTOR;
				vf->binary_vector = bytes;
			}
			else if (dt == DT(Float16Vector))
			{
				vf->data_case = MILVUS__PROTO__SCHEMA__VECTOR_FIELD__DATA_FLOAT16_VECTOR;
				vf->float16_vector = bytes;
			}
			else
			{
				vf->data_case = MILVUS__PROTO__SCHEMA__VECTOR_FIELD__DATA_BFLOAT16_VECTOR;
				vf->bfloat16_vector = bytes;
			}
		}
		return fd;
	}
	else
	{
		Milvus__Proto__Schema__ScalarField *sf = palloc(sizeof(*sf));

		milvus__proto__schema__scalar_field__init(sf);
		fd->field_case = MILVUS__PROTO__SCHEMA__FIELD_DATA__FIELD_SCALARS;
		fd->scalars = sf;
		switch (dt)
		{
			case DT(Bool):
				{
					Milvus__Proto__Schema__BoolArray *a = palloc(sizeof(*a));

					EXPECT(PQ_BOOLEAN, 0);
					milvus__proto__schema__bool_array__init(a);
					a->n_data = n;
					a->data = palloc(sizeof(protobuf_c_boolean) * (n + 1));
					for (i = 0; i < n; i++)
						a->data[i] = col->values[i] != 0;
					sf->data_case = MILVUS__PROTO__SCHEMA__SCALAR_FIELD__DATA_BOOL_DATA;
					sf->bool_data = a;
					break;
				}
			case DT(Int8):
			case DT(Int16):
			case DT(Int32):
				{
					Milvus__Proto__Schema__IntArray *a = palloc(sizeof(*a));

					EXPECT(PQ_INT32, 4);
					milvus__proto__schema__int_array__init(a);
					a->n_data = n;
					a->data = (int32_t *) col->values;
					sf->data_case = MILVUS__PROTO__SCHEMA__SCALAR_FIELD__DATA_INT_DATA;
					sf->int_data = a;
					break;
				}
			case DT(Int64):
				{
					Milvus__Proto__Schema__LongArray *a = palloc(sizeof(*a));

					EXPECT(PQ_INT64, 8);
					milvus__proto__schema__long_array__init(a);
					a->n_data = n;
					a->data = (int64_t *) col->values;
					sf->data_case = MILVUS__PROTO__SCHEMA__SCALAR_FIELD__DATA_LONG_DATA;
					sf->long_data = a;
					break;
				}
			case DT(Float):
				{
					Milvus__Proto__Schema__FloatArray *a = palloc(sizeof(*a));

					EXPECT(PQ_FLOAT, 4);
					milvus__proto__schema__float_array__init(a);
					a->n_data = n;
					a->data = (float *) col->values;
					sf->data_case = MILVUS__PROTO__SCHEMA__SCALAR_FIELD__DATA_FLOAT_DATA;
					sf->float_data = a;
					break;
				}
			case DT(Double):
				{
					Milvus__Proto__Schema__DoubleArray *a = palloc(sizeof(*a));

					EXPECT(PQ_DOUBLE, 8);
					milvus__proto__schema__double_array__init(a);
					a->n_data = n;
					a->data = (double *) col->values;
					sf->data_case = MILVUS__PROTO__SCHEMA__SCALAR_FIELD__DATA_DOUBLE_DATA;
					sf->double_data = a;
					break;
				}
			case DT(String):
			case DT(VarChar):
				{
					Milvus__Proto__Schema__StringArray *a = palloc(sizeof(*a));
					char	   *text;

					EXPECT(PQ_BYTE_ARRAY, 0);
					milvus__proto__schema__string_array__init(a);
					/* convert.c wants C strings: one buffer, NULs between */
					text = palloc(col->offsets[n] + n + 1);
					a->n_data = n;
					a->data = palloc(sizeof(char *) * (n + 1));
					for (i = 0; i < n; i++)
					{
						int64		len = col->offsets[i + 1] - col->offsets[i];

						if (memchr(col->data + col->offsets[i], '\0', len))
							ereport(ERROR,
									(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
									 errmsg("binlog \"%s\" of Milvus field \"%s\" holds a string with a zero byte",
											key, f->name)));
						memcpy(text, col->data + col->offsets[i], len);
						text[len] = '\0';
						a->data[i] = text;
						text += len + 1;
					}
					sf->data_case = MILVUS__PROTO__SCHEMA__SCALAR_FIELD__DATA_STRING_DATA;
					sf->string_data = a;
					break;
				}
			case DT(JSON):
				{
					Milvus__Proto__Schema__JSONArray *a = palloc(sizeof(*a));

					EXPECT(PQ_BYTE_ARRAY, 0);
					milvus__proto__schema__jsonarray__init(a);
					a->n_data = n;
					a->data = palloc(sizeof(ProtobufCBinaryData) * (n + 1));
					for (i = 0; i < n; i++)
					{
						a->data[i].data = col->data + col->offsets[i];
						a->data[i].len = col->offsets[i + 1] - col->offsets[i];
					}
					sf->data_case = MILVUS__PROTO__SCHEMA__SCALAR_FIELD__DATA_JSON_DATA;
					sf->json_data = a;
					break;
				}
			case DT(Array):
				{
					Milvus__Proto__Schema__ArrayArray *a = palloc(sizeof(*a));

					/* each row is one serialized ScalarField */
					EXPECT(PQ_BYTE_ARRAY, 0);
					milvus__proto__schema__array_array__init(a);
					a->element_type = f->element_type;
					a->n_data = n;
					a->data = palloc(sizeof(Milvus__Proto__Schema__ScalarField *) * (n + 1));
					for (i = 0; i < n; i++)
					{
						a->data[i] = milvus_unpack_scalar_field(col->data + col->offsets[i],
																col->offsets[i + 1] - col->offsets[i]);
						if (a->data[i] == NULL)
							ereport(ERROR,
									(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
									 errmsg("binlog \"%s\" of Milvus field \"%s\" holds a malformed array in row " INT64_FORMAT,
											key, f->name, i)));
					}
					sf->data_case = MILVUS__PROTO__SCHEMA__SCALAR_FIELD__DATA_ARRAY_DATA;
					sf->array_data = a;
					break;
				}
			default:
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
						 errmsg("binlog scan cannot read Milvus field \"%s\" of type %s",
								f->name, milvus_type_name(dt))));
		}
	}
#undef EXPECT
	return fd;
}

/* Read and decode unit u's files; false when no unit is left. */
static bool
next_batch(MilvusBinlogScan *bs)
{
	uint32		u;
	int			r;
	MemoryContext old;
	PqMem		mem;

	u = pg_atomic_fetch_add_u32(&bs->shared->next_unit, 1);
	if (u >= (uint32) bs->shared->nunits)
		return false;

	mem = batch_mem(bs);
	old = MemoryContextSwitchTo(bs->batch_cxt);
	bs->cols = palloc0(sizeof(PqColumn) * bs->nread);
	bs->fd = palloc0(sizeof(*bs->fd) * bs->nread);
	for (r = 0; r < bs->nread; r++)
	{
		const char *key = bs->unit_keys[(Size) u * bs->nread + r];
		size_t		len;
		char	   *buf = milvus_storage_get_with(bs->storage, key, batch_alloc, bs, &len);
		PqError		err;

		if (!binlog_read_field((const uint8_t *) buf, len, &mem, NULL, &bs->cols[r], &err))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("cannot read Milvus binlog \"%s\" of collection \"%s\"",
							key, bs->coll->name),
					 errdetail("%s", err.msg)));
		if (r > 0 && bs->cols[r].num_rows != bs->cols[0].num_rows)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("Milvus binlogs of one batch disagree: \"%s\" has " INT64_FORMAT " rows, \"%s\" has " INT64_FORMAT,
							key, (int64) bs->cols[r].num_rows,
							bs->unit_keys[(Size) u * bs->nread], (int64) bs->cols[0].num_rows)));
		if (r == 0 && (bs->cols[0].physical_type != PQ_INT64 || bs->cols[0].valid))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("Milvus timestamp binlog \"%s\" does not hold INT64 values", key)));
		if (r == 1 && bs->cols[1].valid)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("Milvus primary key binlog \"%s\" holds NULLs", key)));
		if (r >= 1)
			bs->fd[r] = column_field_data(bs->read[r].field, &bs->cols[r], key);
		CHECK_FOR_INTERRUPTS();
	}
	MemoryContextSwitchTo(old);
	bs->batch_rows = bs->cols[0].num_rows;
	bs->next_row = 0;
	bs->in_batch = true;
	return true;
}

/* Row r of the batch is visible: in the snapshot, and not deleted since. */
static bool
row_visible(MilvusBinlogScan *bs, int64 r)
{
	uint64		ts = ((uint64 *) bs->cols[0].values)[r];
	DeleteEntry probe = {0};
	DeleteEntry *e;
	PqColumn   *pk = &bs->cols[1];

	if (ts > bs->shared->snapshot_ts)
		return false;
	if (hash_get_num_entries(bs->deletes) == 0)
		return true;
	if (bs->pk_is_string)
		probe.spk = bs->fd[1]->scalars->string_data->data[r];
	else
		probe.ipk = ((int64 *) pk->values)[r];
	e = hash_search(bs->deletes, &probe, HASH_FIND, NULL);
	return e == NULL || e->ts <= ts;
}

/*
 * The next visible row into values/nulls at the columns' slot positions;
 * false at the end.
 */
bool
milvus_binlog_scan_next(MilvusBinlogScan *bs, Datum *values, bool *nulls, const int *slot_pos)
{
	int64		r;
	int			c;

	if (bs->deletes == NULL)
		load_deletes(bs, bs->shared->ndeltas);
	for (;;)
	{
		if (!bs->in_batch || bs->next_row >= bs->batch_rows)
		{
			if (!next_batch(bs))
			{
				bs->in_batch = false;
				return false;
			}
		}
		r = bs->next_row++;
		if (row_visible(bs, r))
			break;
	}
	for (c = 0; c < bs->ncols; c++)
	{
		int			ri = bs->col_read[c];
		PqColumn   *col = &bs->cols[ri];

		if (col->valid && !col->valid[r])
			continue;			/* stays NULL */
		values[slot_pos[c]] = milvus_field_datum(bs->fd[ri], (int) r, bs->col_typid[c],
												 bs->col_name[c]);
		nulls[slot_pos[c]] = false;
	}
	return true;
}
