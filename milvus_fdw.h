/*-------------------------------------------------------------------------
 *
 * milvus_fdw.h
 *		Shared structs of milvus_fdw and the exports of each module,
 *		grouped by the file that defines them.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MILVUS_FDW_H
#define MILVUS_FDW_H

#include "postgres.h"

#include "foreign/fdwapi.h"
#include "foreign/foreign.h"
#include "nodes/pg_list.h"
#include "lib/stringinfo.h"
#include "nodes/execnodes.h"
#include "nodes/pathnodes.h"
#include "nodes/plannodes.h"
#include "utils/relcache.h"
#include "access/parallel.h"

#include <protobuf-c/protobuf-c.h>

#define MILVUS_FDW_VERSION "1.0.0"

/* Defaults, shared by the validator, the docs and the connection code. */
#define MILVUS_DEFAULT_HOST			"localhost"
#define MILVUS_DEFAULT_PORT			19530
#define MILVUS_DEFAULT_TLS_PORT		443
#define MILVUS_DEFAULT_DATABASE		"default"
#define MILVUS_DEFAULT_TIMEOUT_MS	30000
#define MILVUS_DEFAULT_BATCH_SIZE	1000
#define MILVUS_MAX_DIM				32768

/* ConsistencyLevel values, as Milvus numbers them. */
typedef enum MilvusConsistency
{
	MILVUS_CONSISTENCY_STRONG = 0,
	MILVUS_CONSISTENCY_SESSION = 1,
	MILVUS_CONSISTENCY_BOUNDED = 2,
	MILVUS_CONSISTENCY_EVENTUALLY = 3,
	MILVUS_CONSISTENCY_COLLECTION = 4	/* option value: the collection's level */
} MilvusConsistency;

/* ---- options.c ---- */

/* A foreign server's options, resolved with defaults. */
typedef struct MilvusServerOptions
{
	char	   *host;
	int			port;
	bool		use_tls;		/* uri 'https://…' */
	char	   *database;
	char	   *ca_cert;		/* file paths, NULL when unset */
	char	   *client_cert;
	char	   *client_key;
	char	   *server_name;	/* TLS name to verify, when it differs */
	int			timeout_ms;		/* deadline of every call */
	/* object storage, for binlog export and bulk import */
	char	   *storage_endpoint;
	char	   *bucket;
	char	   *root_path;
	bool		storage_use_ssl;
	char	   *storage_region;
	char	   *storage_path;
} MilvusServerOptions;

/* A user mapping's options; all NULL when the user has no mapping. */
typedef struct MilvusUserOptions
{
	bool		has_mapping;
	char	   *user;
	char	   *password;
	char	   *token;
	char	   *storage_user;
	char	   *storage_password;
	bool		password_required;
} MilvusUserOptions;

/* A foreign table's options, resolved with defaults. */
typedef struct MilvusTableOptions
{
	char	   *collection;
	char	   *partition;
	char	   *primary_key;
	char	   *vector_field;
	int			dim;			/* 0 when unset */
	bool		auto_id;
	int			batch_size;
	int			consistency_level;	/* -1: the collection's default */
	bool		upsert;			/* insert_mode 'upsert' */
	char	   *index_type;		/* for auto-created collections */
	char	   *metric_type;
	char	   *search_params;	/* JSON; else the milvus_fdw.search_params GUC */
	int			scan_method;	/* MILVUS_METHOD_* */
	bool		binlog_no_flush;	/* binlog_flush 'false': read what is persisted */
	int			insert_method;	/* MILVUS_INSERT_*: the table's option */
} MilvusTableOptions;

/* insert_method, in the order of the option's choices */
#define MILVUS_INSERT_INSERT	0
#define MILVUS_INSERT_IMPORT	1

/* scan_method, in the order of the option's choices */
#define MILVUS_METHOD_AUTO		0
#define MILVUS_METHOD_QUERY		1
#define MILVUS_METHOD_BINLOG	2

extern void milvus_server_options(ForeignServer *server, MilvusServerOptions *opts);
extern void milvus_user_options(UserMapping *mapping, MilvusUserOptions *opts);
extern void milvus_table_options(ForeignTable *table, MilvusTableOptions *opts);
extern char *milvus_column_option(Oid relid, AttrNumber attnum, const char *name);
extern char *milvus_column_field_name(Oid relid, AttrNumber attnum);
extern const char *milvus_consistency_name(int level);
extern char *milvus_table_partition(Oid relid);

