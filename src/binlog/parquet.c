/*
 * parquet.c
 *		Decodes whole columns of the Parquet files inside Milvus binlogs.
 *
 * See parquet.h for the supported subset.  Format knowledge comes from the
 * Apache Parquet specification (parquet.thrift, Encodings.md); field ids in
 * the Thrift decoding below are parquet.thrift's.
 *
 * The hot path is a whole-collection scan of float vectors: FIXED_LEN_BYTE_ARRAY
 * columns that Milvus writes dictionary-encoded until the 1 MiB dictionary
 * fills up, then as PLAIN pages.  So dictionary pages are used in place (no
 * copy of fixed-width entries), indices are gathered with fixed-width memcpy,
 * and PLAIN pages of REQUIRED fixed-width columns are decompressed straight
 * into the output array.  Page buffers are reused across pages.
 *
 * Values are copied in file byte order; the callers assume a little-endian
 * host, as PostgreSQL on x86-64 and ARM64 is.
 */
#include "parquet.h"
#include "thrift_compact.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <zstd.h>

#define PQ_MAGIC_LEN		4
/* the bit of Thrift field id N in tc_struct's mask of fields present */
#define FIELD(n)			(UINT32_C(1) << (n))
/* ColumnMetaData: type, codec, num_values, total_compressed_size, data_page_offset */
#define REQUIRED_COLUMN_METADATA (FIELD(1) | FIELD(4) | FIELD(5) | FIELD(7) | FIELD(9))
#define PQ_MAX_SCHEMA_DEPTH 32
/* Widest FIXED_LEN_BYTE_ARRAY accepted: far above Milvus's 32768-dim vectors. */
#define PQ_MAX_TYPE_LENGTH	(1 << 24)

/*
 * A ZSTD block holds at most 128 KiB and needs at least 4 bytes (an RLE
 * block), so a frame cannot expand more than 32768-fold; a page header that
 * claims more is corrupt, and refusing it avoids allocating for it.
 */
#define ZSTD_MAX_EXPANSION	32768
#define ZSTD_BLOCK_MAX		(128 * 1024)

#define PAGE_DATA			0
#define PAGE_INDEX			1
#define PAGE_DICTIONARY		2
#define PAGE_DATA_V2		3

/* ----------------------------------------------------------------
 * Errors and names
 * ---------------------------------------------------------------- */

bool
pq_set_error(PqError *err, const char *fmt,...)
{
	va_list		ap;

	if (err == NULL)
		return false;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return false;
}

bool
pq_prefix_error(PqError *err, const char *fmt,...)
{
	char		prefix[sizeof(err->msg)];
	char		old[sizeof(err->msg)];
	size_t		plen;
	size_t		olen;
	va_list		ap;

	if (err == NULL)
		return false;
	memcpy(old, err->msg, sizeof(old));
	old[sizeof(old) - 1] = '\0';
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	plen = strlen(prefix);
	olen = strlen(old);
	if (plen > sizeof(err->msg) - 1)
		plen = sizeof(err->msg) - 1;
	if (olen > sizeof(err->msg) - 1 - plen)
		olen = sizeof(err->msg) - 1 - plen;
	memcpy(err->msg, prefix, plen);
	memcpy(err->msg + plen, old, olen);
	err->msg[plen + olen] = '\0';
	return false;
}

const char *
pq_type_name(int physical_type)
{
	static const char *const names[] = {
		"BOOLEAN", "INT32", "INT64", "INT96", "FLOAT", "DOUBLE",
		"BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"
	};

	if (physical_type >= 0 && physical_type < (int) (sizeof(names) / sizeof(names[0])))
		return names[physical_type];
	return "unknown";
}

const char *
pq_codec_name(int codec)
{
	static const char *const names[] = {
		"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO", "BROTLI", "LZ4", "ZSTD",
		"LZ4_RAW"
	};

	if (codec >= 0 && codec < (int) (sizeof(names) / sizeof(names[0])))
		return names[codec];
	return "unknown";
}

const char *
pq_encoding_name(int encoding)
{
	static const char *const names[] = {
		"PLAIN", "GROUP_VAR_INT", "PLAIN_DICTIONARY", "RLE", "BIT_PACKED",
		"DELTA_BINARY_PACKED", "DELTA_LENGTH_BYTE_ARRAY", "DELTA_BYTE_ARRAY",
		"RLE_DICTIONARY", "BYTE_STREAM_SPLIT"
	};

	if (encoding >= 0 && encoding < (int) (sizeof(names) / sizeof(names[0])))
		return names[encoding];
	return "unknown";
}

static const char *
page_type_name(int type)
{
	static const char *const names[] = {
		"DATA_PAGE", "INDEX_PAGE", "DICTIONARY_PAGE", "DATA_PAGE_V2"
	};

	if (type >= 0 && type < (int) (sizeof(names) / sizeof(names[0])))
		return names[type];
	return "unknown";
}

/* ----------------------------------------------------------------
 * Memory
 * ---------------------------------------------------------------- */

static size_t
mem_limit(const PqMem *mem)
{
	return mem->max_alloc ? mem->max_alloc : PQ_DEFAULT_MAX_ALLOC;
}

static void *
pq_alloc(PqMem *mem, size_t size, PqError *err, const char *what)
{
	void	   *p;

	if (size > mem_limit(mem))
	{
		pq_set_error(err, "%s needs %zu bytes, more than the allocation limit of %zu",
					 what, size, mem_limit(mem));
		return NULL;
	}
	p = mem->alloc(mem->ctx, size ? size : 1);
	if (p == NULL)
		pq_set_error(err, "out of memory allocating %zu bytes for %s", size, what);
	return p;
}

/* n * size, or an error if that overflows the allocation limit. */
static bool
array_size(PqMem *mem, uint64_t n, size_t size, size_t *bytes, PqError *err,
		   const char *what)
{
	*bytes = 0;
	if (size != 0 && n > mem_limit(mem) / size)
		return pq_set_error(err, "%s of %llu elements of %zu bytes exceeds the allocation limit of %zu",
							what, (unsigned long long) n, size, mem_limit(mem));
	*bytes = (size_t) n * size;
	return true;
}

/*
 * Makes *buf hold at least need bytes, keeping its first keep bytes.  Grows
 * geometrically so that repeated small growth stays linear overall.
 */
static bool
grow_buffer(PqMem *mem, void **buf, size_t *cap, size_t need, size_t keep,
			PqError *err, const char *what)
{
	size_t		newcap;
	void	   *p;

	if (need <= *cap && *buf != NULL)
		return true;
	newcap = *cap * 2;
	if (newcap < need)
		newcap = need;
	if (newcap > mem_limit(mem) && need <= mem_limit(mem))
		newcap = mem_limit(mem);
	p = pq_alloc(mem, newcap, err, what);
	if (p == NULL)
		return false;
	if (keep > 0)
		memcpy(p, *buf, keep);
	if (*buf != NULL && mem->free != NULL)
		mem->free(mem->ctx, *buf);
	*buf = p;
	*cap = newcap;
	return true;
}

