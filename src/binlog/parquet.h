/*
 * parquet.h
 *		Reader for the subset of Parquet that Milvus binlog payloads use.
 *
 * Milvus stores every field of a segment as a one-column Parquet file inside
 * a binlog event (docs: milvus-storage-format.md, section 2).  This reader
 * decodes a whole column of such a file into flat arrays:
 *
 *	- footer: Thrift-compact FileMetaData between "PAR1 ... <len> PAR1";
 *	- any number of row groups; flat schemas only (REQUIRED or OPTIONAL
 *	  leaves, max definition level 1, no repetition);
 *	- pages DATA_PAGE, DATA_PAGE_V2, DICTIONARY_PAGE (INDEX_PAGE skipped);
 *	- codecs UNCOMPRESSED and ZSTD;
 *	- encodings PLAIN, PLAIN_DICTIONARY, RLE_DICTIONARY, RLE (definition
 *	  levels and booleans), with dictionary-to-PLAIN fallback in a chunk;
 *	- physical types BOOLEAN, INT32, INT64, FLOAT, DOUBLE, BYTE_ARRAY,
 *	  FIXED_LEN_BYTE_ARRAY.
 *
 * Pure C99 plus libzstd, so that it runs both in a PostgreSQL backend and in
 * standalone tools and fuzzers.  All memory comes from the caller's PqMem and
 * is never freed by the reader (unless PqMem.free is given, for buffers it
 * outgrows); callers release everything at once (memory context reset,
 * arena).  No function aborts, exits or jumps: each returns false and fills
 * PqError on corrupt, truncated or unsupported input, naming the offset,
 * row group, page and column.  Every length read from the input is bounded
 * by the remaining input, and no allocation exceeds PqMem.max_alloc.
 */
#ifndef MILVUS_FDW_PARQUET_H
#define MILVUS_FDW_PARQUET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Physical types (parquet.thrift Type). */
#define PQ_BOOLEAN				0
#define PQ_INT32				1
#define PQ_INT64				2
#define PQ_INT96				3	/* not supported */
#define PQ_FLOAT				4
#define PQ_DOUBLE				5
#define PQ_BYTE_ARRAY			6
#define PQ_FIXED_LEN_BYTE_ARRAY 7

/* Repetition (FieldRepetitionType). */
#define PQ_REQUIRED				0
#define PQ_OPTIONAL				1
#define PQ_REPEATED				2

/* Compression codecs (CompressionCodec). */
#define PQ_CODEC_UNCOMPRESSED	0
#define PQ_CODEC_SNAPPY			1
#define PQ_CODEC_GZIP			2
#define PQ_CODEC_LZO			3
#define PQ_CODEC_BROTLI			4
#define PQ_CODEC_LZ4			5
#define PQ_CODEC_ZSTD			6
#define PQ_CODEC_LZ4_RAW		7

/* Encodings (Encoding). */
#define PQ_ENC_PLAIN			0
#define PQ_ENC_PLAIN_DICTIONARY 2
#define PQ_ENC_RLE				3
#define PQ_ENC_BIT_PACKED		4
#define PQ_ENC_DELTA_BINARY_PACKED 5
#define PQ_ENC_DELTA_LENGTH_BYTE_ARRAY 6
#define PQ_ENC_DELTA_BYTE_ARRAY 7
#define PQ_ENC_RLE_DICTIONARY	8
#define PQ_ENC_BYTE_STREAM_SPLIT 9

/* Largest single allocation when PqMem.max_alloc is 0: palloc's limit. */
#define PQ_DEFAULT_MAX_ALLOC	((size_t) 0x3fffffff)

/*
 * Caller-supplied allocator.  alloc returns NULL on failure (or does not
 * return at all, like palloc; the reader holds no other resources, so that is
 * safe).  free may be NULL; when set, the reader returns buffers it has
 * outgrown.  max_alloc caps each single request (0 = PQ_DEFAULT_MAX_ALLOC);
 * a larger need is reported as an error before anything is allocated.
 */
typedef struct PqMem
{
	void	   *(*alloc) (void *ctx, size_t size);
	void		(*free) (void *ctx, void *ptr);
	void	   *ctx;
	size_t		max_alloc;
} PqMem;

