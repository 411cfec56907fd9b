/*-------------------------------------------------------------------------
 *
 * modify.c
 *		INSERT and COPY into Milvus, batched per transaction.
 *
 * Rows go into a buffer per (foreign table, user) that lives for the
 * transaction.  A buffer is sent as one Insert (or Upsert) request when it
 * reaches the table's batch_size or MILVUS_FLUSH_BYTES, and at pre-commit.
 * So Spark's one-row INSERT statements inside one transaction leave as a few
 * large requests, and a ROLLBACK before anything was sent sends nothing.
 * A savepoint rolled back forgets the rows it buffered.  Rows already sent
 * cannot be taken back: Milvus has no transactions (see the README).
 * With insert_method 'import' a full buffer goes to import.c's files
 * instead, which are imported at pre-commit (see import.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "executor/executor.h"
#include "foreign/fdwapi.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "optimizer/appendinfo.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "parser/parsetree.h"
#include "storage/proc.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timeout.h"

#include "milvus_fdw.h"
#include "milvus.pb-c.h"

/* Send a buffer once it holds this many bytes, whatever batch_size says. */
#define MILVUS_FLUSH_BYTES (16 * 1024 * 1024)

typedef struct BufferKey
{
	Oid			relid;
	Oid			userid;
	bool		for_update;		/* an UPDATE's upserts, sent per statement */
} BufferKey;

/* Rows buffered since a savepoint started: forgotten if it rolls back. */
typedef struct SavepointMark
{
	int			level;			/* transaction nest level */
	int			nrows;			/* rows buffered when it started */
	int64		flushes;		/* flushes done when it started */
	int64		import_pos;		/* milvus_import_position() when it started */
} SavepointMark;

typedef struct WriteBuffer
{
	BufferKey	key;			/* hash key: must be first */
	MilvusConn *conn;
	char	   *relname;
	char	   *collection;
	char	   *partition;
	bool		upsert;
	int			batch_size;
	int			ncols;
	MilvusColumnBuffer **cols;
	MilvusField **fields;		/* the field of each column buffer */
	int		   *attnums;		/* 0-based attribute of each column buffer */
	int			skip_attnum;	/* auto_id primary key column, or -1 */
	int			pk_attnum;		/* 0-based primary key column, or -1 */
	char	   *pk_field;
	int			pk_type;
	/* DELETE: primary keys to delete, sent per statement */
	StringInfoData delete_keys;
	int			ndelete;
	int			pk_junk;		/* resno of the "milvus_pk" junk column */
	int			nrows;
	size_t		bytes;
	/* what buffered values point to (text, JSON, arrays): reset when sent */
	MemoryContext values_cxt;
	int64		flushes;
	int64		rows_sent;
	bool		returning_keys; /* INSERT ... RETURNING on an auto_id table */
	int64		last_key;		/* the key Milvus gave the last row sent */
	List	   *marks;			/* SavepointMark, innermost first */
	/* insert_method 'import' (import.c) */
	int			table_insert_method;	/* the table's option */
	bool		use_import;		/* this statement's full buffers go to import */
	MilvusImport *import;		/* files of this transaction, or NULL */
} WriteBuffer;

static HTAB *write_buffers = NULL;
static MemoryContext write_cxt = NULL;	/* everything of this transaction */
static bool callbacks_registered = false;

static void flush_buffer(WriteBuffer *wb);
static void finish_import(WriteBuffer *wb);
static void keep_rows(WriteBuffer *wb, int nrows);
static void flush_deletes(WriteBuffer *wb);

/* ---- transaction callbacks ---- */

/*
 * Send what the transaction buffered, within its statement's time.
 * PostgreSQL stops timing a statement just before it commits, so without
 * this a commit that waits for Milvus (the last batches, a bulk import)
 * would escape statement_timeout.  The statement timer is armed again,
 * for the rest of the statement's time, around that work: when it fires the
 * wait ends as a cancel does, and the commit fails.
 */
static void
flush_at_commit(void)
{
	bool		timed;

	if (write_buffers == NULL || hash_get_num_entries(write_buffers) == 0)
		return;
	timed = StatementTimeout > 0 && !get_timeout_active(STATEMENT_TIMEOUT);
	if (timed)
		enable_timeout_at(STATEMENT_TIMEOUT,
						  TimestampTzPlusMilliseconds(GetCurrentStatementStartTimestamp(),
													  StatementTimeout));
	PG_TRY();
	{
		milvus_flush_table(InvalidOid);
	}
	PG_FINALLY();
	{
		if (timed)
			disable_timeout(STATEMENT_TIMEOUT, false);
	}
	PG_END_TRY();
}

