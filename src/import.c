/*-------------------------------------------------------------------------
 *
 * import.c
 *		Bulk import: rows of INSERT/COPY with insert_method 'import' written
 *		as files into Milvus's own storage and loaded by Milvus's Import
 *		(bulk insert v1), and milvus_bulk_import() for files already there.
 *
 * The write path (modify.c) hands each full batch of a table's rows here
 * instead of sending an Insert; import_writer.c appends them to temporary
 * files.  At pre-commit (or before the table is read, or when the files
 * pass MILVUS_IMPORT_MAX_BYTES) milvus_import_finish() writes the files
 * into the server's storage under
 *
 *		milvus_fdw_import/<collection>/<time>-<pid>-<n>/
 *
 * (the directory storage_path, or root_path in the bucket), calls Import
 * with the names Milvus wants (an absolute path for local storage, the
 * object key with the root path for S3), and polls GetImportState until
 * the task ends, with a NOTICE every MILVUS_IMPORT_NOTICE_MS.  Success
 * deletes the files.  Failure is an ERROR with Milvus's reason in the
 * detail, and leaves the files where they are, named in the detail: Milvus
 * 2.3 drops the segments of a failed task, so none of its rows appear.
 *
 * Milvus cannot cancel an import: a cancel while waiting ends the wait,
 * not the task, so its rows may still appear (a WARNING says so at abort).
 * Rows of an import are visible to queries once Milvus's query nodes have
 * loaded its segments, on 2.3 some seconds after the task completes.
 *
 * Every import this backend waits for is remembered (the last
 * MILVUS_IMPORT_REMEMBERED) for milvus_import_progress(); Milvus's own list
 * of a collection's tasks, from any session, is milvus_import_tasks().
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgtime.h"
#include "storage/latch.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "milvus_fdw.h"
#include "milvus.pb-c.h"
#include "storage/storage.h"

/* An import's files reaching this many bytes are imported at once. */
#define MILVUS_IMPORT_MAX_BYTES		((int64) 1024 * 1024 * 1024)
/* How often a waiting import says how far it is. */
#define MILVUS_IMPORT_NOTICE_MS		10000
/* Polling GetImportState: first interval and the longest. */
#define MILVUS_IMPORT_POLL_MIN_MS	100
#define MILVUS_IMPORT_POLL_MAX_MS	500
/*
 * A task whose state and progress stay the same this long is given up on:
 * Milvus 2.3 expires an import task after rootCoord.importTaskExpiration,
 * 900 s by default.
 */
#define MILVUS_IMPORT_STALL_MS		(900 * 1000)
/* Imports remembered for milvus_import_progress(). */
#define MILVUS_IMPORT_REMEMBERED	100
/* Where our files go, under the storage root. */
#define MILVUS_IMPORT_DIR			"milvus_fdw_import"

/* One Milvus import task this backend started, for progress and errors. */
typedef struct ImportTask
{
	int64		task_id;
	char	   *collection;
	char	   *files;			/* the names given to Milvus, comma-separated */
	int			state;			/* common.ImportState */
	int			progress;		/* percent, -1 until Milvus says */
	int64		rows;			/* parsed so far; imported once completed */
	char	   *reason;			/* why it failed, or NULL */
	TimestampTz started;
	TimestampTz finished;		/* 0 while it runs */
	bool		ended;
} ImportTask;

struct MilvusImport
{
	MemoryContext cxt;
	MilvusConn *conn;
	Oid			serverid;
	Oid			userid;
	char	   *relname;
	char	   *collection;
	char	   *partition;		/* or NULL */
	int			nfields;
	MilvusField **fields;
	int			format;
	MilvusImportWriter *writer; /* NULL until rows come */
	int64		imported;		/* rows of this transaction's finished imports */
	List	   *started;		/* ImportTask * not known to have ended */
};

static MemoryContext progress_cxt = NULL;
static List *remembered = NIL;	/* ImportTask *, oldest first */
static int	import_counter = 0;

/* ---- states ---- */

static const char *
state_name(int state)
{
	switch (state)
	{
		case MILVUS__PROTO__COMMON__IMPORT_STATE__ImportPending:
			return "Pending";
		case MILVUS__PROTO__COMMON__IMPORT_STATE__ImportFailed:
			return "Failed";
		case MILVUS__PROTO__COMMON__IMPORT_STATE__ImportStarted:
			return "Started";
		case MILVUS__PROTO__COMMON__IMPORT_STATE__ImportPersisted:
			return "Persisted";
		case MILVUS__PROTO__COMMON__IMPORT_STATE__ImportFlushed:
			return "Flushed";
		case MILVUS__PROTO__COMMON__IMPORT_STATE__ImportCompleted:
			return "Completed";
		case MILVUS__PROTO__COMMON__IMPORT_STATE__ImportFailedAndCleaned:
			return "FailedAndCleaned";
	}
	return "unknown";
}

