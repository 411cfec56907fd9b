/*-------------------------------------------------------------------------
 *
 * segments.c
 *		Which binlog files make up a collection right now: Flush, wait for
 *		it, ask Milvus for its persistent segments, and match each live
 *		segment with its files in object storage.
 *
 * A bucket listing alone is never trusted: compaction leaves dropped
 * segments' files behind until garbage collection, and a failed sync can
 * leave extra log files inside a live segment.  So only segments Milvus
 * reports as Flushed are read, each field must have the same number of
 * files, and the rows those files hold must add up to the segment's row
 * count; a segment that fails a check makes the whole scan go through
 * Query instead, with the reason (binlog_scan.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "milvus_fdw.h"
#include "storage/storage.h"
#include "binlog/parquet.h"
#include "milvus.pb-c.h"
#include "common.pb-c.h"

/* common.SegmentState and common.SegmentLevel values */
#define SEGMENT_STATE_FLUSHED	4
#define SEGMENT_LEVEL_L0		1

/* How often to ask whether a Flush is done. */
#define FLUSH_POLL_MS			20

/* Storage versions this reader handles: V1 binlogs only. */
#define STORAGE_V1				0

/*
 * Flush the collection and wait until its segments are persisted; the
 * flush timestamp is returned.  Every row written before it is then in
 * object storage.
 */
static uint64
flush_and_wait(MilvusConn *conn, const char *collection)
{
	Milvus__Proto__Milvus__FlushRequest req = MILVUS__PROTO__MILVUS__FLUSH_REQUEST__INIT;
	Milvus__Proto__Milvus__FlushResponse *resp;
	Milvus__Proto__Milvus__GetFlushStateRequest sreq = MILVUS__PROTO__MILVUS__GET_FLUSH_STATE_REQUEST__INIT;
	char	   *names[1] = {(char *) collection};
	TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
													   milvus_conn_timeout_ms(conn));
	uint64		flush_ts = 0;
	size_t		i;

	req.db_name = (char *) milvus_conn_database(conn);
	req.collection_names = names;
	req.n_collection_names = 1;
	resp = (Milvus__Proto__Milvus__FlushResponse *)
		milvus_call(conn, "Flush", PBMSG(&req),
					&milvus__proto__milvus__flush_response__descriptor, true);

	sreq.db_name = req.db_name;
	sreq.collection_name = (char *) collection;
	for (i = 0; i < resp->n_coll_segids; i++)
	{
		if (strcmp(resp->coll_segids[i]->key, collection) == 0 && resp->coll_segids[i]->value)
		{
			sreq.segmentids = resp->coll_segids[i]->value->data;
			sreq.n_segmentids = resp->coll_segids[i]->value->n_data;
		}
	}
	for (i = 0; i < resp->n_coll_flush_ts; i++)
		if (strcmp(resp->coll_flush_ts[i]->key, collection) == 0)
			flush_ts = resp->coll_flush_ts[i]->value;
	sreq.flush_ts = flush_ts;

	for (;;)
	{
		Milvus__Proto__Milvus__GetFlushStateResponse *sresp;

		sresp = (Milvus__Proto__Milvus__GetFlushStateResponse *)
			milvus_call(conn, "GetFlushState", PBMSG(&sreq),
						&milvus__proto__milvus__get_flush_state_response__descriptor, true);
		if (sresp->flushed)
			break;
		if (GetCurrentTimestamp() >= deadline)
			ereport(ERROR,
					(errcode(ERRCODE_CONNECTION_FAILURE),
					 errmsg("Milvus did not finish flushing collection \"%s\" within %d ms",
							collection, milvus_conn_timeout_ms(conn)),
					 errhint("Raise the server's \"timeout\" option, or read with scan_method 'query'.")));
		/* a flush ends on a time tick (200 ms in 2.3): poll finely, it is cheap */
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 FLUSH_POLL_MS, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
	return flush_ts;
}