static void
forget_buffers(void)
{
	write_buffers = NULL;
	if (write_cxt)
		MemoryContextDelete(write_cxt);
	write_cxt = NULL;
}


static void
xact_callback(XactEvent event, void *arg)
{
	HASH_SEQ_STATUS scan;
	WriteBuffer *wb;

	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PARALLEL_PRE_COMMIT:
			/* an ERROR here aborts the commit */
			flush_at_commit();
			break;
		case XACT_EVENT_PRE_PREPARE:
			if (write_buffers && hash_get_num_entries(write_buffers) > 0)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("cannot PREPARE a transaction that has written to Milvus")));
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			if (write_buffers)
			{
				hash_seq_init(&scan, write_buffers);
				while ((wb = hash_seq_search(&scan)) != NULL)
				{
					milvus_import_close(wb->import);
					if (wb->rows_sent > 0)
						ereport(WARNING,
								(errmsg("%lld rows already sent to Milvus collection \"%s\" are not rolled back",
										(long long) wb->rows_sent, wb->collection),
								 errdetail("Milvus has no transactions; rows are sent when a batch fills.")));
				}
			}
			forget_buffers();
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PREPARE:
			/* pre-commit imported everything: this only closes files */
			if (write_buffers)
			{
				hash_seq_init(&scan, write_buffers);
				while ((wb = hash_seq_search(&scan)) != NULL)
					milvus_import_close(wb->import);
			}
			forget_buffers();
			break;
	}
}

static void
subxact_callback(SubXactEvent event, SubTransactionId mySubid,
				 SubTransactionId parentSubid, void *arg)
{
	HASH_SEQ_STATUS scan;
	WriteBuffer *wb;
	int			level = GetCurrentTransactionNestLevel();

	if (write_buffers == NULL ||
		(event != SUBXACT_EVENT_ABORT_SUB && event != SUBXACT_EVENT_COMMIT_SUB))
		return;

	hash_seq_init(&scan, write_buffers);
	while ((wb = hash_seq_search(&scan)) != NULL)
	{
		SavepointMark *mark;

		if (wb->marks == NIL)
			continue;
		mark = linitial(wb->marks);
		if (mark->level != level)
			continue;
		wb->marks = list_delete_first(wb->marks);
		if (event == SUBXACT_EVENT_ABORT_SUB)
		{
			int			keep = mark->nrows;

			if (mark->flushes != wb->flushes)
			{
				ereport(WARNING,
						(errmsg("rows sent to Milvus collection \"%s\" since the savepoint are not rolled back",
								wb->collection)));
				keep = 0;
			}
			keep_rows(wb, keep);
			if (wb->import)
				milvus_import_forget(wb->import, mark->import_pos);
		}
		else
		{
			/* the parent inherits the rows: keep the mark unless it has one */
			SavepointMark *outer = wb->marks ? linitial(wb->marks) : NULL;

			if (outer == NULL || outer->level < level - 1)
			{
				mark->level = level - 1;
				if (mark->level > 1)
					wb->marks = lcons(mark, wb->marks);
			}
		}
	}
}

/* ---- buffers ---- */