/* What went wrong, in words, with byte offset / row group / page / column. */
typedef struct PqError
{
	char		msg[256];
} PqError;

/* One leaf column of the schema. */
typedef struct PqColumnDesc
{
	const char *name;			/* NUL-terminated copy of the leaf's name */
	int			physical_type;	/* PQ_BOOLEAN ... */
	int			type_length;	/* FIXED_LEN_BYTE_ARRAY width, else 0 */
	int			repetition;		/* PQ_REQUIRED / PQ_OPTIONAL / PQ_REPEATED */
	int			converted_type; /* ConvertedType, -1 when absent */
	int			max_definition_level;
	int			max_repetition_level;
} PqColumnDesc;

/* One column chunk (ColumnMetaData) of a row group. */
typedef struct PqChunk
{
	int			physical_type;
	int			codec;			/* PQ_CODEC_* */
	int64_t		num_values;
	int64_t		total_compressed_size;
	int64_t		total_uncompressed_size;
	int64_t		data_page_offset;
	int64_t		dictionary_page_offset; /* -1 when absent */
} PqChunk;

typedef struct PqRowGroup
{
	int64_t		num_rows;
	PqChunk    *chunks;			/* one per leaf column */
} PqRowGroup;

/* A parsed footer; points into the caller's buffer, which must outlive it. */
typedef struct PqFile
{
	const uint8_t *buf;
	size_t		len;
	int32_t		version;
	int64_t		num_rows;
	const char *created_by;		/* NUL-terminated, "" when absent */
	int			num_columns;
	PqColumnDesc *columns;
	int			num_row_groups;
	PqRowGroup *row_groups;
	size_t		footer_offset;	/* where FileMetaData starts */
	size_t		footer_len;
} PqFile;

/*
 * A whole decoded column.  Fixed-width types (all but BYTE_ARRAY) are in
 * values, value_width bytes per row, little-endian as in the file (BOOLEAN: one
 * byte 0/1 per row); BYTE_ARRAY row i is data[offsets[i] .. offsets[i+1]).
 * valid is NULL when the column has no nulls, else one byte per row, 1 =
 * present; null rows have zeroed values or an empty byte range.
 */
typedef struct PqColumn
{
	const char *name;
	int			physical_type;
	int			type_length;	/* FIXED_LEN_BYTE_ARRAY width, else 0 */
	int			value_width;	/* bytes per row in values; 0 for BYTE_ARRAY */
	int64_t		num_rows;
	int64_t		null_count;
	uint8_t    *valid;
	uint8_t    *values;
	int64_t    *offsets;
	uint8_t    *data;
} PqColumn;

/* Parses the footer and schema. */
extern bool pq_open(const uint8_t *buf, size_t len, PqMem *mem,
					PqFile *file, PqError *err);

/* Decodes leaf column "column" (0-based) over all row groups. */
extern bool pq_read(const PqFile *file, int column, PqMem *mem,
					PqColumn *out, PqError *err);

/* pq_open + pq_read in one call. */
extern bool pq_read_column(const uint8_t *buf, size_t len, int column,
						   PqMem *mem, PqColumn *out, PqError *err);

/* Row count from the footer alone, without allocating. */
extern bool pq_file_num_rows(const uint8_t *buf, size_t len,
							 int64_t *num_rows, PqError *err);

/* Index of the leaf column with this name, or -1. */
extern int	pq_find_column(const PqFile *file, const char *name);

/* Names for messages ("ZSTD", "RLE_DICTIONARY"); "unknown" when out of range. */
extern const char *pq_type_name(int physical_type);
extern const char *pq_codec_name(int codec);
extern const char *pq_encoding_name(int encoding);

/* Sets err->msg (printf-style); always returns false, for "return pq_set_error(...)". */
extern bool pq_set_error(PqError *err, const char *fmt,...)
#ifdef __GNUC__
			__attribute__((format(printf, 2, 3)))
#endif
			;

/* Puts a printf-style prefix in front of the message already in err. */
extern bool pq_prefix_error(PqError *err, const char *fmt,...)
#ifdef __GNUC__
			__attribute__((format(printf, 2, 3)))
#endif
			;

#endif							/* MILVUS_FDW_PARQUET_H */