static char *
copy_string(PqMem *mem, const uint8_t *s, uint32_t len, PqError *err)
{
	char	   *p = pq_alloc(mem, (size_t) len + 1, err, "a name");

	if (p == NULL)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* ----------------------------------------------------------------
 * Little-endian loads and bit unpacking
 * ---------------------------------------------------------------- */

static inline uint32_t
load_le32(const uint8_t *p)
{
	return (uint32_t) p[0] | ((uint32_t) p[1] << 8) |
		((uint32_t) p[2] << 16) | ((uint32_t) p[3] << 24);
}

static inline uint64_t
load_le64(const uint8_t *p)
{
	return (uint64_t) load_le32(p) | ((uint64_t) load_le32(p + 4) << 32);
}

/*
 * Unpacks n values of bit_width bits (LSB first, as Parquet packs them) from
 * src, which the caller has checked holds at least ceil(n * bit_width / 8)
 * bytes.  Uses 8-byte loads while they stay inside src.
 */
static void
unpack_bits(const uint8_t *src, size_t src_len, int bit_width, uint32_t *out,
			int64_t n)
{
	uint64_t	mask;
	uint64_t	bit = 0;
	int64_t		i = 0;

	if (bit_width == 0)
	{
		memset(out, 0, (size_t) n * sizeof(uint32_t));
		return;
	}
	mask = bit_width == 32 ? 0xffffffffu : (((uint64_t) 1 << bit_width) - 1);
	for (; i < n; i++, bit += bit_width)
	{
		size_t		byte = (size_t) (bit >> 3);

		if (src_len < 8 || byte > src_len - 8)
			break;
		out[i] = (uint32_t) ((load_le64(src + byte) >> (bit & 7)) & mask);
	}
	for (; i < n; i++, bit += bit_width)
	{
		size_t		byte = (size_t) (bit >> 3);
		uint64_t	word = 0;
		int			k;

		/* At most 5 bytes hold a value of up to 32 bits at any bit offset. */
		for (k = 0; k < 5 && byte + k < src_len; k++)
			word |= (uint64_t) src[byte + k] << (8 * k);
		out[i] = (uint32_t) ((word >> (bit & 7)) & mask);
	}
}

static bool
read_uleb(const uint8_t **p, const uint8_t *end, uint64_t *value)
{
	uint64_t	result = 0;
	int			shift = 0;

	while (*p < end)
	{
		uint8_t		b = *(*p)++;

		if (shift == 63 && (b & 0x7e) != 0)
			return false;
		result |= (uint64_t) (b & 0x7f) << shift;
		if ((b & 0x80) == 0)
		{
			*value = result;
			return true;
		}
		shift += 7;
		if (shift > 63)
			return false;
	}
	return false;
}

/*
 * Decodes exactly n values of the RLE / bit-packed hybrid encoding from
 * src[0 .. len) into out; every value must be <= max_value.  A final
 * bit-packed run may be shorter than its declared groups as long as it holds
 * the values still needed.
 */
static bool
rle_decode(const uint8_t *src, size_t len, int bit_width, uint32_t max_value,
		   uint32_t *out, int64_t n, PqError *err, const char *what)
{
	const uint8_t *p = src;
	const uint8_t *end = src + len;
	size_t		value_bytes = (size_t) (bit_width + 7) / 8;
	int64_t		got = 0;

	while (got < n)
	{
		uint64_t	header;
		int64_t		want = n - got;

		if (!read_uleb(&p, end, &header))
			return pq_set_error(err, "%s: truncated or invalid run header at byte %zu of %zu, after %lld of %lld values",
								what, (size_t) (p - src), len,
								(long long) got, (long long) n);
		if (header & 1)
		{
			uint64_t	groups = header >> 1;
			int64_t		take;
			uint64_t	run_bytes;
			size_t		avail = (size_t) (end - p);
			size_t		need_bytes;
			int64_t		i;

			take = groups >= (uint64_t) want / 8 + 1 ? want : (int64_t) (groups * 8);
			if (take > want)
				take = want;
			need_bytes = (size_t) (((uint64_t) take * bit_width + 7) / 8);
			if (need_bytes > avail)
				return pq_set_error(err, "%s: bit-packed run at byte %zu needs %zu bytes, only %zu remain",
									what, (size_t) (p - src), need_bytes, avail);
			run_bytes = groups > avail ? avail : groups * (uint64_t) bit_width;
			if (run_bytes > avail)
				run_bytes = avail;
			unpack_bits(p, (size_t) run_bytes, bit_width, out + got, take);
			for (i = 0; i < take; i++)
			{
				if (out[got + i] > max_value)
					return pq_set_error(err, "%s: value %u at position %lld exceeds the maximum %u",
										what, out[got + i], (long long) (got + i), max_value);
			}
			p += run_bytes;
			got += take;
		}
		else
		{
			uint64_t	count = header >> 1;
			uint32_t	value = 0;
			int64_t		take;
			size_t		k;

			if ((size_t) (end - p) < value_bytes)
				return pq_set_error(err, "%s: RLE run value at byte %zu is truncated",
									what, (size_t) (p - src));
			for (k = 0; k < value_bytes; k++)
				value |= (uint32_t) p[k] << (8 * k);
			p += value_bytes;
			if (value > max_value)
				return pq_set_error(err, "%s: run value %u at byte %zu exceeds the maximum %u",
									what, value, (size_t) (p - src - value_bytes), max_value);
			take = count > (uint64_t) want ? want : (int64_t) count;
			if (value == 0)
				memset(out + got, 0, (size_t) take * sizeof(uint32_t));
			else
			{
				int64_t		i;

				for (i = 0; i < take; i++)
					out[got + i] = value;
			}
			got += take;
		}
	}
	return true;
}

/* ----------------------------------------------------------------
 * Footer
 * ---------------------------------------------------------------- */

static bool
locate_footer(const uint8_t *buf, size_t len, size_t *offset, size_t *flen,
			  PqError *err)
{
	uint32_t	n;

	if (buf == NULL || len < 2 * PQ_MAGIC_LEN + 4)
		return pq_set_error(err, "Parquet file of %zu bytes is too short (at least 12 needed)", len);
	if (memcmp(buf + len - PQ_MAGIC_LEN, "PARE", PQ_MAGIC_LEN) == 0)
		return pq_set_error(err, "Parquet file has an encrypted footer (PARE); encryption is not supported");
	if (memcmp(buf, "PAR1", PQ_MAGIC_LEN) != 0)
		return pq_set_error(err, "Parquet file does not start with PAR1 (bytes %02x %02x %02x %02x)",
							buf[0], buf[1], buf[2], buf[3]);
	if (memcmp(buf + len - PQ_MAGIC_LEN, "PAR1", PQ_MAGIC_LEN) != 0)
		return pq_set_error(err, "Parquet file of %zu bytes does not end with PAR1 (truncated?)", len);
	n = load_le32(buf + len - 8);
	if (n > len - 2 * PQ_MAGIC_LEN - 4)
		return pq_set_error(err, "Parquet footer length %u exceeds the %zu bytes before it",
							n, len - 2 * PQ_MAGIC_LEN - 4);
	*flen = n;
	*offset = len - 8 - n;
	return true;
}

/* FileMetaData, for its num_rows only. */
static bool
footer_num_rows_field(ThriftReader *r, int16_t id, int type, void *arg)
{
	if (id == 3)
		return tc_i64(r, type, (int64_t *) arg);
	return tc_skip(r, type);
}

bool
pq_file_num_rows(const uint8_t *buf, size_t len, int64_t *num_rows, PqError *err)
{
	size_t		offset;
	size_t		flen;
	ThriftReader r;
	uint32_t	seen;

	if (!locate_footer(buf, len, &offset, &flen, err))
		return false;
	tc_init(&r, buf, buf + offset, buf + offset + flen, "Parquet footer", err);
	if (!tc_struct(&r, footer_num_rows_field, num_rows, &seen))
		return false;
	if (!(seen & FIELD(3)))
		return pq_set_error(err, "Parquet footer has no num_rows");
	if (*num_rows < 0)
		return pq_set_error(err, "Parquet footer has a negative num_rows (%lld)",
							(long long) *num_rows);
	return true;
}

/* SchemaElement fields we use. */
typedef struct SchemaElement
{
	int32_t		type;			/* -1 when absent (groups) */
	int32_t		type_length;
	int32_t		repetition;
	int32_t		num_children;
	int32_t		converted_type;
	const uint8_t *name;
	uint32_t	name_len;
} SchemaElement;

static bool
schema_element_field(ThriftReader *r, int16_t id, int type, void *arg)
{
	SchemaElement *e = arg;

	switch (id)
	{
		case 1:
			return tc_i32(r, type, &e->type);
		case 2:
			return tc_i32(r, type, &e->type_length);
		case 3:
			return tc_i32(r, type, &e->repetition);
		case 4:
			return tc_binary(r, type, &e->name, &e->name_len);
		case 5:
			return tc_i32(r, type, &e->num_children);
		case 6:
			return tc_i32(r, type, &e->converted_type);
		default:
			return tc_skip(r, type);
	}
}

static bool
parse_schema_element(ThriftReader *r, SchemaElement *e)
{
	uint32_t	seen;

	e->type = -1;
	e->type_length = 0;
	e->repetition = PQ_REQUIRED;
	e->num_children = 0;
	e->converted_type = -1;
	e->name = NULL;
	e->name_len = 0;
	if (!tc_struct(r, schema_element_field, e, &seen))
		return false;
	if (!(seen & FIELD(4)))
		return pq_set_error(r->err, "Parquet schema element ending at byte %zu has no name",
							tc_offset(r));
	return true;
}

/* ColumnMetaData: the fields that locate and describe a chunk's pages. */
static bool
column_metadata_field(ThriftReader *r, int16_t id, int type, void *arg)
{
	PqChunk    *c = arg;
	int32_t		v32;

	switch (id)
	{
		case 1:
			if (!tc_i32(r, type, &v32))
				return false;
			c->physical_type = v32;
			return true;
		case 4:
			if (!tc_i32(r, type, &v32))
				return false;
			c->codec = v32;
			return true;
		case 5:
			return tc_i64(r, type, &c->num_values);
		case 6:
			return tc_i64(r, type, &c->total_uncompressed_size);
		case 7:
			return tc_i64(r, type, &c->total_compressed_size);
		case 9:
			return tc_i64(r, type, &c->data_page_offset);
		case 11:
			return tc_i64(r, type, &c->dictionary_page_offset);
		default:
			return tc_skip(r, type);
	}
}

/* ColumnChunk: its metadata; chunks in other files or encrypted are refused. */
static bool
column_chunk_field(ThriftReader *r, int16_t id, int type, void *arg)
{
	PqChunk    *c = arg;
	const uint8_t *path;
	uint32_t	path_len;
	uint32_t	seen;

	switch (id)
	{
		case 1:
			if (!tc_binary(r, type, &path, &path_len))
				return false;
			if (path_len > 0)
				return pq_set_error(r->err, "Parquet column chunk at byte %zu lives in another file; not supported",
									tc_offset(r));
			return true;
		case 3:
			if (type != TC_STRUCT)
				return pq_set_error(r->err, "Parquet column chunk: meta_data is not a struct at byte %zu",
									tc_offset(r));
			if (!tc_struct(r, column_metadata_field, c, &seen))
				return false;
			if ((seen & REQUIRED_COLUMN_METADATA) != REQUIRED_COLUMN_METADATA)
				return pq_set_error(r->err, "Parquet column metadata ending at byte %zu lacks a required field",
									tc_offset(r));
			return true;
		case 8:
		case 9:
			return pq_set_error(r->err, "Parquet column chunk at byte %zu is encrypted; not supported",
								tc_offset(r));
		default:
			return tc_skip(r, type);
	}
}

static bool
parse_column_chunk(ThriftReader *r, PqChunk *c)
{
	uint32_t	seen;

	memset(c, 0, sizeof(*c));
	c->dictionary_page_offset = -1;
	if (!tc_struct(r, column_chunk_field, c, &seen))
		return false;
	if (!(seen & FIELD(3)))
		return pq_set_error(r->err, "Parquet column chunk ending at byte %zu has no metadata",
							tc_offset(r));
	return true;
}

/* A row group being read: where its column chunks go. */
typedef struct RowGroupReader
{
	PqMem	   *mem;
	PqRowGroup *rg;
	uint32_t   *nchunks;
} RowGroupReader;

static bool
row_group_field(ThriftReader *r, int16_t id, int type, void *arg)
{
	RowGroupReader *rr = arg;
	int			elem;
	uint32_t	count;
	uint32_t	i;
	size_t		bytes;

	switch (id)
	{
		case 1:
			if (!tc_list(r, type, &elem, &count))
				return false;
			if (elem != TC_STRUCT)
				return pq_set_error(r->err, "Parquet row group columns are not structs (byte %zu)",
									tc_offset(r));
			if (!array_size(rr->mem, count, sizeof(PqChunk), &bytes, r->err, "column chunk list"))
				return false;
			rr->rg->chunks = pq_alloc(rr->mem, bytes, r->err, "column chunks");
			if (rr->rg->chunks == NULL)
				return false;
			for (i = 0; i < count; i++)
			{
				if (!parse_column_chunk(r, &rr->rg->chunks[i]))
					return false;
			}
			*rr->nchunks = count;
			return true;
		case 3:
			return tc_i64(r, type, &rr->rg->num_rows);
		default:
			return tc_skip(r, type);
	}
}

static bool
parse_row_group(ThriftReader *r, PqMem *mem, PqRowGroup *rg, uint32_t *nchunks)
{
	RowGroupReader rr = {mem, rg, nchunks};
	uint32_t	seen;

	rg->chunks = NULL;
	*nchunks = 0;
	if (!tc_struct(r, row_group_field, &rr, &seen))
		return false;
	if ((seen & (FIELD(1) | FIELD(3))) != (FIELD(1) | FIELD(3)))
		return pq_set_error(r->err, "Parquet row group ending at byte %zu lacks columns or num_rows",
							tc_offset(r));
	if (rg->num_rows < 0)
		return pq_set_error(r->err, "Parquet row group ending at byte %zu has negative num_rows",
							tc_offset(r));
	return true;
}

/*
 * Turns the flattened schema tree (depth-first, groups announce their
 * num_children) into the list of leaf columns with their level maxima.
 */
static bool
build_columns(const SchemaElement *elems, uint32_t n, PqMem *mem, PqFile *file,
			  PqError *err)
{
	struct
	{
		int32_t		remaining;
		int			def;
		int			rep;
	}			stack[PQ_MAX_SCHEMA_DEPTH];
	int			depth = 0;
	uint32_t	i;
	size_t		bytes;
	int			leaves = 0;

	if (n == 0)
		return pq_set_error(err, "Parquet schema is empty");
	if (elems[0].num_children <= 0)
		return pq_set_error(err, "Parquet schema root has no children");
	if (!array_size(mem, n, sizeof(PqColumnDesc), &bytes, err, "schema"))
		return false;
	file->columns = pq_alloc(mem, bytes, err, "schema columns");
	if (file->columns == NULL)
		return false;
	stack[0].remaining = elems[0].num_children;
	stack[0].def = 0;
	stack[0].rep = 0;
	for (i = 1; i < n; i++)
	{
		const SchemaElement *e = &elems[i];
		int			def,
					rep;

		while (depth >= 0 && stack[depth].remaining == 0)
			depth--;
		if (depth < 0)
			return pq_set_error(err, "Parquet schema has %u elements, more than its groups declare", n);
		stack[depth].remaining--;
		def = stack[depth].def + (e->repetition != PQ_REQUIRED ? 1 : 0);
		rep = stack[depth].rep + (e->repetition == PQ_REPEATED ? 1 : 0);
		if (e->repetition < PQ_REQUIRED || e->repetition > PQ_REPEATED)
			return pq_set_error(err, "Parquet schema element %u has invalid repetition %d",
								i, e->repetition);
		if (e->num_children > 0)
		{
			if (depth + 1 >= PQ_MAX_SCHEMA_DEPTH)
				return pq_set_error(err, "Parquet schema nests deeper than %d levels",
									PQ_MAX_SCHEMA_DEPTH);
			depth++;
			stack[depth].remaining = e->num_children;
			stack[depth].def = def;
			stack[depth].rep = rep;
		}
		else
		{
			PqColumnDesc *c = &file->columns[leaves++];

			if (e->type < 0)
				return pq_set_error(err, "Parquet schema leaf %u has no physical type", i);
			c->name = copy_string(mem, e->name, e->name_len, err);
			if (c->name == NULL)
				return false;
			c->physical_type = e->type;
			c->type_length = e->type_length;
			c->repetition = e->repetition;
			c->converted_type = e->converted_type;
			c->max_definition_level = def;
			c->max_repetition_level = rep;
		}
	}
	while (depth >= 0 && stack[depth].remaining == 0)
		depth--;
	if (depth >= 0)
		return pq_set_error(err, "Parquet schema ends before all declared children (%u elements)", n);
	if (leaves == 0)
		return pq_set_error(err, "Parquet schema has no leaf columns");
	file->num_columns = leaves;
	return true;
}

/* FileMetaData being read: the schema elements and row groups found. */
typedef struct FooterReader
{
	PqMem	   *mem;
	PqFile	   *file;
	SchemaElement *elems;
	uint32_t	nelems;
	uint32_t   *chunk_counts;
} FooterReader;

static bool
footer_field(ThriftReader *r, int16_t id, int type, void *arg)
{
	FooterReader *fr = arg;
	PqFile	   *file = fr->file;
	PqMem	   *mem = fr->mem;
	int			elem;
	uint32_t	count;
	uint32_t	i;
	size_t		bytes;
	const uint8_t *s;
	uint32_t	slen;

	switch (id)
	{
		case 1:
			return tc_i32(r, type, &file->version);
		case 2:
			if (!tc_list(r, type, &elem, &count))
				return false;
			if (elem != TC_STRUCT)
				return pq_set_error(r->err, "Parquet schema elements are not structs (byte %zu)",
									tc_offset(r));
			if (!array_size(mem, count, sizeof(SchemaElement), &bytes, r->err, "schema"))
				return false;
			fr->elems = pq_alloc(mem, bytes, r->err, "schema elements");
			if (fr->elems == NULL)
				return false;
			for (i = 0; i < count; i++)
			{
				if (!parse_schema_element(r, &fr->elems[i]))
					return false;
			}
			fr->nelems = count;
			return true;
		case 3:
			return tc_i64(r, type, &file->num_rows);
		case 4:
			if (!tc_list(r, type, &elem, &count))
				return false;
			if (elem != TC_STRUCT)
				return pq_set_error(r->err, "Parquet row groups are not structs (byte %zu)",
									tc_offset(r));
			if (count > INT32_MAX)
				return pq_set_error(r->err, "Parquet footer has too many row groups");
			if (!array_size(mem, count, sizeof(PqRowGroup) + sizeof(uint32_t), &bytes, r->err, "row group list"))
				return false;
			file->row_groups = pq_alloc(mem, count * sizeof(PqRowGroup), r->err, "row groups");
			fr->chunk_counts = pq_alloc(mem, count * sizeof(uint32_t), r->err, "row groups");
			if (file->row_groups == NULL || fr->chunk_counts == NULL)
				return false;
			for (i = 0; i < count; i++)
			{
				if (!parse_row_group(r, mem, &file->row_groups[i], &fr->chunk_counts[i]))
					return false;
			}
			file->num_row_groups = (int) count;
			return true;
		case 6:
			if (!tc_binary(r, type, &s, &slen))
				return false;
			file->created_by = copy_string(mem, s, slen, r->err);
			return file->created_by != NULL;
		case 8:
			return pq_set_error(r->err, "Parquet file is encrypted (encryption_algorithm at byte %zu); not supported",
								tc_offset(r));
		default:
			return tc_skip(r, type);
	}
}

bool
pq_open(const uint8_t *buf, size_t len, PqMem *mem, PqFile *file, PqError *err)
{
	size_t		offset;
	size_t		flen;
	ThriftReader r;
	FooterReader fr = {mem, file, NULL, 0, NULL};
	uint32_t	seen;
	uint32_t   *chunk_counts;
	int			g;
	int64_t		rows = 0;

	memset(file, 0, sizeof(*file));
	if (!locate_footer(buf, len, &offset, &flen, err))
		return false;
	file->buf = buf;
	file->len = len;
	file->footer_offset = offset;
	file->footer_len = flen;
	file->created_by = "";
	tc_init(&r, buf, buf + offset, buf + offset + flen, "Parquet footer", err);
	if (!tc_struct(&r, footer_field, &fr, &seen))
		return false;
	if ((seen & (FIELD(2) | FIELD(3) | FIELD(4))) != (FIELD(2) | FIELD(3) | FIELD(4)))
		return pq_set_error(err, "Parquet footer lacks %s",
							!(seen & FIELD(2)) ? "a schema" : !(seen & FIELD(3)) ? "num_rows" : "row groups");
	chunk_counts = fr.chunk_counts;
	if (!build_columns(fr.elems, fr.nelems, mem, file, err))
		return false;
	for (g = 0; g < file->num_row_groups; g++)
	{
		if (chunk_counts[g] != (uint32_t) file->num_columns)
			return pq_set_error(err, "Parquet row group %d has %u column chunks, the schema has %d leaf columns",
								g, chunk_counts[g], file->num_columns);
		if (file->row_groups[g].num_rows > INT64_MAX - rows)
			return pq_set_error(err, "Parquet row counts overflow");
		rows += file->row_groups[g].num_rows;
	}
	if (rows != file->num_rows)
		return pq_set_error(err, "Parquet footer says %lld rows, its row groups hold %lld",
							(long long) file->num_rows, (long long) rows);
	return true;
}

int
pq_find_column(const PqFile *file, const char *name)
{
	int			i;

	for (i = 0; i < file->num_columns; i++)
	{
		if (strcmp(file->columns[i].name, name) == 0)
			return i;
	}
	return -1;
}

/* ----------------------------------------------------------------
 * Page headers
 * ---------------------------------------------------------------- */

typedef struct PageHeader
{
	int32_t		type;
	int32_t		uncompressed_size;
	int32_t		compressed_size;
	bool		have_v1,
				have_v2,
				have_dict;
	/* DataPageHeader and DataPageHeaderV2 */
	int32_t		num_values;
	int32_t		encoding;
	int32_t		def_encoding;
	int32_t		num_nulls;
	int32_t		num_rows;
	int32_t		def_len;
	int32_t		rep_len;
	bool		is_compressed;
	/* DictionaryPageHeader */
	int32_t		dict_num_values;
	int32_t		dict_encoding;
} PageHeader;

/* One of the three sub-headers of a page header, and which it is. */
typedef struct SubHeaderReader
{
	int			kind;			/* 5 = DataPageHeader, 7 = DictionaryPageHeader, 8 = V2 */
	PageHeader *h;
} SubHeaderReader;

static bool
sub_header_field(ThriftReader *r, int16_t id, int type, void *arg)
{
	SubHeaderReader *sr = arg;
	PageHeader *h = sr->h;
	int32_t    *target;

	if (sr->kind == 5)
		target = id == 1 ? &h->num_values : id == 2 ? &h->encoding :
			id == 3 ? &h->def_encoding : NULL;
	else if (sr->kind == 7)
		target = id == 1 ? &h->dict_num_values : id == 2 ? &h->dict_encoding : NULL;
	else if (id == 7)
		return tc_bool(r, type, &h->is_compressed);
	else
		target = id == 1 ? &h->num_values : id == 2 ? &h->num_nulls :
			id == 3 ? &h->num_rows : id == 4 ? &h->encoding :
			id == 5 ? &h->def_len : id == 6 ? &h->rep_len : NULL;
	if (target != NULL)
		return tc_i32(r, type, target);
	return tc_skip(r, type);
}

static bool
page_header_field(ThriftReader *r, int16_t id, int type, void *arg)
{
	PageHeader *h = arg;
	SubHeaderReader sr = {id, h};
	uint32_t	seen;
	uint32_t	required;

	switch (id)
	{
		case 1:
			return tc_i32(r, type, &h->type);
		case 2:
			return tc_i32(r, type, &h->uncompressed_size);
		case 3:
			return tc_i32(r, type, &h->compressed_size);
		case 5:
		case 7:
		case 8:
			if (type != TC_STRUCT)
				return pq_set_error(r->err, "Parquet page header field %d is not a struct (byte %zu)",
									id, tc_offset(r));
			if (!tc_struct(r, sub_header_field, &sr, &seen))
				return false;
			/* num_values and encoding everywhere; nulls, rows and level lengths in V2 */
			required = id == 8 ? FIELD(1) | FIELD(2) | FIELD(3) | FIELD(4) | FIELD(5) | FIELD(6) :
				FIELD(1) | FIELD(2);
			if ((seen & required) != required)
				return pq_set_error(r->err, "Parquet page header ending at byte %zu lacks a required field",
									tc_offset(r));
			if (id == 5)
				h->have_v1 = true;
			else if (id == 7)
				h->have_dict = true;
			else
				h->have_v2 = true;
			return true;
		default:
			return tc_skip(r, type);
	}
}

static bool
parse_page_header(ThriftReader *r, PageHeader *h)
{
	uint32_t	seen;

	memset(h, 0, sizeof(*h));
	h->is_compressed = true;
	h->def_encoding = PQ_ENC_RLE;
	if (!tc_struct(r, page_header_field, h, &seen))
		return false;
	if ((seen & (FIELD(1) | FIELD(2) | FIELD(3))) != (FIELD(1) | FIELD(2) | FIELD(3)))
		return pq_set_error(r->err, "Parquet page header ending at byte %zu lacks type or sizes",
							tc_offset(r));
	if (h->uncompressed_size < 0 || h->compressed_size < 0)
		return pq_set_error(r->err, "Parquet page header ending at byte %zu has a negative size",
							tc_offset(r));
	return true;
}

/* ----------------------------------------------------------------
 * Column decoding
 * ---------------------------------------------------------------- */

typedef struct Decoder
{
	const PqFile *file;
	const PqColumnDesc *desc;
	PqMem	   *mem;
	PqError    *err;
	PqColumn   *out;
	int			width;			/* bytes per value in out->values; 0 = BYTE_ARRAY */
	int64_t		total_rows;
	int64_t		row;			/* rows decoded so far */
	int64_t		row_end;		/* end of the current row group */
	int			codec;			/* of the current chunk */
	size_t		data_len;		/* BYTE_ARRAY bytes used in out->data */
	size_t		data_cap;

	/* Buffers reused across pages and chunks. */
	void	   *page_buf;
	size_t		page_cap;
	void	   *dict_buf;
	size_t		dict_cap;
	void	   *indices;		/* uint32_t dictionary indices / booleans */
	size_t		indices_cap;
	void	   *levels;			/* uint32_t definition levels */
	size_t		levels_cap;

	/* Dictionary of the current chunk. */
	bool		have_dict;
	uint32_t	dict_count;
	const uint8_t *dict_values; /* fixed width: dict_count * width bytes */
	void	   *dict_ptrs;		/* BYTE_ARRAY: const uint8_t *[dict_count] */
	size_t		dict_ptrs_cap;
	void	   *dict_lens;		/* BYTE_ARRAY: uint32_t[dict_count] */
	size_t		dict_lens_cap;
	void	   *dict_bools;		/* BOOLEAN: one byte per entry */
	size_t		dict_bools_cap;
} Decoder;

/*
 * Produces the uncompressed bytes of a page section: in place when the chunk
 * is uncompressed, else ZSTD-decompressed into dst (when given: exactly
 * expect_len bytes there) or into *buf, grown as needed.
 */
static bool
page_bytes(Decoder *d, bool compressed, const uint8_t *src, size_t src_len,
		   size_t expect_len, uint8_t *dst, void **buf, size_t *cap,
		   const uint8_t **content)
{
	unsigned long long frame_size;
	size_t		got;

	if (!compressed)
	{
		if (src_len != expect_len)
			return pq_set_error(d->err, "uncompressed page section has %zu bytes, the header says %zu",
								src_len, expect_len);
		*content = src;
		return true;
	}
	if (d->codec != PQ_CODEC_ZSTD)
		return pq_set_error(d->err, "codec %s (%d) is not supported (only UNCOMPRESSED and ZSTD)",
							pq_codec_name(d->codec), d->codec);
	if ((uint64_t) expect_len > (uint64_t) src_len * ZSTD_MAX_EXPANSION + ZSTD_BLOCK_MAX)
		return pq_set_error(d->err, "page claims %zu bytes from %zu compressed bytes, beyond what ZSTD can expand to",
							expect_len, src_len);
	frame_size = ZSTD_getFrameContentSize(src, src_len);
	if (frame_size == ZSTD_CONTENTSIZE_ERROR)
		return pq_set_error(d->err, "page is not a ZSTD frame (first bytes %02x %02x %02x %02x)",
							src_len > 0 ? src[0] : 0, src_len > 1 ? src[1] : 0,
							src_len > 2 ? src[2] : 0, src_len > 3 ? src[3] : 0);
	if (frame_size != ZSTD_CONTENTSIZE_UNKNOWN && frame_size > expect_len)
		return pq_set_error(d->err, "ZSTD frame holds %llu bytes, the page header says %zu",
							frame_size, expect_len);
	if (dst == NULL)
	{
		if (!grow_buffer(d->mem, buf, cap, expect_len, 0, d->err, "a decompressed page"))
			return false;
		dst = *buf;
	}
	got = ZSTD_decompress(dst, expect_len, src, src_len);
	if (ZSTD_isError(got))
		return pq_set_error(d->err, "ZSTD decompression of %zu bytes failed: %s",
							src_len, ZSTD_getErrorName(got));
	if (got != expect_len)
		return pq_set_error(d->err, "ZSTD page decompressed to %zu bytes, the header says %zu",
							got, expect_len);
	*content = dst;
	return true;
}

static bool
scratch_u32(Decoder *d, void **buf, size_t *cap, int64_t n, const char *what)
{
	size_t		bytes;

	if (!array_size(d->mem, (uint64_t) n, sizeof(uint32_t), &bytes, d->err, what))
		return false;
	return grow_buffer(d->mem, buf, cap, bytes, 0, d->err, what);
}

static bool
decode_dictionary(Decoder *d, const PageHeader *h, const uint8_t *content,
				  size_t len)
{
	int64_t		n = h->dict_num_values;

	if (h->dict_encoding != PQ_ENC_PLAIN && h->dict_encoding != PQ_ENC_PLAIN_DICTIONARY)
		return pq_set_error(d->err, "dictionary page encoding %s (%d) is not supported",
							pq_encoding_name(h->dict_encoding), h->dict_encoding);
	if (n < 0)
		return pq_set_error(d->err, "dictionary page has a negative value count");
	if (d->desc->physical_type == PQ_BYTE_ARRAY)
	{
		const uint8_t **ptrs;
		uint32_t   *lens;
		size_t		pos = 0;
		int64_t		i;
		size_t		bytes;

		if ((uint64_t) n > len / 4)
			return pq_set_error(d->err, "dictionary page of %zu bytes cannot hold %lld strings",
								len, (long long) n);
		if (!array_size(d->mem, (uint64_t) n, sizeof(uint8_t *), &bytes, d->err, "dictionary") ||
			!grow_buffer(d->mem, &d->dict_ptrs, &d->dict_ptrs_cap, bytes, 0, d->err, "dictionary") ||
			!scratch_u32(d, &d->dict_lens, &d->dict_lens_cap, n, "dictionary"))
			return false;
		ptrs = d->dict_ptrs;
		lens = d->dict_lens;
		for (i = 0; i < n; i++)
		{
			uint32_t	vlen;

			if (len - pos < 4)
				return pq_set_error(d->err, "dictionary entry %lld: length truncated at byte %zu of %zu",
									(long long) i, pos, len);
			vlen = load_le32(content + pos);
			pos += 4;
			if (vlen > len - pos)
				return pq_set_error(d->err, "dictionary entry %lld: length %u runs past the page end (byte %zu of %zu)",
									(long long) i, vlen, pos, len);
			ptrs[i] = content + pos;
			lens[i] = vlen;
			pos += vlen;
		}
	}
	else if (d->desc->physical_type == PQ_BOOLEAN)
	{
		uint8_t    *bools;
		int64_t		i;

		if ((uint64_t) n > (uint64_t) len * 8)
			return pq_set_error(d->err, "dictionary page of %zu bytes cannot hold %lld booleans",
								len, (long long) n);
		if (!grow_buffer(d->mem, &d->dict_bools, &d->dict_bools_cap, (size_t) n, 0, d->err, "dictionary"))
			return false;
		bools = d->dict_bools;
		for (i = 0; i < n; i++)
			bools[i] = (content[i >> 3] >> (i & 7)) & 1;
		d->dict_values = bools;
	}
	else
	{
		if ((uint64_t) n > len / (size_t) d->width)
			return pq_set_error(d->err, "dictionary page of %zu bytes cannot hold %lld values of %d bytes",
								len, (long long) n, d->width);
		d->dict_values = content;
	}
	if (n > UINT32_MAX)
		return pq_set_error(d->err, "dictionary has too many entries");
	d->dict_count = (uint32_t) n;
	d->have_dict = true;
	return true;
}

/* Copies dictionary entries idx[0..n) to dst, tightly for common widths. */
static void
gather_fixed(uint8_t *dst, const uint8_t *dict, int width, const uint32_t *idx,
			 int64_t n)
{
	int64_t		i;

	switch (width)
	{
		case 1:
			for (i = 0; i < n; i++)
				dst[i] = dict[idx[i]];
			break;
		case 4:
			for (i = 0; i < n; i++)
				memcpy(dst + 4 * i, dict + 4 * (size_t) idx[i], 4);
			break;
		case 8:
			for (i = 0; i < n; i++)
				memcpy(dst + 8 * i, dict + 8 * (size_t) idx[i], 8);
			break;
		default:
			for (i = 0; i < n; i++)
				memcpy(dst + (size_t) width * i, dict + (size_t) width * idx[i], (size_t) width);
			break;
	}
}

/*
 * The page's present values were decoded densely to the front of its n slots;
 * move each to its row and zero the null slots, back to front so that no
 * value is overwritten before it has moved.
 */
static void
spread_fixed(uint8_t *base, int width, const uint32_t *defs, int64_t n,
			 int64_t present)
{
	int64_t		src = present - 1;
	int64_t		i;

	for (i = n - 1; i >= 0; i--)
	{
		if (defs[i])
		{
			if (src != i)
				memcpy(base + (size_t) width * i, base + (size_t) width * src, (size_t) width);
			src--;
		}
		else
			memset(base + (size_t) width * i, 0, (size_t) width);
	}
}

static bool
ensure_data(Decoder *d, size_t extra)
{
	if (extra > SIZE_MAX - d->data_len)
		return pq_set_error(d->err, "string data too large");
	return grow_buffer(d->mem, (void **) &d->out->data, &d->data_cap,
					   d->data_len + extra, d->data_len, d->err, "string data");
}

/* Appends BYTE_ARRAY rows; defs NULL = no nulls. */
static bool
byte_array_plain(Decoder *d, const uint32_t *defs, int64_t n, int64_t present,
				 const uint8_t *vals, size_t vlen)
{
	int64_t    *offsets = d->out->offsets + d->row;
	size_t		pos = 0;
	int64_t		i;
	int64_t		v = 0;

	/* The page's values cannot hold more string bytes than the page itself. */
	if (!ensure_data(d, vlen))
		return false;
	for (i = 0; i < n; i++)
	{
		uint32_t	len;

		if (defs != NULL && !defs[i])
		{
			offsets[i + 1] = offsets[i];
			continue;
		}
		if (vlen - pos < 4)
			return pq_set_error(d->err, "PLAIN value %lld of %lld: length truncated at byte %zu of %zu",
								(long long) v, (long long) present, pos, vlen);
		len = load_le32(vals + pos);
		pos += 4;
		if (len > vlen - pos)
			return pq_set_error(d->err, "PLAIN value %lld of %lld: length %u runs past the page end (byte %zu of %zu)",
								(long long) v, (long long) present, len, pos, vlen);
		memcpy(d->out->data + d->data_len, vals + pos, len);
		d->data_len += len;
		pos += len;
		offsets[i + 1] = (int64_t) d->data_len;
		v++;
	}
	return true;
}

static bool
byte_array_dict(Decoder *d, const uint32_t *defs, int64_t n, const uint32_t *idx,
				int64_t present)
{
	const uint8_t *const *ptrs = d->dict_ptrs;
	const uint32_t *lens = d->dict_lens;
	int64_t    *offsets = d->out->offsets + d->row;
	uint64_t	total = 0;
	int64_t		i;
	int64_t		v = 0;
	uint8_t    *dst;

	for (i = 0; i < present; i++)
		total += lens[idx[i]];
	if (total > SIZE_MAX)
		return pq_set_error(d->err, "string data too large");
	if (!ensure_data(d, (size_t) total))
		return false;
	dst = d->out->data;
	for (i = 0; i < n; i++)
	{
		uint32_t	k;

		if (defs != NULL && !defs[i])
		{
			offsets[i + 1] = offsets[i];
			continue;
		}
		k = idx[v++];
		memcpy(dst + d->data_len, ptrs[k], lens[k]);
		d->data_len += lens[k];
		offsets[i + 1] = (int64_t) d->data_len;
	}
	return true;
}

/*
 * Decodes the values of one data page (n rows, present of them non-null;
 * defs NULL when all are present) into the output at d->row.
 */
static bool
decode_values(Decoder *d, int encoding, int64_t n, const uint32_t *defs,
			  int64_t present, const uint8_t *vals, size_t vlen)
{
	int			width = d->width;
	int			type = d->desc->physical_type;
	uint8_t    *base = d->out->values ? d->out->values + (size_t) width * d->row : NULL;

	if (present == 0)
	{
		/* All null: there are no values to decode, whatever the encoding. */
		if (type == PQ_BYTE_ARRAY)
		{
			int64_t		i;

			for (i = 0; i < n; i++)
				d->out->offsets[d->row + i + 1] = d->out->offsets[d->row + i];
		}
		else
			memset(base, 0, (size_t) n * (size_t) width);
		return true;
	}
	switch (encoding)
	{
		case PQ_ENC_PLAIN:
			if (type == PQ_BYTE_ARRAY)
				return byte_array_plain(d, defs, n, present, vals, vlen);
			if (type == PQ_BOOLEAN)
			{
				int64_t		i;

				if ((uint64_t) (present + 7) / 8 > vlen)
					return pq_set_error(d->err, "PLAIN booleans need %lld bytes, the page has %zu",
										(long long) (present + 7) / 8, vlen);
				for (i = 0; i < present; i++)
					base[i] = (vals[i >> 3] >> (i & 7)) & 1;
			}
			else
			{
				if ((uint64_t) present > vlen / (size_t) width)
					return pq_set_error(d->err, "PLAIN values need %llu bytes, the page has %zu",
										(unsigned long long) present * (uint64_t) width, vlen);
				memcpy(base, vals, (size_t) present * (size_t) width);
			}
			break;

		case PQ_ENC_PLAIN_DICTIONARY:
		case PQ_ENC_RLE_DICTIONARY:
			{
				int			bit_width;

				if (!d->have_dict)
					return pq_set_error(d->err, "%s page without a dictionary page",
										pq_encoding_name(encoding));
				if (d->dict_count == 0)
					return pq_set_error(d->err, "dictionary indices into an empty dictionary");
				if (vlen < 1)
					return pq_set_error(d->err, "dictionary-encoded page has no bit width byte");
				bit_width = vals[0];
				if (bit_width > 32)
					return pq_set_error(d->err, "dictionary index bit width %d exceeds 32", bit_width);
				if (!scratch_u32(d, &d->indices, &d->indices_cap, present, "dictionary indices"))
					return false;
				if (!rle_decode(vals + 1, vlen - 1, bit_width, d->dict_count - 1,
								d->indices, present, d->err, "dictionary indices"))
					return false;
				if (type == PQ_BYTE_ARRAY)
					return byte_array_dict(d, defs, n, d->indices, present);
				gather_fixed(base, d->dict_values, width, d->indices, present);
				break;
			}

		case PQ_ENC_RLE:
			{
				uint32_t	rle_len;
				const uint32_t *bits;
				int64_t		i;

				if (type != PQ_BOOLEAN)
					return pq_set_error(d->err, "RLE encoding of %s values is not supported (only BOOLEAN)",
										pq_type_name(type));
				if (vlen < 4)
					return pq_set_error(d->err, "RLE booleans lack their 4-byte length");
				rle_len = load_le32(vals);
				if (rle_len > vlen - 4)
					return pq_set_error(d->err, "RLE boolean length %u exceeds the %zu bytes left",
										rle_len, vlen - 4);
				if (!scratch_u32(d, &d->indices, &d->indices_cap, present, "booleans") ||
					!rle_decode(vals + 4, rle_len, 1, 1, d->indices, present, d->err, "RLE booleans"))
					return false;
				bits = d->indices;
				for (i = 0; i < present; i++)
					base[i] = (uint8_t) bits[i];
				break;
			}

		default:
			return pq_set_error(d->err, "value encoding %s (%d) is not supported",
								pq_encoding_name(encoding), encoding);
	}
	if (defs != NULL && present < n)
		spread_fixed(base, width, defs, n, present);
	return true;
}

/*
 * Definition levels of an OPTIONAL column: fills d->levels with n levels,
 * records validity and returns how many rows are present.  Levels are an
 * RLE hybrid of bit width 1 in src[0 .. len).
 */
static bool
decode_levels(Decoder *d, int64_t n, const uint8_t *src, size_t len,
			  int64_t *present)
{
	const uint32_t *defs;
	int64_t		count = 0;
	int64_t		i;

	if (!scratch_u32(d, &d->levels, &d->levels_cap, n, "definition levels") ||
		!rle_decode(src, len, 1, 1, d->levels, n, d->err, "definition levels"))
		return false;
	defs = d->levels;
	for (i = 0; i < n; i++)
		count += defs[i];
	if (count < n && d->out->valid == NULL)
	{
		/* First null of the column: rows so far were all present. */
		d->out->valid = pq_alloc(d->mem, (size_t) d->total_rows, d->err, "validity");
		if (d->out->valid == NULL)
			return false;
		memset(d->out->valid, 1, (size_t) d->total_rows);
	}
	if (d->out->valid != NULL)
	{
		for (i = 0; i < n; i++)
			d->out->valid[d->row + i] = (uint8_t) defs[i];
	}
	d->out->null_count += n - count;
	*present = count;
	return true;
}

/* PLAIN values of a REQUIRED fixed-width column can go straight to the output. */
static bool
direct_plain(const Decoder *d, int encoding, int64_t n, size_t values_len)
{
	return encoding == PQ_ENC_PLAIN &&
		d->desc->max_definition_level == 0 &&
		d->desc->physical_type != PQ_BOOLEAN &&
		d->width > 0 &&
		(uint64_t) n * (uint64_t) d->width == values_len;
}

static bool
decode_data_page_v1(Decoder *d, const PageHeader *h, const uint8_t *body)
{
	int64_t		n = h->num_values;
	const uint8_t *content;
	size_t		len = (size_t) h->uncompressed_size;
	const uint32_t *defs = NULL;
	int64_t		present = n;
	bool		compressed = d->codec != PQ_CODEC_UNCOMPRESSED;

	if (!h->have_v1)
		return pq_set_error(d->err, "DATA_PAGE without a data page header");
	if (n < 0 || n > d->row_end - d->row)
		return pq_set_error(d->err, "page holds %lld values, the row group has %lld left",
							(long long) n, (long long) (d->row_end - d->row));
	if (compressed && direct_plain(d, h->encoding, n, len))
	{
		if (!page_bytes(d, true, body, (size_t) h->compressed_size, len,
						d->out->values + (size_t) d->width * d->row, NULL, NULL, &content))
			return false;
		d->row += n;
		return true;
	}
	if (!page_bytes(d, compressed, body, (size_t) h->compressed_size, len,
					NULL, &d->page_buf, &d->page_cap, &content))
		return false;
	if (d->desc->max_definition_level > 0)
	{
		uint32_t	levels_len;

		if (h->def_encoding != PQ_ENC_RLE)
			return pq_set_error(d->err, "definition level encoding %s (%d) is not supported (only RLE)",
								pq_encoding_name(h->def_encoding), h->def_encoding);
		if (len < 4)
			return pq_set_error(d->err, "page of %zu bytes lacks the definition levels' length", len);
		levels_len = load_le32(content);
		if (levels_len > len - 4)
			return pq_set_error(d->err, "definition levels of %u bytes exceed the page's %zu",
								levels_len, len - 4);
		if (!decode_levels(d, n, content + 4, levels_len, &present))
			return false;
		if (present < n)
			defs = d->levels;
		content += 4 + levels_len;
		len -= 4 + (size_t) levels_len;
	}
	else if (d->out->valid != NULL)
		memset(d->out->valid + d->row, 1, (size_t) n);
	if (!decode_values(d, h->encoding, n, defs, present, content, len))
		return false;
	d->row += n;
	return true;
}

static bool
decode_data_page_v2(Decoder *d, const PageHeader *h, const uint8_t *body)
{
	int64_t		n = h->num_values;
	size_t		levels_len;
	const uint8_t *content;
	size_t		len;
	size_t		src_len;
	const uint32_t *defs = NULL;
	int64_t		present = n;
	bool		compressed = h->is_compressed && d->codec != PQ_CODEC_UNCOMPRESSED;

	if (!h->have_v2)
		return pq_set_error(d->err, "DATA_PAGE_V2 without a V2 data page header");
	if (n < 0 || n > d->row_end - d->row)
		return pq_set_error(d->err, "page holds %lld values, the row group has %lld left",
							(long long) n, (long long) (d->row_end - d->row));
	if (h->def_len < 0 || h->rep_len < 0)
		return pq_set_error(d->err, "negative level lengths in a V2 page header");
	levels_len = (size_t) h->def_len + (size_t) h->rep_len;
	if (levels_len > (size_t) h->compressed_size || levels_len > (size_t) h->uncompressed_size)
		return pq_set_error(d->err, "V2 page levels (%zu bytes) exceed the page sizes (%d, %d)",
							levels_len, h->compressed_size, h->uncompressed_size);
	len = (size_t) h->uncompressed_size - levels_len;
	src_len = (size_t) h->compressed_size - levels_len;
	if (compressed && d->desc->max_definition_level == 0 &&
		direct_plain(d, h->encoding, n, len))
	{
		if (!page_bytes(d, true, body + levels_len, src_len, len,
						d->out->values + (size_t) d->width * d->row, NULL, NULL, &content))
			return false;
		d->row += n;
		return true;
	}
	if (!compressed)
		len = src_len;			/* values stored as is */
	if (!page_bytes(d, compressed, body + levels_len, src_len, len,
					NULL, &d->page_buf, &d->page_cap, &content))
		return false;
	if (d->desc->max_definition_level > 0)
	{
		if (!decode_levels(d, n, body + h->rep_len, (size_t) h->def_len, &present))
			return false;
		if (present < n)
			defs = d->levels;
	}
	else if (d->out->valid != NULL)
		memset(d->out->valid + d->row, 1, (size_t) n);
	if (!decode_values(d, h->encoding, n, defs, present, content, len))
		return false;
	d->row += n;
	return true;
}

/* Decodes one column chunk (the column within one row group). */
static bool
decode_chunk(Decoder *d, int rg_index, const PqChunk *c, int64_t rg_rows)
{
	const PqFile *file = d->file;
	int64_t		start = c->data_page_offset;
	int64_t		end;
	size_t		pos;
	int			page_no = 0;
	bool		seen_data = false;

	if (c->physical_type != d->desc->physical_type)
		return pq_set_error(d->err, "chunk type %s differs from the schema's %s",
							pq_type_name(c->physical_type), pq_type_name(d->desc->physical_type));
	if (c->codec != PQ_CODEC_UNCOMPRESSED && c->codec != PQ_CODEC_ZSTD)
		return pq_set_error(d->err, "codec %s (%d) is not supported (only UNCOMPRESSED and ZSTD)",
							pq_codec_name(c->codec), c->codec);
	if (c->num_values != rg_rows)
		return pq_set_error(d->err, "chunk has %lld values for %lld rows",
							(long long) c->num_values, (long long) rg_rows);
	/* Offset 0 is the magic, so some writers' 0 means "no dictionary page". */
	if (c->dictionary_page_offset > 0 && c->dictionary_page_offset < start)
		start = c->dictionary_page_offset;
	if (start < PQ_MAGIC_LEN || (uint64_t) start > file->footer_offset ||
		c->total_compressed_size < 0 ||
		(uint64_t) c->total_compressed_size > file->footer_offset - (uint64_t) start)
		return pq_set_error(d->err, "chunk bytes %lld..+%lld lie outside the data area (4..%zu)",
							(long long) start, (long long) c->total_compressed_size,
							file->footer_offset);
	end = start + c->total_compressed_size;
	d->codec = c->codec;
	d->have_dict = false;
	d->dict_count = 0;
	d->row_end = d->row + rg_rows;
	pos = (size_t) start;

	while (d->row < d->row_end)
	{
		ThriftReader r;
		PageHeader	h;
		const uint8_t *body;
		bool		ok = true;

		if (pos >= (size_t) end)
			return pq_set_error(d->err, "chunk ends (byte %lld) after %lld of %lld values",
								(long long) end, (long long) (d->row - (d->row_end - rg_rows)),
								(long long) rg_rows);
		tc_init(&r, file->buf, file->buf + pos, file->buf + end, "page header", d->err);
		if (!parse_page_header(&r, &h))
			return pq_prefix_error(d->err, "page %d: ", page_no);
		body = r.pos;
		if ((size_t) h.compressed_size > (size_t) (file->buf + end - body))
			return pq_set_error(d->err, "page %d at byte %zu: body of %d bytes runs past the chunk end (byte %lld)",
								page_no, pos, h.compressed_size, (long long) end);
		switch (h.type)
		{
			case PAGE_DICTIONARY:
				{
					const uint8_t *content;

					if (!h.have_dict)
						ok = pq_set_error(d->err, "DICTIONARY_PAGE without a dictionary page header");
					else if (d->have_dict || seen_data)
						ok = pq_set_error(d->err, "unexpected second or late dictionary page");
					else
						ok = page_bytes(d, d->codec != PQ_CODEC_UNCOMPRESSED, body,
										(size_t) h.compressed_size, (size_t) h.uncompressed_size,
										NULL, &d->dict_buf, &d->dict_cap, &content) &&
							decode_dictionary(d, &h, content, (size_t) h.uncompressed_size);
					break;
				}
			case PAGE_DATA:
				seen_data = true;
				ok = decode_data_page_v1(d, &h, body);
				break;
			case PAGE_DATA_V2:
				seen_data = true;
				ok = decode_data_page_v2(d, &h, body);
				break;
			case PAGE_INDEX:
				break;
			default:
				ok = pq_set_error(d->err, "unknown page type %d", h.type);
				break;
		}
		if (!ok)
			return pq_prefix_error(d->err, "page %d (%s) at byte %zu: ",
								   page_no, page_type_name(h.type), pos);
		pos = (size_t) (body - file->buf) + (size_t) h.compressed_size;
		page_no++;
	}
	(void) rg_index;
	return true;
}

bool
pq_read(const PqFile *file, int column, PqMem *mem, PqColumn *out, PqError *err)
{
	Decoder		d;
	const PqColumnDesc *desc;
	int64_t		total = 0;
	int			g;
	size_t		bytes;

	memset(out, 0, sizeof(*out));
	if (column < 0 || column >= file->num_columns)
		return pq_set_error(err, "column %d does not exist (the file has %d)",
							column, file->num_columns);
	desc = &file->columns[column];
	memset(&d, 0, sizeof(d));
	d.file = file;
	d.desc = desc;
	d.mem = mem;
	d.err = err;
	d.out = out;
	out->name = desc->name;
	out->physical_type = desc->physical_type;

	if (desc->max_repetition_level > 0 || desc->max_definition_level > 1)
		return pq_set_error(err, "column %d (\"%s\") is nested (definition level %d, repetition level %d); only flat columns are supported",
							column, desc->name, desc->max_definition_level,
							desc->max_repetition_level);
	switch (desc->physical_type)
	{
		case PQ_BOOLEAN:
			d.width = 1;
			break;
		case PQ_INT32:
		case PQ_FLOAT:
			d.width = 4;
			break;
		case PQ_INT64:
		case PQ_DOUBLE:
			d.width = 8;
			break;
		case PQ_BYTE_ARRAY:
			d.width = 0;
			break;
		case PQ_FIXED_LEN_BYTE_ARRAY:
			if (desc->type_length <= 0 || desc->type_length > PQ_MAX_TYPE_LENGTH)
				return pq_set_error(err, "column %d (\"%s\") has invalid FIXED_LEN_BYTE_ARRAY length %d",
									column, desc->name, desc->type_length);
			d.width = desc->type_length;
			out->type_length = desc->type_length;
			break;
		default:
			return pq_set_error(err, "column %d (\"%s\") has unsupported physical type %s (%d)",
								column, desc->name, pq_type_name(desc->physical_type),
								desc->physical_type);
	}
	out->value_width = d.width;

	for (g = 0; g < file->num_row_groups; g++)
		total += file->row_groups[g].num_rows;	/* pq_open checked the sum */
	d.total_rows = total;
	if (d.width > 0)
	{
		if (!array_size(mem, (uint64_t) total, (size_t) d.width, &bytes, err, "column values"))
			return pq_prefix_error(err, "column %d (\"%s\"): ", column, desc->name);
		out->values = pq_alloc(mem, bytes, err, "column values");
		if (out->values == NULL)
			return pq_prefix_error(err, "column %d (\"%s\"): ", column, desc->name);
	}
	else
	{
		size_t		hint = 0;

		if (!array_size(mem, (uint64_t) total + 1, sizeof(int64_t), &bytes, err, "string offsets"))
			return pq_prefix_error(err, "column %d (\"%s\"): ", column, desc->name);
		out->offsets = pq_alloc(mem, bytes, err, "string offsets");
		if (out->offsets == NULL)
			return pq_prefix_error(err, "column %d (\"%s\"): ", column, desc->name);
		out->offsets[0] = 0;
		/* Start the string buffer at the claimed size, bounded by the input. */
		for (g = 0; g < file->num_row_groups; g++)
		{
			int64_t		claim = file->row_groups[g].chunks[column].total_uncompressed_size;

			if (claim > 0 && (uint64_t) claim < file->len * 4 - hint)
				hint += (size_t) claim;
		}
		if (!grow_buffer(mem, (void **) &out->data, &d.data_cap, hint, 0, err, "string data"))
			return pq_prefix_error(err, "column %d (\"%s\"): ", column, desc->name);
	}

	for (g = 0; g < file->num_row_groups; g++)
	{
		const PqRowGroup *rg = &file->row_groups[g];

		if (rg->num_rows == 0)
			continue;
		if (!decode_chunk(&d, g, &rg->chunks[column], rg->num_rows))
			return pq_prefix_error(err, "column %d (\"%s\"), row group %d: ",
								   column, desc->name, g);
	}
	out->num_rows = d.row;
	return true;
}

bool
pq_read_column(const uint8_t *buf, size_t len, int column, PqMem *mem,
			   PqColumn *out, PqError *err)
{
	PqFile		file;

	memset(out, 0, sizeof(*out));
	if (!pq_open(buf, len, mem, &file, err))
		return false;
	return pq_read(&file, column, mem, out, err);
}