static WriteBuffer *
get_write_buffer(Relation rel, Oid userid, bool for_update)
{
	BufferKey	key;
	WriteBuffer *wb;
	bool		found;
	MemoryContext oldcxt;
	ForeignTable *table;
	ForeignServer *server;
	MilvusTableOptions topts;
	MilvusCollection *coll;
	TupleDesc	tupdesc = RelationGetDescr(rel);
	int			i;
	bool	   *covered;
	volatile bool entered = false;

	if (!callbacks_registered)
	{
		RegisterXactCallback(xact_callback, NULL);
		RegisterSubXactCallback(subxact_callback, NULL);
		callbacks_registered = true;
	}
	if (write_cxt == NULL)
	{
		HASHCTL		ctl;

		write_cxt = AllocSetContextCreate(TopMemoryContext, "milvus_fdw write buffers",
										  ALLOCSET_DEFAULT_SIZES);
		ctl.keysize = sizeof(BufferKey);
		ctl.entrysize = sizeof(WriteBuffer);
		ctl.hcxt = write_cxt;
		write_buffers = hash_create("milvus_fdw write buffers", 8, &ctl,
									HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}

	memset(&key, 0, sizeof(key));
	key.relid = RelationGetRelid(rel);
	key.userid = userid;
	key.for_update = for_update;
	wb = hash_search(write_buffers, &key, HASH_FIND, &found);
	if (found)
		return wb;

	/* Everything the buffer needs is read once per transaction. */
	table = GetForeignTable(key.relid);
	server = GetForeignServer(table->serverid);
	milvus_table_options(table, &topts);
	oldcxt = MemoryContextSwitchTo(write_cxt);
	PG_TRY();
	{
		MilvusConn *conn = milvus_get_connection(server, userid);

		coll = milvus_describe_collection(conn, topts.collection, true);
		if (coll == NULL)
		{
			milvus_create_collection_for_table(conn, rel, &topts);
			coll = milvus_describe_collection(conn, topts.collection, false);
		}

		wb = hash_search(write_buffers, &key, HASH_ENTER, &found);
		entered = true;
		memset(((char *) wb) + sizeof(BufferKey), 0, sizeof(WriteBuffer) - sizeof(BufferKey));
		wb->conn = conn;
		wb->relname = pstrdup(RelationGetRelationName(rel));
		wb->collection = pstrdup(topts.collection);
		wb->partition = topts.partition ? pstrdup(topts.partition) : NULL;
		wb->upsert = topts.upsert || for_update;
		wb->batch_size = topts.batch_size;
		wb->skip_attnum = -1;
		wb->pk_attnum = -1;
		wb->pk_field = pstrdup(coll->fields[coll->pk_index].name);
		wb->pk_type = coll->fields[coll->pk_index].data_type;
		initStringInfo(&wb->delete_keys);
		wb->values_cxt = AllocSetContextCreate(write_cxt, "milvus_fdw buffered values",
											   ALLOCSET_DEFAULT_SIZES);
		wb->cols = palloc0(sizeof(MilvusColumnBuffer *) * tupdesc->natts);
		wb->fields = palloc0(sizeof(MilvusField *) * tupdesc->natts);
		wb->table_insert_method = topts.insert_method;
		wb->attnums = palloc0(sizeof(int) * tupdesc->natts);
		covered = palloc0(sizeof(bool) * (coll->nfields + 1));

		for (i = 0; i < tupdesc->natts; i++)
		{
			Form_pg_attribute att = TupleDescAttr(tupdesc, i);
			char	   *fname;
			MilvusField *field;

			if (att->attisdropped)
				continue;
			fname = milvus_column_field_name(key.relid, att->attnum);
			field = milvus_find_field(coll, fname);
			if (field == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_COLUMN),
						 errmsg("column \"%s\" of foreign table \"%s\" has no field in Milvus collection \"%s\"",
								NameStr(att->attname), wb->relname, coll->name),
						 errhint("Name the field with the column option \"field\", or drop the column.")));
			covered[field - coll->fields] = true;
			if (field->is_primary_key)
				wb->pk_attnum = i;
			if (field->is_primary_key && field->auto_id && !wb->upsert)
			{
				wb->skip_attnum = i;	/* Milvus assigns it */
				continue;
			}
			wb->cols[wb->ncols] = milvus_column_buffer_create(field, att->atttypid,
															   NameStr(att->attname));
			wb->fields[wb->ncols] = field;
			wb->attnums[wb->ncols++] = i;
		}
		for (i = 0; i < coll->nfields; i++)
		{
			MilvusField *f = &coll->fields[i];

			if (!covered[i] && !f->nullable && !f->has_default && !f->is_dynamic &&
				!(f->is_primary_key && f->auto_id))
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_COLUMN),
						 errmsg("Milvus field \"%s\" of collection \"%s\" has no column in foreign table \"%s\"",
								f->name, coll->name, wb->relname),
						 errhint("Add a column for it (with option \"field\" if the names differ).")));
		}
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcxt);
		if (entered)
			(void) hash_search(write_buffers, &key, HASH_REMOVE, NULL);
		PG_RE_THROW();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(oldcxt);
	return wb;
}