/* Any generated protobuf-c message, seen as its common header. */
#define PBMSG(m) ((ProtobufCMessage *) (m))

/* ---- connection.c ---- */

typedef struct MilvusConn MilvusConn;

extern MilvusConn *milvus_get_connection(ForeignServer *server, Oid userid);
extern MilvusConn *milvus_get_connection_by_name(const char *servername);
extern const char *milvus_conn_database(MilvusConn *conn);
extern int	milvus_conn_timeout_ms(MilvusConn *conn);
extern void milvus_conn_note_write(MilvusConn *conn, uint64 timestamp);
extern uint64 milvus_conn_last_write(MilvusConn *conn);
extern uint64 milvus_conn_now(MilvusConn *conn);
extern const char *milvus_conn_server_version(MilvusConn *conn, bool refresh);
extern bool milvus_conn_pages_in_pk_order(MilvusConn *conn);
extern ProtobufCAllocator milvus_pb_allocator;	/* palloc in the current context */
extern bool milvus_log_stats;	/* GUC milvus_fdw.log_stats */
extern void milvus_register_log_stats(void);
extern ProtobufCMessage *milvus_call(MilvusConn *conn, const char *method,
									 const ProtobufCMessage *request,
									 const ProtobufCMessageDescriptor *response_type,
									 bool idempotent);
extern ProtobufCMessage *milvus_call_raw(MilvusConn *conn, const char *method,
										 const ProtobufCMessage *request,
										 const ProtobufCMessageDescriptor *response_type,
										 bool idempotent, int *grpc_code);
extern void milvus_check_status(MilvusConn *conn, const char *method,
								const ProtobufCMessage *response);
struct Milvus__Proto__Common__KeyValuePair;
extern struct Milvus__Proto__Common__KeyValuePair *milvus_kv(const char *key, const char *value);
extern char *milvus_all_rows_expr(const char *pk_field, int pk_type);

/* ---- schema.c ---- */

/* One field of a collection, as DescribeCollection reports it. */
typedef struct MilvusField
{
	char	   *name;			/* "$meta" for the dynamic field */
	int64		field_id;		/* names its binlog directory; 0 if unknown */
	int			data_type;		/* schema.DataType */
	int			element_type;	/* for Array */
	bool		is_primary_key;
	bool		auto_id;
	bool		nullable;
	bool		is_dynamic;
	bool		has_default;
	int			dim;
	int			max_length;
	int			max_capacity;
	char	   *metric;			/* index metric of a vector field, once asked */
	bool		metric_known;
} MilvusField;

typedef struct MilvusCollection
{
	char	   *name;
	int64		id;
	int			nfields;
	MilvusField *fields;
	int			pk_index;		/* index in fields, -1 if none */
	bool		enable_dynamic_field;
	int			consistency_level;
	double		row_count;		/* see milvus_collection_row_count() */
	LocalTransactionId row_count_lxid;	/* the transaction that read it */
	TimestampTz row_count_time; /* and when */
} MilvusCollection;

extern MilvusCollection *milvus_describe_collection(MilvusConn *conn, const char *name,
													bool missing_ok);
extern MilvusCollection *milvus_collection_cached(MilvusConn *conn, const char *name);
extern void milvus_collection_forget(const char *name);
extern double milvus_collection_row_count(MilvusConn *conn, const char *name,
										  bool fresh);
extern void milvus_load_collection(MilvusConn *conn, const char *name);
extern MilvusField *milvus_find_field(MilvusCollection *coll, const char *name);
extern const char *milvus_type_name(int data_type);
extern int	milvus_type_from_name(const char *name);
extern List *milvusImportForeignSchema(ImportForeignSchemaStmt *stmt, Oid serverOid);
extern void milvus_create_collection_for_table(MilvusConn *conn, Relation rel,
											   const MilvusTableOptions *topts);

/* ---- scan.c: what the planner knows of a foreign table ---- */

/* One column of a foreign table and the Milvus field behind it. */
typedef struct MilvusScanColumn
{
	AttrNumber	attnum;
	char	   *name;			/* column name */
	char	   *field;			/* Milvus field name; NULL if dropped/unmapped */
	Oid			typid;
	Oid			collation;
	int			data_type;		/* schema.DataType of the field */
	int			element_type;	/* for Array */
	bool		nullable;		/* the field may hold NULL */
	bool		is_primary_key;
} MilvusScanColumn;