/* "a/b/123/" → 123; false if the component is not a decimal id. */
static bool
parse_id(const char *s, const char **end, int64 *id)
{
	int64		v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9')
	{
		if (v > (PG_INT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (*p++ - '0');
	}
	*id = v;
	*end = p;
	return true;
}

/*
 * Split a key "<kind>/<coll>/<part>/<seg>/<a>[/<b>]" after the kind prefix
 * into ids; nids says how many follow the collection.  False for keys of
 * another shape, which are ignored (Milvus keeps other files there too).
 */
static bool
parse_key(const char *key, const char *prefix, int nids, int64 *ids)
{
	const char *p;
	int			i;

	if (strncmp(key, prefix, strlen(prefix)) != 0)
		return false;
	p = key + strlen(prefix);
	for (i = 0; i < nids; i++)
	{
		if (!parse_id(p, &p, &ids[i]))
			return false;
		if (i < nids - 1)
		{
			if (*p != '/')
				return false;
			p++;
		}
	}
	return *p == '\0';
}

static int
cmp_int64(const void *a, const void *b)
{
	int64		x = *(const int64 *) a,
				y = *(const int64 *) b;

	return x < y ? -1 : x > y ? 1 : 0;
}

/* The segment of a plan with this id, or NULL. */
static MilvusSegment *
find_segment(MilvusBinlogPlan *plan, int64 id)
{
	int			i;

	for (i = 0; i < plan->nsegments; i++)
		if (plan->segments[i].segment_id == id)
			return &plan->segments[i];
	return NULL;
}

/*
 * Rows of a binlog file, from its Parquet footer only: the payload runs to
 * the end of the file, so its footer is the file's tail.  The reader wants
 * a whole Parquet file, so the tail gets the leading magic put back.
 */
static int64
binlog_file_rows(MilvusStorage *storage, const char *key, int64 size)
{
	int64		tail = Min(size, 64 * 1024);
	size_t		len;
	char	   *buf = milvus_storage_get(storage, key, size - tail, tail, &len);
	char	   *file = palloc(len + 4);
	PqError		err;
	int64_t		rows;

	memcpy(file, "PAR1", 4);
	memcpy(file + 4, buf, len);
	if (!pq_file_num_rows((const uint8_t *) file, len + 4, &rows, &err))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("cannot read the Parquet footer of binlog \"%s\"", key),
				 errdetail("%s", err.msg)));
	pfree(buf);
	pfree(file);
	return rows;
}

/* An insert log of the listing, its key already split into ids. */
typedef struct InsertLog
{
	int64		ids[4];			/* partition, segment, field, log */
	StorageObject *obj;
} InsertLog;

/* The insert logs of a listing, each key parsed once for every segment. */
static InsertLog *
parse_insert_logs(List *objects, const char *prefix, int *nlogs)
{
	InsertLog  *logs = palloc(sizeof(InsertLog) * (list_length(objects) + 1));
	ListCell   *lc;
	int			n = 0;

	foreach(lc, objects)
	{
		StorageObject *obj = lfirst(lc);

		if (!parse_key(obj->key, prefix, 4, logs[n].ids))
			continue;
		logs[n++].obj = obj;
	}
	*nlogs = n;
	return logs;
}

/*
 * Match the segment's listed files to its fields, and check them: every
 * needed field has the same number of files, and the first field's files
 * hold the segment's row count.  NULL when they pass, else why not.
 */
static char *
check_segment(MilvusStorage *storage, MilvusSegment *seg, const InsertLog *logs,
			  int nlogs, int nfields, const int64 *field_ids)
{
	int			f,
				l;
	int64		rows = 0;
	int		   *count = palloc0(sizeof(int) * nfields);

	seg->nfields = nfields;
	seg->logs = palloc0(sizeof(MilvusBinlogRef *) * nfields);
	for (l = 0; l < nlogs; l++)
	{
		if (logs[l].ids[1] != seg->segment_id)
			continue;
		for (f = 0; f < nfields; f++)
			if (field_ids[f] == logs[l].ids[2])
				count[f]++;
	}
	for (f = 0; f < nfields; f++)
	{
		if (count[f] != count[0])
			return psprintf("segment " INT64_FORMAT " has %d binlog files for field " INT64_FORMAT
							" and %d for field " INT64_FORMAT,
							seg->segment_id, count[f], field_ids[f], count[0], field_ids[0]);
		seg->logs[f] = palloc0(sizeof(MilvusBinlogRef) * (count[f] + 1));
	}
	seg->nbatches = count[0];
	memset(count, 0, sizeof(int) * nfields);
	for (l = 0; l < nlogs; l++)
	{
		if (logs[l].ids[1] != seg->segment_id)
			continue;
		for (f = 0; f < nfields; f++)
			if (field_ids[f] == logs[l].ids[2])
			{
				MilvusBinlogRef *ref = &seg->logs[f][count[f]++];

				ref->log_id = logs[l].ids[3];
				ref->key = logs[l].obj->key;
				ref->size = logs[l].obj->size;
			}
	}
	/* batch i of a segment is the i-th file of each field, logs sorted by id */
	for (f = 0; f < nfields; f++)
		qsort(seg->logs[f], seg->nbatches, sizeof(MilvusBinlogRef), cmp_int64);

	for (f = 0; f < seg->nbatches; f++)
		rows += binlog_file_rows(storage, seg->logs[0][f].key, seg->logs[0][f].size);
	if (rows != seg->num_rows)
		return psprintf("segment " INT64_FORMAT " has " INT64_FORMAT " rows in its binlog files, Milvus reports "
						INT64_FORMAT " (orphan files of a failed sync, or files not yet written)",
						seg->segment_id, rows, seg->num_rows);
	return NULL;
}