static void
flush_buffer(WriteBuffer *wb)
{
	Milvus__Proto__Milvus__InsertRequest req = MILVUS__PROTO__MILVUS__INSERT_REQUEST__INIT;
	Milvus__Proto__Milvus__MutationResult *resp;
	MemoryContext tmp,
				oldcxt;
	int64		written;
	int			i;

	if (wb->nrows == 0)
		return;
	tmp = AllocSetContextCreate(CurrentMemoryContext, "milvus_fdw insert request",
								ALLOCSET_DEFAULT_SIZES);
	oldcxt = MemoryContextSwitchTo(tmp);

	if (wb->use_import)
	{
		/* into the import's files; they go to Milvus at pre-commit */
		Milvus__Proto__Schema__FieldData **cols = palloc(sizeof(*cols) * (wb->ncols + 1));

		for (i = 0; i < wb->ncols; i++)
			cols[i] = milvus_column_field_data(wb->cols[i]);
		milvus_import_append(wb->import, cols, wb->nrows);
		MemoryContextSwitchTo(oldcxt);
		MemoryContextDelete(tmp);
		keep_rows(wb, 0);
		if (milvus_import_full(wb->import))
			finish_import(wb);
		return;
	}

	req.db_name = (char *) milvus_conn_database(wb->conn);
	req.collection_name = wb->collection;
	req.partition_name = wb->partition ? wb->partition : "";
	req.num_rows = wb->nrows;
	req.n_fields_data = wb->ncols;
	req.fields_data = palloc(sizeof(*req.fields_data) * (wb->ncols + 1));
	for (i = 0; i < wb->ncols; i++)
		req.fields_data[i] = milvus_column_field_data(wb->cols[i]);

	/* InsertRequest and UpsertRequest share fields 1-7. */
	resp = (Milvus__Proto__Milvus__MutationResult *)
		milvus_call(wb->conn, wb->upsert ? "Upsert" : "Insert", PBMSG(&req),
					&milvus__proto__milvus__mutation_result__descriptor, false);
	milvus_conn_note_write(wb->conn, resp->timestamp);
	written = wb->upsert ? Max(resp->upsert_cnt, resp->insert_cnt) : resp->insert_cnt;
	if (resp->ids && resp->ids->id_field_case == MILVUS__PROTO__SCHEMA__IDS__ID_FIELD_INT_ID &&
		resp->ids->int_id->n_data > 0)
		wb->last_key = resp->ids->int_id->data[resp->ids->int_id->n_data - 1];
	if (written != wb->nrows && written != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("Milvus stored %lld of %d rows sent to collection \"%s\"",
						(long long) written, wb->nrows, wb->collection)));

	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(tmp);

	wb->rows_sent += wb->nrows;
	wb->flushes++;
	keep_rows(wb, 0);
}

/* Import the rows spooled so far: sent, as far as rollbacks are concerned. */
static void
finish_import(WriteBuffer *wb)
{
	int64		rows;

	if (wb->import == NULL)
		return;
	rows = milvus_import_finish(wb->import);
	if (rows > 0)
	{
		wb->rows_sent += rows;
		wb->flushes++;
	}
}

/*
 * Forget buffered rows from nrows on.  A half-appended row (a bad value)
 * is cut by keeping wb->nrows.  The byte estimate only restarts when the
 * buffer empties; until then it errs towards an early flush.
 */
static void
keep_rows(WriteBuffer *wb, int nrows)
{
	int			i;

	for (i = 0; i < wb->ncols; i++)
		milvus_column_truncate(wb->cols[i], nrows);
	wb->nrows = Min(wb->nrows, nrows);
	if (wb->nrows == 0)
	{
		wb->bytes = 0;
		/* sent or dropped: a long INSERT holds one batch, not all it wrote */
		MemoryContextReset(wb->values_cxt);
	}
}

/*
 * Send every buffered change of one foreign table (before reading it), or
 * of every table (InvalidOid, at commit).
 */
void
milvus_flush_table(Oid relid)
{
	HASH_SEQ_STATUS scan;
	WriteBuffer *wb;

	if (write_buffers == NULL)
		return;
	hash_seq_init(&scan, write_buffers);
	while ((wb = hash_seq_search(&scan)) != NULL)
		if (!OidIsValid(relid) || wb->key.relid == relid)
		{
			flush_deletes(wb);
			flush_buffer(wb);
			finish_import(wb);
		}
}