/* baserel->fdw_private of a Milvus foreign table during planning. */
typedef struct MilvusRelInfo
{
	Oid			relid;
	Index		relindex;		/* baserel->relid */
	int			ncolumns;		/* = natts; columns[attnum - 1] */
	MilvusScanColumn *columns;
	char	   *collection;
	char	   *pk_field;
	int			pk_type;
	double		row_count;		/* GetCollectionStatistics; planning, ANALYZE */
	MilvusConn *conn;
	char	   *metric_type;	/* the table's metric_type option, or NULL */
	List	   *remote_conds;	/* RestrictInfos Milvus evaluates */
	List	   *local_conds;	/* RestrictInfos evaluated here */
	bool		always_false;	/* a pushed qual is constant false */
	int			scan_method;	/* MILVUS_METHOD_QUERY or _BINLOG */
	char	   *method_reason;	/* why, for EXPLAIN; NULL: no storage, no choice */
} MilvusRelInfo;

extern int	milvus_fetch_size;
extern int	milvus_binlog_min_rows;
extern int	milvus_insert_method;	/* GUC: -1 = the table's option, else MILVUS_INSERT_* */
extern char *milvus_search_params;
extern void milvusGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid);
extern void milvusGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid);
extern ForeignScan *milvusGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel,
										 Oid foreigntableid, ForeignPath *best_path,
										 List *tlist, List *scan_clauses, Plan *outer_plan);
extern void milvusBeginForeignScan(ForeignScanState *node, int eflags);
extern TupleTableSlot *milvusIterateForeignScan(ForeignScanState *node);
extern void milvusReScanForeignScan(ForeignScanState *node);
extern void milvusEndForeignScan(ForeignScanState *node);
struct ExplainState;
extern void milvusExplainForeignScan(ForeignScanState *node, struct ExplainState *es);

/* What a scan asks of Milvus. */
#define MILVUS_SCAN_QUERY	0
#define MILVUS_SCAN_COUNT	1
#define MILVUS_SCAN_SEARCH	2

/* Distance operators, in the order of their Milvus metrics L2, IP, COSINE. */
#define MILVUS_SEARCH_L2		0
#define MILVUS_SEARCH_IP		1
#define MILVUS_SEARCH_COSINE	2

/* fdw_private of an upper rel Milvus can compute (upper.c). */
typedef struct MilvusUpperInfo
{
	RelOptInfo *base;			/* the foreign table's base rel */
	int			mode;			/* MILVUS_SCAN_COUNT or MILVUS_SCAN_SEARCH */
	int			search_kind;	/* MILVUS_SEARCH_*, or -1 */
	char	   *search_field;	/* the vector field searched */
	Expr	   *query_vector;	/* Const or Param */
	Expr	   *distance;		/* the ORDER BY expression Milvus scores */
} MilvusUpperInfo;

extern void milvusGetForeignUpperPaths(PlannerInfo *root, UpperRelationKind stage,
									   RelOptInfo *input_rel, RelOptInfo *output_rel,
									   void *extra);
extern const char *milvus_vector_metric(MilvusRelInfo *info, const char *field);
extern bool milvus_scan_can_delete_directly(ForeignScan *fscan);
extern bool milvusAnalyzeForeignTable(Relation relation, AcquireSampleRowsFunc *func,
									  BlockNumber *totalpages);
extern bool milvusIsForeignScanParallelSafe(PlannerInfo *root, RelOptInfo *rel,
											RangeTblEntry *rte);
extern Size milvusEstimateDSMForeignScan(ForeignScanState *node, ParallelContext *pcxt);
extern void milvusInitializeDSMForeignScan(ForeignScanState *node, ParallelContext *pcxt,
										   void *coordinate);
extern void milvusReInitializeDSMForeignScan(ForeignScanState *node, ParallelContext *pcxt,
											 void *coordinate);
extern void milvusInitializeWorkerForeignScan(ForeignScanState *node, shm_toc *toc,
											  void *coordinate);
extern bool milvus_scan_claim_expression(ForeignScanState *node, MilvusConn **conn,
										 const char **collection, const char **expr);

/* ---- segments.c: the binlog files of a collection ---- */

struct MilvusStorage;

/* One binlog file; log_id first, for sorting. */
typedef struct MilvusBinlogRef
{
	int64		log_id;
	char	   *key;			/* relative to the storage root */
	int64		size;
} MilvusBinlogRef;