static bool
state_failed(int state)
{
	return state == MILVUS__PROTO__COMMON__IMPORT_STATE__ImportFailed ||
		state == MILVUS__PROTO__COMMON__IMPORT_STATE__ImportFailedAndCleaned;
}

static bool
state_ended(int state)
{
	return state_failed(state) || state == MILVUS__PROTO__COMMON__IMPORT_STATE__ImportCompleted;
}

/* The value of KEY among a task's infos, or NULL. */
static const char *
info_value(Milvus__Proto__Milvus__GetImportStateResponse *resp, const char *key)
{
	size_t		i;

	for (i = 0; i < resp->n_infos; i++)
		if (resp->infos[i]->key && strcmp(resp->infos[i]->key, key) == 0)
			return resp->infos[i]->value;
	return NULL;
}

/* ---- checks ---- */

/*
 * Refuse servers that cannot import before any file is written: Milvus Lite
 * has no Import, and without storage options we cannot put files where
 * Milvus reads them.
 */
static void
check_server_can_import(MilvusConn *conn, ForeignServer *server, const char *what)
{
	MilvusServerOptions sopts;
	const char *version = milvus_conn_server_version(conn, false);

	if (version && strncmp(version, "milvus_lite", 11) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("Milvus server \"%s\" cannot %s: Milvus Lite has no bulk import",
						server->servername, what),
				 errdetail("Import is a call of Milvus standalone and cluster servers; Milvus Lite does not implement it."),
				 errhint("Use insert_method 'insert' with this server.")));
	milvus_server_options(server, &sopts);
	if (sopts.storage_path == NULL && sopts.storage_endpoint == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("server \"%s\" needs Milvus's storage to %s", server->servername, what),
				 errdetail("Milvus imports files from its own storage."),
				 errhint("Set the server option storage_path (a Milvus with local storage) or storage_endpoint, bucket and root_path (MinIO/S3).")));
}

/* ---- progress ---- */

static ImportTask *
remember_task(int64 task_id, const char *collection, const char *files)
{
	MemoryContext oldcxt;
	ImportTask *t;

	if (progress_cxt == NULL)
		progress_cxt = AllocSetContextCreate(TopMemoryContext, "milvus_fdw import progress",
											 ALLOCSET_SMALL_SIZES);
	oldcxt = MemoryContextSwitchTo(progress_cxt);
	if (list_length(remembered) >= MILVUS_IMPORT_REMEMBERED)
	{
		ListCell   *lc;

		/* the oldest that has ended: a running one is still being waited for */
		foreach(lc, remembered)
		{
			ImportTask *old = lfirst(lc);

			if (!old->ended)
				continue;
			remembered = foreach_delete_current(remembered, lc);
			pfree(old->collection);
			pfree(old->files);
			if (old->reason)
				pfree(old->reason);
			pfree(old);
			break;
		}
	}
	t = palloc0(sizeof(ImportTask));
	t->task_id = task_id;
	t->collection = pstrdup(collection);
	t->files = pstrdup(files);
	t->state = MILVUS__PROTO__COMMON__IMPORT_STATE__ImportPending;
	t->progress = -1;
	t->started = GetCurrentTimestamp();
	remembered = lappend(remembered, t);
	MemoryContextSwitchTo(oldcxt);
	return t;
}

/* Ask Milvus how task T is doing; true if anything changed. */
static bool
poll_task(MilvusConn *conn, ImportTask *t)
{
	Milvus__Proto__Milvus__GetImportStateRequest req = MILVUS__PROTO__MILVUS__GET_IMPORT_STATE_REQUEST__INIT;
	Milvus__Proto__Milvus__GetImportStateResponse *resp;
	const char *percent;
	const char *reason;
	int			progress;
	bool		changed;

	req.task = t->task_id;
	resp = (Milvus__Proto__Milvus__GetImportStateResponse *)
		milvus_call(conn, "GetImportState", PBMSG(&req),
					&milvus__proto__milvus__get_import_state_response__descriptor, true);
	percent = info_value(resp, "progress_percent");
	progress = percent ? atoi(percent) : t->progress;
	changed = resp->state != t->state || progress != t->progress || resp->row_count != t->rows;
	t->state = resp->state;
	t->progress = progress;
	t->rows = resp->row_count;
	reason = info_value(resp, "failed_reason");
	if (reason && reason[0] && t->reason == NULL)
		t->reason = MemoryContextStrdup(progress_cxt, reason);
	if (state_ended(t->state) && !t->ended)
	{
		t->ended = true;
		t->finished = GetCurrentTimestamp();
	}
	return changed;
}