static void
buffer_row(WriteBuffer *wb, TupleTableSlot *slot)
{
	int			level = GetCurrentTransactionNestLevel();
	int			i;

	/* remember where a savepoint's rows start, so its rollback drops them */
	if (level > 1 &&
		(wb->marks == NIL || ((SavepointMark *) linitial(wb->marks))->level < level))
	{
		SavepointMark *mark;
		MemoryContext oldcxt;

		/* an import's files can only be cut back to where a batch starts */
		if (wb->use_import)
			flush_buffer(wb);
		mark = MemoryContextAlloc(write_cxt, sizeof(SavepointMark));
		oldcxt = MemoryContextSwitchTo(write_cxt);

		mark->level = level;
		mark->nrows = wb->nrows;
		mark->flushes = wb->flushes;
		mark->import_pos = wb->import ? milvus_import_position(wb->import) : 0;
		wb->marks = lcons(mark, wb->marks);
		MemoryContextSwitchTo(oldcxt);
	}

	slot_getallattrs(slot);
	if (wb->skip_attnum >= 0 && !slot->tts_isnull[wb->skip_attnum])
		ereport(ERROR,
				(errcode(ERRCODE_GENERATED_ALWAYS),
				 errmsg("column \"%s\" of foreign table \"%s\" is assigned by Milvus (auto_id)",
						NameStr(TupleDescAttr(slot->tts_tupleDescriptor, wb->skip_attnum)->attname),
						wb->relname),
				 errhint("Leave it out of the INSERT, or use insert_mode 'upsert' to give keys.")));

	{
		MemoryContext oldcxt = MemoryContextSwitchTo(wb->values_cxt);

		PG_TRY();
		{
			for (i = 0; i < wb->ncols; i++)
			{
				int			att = wb->attnums[i];

				wb->bytes += milvus_column_append(wb->cols[i], slot->tts_values[att],
												  slot->tts_isnull[att]);
			}
		}
		PG_CATCH();
		{
			/* a bad value leaves no half row behind */
			keep_rows(wb, wb->nrows);
			PG_RE_THROW();
		}
		PG_END_TRY();
		MemoryContextSwitchTo(oldcxt);
	}
	wb->nrows++;

	if (wb->nrows >= wb->batch_size || wb->bytes >= MILVUS_FLUSH_BYTES)
		flush_buffer(wb);
}

/* ---- deletes ---- */

/* Queue one primary key for deletion. */
static void
queue_delete(WriteBuffer *wb, Datum pk)
{
	StringInfo	buf = &wb->delete_keys;
	MemoryContext oldcxt = MemoryContextSwitchTo(write_cxt);

	appendStringInfoString(buf, wb->ndelete == 0 ? "" : ", ");
	if (wb->pk_type == MILVUS__PROTO__SCHEMA__DATA_TYPE__VarChar)
		milvus_append_string_literal(buf, TextDatumGetCString(pk));
	else
		appendStringInfo(buf, INT64_FORMAT, DatumGetInt64(pk));
	wb->ndelete++;
	MemoryContextSwitchTo(oldcxt);
}

/* Send a Delete with a Milvus expression; returns the rows Milvus deleted. */
static int64
send_delete(MilvusConn *conn, const char *collection, const char *partition,
			const char *expr)
{
	Milvus__Proto__Milvus__DeleteRequest req = MILVUS__PROTO__MILVUS__DELETE_REQUEST__INIT;
	Milvus__Proto__Milvus__MutationResult *resp;

	req.db_name = (char *) milvus_conn_database(conn);
	req.collection_name = (char *) collection;
	req.partition_name = (char *) (partition ? partition : "");
	req.expr = (char *) expr;
	resp = (Milvus__Proto__Milvus__MutationResult *)
		milvus_call(conn, "Delete", PBMSG(&req),
					&milvus__proto__milvus__mutation_result__descriptor, true);
	/* 2.3 reports no timestamp for deletes: take the server's clock */
	milvus_conn_note_write(conn, resp->timestamp ? resp->timestamp : milvus_conn_now(conn));
	return resp->delete_cnt;
}

