/*
 * binlog.c
 *		Reads Milvus Storage V1 binlog files: the event framing, the descriptor
 *		and its extras JSON, insert-log columns and delta-log deletes.
 *
 * Byte layout, from milvus-storage-format.md section 1 (all little-endian):
 *
 *	magic int32 0xfffabc
 *	event header (17): timestamp u64 | type i8 | event_length i32 | next_position i32
 *	descriptor data: collection, partition, segment, field i64 | start, end ts u64 |
 *		payload data type i32 | post-header lengths u8[8] | extra_length i32 | extras
 *	data event: header | start ts u64 | end ts u64 | Parquet payload
 *
 * Events are walked by event_length; next_position is ignored because newer
 * writers leave it at -1.  Milvus always writes exactly one data event per
 * file, but several are accepted and concatenated in file order.
 */
#include "binlog.h"

#include <string.h>

#define EVENT_HEADER_LEN	17
#define DESCRIPTOR_FIXED_LEN 52
#define DATA_FIXED_LEN		16
#define JSON_MAX_DEPTH		64

/* Milvus primary-key data types as delta-log JSON spells them (pkType). */
#define PK_TYPE_INT64		5
#define PK_TYPE_VARCHAR		21

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t) p[0] | ((uint32_t) p[1] << 8) |
		((uint32_t) p[2] << 16) | ((uint32_t) p[3] << 24);
}

static uint64_t
le64(const uint8_t *p)
{
	return (uint64_t) le32(p) | ((uint64_t) le32(p + 4) << 32);
}

static void *
binlog_alloc(PqMem *mem, size_t size, PqError *err, const char *what)
{
	size_t		limit = mem->max_alloc ? mem->max_alloc : PQ_DEFAULT_MAX_ALLOC;
	void	   *p;

	if (size > limit)
	{
		pq_set_error(err, "%s needs %zu bytes, more than the allocation limit of %zu",
					 what, size, limit);
		return NULL;
	}
	p = mem->alloc(mem->ctx, size ? size : 1);
	if (p == NULL)
		pq_set_error(err, "out of memory allocating %zu bytes for %s", size, what);
	return p;
}

/* Allocates n elements of size bytes, refusing products beyond the limit. */
static void *
binlog_array(PqMem *mem, uint64_t n, size_t size, PqError *err, const char *what)
{
	size_t		limit = mem->max_alloc ? mem->max_alloc : PQ_DEFAULT_MAX_ALLOC;

	if (size != 0 && n > limit / size)
	{
		pq_set_error(err, "%s of %llu elements exceeds the allocation limit of %zu",
					 what, (unsigned long long) n, limit);
		return NULL;
	}
	return binlog_alloc(mem, (size_t) n * size, err, what);
}

int
binlog_physical_type(int32_t data_type)
{
	switch (data_type)
	{
		case MILVUS_TYPE_BOOL:
			return PQ_BOOLEAN;
		case MILVUS_TYPE_INT8:
		case MILVUS_TYPE_INT16:
		case MILVUS_TYPE_INT32:
			return PQ_INT32;
		case MILVUS_TYPE_INT64:
		case MILVUS_TYPE_TIMESTAMPTZ:
			return PQ_INT64;
		case MILVUS_TYPE_FLOAT:
			return PQ_FLOAT;
		case MILVUS_TYPE_DOUBLE:
			return PQ_DOUBLE;
		case MILVUS_TYPE_STRING:
		case MILVUS_TYPE_VARCHAR:
		case MILVUS_TYPE_TEXT:
		case MILVUS_TYPE_ARRAY:
		case MILVUS_TYPE_JSON:
		case MILVUS_TYPE_GEOMETRY:
		case MILVUS_TYPE_SPARSE_VECTOR:
			return PQ_BYTE_ARRAY;
		case MILVUS_TYPE_BINARY_VECTOR:
		case MILVUS_TYPE_FLOAT_VECTOR:
		case MILVUS_TYPE_FLOAT16_VECTOR:
		case MILVUS_TYPE_BFLOAT16_VECTOR:
		case MILVUS_TYPE_INT8_VECTOR:
			return PQ_FIXED_LEN_BYTE_ARRAY;
		default:
			return -1;
	}
}

const char *
binlog_type_name(int32_t data_type)
{
	switch (data_type)
	{
		case MILVUS_TYPE_BOOL:
			return "Bool";
		case MILVUS_TYPE_INT8:
			return "Int8";
		case MILVUS_TYPE_INT16:
			return "Int16";
		case MILVUS_TYPE_INT32:
			return "Int32";
		case MILVUS_TYPE_INT64:
			return "Int64";
		case MILVUS_TYPE_FLOAT:
			return "Float";
		case MILVUS_TYPE_DOUBLE:
			return "Double";
		case MILVUS_TYPE_STRING:
			return "String";
		case MILVUS_TYPE_VARCHAR:
			return "VarChar";
		case MILVUS_TYPE_ARRAY:
			return "Array";
		case MILVUS_TYPE_JSON:
			return "JSON";
		case MILVUS_TYPE_GEOMETRY:
			return "Geometry";
		case MILVUS_TYPE_TEXT:
			return "Text";
		case MILVUS_TYPE_TIMESTAMPTZ:
			return "Timestamptz";
		case MILVUS_TYPE_BINARY_VECTOR:
			return "BinaryVector";
		case MILVUS_TYPE_FLOAT_VECTOR:
			return "FloatVector";
		case MILVUS_TYPE_FLOAT16_VECTOR:
			return "Float16Vector";
		case MILVUS_TYPE_BFLOAT16_VECTOR:
			return "BFloat16Vector";
		case MILVUS_TYPE_SPARSE_VECTOR:
			return "SparseFloatVector";
		case MILVUS_TYPE_INT8_VECTOR:
			return "Int8Vector";
		default:
			return "unknown";
	}
}