/* What the error context says while we wait for a task. */
typedef struct WaitContext
{
	const char *collection;
	const char *where;			/* the files, for the reader */
	List	   *tasks;
} WaitContext;

static void
wait_error_context(void *arg)
{
	WaitContext *wc = arg;
	StringInfoData ids;
	ListCell   *lc;

	initStringInfo(&ids);
	foreach(lc, wc->tasks)
		appendStringInfo(&ids, "%s" INT64_FORMAT, ids.len ? ", " : "",
						 ((ImportTask *) lfirst(lc))->task_id);
	errcontext("waiting for Milvus import task %s into collection \"%s\" (files %s); the task goes on in Milvus",
			   ids.data, wc->collection, wc->where);
}

static void
report_progress(const char *collection, List *tasks, TimestampTz since)
{
	StringInfoData msg;
	ListCell   *lc;
	long		secs;
	int			usecs;

	initStringInfo(&msg);
	foreach(lc, tasks)
	{
		ImportTask *t = lfirst(lc);

		appendStringInfo(&msg, "%stask " INT64_FORMAT " %s", msg.len ? "; " : "",
						 t->task_id, state_name(t->state));
		if (t->progress >= 0)
			appendStringInfo(&msg, " %d%%", t->progress);
		if (t->rows > 0)
			appendStringInfo(&msg, ", " INT64_FORMAT " rows", t->rows);
	}
	TimestampDifference(since, GetCurrentTimestamp(), &secs, &usecs);
	ereport(NOTICE,
			(errmsg("importing into Milvus collection \"%s\" for %ld s: %s",
					collection, secs, msg.data)));
}

/*
 * Wait until every task of TASKS has ended, polling with a growing
 * interval, honouring cancel, saying how far they are every
 * MILVUS_IMPORT_NOTICE_MS.  ERROR when a task makes no progress for
 * MILVUS_IMPORT_STALL_MS.  Returns whether all completed.
 */
static bool
wait_for_tasks(MilvusConn *conn, const char *collection, const char *where, List *tasks)
{
	ErrorContextCallback errcallback;
	WaitContext wc;
	TimestampTz start = GetCurrentTimestamp();
	TimestampTz last_notice = start;
	TimestampTz last_change = start;
	long		poll_ms = MILVUS_IMPORT_POLL_MIN_MS;
	bool		all_completed = true;
	ListCell   *lc;

	wc.collection = collection;
	wc.where = where;
	wc.tasks = tasks;
	errcallback.callback = wait_error_context;
	errcallback.arg = &wc;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;

	for (;;)
	{
		bool		running = false;
		TimestampTz now;

		foreach(lc, tasks)
		{
			ImportTask *t = lfirst(lc);

			if (t->ended)
				continue;
			if (poll_task(conn, t))
				last_change = GetCurrentTimestamp();
			if (!t->ended)
				running = true;
		}
		if (!running)
			break;

		now = GetCurrentTimestamp();
		if (TimestampDifferenceExceeds(last_change, now, MILVUS_IMPORT_STALL_MS))
			ereport(ERROR,
					(errcode(ERRCODE_CONNECTION_FAILURE),
					 errmsg("Milvus import into collection \"%s\" made no progress for %d s",
							collection, MILVUS_IMPORT_STALL_MS / 1000),
					 errhint("Look at the task with milvus_import_tasks() and at Milvus's logs.")));
		if (TimestampDifferenceExceeds(last_notice, now, MILVUS_IMPORT_NOTICE_MS))
		{
			report_progress(collection, tasks, start);
			last_notice = now;
		}

		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 poll_ms, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
		poll_ms = Min(poll_ms * 3 / 2, MILVUS_IMPORT_POLL_MAX_MS);
	}
	error_context_stack = errcallback.previous;

	foreach(lc, tasks)
		if (state_failed(((ImportTask *) lfirst(lc))->state))
			all_completed = false;
	return all_completed;
}

/*
 * Call Import for PATHS (the names Milvus reads) into COLLECTION; returns
 * the tasks Milvus made, remembered for progress.
 */