typedef struct MilvusSegment
{
	int64		segment_id;
	int64		partition_id;
	int64		num_rows;		/* as Milvus reports it, before deletes */
	bool		level0;			/* delete-only (Milvus 2.4+) */
	int			nfields;
	int			nbatches;
	MilvusBinlogRef **logs;		/* [field][batch], per the plan's field ids */
} MilvusSegment;

typedef struct MilvusBinlogPlan
{
	uint64		snapshot_ts;	/* the Flush's timestamp: what the scan sees */
	int			nsegments;
	MilvusSegment *segments;
	int			nbatches;		/* over all segments */
	int64		total_rows;
	List	   *delta_keys;		/* delta logs of live segments */
	char	   *fallback;		/* why the files cannot be read, or NULL */
} MilvusBinlogPlan;

extern MilvusBinlogPlan *milvus_binlog_plan(MilvusConn *conn, struct MilvusStorage *storage,
											MilvusCollection *coll, bool flush, int nfields,
											const int64 *field_ids);

/* ---- binlog_scan.c: reading a collection from its binlogs ---- */

typedef struct MilvusBinlogScan MilvusBinlogScan;

extern MilvusBinlogScan *milvus_binlog_scan_create(MilvusConn *conn, ForeignServer *server,
												   Oid userid, MilvusRelInfo *info,
												   List *attnums, bool flush,
												   MemoryContext cxt);
extern void milvus_binlog_scan_start(MilvusBinlogScan *bs);
extern bool milvus_binlog_scan_started(MilvusBinlogScan *bs);
extern Size milvus_binlog_scan_dsm_size(MilvusBinlogScan *bs, void **plan);
extern void milvus_binlog_scan_dsm_init(MilvusBinlogScan *bs, void *plan, void *coordinate);
extern void milvus_binlog_scan_dsm_attach(MilvusBinlogScan *bs, void *coordinate);
extern void milvus_binlog_scan_dsm_reinit(void *coordinate);
extern const char *milvus_binlog_scan_fallback(MilvusBinlogScan *bs);
extern bool milvus_binlog_scan_claim_query(MilvusBinlogScan *bs);
extern uint64 milvus_binlog_scan_snapshot(MilvusBinlogScan *bs);
extern int	milvus_binlog_scan_batches(MilvusBinlogScan *bs);
extern void milvus_binlog_scan_rescan(MilvusBinlogScan *bs);
extern bool milvus_binlog_scan_next(MilvusBinlogScan *bs, Datum *values, bool *nulls,
									const int *slot_pos);

/* ---- deparse.c: WHERE clauses as Milvus boolean expressions ---- */

extern bool milvus_is_foreign_expr(PlannerInfo *root, RelOptInfo *baserel, Expr *expr);
extern void milvus_classify_conditions(PlannerInfo *root, RelOptInfo *baserel,
									   List *input_conds, List **remote_conds,
									   List **local_conds);
extern char *milvus_deparse_conditions(List *exprs, MilvusRelInfo *info,
									   ExprContext *econtext);
extern void milvus_append_string_literal(StringInfo buf, const char *s);

/* ---- convert.c ---- */

typedef struct MilvusColumnBuffer MilvusColumnBuffer;
struct Milvus__Proto__Schema__FieldData;

extern MilvusColumnBuffer *milvus_column_buffer_create(MilvusField *field, Oid typid,
													   const char *column);
extern size_t milvus_column_append(MilvusColumnBuffer *cb, Datum value, bool isnull);
extern int	milvus_column_rows(MilvusColumnBuffer *cb);
extern bool milvus_column_fits(int data_type, int element_type, Oid typid);
extern bool milvus_column_readable(int data_type, int element_type, Oid typid);
extern void milvus_check_readable(int data_type, int element_type, Oid typid,
								  const char *column, const char *field);
extern void milvus_column_truncate(MilvusColumnBuffer *cb, int nrows);
extern struct Milvus__Proto__Schema__FieldData *milvus_column_field_data(MilvusColumnBuffer *cb);
extern Datum milvus_field_datum(struct Milvus__Proto__Schema__FieldData *fd, int idx,
								Oid typid, const char *column);
extern int	milvus_field_rows(struct Milvus__Proto__Schema__FieldData *fd);
extern int	milvus_field_values(struct Milvus__Proto__Schema__FieldData *fd);
struct Milvus__Proto__Schema__ScalarField;
extern struct Milvus__Proto__Schema__ScalarField *milvus_unpack_scalar_field(const uint8 *data,
																			 size_t len);