static void
flush_deletes(WriteBuffer *wb)
{
	if (wb->ndelete == 0)
		return;
	(void) send_delete(wb->conn, wb->collection, wb->partition,
					   psprintf("%s in [%s]", wb->pk_field, wb->delete_keys.data));
	wb->rows_sent += wb->ndelete;
	wb->flushes++;
	resetStringInfo(&wb->delete_keys);
	wb->ndelete = 0;
}

/* Does the transaction hold unsent rows or deletes for this connection? */
bool
milvus_conn_has_pending_writes(MilvusConn *conn)
{
	HASH_SEQ_STATUS scan;
	WriteBuffer *wb;
	bool		pending = false;

	if (write_buffers == NULL)
		return false;
	hash_seq_init(&scan, write_buffers);
	while ((wb = hash_seq_search(&scan)) != NULL)
		if (wb->conn == conn)
			pending = true;
	return pending;
}

/* ---- FDW callbacks ---- */

/* UPDATE and DELETE find rows by primary key: fetch it as a junk column. */
void
milvusAddForeignUpdateTargets(PlannerInfo *root, Index rtindex,
							  RangeTblEntry *target_rte, Relation target_relation)
{
	ForeignTable *table = GetForeignTable(RelationGetRelid(target_relation));
	MilvusTableOptions topts;
	MilvusConn *conn;
	MilvusCollection *coll;
	TupleDesc	tupdesc = RelationGetDescr(target_relation);
	int			i;

	milvus_table_options(table, &topts);
	conn = milvus_get_connection(GetForeignServer(table->serverid),
								 OidIsValid(target_rte->checkAsUser) ? target_rte->checkAsUser : GetUserId());
	coll = milvus_collection_cached(conn, topts.collection);
	for (i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);

		if (!att->attisdropped && coll->pk_index >= 0 &&
			strcmp(milvus_column_field_name(RelationGetRelid(target_relation), att->attnum),
				   coll->fields[coll->pk_index].name) == 0)
		{
			Var		   *var = makeVar(rtindex, att->attnum, att->atttypid,
									  att->atttypmod, att->attcollation, 0);

			add_row_identity_var(root, var, rtindex, "milvus_pk");
			return;
		}
	}
	ereport(ERROR,
			(errcode(ERRCODE_FDW_ERROR),
			 errmsg("foreign table \"%s\" has no column for the primary key of collection \"%s\"",
					RelationGetRelationName(target_relation), topts.collection),
			 errdetail("UPDATE and DELETE find Milvus entities by primary key.")));
}

List *
milvusPlanForeignModify(PlannerInfo *root, ModifyTable *plan, Index resultRelation,
						int subplan_index)
{
	if (plan->onConflictAction != ONCONFLICT_NONE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("INSERT with ON CONFLICT is not supported on Milvus foreign tables"),
				 errhint("Use the table option insert_mode 'upsert'.")));
	return NIL;
}

static Oid
modify_user(ResultRelInfo *rinfo, EState *estate)
{
	if (rinfo->ri_RangeTableIndex > 0)
	{
		RangeTblEntry *rte = exec_rt_fetch(rinfo->ri_RangeTableIndex, estate);

		if (OidIsValid(rte->checkAsUser))
			return rte->checkAsUser;
	}
	return GetUserId();
}

static void
begin_insert(ResultRelInfo *rinfo, EState *estate, bool returning)
{
	Relation	rel = rinfo->ri_RelationDesc;
	Oid			userid = modify_user(rinfo, estate);
	WriteBuffer *wb = get_write_buffer(rel, userid, false);
	bool		use_import = milvus_import_wanted(wb->table_insert_method);

	/* RETURNING needs the keys Milvus assigns: each row is sent at once */
	wb->returning_keys = returning && wb->skip_attnum >= 0;

	/* the method is the statement's: rows buffered the other way go first */
	if (use_import != wb->use_import)
		flush_buffer(wb);
	if (use_import)
	{
		if (wb->upsert)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("insert_method 'import' cannot upsert into foreign table \"%s\"",
							wb->relname),
					 errdetail("Milvus's import only adds rows."),
					 errhint("Use insert_mode 'insert', or insert_method 'insert'.")));
		if (wb->returning_keys)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("insert_method 'import' cannot return the keys Milvus assigns to foreign table \"%s\"",
							wb->relname),
					 errdetail("Imported rows get their keys when the import runs, at commit."),
					 errhint("Use insert_method 'insert' for INSERT ... RETURNING.")));
		if (wb->import == NULL)
		{
			MemoryContext oldcxt = MemoryContextSwitchTo(write_cxt);

			wb->import = milvus_import_begin(wb->conn,
											 GetForeignServer(GetForeignTable(RelationGetRelid(rel))->serverid),
											 userid, wb->relname, wb->collection, wb->partition,
											 wb->ncols, wb->fields);
			MemoryContextSwitchTo(oldcxt);
		}
	}
	wb->use_import = use_import;
	rinfo->ri_FdwState = wb;
}