static List *
submit_import(MilvusConn *conn, ForeignServer *server, const char *collection,
			  const char *partition, List *paths, bool row_based)
{
	Milvus__Proto__Milvus__ImportRequest req = MILVUS__PROTO__MILVUS__IMPORT_REQUEST__INIT;
	Milvus__Proto__Milvus__ImportResponse *resp;
	StringInfoData names;
	List	   *tasks = NIL;
	ListCell   *lc;
	int			code;
	int			i = 0;
	size_t		t;

	req.db_name = (char *) milvus_conn_database(conn);
	req.collection_name = (char *) collection;
	req.partition_name = (char *) (partition ? partition : "");
	req.row_based = row_based;
	req.n_files = list_length(paths);
	req.files = palloc(sizeof(char *) * (req.n_files + 1));
	initStringInfo(&names);
	foreach(lc, paths)
	{
		req.files[i++] = lfirst(lc);
		appendStringInfo(&names, "%s%s", names.len ? "," : "", (char *) lfirst(lc));
	}

	/* not idempotent: a second Import would load the rows twice */
	resp = (Milvus__Proto__Milvus__ImportResponse *)
		milvus_call_raw(conn, "Import", PBMSG(&req),
						&milvus__proto__milvus__import_response__descriptor, false, &code);
	if (resp == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("Milvus server \"%s\" does not support bulk import", server->servername),
				 errdetail("It does not implement the Import call."),
				 errhint("Use insert_method 'insert' with this server.")));
	if (resp->status && (resp->status->code != 0 || resp->status->error_code != 0))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("Milvus refused to import into collection \"%s\"", collection),
				 errdetail("Milvus: %s (code %d). Files: %s.",
						   resp->status->reason && resp->status->reason[0] ?
						   resp->status->reason : "no reason given",
						   resp->status->code ? resp->status->code : (int) resp->status->error_code,
						   names.data)));
	if (resp->n_tasks == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("Milvus started no import task for collection \"%s\"", collection),
				 errdetail("Files: %s.", names.data)));
	for (t = 0; t < resp->n_tasks; t++)
		tasks = lappend(tasks, remember_task(resp->tasks[t], collection, names.data));
	return tasks;
}

/* The ERROR for failed tasks among TASKS; the files stay where they are. */
static void
report_failure(const char *collection, List *tasks, const char *kept)
{
	ImportTask *failed = NULL;
	int64		completed_rows = 0;
	int			ncompleted = 0;
	ListCell   *lc;

	foreach(lc, tasks)
	{
		ImportTask *t = lfirst(lc);

		if (state_failed(t->state) && failed == NULL)
			failed = t;
		else if (!state_failed(t->state))
		{
			ncompleted++;
			completed_rows += t->rows;
		}
	}
	Assert(failed != NULL);
	ereport(ERROR,
			(errcode(ERRCODE_FDW_ERROR),
			 errmsg("Milvus import into collection \"%s\" failed", collection),
			 errdetail("Milvus: %s (task " INT64_FORMAT ", state %s). %s%s",
					   failed->reason ? failed->reason : "no reason given",
					   failed->task_id, state_name(failed->state),
					   ncompleted > 0 ?
					   psprintf("%d other task(s) of this import completed with " INT64_FORMAT " rows, which stay. ",
								ncompleted, completed_rows) : "",
					   kept),
			 errhint("Milvus drops the rows of a failed task.")));
}

static void
writing_files_context(void *arg)
{
	errcontext("writing Milvus import files under \"%s\"", (const char *) arg);
}

/* An Import call cut off may still have started its task in Milvus. */
static void
submitting_context(void *arg)
{
	errcontext("submitting the Milvus import of the files under \"%s\"; Milvus may have started its task: see milvus_import_tasks()",
			   (const char *) arg);
}

/* ---- the write path ---- */

/*
 * Whether a statement writing to a table whose insert_method option is
 * TABLE_METHOD imports (the GUC milvus_fdw.insert_method wins when set).
 */
bool
milvus_import_wanted(int table_method)
{
	int			method = milvus_insert_method >= 0 ? milvus_insert_method : table_method;

	return method == MILVUS_INSERT_IMPORT;
}

/*
 * Set up importing the rows of foreign table RELNAME into COLLECTION: the
 * checks that need no rows, so that a statement fails before it reads any.
 * FIELDS are the fields of the columns modify.c buffers, in its order.
 */