/* ----------------------------------------------------------------
 * Minimal JSON: exactly what the extras and delta-log entries need
 * ---------------------------------------------------------------- */

typedef struct Json
{
	const uint8_t *start;
	const uint8_t *p;
	const uint8_t *end;
	int			depth;
	const char *what;
	PqError    *err;
} Json;

static void
json_init(Json *j, const uint8_t *s, size_t len, const char *what, PqError *err)
{
	j->start = s;
	j->p = s;
	j->end = s + len;
	j->depth = 0;
	j->what = what;
	j->err = err;
}

static bool
json_fail(Json *j, const char *problem)
{
	return pq_set_error(j->err, "%s: %s at byte %zu", j->what, problem,
						(size_t) (j->p - j->start));
}

static void
json_ws(Json *j)
{
	while (j->p < j->end &&
		   (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

/* Consumes c after optional whitespace. */
static bool
json_take(Json *j, uint8_t c)
{
	json_ws(j);
	if (j->p < j->end && *j->p == c)
	{
		j->p++;
		return true;
	}
	return false;
}

static int
hex_digit(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reads the XXXX of a \uXXXX escape (j->p just past the 'u'). */
static bool
json_hex4(Json *j, uint32_t *cp)
{
	uint32_t	v = 0;
	int			i;

	if (j->end - j->p < 4)
		return json_fail(j, "truncated \\u escape");
	for (i = 0; i < 4; i++)
	{
		int			h = hex_digit(j->p[i]);

		if (h < 0)
			return json_fail(j, "invalid hex digit in \\u escape");
		v = (v << 4) | (uint32_t) h;
	}
	j->p += 4;
	*cp = v;
	return true;
}

/* Appends code point cp as UTF-8 at dst[*n] when it fits in cap. */
static void
put_utf8(uint8_t *dst, size_t cap, size_t *n, uint32_t cp)
{
	uint8_t		b[4];
	size_t		len,
				i;

	if (cp < 0x80)
	{
		b[0] = (uint8_t) cp;
		len = 1;
	}
	else if (cp < 0x800)
	{
		b[0] = (uint8_t) (0xc0 | (cp >> 6));
		b[1] = (uint8_t) (0x80 | (cp & 0x3f));
		len = 2;
	}
	else if (cp < 0x10000)
	{
		b[0] = (uint8_t) (0xe0 | (cp >> 12));
		b[1] = (uint8_t) (0x80 | ((cp >> 6) & 0x3f));
		b[2] = (uint8_t) (0x80 | (cp & 0x3f));
		len = 3;
	}
	else
	{
		b[0] = (uint8_t) (0xf0 | (cp >> 18));
		b[1] = (uint8_t) (0x80 | ((cp >> 12) & 0x3f));
		b[2] = (uint8_t) (0x80 | ((cp >> 6) & 0x3f));
		b[3] = (uint8_t) (0x80 | (cp & 0x3f));
		len = 4;
	}
	for (i = 0; i < len; i++, (*n)++)
	{
		if (dst != NULL && *n < cap)
			dst[*n] = b[i];
	}
}

/*
 * Decodes a JSON string (j->p at its opening quote) into dst, writing at most
 * cap bytes; *len gets the full decoded length.  The decoded form is never
 * longer than the raw one, so a cap of the raw length always suffices.
 * Escapes as Go's encoding/json reads them: a \u surrogate pair becomes one
 * 4-byte UTF-8 sequence, a lone surrogate U+FFFD.  Raw bytes pass unchanged.
 */
static bool
json_string(Json *j, uint8_t *dst, size_t cap, size_t *len)
{
	size_t		n = 0;

	json_ws(j);
	if (j->p >= j->end || *j->p != '"')
		return json_fail(j, "expected a string");
	j->p++;
	for (;;)
	{
		uint8_t		c;

		if (j->p >= j->end)
			return json_fail(j, "unterminated string");
		c = *j->p++;
		if (c == '"')
			break;
		if (c < 0x20)
		{
			j->p--;
			return json_fail(j, "control character in string");
		}
		if (c == '\\')
		{
			uint32_t	cp;

			if (j->p >= j->end)
				return json_fail(j, "unterminated escape");
			c = *j->p++;
			switch (c)
			{
				case '"':
				case '\\':
				case '/':
					break;
				case 'b':
					c = '\b';
					break;
				case 'f':
					c = '\f';
					break;
				case 'n':
					c = '\n';
					break;
				case 'r':
					c = '\r';
					break;
				case 't':
					c = '\t';
					break;
				case 'u':
					if (!json_hex4(j, &cp))
						return false;
					if (cp >= 0xd800 && cp <= 0xdbff)
					{
						uint32_t	low;

						/* A high surrogate counts only with a low one after it. */
						if (j->end - j->p >= 6 && j->p[0] == '\\' && j->p[1] == 'u')
						{
							const uint8_t *save = j->p;

							j->p += 2;
							if (!json_hex4(j, &low))
								return false;
							if (low >= 0xdc00 && low <= 0xdfff)
								cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
							else
							{
								j->p = save;
								cp = 0xfffd;
							}
						}
						else
							cp = 0xfffd;
					}
					else if (cp >= 0xdc00 && cp <= 0xdfff)
						cp = 0xfffd;
					put_utf8(dst, cap, &n, cp);
					continue;
				default:
					j->p--;
					return json_fail(j, "invalid escape in string");
			}
		}
		if (dst != NULL && n < cap)
			dst[n] = c;
		n++;
	}
	*len = n;
	return true;
}

static bool
json_literal(Json *j, const char *word)
{
	size_t		n = strlen(word);

	if ((size_t) (j->end - j->p) < n || memcmp(j->p, word, n) != 0)
		return json_fail(j, "invalid literal");
	j->p += n;
	return true;
}

/* Skips a JSON number per the grammar -?int frac? exp?. */
static bool
json_skip_number(Json *j)
{
	const uint8_t *digits;

	if (j->p < j->end && *j->p == '-')
		j->p++;
	digits = j->p;
	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
	if (j->p == digits)
		return json_fail(j, "invalid number");
	if (j->p < j->end && *j->p == '.')
	{
		j->p++;
		digits = j->p;
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
		if (j->p == digits)
			return json_fail(j, "invalid number fraction");
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E'))
	{
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		digits = j->p;
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
		if (j->p == digits)
			return json_fail(j, "invalid number exponent");
	}
	return true;
}

static bool
json_skip_value(Json *j)
{
	bool		ok = true;

	json_ws(j);
	if (j->p >= j->end)
		return json_fail(j, "expected a value");
	switch (*j->p)
	{
		case '"':
			{
				size_t		len;

				return json_string(j, NULL, 0, &len);
			}
		case '{':
		case '[':
			{
				uint8_t		close = *j->p == '{' ? '}' : ']';
				bool		object = *j->p == '{';

				if (++j->depth > JSON_MAX_DEPTH)
					return json_fail(j, "nesting too deep");
				j->p++;
				if (!json_take(j, close))
				{
					do
					{
						if (object)
						{
							size_t		len;

							if (!json_string(j, NULL, 0, &len))
								return false;
							if (!json_take(j, ':'))
								return json_fail(j, "expected ':'");
						}
						if (!json_skip_value(j))
							return false;
					} while (json_take(j, ','));
					if (!json_take(j, close))
						return json_fail(j, object ? "expected ',' or '}'" : "expected ',' or ']'");
				}
				j->depth--;
				return true;
			}
		case 't':
			return json_literal(j, "true");
		case 'f':
			return json_literal(j, "false");
		case 'n':
			return json_literal(j, "null");
		default:
			ok = json_skip_number(j);
			return ok;
	}
}

/*
 * Reads an integer literal (no fraction or exponent, as Go requires when
 * decoding into an integer): int64 when allow_negative, else uint64 in
 * *magnitude.
 */
static bool
json_integer(Json *j, bool allow_negative, int64_t *value, uint64_t *magnitude)
{
	bool		negative = false;
	uint64_t	v = 0;
	const uint8_t *digits;
	uint64_t	limit;

	json_ws(j);
	if (j->p < j->end && *j->p == '-')
	{
		if (!allow_negative)
			return json_fail(j, "negative value where an unsigned one is expected");
		negative = true;
		j->p++;
	}
	digits = j->p;
	limit = !allow_negative ? UINT64_MAX :
		negative ? (uint64_t) INT64_MAX + 1 : (uint64_t) INT64_MAX;
	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
	{
		unsigned	d = (unsigned) (*j->p - '0');

		if (v > (limit - d) / 10)
			return json_fail(j, "integer out of range");
		v = v * 10 + d;
		j->p++;
	}
	if (j->p == digits)
		return json_fail(j, "expected an integer");
	if (j->p - digits > 1 && *digits == '0')
		return json_fail(j, "integer with a leading zero");
	if (j->p < j->end && (*j->p == '.' || *j->p == 'e' || *j->p == 'E'))
		return json_fail(j, "expected an integer, found a fraction or exponent");
	if (magnitude != NULL)
		*magnitude = v;
	if (value != NULL)
		*value = negative ? (int64_t) (0 - v) : (int64_t) v;
	return true;
}

/* Reads an object key into key[cap]; returns its decoded length in *len. */
static bool
json_key(Json *j, char *key, size_t cap, size_t *len)
{
	if (!json_string(j, (uint8_t *) key, cap, len))
		return false;
	if (!json_take(j, ':'))
		return json_fail(j, "expected ':' after a key");
	return true;
}

static bool
key_is(const char *key, size_t len, size_t cap, const char *name)
{
	size_t		n = strlen(name);

	return len == n && n <= cap && memcmp(key, name, n) == 0;
}

/* ----------------------------------------------------------------
 * Descriptor extras
 * ---------------------------------------------------------------- */

/* Parses a decimal original_size from a JSON string or number. */
static bool
parse_original_size(Json *j, int64_t *size)
{
	json_ws(j);
	if (j->p < j->end && *j->p == '"')
	{
		char		digits[32];
		size_t		len;
		Json		inner;

		if (!json_string(j, (uint8_t *) digits, sizeof(digits), &len))
			return false;
		if (len >= sizeof(digits))
			return json_fail(j, "original_size is too long");
		json_init(&inner, (const uint8_t *) digits, len, "extras original_size", j->err);
		if (!json_integer(&inner, true, size, NULL))
			return false;
		if (inner.p != inner.end)
			return json_fail(&inner, "original_size is not a decimal number");
		return true;
	}
	return json_integer(j, true, size, NULL);
}

static bool
parse_extras_object(Json *j, BinlogFile *file)
{
	json_ws(j);
	if (j->p == j->end)
		return true;			/* no extras at all */
	if (!json_take(j, '{'))
		return json_fail(j, "extras are not a JSON object");
	if (!json_take(j, '}'))
	{
		do
		{
			char		key[32];
			size_t		klen;
			bool		ok;

			if (!json_key(j, key, sizeof(key), &klen))
				return false;
			if (key_is(key, klen, sizeof(key), "original_size"))
				ok = parse_original_size(j, &file->original_size);
			else if (key_is(key, klen, sizeof(key), "nullable"))
			{
				json_ws(j);
				file->nullable = j->p < j->end && *j->p == 't';
				if (j->p < j->end && (*j->p == 't' || *j->p == 'f'))
					ok = json_literal(j, file->nullable ? "true" : "false");
				else
					ok = json_fail(j, "nullable is not a boolean");
			}
			else if (key_is(key, klen, sizeof(key), "version"))
			{
				char		version[32];
				size_t		vlen;

				json_ws(j);
				if (j->p < j->end && *j->p == '"')
				{
					ok = json_string(j, (uint8_t *) version, sizeof(version), &vlen);
					if (ok && key_is(version, vlen, sizeof(version), "MULTI_FIELD"))
						file->multi_field = true;
				}
				else
					ok = json_skip_value(j);
			}
			else if (key_is(key, klen, sizeof(key), "edek"))
				return pq_set_error(j->err, "binlog is encrypted (descriptor extras carry \"edek\"); encrypted binlogs are not supported");
			else
				ok = json_skip_value(j);
			if (!ok)
				return false;
		} while (json_take(j, ','));
		if (!json_take(j, '}'))
			return json_fail(j, "expected ',' or '}'");
	}
	json_ws(j);
	if (j->p != j->end)
		return json_fail(j, "trailing bytes after the extras object");
	return true;
}

/* Parses the descriptor's extras JSON, which starts at byte file_offset. */
static bool
parse_extras(const uint8_t *s, size_t len, size_t file_offset, BinlogFile *file,
			 PqError *err)
{
	Json		j;

	json_init(&j, s, len, "descriptor extras", err);
	if (!parse_extras_object(&j, file))
		return pq_prefix_error(err, "binlog (extras start at byte %zu): ", file_offset);
	return true;
}

/* ----------------------------------------------------------------
 * Event framing
 * ---------------------------------------------------------------- */

typedef struct EventHeader
{
	uint64_t	timestamp;
	int			type_code;
	int64_t		length;
} EventHeader;

static bool
read_event_header(const uint8_t *buf, size_t len, size_t pos, EventHeader *h,
				  PqError *err)
{
	int32_t		length;

	if (len - pos < EVENT_HEADER_LEN)
		return pq_set_error(err, "binlog event header at byte %zu is truncated (%zu of 17 bytes)",
							pos, len - pos);
	h->timestamp = le64(buf + pos);
	h->type_code = (int8_t) buf[pos + 8];
	length = (int32_t) le32(buf + pos + 9);
	h->length = length;
	if (length < EVENT_HEADER_LEN)
		return pq_set_error(err, "binlog event at byte %zu has invalid length %d",
							pos, (int) length);
	if ((uint64_t) length > len - pos)
		return pq_set_error(err, "binlog event at byte %zu has length %d, only %zu bytes remain (truncated?)",
							pos, (int) length, len - pos);
	return true;
}

bool
binlog_parse(const uint8_t *buf, size_t len, PqMem *mem, BinlogFile *file,
			 PqError *err)
{
	EventHeader h;
	size_t		pos;
	const uint8_t *d;
	int32_t		extra_len;
	size_t		data_start;
	int			count;
	char	   *extras;
	int			k;

	memset(file, 0, sizeof(*file));
	file->original_size = -1;
	if (buf == NULL || len < 4)
		return pq_set_error(err, "binlog of %zu bytes is too short for its magic number", len);
	if (le32(buf) != BINLOG_MAGIC)
		return pq_set_error(err, "not a Milvus binlog: magic number is 0x%08x, expected 0x%08x",
							le32(buf), BINLOG_MAGIC);

	/* Descriptor event. */
	pos = 4;
	if (!read_event_header(buf, len, pos, &h, err))
		return false;
	if (h.type_code != BINLOG_EVENT_DESCRIPTOR)
		return pq_set_error(err, "binlog's first event (byte 4) has type %d, expected the descriptor (0)",
							h.type_code);
	if (h.length < EVENT_HEADER_LEN + DESCRIPTOR_FIXED_LEN + BINLOG_EVENT_TYPE_END + 4)
		return pq_set_error(err, "binlog descriptor event length %lld is too short",
							(long long) h.length);
	d = buf + pos + EVENT_HEADER_LEN;
	file->timestamp = h.timestamp;
	file->collection_id = (int64_t) le64(d);
	file->partition_id = (int64_t) le64(d + 8);
	file->segment_id = (int64_t) le64(d + 16);
	file->field_id = (int64_t) le64(d + 24);
	file->start_timestamp = le64(d + 32);
	file->end_timestamp = le64(d + 40);
	file->payload_data_type = (int32_t) le32(d + 48);
	memcpy(file->post_header_lengths, d + DESCRIPTOR_FIXED_LEN, BINLOG_EVENT_TYPE_END);
	extra_len = (int32_t) le32(d + DESCRIPTOR_FIXED_LEN + BINLOG_EVENT_TYPE_END);
	if (extra_len < 0 ||
		(int64_t) EVENT_HEADER_LEN + DESCRIPTOR_FIXED_LEN + BINLOG_EVENT_TYPE_END + 4 + extra_len != h.length)
		return pq_set_error(err, "binlog descriptor: 17 + 52 + 8 + 4 + extra length %d does not equal the event length %lld",
							(int) extra_len, (long long) h.length);
	if (file->post_header_lengths[BINLOG_EVENT_DESCRIPTOR] != DESCRIPTOR_FIXED_LEN)
		return pq_set_error(err, "binlog descriptor's post-header length is %d, expected 52",
							file->post_header_lengths[BINLOG_EVENT_DESCRIPTOR]);
	data_start = pos + EVENT_HEADER_LEN + DESCRIPTOR_FIXED_LEN + BINLOG_EVENT_TYPE_END + 4;
	extras = binlog_alloc(mem, (size_t) extra_len + 1, err, "descriptor extras");
	if (extras == NULL)
		return false;
	memcpy(extras, buf + data_start, (size_t) extra_len);
	extras[extra_len] = '\0';
	file->extras = extras;
	file->extras_len = (size_t) extra_len;
	if (!parse_extras(buf + data_start, (size_t) extra_len, data_start, file, err))
		return false;
	pos += (size_t) h.length;

	/* Data events: validate and count, then record. */
	count = 0;
	for (k = 0; k < 2; k++)
	{
		size_t		p = pos;
		int			i = 0;

		if (k == 1)
		{
			file->events = binlog_array(mem, (uint64_t) count, sizeof(BinlogEvent), err,
										"binlog events");
			if (file->events == NULL)
				return false;
		}
		while (p < len)
		{
			if (!read_event_header(buf, len, p, &h, err))
				return false;
			if (h.type_code != BINLOG_EVENT_INSERT && h.type_code != BINLOG_EVENT_DELETE)
				return pq_set_error(err, "binlog event at byte %zu has type %d; only insert (1) and delete (2) events are expected after the descriptor",
									p, h.type_code);
			if (file->post_header_lengths[h.type_code] != DATA_FIXED_LEN)
				return pq_set_error(err, "binlog descriptor gives event type %d a post-header length of %d, expected 16",
									h.type_code, file->post_header_lengths[h.type_code]);
			if (h.length < EVENT_HEADER_LEN + DATA_FIXED_LEN)
				return pq_set_error(err, "binlog event at byte %zu: length %lld leaves no room for its timestamps",
									p, (long long) h.length);
			if (k == 1)
			{
				BinlogEvent *e = &file->events[i];
				const uint8_t *ed = buf + p + EVENT_HEADER_LEN;

				e->type_code = h.type_code;
				e->offset = p;
				e->timestamp = h.timestamp;
				e->start_timestamp = le64(ed);
				e->end_timestamp = le64(ed + 8);
				e->payload = ed + DATA_FIXED_LEN;
				e->payload_len = (size_t) h.length - EVENT_HEADER_LEN - DATA_FIXED_LEN;
			}
			i++;
			p += (size_t) h.length;
		}
		count = i;
	}
	if (count == 0)
		return pq_set_error(err, "binlog has a descriptor but no data event (truncated at byte %zu?)", len);
	file->num_events = count;
	return true;
}

/* ----------------------------------------------------------------
 * Insert logs
 * ---------------------------------------------------------------- */

/* Concatenates the columns of several events into one. */
static bool
concat_columns(PqColumn *cols, int n, PqMem *mem, PqColumn *out, PqError *err)
{
	int64_t		rows = 0;
	int64_t		nulls = 0;
	uint64_t	data_len = 0;
	int			i;
	int64_t		at = 0;
	size_t		data_at = 0;
	int			width = cols[0].value_width;

	for (i = 0; i < n; i++)
	{
		if (cols[i].physical_type != cols[0].physical_type ||
			cols[i].value_width != width)
			return pq_set_error(err, "binlog data events disagree on the column type (event %d is %s of width %d, event 0 %s of width %d)",
								i, pq_type_name(cols[i].physical_type), cols[i].value_width,
								pq_type_name(cols[0].physical_type), width);
		rows += cols[i].num_rows;
		nulls += cols[i].null_count;
		if (width == 0)
			data_len += (uint64_t) cols[i].offsets[cols[i].num_rows];
	}
	*out = cols[0];
	out->num_rows = rows;
	out->null_count = nulls;
	out->valid = NULL;
	if (nulls > 0)
	{
		out->valid = binlog_array(mem, (uint64_t) rows, 1, err, "validity");
		if (out->valid == NULL)
			return false;
	}
	if (width > 0)
	{
		out->values = binlog_array(mem, (uint64_t) rows, (size_t) width, err, "column values");
		if (out->values == NULL)
			return false;
	}
	else
	{
		out->offsets = binlog_array(mem, (uint64_t) rows + 1, sizeof(int64_t), err, "string offsets");
		out->data = binlog_array(mem, data_len, 1, err, "string data");
		if (out->offsets == NULL || out->data == NULL)
			return false;
		out->offsets[0] = 0;
	}
	for (i = 0; i < n; i++)
	{
		PqColumn   *c = &cols[i];
		int64_t		r;

		if (out->valid != NULL)
		{
			if (c->valid != NULL)
				memcpy(out->valid + at, c->valid, (size_t) c->num_rows);
			else
				memset(out->valid + at, 1, (size_t) c->num_rows);
		}
		if (width > 0)
			memcpy(out->values + (size_t) at * (size_t) width, c->values,
				   (size_t) c->num_rows * (size_t) width);
		else
		{
			size_t		bytes = (size_t) c->offsets[c->num_rows];

			memcpy(out->data + data_at, c->data, bytes);
			for (r = 0; r < c->num_rows; r++)
				out->offsets[at + r + 1] = (int64_t) data_at + c->offsets[r + 1];
			data_at += bytes;
		}
		at += c->num_rows;
	}
	return true;
}

bool
binlog_read_field(const uint8_t *buf, size_t len, PqMem *mem, BinlogFile *file,
				  PqColumn *out, PqError *err)
{
	BinlogFile	local;
	PqColumn   *cols;
	int			expected;
	int			i;

	if (file == NULL)
		file = &local;
	memset(out, 0, sizeof(*out));
	if (!binlog_parse(buf, len, mem, file, err))
		return false;
	expected = binlog_physical_type(file->payload_data_type);
	if (expected < 0)
		return pq_set_error(err, "binlog payload data type %d is not supported",
							(int) file->payload_data_type);
	cols = binlog_array(mem, (uint64_t) file->num_events, sizeof(PqColumn), err, "event columns");
	if (cols == NULL)
		return false;
	for (i = 0; i < file->num_events; i++)
	{
		const BinlogEvent *e = &file->events[i];

		if (e->type_code != BINLOG_EVENT_INSERT)
			return pq_set_error(err, "binlog event at byte %zu is a delete event; an insert log was expected",
								e->offset);
		if (!pq_read_column(e->payload, e->payload_len, 0, mem, &cols[i], err))
			return pq_prefix_error(err, "binlog event at byte %zu (payload at byte %zu): ",
								   e->offset, (size_t) (e->payload - buf));
		if (cols[i].physical_type != expected)
			return pq_set_error(err, "binlog of %s (type %d) holds a %s column, expected %s",
								binlog_type_name(file->payload_data_type),
								(int) file->payload_data_type,
								pq_type_name(cols[i].physical_type), pq_type_name(expected));
	}
	if (file->num_events == 1)
	{
		*out = cols[0];
		return true;
	}
	return concat_columns(cols, file->num_events, mem, out, err);
}

/* ----------------------------------------------------------------
 * Delta logs
 * ---------------------------------------------------------------- */

/* One parsed delete entry; a string key is decoded into the caller's buffer. */
typedef struct DeleteEntry
{
	bool		is_string;
	int64_t		int_pk;
	size_t		str_len;
	uint64_t	ts;
} DeleteEntry;

/*
 * An integer filling all of s[0 .. len), no surrounding blanks: the shape of
 * Go's strconv.ParseInt / ParseUint input as Milvus writes it (%d).
 */
static bool
decimal_exact(const uint8_t *s, size_t len, bool allow_negative, int64_t *value,
			  uint64_t *magnitude)
{
	Json		j;
	PqError		ignored;

	if (len == 0 || s[0] == ' ' || s[0] == '\t' || s[0] == '\n' || s[0] == '\r')
		return false;
	json_init(&j, s, len, "", &ignored);
	return json_integer(&j, allow_negative, value, magnitude) && j.p == j.end;
}

/* Legacy delete entry "<pk>,<ts>" of early 2.0 files (int64 keys only). */
static bool
parse_legacy_delete(const uint8_t *s, size_t len, DeleteEntry *e, PqError *err)
{
	const uint8_t *comma = memchr(s, ',', len);
	const uint8_t *pk = s;
	size_t		pk_len;

	if (comma == NULL ||
		memchr(comma + 1, ',', len - (size_t) (comma - s) - 1) != NULL)
		return pq_set_error(err, "delete entry is neither a JSON object nor \"<pk>,<ts>\"");
	pk_len = (size_t) (comma - s);
	/* ParseInt accepts a leading '+'. */
	if (pk_len > 1 && pk[0] == '+' && pk[1] != '-')
	{
		pk++;
		pk_len--;
	}
	if (!decimal_exact(pk, pk_len, true, &e->int_pk, NULL))
		return pq_set_error(err, "delete entry \"<pk>,<ts>\": primary key is not an int64");
	if (!decimal_exact(comma + 1, len - (size_t) (comma - s) - 1, false, NULL, &e->ts))
		return pq_set_error(err, "delete entry \"<pk>,<ts>\": timestamp is not a uint64");
	e->is_string = false;
	e->str_len = 0;
	return true;
}

static bool
parse_json_delete(const uint8_t *s, size_t len, uint8_t *str_dst, size_t str_cap,
				  DeleteEntry *e, PqError *err)
{
	Json		j;
	bool		have_pk = false,
				have_ts = false;
	int64_t		pk_type = -1;

	json_init(&j, s, len, "delete entry", err);
	if (!json_take(&j, '{'))
		return json_fail(&j, "expected '{'");
	if (!json_take(&j, '}'))
	{
		do
		{
			char		key[16];
			size_t		klen;
			bool		ok;

			if (!json_key(&j, key, sizeof(key), &klen))
				return false;
			if (key_is(key, klen, sizeof(key), "pk"))
			{
				json_ws(&j);
				if (j.p < j.end && *j.p == '"')
				{
					e->is_string = true;
					ok = json_string(&j, str_dst, str_cap, &e->str_len);
				}
				else if (j.p < j.end && (*j.p == '-' || (*j.p >= '0' && *j.p <= '9')))
				{
					e->is_string = false;
					e->str_len = 0;
					ok = json_integer(&j, true, &e->int_pk, NULL);
				}
				else
					ok = json_fail(&j, "pk is neither an integer nor a string");
				have_pk = true;
			}
			else if (key_is(key, klen, sizeof(key), "ts"))
			{
				ok = json_integer(&j, false, NULL, &e->ts);
				have_ts = true;
			}
			else if (key_is(key, klen, sizeof(key), "pkType"))
				ok = json_integer(&j, true, &pk_type, NULL);
			else
				ok = json_skip_value(&j);
			if (!ok)
				return false;
		} while (json_take(&j, ','));
		if (!json_take(&j, '}'))
			return json_fail(&j, "expected ',' or '}'");
	}
	json_ws(&j);
	if (j.p != j.end)
		return json_fail(&j, "trailing bytes after the object");
	if (!have_pk || !have_ts)
		return pq_set_error(err, "delete entry lacks \"%s\"", have_pk ? "ts" : "pk");
	if (pk_type != -1 && pk_type != PK_TYPE_INT64 && pk_type != PK_TYPE_VARCHAR)
		return pq_set_error(err, "delete entry pkType %lld is neither Int64 (5) nor VarChar (21)",
							(long long) pk_type);
	if ((pk_type == PK_TYPE_INT64 && e->is_string) ||
		(pk_type == PK_TYPE_VARCHAR && !e->is_string))
		return pq_set_error(err, "delete entry pk is a %s but pkType is %lld",
							e->is_string ? "string" : "number", (long long) pk_type);
	return true;
}

/*
 * Decodes one event's payload columns: the JSON/legacy string column, or the
 * pk and ts columns of a MULTI_FIELD payload (ts_col then set).
 */
static bool
read_delete_payload(const BinlogFile *file, const BinlogEvent *e, PqMem *mem,
					PqColumn *pk_col, PqColumn *ts_col, PqError *err)
{
	PqFile		pf;
	int			pk_index = 0;
	int			ts_index = -1;

	memset(ts_col, 0, sizeof(*ts_col));
	if (!pq_open(e->payload, e->payload_len, mem, &pf, err))
		return false;
	if (file->multi_field)
	{
		pk_index = pq_find_column(&pf, "pk");
		ts_index = pq_find_column(&pf, "ts");
		if (pk_index < 0 || ts_index < 0)
			return pq_set_error(err, "MULTI_FIELD delta log payload lacks a \"%s\" column",
								pk_index < 0 ? "pk" : "ts");
	}
	if (!pq_read(&pf, pk_index, mem, pk_col, err))
		return false;
	if (pk_col->null_count > 0)
		return pq_set_error(err, "delta log column \"%s\" has null rows", pk_col->name);
	if (ts_index < 0)
	{
		if (pk_col->physical_type != PQ_BYTE_ARRAY)
			return pq_set_error(err, "delta log column \"%s\" is %s, expected BYTE_ARRAY strings",
								pk_col->name, pq_type_name(pk_col->physical_type));
		return true;
	}
	if (pk_col->physical_type != PQ_INT64 && pk_col->physical_type != PQ_BYTE_ARRAY)
		return pq_set_error(err, "delta log pk column is %s, expected INT64 or BYTE_ARRAY",
							pq_type_name(pk_col->physical_type));
	if (!pq_read(&pf, ts_index, mem, ts_col, err))
		return false;
	if (ts_col->physical_type != PQ_INT64 || ts_col->null_count > 0)
		return pq_set_error(err, "delta log ts column is %s%s, expected INT64 without nulls",
							pq_type_name(ts_col->physical_type),
							ts_col->null_count > 0 ? " with nulls" : "");
	if (ts_col->num_rows != pk_col->num_rows)
		return pq_set_error(err, "delta log pk and ts columns have %lld and %lld rows",
							(long long) pk_col->num_rows, (long long) ts_col->num_rows);
	return true;
}

bool
binlog_read_deletes(const uint8_t *buf, size_t len, PqMem *mem,
					BinlogDeletes *out, PqError *err)
{
	BinlogFile *file = &out->file;
	PqColumn   *pk_cols;
	PqColumn   *ts_cols;
	int64_t		total = 0;
	uint64_t	str_bytes = 0;
	size_t		data_len = 0;
	int64_t		at = 0;
	bool		kind_known = false;
	int			i;

	memset(out, 0, sizeof(*out));
	if (!binlog_parse(buf, len, mem, file, err))
		return false;
	pk_cols = binlog_array(mem, (uint64_t) file->num_events, sizeof(PqColumn), err, "event columns");
	ts_cols = binlog_array(mem, (uint64_t) file->num_events, sizeof(PqColumn), err, "event columns");
	if (pk_cols == NULL || ts_cols == NULL)
		return false;
	for (i = 0; i < file->num_events; i++)
	{
		const BinlogEvent *e = &file->events[i];

		if (e->type_code != BINLOG_EVENT_DELETE)
			return pq_set_error(err, "binlog event at byte %zu is an insert event; a delta log was expected",
								e->offset);
		if (!read_delete_payload(file, e, mem, &pk_cols[i], &ts_cols[i], err))
			return pq_prefix_error(err, "delta log event at byte %zu (payload at byte %zu): ",
								   e->offset, (size_t) (e->payload - buf));
		total += pk_cols[i].num_rows;
		if (pk_cols[i].physical_type == PQ_BYTE_ARRAY)
			str_bytes += (uint64_t) pk_cols[i].offsets[pk_cols[i].num_rows];
	}

	out->count = total;
	out->timestamps = binlog_array(mem, (uint64_t) total, sizeof(uint64_t), err, "delete timestamps");
	out->int_pks = binlog_array(mem, (uint64_t) total, sizeof(int64_t), err, "delete keys");
	out->pk_offsets = binlog_array(mem, (uint64_t) total + 1, sizeof(int64_t), err, "delete keys");
	out->pk_data = binlog_array(mem, str_bytes, 1, err, "delete keys");
	if (out->timestamps == NULL || out->int_pks == NULL ||
		out->pk_offsets == NULL || out->pk_data == NULL)
		return false;
	out->pk_offsets[0] = 0;

	for (i = 0; i < file->num_events; i++)
	{
		const PqColumn *pk = &pk_cols[i];
		const PqColumn *ts = &ts_cols[i];
		int64_t		r;

		for (r = 0; r < pk->num_rows; r++, at++)
		{
			DeleteEntry e;
			const uint8_t *s = NULL;
			size_t		slen = 0;

			memset(&e, 0, sizeof(e));
			if (pk->physical_type == PQ_BYTE_ARRAY)
			{
				s = pk->data + pk->offsets[r];
				slen = (size_t) (pk->offsets[r + 1] - pk->offsets[r]);
			}
			if (file->multi_field)
			{
				memcpy(&e.ts, ts->values + 8 * r, 8);
				if (pk->physical_type == PQ_INT64)
					memcpy(&e.int_pk, pk->values + 8 * r, 8);
				else
				{
					e.is_string = true;
					e.str_len = slen;
					memcpy(out->pk_data + data_len, s, slen);
				}
			}
			else
			{
				size_t		k = 0;
				bool		ok;

				while (k < slen && (s[k] == ' ' || s[k] == '\t' || s[k] == '\n' || s[k] == '\r'))
					k++;
				if (k < slen && s[k] == '{')
					ok = parse_json_delete(s, slen, out->pk_data + data_len,
										   (size_t) (str_bytes - data_len), &e, err);
				else
					ok = parse_legacy_delete(s, slen, &e, err);
				if (!ok)
					return pq_prefix_error(err, "delta log event at byte %zu, row %lld: ",
										   file->events[i].offset, (long long) r);
			}
			if (!kind_known)
			{
				out->pk_is_string = e.is_string;
				kind_known = true;
			}
			else if (e.is_string != out->pk_is_string)
				return pq_set_error(err, "delta log event at byte %zu, row %lld: %s primary key after %s ones",
									file->events[i].offset, (long long) r,
									e.is_string ? "a string" : "an integer",
									e.is_string ? "integer" : "string");
			out->timestamps[at] = e.ts;
			out->int_pks[at] = e.int_pk;
			data_len += e.str_len;
			out->pk_offsets[at + 1] = (int64_t) data_len;
		}
	}
	if (out->pk_is_string)
		out->int_pks = NULL;
	else
	{
		out->pk_offsets = NULL;
		out->pk_data = NULL;
	}
	return true;
}