void
milvusBeginForeignModify(ModifyTableState *mtstate, ResultRelInfo *rinfo,
						 List *fdw_private, int subplan_index, int eflags)
{
	ModifyTable *plan = (ModifyTable *) mtstate->ps.plan;
	WriteBuffer *wb;

	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;
	if (plan->operation == CMD_INSERT)
	{
		begin_insert(rinfo, mtstate->ps.state, plan->returningLists != NIL);
		return;
	}

	wb = get_write_buffer(rinfo->ri_RelationDesc, modify_user(rinfo, mtstate->ps.state),
						  plan->operation == CMD_UPDATE);
	wb->pk_junk = ExecFindJunkAttributeInTlist(outerPlanState(mtstate)->plan->targetlist,
											   "milvus_pk");
	if (!AttributeNumberIsValid(wb->pk_junk))
		elog(ERROR, "milvus_fdw: primary key junk column not found");
	rinfo->ri_FdwState = wb;
}

static Datum
junk_pk(WriteBuffer *wb, TupleTableSlot *planSlot)
{
	bool		isnull;
	Datum		pk = ExecGetJunkAttribute(planSlot, wb->pk_junk, &isnull);

	if (isnull)
		elog(ERROR, "milvus_fdw: primary key of the row to change is NULL");
	return pk;
}

/* UPDATE: upsert the whole new row; a changed key also deletes the old one. */
TupleTableSlot *
milvusExecForeignUpdate(EState *estate, ResultRelInfo *rinfo,
						TupleTableSlot *slot, TupleTableSlot *planSlot)
{
	WriteBuffer *wb = (WriteBuffer *) rinfo->ri_FdwState;
	Datum		old_pk = junk_pk(wb, planSlot);
	bool		isnull;
	Datum		new_pk = slot_getattr(slot, wb->pk_attnum + 1, &isnull);
	Form_pg_attribute att = TupleDescAttr(slot->tts_tupleDescriptor, wb->pk_attnum);

	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("primary key column \"%s\" of foreign table \"%s\" cannot be set to NULL",
						NameStr(att->attname), wb->relname)));
	if (!datumIsEqual(old_pk, new_pk, att->attbyval, att->attlen))
		queue_delete(wb, old_pk);
	buffer_row(wb, slot);
	return slot;
}

TupleTableSlot *
milvusExecForeignDelete(EState *estate, ResultRelInfo *rinfo,
						TupleTableSlot *slot, TupleTableSlot *planSlot)
{
	WriteBuffer *wb = (WriteBuffer *) rinfo->ri_FdwState;

	queue_delete(wb, junk_pk(wb, planSlot));
	if (wb->ndelete >= 10000)
		flush_deletes(wb);
	return slot;
}

TupleTableSlot *
milvusExecForeignInsert(EState *estate, ResultRelInfo *rinfo,
						TupleTableSlot *slot, TupleTableSlot *planSlot)
{
	WriteBuffer *wb = (WriteBuffer *) rinfo->ri_FdwState;

	buffer_row(wb, slot);
	if (wb->returning_keys)
	{
		int			natts = slot->tts_tupleDescriptor->natts;
		Datum	   *values = palloc(sizeof(Datum) * natts);
		bool	   *nulls = palloc(sizeof(bool) * natts);

		flush_buffer(wb);
		slot_getallattrs(slot);
		memcpy(values, slot->tts_values, sizeof(Datum) * natts);
		memcpy(nulls, slot->tts_isnull, sizeof(bool) * natts);
		values[wb->skip_attnum] = Int64GetDatum(wb->last_key);
		nulls[wb->skip_attnum] = false;
		ExecClearTuple(slot);
		memcpy(slot->tts_values, values, sizeof(Datum) * natts);
		memcpy(slot->tts_isnull, nulls, sizeof(bool) * natts);
		ExecStoreVirtualTuple(slot);
	}
	return slot;
}