MilvusImport *
milvus_import_begin(MilvusConn *conn, ForeignServer *server, Oid userid,
					const char *relname, const char *collection, const char *partition,
					int nfields, MilvusField **fields)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "milvus_fdw import",
											  ALLOCSET_SMALL_SIZES);
	MemoryContext oldcxt;
	MilvusImport *imp;

	check_server_can_import(conn, server, psprintf("import into foreign table \"%s\"", relname));
	oldcxt = MemoryContextSwitchTo(cxt);
	imp = palloc0(sizeof(MilvusImport));
	imp->cxt = cxt;
	imp->conn = conn;
	imp->serverid = server->serverid;
	imp->userid = userid;
	imp->relname = pstrdup(relname);
	imp->collection = pstrdup(collection);
	imp->partition = partition ? pstrdup(partition) : NULL;
	imp->nfields = nfields;
	imp->fields = palloc(sizeof(MilvusField *) * Max(nfields, 1));
	memcpy(imp->fields, fields, sizeof(MilvusField *) * nfields);
	imp->format = milvus_import_format_for(nfields, fields, relname);
	MemoryContextSwitchTo(oldcxt);
	return imp;
}

/* Spool NROWS buffered rows (one FieldData per field) for the next import. */
void
milvus_import_append(MilvusImport *imp, struct Milvus__Proto__Schema__FieldData **cols,
					 int nrows)
{
	if (imp->writer == NULL)
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(imp->cxt);

		imp->writer = milvus_import_writer_create(imp->format, imp->nfields, imp->fields);
		MemoryContextSwitchTo(oldcxt);
	}
	milvus_import_writer_append(imp->writer, cols, nrows);
}

/*
 * Rows imported and spooled so far in this transaction: a position in its
 * stream of rows, for milvus_import_forget().
 */
int64
milvus_import_position(MilvusImport *imp)
{
	return imp->imported + (imp->writer ? milvus_import_writer_rows(imp->writer) : 0);
}

/*
 * Forget the spooled rows from POSITION on (a savepoint rollback, or 0 for
 * a TRUNCATE).  Rows imported already stay: Milvus has them.
 */
void
milvus_import_forget(MilvusImport *imp, int64 position)
{
	if (imp->writer)
		milvus_import_writer_truncate(imp->writer, Max(position - imp->imported, 0));
}

/* Are the spooled files big enough to import before the commit? */
bool
milvus_import_full(MilvusImport *imp)
{
	return imp->writer && milvus_import_writer_bytes(imp->writer) >= MILVUS_IMPORT_MAX_BYTES;
}

/* TASKS have ended: forget them as running; returns their rows. */
static int64
tasks_ended(MilvusImport *imp, List *tasks)
{
	int64		rows = 0;
	ListCell   *lc;

	foreach(lc, tasks)
	{
		ImportTask *t = lfirst(lc);

		rows += t->rows;
		imp->started = list_delete_ptr(imp->started, t);
	}
	return rows;
}

/*
 * Delete the files of an import that succeeded.  The rows are in Milvus: a
 * file that will not go is only worth a WARNING (but a cancel stays one).
 */
static void
remove_imported_files(MilvusStorage *storage, List *keys)
{
	MemoryContext cxt = CurrentMemoryContext;
	ListCell   *lc;

	foreach(lc, keys)
	{
		PG_TRY();
		{
			milvus_storage_delete(storage, lfirst(lc));
		}
		PG_CATCH();
		{
			ErrorData  *edata;

			MemoryContextSwitchTo(cxt);
			edata = CopyErrorData();
			if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED || edata->elevel > ERROR)
				PG_RE_THROW();
			FlushErrorState();
			ereport(WARNING,
					(errcode(edata->sqlerrcode),
					 errmsg("could not remove Milvus import file \"%s\" after importing it: %s",
							(char *) lfirst(lc), edata->message)));
			FreeErrorData(edata);
		}
		PG_END_TRY();
	}
}

/* A prefix for one import's files, unique in this storage. */
static char *
import_prefix(const char *collection)
{
	pg_time_t	now = (pg_time_t) time(NULL);
	char		stamp[32];

	pg_strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", pg_gmtime(&now));
	return psprintf("%s/%s/%s-%d-%d/", MILVUS_IMPORT_DIR, collection, stamp, MyProcPid,
					++import_counter);
}

/*
 * Import the spooled rows: write the files into Milvus's storage, call
 * Import, wait for the task, delete the files.  Returns the rows imported
 * (0 when none were spooled).  ERROR, with the files kept, when Milvus
 * fails the import.
 */
