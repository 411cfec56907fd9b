/*
 * fuzz_s3xml.c
 *		libFuzzer target for src/storage/s3_xml.c, the XML parser of S3
 *		ListObjectsV2 results and Error bodies.
 *
 * Each input is parsed as both documents, once with plenty of memory and
 * once with an allocation budget taken from the input, so the out-of-memory
 * paths run too.  Besides the sanitizers' checks it asserts what callers
 * rely on: every result string is NUL-terminated and has no NUL inside, sizes
 * are non-negative, a truncated listing has a token, and a parse that ran
 * out of budget either says S3XML_NOMEM or agrees with the unbudgeted one.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3_xml.h"

/* An arena of malloc'd blocks, freed all at once; BUDGET bytes at most. */
typedef struct Arena
{
	void	  **blocks;
	size_t		nblocks;
	size_t		capacity;
	size_t		used;
	size_t		budget;
} Arena;

static void *
arena_alloc(void *arg, size_t size)
{
	Arena	   *a = arg;
	void	   *mem;

	if (size > a->budget - a->used)
		return NULL;
	if (a->nblocks == a->capacity)
	{
		size_t		cap = a->capacity ? a->capacity * 2 : 16;
		void	  **grown = realloc(a->blocks, cap * sizeof(void *));

		if (grown == NULL)
			abort();
		a->blocks = grown;
		a->capacity = cap;
	}
	mem = malloc(size ? size : 1);
	if (mem == NULL)
		abort();
	a->blocks[a->nblocks++] = mem;
	a->used += size;
	return mem;
}

static void
arena_free(Arena *a)
{
	size_t		i;

	for (i = 0; i < a->nblocks; i++)
		free(a->blocks[i]);
	free(a->blocks);
	memset(a, 0, sizeof(*a));
}

#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "check failed: %s\n", #cond); abort(); } } while (0)

static void
check_string(const char *s)
{
	CHECK(s != NULL);
	(void) strlen(s);			/* ASan: must be NUL-terminated in bounds */
}

static S3XmlStatus
parse_listing(const uint8_t *data, size_t size, size_t budget, S3XmlListing *out, Arena *a)
{
	S3XmlAllocator alloc = {arena_alloc, a};
	char		err[128];
	S3XmlStatus st;
	size_t		i;

	memset(a, 0, sizeof(*a));
	a->budget = budget;
	st = s3xml_parse_listing((const char *) data, size, &alloc, out, err, sizeof(err));
	check_string(err);
	if (st == S3XML_OK)
	{
		for (i = 0; i < out->nobjects; i++)
		{
			check_string(out->objects[i].key);
			CHECK(out->objects[i].key[0] != '\0');
			CHECK(out->objects[i].size >= 0);
		}
		if (out->is_truncated)
			CHECK(out->next_token != NULL && out->next_token[0] != '\0');
		if (out->next_token)
			check_string(out->next_token);
	}
	else
		CHECK(err[0] != '\0');
	return st;
}

static S3XmlStatus
parse_error(const uint8_t *data, size_t size, size_t budget, S3XmlError *out, Arena *a)
{
	S3XmlAllocator alloc = {arena_alloc, a};
	char		err[128];
	S3XmlStatus st;

	memset(a, 0, sizeof(*a));
	a->budget = budget;
	st = s3xml_parse_error((const char *) data, size, &alloc, out, err, sizeof(err));
	if (st == S3XML_OK)
	{
		if (out->code)
			check_string(out->code);
		if (out->message)
			check_string(out->message);
	}
	else
		CHECK(err[0] != '\0');
	return st;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Arena		full,
				tight;
	S3XmlListing l1,
				l2;
	S3XmlError	e1,
				e2;
	S3XmlStatus s1,
				s2;
	size_t		budget;
	size_t		i;

	s1 = parse_listing(data, size, SIZE_MAX, &l1, &full);
	/* a budget below what the full parse used, chosen by the input */
	budget = full.used ? (size_t) (size > 0 ? data[size - 1] * 31 + size : 0) % (full.used + 1) : 0;
	s2 = parse_listing(data, size, budget, &l2, &tight);
	if (s2 != S3XML_NOMEM)
	{
		CHECK(s1 == s2);
		if (s1 == S3XML_OK)
		{
			CHECK(l1.nobjects == l2.nobjects);
			CHECK(l1.is_truncated == l2.is_truncated);
			for (i = 0; i < l1.nobjects; i++)
			{
				CHECK(strcmp(l1.objects[i].key, l2.objects[i].key) == 0);
				CHECK(l1.objects[i].size == l2.objects[i].size);
			}
		}
	}
	arena_free(&full);
	arena_free(&tight);

	s1 = parse_error(data, size, SIZE_MAX, &e1, &full);
	budget = full.used ? (size_t) (size > 0 ? data[0] * 17 + size : 0) % (full.used + 1) : 0;
	s2 = parse_error(data, size, budget, &e2, &tight);
	if (s2 != S3XML_NOMEM)
	{
		CHECK(s1 == s2);
		if (s1 == S3XML_OK)
		{
			CHECK((e1.code == NULL) == (e2.code == NULL));
			if (e1.code)
				CHECK(strcmp(e1.code, e2.code) == 0);
		}
	}
	arena_free(&full);
	arena_free(&tight);
	return 0;
}
