/*
 * fuzz_common.h
 *		Allocator and invariant checks shared by the libFuzzer targets of the
 *		binlog and Parquet readers (fuzz_parquet.c, fuzz_binlog.c).
 *
 * Each allocation is its own malloc, so AddressSanitizer sees the exact
 * bounds of every buffer the readers hand out; all are freed after each
 * input.  A reader that returns true must also return self-consistent
 * results: fuzz_check_column() aborts (a reported crash) when it does not.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stdlib.h>
#include <string.h>

#include "parquet.h"

/* Small enough that no input can push the fuzzer into its RSS limit. */
#define FUZZ_MAX_ALLOC	((size_t) 64 << 20)

typedef struct FuzzBlock
{
	struct FuzzBlock *next;
	union
	{
		long double ld;
		long long	ll;
		void	   *p;
	}			data[];
} FuzzBlock;

typedef struct FuzzArena
{
	FuzzBlock  *head;
} FuzzArena;

static void *
fuzz_alloc(void *ctx, size_t size)
{
	FuzzArena  *a = ctx;
	FuzzBlock  *b = malloc(sizeof(FuzzBlock) + size);

	if (b == NULL)
		return NULL;
	b->next = a->head;
	a->head = b;
	return b->data;
}

static void
fuzz_arena_free(FuzzArena *a)
{
	while (a->head != NULL)
	{
		FuzzBlock  *next = a->head->next;

		free(a->head);
		a->head = next;
	}
}

static PqMem
fuzz_mem(FuzzArena *a)
{
	PqMem		mem;

	mem.alloc = fuzz_alloc;
	mem.free = NULL;
	mem.ctx = a;
	mem.max_alloc = FUZZ_MAX_ALLOC;
	return mem;
}

/* Reads every byte of a decoded column and checks its invariants. */
static unsigned
fuzz_check_column(const PqColumn *c)
{
	unsigned	sum = 0;
	int64_t		nulls = 0;
	int64_t		r;

	if (c->num_rows < 0 || c->null_count < 0 || c->null_count > c->num_rows)
		abort();
	if ((c->valid == NULL) != (c->null_count == 0))
		abort();
	for (r = 0; r < c->num_rows; r++)
	{
		if (c->valid != NULL)
		{
			if (c->valid[r] > 1)
				abort();
			nulls += !c->valid[r];
		}
		if (c->physical_type == PQ_BYTE_ARRAY)
		{
			int64_t		k;

			if (c->offsets[r + 1] < c->offsets[r])
				abort();
			if (c->valid != NULL && !c->valid[r] && c->offsets[r + 1] != c->offsets[r])
				abort();
			for (k = c->offsets[r]; k < c->offsets[r + 1]; k++)
				sum += c->data[k];
		}
		else
		{
			int			k;

			for (k = 0; k < c->value_width; k++)
			{
				uint8_t		b = c->values[(size_t) r * (size_t) c->value_width + (size_t) k];

				if (c->valid != NULL && !c->valid[r] && b != 0)
					abort();	/* null slots are zeroed */
				sum += b;
			}
			if (c->physical_type == PQ_BOOLEAN && c->values[r] > 1)
				abort();
		}
	}
	if (c->physical_type == PQ_BYTE_ARRAY && c->offsets[0] != 0)
		abort();
	if (nulls != c->null_count)
		abort();
	return sum;
}

#endif							/* FUZZ_COMMON_H */