int64
milvus_import_finish(MilvusImport *imp)
{
	MemoryContext tmp;
	MemoryContext oldcxt;
	ForeignServer *server;
	MilvusStorage *storage;
	MilvusImportWriter *writer = imp->writer;
	int64		rows;
	List	   *files;
	List	   *keys = NIL;
	List	   *paths = NIL;
	List	   *tasks = NIL;
	char	   *prefix;
	StringInfoData kept;
	ListCell   *lc;
	int64		imported;
	volatile bool submitted = false;

	if (writer == NULL)
		return 0;
	rows = milvus_import_writer_rows(writer);
	if (rows == 0)
	{
		milvus_import_writer_close(writer);
		imp->writer = NULL;
		return 0;
	}

	tmp = AllocSetContextCreate(CurrentMemoryContext, "milvus_fdw import finish",
								ALLOCSET_DEFAULT_SIZES);
	oldcxt = MemoryContextSwitchTo(tmp);
	server = GetForeignServer(imp->serverid);
	storage = milvus_storage_open_for(server, imp->userid);
	prefix = import_prefix(imp->collection);
	files = milvus_import_writer_finish(writer);
	initStringInfo(&kept);
	foreach(lc, files)
	{
		MilvusImportFile *f = lfirst(lc);
		char	   *key = psprintf("%s%s", prefix, f->name);

		keys = lappend(keys, key);
		paths = lappend(paths, milvus_storage_milvus_path(storage, key));
	}
	appendStringInfo(&kept, "The files stay in %s under \"%s\".",
					 milvus_storage_describe(storage), prefix);

	PG_TRY();
	{
		ErrorContextCallback errcallback;
		ListCell   *lk;

		/* files written before a failure to write the next one are left too */
		errcallback.callback = writing_files_context;
		errcallback.arg = prefix;
		errcallback.previous = error_context_stack;
		error_context_stack = &errcallback;
		forboth(lc, files, lk, keys)
		{
			MilvusImportFile *f = lfirst(lc);

			milvus_storage_put_file(storage, lfirst(lk), f->head, f->head_len, f->file, f->size);
		}
		error_context_stack = errcallback.previous;

		submitted = true;
		errcallback.callback = submitting_context;
		error_context_stack = &errcallback;
		tasks = submit_import(imp->conn, server, imp->collection, imp->partition, paths,
							  imp->format == MILVUS_IMPORT_JSON);
		error_context_stack = errcallback.previous;
		MemoryContextSwitchTo(imp->cxt);
		imp->started = list_concat(imp->started, tasks);
		MemoryContextSwitchTo(tmp);

		if (!wait_for_tasks(imp->conn, imp->collection, prefix, tasks))
			report_failure(imp->collection, tasks, kept.data);
	}
	PG_CATCH();
	{
		/*
		 * Rows Milvus never got stay spooled, as a failed Insert's stay
		 * buffered: if only a subtransaction aborts, the commit tries them
		 * again.  Rows handed to Milvus are its business now.
		 */
		if (submitted)
		{
			milvus_import_writer_close(writer);
			imp->writer = NULL;
			imp->imported += rows;
		}
		else
			milvus_import_writer_resume(writer);
		PG_RE_THROW();
	}
	PG_END_TRY();
	milvus_import_writer_close(writer);
	imp->writer = NULL;

	imported = tasks_ended(imp, tasks);
	imp->imported += rows;
	if (imported != rows)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("Milvus imported " INT64_FORMAT " of " INT64_FORMAT " rows into collection \"%s\"",
						imported, rows, imp->collection),
				 errdetail("%s", kept.data)));

	remove_imported_files(storage, keys);
	milvus_storage_close(storage);
	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(tmp);
	milvus_conn_note_write(imp->conn, milvus_conn_now(imp->conn));
	return imported;
}

/*
 * The transaction ends (after pre-commit imported everything, or in an
 * abort): spooled rows go with their temporary files, and imports Milvus
 * is still running are worth a WARNING, since they will not stop.  Raises
 * nothing but the WARNING.
 */
void
milvus_import_close(MilvusImport *imp)
{
	ListCell   *lc;

	if (imp == NULL)
		return;
	if (imp->writer)
		milvus_import_writer_close(imp->writer);
	imp->writer = NULL;
	foreach(lc, imp->started)
	{
		ImportTask *t = lfirst(lc);

		if (!t->ended)
			ereport(WARNING,
					(errmsg("Milvus import task " INT64_FORMAT " into collection \"%s\" goes on after this transaction's abort",
							t->task_id, imp->collection),
					 errdetail("Milvus cannot cancel an import; its rows appear if it completes. Files: %s.",
							   t->files),
					 errhint("Follow it with milvus_import_tasks('%s').", imp->relname)));
	}
	imp->started = NIL;
}

