/*
 * thrift_compact.h
 *		Bounds-checked reader of the Thrift compact protocol, the encoding of
 *		Parquet's footer (FileMetaData) and page headers.
 *
 * Internal to src/binlog: parquet.c decodes the few structs it needs field by
 * field with these primitives and skips everything else.  Every primitive
 * checks the remaining input, so a corrupt footer ends in an error naming the
 * byte offset, never in an over-read; nesting is limited so that a malicious
 * input cannot exhaust the stack.
 */
#ifndef MILVUS_FDW_THRIFT_COMPACT_H
#define MILVUS_FDW_THRIFT_COMPACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parquet.h"

/* Wire types of the compact protocol (low nibble of a field header). */
#define TC_STOP			0
#define TC_BOOL_TRUE	1
#define TC_BOOL_FALSE	2
#define TC_BYTE			3
#define TC_I16			4
#define TC_I32			5
#define TC_I64			6
#define TC_DOUBLE		7
#define TC_BINARY		8
#define TC_LIST			9
#define TC_SET			10
#define TC_MAP			11
#define TC_STRUCT		12

/* Deeper nesting than this is refused; Parquet's structs nest about 5 deep. */
#define TC_MAX_DEPTH	64

typedef struct ThriftReader
{
	const uint8_t *pos;			/* next byte to read */
	const uint8_t *end;			/* one past the last readable byte */
	const uint8_t *origin;		/* byte that error offsets are counted from */
	int			depth;			/* current struct/container nesting */
	const char *what;			/* what is being decoded, for messages */
	PqError    *err;
} ThriftReader;

extern void tc_init(ThriftReader *r, const uint8_t *origin, const uint8_t *start,
					const uint8_t *end, const char *what, PqError *err);
extern size_t tc_offset(const ThriftReader *r);

/*
 * Reads the next field header of the current struct.  *type is TC_STOP at the
 * end of the struct; *last_id carries the previous field id of this struct
 * (start it at 0) because ids are delta-encoded.
 */
extern bool tc_field(ThriftReader *r, int16_t *last_id, int *type, int16_t *id);

/* Typed reads of a field whose header said *type; a wrong type is an error. */
extern bool tc_i32(ThriftReader *r, int type, int32_t *value);
extern bool tc_i64(ThriftReader *r, int type, int64_t *value);
extern bool tc_bool(ThriftReader *r, int type, bool *value);
extern bool tc_binary(ThriftReader *r, int type, const uint8_t **data, uint32_t *len);
extern bool tc_list(ThriftReader *r, int type, int *elem_type, uint32_t *count);

/* Element reads inside a list (no field header). */
extern bool tc_elem_i32(ThriftReader *r, int elem_type, int32_t *value);

/* Struct nesting bookkeeping around a nested struct's fields. */
extern bool tc_enter(ThriftReader *r);
extern void tc_leave(ThriftReader *r);

/* Skips one value of the given wire type, recursively. */
extern bool tc_skip(ThriftReader *r, int type);

/*
 * Reads one struct: calls READ with the id and wire type of each field (READ
 * reads or skips the value; false is an error) up to the stop field.  A field
 * id below 32 that comes twice is an error; *seen (if not NULL) gets bit N
 * set for each field N below 32 that was present.
 */
typedef bool (*TcFieldReader) (ThriftReader *r, int16_t id, int type, void *arg);
extern bool tc_struct(ThriftReader *r, TcFieldReader read, void *arg, uint32_t *seen);

#endif							/* MILVUS_FDW_THRIFT_COMPACT_H */