/*
 * Plan a binlog read of a collection: Flush (unless told not to), then the
 * flushed segments, the files of
 * the fields in field_ids (the first one's files are counted against the
 * segment's rows: the timestamp field, 1) batch by batch, and every delta log
 * of a live segment.  plan->fallback is set instead when the files do not
 * pass the checks or Milvus stores them in a format this reader lacks.
 */
MilvusBinlogPlan *
milvus_binlog_plan(MilvusConn *conn, MilvusStorage *storage, MilvusCollection *coll,
				   bool flush, int nfields, const int64 *field_ids)
{
	Milvus__Proto__Milvus__GetPersistentSegmentInfoRequest req =
		MILVUS__PROTO__MILVUS__GET_PERSISTENT_SEGMENT_INFO_REQUEST__INIT;
	Milvus__Proto__Milvus__GetPersistentSegmentInfoResponse *resp;
	MilvusBinlogPlan *plan = palloc0(sizeof(MilvusBinlogPlan));
	char	   *insert_prefix = psprintf("insert_log/" INT64_FORMAT "/", coll->id);
	char	   *delta_prefix = psprintf("delta_log/" INT64_FORMAT "/", coll->id);
	List	   *objects;
	InsertLog  *logs;
	int			nlogs;
	ListCell   *lc;
	size_t		i;

	/* without a Flush: what is persisted now (binlog_flush 'false') */
	plan->snapshot_ts = flush ? flush_and_wait(conn, coll->name) : milvus_conn_now(conn);

	req.dbname = (char *) milvus_conn_database(conn);
	req.collectionname = coll->name;
	resp = (Milvus__Proto__Milvus__GetPersistentSegmentInfoResponse *)
		milvus_call(conn, "GetPersistentSegmentInfo", PBMSG(&req),
					&milvus__proto__milvus__get_persistent_segment_info_response__descriptor, true);

	plan->segments = palloc0(sizeof(MilvusSegment) * (resp->n_infos + 1));
	for (i = 0; i < resp->n_infos; i++)
	{
		Milvus__Proto__Milvus__PersistentSegmentInfo *info = resp->infos[i];
		MilvusSegment *seg;

		if ((int) info->state != SEGMENT_STATE_FLUSHED)
			continue;
		if (info->storage_version != STORAGE_V1)
		{
			plan->fallback = psprintf("segment " INT64_FORMAT " is stored in storage version " INT64_FORMAT
									  ", which the binlog reader does not read",
									  info->segmentid, info->storage_version);
			return plan;
		}
		seg = &plan->segments[plan->nsegments++];
		seg->segment_id = info->segmentid;
		seg->partition_id = info->partitionid;
		seg->num_rows = info->num_rows;
		seg->level0 = (int) info->level == SEGMENT_LEVEL_L0;
	}

	/* one listing for the whole collection, matched to live segments */
	objects = milvus_storage_list(storage, insert_prefix);
	logs = parse_insert_logs(objects, insert_prefix, &nlogs);
	for (i = 0; i < (size_t) plan->nsegments; i++)
	{
		MilvusSegment *seg = &plan->segments[i];

		if (seg->level0)
			continue;			/* delete-only */
		plan->fallback = check_segment(storage, seg, logs, nlogs, nfields, field_ids);
		if (plan->fallback)
			return plan;
		plan->total_rows += seg->num_rows;
		plan->nbatches += seg->nbatches;
	}

	objects = milvus_storage_list(storage, delta_prefix);
	foreach(lc, objects)
	{
		StorageObject *obj = lfirst(lc);
		int64		ids[3];		/* partition, segment, log */

		/* deltas of segments that are live now */
		if (parse_key(obj->key, delta_prefix, 3, ids) && find_segment(plan, ids[1]))
			plan->delta_keys = lappend(plan->delta_keys, obj->key);
	}
	return plan;
}