/* ---- SQL functions ---- */

PG_FUNCTION_INFO_V1(milvus_bulk_import);
PG_FUNCTION_INFO_V1(milvus_import_progress);
PG_FUNCTION_INFO_V1(milvus_import_tasks);

/* The foreign table RELID's server, connection and options; checks ACL. */
static MilvusConn *
table_connection(Oid relid, AclMode mode, ForeignServer **server_out,
				 MilvusTableOptions *topts)
{
	ForeignTable *table;
	ForeignServer *server;
	AclResult	aclresult;

	if (get_rel_relkind(relid) != RELKIND_FOREIGN_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a foreign table", get_rel_name(relid))));
	aclresult = pg_class_aclcheck(relid, GetUserId(), mode);
	if (aclresult != ACLCHECK_OK)
		aclcheck_error(aclresult, OBJECT_FOREIGN_TABLE, get_rel_name(relid));
	table = GetForeignTable(relid);
	server = GetForeignServer(table->serverid);
	milvus_table_options(table, topts);
	*server_out = server;
	return milvus_get_connection(server, GetUserId());
}

static bool
has_suffix(const char *s, const char *suffix)
{
	size_t		n = strlen(s);
	size_t		m = strlen(suffix);

	return n >= m && pg_strcasecmp(s + n - m, suffix) == 0;
}

/*
 * milvus_bulk_import(foreign_table regclass, files text[]) RETURNS bigint
 *
 * Import files already in the server's storage (keys relative to its root,
 * as milvus_storage_list() shows them) into the table's collection and
 * partition, and wait for it: NumPy files (one per field, named after it)
 * together as one task, each JSON or Parquet file as a task of its own.
 * Returns the rows imported.  The files stay.  Needs INSERT on the table;
 * on a storage_path server also the rights of pg_read_server_files, since
 * Milvus then reads files of this machine.
 */
Datum
milvus_bulk_import(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(1);
	ForeignServer *server;
	MilvusTableOptions topts;
	MilvusConn *conn;
	MilvusStorageConfig cfg;
	MilvusStorage *storage;
	Datum	   *elems;
	bool	   *nulls;
	int			nelems;
	int			nnumpy = 0;
	List	   *numpy_paths = NIL;
	List	   *tasks = NIL;
	StringInfoData where;
	int64		rows = 0;
	int			i;
	ListCell   *lc;

	conn = table_connection(relid, ACL_INSERT, &server, &topts);
	check_server_can_import(conn, server, "import files");
	milvus_storage_config_for(server, GetUserId(), &cfg);
	if (cfg.storage_path != NULL &&
		!has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to import files of the local storage of server \"%s\"",
						server->servername),
				 errdetail("Milvus would read files of the database server's machine; only roles with privileges of the \"pg_read_server_files\" role may have it do so.")));

	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &nelems);
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("files must be a one-dimensional array")));
	if (nelems == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no files to import into foreign table \"%s\"", get_rel_name(relid))));
	for (i = 0; i < nelems; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("files to import must not be NULL")));
		if (has_suffix(TextDatumGetCString(elems[i]), ".npy"))
			nnumpy++;
	}
	if (nnumpy > 0 && nnumpy < nelems)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot import NumPy files together with other files"),
				 errdetail("NumPy files (one per field) make one import; each JSON or Parquet file makes its own.")));

	storage = milvus_storage_open(&cfg);
	initStringInfo(&where);
	for (i = 0; i < nelems; i++)
	{
		char	   *key = TextDatumGetCString(elems[i]);
		char	   *path = milvus_storage_milvus_path(storage, key);

		appendStringInfo(&where, "%s\"%s\"", i ? ", " : "", path);
		if (nnumpy > 0)
			numpy_paths = lappend(numpy_paths, path);
		else
			tasks = list_concat(tasks, submit_import(conn, server, topts.collection,
													 topts.partition, list_make1(path), true));
	}
	milvus_storage_close(storage);
	if (numpy_paths != NIL)
		tasks = submit_import(conn, server, topts.collection, topts.partition, numpy_paths, false);

	if (!wait_for_tasks(conn, topts.collection, where.data, tasks))
		report_failure(topts.collection, tasks, psprintf("The files stay: %s.", where.data));
	foreach(lc, tasks)
		rows += ((ImportTask *) lfirst(lc))->rows;
	milvus_conn_note_write(conn, milvus_conn_now(conn));
	PG_RETURN_INT64(rows);
}

