/*
 * binlog.h
 *		Reader of Milvus "Storage V1" binlog files: insert logs (one field of
 *		one segment per file) and delta (delete) logs.
 *
 * Layout (docs: milvus-storage-format.md, section 1): magic 0xfffabc, a
 * descriptor event (IDs, timestamps, payload data type, extras JSON), then
 * data events whose payload is a complete Parquet file (parquet.h).  Pure C99
 * plus libzstd, with the memory and error conventions of parquet.h: all
 * allocation through PqMem, every failure returned as false with a message
 * in PqError, nothing trusted that could make a read leave the buffer.
 */
#ifndef MILVUS_FDW_BINLOG_H
#define MILVUS_FDW_BINLOG_H

#include "parquet.h"

#define BINLOG_MAGIC				0xfffabc

/* Event type codes. */
#define BINLOG_EVENT_DESCRIPTOR		0
#define BINLOG_EVENT_INSERT			1
#define BINLOG_EVENT_DELETE			2
#define BINLOG_EVENT_TYPE_END		8

/* Milvus schema.DataType codes that binlogs carry. */
#define MILVUS_TYPE_BOOL			1
#define MILVUS_TYPE_INT8			2
#define MILVUS_TYPE_INT16			3
#define MILVUS_TYPE_INT32			4
#define MILVUS_TYPE_INT64			5
#define MILVUS_TYPE_FLOAT			10
#define MILVUS_TYPE_DOUBLE			11
#define MILVUS_TYPE_STRING			20
#define MILVUS_TYPE_VARCHAR			21
#define MILVUS_TYPE_ARRAY			22
#define MILVUS_TYPE_JSON			23
#define MILVUS_TYPE_GEOMETRY		24
#define MILVUS_TYPE_TEXT			25
#define MILVUS_TYPE_TIMESTAMPTZ		26
#define MILVUS_TYPE_BINARY_VECTOR	100
#define MILVUS_TYPE_FLOAT_VECTOR	101
#define MILVUS_TYPE_FLOAT16_VECTOR	102
#define MILVUS_TYPE_BFLOAT16_VECTOR 103
#define MILVUS_TYPE_SPARSE_VECTOR	104
#define MILVUS_TYPE_INT8_VECTOR		105

/* One data event: its timestamps and its Parquet payload (a slice of the file). */
typedef struct BinlogEvent
{
	int			type_code;		/* BINLOG_EVENT_INSERT or _DELETE */
	size_t		offset;			/* of the event header in the file */
	uint64_t	timestamp;		/* event header timestamp */
	uint64_t	start_timestamp;
	uint64_t	end_timestamp;
	const uint8_t *payload;
	size_t		payload_len;
} BinlogEvent;

typedef struct BinlogFile
{
	uint64_t	timestamp;		/* descriptor event header timestamp */
	int64_t		collection_id;
	int64_t		partition_id;
	int64_t		segment_id;
	int64_t		field_id;		/* -1 in delta logs */
	uint64_t	start_timestamp;
	uint64_t	end_timestamp;
	int32_t		payload_data_type;	/* MILVUS_TYPE_* */
	uint8_t		post_header_lengths[BINLOG_EVENT_TYPE_END];
	const char *extras;			/* NUL-terminated copy of the extras JSON */
	size_t		extras_len;
	int64_t		original_size;	/* extras "original_size"; -1 when absent */
	bool		nullable;		/* extras "nullable" */
	bool		multi_field;	/* extras "version":"MULTI_FIELD" */
	int			num_events;
	BinlogEvent *events;		/* the data events, in file order */
} BinlogFile;

/*
 * Deletes of one delta log: count entries, primary keys either int64 or
 * strings (pk_offsets[i] .. pk_offsets[i+1] into pk_data, UTF-8, no NUL
 * terminator), and the delete timestamps.
 */
typedef struct BinlogDeletes
{
	BinlogFile	file;
	int64_t		count;
	bool		pk_is_string;
	int64_t    *int_pks;
	int64_t    *pk_offsets;
	uint8_t    *pk_data;
	uint64_t   *timestamps;
} BinlogDeletes;

/*
 * Parses the magic, descriptor and the event headers.  Refuses encrypted
 * files (extras "edek").  Payloads are not decoded; file->events point into buf.
 */
extern bool binlog_parse(const uint8_t *buf, size_t len, PqMem *mem,
						 BinlogFile *file, PqError *err);

/*
 * Decodes an insert log: column 0 of every data event, concatenated in file
 * order, checked against the descriptor's data type (Int8/Int16 arrive as
 * INT32; vectors as FIXED_LEN_BYTE_ARRAY).  file may be NULL.
 */
extern bool binlog_read_field(const uint8_t *buf, size_t len, PqMem *mem,
							  BinlogFile *file, PqColumn *out, PqError *err);

/*
 * Decodes a delta log in any form Milvus writes: JSON strings
 * {"pk":..,"ts":..,"pkType":5|21}, legacy "<pk>,<ts>" strings, or
 * MULTI_FIELD Parquet with columns pk and ts.
 */
extern bool binlog_read_deletes(const uint8_t *buf, size_t len, PqMem *mem,
								BinlogDeletes *out, PqError *err);

/* The Parquet physical type a Milvus data type is stored as; -1 if unknown. */
extern int	binlog_physical_type(int32_t data_type);

/* Name of a Milvus data type ("FloatVector"), "unknown" if not known. */
extern const char *binlog_type_name(int32_t data_type);

#endif							/* MILVUS_FDW_BINLOG_H */
