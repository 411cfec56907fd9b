/*
 * binlog_dump.c
 *		Test driver of the binlog and Parquet readers (src/binlog): prints what
 *		they decode as JSON lines, and stresses them with damaged input.
 *
 * Usage:
 *	binlog_dump [--max-alloc N] FILE...       descriptor line, then one line per row
 *	                                          (insert logs) or per delete (delta logs)
 *	binlog_dump --parquet FILE [COLUMN]       a bare Parquet file, generic rendering
 *	binlog_dump --truncate FILE               every strict prefix must be refused
 *	binlog_dump --flip FILE ROUNDS SEED       random byte flips: errors are fine, crashes not
 *	binlog_dump --bench FILE SECONDS          decode repeatedly, report throughput
 *
 * Rows of an insert log are rendered by the descriptor's Milvus data type:
 * numbers and strings as JSON; JSON fields as a string holding the raw JSON;
 * FloatVector as an array of numbers; other vectors as lowercase hex; Array
 * fields decoded from their protobuf ScalarField bytes.  Floats print with 17
 * significant digits of their double value, so they read back exactly.
 *
 * Every allocation is a separate malloc so that AddressSanitizer catches an
 * over-read of any buffer the readers allocate; all are freed per file.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "binlog.h"
#include "parquet.h"

/* ---------------------------------------------------------------- arena */

typedef struct Chunk
{
	struct Chunk *next;
	/* keep the payload aligned for any type */
	union
	{
		long double ld;
		long long	ll;
		void	   *p;
	}			align[];
} Chunk;

typedef struct Arena
{
	Chunk	   *head;
	size_t		bytes;
} Arena;

static void *
arena_alloc(void *ctx, size_t size)
{
	Arena	   *a = ctx;
	Chunk	   *c = malloc(sizeof(Chunk) + size);

	if (c == NULL)
		return NULL;
	c->next = a->head;
	a->head = c;
	a->bytes += size;
	return c->align;
}

static void
arena_reset(Arena *a)
{
	while (a->head != NULL)
	{
		Chunk	   *next = a->head->next;

		free(a->head);
		a->head = next;
	}
	a->bytes = 0;
}

static size_t max_alloc = 0;

static PqMem
arena_mem(Arena *a)
{
	PqMem		mem;

	mem.alloc = arena_alloc;
	mem.free = NULL;
	mem.ctx = a;
	mem.max_alloc = max_alloc;
	return mem;
}

/* ---------------------------------------------------------------- input */

static uint8_t *
read_file(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	uint8_t    *buf = NULL;
	size_t		cap = 0,
				n = 0;

	if (f == NULL)
	{
		fprintf(stderr, "binlog_dump: cannot open %s: %s\n", path, strerror(errno));
		exit(2);
	}
	for (;;)
	{
		size_t		got;

		if (n == cap)
		{
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap);
			if (buf == NULL)
			{
				fprintf(stderr, "binlog_dump: out of memory\n");
				exit(2);
			}
		}
		got = fread(buf + n, 1, cap - n, f);
		if (got == 0)
			break;
		n += got;
	}
	fclose(f);
	/* An exact-size copy, so that reading one byte past the end is caught. */
	{
		uint8_t    *exact = malloc(n ? n : 1);

		memcpy(exact, buf, n);
		free(buf);
		*len = n;
		return exact;
	}
}

/* ---------------------------------------------------------------- output */