/*
 * milvus_import_progress() RETURNS TABLE (task_id bigint, collection text,
 *		state text, progress integer, rows bigint, files text,
 *		started timestamptz, finished timestamptz, reason text)
 *
 * The imports this backend started (the last MILVUS_IMPORT_REMEMBERED), as
 * last seen: after a failure or a cancel, what happened to which files.
 */
Datum
milvus_import_progress(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ListCell   *lc;

	InitMaterializedSRF(fcinfo, 0);
	foreach(lc, remembered)
	{
		ImportTask *t = lfirst(lc);
		Datum		values[9];
		bool		nulls[9];

		memset(nulls, 0, sizeof(nulls));
		values[0] = Int64GetDatum(t->task_id);
		values[1] = CStringGetTextDatum(t->collection);
		values[2] = CStringGetTextDatum(state_name(t->state));
		values[3] = Int32GetDatum(t->progress);
		nulls[3] = t->progress < 0;
		values[4] = Int64GetDatum(t->rows);
		values[5] = CStringGetTextDatum(t->files);
		values[6] = TimestampTzGetDatum(t->started);
		values[7] = TimestampTzGetDatum(t->finished);
		nulls[7] = t->finished == 0;
		values[8] = t->reason ? CStringGetTextDatum(t->reason) : (Datum) 0;
		nulls[8] = t->reason == NULL;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	PG_RETURN_VOID();
}

/*
 * milvus_import_tasks(foreign_table regclass, max_tasks integer)
 *		RETURNS TABLE (task_id bigint, state text, progress integer,
 *		rows bigint, files text, created timestamptz, reason text)
 *
 * Milvus's own list of the import tasks of the table's collection
 * (ListImportTasks), whoever started them: how to follow an import from
 * another session.  Needs SELECT on the table.
 */
Datum
milvus_import_tasks(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Milvus__Proto__Milvus__ListImportTasksRequest req = MILVUS__PROTO__MILVUS__LIST_IMPORT_TASKS_REQUEST__INIT;
	Milvus__Proto__Milvus__ListImportTasksResponse *resp;
	ForeignServer *server;
	MilvusTableOptions topts;
	MilvusConn *conn;
	int			code;
	size_t		i;

	conn = table_connection(PG_GETARG_OID(0), ACL_SELECT, &server, &topts);
	InitMaterializedSRF(fcinfo, 0);
	req.collection_name = topts.collection;
	req.limit = PG_GETARG_INT32(1);
	req.db_name = (char *) milvus_conn_database(conn);
	resp = (Milvus__Proto__Milvus__ListImportTasksResponse *)
		milvus_call_raw(conn, "ListImportTasks", PBMSG(&req),
						&milvus__proto__milvus__list_import_tasks_response__descriptor, true, &code);
	if (resp == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("Milvus server \"%s\" does not support bulk import", server->servername),
				 errdetail("It does not implement the ListImportTasks call.")));
	milvus_check_status(conn, "ListImportTasks", PBMSG(resp));
	for (i = 0; i < resp->n_tasks; i++)
	{
		Milvus__Proto__Milvus__GetImportStateResponse *t = resp->tasks[i];
		const char *percent = info_value(t, "progress_percent");
		const char *files = info_value(t, "files");
		const char *reason = info_value(t, "failed_reason");
		Datum		values[7];
		bool		nulls[7];

		memset(nulls, 0, sizeof(nulls));
		values[0] = Int64GetDatum(t->id);
		values[1] = CStringGetTextDatum(state_name(t->state));
		values[2] = Int32GetDatum(percent ? atoi(percent) : 0);
		nulls[2] = percent == NULL;
		values[3] = Int64GetDatum(t->row_count);
		values[4] = files ? CStringGetTextDatum(files) : (Datum) 0;
		nulls[4] = files == NULL;
		/* create_ts is Unix seconds */
		values[5] = TimestampTzGetDatum(time_t_to_timestamptz((pg_time_t) t->create_ts));
		nulls[5] = t->create_ts == 0;
		values[6] = reason && reason[0] ? CStringGetTextDatum(reason) : (Datum) 0;
		nulls[6] = !(reason && reason[0]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	PG_RETURN_VOID();
}
