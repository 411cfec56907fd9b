/*
 * thrift_compact.c
 *		Bounds-checked reader of the Thrift compact protocol (see
 *		thrift_compact.h), written from the protocol's public specification.
 *
 * Encoding in brief: integers are ZigZag varints; a field header is one byte,
 * high nibble = field-id delta (0 means a ZigZag i16 id follows), low nibble
 * = wire type; booleans in structs live in the type nibble; binary is a
 * varint length plus bytes; a list header is one byte, high nibble = size (15
 * means a varint size follows), low nibble = element type; a map is a varint
 * size plus a key/value type byte; a struct ends with a zero byte.
 */
#include "thrift_compact.h"

#include <stdio.h>
#include <string.h>

static const char *
tc_type_name(int type)
{
	static const char *const names[] = {
		"stop", "bool", "bool", "byte", "i16", "i32", "i64", "double",
		"binary", "list", "set", "map", "struct"
	};

	if (type >= 0 && type <= TC_STRUCT)
		return names[type];
	return "invalid";
}

void
tc_init(ThriftReader *r, const uint8_t *origin, const uint8_t *start,
		const uint8_t *end, const char *what, PqError *err)
{
	r->origin = origin;
	r->pos = start;
	r->end = end;
	r->depth = 0;
	r->what = what;
	r->err = err;
}

size_t
tc_offset(const ThriftReader *r)
{
	return (size_t) (r->pos - r->origin);
}

static bool
tc_fail(ThriftReader *r, const char *problem)
{
	pq_set_error(r->err, "%s: %s at byte %zu", r->what, problem, tc_offset(r));
	return false;
}

static bool
tc_varint(ThriftReader *r, uint64_t *value)
{
	uint64_t	result = 0;
	int			shift = 0;

	for (;;)
	{
		uint8_t		b;

		if (r->pos >= r->end)
			return tc_fail(r, "truncated varint");
		b = *r->pos++;
		if (shift == 63 && (b & 0x7e) != 0)
			return tc_fail(r, "varint overflows 64 bits");
		result |= (uint64_t) (b & 0x7f) << shift;
		if ((b & 0x80) == 0)
			break;
		shift += 7;
		if (shift > 63)
			return tc_fail(r, "varint longer than 10 bytes");
	}
	*value = result;
	return true;
}

static int64_t
tc_unzigzag(uint64_t n)
{
	return (int64_t) (n >> 1) ^ -(int64_t) (n & 1);
}

static bool
tc_zigzag32(ThriftReader *r, int32_t *value)
{
	uint64_t	raw;
	int64_t		v;

	if (!tc_varint(r, &raw))
		return false;
	v = tc_unzigzag(raw);
	if (v < INT32_MIN || v > INT32_MAX)
		return tc_fail(r, "i32 value out of range");
	*value = (int32_t) v;
	return true;
}

bool
tc_field(ThriftReader *r, int16_t *last_id, int *type, int16_t *id)
{
	uint8_t		b;
	int			delta;

	if (r->pos >= r->end)
		return tc_fail(r, "struct not terminated (input ends)");
	b = *r->pos++;
	*type = b & 0x0f;
	if (*type == TC_STOP)
	{
		*id = 0;
		return true;
	}
	if (*type > TC_STRUCT)
	{
		r->pos--;
		return tc_fail(r, "invalid field type");
	}
	delta = b >> 4;
	if (delta != 0)
		*id = (int16_t) (*last_id + delta);
	else
	{
		int32_t		v;

		if (!tc_zigzag32(r, &v))
			return false;
		if (v < INT16_MIN || v > INT16_MAX)
			return tc_fail(r, "field id out of range");
		*id = (int16_t) v;
	}
	*last_id = *id;
	return true;
}

static bool
tc_expect(ThriftReader *r, int type, int expected)
{
	char		msg[80];

	if (type == expected)
		return true;
	snprintf(msg, sizeof(msg), "field has type %s, expected %s",
			 tc_type_name(type), tc_type_name(expected));
	return tc_fail(r, msg);
}

bool
tc_i32(ThriftReader *r, int type, int32_t *value)
{
	if (!tc_expect(r, type, TC_I32))
		return false;
	return tc_zigzag32(r, value);
}

bool
tc_elem_i32(ThriftReader *r, int elem_type, int32_t *value)
{
	return tc_i32(r, elem_type, value);
}

bool
tc_i64(ThriftReader *r, int type, int64_t *value)
{
	uint64_t	raw;

	if (!tc_expect(r, type, TC_I64))
		return false;
	if (!tc_varint(r, &raw))
		return false;
	*value = tc_unzigzag(raw);
	return true;
}

bool
tc_bool(ThriftReader *r, int type, bool *value)
{
	if (type != TC_BOOL_TRUE && type != TC_BOOL_FALSE)
		return tc_expect(r, type, TC_BOOL_TRUE);
	*value = (type == TC_BOOL_TRUE);
	return true;
}