void
milvusEndForeignModify(EState *estate, ResultRelInfo *rinfo)
{
	WriteBuffer *wb = (WriteBuffer *) rinfo->ri_FdwState;

	/*
	 * Inserted rows stay buffered until the batch fills or the transaction
	 * commits.  An UPDATE's or DELETE's changes are sent now: the statement
	 * already read the rows it changes, and the next one must see them.
	 */
	if (wb == NULL || !(wb->key.for_update || wb->ndelete > 0))
		return;
	flush_deletes(wb);
	flush_buffer(wb);
}

/* ---- DELETE straight to Milvus ---- */

/*
 * A DELETE whose WHERE went wholly to Milvus needs no rows: it is one
 * Delete with that expression.
 */
bool
milvusPlanDirectModify(PlannerInfo *root, ModifyTable *plan, Index resultRelation,
					   int subplan_index)
{
	Plan	   *subplan = outerPlan(plan);
	ForeignScan *fscan;

	if (plan->operation != CMD_DELETE || plan->returningLists != NIL)
		return false;
	if (subplan == NULL || !IsA(subplan, ForeignScan))
		return false;
	fscan = (ForeignScan *) subplan;
	if (fscan->scan.scanrelid != resultRelation || !milvus_scan_can_delete_directly(fscan))
		return false;
	fscan->operation = CMD_DELETE;
	fscan->resultRelation = resultRelation;
	return true;
}

void
milvusBeginDirectModify(ForeignScanState *node, int eflags)
{
	/* the scan's set-up: connection, WHERE expression, buffered rows sent */
	milvusBeginForeignScan(node, eflags);
}

TupleTableSlot *
milvusIterateDirectModify(ForeignScanState *node)
{
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;
	MilvusConn *conn;
	const char *collection;
	const char *expr;

	ExecClearTuple(slot);
	if (milvus_scan_claim_expression(node, &conn, &collection, &expr))
		node->ss.ps.state->es_processed +=
			send_delete(conn, collection,
						milvus_table_partition(RelationGetRelid(node->ss.ss_currentRelation)),
						expr);
	return slot;
}

void
milvusEndDirectModify(ForeignScanState *node)
{
	milvusEndForeignScan(node);
}

/*
 * TRUNCATE: remove every entity; the collection keeps its schema and index.
 * Rows this transaction buffered for the table go too.
 */
void
milvusExecForeignTruncate(List *rels, DropBehavior behavior, bool restart_seqs)
{
	ListCell   *lc;

	foreach(lc, rels)
	{
		Relation	rel = lfirst(lc);
		ForeignTable *table = GetForeignTable(RelationGetRelid(rel));
		MilvusTableOptions topts;
		MilvusConn *conn;
		MilvusCollection *coll;
		char	   *expr;

		milvus_table_options(table, &topts);
		conn = milvus_get_connection(GetForeignServer(table->serverid), GetUserId());
		coll = milvus_collection_cached(conn, topts.collection);
		if (write_buffers)
		{
			HASH_SEQ_STATUS scan;
			WriteBuffer *wb;

			hash_seq_init(&scan, write_buffers);
			while ((wb = hash_seq_search(&scan)) != NULL)
				if (wb->key.relid == RelationGetRelid(rel))
				{
					keep_rows(wb, 0);
					if (wb->import)
						milvus_import_forget(wb->import, 0);
				}
		}
		expr = milvus_all_rows_expr(coll->fields[coll->pk_index].name,
									coll->fields[coll->pk_index].data_type);
		(void) send_delete(conn, topts.collection, topts.partition, expr);
	}
}

void
milvusBeginForeignInsert(ModifyTableState *mtstate, ResultRelInfo *rinfo)
{
	begin_insert(rinfo, mtstate->ps.state, false);
}

void
milvusEndForeignInsert(EState *estate, ResultRelInfo *rinfo)
{
}

int
milvusIsForeignRelUpdatable(Relation rel)
{
	return (1 << CMD_INSERT) | (1 << CMD_UPDATE) | (1 << CMD_DELETE);
}