static void
print_json_string(const uint8_t *s, size_t len)
{
	size_t		i;

	putchar('"');
	for (i = 0; i < len; i++)
	{
		uint8_t		c = s[i];

		if (c == '"' || c == '\\')
		{
			putchar('\\');
			putchar(c);
		}
		else if (c < 0x20 || c == 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void
print_double(double v)
{
	if (isnan(v))
		fputs("NaN", stdout);
	else if (isinf(v))
		fputs(v > 0 ? "Infinity" : "-Infinity", stdout);
	else
		printf("%.17g", v);
}

static void
print_hex(const uint8_t *p, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	size_t		i;

	putchar('"');
	for (i = 0; i < len; i++)
	{
		putchar(digits[p[i] >> 4]);
		putchar(digits[p[i] & 15]);
	}
	putchar('"');
}

static float
load_float(const uint8_t *p)
{
	float		f;

	memcpy(&f, p, 4);
	return f;
}

/* -------------------------------------------- protobuf ScalarField (Array rows) */

typedef struct Pb
{
	const uint8_t *p;
	const uint8_t *end;
} Pb;

static int
pb_varint(Pb *b, uint64_t *v)
{
	uint64_t	r = 0;
	int			shift;

	for (shift = 0; shift < 64; shift += 7)
	{
		if (b->p >= b->end)
			return 0;
		r |= (uint64_t) (*b->p & 0x7f) << shift;
		if ((*b->p++ & 0x80) == 0)
		{
			*v = r;
			return 1;
		}
	}
	return 0;
}

/* Skips a field of the given wire type; 0 on malformed input. */
static int
pb_skip(Pb *b, int wire)
{
	uint64_t	v;

	switch (wire)
	{
		case 0:
			return pb_varint(b, &v);
		case 1:
			if (b->end - b->p < 8)
				return 0;
			b->p += 8;
			return 1;
		case 2:
			if (!pb_varint(b, &v) || v > (uint64_t) (b->end - b->p))
				return 0;
			b->p += v;
			return 1;
		case 5:
			if (b->end - b->p < 4)
				return 0;
			b->p += 4;
			return 1;
		default:
			return 0;
	}
}

/*
 * Prints the repeated "data" (field 1) of a BoolArray .. StringArray message
 * of the given kind (ScalarField field number 1..6), packed or not.
 */
static int
print_pb_array(const uint8_t *msg, size_t len, int kind, int *first)
{
	Pb			b = {msg, msg + len};

	while (b.p < b.end)
	{
		uint64_t	key;
		int			wire;

		if (!pb_varint(&b, &key))
			return 0;
		wire = (int) (key & 7);
		if ((key >> 3) != 1)
		{
			if (!pb_skip(&b, wire))
				return 0;
			continue;
		}
		if (kind == 6)
		{
			uint64_t	n;

			if (wire != 2 || !pb_varint(&b, &n) || n > (uint64_t) (b.end - b.p))
				return 0;
			if (!*first)
				putchar(',');
			*first = 0;
			print_json_string(b.p, (size_t) n);
			b.p += n;
			continue;
		}
		{
			/* Numbers: one unpacked element, or a packed run. */
			Pb			run = b;
			int			packed = (wire == 2);

			if (packed)
			{
				uint64_t	n;

				if (!pb_varint(&b, &n) || n > (uint64_t) (b.end - b.p))
					return 0;
				run.p = b.p;
				run.end = b.p + n;
				b.p += n;
			}
			do
			{
				if (!*first)
					putchar(',');
				*first = 0;
				if (kind == 1 || kind == 2 || kind == 3)
				{
					uint64_t	v;

					if ((packed ? 0 : wire) != 0 || !pb_varint(&run, &v))
						return 0;
					if (kind == 1)
						fputs(v ? "true" : "false", stdout);
					else if (kind == 2)
						printf("%d", (int) (int32_t) v);
					else
						printf("%lld", (long long) (int64_t) v);
				}
				else if (kind == 4)
				{
					if ((!packed && wire != 5) || run.end - run.p < 4)
						return 0;
					print_double((double) load_float(run.p));
					run.p += 4;
				}
				else
				{
					double		d;

					if ((!packed && wire != 1) || run.end - run.p < 8)
						return 0;
					memcpy(&d, run.p, 8);
					print_double(d);
					run.p += 8;
				}
			} while (packed && run.p < run.end);
			if (!packed)
				b.p = run.p;
		}
	}
	return 1;
}

static int
print_scalar_field(const uint8_t *msg, size_t len)
{
	Pb			b = {msg, msg + len};
	int			first = 1;

	putchar('[');
	while (b.p < b.end)
	{
		uint64_t	key;
		uint64_t	n;
		int			field;

		if (!pb_varint(&b, &key))
			return 0;
		field = (int) (key >> 3);
		if ((key & 7) != 2 || field < 1 || field > 6)
		{
			if (!pb_skip(&b, (int) (key & 7)))
				return 0;
			continue;
		}
		if (!pb_varint(&b, &n) || n > (uint64_t) (b.end - b.p))
			return 0;
		if (!print_pb_array(b.p, (size_t) n, field, &first))
			return 0;
		b.p += n;
	}
	putchar(']');
	return 1;
}

/* ---------------------------------------------------------------- dumps */

static void
print_descriptor(const BinlogFile *f)
{
	int			i;

	printf("{\"collection_id\":%lld,\"partition_id\":%lld,\"segment_id\":%lld,"
		   "\"field_id\":%lld,\"start_ts\":%llu,\"end_ts\":%llu,\"data_type\":%d,"
		   "\"data_type_name\":\"%s\",\"original_size\":%lld,\"nullable\":%s,"
		   "\"multi_field\":%s,\"extras\":",
		   (long long) f->collection_id, (long long) f->partition_id,
		   (long long) f->segment_id, (long long) f->field_id,
		   (unsigned long long) f->start_timestamp,
		   (unsigned long long) f->end_timestamp, (int) f->payload_data_type,
		   binlog_type_name(f->payload_data_type), (long long) f->original_size,
		   f->nullable ? "true" : "false", f->multi_field ? "true" : "false");
	print_json_string((const uint8_t *) f->extras, f->extras_len);
	printf(",\"events\":[");
	for (i = 0; i < f->num_events; i++)
		printf("%s{\"type\":%d,\"offset\":%zu,\"payload_len\":%zu,\"start_ts\":%llu,\"end_ts\":%llu}",
			   i ? "," : "", f->events[i].type_code, f->events[i].offset,
			   f->events[i].payload_len,
			   (unsigned long long) f->events[i].start_timestamp,
			   (unsigned long long) f->events[i].end_timestamp);
	printf("]");
}

/* Prints row r of a column as the Milvus data type dt (or by physical type if dt < 0). */
static int
print_value(const PqColumn *c, int64_t r, int dt)
{
	const uint8_t *v;
	size_t		len;

	if (c->valid != NULL && !c->valid[r])
	{
		fputs("null", stdout);
		return 1;
	}
	if (c->physical_type == PQ_BYTE_ARRAY)
	{
		v = c->data + c->offsets[r];
		len = (size_t) (c->offsets[r + 1] - c->offsets[r]);
	}
	else
	{
		v = c->values + (size_t) c->value_width * (size_t) r;
		len = (size_t) c->value_width;
	}
	if (dt < 0)
	{
		/* Generic rendering by physical type, for bare Parquet files. */
		switch (c->physical_type)
		{
			case PQ_BOOLEAN:
				dt = MILVUS_TYPE_BOOL;
				break;
			case PQ_INT32:
				dt = MILVUS_TYPE_INT32;
				break;
			case PQ_INT64:
				dt = MILVUS_TYPE_INT64;
				break;
			case PQ_FLOAT:
				dt = MILVUS_TYPE_FLOAT;
				break;
			case PQ_DOUBLE:
				dt = MILVUS_TYPE_DOUBLE;
				break;
			default:
				dt = MILVUS_TYPE_BINARY_VECTOR; /* hex */
				break;
		}
	}
	switch (dt)
	{
		case MILVUS_TYPE_BOOL:
			fputs(v[0] ? "true" : "false", stdout);
			break;
		case MILVUS_TYPE_INT8:
		case MILVUS_TYPE_INT16:
		case MILVUS_TYPE_INT32:
			{
				int32_t		x;

				memcpy(&x, v, 4);
				printf("%d", (int) x);
				break;
			}
		case MILVUS_TYPE_INT64:
		case MILVUS_TYPE_TIMESTAMPTZ:
			{
				int64_t		x;

				memcpy(&x, v, 8);
				printf("%lld", (long long) x);
				break;
			}
		case MILVUS_TYPE_FLOAT:
			print_double((double) load_float(v));
			break;
		case MILVUS_TYPE_DOUBLE:
			{
				double		x;

				memcpy(&x, v, 8);
				print_double(x);
				break;
			}
		case MILVUS_TYPE_STRING:
		case MILVUS_TYPE_VARCHAR:
		case MILVUS_TYPE_TEXT:
		case MILVUS_TYPE_JSON:
			print_json_string(v, len);
			break;
		case MILVUS_TYPE_ARRAY:
			return print_scalar_field(v, len);
		case MILVUS_TYPE_FLOAT_VECTOR:
			{
				size_t		i;

				putchar('[');
				for (i = 0; i + 4 <= len; i += 4)
				{
					if (i)
						putchar(',');
					print_double((double) load_float(v + i));
				}
				putchar(']');
				break;
			}
		default:
			print_hex(v, len);
			break;
	}
	return 1;
}

static int
dump_binlog(const uint8_t *buf, size_t len, const char *path)
{
	Arena		arena = {0};
	PqMem		mem = arena_mem(&arena);
	PqError		err;
	BinlogFile	file;
	int			ok = 1;

	if (!binlog_parse(buf, len, &mem, &file, &err))
	{
		fprintf(stderr, "binlog_dump: %s: %s\n", path, err.msg);
		arena_reset(&arena);
		return 0;
	}
	if (file.events[0].type_code == BINLOG_EVENT_DELETE)
	{
		BinlogDeletes del;
		int64_t		i;

		if (!binlog_read_deletes(buf, len, &mem, &del, &err))
		{
			fprintf(stderr, "binlog_dump: %s: %s\n", path, err.msg);
			arena_reset(&arena);
			return 0;
		}
		print_descriptor(&del.file);
		printf(",\"kind\":\"deletes\",\"rows\":%lld,\"pk_is_string\":%s}\n",
			   (long long) del.count, del.pk_is_string ? "true" : "false");
		for (i = 0; i < del.count; i++)
		{
			fputs("{\"pk\":", stdout);
			if (del.pk_is_string)
				print_json_string(del.pk_data + del.pk_offsets[i],
								  (size_t) (del.pk_offsets[i + 1] - del.pk_offsets[i]));
			else
				printf("%lld", (long long) del.int_pks[i]);
			printf(",\"ts\":%llu}\n", (unsigned long long) del.timestamps[i]);
		}
	}
	else
	{
		PqColumn	col;
		int64_t		r;

		if (!binlog_read_field(buf, len, &mem, &file, &col, &err))
		{
			fprintf(stderr, "binlog_dump: %s: %s\n", path, err.msg);
			arena_reset(&arena);
			return 0;
		}
		print_descriptor(&file);
		printf(",\"kind\":\"insert\",\"rows\":%lld,\"column\":", (long long) col.num_rows);
		print_json_string((const uint8_t *) col.name, strlen(col.name));
		printf(",\"physical_type\":\"%s\",\"type_length\":%d,\"null_count\":%lld}\n",
			   pq_type_name(col.physical_type), col.type_length,
			   (long long) col.null_count);
		for (r = 0; r < col.num_rows && ok; r++)
		{
			ok = print_value(&col, r, file.payload_data_type);
			putchar('\n');
		}
		if (!ok)
			fprintf(stderr, "binlog_dump: %s: row %lld: malformed Array protobuf\n",
					path, (long long) (r - 1));
	}
	arena_reset(&arena);
	return ok;
}

static int
dump_parquet(const uint8_t *buf, size_t len, const char *path, int only_column)
{
	Arena		arena = {0};
	PqMem		mem = arena_mem(&arena);
	PqError		err;
	PqFile		file;
	int			c;

	if (!pq_open(buf, len, &mem, &file, &err))
	{
		fprintf(stderr, "binlog_dump: %s: %s\n", path, err.msg);
		arena_reset(&arena);
		return 0;
	}
	for (c = 0; c < file.num_columns; c++)
	{
		PqColumn	col;
		int64_t		r;

		if (only_column >= 0 && c != only_column)
			continue;
		if (!pq_read(&file, c, &mem, &col, &err))
		{
			fprintf(stderr, "binlog_dump: %s: %s\n", path, err.msg);
			arena_reset(&arena);
			return 0;
		}
		fputs("{\"column\":", stdout);
		print_json_string((const uint8_t *) col.name, strlen(col.name));
		printf(",\"physical_type\":\"%s\",\"type_length\":%d,\"rows\":%lld,\"null_count\":%lld,\"row_groups\":%d}\n",
			   pq_type_name(col.physical_type), col.type_length,
			   (long long) col.num_rows, (long long) col.null_count,
			   file.num_row_groups);
		for (r = 0; r < col.num_rows; r++)
		{
			print_value(&col, r, -1);
			putchar('\n');
		}
	}
	arena_reset(&arena);
	return 1;
}

/* ------------------------------------------------------- damaged input */

/*
 * Runs every reader over buf; returns 1 if the input was accepted.  What
 * matters to the callers is that this returns at all (under ASan).
 */
static int
decode_everything(const uint8_t *buf, size_t len, PqError *err)
{
	Arena		arena = {0};
	PqMem		mem = arena_mem(&arena);
	BinlogFile	file;
	int			accepted = 0;

	if (binlog_parse(buf, len, &mem, &file, err))
	{
		PqColumn	col;
		BinlogDeletes del;

		if (file.events[0].type_code == BINLOG_EVENT_DELETE)
			accepted = binlog_read_deletes(buf, len, &mem, &del, err);
		else
			accepted = binlog_read_field(buf, len, &mem, &file, &col, err);
	}
	else
	{
		int64_t		rows;
		PqColumn	col;

		/* Not a binlog: maybe a bare Parquet payload. */
		if (pq_file_num_rows(buf, len, &rows, err))
			accepted = pq_read_column(buf, len, 0, &mem, &col, err);
	}
	arena_reset(&arena);
	return accepted;
}

static int
run_truncate(const uint8_t *buf, size_t len)
{
	size_t		cut;
	long		accepted = 0;
	PqError		err;

	/*
	 * A prefix ending exactly between two data events is a well-formed
	 * shorter binlog; the accepted cuts are listed so callers can check that
	 * only such boundaries pass.
	 */
	printf("{\"mode\":\"truncate\",\"cuts\":%zu,\"accepted_cuts\":[", len);
	for (cut = 0; cut < len; cut++)
	{
		uint8_t    *prefix = malloc(cut ? cut : 1);

		memcpy(prefix, buf, cut);
		if (decode_everything(prefix, cut, &err))
			printf("%s%zu", accepted++ ? "," : "", cut);
		free(prefix);
	}
	printf("],\"accepted\":%ld,\"full_file_ok\":%s}\n",
		   accepted, decode_everything(buf, len, &err) ? "true" : "false");
	return 1;
}

static uint64_t rng_state;

static uint64_t
rng_next(void)
{
	/* xorshift64*: deterministic for a seed, good enough to place flips. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static int
run_flip(const uint8_t *buf, size_t len, long rounds, uint64_t seed)
{
	uint8_t    *copy = malloc(len ? len : 1);
	long		i;
	long		accepted = 0;
	PqError		err;
	char		last_error[sizeof(err.msg)] = "";

	rng_state = seed ? seed : 88172645463325252ULL;
	for (i = 0; i < rounds && len > 0; i++)
	{
		int			flips = 1 + (int) (rng_next() % 4);
		int			k;

		memcpy(copy, buf, len);
		for (k = 0; k < flips; k++)
		{
			size_t		pos = (size_t) (rng_next() % len);
			uint8_t		x = (uint8_t) (rng_next() % 255 + 1);

			copy[pos] ^= x;
		}
		if (decode_everything(copy, len, &err))
			accepted++;
		else
			memcpy(last_error, err.msg, sizeof(last_error));
	}
	free(copy);
	printf("{\"mode\":\"flip\",\"rounds\":%ld,\"accepted\":%ld,\"sample_error\":",
		   rounds, accepted);
	print_json_string((const uint8_t *) last_error, strlen(last_error));
	printf("}\n");
	return 1;
}

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
run_bench(const uint8_t *buf, size_t len, double seconds)
{
	double		start = now_seconds();
	double		elapsed;
	long		iterations = 0;
	size_t		decoded = 0;
	Arena		arena = {0};
	PqError		err;

	do
	{
		PqMem		mem = arena_mem(&arena);
		BinlogFile	file;
		PqColumn	col;

		if (!binlog_read_field(buf, len, &mem, &file, &col, &err))
		{
			fprintf(stderr, "binlog_dump: %s\n", err.msg);
			return 0;
		}
		decoded = col.value_width ? (size_t) col.num_rows * (size_t) col.value_width
			: (size_t) col.offsets[col.num_rows];
		arena_reset(&arena);
		iterations++;
		elapsed = now_seconds() - start;
	} while (elapsed < seconds);
	printf("{\"mode\":\"bench\",\"iterations\":%ld,\"seconds\":%.3f,\"file_bytes\":%zu,"
		   "\"decoded_bytes\":%zu,\"decoded_mb_per_s\":%.1f,\"ms_per_file\":%.3f}\n",
		   iterations, elapsed, len, decoded,
		   (double) decoded * iterations / elapsed / 1e6, elapsed * 1e3 / iterations);
	return 1;
}

/* ---------------------------------------------------------------- main */

static void
usage(void)
{
	fprintf(stderr,
			"usage: binlog_dump [--max-alloc N] FILE...\n"
			"       binlog_dump --parquet FILE [COLUMN]\n"
			"       binlog_dump --truncate FILE\n"
			"       binlog_dump --flip FILE ROUNDS SEED\n"
			"       binlog_dump --bench FILE SECONDS\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static char outbuf[1 << 16];
	int			i = 1;
	int			status = 0;

	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "--max-alloc") == 0)
	{
		if (argc < 4)
			usage();
		max_alloc = (size_t) strtoull(argv[2], NULL, 10);
		i = 3;
	}
	if (strncmp(argv[i], "--", 2) == 0)
	{
		const char *mode = argv[i];
		size_t		len;
		uint8_t    *buf;
		int			ok;

		if (i + 1 >= argc)
			usage();
		buf = read_file(argv[i + 1], &len);
		if (strcmp(mode, "--parquet") == 0)
			ok = dump_parquet(buf, len, argv[i + 1], i + 2 < argc ? atoi(argv[i + 2]) : -1);
		else if (strcmp(mode, "--truncate") == 0)
			ok = run_truncate(buf, len);
		else if (strcmp(mode, "--flip") == 0 && i + 3 < argc)
			ok = run_flip(buf, len, atol(argv[i + 2]), strtoull(argv[i + 3], NULL, 10));
		else if (strcmp(mode, "--bench") == 0 && i + 2 < argc)
			ok = run_bench(buf, len, atof(argv[i + 2]));
		else
			usage();
		free(buf);
		fflush(stdout);
		return ok ? 0 : 1;
	}
	for (; i < argc; i++)
	{
		size_t		len;
		uint8_t    *buf = read_file(argv[i], &len);

		if (!dump_binlog(buf, len, argv[i]))
			status = 1;
		free(buf);
	}
	fflush(stdout);
	return status;
}