bool
tc_binary(ThriftReader *r, int type, const uint8_t **data, uint32_t *len)
{
	uint64_t	n;

	if (!tc_expect(r, type, TC_BINARY))
		return false;
	if (!tc_varint(r, &n))
		return false;
	if (n > (uint64_t) (r->end - r->pos))
		return tc_fail(r, "binary length exceeds the remaining input");
	*data = r->pos;
	*len = (uint32_t) n;
	r->pos += n;
	return true;
}

/* List or set header; the element count is bounded by the remaining bytes. */
static bool
tc_container_header(ThriftReader *r, int *elem_type, uint32_t *count)
{
	uint8_t		b;
	uint64_t	n;

	if (r->pos >= r->end)
		return tc_fail(r, "truncated list header");
	b = *r->pos++;
	*elem_type = b & 0x0f;
	n = b >> 4;
	if (n == 15 && !tc_varint(r, &n))
		return false;
	/* Every element takes at least one byte, booleans included. */
	if (n > (uint64_t) (r->end - r->pos))
		return tc_fail(r, "list size exceeds the remaining input");
	if (*elem_type == TC_STOP || *elem_type > TC_STRUCT)
		return tc_fail(r, "invalid list element type");
	*count = (uint32_t) n;
	return true;
}

bool
tc_list(ThriftReader *r, int type, int *elem_type, uint32_t *count)
{
	if (type != TC_LIST && type != TC_SET)
		return tc_expect(r, type, TC_LIST);
	return tc_container_header(r, elem_type, count);
}

bool
tc_enter(ThriftReader *r)
{
	if (r->depth >= TC_MAX_DEPTH)
		return tc_fail(r, "nesting too deep");
	r->depth++;
	return true;
}

void
tc_leave(ThriftReader *r)
{
	r->depth--;
}

static bool
skip_field(ThriftReader *r, int16_t id, int type, void *arg)
{
	(void) id;
	(void) arg;
	return tc_skip(r, type);
}

bool
tc_struct(ThriftReader *r, TcFieldReader read, void *arg, uint32_t *seen)
{
	int16_t		last_id = 0;
	uint32_t	present = 0;

	if (!tc_enter(r))
		return false;
	for (;;)
	{
		int			type;
		int16_t		id;

		if (!tc_field(r, &last_id, &type, &id))
			return false;
		if (type == TC_STOP)
			break;
		if (id >= 0 && id < 32)
		{
			if (present & (UINT32_C(1) << id))
				return tc_fail(r, "a field comes twice");
			present |= UINT32_C(1) << id;
		}
		if (!read(r, id, type, arg))
			return false;
	}
	tc_leave(r);
	if (seen)
		*seen = present;
	return true;
}

/* Skips one element of a list, set or map: booleans take a whole byte there. */
static bool
tc_skip_element(ThriftReader *r, int type)
{
	if (type == TC_BOOL_TRUE || type == TC_BOOL_FALSE)
	{
		if (r->pos >= r->end)
			return tc_fail(r, "truncated boolean");
		r->pos++;
		return true;
	}
	return tc_skip(r, type);
}

bool
tc_skip(ThriftReader *r, int type)
{
	uint64_t	raw;

	switch (type)
	{
		case TC_BOOL_TRUE:
		case TC_BOOL_FALSE:
			return true;		/* the value was in the field header */
		case TC_BYTE:
			if (r->pos >= r->end)
				return tc_fail(r, "truncated byte");
			r->pos++;
			return true;
		case TC_I16:
		case TC_I32:
		case TC_I64:
			return tc_varint(r, &raw);
		case TC_DOUBLE:
			if (r->end - r->pos < 8)
				return tc_fail(r, "truncated double");
			r->pos += 8;
			return true;
		case TC_BINARY:
			{
				const uint8_t *data;
				uint32_t	len;

				return tc_binary(r, type, &data, &len);
			}
		case TC_LIST:
		case TC_SET:
			{
				int			elem_type;
				uint32_t	count;

				if (!tc_container_header(r, &elem_type, &count))
					return false;
				if (!tc_enter(r))
					return false;
				while (count-- > 0)
				{
					if (!tc_skip_element(r, elem_type))
						return false;
				}
				tc_leave(r);
				return true;
			}
		case TC_MAP:
			{
				uint64_t	count;
				int			key_type = 0;
				int			value_type = 0;

				if (!tc_varint(r, &count))
					return false;
				if (count > (uint64_t) (r->end - r->pos) / 2)
					return tc_fail(r, "map size exceeds the remaining input");
				if (count > 0)
				{
					if (r->pos >= r->end)
						return tc_fail(r, "truncated map header");
					key_type = *r->pos >> 4;
					value_type = *r->pos & 0x0f;
					r->pos++;
					if (key_type == TC_STOP || key_type > TC_STRUCT ||
						value_type == TC_STOP || value_type > TC_STRUCT)
						return tc_fail(r, "invalid map element type");
				}
				if (!tc_enter(r))
					return false;
				while (count-- > 0)
				{
					if (!tc_skip_element(r, key_type) ||
						!tc_skip_element(r, value_type))
						return false;
				}
				tc_leave(r);
				return true;
			}
		case TC_STRUCT:
			return tc_struct(r, skip_field, NULL, NULL);
		default:
			return tc_fail(r, "invalid wire type");
	}
}