/* ---- modify.c ---- */

extern List *milvusPlanForeignModify(PlannerInfo *root, ModifyTable *plan,
									 Index resultRelation, int subplan_index);
extern void milvusBeginForeignModify(ModifyTableState *mtstate, ResultRelInfo *rinfo,
									 List *fdw_private, int subplan_index, int eflags);
extern TupleTableSlot *milvusExecForeignInsert(EState *estate, ResultRelInfo *rinfo,
											   TupleTableSlot *slot, TupleTableSlot *planSlot);
extern void milvusEndForeignModify(EState *estate, ResultRelInfo *rinfo);
extern void milvusBeginForeignInsert(ModifyTableState *mtstate, ResultRelInfo *rinfo);
extern void milvusEndForeignInsert(EState *estate, ResultRelInfo *rinfo);
extern int	milvusIsForeignRelUpdatable(Relation rel);
extern void milvusAddForeignUpdateTargets(PlannerInfo *root, Index rtindex,
										  RangeTblEntry *target_rte, Relation target_relation);
extern TupleTableSlot *milvusExecForeignUpdate(EState *estate, ResultRelInfo *rinfo,
											   TupleTableSlot *slot, TupleTableSlot *planSlot);
extern TupleTableSlot *milvusExecForeignDelete(EState *estate, ResultRelInfo *rinfo,
											   TupleTableSlot *slot, TupleTableSlot *planSlot);
extern void milvusExecForeignTruncate(List *rels, DropBehavior behavior, bool restart_seqs);
extern void milvus_flush_table(Oid relid);
extern bool milvus_conn_has_pending_writes(MilvusConn *conn);
extern bool milvusPlanDirectModify(PlannerInfo *root, ModifyTable *plan,
								   Index resultRelation, int subplan_index);
extern void milvusBeginDirectModify(ForeignScanState *node, int eflags);
extern TupleTableSlot *milvusIterateDirectModify(ForeignScanState *node);
extern void milvusEndDirectModify(ForeignScanState *node);

/* ---- import.c: bulk import through Milvus's Import (issue #6) ---- */

typedef struct MilvusImport MilvusImport;
struct Milvus__Proto__Schema__FieldData;

extern bool milvus_import_wanted(int table_method);
extern MilvusImport *milvus_import_begin(MilvusConn *conn, ForeignServer *server, Oid userid,
										 const char *relname, const char *collection,
										 const char *partition, int nfields,
										 MilvusField **fields);
extern void milvus_import_append(MilvusImport *imp,
								 struct Milvus__Proto__Schema__FieldData **cols, int nrows);
extern int64 milvus_import_position(MilvusImport *imp);
extern void milvus_import_forget(MilvusImport *imp, int64 position);
extern bool milvus_import_full(MilvusImport *imp);
extern int64 milvus_import_finish(MilvusImport *imp);
extern void milvus_import_close(MilvusImport *imp);

/* ---- import_writer.c: import files (NumPy, JSON rows) in temporary files ---- */

#define MILVUS_IMPORT_NUMPY		0
#define MILVUS_IMPORT_JSON		1

typedef struct MilvusImportWriter MilvusImportWriter;

/* One finished file: write HEAD, then SIZE bytes of temporary file FILE. */
typedef struct MilvusImportFile
{
	char	   *name;			/* "vec.npy", "rows.json" */
	char	   *head;			/* NumPy header, or NULL */
	size_t		head_len;
	int			file;			/* fd.c File */
	int64		size;
} MilvusImportFile;

extern int	milvus_import_format_for(int nfields, MilvusField **fields, const char *relname);
extern MilvusImportWriter *milvus_import_writer_create(int format, int nfields,
													   MilvusField **fields);
extern void milvus_import_writer_append(MilvusImportWriter *w,
										struct Milvus__Proto__Schema__FieldData **cols,
										int nrows);
extern int64 milvus_import_writer_rows(MilvusImportWriter *w);
extern int64 milvus_import_writer_bytes(MilvusImportWriter *w);
extern void milvus_import_writer_truncate(MilvusImportWriter *w, int64 nrows);
extern List *milvus_import_writer_finish(MilvusImportWriter *w);
extern void milvus_import_writer_resume(MilvusImportWriter *w);
extern void milvus_import_writer_close(MilvusImportWriter *w);

#endif							/* MILVUS_FDW_H */
